// Package app is Fangxian's composition root: every service is built here,
// once, fully, from one validated configuration (package config) and the
// parts a function links (the table, the dispatch queue, the SMS provider,
// the parameter store). A function's main names itself and the SDK adapters
// it links; the local runner and the tests build the same root on local
// parts. Which handlers a function serves is said here too, so a Lambda and
// the local runner cannot serve a route differently.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/care"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/config"
	"github.com/fangxian/fangxian/shared/daily"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/gate"
	"github.com/fangxian/fangxian/shared/health"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/inbound"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/reserve"
	"github.com/fangxian/fangxian/shared/retention"
	"github.com/fangxian/fangxian/shared/screening"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/smsflow"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/volunteers"
	"github.com/fangxian/fangxian/shared/watch"
)

// Parts are what a root is built on besides its configuration. Queue, SMS
// and Params may be nil in a function whose manifest entry says it does
// not use them: a service built there that would use one fails that call
// (ErrNotHere), never silently.
type Parts struct {
	Store *store.Store
	Queue dispatch.Queue
	// SMS is the provider's adapter (or the local outbox): the root puts
	// the drill guard over it, so no service can send around a drill.
	SMS    sms.Provider
	Params secrets.Parameters
	Now    func() time.Time
	Log    *slog.Logger
	// Ready says whether the system serves yet (the local runner answers
	// 503 while it seeds); nil is always ready.
	Ready health.ReadyFunc
	// DocsScript is the file of the API reference page's renderer.
	DocsScript string
}

// Root builds the services of one function (or of the local runner).
type Root struct {
	Config config.Config
	Parts

	signIn     lazy[*auth.SignIn]
	wechat     lazy[*auth.WeChatSignIn]
	verifier   lazy[*auth.Verifier]
	registry   lazy[*registry.API]
	audit      lazy[*audit.Recorder]
	booking    lazy[*booking.Service]
	notices    lazy[*notices.Service]
	supplies   lazy[*supplies.Service]
	help       lazy[*help.Service]
	volunteers lazy[*volunteers.Service]
	playbook   lazy[*playbook.Service]
	retention  lazy[*retention.Service]
	screening  lazy[*screening.Service]
	watch      lazy[*watch.Service]
	reserve    lazy[*reserve.Service]
	care       lazy[*care.Service]
	gate       lazy[*gate.Service]
	daily      lazy[*daily.Service]
	flow       lazy[*smsflow.Flow]
	inbound    lazy[*inbound.Handler]
	consumer   lazy[*dispatch.Consumer]
	texter     lazy[*dispatch.Texter]
	outbox     lazy[*dispatch.Outbox]
	sender     lazy[*drill.Guard]
}

// New is the root of c on parts p.
func New(c config.Config, p Parts) *Root {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = slog.Default()
	}
	return &Root{Config: c, Parts: p}
}

// ErrNotHere is a part a function does not have (its manifest entry does not
// declare it): a service that reaches for it fails that call.
var ErrNotHere = errors.New("app: this function has no such part (see its manifest entry)")

// lazy builds a value on first use, once.
type lazy[T any] struct {
	once sync.Once
	v    T
}

func (l *lazy[T]) get(build func() T) T {
	l.once.Do(func() { l.v = build() })
	return l.v
}

// queue is the dispatch queue, or one that refuses where there is none.
func (r *Root) queue() dispatch.Queue {
	if r.Queue == nil {
		return noQueue{}
	}
	return r.Queue
}

type noQueue struct{}

func (noQueue) SendBatch(context.Context, []string) error {
	return fmt.Errorf("dispatch queue: %w", ErrNotHere)
}

// SMS is the provider under the drill guard: what a drill sends goes to
// its outbox, never to a phone. What reaches the provider is counted for
// the community it was sent for (the daily report's SMS parts); made-up
// data's discarded texts cost nothing and are not.
func (r *Root) SMS() *drill.Guard {
	return r.sender.get(func() *drill.Guard {
		var real drill.Sender = noSender{}
		switch p := r.Parts.SMS.(type) {
		case nil:
		case sms.Discard:
			real = p
		default:
			real = sms.Spending{Provider: p, Ledger: r.Store, Signature: r.Config.SMS.Signature, Now: r.Now}
		}
		return drill.Guarded(real, r.Store, r.Config.SMS.Signature)
	})
}

type noSender struct{}

func (noSender) Send(context.Context, string, sms.Message) error {
	return fmt.Errorf("sms: %w", ErrNotHere)
}

func (noSender) SendBatch(context.Context, []string, sms.Message) ([]sms.Result, error) {
	return nil, fmt.Errorf("sms: %w", ErrNotHere)
}

func (noSender) MaxBatch() int { return 1 }

// told is the sender of what staff's actions cause: not to a phone that
// opted out, a daily share per phone.
func (r *Root) told() sms.Guarded {
	return sms.Guarded{Sender: r.SMS(), OptOuts: r.Store, Limiter: r.Store, PerPhonePerDay: sms.PerPhonePerDay, Now: r.Now}
}

// param reads one of the function's secrets from the parameter store.
func (r *Root) param(secret string) func(ctx context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		name := r.Config.Parameters[secret]
		if name == "" || r.Params == nil {
			return nil, fmt.Errorf("parameter %s: %w", secret, ErrNotHere)
		}
		return r.Params.Get(ctx, name)
	}
}

// SignIn issues codes and tokens.
func (r *Root) SignIn() *auth.SignIn {
	return r.signIn.get(func() *auth.SignIn {
		// The key is read on first use, not at cold start: see auth.Keys.
		keys := &auth.Keys{Audience: auth.Audience(r.Config.Stage), Now: r.Now, Load: r.param(manifest.JWTPrivateKeyParameter),
			Newest: r.Verifier().NewestKey}
		l := r.Config.Limits
		return &auth.SignIn{Accounts: r.Store, Challenges: r.Store, Limiter: r.Store, Links: r.Store, Streets: r.Store, Apps: r.Store, Keys: keys, Now: r.Now,
			Sender: r.SMS(), Limits: auth.Limits{CodesPerIPPerHour: l.OTPPerIPPerHour, CodesPerStreetPerHour: l.OTPPerStreetPerHour,
				CodesPerHour: l.OTPPerHour, TokenFailuresPerIPPerHour: l.TokenFailuresPerIPPerHour,
				SignupCodesPerIPPerHour: l.SignupPerIPPerHour, SignupCodesPerCommunityPerHour: l.SignupPerCommunityPerHour,
				SignupCodesPerHour: l.SignupPerHour}}
	})
}

// WeChat signs in by the mini-program's code; off where no app id is set.
func (r *Root) WeChat() *auth.WeChatSignIn {
	return r.wechat.get(func() *auth.WeChatSignIn {
		load := r.param(manifest.WeChatSecretParameter)
		// The secret is read when the first WeChat sign-in needs it: a
		// missing parameter turns WeChat sign-in off, never SMS sign-in.
		var wx auth.OpenIDExchanger
		if c := auth.NewWeChatClient(auth.WeChatConfig{BaseURL: r.Config.WeChat.BaseURL, AppID: r.Config.WeChat.AppID,
			LoadSecret: func(ctx context.Context) (string, error) {
				b, err := load(ctx)
				return string(b), err
			}}); c != nil {
			wx = c
		}
		return &auth.WeChatSignIn{SignIn: r.SignIn(), WeChat: wx, Bindings: r.Store}
	})
}

// Verifier checks tokens against the published keys.
func (r *Root) Verifier() *auth.Verifier {
	return r.verifier.get(func() *auth.Verifier { return auth.NewVerifier(auth.Audience(r.Config.Stage), r.Store, r.Now) })
}

// Registry serves communities, buildings, residents, staff and imports.
func (r *Root) Registry() *registry.API {
	return r.registry.get(func() *registry.API {
		return &registry.API{Dir: r.Store, Importer: r.Importer(), Links: r.Store, Corrections: r.Store, Now: r.Now}
	})
}

// Importer imports a community's residents (the demo seeds through it).
func (r *Root) Importer() *registry.Importer {
	return &registry.Importer{Store: r.Store, Now: r.Now}
}

// Audit is the log of staff's actions.
func (r *Root) Audit() *audit.Recorder {
	return r.audit.get(func() *audit.Recorder {
		return &audit.Recorder{Store: r.Store, Streets: r.Store, Volunteers: r.Store, Now: r.Now}
	})
}

// Booking runs rounds and bookings.
func (r *Root) Booking() *booking.Service {
	return r.booking.get(func() *booking.Service {
		st := r.Store
		return &booking.Service{Store: st, Directory: st, Idempotency: st, Plans: st, Sites: st, Drills: st, Work: st,
			Watch: watcher{r}, Zones: st, Tubes: st, Trace: st, Alarm: helpAlarm{r}, SMS: r.told(), Outbox: r.Outbox(), Now: r.Now}
	})
}

// Notices runs zones, notices and temperatures.
func (r *Root) Notices() *notices.Service {
	return r.notices.get(func() *notices.Service {
		st := r.Store
		return &notices.Service{Store: st, Readings: st, Directory: st, Drills: st, Rounds: roundFeed{r.Booking()}, Watches: r.Watch(), Doors: doors{r}, Queue: r.queue(), Outbox: r.Outbox(), Now: r.Now,
			Signature: r.Config.SMS.Signature}
	})
}

// Supplies runs the catalogue, orders and deliveries.
func (r *Root) Supplies() *supplies.Service {
	return r.supplies.get(func() *supplies.Service {
		st := r.Store
		return &supplies.Service{Store: st, Directory: st, Zones: st, Accounts: st, Outbox: r.Outbox(), Audit: r.Audit(), Now: r.Now}
	})
}

// Help runs help requests: alerts to staff go as they are, news to
// households within their opt-outs.
func (r *Root) Help() *help.Service {
	return r.help.get(func() *help.Service {
		st := r.Store
		return &help.Service{Store: st, People: st, Directory: st, Outbox: r.Outbox(), Hospitals: hospitals{r}, Now: r.Now}
	})
}

// Screening runs the street's screening lists and their tasks at the door;
// an overdue list texts whom an overdue help request would.
func (r *Root) Screening() *screening.Service {
	return r.screening.get(func() *screening.Service {
		return &screening.Service{Store: r.Store, Alarm: helpAlarm{r}, Watches: watchOpener{r}, Outbox: r.Outbox(), Now: r.Now}
	})
}

// Watch runs people under watch.
func (r *Root) Watch() *watch.Service {
	return r.watch.get(func() *watch.Service {
		return &watch.Service{Store: r.Store, Checks: r.Store, Transfers: r.Store, Carers: carers{r}, Outbox: r.Outbox(), Now: r.Now}
	})
}

// Gate is the community's gate: pass rules, passes, the checkpoint's log.
func (r *Root) Gate() *gate.Service {
	return r.gate.get(func() *gate.Service {
		return &gate.Service{Store: r.Store, Registry: r.Store, Posts: r.Store, Trips: r.Care(), Limiter: r.Store, Now: r.Now}
	})
}

// Care runs the vulnerable's care plans.
func (r *Root) Care() *care.Service {
	return r.care.get(func() *care.Service {
		return &care.Service{Store: r.Store, Helpers: helpers{r}, Dependants: dependants{r}, Outbox: r.Outbox(), Now: r.Now}
	})
}

// hospitals name the designated hospital of a medical help request, from
// the care plans and the street's list.
type hospitals struct{ r *Root }

func (h hospitals) HospitalFor(ctx context.Context, cid, rid, kind string) (help.Hospital, bool, error) {
	x, ok, err := h.r.Care().HospitalFor(ctx, cid, rid, kind)
	return help.Hospital{Name: x.Name, Phone: x.Phone}, ok, err
}

// dependants are those transfers left behind, for the care board: of
// each batch to quarantine whose people are not all back by its return
// trip.
type dependants struct{ r *Root }

func (d dependants) LeftBehind(ctx context.Context, cid string) ([]care.LeftBehind, error) {
	all, err := d.r.Store.Transfers(ctx, cid)
	if err != nil {
		return nil, err
	}
	back := map[string]bool{}
	for _, t := range all {
		if t.Leg == watch.LegBack && !t.Open() {
			back[t.ReturnOf] = true
		}
	}
	var out []care.LeftBehind
	for _, t := range all {
		if t.Leg != watch.LegOut || back[t.ID] {
			continue
		}
		for _, x := range t.LeftBehind {
			out = append(out, care.LeftBehind{ResidentID: x.ResidentID, Name: x.Name, Door: x.Door, Kind: x.Kind, Note: x.Note, HelpID: x.HelpID, TransferID: t.ID})
		}
	}
	return out, nil
}

// helpers raise the help requests care plans leave undone.
type helpers struct{ r *Root }

func (h helpers) Raise(ctx context.Context, p auth.Principal, residentID, kind, note string) (string, error) {
	req, err := h.r.Help().Raise(ctx, p, residentID, kind, note)
	if apperr.As(err).Code != help.ErrAlreadyOpen.Code {
		return req.ID, err
	}
	// One of its kind is open for the household: the need is added to it.
	open, err := h.r.Help().List(ctx, p, p.CommunityID)
	if err != nil {
		return "", err
	}
	for _, x := range open {
		if x.HouseholdID == registry.HouseholdOf(residentID) && x.Kind == kind && x.Status != help.StatusClosed {
			_, err := h.r.Help().Act(ctx, p, x.ID, note)
			return x.ID, err
		}
	}
	return "", help.ErrAlreadyOpen
}

// Note adds an action to an open request; a closed one stays as it is.
func (h helpers) Note(ctx context.Context, p auth.Principal, helpID, text string) error {
	_, err := h.r.Help().Act(ctx, p, helpID, text)
	if apperr.As(err).Code == help.ErrClosed.Code {
		return nil
	}
	return err
}

// Reserve runs the community's reserve for an emergency.
func (r *Root) Reserve() *reserve.Service {
	return r.reserve.get(func() *reserve.Service {
		return &reserve.Service{Store: r.Store, Now: r.Now}
	})
}

// Volunteers runs volunteering.
func (r *Root) Volunteers() *volunteers.Service {
	return r.volunteers.get(func() *volunteers.Service {
		st := r.Store
		return &volunteers.Service{Store: st, Loans: st, Trainings: st, Accounts: st, Directory: st, Limiter: st, Sites: st,
			Queue: r.queue(), Outbox: r.Outbox(), Deliveries: r.Supplies(), Now: r.Now}
	})
}

// Retention runs expiries, the retention report and people's requests.
func (r *Root) Retention() *retention.Service {
	return r.retention.get(func() *retention.Service {
		st := r.Store
		return &retention.Service{Store: st, People: st, Playbooks: st, Directory: st, Now: r.Now}
	})
}

// Playbook runs playbooks, the switch and drills.
func (r *Root) Playbook() *playbook.Service {
	return r.playbook.get(func() *playbook.Service {
		st := r.Store
		return &playbook.Service{Store: st, Directory: st, Communities: st, Templates: st, Audit: r.Audit(), Expiry: r.Retention(),
			Rounds: r.Booking(), Notices: r.Notices(), Activations: r.Volunteers(), Reserves: r.Reserve(), Now: r.Now}
	})
}

// Daily gathers the communities' daily reports and the street's sheet.
func (r *Root) Daily() *daily.Service {
	return r.daily.get(func() *daily.Service {
		return &daily.Service{Store: r.Store, Rounds: r.Booking(), Reserves: r.Reserve(), Gates: r.Gate(), Now: r.Now}
	})
}

// Flow acts on the SMS phones send (the keyword flows).
func (r *Root) Flow() *smsflow.Flow {
	return r.flow.get(func() *smsflow.Flow {
		st := r.Store
		return &smsflow.Flow{Accounts: st, Households: st, Menus: st, Limiter: st, Once: st,
			Bookings: r.Booking(), Temps: r.Notices(), Care: r.Care(), Supplies: r.Supplies(), Helps: r.Help(), Volunteers: r.Volunteers(), Passes: r.Gate(),
			Outbox: r.Outbox(), RepliesPerHour: r.Config.Limits.SMSRepliesPerHour, Now: r.Now}
	})
}

// Inbound takes replies and receipts from the providers.
func (r *Root) Inbound() *inbound.Handler {
	return r.inbound.get(func() *inbound.Handler {
		st := r.Store
		return &inbound.Handler{Receipts: st, OptOuts: st, Once: st, Keywords: dispatch.Forwarder{Queue: r.queue()}, Now: r.Now}
	})
}

// CallbackSecrets checks the secret of the SMS callback URLs.
func (r *Root) CallbackSecrets() *inbound.Secrets {
	return &inbound.Secrets{TTL: time.Minute, Load: r.param(manifest.SMSCallbackSecretParameter)}
}

// Texter sends single messages from the dispatch queue, at the pace of this
// function's share of the origination identity.
func (r *Root) Texter() *dispatch.Texter {
	return r.texter.get(func() *dispatch.Texter {
		rate := r.Config.SMS.PartsPerSecond / float64(max(r.Config.Consumer.MaxConcurrency, 1))
		return &dispatch.Texter{Sender: r.SMS(), Told: r.told(), Once: r.Store, OptOuts: r.Store, Pacer: dispatch.NewPacer(rate),
			Signature: r.Config.SMS.Signature}
	})
}

// Consumer reads the dispatch queue: notices' kinds, catalogue texts and
// the keyword flows.
func (r *Root) Consumer() *dispatch.Consumer {
	return r.consumer.get(func() *dispatch.Consumer {
		st := r.Store
		deliver := &notices.Deliverer{Store: st, Directory: st, Staff: st, Queue: r.queue(), Sender: r.SMS(), Texter: r.Texter()}
		handlers := deliver.Handlers()
		handlers[dispatch.KindTexts] = r.Texter().Texts
		handlers[dispatch.KindInbound] = dispatch.Inbound(r.Flow())
		handlers[dispatch.KindCalls] = r.Volunteers().Calls
		return &dispatch.Consumer{Handlers: handlers, MaxReceives: r.Config.Consumer.MaxReceives}
	})
}

// Outbox sends what committed changes left for the dispatch queue; the
// jobs sweep what it could not send at once.
func (r *Root) Outbox() *dispatch.Outbox {
	return r.outbox.get(func() *dispatch.Outbox { return &dispatch.Outbox{Queue: r.queue(), Store: r.Store} })
}

// Health answers the health check.
func (r *Root) Health() httpapi.Handlers {
	return health.Handlers(store.Pinger{DB: r.Store.DB, Table: r.Store.Table}, r.Ready)
}

// HTTPOptions are what every function's router is built with.
func (r *Root) HTTPOptions() httpapi.Options {
	return httpapi.Options{Logger: r.Log, Auth: r.Verifier(), Idempotency: r.Store, Audit: r.Audit()}
}

// Logger is r's log, for jobs.
func (r *Root) Logger() *slog.Logger { return r.Log }

// exit ends a cold start that cannot go on: the error is logged (masked,
// as JSON) and the process exits, which Lambda reports as an init error.
func exit(log *slog.Logger, function string, err error) {
	log.Error("cannot start", "function", function, "err", err)
	os.Exit(1)
}

// Local is a root on local parts, as the local runner and the tests build
// one: the table st, the in-process queue q, an SMS outbox (or any
// provider) out, the clock now, a developer machine's configuration.
func Local(st *store.Store, q dispatch.Queue, out sms.Provider, now func() time.Time) *Root {
	cfg, err := config.LoadLocal(func(string) string { return "" })
	if err != nil {
		panic(err) // the defaults themselves are wrong
	}
	cfg.Table = st.Table
	return New(cfg, Parts{Store: st, Queue: q, SMS: out, Now: now})
}

// roundFeed gives notices the feed entries of testing rounds.
type roundFeed struct{ rounds *booking.Service }

func (f roundFeed) FeedFor(ctx context.Context, communityID, householdID string) ([]notices.FeedItem, error) {
	buildingID := registry.BuildingOf(householdID)
	entries, err := f.rounds.FeedFor(ctx, communityID, householdID)
	out := make([]notices.FeedItem, 0, len(entries))
	for _, e := range entries {
		out = append(out, notices.FeedItem{Kind: e.Kind, Notice: notices.Notice{ID: e.ID, CommunityID: communityID, Title: e.Title, Body: e.Body,
			Urgent: e.Urgent, Channels: []string{"app"}, BuildingIDs: []string{buildingID}, CreatedAt: chinatime.In(e.At), CreatedBy: "system", Drill: e.Drill}})
	}
	return out, err
}

// watcher gives booking the notices' watch of a building, built when first
// asked: notices' feed reads booking in turn.
// doors are the readings staff took at watched doors, as the day's
// temperature list counts them.
type doors struct{ r *Root }

func (d doors) DoorReadings(ctx context.Context, cid, day string) ([]notices.Reading, error) {
	checks, err := d.r.Store.Checks(ctx, cid, day)
	var out []notices.Reading
	for _, c := range checks {
		if c.By != watch.ByStaff || !c.Reported() || c.At == nil {
			continue
		}
		out = append(out, notices.Reading{ResidentID: c.ResidentID, Celsius: c.Celsius, Peak: c.Celsius, At: *c.At,
			Fever: c.Celsius >= notices.FeverCelsius, Symptoms: c.Symptoms, Watched: true})
	}
	return out, err
}

type watcher struct{ r *Root }

func (w watcher) Watch(ctx context.Context, cid, buildingID string, households, residents []string) (map[string][]string, map[string]bool, error) {
	return w.r.Notices().Watch(ctx, cid, buildingID, households, residents)
}

// helpAlarm gives booking and screening the help desk's who-to-text of an
// overdue task, built when first asked.
type helpAlarm struct{ r *Root }

func (a helpAlarm) OnDutyPhones(ctx context.Context, cid string) ([]string, error) {
	return a.r.Help().OnDutyPhones(ctx, cid)
}

func (a helpAlarm) EveryonePhones(ctx context.Context, cid string) ([]string, error) {
	return a.r.Help().EveryonePhones(ctx, cid)
}

// carers raise the help requests of those a transfer leaves behind.
type carers struct{ r *Root }

// Raise makes the request; where the household has one of the kind open
// already, the need is added to it.
func (c carers) Raise(ctx context.Context, p auth.Principal, residentID, note string) (string, error) {
	return helpers(c).Raise(ctx, p, residentID, help.KindOther, note)
}

// watchOpener gives screening the watch a measure at the door opens.
type watchOpener struct{ r *Root }

func (o watchOpener) OpenWatch(ctx context.Context, p auth.Principal, cid string, residentIDs []string, kind, ref string) (string, error) {
	// The person at the door may be a volunteer the community sent: the
	// measure is the community's, opened in its name (the request's audit
	// entry says who).
	as := auth.Principal{UserID: p.UserID, Role: manifest.RoleStaff, CommunityID: cid}.Normalized()
	w, err := o.r.Watch().Open(ctx, as, cid, watch.Input{ResidentIDs: residentIDs, Kind: kind, Reason: "screening", Ref: ref})
	if !errors.Is(err, watch.ErrWatched) {
		return w.ID, err
	}
	// Under a watch already: of the same kind, the task names it; of
	// another, staff decide (ALREADY_WATCHED says so).
	all, lerr := o.r.Watch().Store.Watches(ctx, cid)
	if lerr != nil {
		return "", lerr
	}
	for _, x := range all {
		if x.Status == watch.StatusActive && x.Kind == kind && slices.Contains(x.ResidentIDs, residentIDs[0]) {
			return x.ID, nil
		}
	}
	return "", err
}
