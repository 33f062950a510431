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
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/openapi"
	"github.com/fangxian/fangxian/shared/retention"
)

// HTTP is what the HTTP function name serves: its manifest routes' handlers,
// in Lambda and on the local runner alike.
func (r *Root) HTTP(name string) (httpapi.Handlers, error) {
	switch name {
	case "system":
		return httpapi.Merge(r.Health(), openapi.Handlers(r.DocsScript)), nil
	case "auth":
		return httpapi.Merge(auth.Handlers(r.SignIn(), r.WeChat()), r.Volunteers().SignupHandlers()), nil
	case "registry":
		return httpapi.Merge(r.Registry().Handlers(), r.Audit().Handlers()), nil
	case "booking":
		return r.Booking().Handlers(), nil
	case "notices":
		return r.Notices().Handlers(), nil
	case "supplies":
		return httpapi.Merge(r.Supplies().Handlers(), r.Help().Handlers()), nil
	case "volunteers":
		return r.Volunteers().Handlers(), nil
	case "playbooks":
		return httpapi.Merge(r.Playbook().Handlers(), r.Retention().Handlers()), nil
	case "inbound":
		return r.Inbound().TencentCallbacks(r.CallbackSecrets()), nil
	}
	return nil, fmt.Errorf("app: function %q serves no HTTP routes", name)
}

// Remind runs the daily temperature reminders (the reminders function's
// schedule): a second run of the same day queues them again, and the
// consumer sends each phone one a day.
func (r *Root) Remind(ctx context.Context) (int, error) {
	n, err := r.Notices().Remind(ctx)
	r.Log.Info("temperature reminders queued", "count", n, "err", err)
	return n, err
}

// Minute is what runs every minute (the jobs function's schedule), as if at
// now: help requests escalated, the backups of declined or silent calls
// called, ended emergencies' personal data marked for expiry. A run that
// fails is retried; what it texted or called is not again.
type Minute struct {
	Escalated int `json:"escalated"`
	Called    int `json:"backupsCalled"`
	Unfilled  int `json:"unfilled"`
	Marked    int `json:"marked"`
}

// EveryMinute runs the minute's jobs, each whatever the others did.
func (r *Root) EveryMinute(ctx context.Context, now time.Time) (Minute, error) {
	var m Minute
	var err, berr, xerr error
	m.Escalated, err = r.Help().Escalate(ctx, now)
	m.Called, m.Unfilled, berr = r.Volunteers().Backups(ctx, now)
	m.Marked, xerr = r.Retention().Continue(ctx, retention.Budget)
	if m != (Minute{}) || err != nil || berr != nil || xerr != nil {
		r.Log.Info("every minute", "escalated", m.Escalated, "backupsCalled", m.Called, "unfilled", m.Unfilled,
			"marked", m.Marked, "err", errors.Join(err, berr, xerr))
	}
	return m, errors.Join(err, berr, xerr)
}

// lambdaHandler is what the event function name hands Lambda.
func (r *Root) lambdaHandler(name string) (any, error) {
	with := func(ctx context.Context) context.Context { return logging.WithLogger(ctx, r.Log) }
	switch name {
	case "dispatch":
		return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			return r.Consumer().Handle(with(ctx), ev)
		}, nil
	case "reminders":
		return func(ctx context.Context, _ events.EventBridgeEvent) error {
			_, err := r.Remind(with(ctx))
			return err
		}, nil
	case "jobs":
		return func(ctx context.Context, _ events.CloudWatchEvent) error {
			_, err := r.EveryMinute(with(ctx), r.Now())
			return err
		}, nil
	case "smsevents":
		return func(ctx context.Context, raw json.RawMessage) error {
			return r.Inbound().HandleAWS(with(ctx), raw)
		}, nil
	}
	return nil, fmt.Errorf("app: function %q has no event handler", name)
}

// serve starts function fn in Lambda; it returns only when it cannot.
func (r *Root) serve(fn manifest.Function) error {
	if len(fn.Routes) == 0 {
		h, err := r.lambdaHandler(fn.Name)
		if err != nil {
			return err
		}
		lambda.Start(h)
		return nil
	}
	handlers, err := r.HTTP(fn.Name)
	if err != nil {
		return err
	}
	router, err := httpapi.NewRouter(fn.Routes, handlers, r.HTTPOptions())
	if err != nil {
		return err
	}
	httpapi.StartLambda(router, r.Log)
	return nil
}

// docsScript is where the CDK app deploys the reference page's renderer:
// beside the bootstrap.
func docsScript(taskRoot string) string { return filepath.Join(taskRoot, manifest.RedocAsset) }
