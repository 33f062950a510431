// Command local runs the whole Fangxian stack on one machine: DynamoDB Local
// (unless DYNAMODB_ENDPOINT names a running one), the table built from the
// same definition as the CDK stack, every HTTP function of the manifest on
// http://localhost:8080 (PORT changes it), and the demo community. `make run`
// starts it; Ctrl-C stops everything it started.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/fangxian/fangxian/internal/console"
	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/docsasset"
	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/chinatime"
	appconfig "github.com/fangxian/fangxian/shared/config"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/health"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/inbound"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/retention"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, configFromEnv(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

type config struct {
	Addr     string
	Table    string
	Endpoint string // empty: start DynamoDB Local
	DataDir  string // empty: in memory
	NoSeed   bool
	LogLevel slog.Level
	WeChat   auth.WeChatConfig
	// CallbackSecret is the secret in the local SMS callback URLs.
	CallbackSecret string
	// ConsoleRoot is the repository whose console/ is built and served
	// under /console/ ("": no console).
	ConsoleRoot string
}

// localCallbackSecret is the local callback URLs' secret unless
// SMS_CALLBACK_SECRET sets one: fixed, so that the README's examples run as
// they are (the server listens on 127.0.0.1 only).
const localCallbackSecret = "local-callback-secret-change-me-in-the-cloud"

func configFromEnv() config {
	c := config{
		Addr:     "127.0.0.1:" + envOr("PORT", "8080"),
		Table:    envOr("TABLE_NAME", "fangxian-local"),
		Endpoint: os.Getenv("DYNAMODB_ENDPOINT"),
		DataDir:  os.Getenv("FANGXIAN_DATA_DIR"),
		NoSeed:   os.Getenv("FANGXIAN_NO_SEED") != "",
		LogLevel: slog.LevelWarn,
		WeChat: auth.WeChatConfig{
			BaseURL: os.Getenv("WECHAT_BASE_URL"), AppID: os.Getenv("WECHAT_APP_ID"), Secret: os.Getenv("WECHAT_APP_SECRET"),
		},
		CallbackSecret: envOr("SMS_CALLBACK_SECRET", localCallbackSecret),
		ConsoleRoot:    ".",
	}
	_ = c.LogLevel.UnmarshalText([]byte(os.Getenv("LOG_LEVEL")))
	return c
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// run serves until ctx ends, then stops what it started.
func run(ctx context.Context, c config, out io.Writer) error {
	log := logging.New(os.Stderr, c.LogLevel)
	// Take the port first: a busy port should fail before a JVM starts.
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set PORT to use another port)", c.Addr, err)
	}
	defer ln.Close()
	endpoint := c.Endpoint
	if endpoint == "" {
		fmt.Fprintln(out, "starting DynamoDB Local …")
		srv, err := dynamolocal.Start(ctx, dynamolocal.Options{DataDir: c.DataDir})
		if err != nil {
			return err
		}
		defer func() {
			srv.Stop()
			fmt.Fprintln(out, "DynamoDB Local stopped")
		}()
		endpoint = srv.Endpoint
	}
	db := store.NewClient(store.Config{TableName: c.Table, Endpoint: endpoint})
	if err := store.CreateTable(ctx, db, c.Table); err != nil {
		return err
	}
	// Every request is counted, for GET /dev/stats (what the work would
	// cost in the cloud).
	u := newUsage()
	st := &store.Store{DB: countingDB{DB: db, u: u}, Table: c.Table}

	d, err := newDeps(ctx, st, c)
	if err != nil {
		return err
	}
	d.usage = u
	var seeded atomic.Bool
	d.ready = func() error {
		if !seeded.Load() {
			return errors.New("the demo community is still being seeded")
		}
		return nil
	}
	d.console = localConsole(ctx, c.ConsoleRoot, out)
	handler, err := newHandler(d, log)
	if err != nil {
		return err
	}

	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()
	base := "http://" + strings.Replace(ln.Addr().String(), "127.0.0.1", "localhost", 1)
	fmt.Fprintf(out, "serving on %s; /v1/health answers 503 until the demo community is in\n", base)

	queues, stopQueues := context.WithCancel(context.Background())
	defer stopQueues()
	go d.queue.Run(queues, func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		d.usage.invoked("dispatch") // a batch is one invocation
		return d.dispatch.Handle(ctx, ev)
	})
	go remindDaily(queues, d)
	go everyMinute(queues, d)

	var samples []string
	if !c.NoSeed {
		start := time.Now()
		report, s, err := demo.Seed(ctx, d.root, time.Now())
		if err != nil {
			_ = server.Close()
			return fmt.Errorf("seed the demo community: %w", err)
		}
		samples = s
		fmt.Fprintf(out, "demo community seeded in %.1fs: %d buildings, %d households, %d residents imported\n",
			time.Since(start).Seconds(), report.Buildings.Created+report.Buildings.Updated+report.Buildings.Unchanged,
			report.Households.Created+report.Households.Updated+report.Households.Unchanged, report.Imported)
	}
	seeded.Store(true)
	printBanner(out, base, endpoint, c, samples)

	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	fmt.Fprintln(out, "\nstopping …")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return server.Shutdown(shutdown)
}

// deps are the local runner's root and the local parts it is built on.
type deps struct {
	root  *app.Root
	store *store.Store
	// ready is consulted by the health check: 503 while the demo seeds.
	ready    health.ReadyFunc
	issuer   *auth.Issuer
	verifier *auth.Verifier
	outbox   *sms.Outbox
	usage    *usage
	// queue stands in for SQS; the root's consumer for the dispatch Lambda.
	queue *queue.Local
	// The root's services the tests and the developer routes reach.
	booking    *booking.Service
	notices    *notices.Service
	help       *help.Service
	supplies   *supplies.Service
	volunteers *volunteers.Service
	playbook   *playbook.Service
	retention  *retention.Service
	inbound    *inbound.Handler
	dispatch   *dispatch.Consumer
	// console serves the office console's build under /console/ (nil:
	// not served).
	console http.Handler
}

// localConsole builds the console when its sources changed (make run from
// the repository) and serves it; a build that fails is said, and the API
// runs on without it.
func localConsole(ctx context.Context, root string, out io.Writer) http.Handler {
	if root == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(root, "console", "package.json")); err != nil {
		return nil // not run from the repository: no console to build
	}
	dist, err := console.Build(ctx, root, out)
	if err != nil {
		fmt.Fprintf(out, "the console was not built (%v): the API runs without it\n", err)
		msg := "the console was not built: " + err.Error()
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, msg, http.StatusServiceUnavailable)
		})
	}
	return console.Handler(dist)
}

// newDeps builds the local root: the same builder as every Lambda, on local
// parts (DynamoDB Local, the in-process queue, the SMS outbox, the
// parameters held in memory).
func newDeps(ctx context.Context, st *store.Store, c config) (*deps, error) {
	cfg, err := appconfig.LoadLocal(os.Getenv)
	if err != nil {
		return nil, err
	}
	cfg.Table = st.Table
	if c.WeChat.AppID != "" {
		cfg.WeChat.AppID, cfg.WeChat.BaseURL = c.WeChat.AppID, c.WeChat.BaseURL
	}
	if c.CallbackSecret == "" {
		c.CallbackSecret = localCallbackSecret
	}
	if _, err := inbound.ParseSecrets([]byte(c.CallbackSecret)); err != nil {
		return nil, fmt.Errorf("SMS_CALLBACK_SECRET: %w", err)
	}
	// A fresh signing key each run, published in the table the way the
	// operator publishes the deployment's; the keys of earlier runs are
	// retired, so their tokens are void.
	privatePEM, _, err := auth.GenerateKey()
	if err != nil {
		return nil, err
	}
	keys, err := auth.StaticKeys(privatePEM, auth.Audience(cfg.Stage), time.Now)
	if err != nil {
		return nil, err
	}
	issuer, _ := keys.Issuer(ctx)
	if err := publishOnly(ctx, st, issuer.PublicKey()); err != nil {
		return nil, err
	}
	params := secrets.Static{
		cfg.Parameters[manifest.JWTPrivateKeyParameter]:     privatePEM,
		cfg.Parameters[manifest.SMSCallbackSecretParameter]: []byte(c.CallbackSecret),
	}
	if c.WeChat.Secret != "" {
		params[cfg.Parameters[manifest.WeChatSecretParameter]] = []byte(c.WeChat.Secret)
	}
	redoc, err := docsasset.Path()
	if err != nil {
		// The API works without its reference page: /v1/docs says so.
		fmt.Fprintln(os.Stderr, "local: the API reference page is off:", err)
	}
	d := &deps{store: st, issuer: issuer, usage: newUsage(),
		outbox: &sms.Outbox{Signature: cfg.SMS.Signature, Now: time.Now},
		// Like the stack's dispatch queue: 5 receives, then the dead letters.
		queue: queue.NewLocal(cfg.Consumer.MaxReceives, 10, 2*time.Second)}
	d.root = app.New(cfg, app.Parts{Store: st, Queue: d.queue, SMS: d.outbox, Params: params, Now: time.Now,
		Log: logging.New(os.Stderr, c.LogLevel), DocsScript: redoc, Ready: func() error {
			if d.ready == nil {
				return nil
			}
			return d.ready()
		}})
	r := d.root
	d.verifier, d.booking, d.notices, d.help, d.supplies = r.Verifier(), r.Booking(), r.Notices(), r.Help(), r.Supplies()
	d.volunteers, d.playbook, d.retention, d.inbound, d.dispatch = r.Volunteers(), r.Playbook(), r.Retention(), r.Inbound(), r.Consumer()
	return d, nil
}

// publishOnly makes k the only published signing key.
func publishOnly(ctx context.Context, st *store.Store, k auth.PublicKey) error {
	state, err := st.TokenState(ctx)
	if err != nil {
		return err
	}
	if err := st.PublishSigningKey(ctx, k); err != nil {
		return err
	}
	for _, old := range state.Keys {
		if old.ID != k.ID {
			if err := st.RetireSigningKey(ctx, old.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// functionHandlers are what each function serves, from the root: the
// same handlers its Lambda serves. Event consumers serve no routes: run
// drives them.
func functionHandlers(fn manifest.Function, d *deps) (httpapi.Handlers, error) {
	if len(fn.Routes) == 0 {
		return httpapi.Handlers{}, nil
	}
	f := app.Functions()[fn.Name]
	if f.HTTP == nil {
		return nil, fmt.Errorf("function %q of the manifest serves no HTTP handlers in package app", fn.Name)
	}
	return f.HTTP(d.root), nil
}

// devRoutes exist only on a developer machine.
var devRoutes = []manifest.Route{
	{Method: "GET", Path: "/dev/sms", Op: "devSms", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/sms", Op: "devSmsInbound", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/temperature-reminders", Op: "devReminders", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/help-escalations", Op: "devEscalations", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/every-minute", Op: "devMinute", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/activation-backups", Op: "devBackups", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/missed-checks", Op: "devMissedChecks", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/care", Op: "devCare", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/data-expiry", Op: "devExpiry", Access: manifest.Anyone},
	{Method: "GET", Path: "/dev/stats", Op: "devStats", Access: manifest.Anyone},
}

// newHandler serves every function's routes, as API Gateway would, plus the
// developer routes.
func newHandler(d *deps, log *slog.Logger) (http.Handler, error) {
	handlers := httpapi.Handlers{}
	for _, fn := range manifest.Functions {
		h, err := functionHandlers(fn, d)
		if err != nil {
			return nil, err
		}
		handlers = httpapi.Merge(handlers, d.usage.counted(fn.Name, h))
	}
	opts := d.root.HTTPOptions()
	opts.Logger = log
	api, err := httpapi.NewRouter(manifest.Routes(manifest.Functions), handlers, opts)
	if err != nil {
		return nil, err
	}
	dev, err := httpapi.NewRouter(devRoutes, httpapi.Handlers{
		"devSms": d.outbox.DevHandler(),
		// An SMS from a phone, delivered as AWS End User Messaging's two-way
		// topic would: the same SNS event, to the same handler.
		"devSmsInbound": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			var in struct {
				From string `json:"from"`
				Body string `json:"body"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return err
			}
			ev, err := inbound.LocalSNSEvent(in.From, in.Body, time.Now())
			if err != nil {
				return err
			}
			if err := d.inbound.HandleAWS(r.Context(), ev); err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
			return nil
		}),
		// Runs the scheduled job now, as its EventBridge rule would.
		"devReminders": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			n, err := d.notices.Remind(r.Context())
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]int{"queued": n})
			return nil
		}),
		// Runs the escalation job now, or as if at ?at= (RFC 3339), as its
		// EventBridge schedule would every minute.
		// Runs the jobs function's minute now, or as if at ?at= (RFC 3339):
		// help requests, traces and screening lists escalated, backups
		// called, expiry marked, the outbox swept.
		"devMinute": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			at, err := devTime(r)
			if err != nil {
				return err
			}
			m, err := d.root.EveryMinute(r.Context(), at)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, m)
			return nil
		}),
		"devEscalations": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			at, err := devTime(r)
			if err != nil {
				return err
			}
			n, err := d.help.Escalate(r.Context(), at)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]int{"escalated": n})
			return nil
		}),
		// Runs the backup job now, or as if at ?at= (RFC 3339), as the same
		// schedule would every minute.
		// The watches' windows closed by at marked missed, alone: the
		// replayed day closes the evening without the minute's other jobs.
		"devMissedChecks": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			at, err := devTime(r)
			if err != nil {
				return err
			}
			n, err := d.root.Watch().MarkMissed(r.Context(), at)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]int{"checksMissed": n})
			return nil
		}),
		// The care plans' jobs alone, as of at: asks, unanswered checks,
		// tomorrow's trips without a car.
		"devCare": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			at, err := devTime(r)
			if err != nil {
				return err
			}
			m, err := d.root.Care().Run(r.Context(), at)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]int{"careAsked": m.Asked, "careUnanswered": m.Unanswered, "careNoCar": m.NoCar})
			return nil
		}),
		"devBackups": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			at, err := devTime(r)
			if err != nil {
				return err
			}
			called, unfilled, err := d.volunteers.Backups(r.Context(), at)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]int{"backupsCalled": called, "unfilled": unfilled})
			return nil
		}),
		"devStats": d.usage.handler(),
		"devExpiry": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			marked, err := d.retention.Continue(r.Context(), retention.Budget)
			if err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusOK, map[string]int{"marked": marked})
			return nil
		}),
	}, opts)
	if err != nil {
		return nil, err
	}
	// By prefix, not with a ServeMux: one would clean and redirect paths
	// before the API's router sees them, which API Gateway does not.
	both := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/dev/") {
			dev.ServeHTTP(w, r)
			return
		}

		api.ServeHTTP(w, r)
	})
	observed := observe(both)
	if d.console == nil {
		return observed, nil
	}
	// The console's files are not the API's: the contract check does not
	// see them.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, console.Prefix) {
			d.console.ServeHTTP(w, r)
			return
		}
		observed.ServeHTTP(w, r)
	}), nil
}

// devTime is a job's ?at= (RFC 3339), or now.
func devTime(r *http.Request) (time.Time, error) {
	raw := r.URL.Query().Get("at")
	if raw == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, apperr.Validation.WithFields(apperr.FieldError{Field: "at", Reason: "RFC 3339 time"})
	}
	return t, nil
}

// observe is where the tests put the contract check (internal/contract)
// around every request they send.
var observe = func(h http.Handler) http.Handler { return h }

// remindDaily is the local stand-in for the reminders schedule: once a day
// at 10:00 Beijing time, as the stack's cron(0 2 * * ? *).
func remindDaily(ctx context.Context, d *deps) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			bj := now.In(chinatime.Zone)
			if day := bj.Format("2006-01-02"); bj.Hour() == 10 && day != last {
				last = day
				_, _ = d.root.Remind(ctx)
			}
		}
	}
}

// everyMinute is the local stand-in for the jobs function's schedule.
func everyMinute(ctx context.Context, d *deps) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			d.usage.invoked("jobs")
			_, _ = d.root.EveryMinute(ctx, now)
		}
	}
}

func printBanner(out io.Writer, base, endpoint string, c config, samples []string) {
	storage := "in memory (gone when this stops; set FANGXIAN_DATA_DIR to keep it)"
	if c.DataDir != "" {
		storage = "kept in " + c.DataDir
	}
	fmt.Fprintf(out, `
Fangxian is running on %s
  DynamoDB   %s, table %s, %s
  functions  %d, routes %d; SMS go to the outbox at %s/dev/sms?to=PHONE

Demo community %q (street %q):
  street admin  %s
  staff         %s
  residents     %s

Sign in (the code is in the outbox; CODE and TOKEN are placeholders):
  curl -H 'Content-Type: application/json' -X POST %s/v1/auth/otp -d '{"phone":"%s"}'
  curl '%s/dev/sms?to=%s'
  curl -H 'Content-Type: application/json' -X POST %s/v1/auth/token -d '{"phone":"%s","code":"CODE"}'
  curl -H "Authorization: Bearer TOKEN" %s/v1/communities/%s/buildings

SMS callbacks, as Tencent Cloud would post them (ids from the outbox):
  %s/v1/sms/callbacks/%s/receipts and …/replies

The office console: %s/console/ (staff %s; the field page for phones: %s/console/#/field/checkin)
The API reference: %s/v1/docs (the document: %s/v1/openapi.json)
Ctrl-C stops everything.
`, base, endpoint, c.Table, storage, len(manifest.Functions), len(manifest.Routes(manifest.Functions)), base,
		demo.CommunityID, demo.StreetID, demo.AdminPhone, demo.StaffPhone, strings.Join(samples, ", "),
		base, demo.StaffPhone, base, demo.StaffPhone, base, demo.StaffPhone, base, demo.CommunityID, base, c.CallbackSecret,
		base, demo.StaffPhone, base, base, base)
}
