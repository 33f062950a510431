package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

const (
	staffPhone   = "13900000001"
	unknownPhone = "13612345678"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	st     *store.Store
	signIn *auth.SignIn
	outbox *sms.Outbox
	clock  *clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "s", Phone: staffPhone, CommunityID: "c1"}, manifest.RoleStaff); err != nil {
		t.Fatal(err)
	}
	// 08:00 in Shanghai on a fixed day.
	c := &clock{t: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}
	priv, _, _ := auth.GenerateKey()
	keys, err := auth.StaticKeys(priv, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	out := &sms.Outbox{Signature: "防线", Now: c.Now}
	return &fixture{st: st, outbox: out, clock: c, signIn: &auth.SignIn{
		Accounts: st, Challenges: st, Sender: out, Keys: keys, Now: c.Now,
	}}
}

var codePattern = regexp.MustCompile(`验证码为(\d{6})`)

func (f *fixture) lastCode(t *testing.T, phone string) string {
	t.Helper()
	msgs := f.outbox.To(phone)
	if len(msgs) == 0 {
		t.Fatalf("no SMS to %s", phone)
	}
	m := codePattern.FindStringSubmatch(msgs[len(msgs)-1].Body)
	if m == nil {
		t.Fatalf("no code in %q", msgs[len(msgs)-1].Body)
	}
	return m[1]
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

func TestCodeSignsInOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.signIn.SendCode(ctx, staffPhone); err != nil {
		t.Fatal(err)
	}
	c := f.lastCode(t, staffPhone)
	if body := f.outbox.To(staffPhone)[0].Body; body[:len("【防线】")] != "【防线】" {
		t.Errorf("no signature: %q", body)
	}
	sess, err := f.signIn.Token(ctx, staffPhone, c)
	if err != nil {
		t.Fatal(err)
	}
	if sess.User.Role != manifest.RoleStaff || sess.User.CommunityID != "c1" || sess.Token == "" {
		t.Errorf("session %+v", sess)
	}
	iss, _ := f.signIn.Keys.Issuer(ctx)
	p, err := iss.Verify(sess.Token)
	if err != nil || p.UserID != "u-s" {
		t.Fatalf("token: %+v %v", p, err)
	}
	if _, err := f.signIn.Token(ctx, staffPhone, c); code(err) != "OTP_INVALID" {
		t.Fatalf("a code worked twice: %v", err)
	}
}

func TestCodeExpires(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_ = f.signIn.SendCode(ctx, staffPhone)
	c := f.lastCode(t, staffPhone)
	f.clock.Add(auth.CodeTTL + time.Second)
	if _, err := f.signIn.Token(ctx, staffPhone, c); code(err) != "OTP_INVALID" {
		t.Fatalf("an expired code: %v", err)
	}
}

func TestCodeLocksAfterFiveWrongTries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_ = f.signIn.SendCode(ctx, staffPhone)
	c := f.lastCode(t, staffPhone)
	wrong := "000000"
	if c == wrong {
		wrong = "111111"
	}
	// Guesses in parallel: each uses up an attempt before it is compared, so
	// no more than five are ever compared.
	var wg sync.WaitGroup
	codes := make(chan string, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.signIn.Token(ctx, staffPhone, wrong)
			codes <- code(err)
		}()
	}
	wg.Wait()
	close(codes)
	n := map[string]int{}
	for c := range codes {
		n[c]++
	}
	if n["OTP_INVALID"] != auth.MaxAttempts || n["OTP_LOCKED"] != 20-auth.MaxAttempts {
		t.Fatalf("outcomes %v", n)
	}
	if _, err := f.signIn.Token(ctx, staffPhone, c); code(err) != "OTP_LOCKED" {
		t.Fatalf("the right code after the lock: %v", err)
	}
	// A new code (after the resend interval) works again.
	f.clock.Add(auth.ResendInterval)
	if err := f.signIn.SendCode(ctx, staffPhone); err != nil {
		t.Fatal(err)
	}
	if _, err := f.signIn.Token(ctx, staffPhone, f.lastCode(t, staffPhone)); err != nil {
		t.Fatalf("a fresh code: %v", err)
	}
}

func TestSendLimits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.signIn.SendCode(ctx, staffPhone); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(30 * time.Second)
	if err := f.signIn.SendCode(ctx, staffPhone); code(err) != "OTP_RATE_LIMITED" {
		t.Fatalf("a second send within the minute: %v", err)
	}
	for i := 2; i <= auth.DailySends; i++ {
		f.clock.Add(auth.ResendInterval)
		if err := f.signIn.SendCode(ctx, staffPhone); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	f.clock.Add(auth.ResendInterval)
	if err := f.signIn.SendCode(ctx, staffPhone); code(err) != "OTP_RATE_LIMITED" {
		t.Fatalf("send %d in a day: %v", auth.DailySends+1, err)
	}
	if got := len(f.outbox.To(staffPhone)); got != auth.DailySends {
		t.Fatalf("%d SMS sent, want %d", got, auth.DailySends)
	}
	// The next day in Shanghai the count starts again.
	f.clock.Add(24 * time.Hour)
	if err := f.signIn.SendCode(ctx, staffPhone); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

func TestUnknownPhoneLooksTheSame(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.signIn.SendCode(ctx, unknownPhone); err != nil {
		t.Fatalf("unknown phone: %v", err)
	}
	if n := len(f.outbox.To(unknownPhone)); n != 0 {
		t.Fatalf("%d SMS to an unknown phone", n)
	}
	// The same limits apply, so a 429 does not tell known from unknown.
	if err := f.signIn.SendCode(ctx, unknownPhone); code(err) != "OTP_RATE_LIMITED" {
		t.Fatalf("second send to an unknown phone: %v", err)
	}
	if _, err := f.signIn.Token(ctx, unknownPhone, "123456"); code(err) != "OTP_INVALID" {
		t.Fatalf("token for an unknown phone: %v", err)
	}
}

// fakeWeChat answers jscode2session like WeChat does.
func fakeWeChat(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/sns/jscode2session" || q.Get("appid") != "wxapp" || q.Get("secret") != "s3cret" || q.Get("grant_type") != "authorization_code" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain") // WeChat labels its JSON so
		var body map[string]any
		switch q.Get("js_code") {
		case "good", "good2":
			body = map[string]any{"openid": "o-" + q.Get("js_code"), "session_key": "never-leaves", "unionid": "u"}
		case "used":
			body = map[string]any{"errcode": 40163, "errmsg": "code been used"}
		case "bad":
			body = map[string]any{"errcode": 40029, "errmsg": "invalid code"}
		case "risky":
			body = map[string]any{"errcode": 40226, "errmsg": "high risk user"}
		case "fast":
			body = map[string]any{"errcode": 45011, "errmsg": "api minute-quota reach limit"}
		case "busy":
			body = map[string]any{"errcode": -1, "errmsg": "system error"}
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWeChatSignIn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	srv := fakeWeChat(t)
	wx := &auth.WeChatSignIn{SignIn: f.signIn, Bindings: f.st,
		WeChat: auth.NewWeChatClient(auth.WeChatConfig{BaseURL: srv.URL, AppID: "wxapp", Secret: "s3cret"})}

	if _, err := wx.Token(ctx, "good", "", ""); code(err) != "WECHAT_NOT_BOUND" {
		t.Fatalf("first sign-in without a phone: %v", err)
	}
	_ = f.signIn.SendCode(ctx, staffPhone)
	if _, err := wx.Token(ctx, "good", staffPhone, "000000x"); code(err) != "OTP_INVALID" {
		t.Fatalf("binding with a wrong code: %v", err)
	}
	sess, err := wx.Token(ctx, "good", staffPhone, f.lastCode(t, staffPhone))
	if err != nil || sess.User.ID != "u-s" {
		t.Fatalf("binding: %+v %v", sess, err)
	}
	raw, _ := json.Marshal(sess)
	if regexp.MustCompile(`never-leaves|s3cret`).Match(raw) {
		t.Fatalf("the session key or app secret leaked: %s", raw)
	}
	// After binding, the code alone signs in.
	if sess, err := wx.Token(ctx, "good", "", ""); err != nil || sess.User.ID != "u-s" {
		t.Fatalf("bound sign-in: %+v %v", sess, err)
	}
	cases := map[string]string{
		"used": "WECHAT_CODE_INVALID", "bad": "WECHAT_CODE_INVALID", "risky": "WECHAT_USER_BLOCKED",
		"fast": "WECHAT_RATE_LIMITED", "busy": "WECHAT_UNAVAILABLE", "500": "WECHAT_UNAVAILABLE",
	}
	for wxCode, want := range cases {
		if _, err := wx.Token(ctx, wxCode, "", ""); code(err) != want {
			t.Errorf("%s: %v, want %s", wxCode, err, want)
		}
	}
	srv.Close()
	_, err = wx.Token(ctx, "good", "", "")
	if code(err) != "WECHAT_UNAVAILABLE" || regexp.MustCompile("s3cret").MatchString(err.Error()) {
		t.Fatalf("WeChat down: %v", err)
	}
	off := &auth.WeChatSignIn{SignIn: f.signIn, Bindings: f.st}
	if _, err := off.Token(ctx, "good", "", ""); !errors.Is(err, auth.ErrWeChatOff) {
		t.Fatalf("unconfigured: %v", err)
	}
}
