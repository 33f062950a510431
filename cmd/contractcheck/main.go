// Command contractcheck holds a running Fangxian to its own document: it
// reads /v1/openapi.json from the stack, signs in as a staff member, a
// street admin and a resident of the demo (codes from /dev/sms), makes a
// round, a site and a notice to have real ids, then sends requests generated
// from the document, valid and broken, and checks every answer against it.
//
//	go run ./cmd/contractcheck -base http://localhost:8080 -n 4000
//
// It exits 1 on any 5xx, any answer the document does not list, and any
// request the document calls valid that the server refuses as malformed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/contract"
	"github.com/fangxian/fangxian/internal/demo"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "contractcheck:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("contractcheck", flag.ContinueOnError)
	base := fs.String("base", "http://localhost:8080", "the stack (make run: sign-in codes come from /dev/sms)")
	n := fs.Int("n", 4000, "requests to send")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "the generator's seed (printed, to run the same requests again)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	api := apiclient.New(*base, 4)
	resp, err := api.HTTP.Get(*base + "/v1/openapi.json")
	if err != nil {
		return err
	}
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checker, err := contract.NewFrom(doc)
	if err != nil {
		return fmt.Errorf("the served document: %w", err)
	}
	from := func(i int) *apiclient.Client {
		if apiclient.Local(*base) {
			return api.From(apiclient.LoopbackAddr(900 + i))
		}
		return api
	}
	tokens := map[string]string{}
	for i, who := range []struct{ name, phone string }{
		{"staff", demo.StaffPhone}, {"admin", demo.AdminPhone}, {"otherAdmin", demo.OtherAdminPhone}, {"resident", "13700000051"},
	} {
		s, err := from(i).SignIn(ctx, who.phone)
		if err != nil {
			return fmt.Errorf("sign in as %s: %w", who.name, err)
		}
		tokens[who.name] = s.Token
	}
	ids, err := realIDs(ctx, api, tokens)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "seed %d; %d operations; sending %d requests to %s …\n", *seed, len(checker.Operations()), *n, *base)
	e := &contract.Explorer{
		Checker: checker, Rand: rand.New(rand.NewPCG(*seed, 1)), Tokens: tokens, IDs: ids,
		Send: func(r *http.Request) (int, http.Header, []byte, error) {
			u, _ := url.Parse(*base + r.URL.RequestURI())
			r = r.Clone(r.Context())
			r.URL, r.Host, r.RequestURI = u, u.Host, ""
			resp, err := api.HTTP.Do(r)
			if err != nil {
				return 0, nil, nil, err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header, body, nil
		},
	}
	runErr := e.Run(ctx, *n)
	st := e.Stats
	var statuses []int
	for s := range st.ByStatus {
		statuses = append(statuses, s)
	}
	sort.Ints(statuses)
	fmt.Fprintf(out, "%d requests (%d valid, %d broken); by status:", st.Requests, st.Valid, st.Invalid)
	for _, s := range statuses {
		fmt.Fprintf(out, " %d×%d", s, st.ByStatus[s])
	}
	fmt.Fprintln(out)
	failures := checker.Failures()
	for _, f := range failures {
		fmt.Fprintln(out, "  ✗", f)
	}
	switch {
	case runErr != nil:
		return runErr
	case len(failures) > 0:
		return fmt.Errorf("%d breaches of the document (%d 5xx)", len(failures), st.Errors5xx)
	}
	fmt.Fprintln(out, "no 5xx, every answer in the document, nothing valid refused")
	return nil
}

// realIDs makes a round with a site, and a notice, in the demo community.
func realIDs(ctx context.Context, api *apiclient.Client, tokens map[string]string) (map[string][]string, error) {
	staff := tokens["staff"]
	var round struct{ ID string }
	now := time.Now()
	if err := api.Call(ctx, "POST", "/v1/communities/"+demo.CommunityID+"/rounds", staff, map[string]any{
		"name": "契约检查", "startsAt": now.Add(-time.Minute), "endsAt": now.Add(4 * time.Hour), "slotMinutes": 30, "allowPastStart": true,
	}, &round); err != nil {
		return nil, err
	}
	var site struct{ ID string }
	if err := api.Call(ctx, "POST", "/v1/rounds/"+round.ID+"/sites", staff, map[string]any{"name": "检查点", "lanes": 2, "perLanePerSlot": 20}, &site); err != nil {
		return nil, err
	}
	var notice struct{ ID string }
	if err := api.Call(ctx, "POST", "/v1/communities/"+demo.CommunityID+"/notices", staff, map[string]any{
		"title": "契约检查", "body": "自动检查", "audience": map[string]any{"all": true}, "channels": []string{"app"},
	}, &notice); err != nil {
		return nil, err
	}
	var me struct {
		User struct{ ResidentID string }
	}
	_ = api.Call(ctx, "GET", "/v1/me", tokens["resident"], nil, &me)
	return map[string][]string{
		"communityId": {demo.CommunityID, demo.OtherCommunityID}, "streetId": {demo.StreetID, demo.OtherStreetID},
		"roundId": {round.ID}, "siteId": {site.ID}, "noticeId": {notice.ID},
		"residentId": {me.User.ResidentID}, "bookingId": {round.ID + "_" + me.User.ResidentID},
	}, nil
}
