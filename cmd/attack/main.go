// Command attack tries, against a running Fangxian on this machine, the
// abuses of sign-in, SMS cost and tenancy that issue 8 found, and reports for
// each whether it was refused. It is bounded: a few hundred requests, and
// one wait of a minute (the victim's, -victim-wait=false skips it).
//
//	OTP_LIMIT_PER_HOUR=200 make run          # a low deployment ceiling, to reach it
//	go run ./cmd/attack -ceiling 200
//
// It needs `make run` (the demo data and /dev/sms) and exits 1 when any
// attack got through. Requests come from loopback addresses 127.1.x.y so
// that "one address" and "many addresses" can both be tried.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/shared/auth"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "attack:", err)
		os.Exit(1)
	}
}

type options struct {
	base                         string
	perIP, ceiling, tokenFailure int
	victimWait                   bool
}

// result is one attack and how it ended.
type result struct {
	item, attack, outcome string
	refused               bool
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("attack", flag.ContinueOnError)
	fs.StringVar(&o.base, "base", "http://localhost:8080", "the stack to attack (make run)")
	fs.IntVar(&o.perIP, "per-ip", auth.DefaultCodesPerIPPerHour, "the target's OTP_LIMIT_PER_IP_PER_HOUR")
	fs.IntVar(&o.ceiling, "ceiling", 200, "the target's OTP_LIMIT_PER_HOUR (0: do not try to reach it)")
	fs.IntVar(&o.tokenFailure, "token-failures", auth.DefaultTokenFailuresPerIPPerHour, "the target's TOKEN_FAILURES_PER_IP_PER_HOUR")
	fs.BoolVar(&o.victimWait, "victim-wait", true, "wait the victim's minute to show they sign in")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !apiclient.Local(o.base) {
		return fmt.Errorf("%s is not this machine: the attacks need make run's /dev/sms and loopback addresses", o.base)
	}
	a := &attacker{api: apiclient.New(o.base, 8), o: o, run: time.Now().Unix() % 100000}
	if err := a.api.Call(ctx, "GET", "/v1/health", "", nil, nil); err != nil {
		return fmt.Errorf("the target is not ready: %w", err)
	}
	// The deployment's ceiling comes last: once reached, nobody gets a code
	// for the rest of the hour, the attacker's other tries included.
	steps := []func(context.Context) []result{a.otpSpray, a.guessSpray, a.lockoutOracle, a.victimBlock, a.feverSpam, a.staffTakeover, a.ceilingSpray}
	var results []result
	for _, step := range steps {
		rs := step(ctx)
		for _, r := range rs {
			mark := "REFUSED"
			if !r.refused {
				mark = "GOT THROUGH"
			}
			fmt.Fprintf(out, "%-3s %-11s %s — %s\n", r.item, mark, r.attack, r.outcome)
		}
		results = append(results, rs...)
	}
	through := 0
	for _, r := range results {
		if !r.refused {
			through++
		}
	}
	if through > 0 {
		return fmt.Errorf("%d of %d attacks got through", through, len(results))
	}
	fmt.Fprintf(out, "all %d attacks refused\n", len(results))
	return nil
}

type attacker struct {
	api  *apiclient.Client
	o    options
	run  int64
	addr int
}

// from is a client on a loopback address of its own.
func (a *attacker) from() *apiclient.Client {
	a.addr++
	return a.api.From(apiclient.LoopbackAddr(200 + int(a.run%40)*20 + a.addr))
}

// unknown is an unregistered number, different on every call and run.
func (a *attacker) unknown(i int) string { return fmt.Sprintf("135%04d%04d", a.run%10000, i) }

func (a *attacker) otpSpray(ctx context.Context) []result {
	one := a.from()
	sent, first := 0, (*apiclient.Error)(nil)
	for i := 0; i < a.o.perIP+5 && first == nil; i++ {
		err := one.Call(ctx, "POST", "/v1/auth/otp", "", map[string]string{"phone": a.unknown(i)}, nil)
		if e, ok := err.(*apiclient.Error); ok && e.Status == 429 {
			first = e
		} else if err == nil {
			sent++
		}
	}
	return []result{{"1", fmt.Sprintf("codes for %d different phones from one address", a.o.perIP+5),
		fmt.Sprintf("%d accepted, then %s", sent, describe(first)),
		first != nil && first.Code == "OTP_RATE_LIMITED" && sent == a.o.perIP && first.RetryAfter > 0 && first.RetryAfter <= 3600}}
}

// ceilingSpray asks for codes from many addresses, each under its own limit,
// until the deployment's ceiling holds (some of it is taken already, by the
// other attacks and whatever ran this hour).
func (a *attacker) ceilingSpray(ctx context.Context) []result {
	if a.o.ceiling <= 0 {
		return nil
	}
	var rs []result
	total, ceilingHit := 0, (*apiclient.Error)(nil)
	for k := 0; total <= a.o.ceiling && ceilingHit == nil; k++ {
		c := a.from()
		for i := 0; i < a.o.perIP-1 && ceilingHit == nil; i++ {
			err := c.Call(ctx, "POST", "/v1/auth/otp", "", map[string]string{"phone": a.unknown(1000 + k*100 + i)}, nil)
			if e, ok := err.(*apiclient.Error); ok && e.Status == 429 {
				ceilingHit = e
			} else if err == nil {
				total++
			}
		}
	}
	return append(rs, result{"1", "codes from many addresses, each under its limit",
		fmt.Sprintf("%d accepted in all, then %s", total, describe(ceilingHit)),
		ceilingHit != nil && ceilingHit.Code == "OTP_RATE_LIMITED" && total <= a.o.ceiling && ceilingHit.RetryAfter <= 3600})
}

func (a *attacker) guessSpray(ctx context.Context) []result {
	c := a.from()
	failed, stop := 0, (*apiclient.Error)(nil)
	for i := 0; i < a.o.tokenFailure+5 && stop == nil; i++ {
		err := c.Call(ctx, "POST", "/v1/auth/token", "", map[string]string{"phone": fmt.Sprintf("1370000%04d", 100+i), "code": "123456"}, nil)
		if e, ok := err.(*apiclient.Error); ok && e.Status == 429 {
			stop = e
		} else if err != nil {
			failed++
		}
	}
	return []result{{"2", fmt.Sprintf("wrong codes sprayed over %d phones from one address", a.o.tokenFailure+5),
		fmt.Sprintf("%d failures answered, then %s", failed, describe(stop)),
		stop != nil && stop.Code == "TOKEN_RATE_LIMITED" && failed == a.o.tokenFailure}}
}

// answer is what a client can see of a response: status, code and headers
// that are not per request.
func answer(err error, hdr map[string][]string) string {
	if err == nil {
		return "2xx"
	}
	e, ok := err.(*apiclient.Error)
	if !ok {
		return "transport"
	}
	var keys []string
	for k := range hdr {
		if k != "X-Request-Id" && k != "Date" && k != "Content-Length" {
			keys = append(keys, k+"="+strings.Join(hdr[k], ","))
		}
	}
	slices.Sort(keys)
	return fmt.Sprintf("%d %s %v", e.Status, e.Code, keys)
}

func (a *attacker) lockoutOracle(ctx context.Context) []result {
	known := fmt.Sprintf("137%08d", 2000+a.run%1000) // a demo resident
	play := func(phone string) []string {
		c := a.from()
		var seq []string
		h, err := c.Do(ctx, "POST", "/v1/auth/otp", "", nil, map[string]string{"phone": phone}, nil)
		seq = append(seq, answer(err, h))
		for range auth.MaxAttempts + 2 {
			h, err := c.Do(ctx, "POST", "/v1/auth/token", "", nil, map[string]string{"phone": phone, "code": "000000"}, nil)
			seq = append(seq, answer(err, h))
		}
		return seq
	}
	k, u := play(known), play(a.unknown(9999))
	same := slices.Equal(k, u)
	return []result{{"3", "six wrong codes for a registered and for an unknown phone",
		map[bool]string{true: "the same answers, status, code and headers: " + strings.Join(k[len(k)-2:], " / "), false: fmt.Sprintf("registered %v, unknown %v", k, u)}[same],
		same}}
}

func (a *attacker) victimBlock(ctx context.Context) []result {
	victim := fmt.Sprintf("137%08d", 3000+a.run%1000)
	c := a.from()
	worst := 0
	for i := 0; i < 12; i++ {
		err := c.Call(ctx, "POST", "/v1/auth/otp", "", map[string]string{"phone": victim}, nil)
		if e, ok := err.(*apiclient.Error); ok && e.RetryAfter > worst {
			worst = e.RetryAfter
		}
	}
	r := result{"4", "12 codes asked in a victim's name at once", fmt.Sprintf("the longest wait told: %d s", worst),
		worst > 0 && worst <= int(auth.MaxResendWait.Seconds())}
	if !a.o.victimWait || !r.refused {
		return []result{r}
	}
	time.Sleep(time.Duration(worst+1) * time.Second)
	sess, err := a.from().SignIn(ctx, victim)
	r.outcome += fmt.Sprintf("; after waiting it the victim signs in: %v", err == nil && sess.Token != "")
	r.refused = err == nil
	return []result{r}
}

func (a *attacker) feverSpam(ctx context.Context) []result {
	phone := fmt.Sprintf("137%08d", 4000+a.run%1000)
	sess, err := a.from().SignIn(ctx, phone)
	if err != nil {
		return []result{{"5", "sign in as a resident", err.Error(), false}}
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
	return []result{
		{"5", "a fever for an invented member of the household", describe(asAPI(errInvented)), apiclient.CodeOf(errInvented) == "NOT_A_HOUSEHOLD_MEMBER"},
		{"5", "four fever readings of one resident in a row", fmt.Sprintf("accepted %v; fever SMS to the staff phone: %d", answers, alerts), alerts <= 1},
	}
}

func (a *attacker) staffTakeover(ctx context.Context) []result {
	east, err := a.from().SignIn(ctx, demo.OtherAdminPhone)
	if err != nil {
		return []result{{"6", "sign in as the other street's admin", err.Error(), false}}
	}
	target := fmt.Sprintf("137%08d", 5000+a.run%1000) // a resident of the demo street
	err = a.api.Call(ctx, "POST", "/v1/communities/"+demo.OtherCommunityID+"/staff", east.Token,
		map[string]any{"name": "冒名", "phone": target, "confirmResident": true}, nil)
	rs := []result{{"6", "another street's admin makes a demo resident's phone staff", describe(asAPI(err)), apiclient.CodeOf(err) == "PHONE_TAKEN"}}
	own, err := a.from().SignIn(ctx, demo.AdminPhone)
	if err != nil {
		return append(rs, result{"6", "sign in as the demo street's admin", err.Error(), false})
	}
	err = a.api.Call(ctx, "POST", "/v1/communities/"+demo.CommunityID+"/staff", own.Token, map[string]any{"name": "居民转岗", "phone": target}, nil)
	return append(rs, result{"6", "the resident's own street admin, without confirming", describe(asAPI(err)), apiclient.CodeOf(err) == "PHONE_IS_RESIDENT"})
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
