package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
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

const ip = "198.51.100.7"

func newFixture(t *testing.T, limits auth.Limits) *fixture {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "s", Phone: staffPhone, CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	// 08:00 in Shanghai on a fixed day.
	c := &clock{t: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)}
	priv, _, _ := auth.GenerateKey()
	keys, err := auth.StaticKeys(priv, "fangxian-test", c.Now)
	if err != nil {
		t.Fatal(err)
	}
	out := &sms.Outbox{Signature: "防线", Now: c.Now}
	return &fixture{st: st, outbox: out, clock: c, signIn: &auth.SignIn{
		Accounts: st, Challenges: st, Limiter: st, Limits: limits, Sender: out, Keys: keys, Links: st, Streets: st, Apps: st, Now: c.Now,
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

// wait is what a refusal tells the client to wait, in seconds.
func wait(err error) int {
	if err == nil {
		return 0
	}
	return apperr.As(err).RetryAfterSeconds()
}

func TestCodeSignsInOnce(t *testing.T) {
	f := newFixture(t, auth.Limits{})
	ctx := context.Background()
	if err := f.signIn.SendCode(ctx, staffPhone, ip); err != nil {
		t.Fatal(err)
	}
	c := f.lastCode(t, staffPhone)
	sent := f.outbox.To(staffPhone)[0]
	if !strings.HasPrefix(sent.Body, "【防线】") || sent.Template != "signin_code" || sent.Params["code"] != c {
		t.Errorf("the SMS: %+v", sent)
	}
	sess, err := f.signIn.Token(ctx, staffPhone, c, ip)
	if err != nil {
		t.Fatal(err)
	}
	if sess.User.Role != manifest.RoleStaff || sess.User.CommunityID != "c1" || sess.Token == "" {
		t.Errorf("session %+v", sess)
	}
	if _, off := sess.ExpiresAt.Zone(); off != 8*3600 {
		t.Errorf("expiresAt %v is not in Beijing time", sess.ExpiresAt)
	}
	if _, err := f.signIn.Token(ctx, staffPhone, c, ip); code(err) != "OTP_INVALID" {
		t.Fatalf("a code worked twice: %v", err)
	}
}

// TestAResidentsSignInMarksTheHouseholdAsUsingTheApp: a resident's
// session is kept on their household (a published plan reaches it in the
// app, not by SMS); a staff member's is not anyone's.
func TestAResidentsSignInMarksTheHouseholdAsUsingTheApp(t *testing.T) {
	f := newFixture(t, auth.Limits{})
	ctx := context.Background()
	if _, err := (&registry.Importer{Store: f.st, Now: f.clock.Now}).Import(ctx, "c1", []byte("building,unit,room,name,phone\n1号楼,1,101,户主,13712345678\n1号楼,1,102,邻居,13712345679\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.signIn.SendCode(ctx, "13712345678", ip); err != nil {
		t.Fatal(err)
	}
	sess, err := f.signIn.Token(ctx, "13712345678", f.lastCode(t, "13712345678"), ip)
	if err != nil {
		t.Fatal(err)
	}
	buildings, _, err := f.st.Buildings(ctx, "c1", "", 10)
	if err != nil || len(buildings) != 1 {
		t.Fatalf("buildings %v %v", buildings, err)
	}
	hs, err := f.st.BuildingHouseholds(ctx, buildings[0].ID)
	if err != nil || len(hs) != 2 {
		t.Fatalf("households %+v %v", hs, err)
	}
	for _, h := range hs {
		signedIn := h.ID == sess.User.HouseholdID
		if signedIn != h.AppAt.Equal(f.clock.Now()) || !signedIn && !h.AppAt.IsZero() {
			t.Errorf("household %s (signed in: %v) app at %v", h.ID, signedIn, h.AppAt)
		}
	}
}

func TestCodeExpires(t *testing.T) {
	f := newFixture(t, auth.Limits{})
	ctx := context.Background()
	_ = f.signIn.SendCode(ctx, staffPhone, ip)
	c := f.lastCode(t, staffPhone)
	f.clock.Add(auth.CodeTTL + time.Second)
	if _, err := f.signIn.Token(ctx, staffPhone, c, ip); code(err) != "OTP_INVALID" {
		t.Fatalf("an expired code: %v", err)
	}
}

func TestCodeLocksAfterFiveWrongTries(t *testing.T) {
	f := newFixture(t, auth.Limits{TokenFailuresPerIPPerHour: 1000})
	ctx := context.Background()
	_ = f.signIn.SendCode(ctx, staffPhone, ip)
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
			_, err := f.signIn.Token(ctx, staffPhone, wrong, ip)
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
	_, err := f.signIn.Token(ctx, staffPhone, c, ip)
	if code(err) != "OTP_LOCKED" {
		t.Fatalf("the right code after the lock: %v", err)
	}
	// The answer says when a new code may be asked for, truthfully.
	if got := wait(err); got != int(auth.ResendInterval.Seconds()) {
		t.Errorf("Retry-After %d s, want %v", got, auth.ResendInterval)
	}
	f.clock.Add(time.Duration(wait(err)) * time.Second)
	if err := f.signIn.SendCode(ctx, staffPhone, ip); err != nil {
		t.Fatal(err)
	}
	if _, err := f.signIn.Token(ctx, staffPhone, f.lastCode(t, staffPhone), ip); err != nil {
		t.Fatalf("a fresh code: %v", err)
	}
}

// TestNobodyCanBlockASignInForLong: someone asking for codes in a victim's
// name again and again makes the victim wait at most MaxResendWait, and
// every Retry-After is exactly the wait.
func TestNobodyCanBlockASignInForLong(t *testing.T) {
	f := newFixture(t, auth.Limits{})
	ctx := context.Background()
	for i := 1; i <= 40; i++ {
		err := f.signIn.SendCode(ctx, staffPhone, ip)
		if err != nil {
			t.Fatalf("send %d after waiting as told: %v", i, err)
		}
		f.clock.Add(time.Second)
		err = f.signIn.SendCode(ctx, staffPhone, ip)
		if code(err) != "OTP_RATE_LIMITED" {
			t.Fatalf("send %d again at once: %v", i, err)
		}
		w := time.Duration(wait(err)) * time.Second
		if want := auth.ResendWait(i) - time.Second; w != want {
			t.Fatalf("send %d: Retry-After %v, want %v", i, w, want)
		}
		if w > auth.MaxResendWait {
			t.Fatalf("send %d: a wait of %v", i, w)
		}
		f.clock.Add(w - time.Second)
		if err := f.signIn.SendCode(ctx, staffPhone, ip); code(err) != "OTP_RATE_LIMITED" {
			t.Fatalf("send %d a second early: %v", i, err)
		}
		f.clock.Add(time.Second)
	}
	// The victim, after at most the longest wait, gets a code and signs in.
	if err := f.signIn.SendCode(ctx, staffPhone, ip); err != nil {
		t.Fatalf("the victim's code: %v", err)
	}
	if _, err := f.signIn.Token(ctx, staffPhone, f.lastCode(t, staffPhone), ip); err != nil {
		t.Fatalf("sign-in after the attack: %v", err)
	}
	// A sign-in starts the series again: the next wait is the shortest.
	f.clock.Add(auth.MaxResendWait)
	_ = f.signIn.SendCode(ctx, staffPhone, ip)
	if err := f.signIn.SendCode(ctx, staffPhone, ip); wait(err) != int(auth.ResendInterval.Seconds()) {
		t.Fatalf("after a sign-in: %v (wait %d)", err, wait(err))
	}
}

// TestUnknownPhoneLooksTheSame plays the same requests for a registered and
// an unregistered phone and compares every answer: code, and Retry-After.
func TestUnknownPhoneLooksTheSame(t *testing.T) {
	f := newFixture(t, auth.Limits{TokenFailuresPerIPPerHour: 1000})
	ctx := context.Background()
	play := func(phone string) []string {
		var out []string
		note := func(err error) { out = append(out, fmt.Sprintf("%s/%d", code(err), wait(err))) }
		note(f.signIn.SendCode(ctx, phone, ip))
		note(f.signIn.SendCode(ctx, phone, ip))
		for range auth.MaxAttempts + 2 {
			_, err := f.signIn.Token(ctx, phone, "000000", ip)
			note(err)
		}
		f.clock.Add(auth.ResendInterval)
		note(f.signIn.SendCode(ctx, phone, ip))
		note(f.signIn.SendCode(ctx, phone, ip))
		f.clock.Add(-auth.ResendInterval)
		return out
	}
	known, unknown := play(staffPhone), play(unknownPhone)
	if !slices.Equal(known, unknown) {
		t.Fatalf("a registered phone answers\n %v\nan unknown one\n %v", known, unknown)
	}
	if !slices.Contains(known, "OTP_LOCKED/60") {
		t.Errorf("no lock in %v", known)
	}
	if n := len(f.outbox.To(unknownPhone)); n != 0 {
		t.Fatalf("%d SMS to an unknown phone", n)
	}
	// No item is written for the unknown number itself.
	if _, err := f.st.Challenge(ctx, auth.ChallengeSubject{Phone: unknownPhone}); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.st.Challenge(ctx, auth.ChallengeSubject{Phone: unknownPhone}); c.Version != 0 {
		t.Fatalf("an item for the unknown phone: %+v", c)
	}
}

// TestCodeLimitsPerAddressStreetAndDeployment: an address has its share of
// codes; codes texted take from their street's share and the deployment's
// ceiling; a street's flood locks out no other street; unknown phones,
// which get no SMS, take from neither.
func TestCodeLimitsPerAddressStreetAndDeployment(t *testing.T) {
	f := newFixture(t, auth.Limits{CodesPerIPPerHour: 3, CodesPerStreetPerHour: 4, CodesPerHour: 6})
	ctx := context.Background()
	csv := "building,unit,room,name,phone\n"
	for i := 1; i <= 5; i++ {
		csv += fmt.Sprintf("1号楼,1,%d01,住户%d,1370000000%d\n", i, i, i)
	}
	if _, err := (&registry.Importer{Store: f.st, Now: time.Now}).Import(ctx, "c1", []byte(csv)); err != nil {
		t.Fatal(err)
	}
	dynamolocal.SeedCommunity(t, f.st, "s2", "c2", "13900000020")
	for i := 1; i <= 3; i++ {
		if err := f.st.CreateStaff(ctx, registry.Staff{ID: fmt.Sprint("u-e", i), Name: "e", Phone: fmt.Sprint("1390000002", i), CommunityID: "c2"}, manifest.RoleStaff, nil); err != nil {
			t.Fatal(err)
		}
	}
	// 08:20 in the hour: the window ends in 40 minutes.
	f.clock.Add(20 * time.Minute)
	addr := 0
	from := func() string { addr++; return fmt.Sprintf("203.0.113.%d", addr) }
	one := from()
	for i := 1; i <= 3; i++ {
		if err := f.signIn.SendCode(ctx, fmt.Sprint("1360000000", i), one); err != nil {
			t.Fatalf("code %d from one address: %v", i, err)
		}
	}
	if err := f.signIn.SendCode(ctx, "13600000004", one); code(err) != "OTP_RATE_LIMITED" || wait(err) != 40*60 {
		t.Fatalf("a 4th code from one address: %v, Retry-After %d", err, wait(err))
	}
	// Street s1's people: four codes, then its share is used up.
	for i := 1; i <= 4; i++ {
		if err := f.signIn.SendCode(ctx, fmt.Sprint("1370000000", i), from()); err != nil {
			t.Fatalf("s1's code %d: %v", i, err)
		}
	}
	if err := f.signIn.SendCode(ctx, "13700000005", from()); code(err) != "OTP_RATE_LIMITED" || wait(err) != 40*60 {
		t.Fatalf("over s1's share: %v", err)
	}
	// Unknown phones cost nothing and take from no share.
	for i := 10; i < 30; i++ {
		if err := f.signIn.SendCode(ctx, fmt.Sprint("135000000", i), from()); err != nil {
			t.Fatalf("unknown phone %d: %v", i, err)
		}
	}
	// s2 signs in: its share is its own, until the deployment's ceiling.
	for i := 1; i <= 2; i++ {
		if err := f.signIn.SendCode(ctx, fmt.Sprint("1390000002", i), from()); err != nil {
			t.Fatalf("s2 after s1's flood: %v", err)
		}
	}
	if err := f.signIn.SendCode(ctx, "13900000023", from()); code(err) != "OTP_RATE_LIMITED" {
		t.Fatalf("over the deployment's ceiling: %v", err)
	}
	f.clock.Add(40 * time.Minute)
	if err := f.signIn.SendCode(ctx, "13700000005", from()); err != nil {
		t.Fatalf("the next hour: %v", err)
	}
}

// TestUnknownPhonesNeverShareAWait: a thousand unknown numbers' first codes
// are all answered as a registered phone's first code is (shadows shared
// by several numbers made some wait: a way to tell who is registered).
func TestUnknownPhonesNeverShareAWait(t *testing.T) {
	f := newFixture(t, auth.Limits{CodesPerIPPerHour: 1000})
	ctx := context.Background()
	var refused []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 1000; i += 8 {
				phone := fmt.Sprintf("1355%07d", i*7919%10000000)
				if err := f.signIn.SendCode(ctx, phone, fmt.Sprintf("192.0.2.%d", i%200)); err != nil {
					mu.Lock()
					refused = append(refused, phone+": "+code(err))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(refused) > 0 {
		t.Fatalf("%d of 1000 unknown numbers' first codes refused: %v", len(refused), refused[:min(len(refused), 5)])
	}
}

func TestFailedTriesAreLimitedPerAddress(t *testing.T) {
	f := newFixture(t, auth.Limits{TokenFailuresPerIPPerHour: 4})
	ctx := context.Background()
	attacker := "203.0.113.66"
	// Spraying guesses over many phones: four failures, then 429.
	for i, p := range []string{"13600000001", "13600000002", staffPhone, "13600000004"} {
		if _, err := f.signIn.Token(ctx, p, "123456", attacker); code(err) != "OTP_INVALID" {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	_, err := f.signIn.Token(ctx, "13600000005", "123456", attacker)
	if code(err) != "TOKEN_RATE_LIMITED" || wait(err) != 3600 {
		t.Fatalf("a 5th failure: %v (Retry-After %d)", err, wait(err))
	}
	// Successes do not count: a shared address keeps signing people in.
	office := "203.0.113.8"
	for i := 0; i < 6; i++ {
		_ = f.signIn.SendCode(ctx, staffPhone, office)
		if _, err := f.signIn.Token(ctx, staffPhone, f.lastCode(t, staffPhone), office); err != nil {
			t.Fatalf("sign-in %d from a shared address: %v", i+1, err)
		}
		f.clock.Add(auth.MaxResendWait)
	}
}

func TestWeChatSecretThatCannotBeReadTurnsOnlyWeChatOff(t *testing.T) {
	f := newFixture(t, auth.Limits{})
	ctx := context.Background()
	wx := &auth.WeChatSignIn{SignIn: f.signIn, Bindings: f.st, WeChat: auth.NewWeChatClient(auth.WeChatConfig{
		BaseURL: "http://127.0.0.1:1", AppID: "wxapp",
		LoadSecret: func(context.Context) (string, error) { return "", errors.New("ParameterNotFound") },
	})}
	if _, err := wx.Token(ctx, "good", "", "", ip); code(err) != "WECHAT_UNAVAILABLE" {
		t.Fatalf("WeChat without its secret: %v", err)
	}
	if err := f.signIn.SendCode(ctx, staffPhone, ip); err != nil {
		t.Fatalf("SMS sign-in: %v", err)
	}
	if _, err := f.signIn.Token(ctx, staffPhone, f.lastCode(t, staffPhone), ip); err != nil {
		t.Fatalf("SMS sign-in: %v", err)
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
	f := newFixture(t, auth.Limits{})
	ctx := context.Background()
	srv := fakeWeChat(t)
	wx := &auth.WeChatSignIn{SignIn: f.signIn, Bindings: f.st,
		WeChat: auth.NewWeChatClient(auth.WeChatConfig{BaseURL: srv.URL, AppID: "wxapp", Secret: "s3cret"})}

	if _, err := wx.Token(ctx, "good", "", "", ip); code(err) != "WECHAT_NOT_BOUND" {
		t.Fatalf("first sign-in without a phone: %v", err)
	}
	_ = f.signIn.SendCode(ctx, staffPhone, ip)
	if _, err := wx.Token(ctx, "good", staffPhone, "000000", ip); code(err) != "OTP_INVALID" {
		t.Fatalf("binding with a wrong code: %v", err)
	}
	sess, err := wx.Token(ctx, "good", staffPhone, f.lastCode(t, staffPhone), ip)
	if err != nil || sess.User.ID != "u-s" {
		t.Fatalf("binding: %+v %v", sess, err)
	}
	raw, _ := json.Marshal(sess)
	if regexp.MustCompile(`never-leaves|s3cret`).Match(raw) {
		t.Fatalf("the session key or app secret leaked: %s", raw)
	}
	// After binding, the code alone signs in.
	if sess, err := wx.Token(ctx, "good", "", "", ip); err != nil || sess.User.ID != "u-s" {
		t.Fatalf("bound sign-in: %+v %v", sess, err)
	}
	cases := map[string]string{
		"used": "WECHAT_CODE_INVALID", "bad": "WECHAT_CODE_INVALID", "risky": "WECHAT_USER_BLOCKED",
		"fast": "WECHAT_RATE_LIMITED", "busy": "WECHAT_UNAVAILABLE", "500": "WECHAT_UNAVAILABLE",
	}
	for wxCode, want := range cases {
		if _, err := wx.Token(ctx, wxCode, "", "", ip); code(err) != want {
			t.Errorf("%s: %v, want %s", wxCode, err, want)
		}
	}
	srv.Close()
	_, err = wx.Token(ctx, "good", "", "", ip)
	if code(err) != "WECHAT_UNAVAILABLE" || regexp.MustCompile("s3cret").MatchString(err.Error()) {
		t.Fatalf("WeChat down: %v", err)
	}
	off := &auth.WeChatSignIn{SignIn: f.signIn, Bindings: f.st}
	if _, err := off.Token(ctx, "good", "", "", ip); !errors.Is(err, auth.ErrWeChatOff) {
		t.Fatalf("unconfigured: %v", err)
	}
}
