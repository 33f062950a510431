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
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/docsasset"
	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/health"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/inbound"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/openapi"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/retention"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/smsflow"
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
	go remindDaily(queues, d.notices, log)
	go escalateEveryMinute(queues, d, log)

	var samples []string
	if !c.NoSeed {
		start := time.Now()
		report, s, err := demo.Seed(ctx, st, time.Now())
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

// deps are what the functions' handlers need, built once for all of them.
type deps struct {
	store    *store.Store
	ready    health.ReadyFunc
	issuer   *auth.Issuer
	verifier *auth.Verifier
	outbox   *sms.Outbox
	// redoc is the reference page's renderer, fetched on first start.
	redoc      string
	signIn     *auth.SignIn
	wechat     *auth.WeChatSignIn
	registry   *registry.API
	booking    *booking.Service
	notices    *notices.Service
	inbound    *inbound.Handler
	supplies   *supplies.Service
	help       *help.Service
	volunteers *volunteers.Service
	playbook   *playbook.Service
	retention  *retention.Service
	usage      *usage
	audit      *audit.Recorder
	// callbacks checks the secret of the SMS callback URLs.
	callbacks *inbound.Secrets
	// dispatch and its queue stand in for SQS and the dispatch Lambda.
	queue    *queue.Local
	dispatch *notices.Dispatcher
}

// localStage names the tokens' audience on a developer machine.
const localStage = "local"

func newDeps(ctx context.Context, st *store.Store, c config) (*deps, error) {
	// A fresh signing key each run, published in the table the way the
	// operator publishes the deployment's; the keys of earlier runs are
	// retired, so their tokens are void.
	privatePEM, _, err := auth.GenerateKey()
	if err != nil {
		return nil, err
	}
	keys, err := auth.StaticKeys(privatePEM, auth.Audience(localStage), time.Now)
	if err != nil {
		return nil, err
	}
	issuer, _ := keys.Issuer(ctx)
	if err := publishOnly(ctx, st, issuer.PublicKey()); err != nil {
		return nil, err
	}
	signature := envOr("SMS_SIGNATURE", "防线")
	if err := sms.CheckSignature(signature); err != nil {
		return nil, err
	}
	limits, err := auth.LimitsFromEnv()
	if err != nil {
		return nil, err
	}
	outbox := &sms.Outbox{Signature: signature, Now: time.Now}
	// Every sender is under the drill guard, as provider.FromEnv builds it
	// in the stack: a drill's messages go to its drill outbox, not here.
	sender := drill.Guarded(outbox, st, signature)
	// What staff's actions cause goes out as the stack sends it: not to a
	// phone that opted out, a daily share per phone.
	guarded := sms.Guarded{Sender: sender, OptOuts: st, Limiter: st, PerPhonePerDay: sms.PerPhonePerDay, Now: time.Now}
	if c.CallbackSecret == "" {
		c.CallbackSecret = localCallbackSecret
	}
	if _, err := inbound.ParseSecrets([]byte(c.CallbackSecret)); err != nil {
		return nil, fmt.Errorf("SMS_CALLBACK_SECRET: %w", err)
	}
	redoc, err := docsasset.Path()
	if err != nil {
		// The API works without its reference page: /v1/docs says so.
		fmt.Fprintln(os.Stderr, "local: the API reference page is off:", err)
	}
	// Like the stack's dispatch queue: 5 receives, then the dead letters.
	q := queue.NewLocal(5, 10, 2*time.Second)
	signIn := &auth.SignIn{Accounts: st, Challenges: st, Limiter: st, Limits: limits, Sender: sender, Keys: keys, Now: time.Now}
	var wx auth.OpenIDExchanger
	if client := auth.NewWeChatClient(c.WeChat); client != nil {
		wx = client
	}
	d := &deps{
		store: st, issuer: issuer, outbox: outbox, signIn: signIn, redoc: redoc,
		verifier: auth.NewVerifier(auth.Audience(localStage), st, time.Now),
		wechat:   &auth.WeChatSignIn{SignIn: signIn, WeChat: wx, Bindings: st},
		registry: &registry.API{Dir: st, Importer: &registry.Importer{Store: st, Now: time.Now}, Now: time.Now},
		notices:  &notices.Service{Store: st, Readings: st, Directory: st, Queue: q, Now: time.Now, Signature: signature, Drills: st},
		inbound:  &inbound.Handler{Receipts: st, OptOuts: st, Once: st, Keywords: notices.InboundQueue{Queue: q}, Now: time.Now},
		supplies: &supplies.Service{Store: st, Directory: st, Accounts: st, SMS: guarded, Now: time.Now},
		help:     &help.Service{Store: st, People: st, Directory: st, Once: st, SMS: sender, OptOuts: st, Now: time.Now},
		volunteers: &volunteers.Service{Store: st, Accounts: st, Directory: st, Limiter: st, Phones: signIn, Queue: q, SMS: guarded,
			Now: time.Now},
		callbacks: &inbound.Secrets{Load: func(context.Context) ([]byte, error) { return []byte(c.CallbackSecret), nil }},
		queue:     q,
		dispatch: &notices.Dispatcher{Store: st, Directory: st, Staff: st, Once: st, Queue: q, Sender: sender, Signature: signature,
			Pacer: notices.NewPacer(smsRate()), MaxReceives: q.MaxReceives},
		booking: &booking.Service{Store: st, Directory: st, Idempotency: st, Plans: st, Sites: st, SMS: guarded, Now: time.Now, Drills: st, Queue: q},
		audit:   &audit.Recorder{Store: st, Streets: st, Now: time.Now},
		usage:   newUsage(),
	}
	d.retention = &retention.Service{Store: st, People: st, Playbooks: st, Directory: st, Now: time.Now}
	d.playbook = &playbook.Service{Store: st, Directory: st, Audit: d.audit, Expiry: d.retention, Now: time.Now,
		Rounds: d.booking, Notices: d.notices, Activations: d.volunteers}
	// The keyword flows run where the cloud runs them: on the dispatch queue.
	d.dispatch.Inbound = &smsflow.Flow{Accounts: st, Households: st, Menus: st, Bookings: d.booking, Temps: d.notices, Supplies: d.supplies,
		Helps: d.help, Volunteers: d.volunteers, Queue: q, Limiter: st, Once: st, RepliesPerHour: repliesPerHour(), Now: time.Now}
	return d, nil
}

// repliesPerHour is SMS_REPLIES_PER_HOUR, or the default.
func repliesPerHour() int {
	if n, err := strconv.Atoi(os.Getenv("SMS_REPLIES_PER_HOUR")); err == nil && n > 0 {
		return n
	}
	return smsflow.DefaultRepliesPerHour
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

// functionHandlers wires each function the way its functions/<name>/main.go does.
func functionHandlers(name string, d *deps) (httpapi.Handlers, error) {
	switch name {
	case "system":
		return httpapi.Merge(health.Handlers(store.Pinger{DB: d.store.DB, Table: d.store.Table}, d.ready), openapi.Handlers(d.redoc)), nil
	case "auth":
		return httpapi.Merge(auth.Handlers(d.signIn, d.wechat), d.volunteers.SignupHandlers()), nil
	case "registry":
		return httpapi.Merge(d.registry.Handlers(), d.audit.Handlers()), nil
	case "booking":
		return d.booking.Handlers(), nil
	case "notices":
		return d.notices.Handlers(), nil
	case "inbound":
		return d.inbound.TencentCallbacks(d.callbacks), nil
	case "supplies":
		return httpapi.Merge(d.supplies.Handlers(), d.help.Handlers()), nil
	case "volunteers":
		return d.volunteers.Handlers(), nil
	case "playbooks":
		return httpapi.Merge(d.playbook.Handlers(), d.retention.Handlers()), nil
	case "dispatch", "reminders", "smsevents", "escalations":
		return httpapi.Handlers{}, nil // event consumers: see run
	}
	return nil, fmt.Errorf("function %q of the manifest is not wired in cmd/local", name)
}

// devRoutes exist only on a developer machine.
var devRoutes = []manifest.Route{
	{Method: "GET", Path: "/dev/sms", Op: "devSms", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/sms", Op: "devSmsInbound", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/temperature-reminders", Op: "devReminders", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/help-escalations", Op: "devEscalations", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/activation-backups", Op: "devBackups", Access: manifest.Anyone},
	{Method: "POST", Path: "/dev/jobs/data-expiry", Op: "devExpiry", Access: manifest.Anyone},
	{Method: "GET", Path: "/dev/stats", Op: "devStats", Access: manifest.Anyone},
}

// newHandler serves every function's routes, as API Gateway would, plus the
// developer routes.
func newHandler(d *deps, log *slog.Logger) (http.Handler, error) {
	handlers := httpapi.Handlers{}
	for _, fn := range manifest.Functions {
		h, err := functionHandlers(fn.Name, d)
		if err != nil {
			return nil, err
		}
		handlers = httpapi.Merge(handlers, d.usage.counted(fn.Name, h))
	}
	opts := httpapi.Options{Logger: log, Auth: d.verifier, Idempotency: d.store, Audit: d.audit}
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
	return observe(both), nil
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
func remindDaily(ctx context.Context, svc *notices.Service, log *slog.Logger) {
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
				if n, err := svc.Remind(ctx); err != nil {
					log.Warn("temperature reminders", "err", err)
				} else {
					log.Info("temperature reminders queued", "count", n)
				}
			}
		}
	}
}

// escalateEveryMinute is the local stand-in for the escalations schedule:
// help escalations, activation backups and personal data's expiry.
func escalateEveryMinute(ctx context.Context, d *deps, log *slog.Logger) {
	svc, vols := d.help, d.volunteers
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			d.usage.invoked("escalations")
			if n, err := svc.Escalate(ctx, now); err != nil {
				log.Warn("help escalations", "err", err)
			} else if n > 0 {
				log.Info("help requests escalated", "count", n)
			}
			if called, unfilled, err := vols.Backups(ctx, now); err != nil {
				log.Warn("activation backups", "err", err)
			} else if called+unfilled > 0 {
				log.Info("activation backups", "called", called, "unfilled", unfilled)
			}
			if marked, err := d.retention.Continue(ctx, retention.Budget); err != nil {
				log.Warn("personal data expiry", "err", err)
			} else if marked > 0 {
				log.Info("personal data marked for expiry", "items", marked)
			}
		}
	}
}

// smsRate is the pace of the local dispatcher in SMS parts per second: the
// cloud's default origination identity sends about 10.
func smsRate() float64 {
	if r, err := strconv.ParseFloat(os.Getenv("SMS_PARTS_PER_SECOND"), 64); err == nil && r > 0 {
		return r
	}
	return 200 // locally nothing is sent, so the demo need not wait
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

The API reference: %s/v1/docs (the document: %s/v1/openapi.json)
Ctrl-C stops everything.
`, base, endpoint, c.Table, storage, len(manifest.Functions), len(manifest.Routes(manifest.Functions)), base,
		demo.CommunityID, demo.StreetID, demo.AdminPhone, demo.StaffPhone, strings.Join(samples, ", "),
		base, demo.StaffPhone, base, demo.StaffPhone, base, demo.StaffPhone, base, demo.CommunityID, base, c.CallbackSecret, base, base)
}
