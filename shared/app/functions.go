package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/care"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/openapi"
	"github.com/fangxian/fangxian/shared/retention"
)

// Serve starts what one function of the manifest serves in Lambda: the
// handlers of its HTTP routes (HTTP), or the handler of its events
// (Event). A function's main picks its own, so that its binary links only
// that function's code (an event consumer links no router); Functions
// names them all, for the local runner and the tests.
type Serve func(r *Root, fn manifest.Function) error

// HTTP serves the handlers h gives for a function's routes.
func HTTP(h func(*Root) httpapi.Handlers) Serve {
	return func(r *Root, fn manifest.Function) error {
		if len(fn.Routes) == 0 {
			return fmt.Errorf("app: functions/%s/main.go serves HTTP, and the function has no routes", fn.Name)
		}
		router, err := httpapi.NewRouter(fn.Routes, h(r), r.HTTPOptions())
		if err != nil {
			return err
		}
		httpapi.StartLambda(router, r.Log)
		return nil
	}
}

// Event serves the Lambda handler h gives for a function's events.
func Event(h func(*Root) any) Serve {
	return func(r *Root, fn manifest.Function) error {
		if len(fn.Routes) > 0 {
			return fmt.Errorf("app: functions/%s/main.go serves events, and the function has routes", fn.Name)
		}
		lambda.Start(h(r))
		return nil
	}
}

// Function is what one function serves: HTTP handlers or an event handler.
type Function struct {
	HTTP  func(*Root) httpapi.Handlers
	Event func(*Root) any
}

// Functions is what every function of the manifest serves, by name: each
// main picks its entry (a test holds them to it).
func Functions() map[string]Function {
	return map[string]Function{
		"system":     {HTTP: (*Root).SystemHTTP},
		"auth":       {HTTP: (*Root).AuthHTTP},
		"registry":   {HTTP: (*Root).RegistryHTTP},
		"booking":    {HTTP: (*Root).BookingHTTP},
		"notices":    {HTTP: (*Root).NoticesHTTP},
		"supplies":   {HTTP: (*Root).SuppliesHTTP},
		"volunteers": {HTTP: (*Root).VolunteersHTTP},
		"playbooks":  {HTTP: (*Root).PlaybooksHTTP},
		"inbound":    {HTTP: (*Root).InboundHTTP},
		"dispatch":   {Event: (*Root).DispatchEvents},
		"reminders":  {Event: (*Root).RemindersEvents},
		"jobs":       {Event: (*Root).JobsEvents},
		"smsevents":  {Event: (*Root).SMSEventsEvents},
	}
}

// SystemHTTP is the health check, the OpenAPI document and its page.
func (r *Root) SystemHTTP() httpapi.Handlers {
	return httpapi.Merge(r.Health(), openapi.Handlers(r.DocsScript))
}

// AuthHTTP is sign-in, and a volunteer's sign-up (which proves the phone by
// its code).
func (r *Root) AuthHTTP() httpapi.Handlers {
	return httpapi.Merge(auth.Handlers(r.SignIn(), r.WeChat()), r.Volunteers().SignupHandlers(r.SignIn()))
}

// RegistryHTTP is the registry, the audit log and screening lists.
func (r *Root) RegistryHTTP() httpapi.Handlers {
	return httpapi.Merge(r.Registry().Handlers(), r.Audit().Handlers(), r.Screening().Handlers())
}

// BookingHTTP is testing rounds.
func (r *Root) BookingHTTP() httpapi.Handlers { return r.Booking().Handlers() }

// NoticesHTTP is zones, notices, temperatures, people under watch, care
// plans and the gate.
func (r *Root) NoticesHTTP() httpapi.Handlers {
	return httpapi.Merge(r.Notices().Handlers(), r.Watch().Handlers(), r.Care().Handlers(), r.Gate().Handlers())
}

// SuppliesHTTP is supplies, help requests and the reserve.
func (r *Root) SuppliesHTTP() httpapi.Handlers {
	return httpapi.Merge(r.Supplies().Handlers(), r.Help().Handlers(), r.Reserve().Handlers())
}

// VolunteersHTTP is volunteering.
func (r *Root) VolunteersHTTP() httpapi.Handlers { return r.Volunteers().Handlers() }

// PlaybooksHTTP is the switch (a community's and the street's), drills,
// data retention and the daily report.
func (r *Root) PlaybooksHTTP() httpapi.Handlers {
	return httpapi.Merge(r.Playbook().Handlers(), r.Retention().Handlers(), r.Daily().Handlers())
}

// InboundHTTP is Tencent Cloud's SMS callbacks.
func (r *Root) InboundHTTP() httpapi.Handlers {
	return r.Inbound().TencentCallbacks(r.CallbackSecrets())
}

func (r *Root) withLog(ctx context.Context) context.Context { return logging.WithLogger(ctx, r.Log) }

// DispatchEvents consumes the dispatch queue.
func (r *Root) DispatchEvents() any {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return r.Consumer().Handle(r.withLog(ctx), ev)
	}
}

// RemindersEvents runs the daily temperature reminders.
func (r *Root) RemindersEvents() any {
	return func(ctx context.Context, _ events.EventBridgeEvent) error {
		_, err := r.Remind(r.withLog(ctx))
		return err
	}
}

// JobsEvents runs the jobs of every minute.
func (r *Root) JobsEvents() any {
	return func(ctx context.Context, _ events.CloudWatchEvent) error {
		_, err := r.EveryMinute(r.withLog(ctx), r.Now())
		return err
	}
}

// SMSEventsEvents takes what AWS End User Messaging SMS reports.
func (r *Root) SMSEventsEvents() any {
	return func(ctx context.Context, raw json.RawMessage) error {
		return r.Inbound().HandleAWS(r.withLog(ctx), raw)
	}
}

// Remind runs the daily temperature reminders (the reminders function's
// schedule): a second run of the same day queues them again, and the
// consumer sends each phone one a day.
func (r *Root) Remind(ctx context.Context) (int, error) {
	n, err := r.Notices().Remind(ctx)
	r.Log.Info("temperature reminders queued", "count", n, "err", err)
	return n, err
}

// Minute is what a run of the jobs of every minute did.
type Minute struct {
	Escalated int `json:"escalated"`
	// TracesEscalated are door lists of pooled-positive tubes gone overdue.
	TracesEscalated int `json:"tracesEscalated"`
	// ListsEscalated are screening lists' shares of a community gone overdue.
	ListsEscalated int `json:"listsEscalated"`
	// WatchesEnded are watches whose days are over: ended, households told.
	WatchesEnded int `json:"watchesEnded"`
	// ChecksMissed are twice-daily checks of people under watch whose
	// window closed without a reading: their doors are on the day's list.
	ChecksMissed int `json:"checksMissed"`
	// CareRaised are help requests for dependants a transfer left behind
	// that its own call could not raise.
	CareRaised int `json:"careRaised"`
	// CareAsked are daily checks (报平安) asked; CareUnanswered those
	// unanswered by noon and CareNoCar tomorrow's trips with no car by
	// 18:00, each made a help request.
	CareAsked      int `json:"careAsked"`
	CareUnanswered int `json:"careUnanswered"`
	CareNoCar      int `json:"careNoCar"`
	Called         int `json:"backupsCalled"`
	Unfilled       int `json:"unfilled"`
	Marked         int `json:"marked"`
	// Swept is the pending records sent that a change's own send missed.
	Swept int `json:"swept"`
}

// EveryMinute runs the jobs of every minute (the jobs function's schedule)
// as if at now, each whatever the others did: help requests, traces and
// screening lists escalated, watches over ended, their windows closed without a reading marked missed, the dependants a transfer left behind given their help requests, the care plans' daily checks asked and what they left undone made help requests, the backups of declined or silent calls called, ended emergencies' personal
// data marked for expiry, and what changes left for the dispatch queue and
// could not send then, sent. A run that fails is retried; what it texted or
// called is not again.
func (r *Root) EveryMinute(ctx context.Context, now time.Time) (Minute, error) {
	var m Minute
	var err, terr, lerr, werr, cerr, rerr, perr, berr, xerr, serr error
	m.Escalated, err = r.Help().Escalate(ctx, now)
	m.TracesEscalated, terr = r.Booking().EscalateTraces(ctx, now)
	m.ListsEscalated, lerr = r.Screening().Escalate(ctx, now)
	m.WatchesEnded, werr = r.Watch().EndDue(ctx, now)
	m.ChecksMissed, cerr = r.Watch().MarkMissed(ctx, now)
	m.CareRaised, rerr = r.Watch().RaiseCare(ctx)
	var cm care.Minute
	cm, perr = r.Care().Run(ctx, now)
	m.CareAsked, m.CareUnanswered, m.CareNoCar = cm.Asked, cm.Unanswered, cm.NoCar
	m.Called, m.Unfilled, berr = r.Volunteers().Backups(ctx, now)
	m.Marked, xerr = r.Retention().Continue(ctx, retention.Budget)
	// Last: what the jobs above could not send is swept a minute later.
	m.Swept, serr = r.Outbox().Sweep(ctx, now)
	all := errors.Join(err, terr, lerr, werr, cerr, rerr, perr, berr, xerr, serr)
	if m != (Minute{}) || all != nil {
		r.Log.Info("every minute", "escalated", m.Escalated, "tracesEscalated", m.TracesEscalated, "listsEscalated", m.ListsEscalated, "watchesEnded", m.WatchesEnded, "checksMissed", m.ChecksMissed, "careRaised", m.CareRaised, "careAsked", m.CareAsked, "careUnanswered", m.CareUnanswered, "careNoCar", m.CareNoCar, "backupsCalled", m.Called, "unfilled", m.Unfilled,
			"marked", m.Marked, "swept", m.Swept, "err", all)
	}
	return m, all
}

// docsScript is where the CDK app deploys the reference page's renderer:
// beside the bootstrap.
func docsScript(taskRoot string) string { return filepath.Join(taskRoot, manifest.RedocAsset) }
