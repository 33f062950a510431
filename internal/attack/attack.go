// Package attack tries, against a running Fangxian on this machine, the
// abuses of sign-in, sign-up, SMS cost and tenancy that the reviews found,
// and reports for each whether it was refused (cmd/attack runs it against
// `make run`; cmd/local's tests run it three times in a row against a fresh
// stack). It is bounded: a few hundred requests and one wait of a minute
// (the victim's). Its verdict does not depend on what ran before it in the
// hour: every run uses phones and client addresses of its own.
package attack

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/shared/auth"
)

// Options are the target and the limits it was started with.
type Options struct {
	Base string
	// PerIP and TokenFailures are the target's OTP_LIMIT_PER_IP_PER_HOUR
	// and TOKEN_FAILURES_PER_IP_PER_HOUR.
	PerIP, TokenFailures int
	// SignupPerIP and SignupPerCommunity are its
	// SIGNUP_LIMIT_PER_IP_PER_HOUR and SIGNUP_LIMIT_PER_COMMUNITY_PER_HOUR.
	SignupPerIP, SignupPerCommunity int
	// VictimWait waits the victim's minute to show they sign in.
	VictimWait bool
	// Unknown is how many unregistered numbers the no-oracle attack asks
	// codes for.
	Unknown int
}

// Defaults are the options of a stack started with the default limits.
func Defaults(base string) Options {
	return Options{Base: base, PerIP: auth.DefaultCodesPerIPPerHour, TokenFailures: auth.DefaultTokenFailuresPerIPPerHour,
		SignupPerIP: auth.DefaultSignupCodesPerIPPerHour, SignupPerCommunity: auth.DefaultSignupCodesPerCommunityPerHour,
		VictimWait: true, Unknown: 300}
}

// Result is one attack and how it ended.
type Result struct {
	Item, Attack, Outcome string
	Refused               bool
}

// Run plays every attack and prints one line each to out. It fails when an
// attack got through, or the target cannot be attacked.
func Run(ctx context.Context, o Options, out io.Writer) ([]Result, error) {
	if !apiclient.Local(o.Base) {
		return nil, fmt.Errorf("%s is not this machine: the attacks need make run's /dev/sms and loopback addresses", o.Base)
	}
	// A run's phones and addresses are its own for more than an hour of
	// runs (each takes over a minute): the limits' hourly windows never
	// carry one run's traces into another's verdict.
	slot := int(time.Now().Unix()/4) % 1000
	a := &attacker{api: apiclient.New(o.Base, 8), o: o, slot: slot, addr: slot * 3000}
	if err := a.api.Call(ctx, "GET", "/v1/health", "", nil, nil); err != nil {
		return nil, fmt.Errorf("the target is not ready: %w", err)
	}
	// The victim's codes are asked first and their sign-in tried last: the
	// wait they are told runs while the other attacks do.
	victim := a.victimBlock(ctx)
	steps := []func(context.Context) []Result{a.otpSpray, a.guessSpray, a.lockoutOracle, a.unknownSpray, a.signupSpray,
		a.feverSpam, a.staffTakeover, victim}
	var results []Result
	for _, step := range steps {
		rs := step(ctx)
		for _, r := range rs {
			mark := "REFUSED"
			if !r.Refused {
				mark = "GOT THROUGH"
			}
			fmt.Fprintf(out, "%-3s %-11s %s — %s\n", r.Item, mark, r.Attack, r.Outcome)
		}
		results = append(results, rs...)
	}
	through := 0
	for _, r := range results {
		if !r.Refused {
			through++
		}
	}
	if through > 0 {
		return results, fmt.Errorf("%d of %d attacks got through", through, len(results))
	}
	fmt.Fprintf(out, "all %d attacks refused\n", len(results))
	return results, nil
}

type attacker struct {
	api  *apiclient.Client
	o    Options
	slot int
	addr int
	// staff is the community's staff member, signed in once a run (a
	// phone waits a minute between codes).
	staff *apiclient.Session
}

// staffSession signs the community's staff member in, once a run.
func (a *attacker) staffSession(ctx context.Context) (apiclient.Session, error) {
	if a.staff != nil {
		return *a.staff, nil
	}
	s, err := a.from().SignIn(ctx, demo.StaffPhone)
	if err == nil {
		a.staff = &s
	}
	return s, err
}

// from is a client on a loopback address of its own.
func (a *attacker) from() *apiclient.Client {
	a.addr++
	return a.api.From(apiclient.LoopbackAddr(200 + a.addr))
}

// unknown is an unregistered number, different on every call and run.
func (a *attacker) unknown(i int) string { return fmt.Sprintf("135%04d%04d", a.slot, i) }

// resident is a demo resident's phone, one of this run's (kind 1 to 5).
func (a *attacker) resident(kind int) string { return fmt.Sprintf("137%08d", kind*1000+a.slot) }

func (a *attacker) otpSpray(ctx context.Context) []Result {
	one := a.from()
	sent, first := 0, (*apiclient.Error)(nil)
	for i := 0; i < a.o.PerIP+5 && first == nil; i++ {
		err := one.Call(ctx, "POST", "/v1/auth/otp", "", map[string]string{"phone": a.unknown(i)}, nil)
		if e, ok := err.(*apiclient.Error); ok && e.Status == 429 {
			first = e
		} else if err == nil {
			sent++
		}
	}
	return []Result{{"1", fmt.Sprintf("codes for %d different phones from one address", a.o.PerIP+5),
		fmt.Sprintf("%d accepted, then %s", sent, describe(first)),
		first != nil && first.Code == "OTP_RATE_LIMITED" && sent == a.o.PerIP && first.RetryAfter > 0 && first.RetryAfter <= 3600}}
}

// unknownSpray asks codes for many unregistered numbers from many
// addresses, each under its limit: every one is answered as a registered
// phone's first code is (a refusal would tell the two apart), none is
// texted, and none takes from a street's share or the deployment's ceiling,
// so the street's staff still sign in.
func (a *attacker) unknownSpray(ctx context.Context) []Result {
	accepted, refused, c := 0, map[string]int{}, a.from()
	for i := 0; i < a.o.Unknown; i++ {
		if i > 0 && i%(a.o.PerIP-1) == 0 {
			c = a.from()
		}
		err := c.Call(ctx, "POST", "/v1/auth/otp", "", map[string]string{"phone": a.unknown(1000 + i)}, nil)
		if err == nil {
			accepted++
		} else {
			refused[apiclient.CodeOf(err)]++
		}
	}
	texted := 0
	if box, err := a.api.Outbox(ctx, ""); err == nil {
		for _, m := range box {
			if strings.HasPrefix(m.To, fmt.Sprintf("135%04d", a.slot)) {
				texted++
			}
		}
	}
	_, err := a.staffSession(ctx)
	return []Result{
		{"7", fmt.Sprintf("first codes for %d unregistered numbers from many addresses", a.o.Unknown),
			fmt.Sprintf("%d answered as a registered phone's, refused %v, %d texted", accepted, refused, texted),
			accepted == a.o.Unknown && texted == 0},
		{"7", "the street's staff sign in after that spray", describe(asAPI(err)), err == nil},
	}
}

// signupSpray asks sign-up codes without the community's link, with a
// rotated-out one, and with the live one from many addresses: only the
// live link texts, up to the community's budget of sign-up codes; sign-in
// is untouched by it.
func (a *attacker) signupSpray(ctx context.Context) []Result {
	staff, err := a.staffSession(ctx)
	if err != nil {
		return []Result{{"8", "sign in as the community's staff", err.Error(), false}}
	}
	path := "/v1/communities/" + demo.CommunityID + "/signup-link"
	var first, live struct{ Token string }
	err1 := a.api.Call(ctx, "POST", path, staff.Token, nil, &first)
	err2 := a.api.Call(ctx, "POST", path, staff.Token, nil, &live)
	if err1 != nil || err2 != nil {
		return []Result{{"8", "staff make the sign-up link", fmt.Sprint(err1, err2), false}}
	}
	ask := func(c *apiclient.Client, phone, link string) error {
		body := map[string]string{"phone": phone, "purpose": "signup"}
		if link != "" {
			body["signupLink"] = link
		}
		return c.Call(ctx, "POST", "/v1/auth/otp", "", body, nil)
	}
	var deadLinks []string
	for _, link := range []string{"", auth.NewSignupToken(), first.Token} {
		deadLinks = append(deadLinks, apiclient.CodeOf(ask(a.from(), a.unknown(5000+len(deadLinks)), link)))
	}
	accepted, stop, c := 0, (*apiclient.Error)(nil), a.from()
	for i := 0; stop == nil && i < a.o.SignupPerCommunity+a.o.SignupPerIP; i++ {
		if i > 0 && i%(a.o.SignupPerIP-1) == 0 {
			c = a.from()
		}
		err := ask(c, a.unknown(6000+i), live.Token)
		if e, ok := err.(*apiclient.Error); ok && e.Status == 429 {
			stop = e
		} else if err == nil {
			accepted++
		}
	}
	_, signin := a.from().SignIn(ctx, a.resident(1))
	var revoked struct{ Revoked bool }
	rerr := a.api.Call(ctx, "DELETE", path, staff.Token, nil, &revoked)
	afterRevoke := apiclient.CodeOf(ask(a.from(), a.unknown(5999), live.Token))
	return []Result{
		{"8", "sign-up codes without a link, with an invented one, with a rotated-out one", fmt.Sprint(deadLinks),
			slices.Equal(deadLinks, []string{"SIGNUP_LINK_INVALID", "SIGNUP_LINK_INVALID", "SIGNUP_LINK_INVALID"})},
		{"8", "sign-up codes with the live link from many addresses, each under its limit",
			fmt.Sprintf("%d accepted, then %s", accepted, describe(stop)),
			stop != nil && stop.Code == "SIGNUP_RATE_LIMITED" && accepted <= a.o.SignupPerCommunity && stop.RetryAfter <= 3600},
		{"8", "a resident signs in after the sign-up spray", describe(asAPI(signin)), signin == nil},
		{"8", "the link revoked, a sign-up code with it", fmt.Sprintf("revoked %v (%v), then %s", revoked.Revoked, rerr, afterRevoke),
			rerr == nil && revoked.Revoked && afterRevoke == "SIGNUP_LINK_INVALID"},
	}
}

func (a *attacker) guessSpray(ctx context.Context) []Result {
	c := a.from()
	failed, stop := 0, (*apiclient.Error)(nil)
	for i := 0; i < a.o.TokenFailures+5 && stop == nil; i++ {
		err := c.Call(ctx, "POST", "/v1/auth/token", "", map[string]string{"phone": fmt.Sprintf("1370000%04d", 100+i), "code": "123456"}, nil)
		if e, ok := err.(*apiclient.Error); ok && e.Status == 429 {
			stop = e
		} else if err != nil {
			failed++
		}
	}
	return []Result{{"2", fmt.Sprintf("wrong codes sprayed over %d phones from one address", a.o.TokenFailures+5),
		fmt.Sprintf("%d failures answered, then %s", failed, describe(stop)),
		stop != nil && stop.Code == "TOKEN_RATE_LIMITED" && failed == a.o.TokenFailures}}
}

// seen is what a client can see of a response: status, code, headers
// that are not per request, and the wait told.
type seen struct {
	what       string
	retryAfter int
}

func answer(err error, hdr map[string][]string) seen {
	if err == nil {
		return seen{what: "2xx"}
	}
	e, ok := err.(*apiclient.Error)
	if !ok {
		return seen{what: "transport"}
	}
	var keys []string
	for k := range hdr {
		if k != "X-Request-Id" && k != "Date" && k != "Content-Length" && k != "Retry-After" {
			keys = append(keys, k+"="+strings.Join(hdr[k], ","))
		}
	}
	slices.Sort(keys)
	return seen{what: fmt.Sprintf("%d %s %v", e.Status, e.Code, keys), retryAfter: e.RetryAfter}
}

// alike says whether two answers tell nothing apart: the same but for a
// wait a second apart (the two were asked a moment apart).
func alike(a, b seen) bool { return alikeWithin(a, b, 1) }

// alikeWithin: the same answer, Retry-After within slack seconds (a wait
// counts down while the requests that reach it are served).
func alikeWithin(a, b seen, slack int) bool {
	return a.what == b.what && a.retryAfter-b.retryAfter <= slack && b.retryAfter-a.retryAfter <= slack
}

func (a *attacker) lockoutOracle(ctx context.Context) []Result {
	play := func(phone string) ([]seen, time.Duration) {
		c := a.from()
		var seq []seen
		began := time.Now()
		h, err := c.Do(ctx, "POST", "/v1/auth/otp", "", nil, map[string]string{"phone": phone}, nil)
		seq = append(seq, answer(err, h))
		for range auth.MaxAttempts + 2 {
			h, err := c.Do(ctx, "POST", "/v1/auth/token", "", nil, map[string]string{"phone": phone, "code": "000000"}, nil)
			seq = append(seq, answer(err, h))
		}
		return seq, time.Since(began)
	}
	k, tk := play(a.resident(2))
	u, tu := play(a.unknown(9999))
	// The lock's Retry-After counts down from the code's send: a sequence
	// served slower (a loaded machine) reads a smaller one, by as much as
	// it took longer; that is the clock, not an oracle.
	slack := 1 + int(math.Ceil(math.Abs((tk - tu).Seconds())))
	same := slices.EqualFunc(k, u, func(a, b seen) bool { return alikeWithin(a, b, slack) })
	last := k[len(k)-1]
	return []Result{{"3", "six wrong codes for a registered and for an unknown phone",
		map[bool]string{true: fmt.Sprintf("the same answers, status, code and headers: %s, Retry-After %d", last.what, last.retryAfter),
			false: fmt.Sprintf("registered %v, unknown %v", k, u)}[same],
		same}}
}

// victimBlock asks 12 codes in a victim's name at once, and answers the
// step that, later, waits what the victim was told and signs them in.
func (a *attacker) victimBlock(ctx context.Context) func(context.Context) []Result {
	victim := a.resident(3)
	c := a.from()
	worst := 0
	for i := 0; i < 12; i++ {
		err := c.Call(ctx, "POST", "/v1/auth/otp", "", map[string]string{"phone": victim}, nil)
		if e, ok := err.(*apiclient.Error); ok && e.RetryAfter > worst {
			worst = e.RetryAfter
		}
	}
	told := time.Now()
	return func(ctx context.Context) []Result {
		r := Result{"4", "12 codes asked in a victim's name at once", fmt.Sprintf("the longest wait told: %d s", worst),
			worst > 0 && worst <= int(auth.MaxResendWait.Seconds())}
		if !a.o.VictimWait || !r.Refused {
			return []Result{r}
		}
		time.Sleep(time.Until(told.Add(time.Duration(worst+1) * time.Second)))
		sess, err := a.from().SignIn(ctx, victim)
		r.Outcome += fmt.Sprintf("; after waiting it the victim signs in: %v", err == nil && sess.Token != "")
		r.Refused = err == nil
		return []Result{r}
	}
}

func (a *attacker) feverSpam(ctx context.Context) []Result {
	sess, err := a.from().SignIn(ctx, a.resident(4))
	if err != nil {
		return []Result{{"5", "sign in as a resident", err.Error(), false}}
	}
	c := a.api
	invented := sess.User.HouseholdID + "-rzzzzzz"
	errInvented := c.Call(ctx, "POST", "/v1/me/temperatures", sess.Token, map[string]any{"celsius": 39.5, "residentId": invented}, nil)
	before, _ := c.Outbox(ctx, demo.StaffPhone)
	var answers []string
	for _, t := range []float64{38.5, 38.7, 38.9, 39.0} {
		err := c.Call(ctx, "POST", "/v1/me/temperatures", sess.Token, map[string]any{"celsius": t}, nil)
		answers = append(answers, fmt.Sprint(apiclient.CodeOf(err) == ""))
	}
	time.Sleep(2 * time.Second) // the alert goes through the queue
	after, _ := c.Outbox(ctx, demo.StaffPhone)
	alerts := 0
	for _, m := range after[len(before):] {
		if m.Template == "fever_alert" {
			alerts++
		}
	}
	return []Result{
		{"5", "a fever for an invented member of the household", describe(asAPI(errInvented)), apiclient.CodeOf(errInvented) == "NOT_A_HOUSEHOLD_MEMBER"},
		{"5", "four fever readings of one resident in a row", fmt.Sprintf("accepted %v; fever SMS to the staff phone: %d", answers, alerts), alerts <= 1},
	}
}

func (a *attacker) staffTakeover(ctx context.Context) []Result {
	east, err := a.from().SignIn(ctx, demo.OtherAdminPhone)
	if err != nil {
		return []Result{{"6", "sign in as the other street's admin", err.Error(), false}}
	}
	target := a.resident(5) // a resident of the demo street
	err = a.api.Call(ctx, "POST", "/v1/communities/"+demo.OtherCommunityID+"/staff", east.Token,
		map[string]any{"name": "冒名", "phone": target, "confirmResident": true}, nil)
	rs := []Result{{"6", "another street's admin makes a demo resident's phone staff", describe(asAPI(err)), apiclient.CodeOf(err) == "PHONE_TAKEN"}}
	own, err := a.from().SignIn(ctx, demo.AdminPhone)
	if err != nil {
		return append(rs, Result{"6", "sign in as the demo street's admin", err.Error(), false})
	}
	err = a.api.Call(ctx, "POST", "/v1/communities/"+demo.CommunityID+"/staff", own.Token, map[string]any{"name": "居民转岗", "phone": target}, nil)
	return append(rs, Result{"6", "the resident's own street admin, without confirming", describe(asAPI(err)), apiclient.CodeOf(err) == "PHONE_IS_RESIDENT"})
}

func asAPI(err error) *apiclient.Error {
	e, _ := err.(*apiclient.Error)
	return e
}

func describe(e *apiclient.Error) string {
	if e == nil {
		return "no refusal"
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%d %s (Retry-After %d s)", e.Status, e.Code, e.RetryAfter)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Code)
}
