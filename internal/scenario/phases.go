package scenario

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
)

const community = demo.CommunityID

type step struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error"`
	Result string `json:"result"`
	Action *struct {
		Kind        string   `json:"kind"`
		BuildingIDs []string `json:"buildingIds"`
	} `json:"action"`
}

type run struct {
	ID        string    `json:"id"`
	Drill     bool      `json:"drill"`
	StartedAt time.Time `json:"startedAt"`
	Steps     []step    `json:"steps"`
	Sealed    []string  `json:"sealed"`
	Created   struct {
		Rounds, Notices, Activations []string
	} `json:"created"`
}

// state a run carries between phases.
type state struct {
	run      run
	switched time.Time
	round    string
	slots    []slot
	bookings sync.Map // residentId → code (app bookings)
	orders   []order
	stats0   *stats
	optedOut map[string]time.Time
	items    []item
	outbox0  int
	// spent0 is the street's communities' SMS figures when outbox0 was
	// read: the day's texts are counted from there.
	spent0    spent
	latencies []float64
	latMu     sync.Mutex
	window    map[string][]string // building → its window's slots
	publish   bool                // the next plan is published
	winMu     sync.Mutex
	// volunteers are the demo volunteers' tokens, by phone; field the
	// field volunteers' (楼栋长, lanes, door team).
	volunteers map[string]string
	field      map[string]string
	// signInFailed counts the people who could not sign in as the day began.
	signInFailed int
	signInTried  int
	// daily0 are the demo community's figures of today before the switch.
	daily0 map[string]int
}

type slot struct {
	ID       string    `json:"id"`
	SiteID   string    `json:"siteId"`
	StartsAt time.Time `json:"startsAt"`
	Capacity int       `json:"capacity"`
	Booked   int       `json:"booked"`
}

type item struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Stock    int    `json:"stock"`
	Limit    int    `json:"limitPerHousehold"`
	PriceFen int    `json:"priceFen"`
	Paused   bool   `json:"paused"`
}

type order struct {
	ID        string    `json:"id"`
	Household string    `json:"householdId"`
	Building  string    `json:"buildingId"`
	DoorCode  string    `json:"doorCode"`
	CreatedAt time.Time `json:"createdAt"`
	Status    string    `json:"status"`
	Lines     []struct {
		ItemID   string `json:"itemId"`
		Quantity int    `json:"quantity"`
	} `json:"lines"`
	token     string
	delivered time.Time
}

type stats struct {
	ReadUnits             float64          `json:"dynamodbReadUnits"`
	WriteUnits            float64          `json:"dynamodbWriteUnits"`
	Requests              map[string]int64 `json:"dynamodbRequests"`
	Invocations           map[string]int64 `json:"invocations"`
	CancelledTransactions float64          `json:"cancelledTransactions"`
	CancelledWriteUnits   float64          `json:"cancelledWriteUnits"`
}

// prepare signs staff in, checks the community is at peace, reads the
// playbook, stocks the catalogue, has three phones reply TD, and signs the
// app households in (they have the app before the day).
func (r *runner) prepare(ctx context.Context) error {
	r.st = &state{optedOut: map[string]time.Time{}, volunteers: map[string]string{}, field: map[string]string{}}
	r.staff, r.admin = r.c.StaffToken, r.c.AdminToken
	if r.staff == "" {
		s, err := r.api.SignIn(ctx, demo.StaffPhone)
		if err != nil {
			return fmt.Errorf("staff sign-in: %w", err)
		}
		r.staff = s.Token
	}
	if r.admin == "" {
		s, err := r.api.SignIn(ctx, demo.AdminPhone)
		if err != nil {
			return fmt.Errorf("admin sign-in: %w", err)
		}
		r.admin = s.Token
	}
	var mode struct {
		Mode       string `json:"mode"`
		DrillRunID string `json:"drillRunId"`
		Runs       []run  `json:"runs"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/mode", r.staff, nil, &mode); err != nil {
		return err
	}
	if mode.Mode != "normal" || mode.DrillRunID != "" {
		return fmt.Errorf("the community is in %s (drill %q): end it first with POST /v1/communities/%s/mode", mode.Mode, mode.DrillRunID, community)
	}
	// The volunteers called by the last real switch hold their posts'
	// scope for the minutes they have to answer: a new real call meanwhile
	// is refused (a drill's calls hold a scope of their own).
	for _, last := range mode.Runs {
		if last.Drill || r.c.Drill {
			continue
		}
		if wait := time.Until(last.StartedAt.Add(11 * time.Minute)); wait > 0 {
			return fmt.Errorf("the last switch (%s) called the volunteers %s ago: their calls are open 10 minutes; run again in %s",
				last.ID, time.Since(last.StartedAt).Round(time.Second), wait.Round(time.Second))
		}
	}
	var pb struct {
		Emergency []step `json:"emergency"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/playbook", r.staff, nil, &pb); err != nil {
		return err
	}
	kinds := map[string]bool{}
	sealed := map[string]bool{}
	for _, s := range pb.Emergency {
		if s.Action != nil {
			kinds[s.Action.Kind] = true
			if s.Action.Kind == "seal_buildings" {
				for _, b := range s.Action.BuildingIDs {
					sealed[b] = true
				}
			}
		}
	}
	for _, k := range []string{"seal_buildings", "send_notice", "open_round", "activate_posts"} {
		if !kinds[k] {
			return fmt.Errorf("the community's playbook has no %s step: the day needs the demo's", k)
		}
	}
	if err := r.households(); err != nil {
		return err
	}
	for _, h := range r.hs {
		h.sealed = sealed[h.building]
	}
	if err := r.stock(ctx); err != nil {
		return err
	}
	if r.c.Remote {
		// Nobody signs in by a code from here: staff book for everyone.
		for _, h := range r.hs {
			h.sms = true
		}
		r.count("households (booked by staff)", len(r.hs))
		return nil
	}
	var s0 stats
	if err := r.call(ctx, "GET", "/dev/stats", "", nil, &s0); err == nil {
		r.st.stats0 = &s0
	}
	// Three SMS-only households of the sealed buildings want no SMS.
	for _, h := range r.hs {
		if len(r.st.optedOut) == 3 {
			break
		}
		if h.sealed && h.sms {
			if err := r.texts(ctx, h.phones[0], "TD"); err != nil {
				return err
			}
			r.st.optedOut[h.phones[0]] = time.Now()
		}
	}
	r.count("opted out (TD)", len(r.st.optedOut))
	r.settle(ctx) // the answers to TD sent: the day's count starts after them
	box, err := r.outbox(ctx)
	if err != nil {
		return err
	}
	r.st.outbox0 = len(box)
	if r.st.spent0, err = r.smsSpent(ctx); err != nil {
		return err
	}
	var app []*household
	for _, h := range r.hs {
		if !h.sms {
			app = append(app, h)
		}
	}
	// Each from a loopback address of its own group, as residents on their
	// own networks: 3,000 households are not one client.
	var failed atomic.Int64
	r.parallel(len(app), func(i int) {
		c := r.api.From(apiclient.LoopbackAddr(i / 20))
		s, err := c.SignIn(ctx, app[i].phones[0])
		if r.fail(err) {
			failed.Add(1)
			return
		}
		app[i].token = s.Token
		if r.c.Drill {
			// Those who take part in a drill see its notices and round.
			r.fail(c.Call(ctx, "PUT", "/v1/me/drills", s.Token, map[string]bool{"optIn": true}, nil))
		}
	})
	// The volunteers answer their calls in the app.
	for _, ph := range demo.VolunteerPhones {
		s, err := r.api.From(apiclient.LoopbackAddr(1000)).SignIn(ctx, ph)
		if r.fail(err) {
			continue
		}
		r.st.volunteers[ph] = s.Token
	}
	for _, ph := range demo.FieldVolunteerPhones {
		s, err := r.api.From(apiclient.LoopbackAddr(1001)).SignIn(ctx, ph)
		if r.fail(err) {
			continue
		}
		r.st.field[ph] = s.Token
	}
	r.count("volunteers signed in", len(r.st.volunteers)+len(r.st.field))
	tried := len(demo.VolunteerPhones) + len(demo.FieldVolunteerPhones)
	r.st.signInTried = len(app) + tried
	r.st.signInFailed = int(failed.Load()) + tried - len(r.st.volunteers) - len(r.st.field)
	r.count("households", len(r.hs))
	r.count("app households signed in", len(app)-int(failed.Load()))
	r.count("sms-only households", len(r.hs)-len(app))
	return nil
}

// stock makes sure the catalogue has items to order.
func (r *runner) stock(ctx context.Context) error {
	var list struct {
		Items []item `json:"items"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/items", r.staff, nil, &list); err != nil {
		return err
	}
	for _, it := range list.Items {
		if !it.Paused && it.Stock > 0 {
			r.st.items = append(r.st.items, it)
		}
	}
	if len(r.st.items) >= 2 {
		return nil
	}
	var m struct{ ID string }
	if err := r.do(ctx, "POST", "/v1/communities/"+community+"/merchants", r.staff, map[string]string{"Idempotency-Key": "scenario-merchant"},
		map[string]string{"name": "保供超市", "phone": "13800138001"}, &m); err != nil {
		return err
	}
	for i, it := range []map[string]any{
		{"name": "蔬菜包", "unit": "份", "priceFen": 2500, "stock": 400, "limitPerHousehold": 1},
		{"name": "大米", "unit": "袋", "priceFen": 5000, "stock": 300, "limitPerHousehold": 1},
		{"name": "牛奶", "unit": "箱", "priceFen": 6000, "stock": 200, "limitPerHousehold": 2},
	} {
		it["merchantId"] = m.ID
		var out item
		if err := r.do(ctx, "POST", "/v1/communities/"+community+"/items", r.staff,
			map[string]string{"Idempotency-Key": fmt.Sprintf("scenario-item-%d-%d", i, time.Now().Unix())}, it, &out); err != nil {
			return err
		}
		r.st.items = append(r.st.items, out)
	}
	r.count("items in the catalogue", len(r.st.items))
	return nil
}

// switchOn is 07:00: the case is found and the community switches.
func (r *runner) switchOn(ctx context.Context) error {
	var err error
	if r.st.daily0, err = r.daily(ctx); err != nil {
		return err
	}
	// The street moves its communities in one call, each with its own
	// playbook.
	r.st.switched = time.Now()
	if r.st.run, err = r.switchStreet(ctx, "emergency"); err != nil {
		return err
	}
	for _, s := range r.st.run.Steps {
		r.count("steps "+s.Status, 1)
		if s.Status == "failed" {
			r.rep.brake("playbook step "+s.ID+" failed", "预案步骤 "+s.ID+" 失败", s.Error+" "+s.Result, s.Error+" "+s.Result)
		}
	}
	if len(r.st.run.Created.Rounds) != 1 || len(r.st.run.Created.Notices) == 0 || len(r.st.run.Created.Activations) == 0 {
		return fmt.Errorf("the switch made %+v", r.st.run.Created)
	}
	r.st.round = r.st.run.Created.Rounds[0]
	r.rep.RunID = r.st.run.ID
	return nil
}

// tick is 07:05: the first manual step is ticked.
func (r *runner) tick(ctx context.Context) {
	if d := time.Duration(float64(5*time.Minute)/r.c.Speed) - time.Since(r.st.switched); d > 0 {
		time.Sleep(d)
	}
	if err := r.call(ctx, "POST", "/v1/runs/"+r.st.run.ID+"/steps/confirm/done", r.staff, map[string]string{"note": "已上报街道"}, nil); r.fail(err) {
		r.count("tick failed", 1)
	}
}

// told waits until every phone of the sealed buildings was texted.
func (r *runner) told(ctx context.Context) error {
	nid := r.st.run.Created.Notices[0]
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var d struct{ Queued, Sent, Failed, Skipped int }
		if err := r.call(ctx, "GET", "/v1/notices/"+nid+"/delivery", r.staff, nil, &d); err != nil {
			return err
		}
		if d.Queued > 0 && d.Sent+d.Failed+d.Skipped >= d.Queued {
			r.rep.Told = Told{Seconds: time.Since(r.st.switched).Seconds(), Phones: d.Queued, Sent: d.Sent, Skipped: d.Skipped, Failed: d.Failed}
			r.rep.Told.ScenarioMinutes = r.rep.Told.Seconds * r.c.Speed / 60
			for _, h := range r.hs {
				if h.sealed {
					r.rep.Told.Households++
				}
			}
			r.count("phones texted", d.Sent)
			r.count("opted out, skipped", d.Skipped)
			r.tick(ctx)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the notice was not out after 5 minutes: %+v", d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// book is the opening: households arrive on an exponential curve (most in
// the first minutes), 85% book in the app, the rest by SMS; halfway a site
// closes.
func (r *runner) book(ctx context.Context) error {
	var slots struct {
		Slots []slot `json:"slots"`
	}
	if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/slots", r.staff, nil, &slots); err != nil {
		return err
	}
	r.st.slots = slots.Slots
	if len(r.st.slots) == 0 {
		return errors.New("the round has no slots")
	}
	// The plan is published: each household is told its building's
	// window and site (整楼带进带出), and the app shows it.
	r.st.publish = true
	if err := r.windows(ctx); err != nil {
		return err
	}
	r.st.publish = false
	// The plan's texts go out before booking opens (a plan is published
	// ahead of its round): the opening's SMS replies do not wait behind
	// them on the dispatch queue.
	r.settle(ctx)
	n := len(r.hs)
	arrive := make([]time.Duration, n)
	for i := range arrive {
		// Mean 10 scenario minutes, none later than two hours.
		arrive[i] = time.Duration(min(r.exp()*10, 120) * float64(time.Minute))
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(arrive[a] - arrive[b]) })
	var before *stats
	if !r.c.Remote {
		var s0 stats
		if err := r.call(ctx, "GET", "/dev/stats", "", nil, &s0); err == nil {
			before = &s0
		}
	}
	start := time.Now()
	var done atomic.Int64
	closeAt := n / 2
	var closeOnce sync.Once
	var appBooked, smsSent, appRefused atomic.Int64
	r.parallel(n, func(k int) {
		i := order[k]
		h := r.hs[i]
		if d := time.Duration(float64(arrive[i])/r.c.Speed) - time.Since(start); d > 0 {
			time.Sleep(d)
		}
		if h.sms && (r.c.Drill || r.c.Remote) {
			// A text is real, a drill's round is not: in a drill staff book
			// those without the app (their confirmations go to the drill's outbox).
			var out struct {
				Bookings []struct{ ResidentID, Code string } `json:"bookings"`
			}
			if !r.fail(r.call(ctx, "POST", "/v1/rounds/"+r.st.round+"/bookings", r.staff,
				map[string]any{"slotId": r.windowSlot(h.building, 0), "residentIds": h.residents[:min(len(h.residents), 10)]}, &out)) {
				smsSent.Add(1)
				for _, b := range out.Bookings {
					r.st.bookings.Store(b.ResidentID, b.Code)
				}
			}
		} else if h.sms {
			// Every member with a phone texts 预约 for themselves.
			for _, ph := range h.phones {
				if !r.fail(r.texts(ctx, ph, "预约")) {
					smsSent.Add(1)
				}
			}
		} else if h.token != "" {
			var out struct {
				Bookings []struct {
					ResidentID string `json:"residentId"`
					Code       string `json:"code"`
				} `json:"bookings"`
			}
			var err error
			// A full slot: the app offers the one the refusal names (the
			// window's with room, nearest first), else the window's next.
			slot := r.windowSlot(h.building, 0)
			for try := 0; try < 4; try++ {
				t := time.Now()
				err = r.call(ctx, "POST", "/v1/rounds/"+r.st.round+"/bookings", h.token,
					map[string]any{"slotId": slot, "residentIds": h.residents[:min(len(h.residents), 10)]}, &out)
				if alt := apiclient.AlternativesOf(err); len(alt) > 0 {
					slot = alt[0]
				} else {
					slot = r.windowSlot(h.building, try+1)
				}
				r.st.latMu.Lock()
				r.st.latencies = append(r.st.latencies, time.Since(t).Seconds()*1000)
				r.st.latMu.Unlock()
				if c := apiclient.CodeOf(err); c != "SLOT_FULL" && c != "SLOT_UNAVAILABLE" && c != "OUTSIDE_BUILDING_WINDOW" {
					break
				}
				if c := apiclient.CodeOf(err); c == "OUTSIDE_BUILDING_WINDOW" || c == "SLOT_UNAVAILABLE" {
					r.fail(r.windows(ctx)) // the plan moved (a site closed)
				}
			}
			if r.fail(err) {
				appRefused.Add(1)
			}
			for _, b := range out.Bookings {
				r.st.bookings.Store(b.ResidentID, b.Code)
				appBooked.Add(1)
			}
		}
		if int(done.Add(1)) == closeAt {
			closeOnce.Do(func() { r.closeSite(ctx) })
		}
	})
	r.count("residents booked in the app", int(appBooked.Load()))
	r.count("app bookings refused", int(appRefused.Load()))
	r.count("SMS 预约 sent", int(smsSent.Load()))
	r.rep.Booking.AppResidents = int(appBooked.Load())
	r.rep.Booking.SMSTexts = int(smsSent.Load())
	r.rep.Booking.Seconds = time.Since(start).Seconds()
	r.rep.Booking.P50ms, r.rep.Booking.P99ms = percentile(r.st.latencies, 0.5), percentile(r.st.latencies, 0.99)
	// What the opening's bookings cost, refusals apart (before the
	// keyword flows' settling adds their own).
	var after stats
	if before != nil && r.call(ctx, "GET", "/dev/stats", "", nil, &after) == nil {
		o := &r.rep.Opening
		o.Placed = int(appBooked.Load())
		o.Transactions = int(after.Requests["TransactWriteItems"] - before.Requests["TransactWriteItems"])
		o.Cancelled = int(after.CancelledTransactions - before.CancelledTransactions)
		o.WriteUnits = after.WriteUnits - before.WriteUnits
		o.CancelledWriteUnits = after.CancelledWriteUnits - before.CancelledWriteUnits
		o.Refused = int(appRefused.Load())
	}
	// Let the keyword flows drain (they run on the dispatch queue).
	r.settle(ctx)
	return nil
}

// windows reads the round's plan: each building's window and its slots.
func (r *runner) windows(ctx context.Context) error {
	var plan struct {
		Windows []struct {
			BuildingID string   `json:"buildingId"`
			SlotIDs    []string `json:"slotIds"`
		} `json:"windows"`
	}
	path := "/v1/rounds/" + r.st.round + "/plan"
	if r.st.publish {
		path += "?publish=true"
	}
	if err := r.call(ctx, "POST", path, r.staff, nil, &plan); err != nil {
		return err
	}
	w := map[string][]string{}
	for _, x := range plan.Windows {
		w[x.BuildingID] = x.SlotIDs
	}
	r.st.winMu.Lock()
	r.st.window = w
	r.st.winMu.Unlock()
	return nil
}

// windowSlot is a slot of the building's window, a different one each try.
func (r *runner) windowSlot(building string, try int) string {
	r.st.winMu.Lock()
	ids := r.st.window[building]
	r.st.winMu.Unlock()
	if len(ids) == 0 {
		return r.st.slots[0].ID
	}
	return ids[(try+r.intn(1<<30))%len(ids)]
}

// closeSite closes the round's second site mid-round.
func (r *runner) closeSite(ctx context.Context) {
	sites := []string{}
	for _, s := range r.st.slots {
		if !slices.Contains(sites, s.SiteID) {
			sites = append(sites, s.SiteID)
		}
	}
	if len(sites) < 2 {
		return
	}
	var c struct {
		Site      struct{ Name string } `json:"site"`
		Moved     []any                 `json:"moved"`
		Cancelled []any                 `json:"cancelled"`
		Notified  int                   `json:"notified"`
		Capacity  capacity              `json:"capacity"`
	}
	t := time.Now()
	err := r.call(ctx, "DELETE", "/v1/sites/"+sites[1], r.staff, nil, &c)
	if apiclient.CodeOf(err) == "WOULD_STRAND_BOOKINGS" {
		// The answer said who would be stranded: staff close it anyway.
		r.count("closure refused until confirmed", 1)
		err = r.call(ctx, "DELETE", "/v1/sites/"+sites[1]+"?confirm=true", r.staff, nil, &c)
	}
	if r.fail(err) {
		r.rep.brake("the site closed mid-round", "轮中关闭采样点", fmt.Sprintf("after %.1f s: %v", time.Since(t).Seconds(), err),
			fmt.Sprintf("%.1f 秒后：%v", time.Since(t).Seconds(), err))
		return
	}
	r.rep.SiteClosed.Seconds = time.Since(t).Seconds()
	r.rep.SiteClosed = SiteClosed{SiteID: sites[1], Site: c.Site.Name, Moved: len(c.Moved), Cancelled: len(c.Cancelled), Notified: c.Notified,
		AtScenario: clock(time.Since(r.st.switched), r.c.Speed), Seconds: r.rep.SiteClosed.Seconds}
	r.count("site closed: bookings moved", len(c.Moved))
	// The closure's answer says what the rest of the round is short of,
	// and what covers it: staff raise the lanes it names.
	if c.Capacity.ShortBy > 0 {
		r.remedy(ctx, c.Capacity)
	}
}

// settle waits until the local outbox stops growing: the queue is drained.
func (r *runner) settle(ctx context.Context) {
	if r.c.Remote {
		time.Sleep(2 * time.Second) // a deployed queue drains on its own
		return
	}
	// Drained when the outbox has not grown for three looks in a row: a
	// paced queue sends in bursts.
	last, still := -1, 0
	for i := 0; i < 240; i++ {
		box, err := r.outbox(ctx)
		if err != nil {
			return
		}
		if len(box) == last {
			if still++; still == 3 {
				return
			}
		} else {
			still = 0
		}
		last = len(box)
		time.Sleep(500 * time.Millisecond)
	}
}

// volunteers: a tenth of the A roles decline in the app, the backup job
// calls the Bs, who accept.
func (r *runner) volunteers(ctx context.Context) error {
	aid := r.st.run.Created.Activations[0]
	var view Activation
	if err := r.call(ctx, "GET", "/v1/activations/"+aid, r.staff, nil, &view); err != nil {
		return err
	}
	var as []Ask
	for _, sh := range view.Shifts {
		for _, a := range sh.Asks {
			if a.Role == "A" {
				as = append(as, a)
			}
		}
	}
	if r.c.Remote {
		// The volunteers' own phones answer a deployed stack's calls.
		r.rep.Volunteers = VolunteerCounts{Asked: view.Asked, Accepted: view.Accepted, Declined: view.Declined, BackupsCalled: view.BackupsCalled, Unfilled: view.Unfilled}
		r.count("asked", view.Asked)
		return nil
	}
	decline := int(math.Ceil(float64(len(as)) / 10))
	declined := map[string]bool{}
	for _, a := range as {
		if len(declined) == decline {
			break
		}
		if declined[a.Phone] || a.Phone == "" {
			continue
		}
		// An answer is for every open ask of the volunteer's in the call.
		if !r.fail(r.call(ctx, "POST", "/v1/activations/"+aid+"/response", r.st.volunteers[a.Phone], map[string]string{"answer": "decline"}, nil)) {
			declined[a.Phone] = true
		}
	}
	r.settle(ctx)
	at := time.Now().Add(time.Duration(view.Minutes+1) * time.Minute).Format(time.RFC3339)
	var b struct {
		BackupsCalled int `json:"backupsCalled"`
	}
	if err := r.call(ctx, "POST", "/dev/jobs/activation-backups?at="+at, "", nil, &b); err != nil {
		return err
	}
	r.settle(ctx)
	if err := r.call(ctx, "GET", "/v1/activations/"+aid, r.staff, nil, &view); err != nil {
		return err
	}
	accepted := map[string]bool{}
	for _, sh := range view.Shifts {
		for _, a := range sh.Asks {
			if a.Role == "B" && a.Status == "asked" && a.Phone != "" && !accepted[a.Phone] {
				accepted[a.Phone] = true
				r.fail(r.call(ctx, "POST", "/v1/activations/"+aid+"/response", r.st.volunteers[a.Phone], map[string]string{"answer": "accept"}, nil))
			}
		}
	}
	r.settle(ctx)
	if err := r.call(ctx, "GET", "/v1/activations/"+aid, r.staff, nil, &view); err != nil {
		return err
	}
	r.rep.Volunteers = VolunteerCounts{Asked: view.Asked, Accepted: view.Accepted, Declined: view.Declined, BackupsCalled: view.BackupsCalled, Unfilled: view.Unfilled}
	r.count("asked", view.Asked)
	r.count("declined", view.Declined)
	r.count("backups called", view.BackupsCalled)
	return nil
}

// supplies: the sealed households with the app order; staff accept,
// purchase and send them out; the deliverer hands over with the door code;
// the household confirms.
func (r *runner) supplies(ctx context.Context) error {
	if r.c.Drill {
		// A drill seals on paper: nobody is in a zone to order from.
		r.count("skipped in a drill (zones on paper)", 1)
		return nil
	}
	var mu sync.Mutex
	var sealed []*household
	for _, h := range r.hs {
		if h.sealed && h.token != "" {
			sealed = append(sealed, h)
		}
	}
	r.parallel(len(sealed), func(i int) {
		h := sealed[i]
		it := r.st.items[i%len(r.st.items)]
		var o order
		err := r.do(ctx, "POST", "/v1/communities/"+community+"/orders", h.token, map[string]string{"Idempotency-Key": "scenario-" + r.st.run.ID + "-" + h.id},
			map[string]any{"lines": []map[string]any{{"itemId": it.ID, "quantity": 1}}}, &o)
		if r.fail(err) {
			return
		}
		o.token = h.token
		mu.Lock()
		r.st.orders = append(r.st.orders, o)
		mu.Unlock()
	})
	r.count("orders placed", len(r.st.orders))
	for _, status := range []string{"accepted", "purchasing"} {
		r.parallel(len(r.st.orders), func(i int) {
			r.fail(r.call(ctx, "POST", "/v1/orders/"+r.st.orders[i].ID+"/status", r.staff, map[string]string{"status": status}, nil))
		})
	}
	buildings := map[string]bool{}
	for _, o := range r.st.orders {
		buildings[o.Building] = true
	}
	for b := range buildings {
		r.fail(r.call(ctx, "POST", "/v1/communities/"+community+"/deliveries", r.staff, map[string]string{"buildingId": b, "delivererPhone": demo.StaffPhone}, nil))
	}
	var delivered, confirmed atomic.Int64
	r.parallel(len(r.st.orders), func(i int) {
		o := &r.st.orders[i]
		if r.fail(r.call(ctx, "POST", "/v1/orders/"+o.ID+"/status", r.staff, map[string]string{"status": "delivered", "code": o.DoorCode}, nil)) {
			return
		}
		o.delivered = time.Now()
		delivered.Add(1)
		if !r.fail(r.call(ctx, "POST", "/v1/orders/"+o.ID+"/status", o.token, map[string]string{"status": "confirmed"}, nil)) {
			confirmed.Add(1)
		}
	})
	var secs []float64
	for _, o := range r.st.orders {
		if !o.delivered.IsZero() {
			secs = append(secs, o.delivered.Sub(o.CreatedAt).Seconds())
		}
	}
	r.rep.Orders = OrderCounts{Placed: len(r.st.orders), Delivered: int(delivered.Load()), Confirmed: int(confirmed.Load()),
		P50Seconds: percentile(secs, 0.5), MaxSeconds: percentile(secs, 1)}
	r.count("delivered", int(delivered.Load()))
	r.count("confirmed", int(confirmed.Load()))
	return nil
}

// help: a childbirth request from a sealed household; staff claim it four
// scenario minutes later.
func (r *runner) help(ctx context.Context) error {
	if r.c.Drill {
		// A help request is real whenever it comes: the staff would be texted.
		r.count("skipped in a drill (it would alert real staff)", 1)
		return nil
	}
	var h *household
	for _, x := range r.hs {
		if x.sealed && x.token != "" {
			h = x
			break
		}
	}
	if h == nil {
		return errors.New("no sealed household with the app")
	}
	var req struct {
		ID        string    `json:"id"`
		CreatedAt time.Time `json:"createdAt"`
	}
	if err := r.do(ctx, "POST", "/v1/me/help", h.token, map[string]string{"Idempotency-Key": "scenario-help-" + r.st.run.ID},
		map[string]any{"kind": "childbirth", "note": "羊水破了"}, &req); err != nil {
		return err
	}
	t := time.Now()
	r.wait(ctx, 4*time.Minute)
	var claimed struct {
		ClaimedAt time.Time `json:"claimedAt"`
	}
	if err := r.call(ctx, "POST", "/v1/help/"+req.ID+"/claim", r.staff, nil, &claimed); err != nil {
		return err
	}
	r.rep.Help = HelpResponse{Kind: "childbirth", Seconds: time.Since(t).Seconds()}
	r.rep.Help.ScenarioMinutes = r.rep.Help.Seconds * r.c.Speed / 60
	r.count("claimed", 1)
	return nil
}

// temperatures: the sealed households' members report, a few with fever.
func (r *runner) temperatures(ctx context.Context) error {
	if r.c.Drill {
		// A fever is real whenever it is reported: the staff would be texted.
		r.count("skipped in a drill (fevers would alert real staff)", 1)
		return nil
	}
	type report struct {
		token, resident string
	}
	var reps []report
	for _, h := range r.hs {
		if h.sealed && h.token != "" {
			for _, rid := range h.residents {
				reps = append(reps, report{h.token, rid})
			}
		}
	}
	var fevers, taken atomic.Int64
	r.parallel(len(reps), func(i int) {
		c := 36.2 + float64(r.intn(8))/10
		if i%40 == 7 {
			c = 38.3
		}
		if !r.fail(r.call(ctx, "POST", "/v1/me/temperatures", reps[i].token, map[string]any{"celsius": c, "residentId": reps[i].resident}, nil)) {
			taken.Add(1)
			if c >= 37.3 {
				fevers.Add(1)
			}
		}
	})
	r.settle(ctx)
	r.rep.Temperatures = TemperatureCounts{Reports: int(taken.Load()), Fevers: int(fevers.Load())}
	r.count("reports", int(taken.Load()))
	r.count("fevers", int(fevers.Load()))
	return nil
}

// unsampled: progress by building, and the list for the door-to-door check.
func (r *runner) unsampled(ctx context.Context) error {
	var progress struct {
		Buildings []BuildingShare `json:"buildings"`
	}
	if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/progress", r.staff, nil, &progress); err != nil {
		return err
	}
	var list struct {
		Residents []struct {
			ResidentID string `json:"residentId"`
			BuildingID string `json:"buildingId"`
			Reason     string `json:"reason"`
		} `json:"residents"`
	}
	if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/unsampled", r.staff, nil, &list); err != nil {
		return err
	}
	r.rep.Buildings = progress.Buildings
	for i := range r.rep.Buildings {
		b := &r.rep.Buildings[i]
		if b.Residents > 0 {
			b.BookedShare = float64(b.Booked) / float64(b.Residents)
			b.SampledShare = float64(b.Sampled) / float64(b.Residents)
		}
		r.rep.Booking.Booked += b.Booked
		r.rep.Booking.Sampled += b.Sampled
	}
	// Who booked by SMS is told so by SMS.
	if !r.c.Remote {
		box, err := r.outbox(ctx)
		if err != nil {
			return err
		}
		for _, m := range box[r.st.outbox0:] {
			if m.Template == "reply_booked" {
				r.rep.Booking.SMSResidents++
			}
		}
	}
	// Shares are of the residents of the households that took part: a run
	// of a few hundred households is not a community's failure.
	taking := map[string]bool{}
	for _, h := range r.hs {
		for _, id := range h.residents {
			taking[id] = true
		}
	}
	r.rep.Booking.Residents = len(taking)
	r.rep.DoorToDoor = 0
	for _, u := range list.Residents {
		if taking[u.ResidentID] && u.Reason == "" {
			r.rep.DoorToDoor++
		}
	}
	r.count("buildings", len(progress.Buildings))
	r.count("to knock on", r.rep.DoorToDoor)
	return nil
}

// Activation is the live view of an activation, as much as the run reads.
type Activation struct {
	Minutes       int `json:"minutes"`
	Asked         int `json:"asked"`
	Accepted      int `json:"accepted"`
	Declined      int `json:"declined"`
	BackupsCalled int `json:"backupsCalled"`
	Unfilled      int `json:"unfilled"`
	Shifts        []struct {
		Asks []Ask `json:"asks"`
	} `json:"shifts"`
}

// Ask is one volunteer called.
type Ask struct {
	Role   string `json:"role"`
	Status string `json:"status"`
	Phone  string `json:"phone"`
}

// clock is the scenario's time of day for a wall-clock span since 07:00.
func clock(since time.Duration, speed float64) string {
	t := time.Date(2022, 10, 1, 7, 0, 0, 0, time.UTC).Add(time.Duration(float64(since) * speed))
	return t.Format("15:04")
}
