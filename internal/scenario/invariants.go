package scenario

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
)

// invariants reads the state back and checks what must hold whatever the
// load: no slot over capacity, nobody booked twice, no stock oversold nor a
// household over its limit, no message to a phone that opted out, no
// drill message to a real phone, no 5xx.
func (r *runner) invariants(ctx context.Context) error {
	var slots struct {
		Slots []slot `json:"slots"`
	}
	if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/slots", r.staff, nil, &slots); err != nil {
		return err
	}
	full := 0
	for _, s := range slots.Slots {
		if s.Booked > s.Capacity {
			full++
		}
	}
	r.rep.hold("no slot over its capacity", full == 0, fmt.Sprintf("%d slots, %d over", len(slots.Slots), full))
	// A limit that keeps residents out on the morning they must book is an
	// outage, however it is worded.
	r.rep.hold("everyone signs in", r.st.signInFailed == 0,
		fmt.Sprintf("%d of %d households and volunteers could not sign in", r.st.signInFailed, r.st.signInTried))
	// Nobody holds two bookings in the round: every household with the app
	// reads its own, and no building has more booked than residents.
	twice := 0
	var mu sync.Mutex
	var app []*household
	for _, h := range r.hs {
		if h.token != "" {
			app = append(app, h)
		}
	}
	r.parallel(len(app), func(i int) {
		var mine struct {
			Bookings []struct {
				RoundID    string `json:"roundId"`
				ResidentID string `json:"residentId"`
				Status     string `json:"status"`
			} `json:"bookings"`
		}
		if r.fail(r.call(ctx, "GET", "/v1/me/bookings", app[i].token, nil, &mine)) {
			return
		}
		seen := map[string]bool{}
		for _, b := range mine.Bookings {
			if b.RoundID != r.st.round || b.Status == "cancelled" {
				continue
			}
			if seen[b.ResidentID] {
				mu.Lock()
				twice++
				mu.Unlock()
			}
			seen[b.ResidentID] = true
		}
	})
	over := 0
	for _, b := range r.rep.Buildings {
		if b.Booked > b.Residents {
			over++
		}
	}
	r.rep.hold("nobody booked twice", twice == 0 && over == 0,
		fmt.Sprintf("%d households read their bookings, %d residents with two; %d buildings with more booked than residents", len(app), twice, over))
	r.queues(slots.Slots)

	var items struct {
		Items []item `json:"items"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/items", r.staff, nil, &items); err != nil {
		return err
	}
	negative := 0
	for _, it := range items.Items {
		if it.Stock < 0 {
			negative++
		}
	}
	limit := map[string]int{}
	for _, it := range r.st.items {
		limit[it.ID] = it.Limit
	}
	perHousehold := map[string]int{}
	overLimit := 0
	for _, o := range r.st.orders {
		for _, l := range o.Lines {
			perHousehold[o.Household+"/"+l.ItemID] += l.Quantity
			if lim := limit[l.ItemID]; lim > 0 && perHousehold[o.Household+"/"+l.ItemID] > lim {
				overLimit++
			}
		}
	}
	r.rep.hold("no stock oversold, no household over its limit", negative == 0 && overLimit == 0,
		fmt.Sprintf("%d items below zero, %d lines over a limit", negative, overLimit))

	var box []apiclient.SMS
	if !r.c.Remote {
		r.settle(ctx) // every text of the day, sent
		var err error
		if box, err = r.outbox(ctx); err != nil {
			return err
		}
		box = box[r.st.outbox0:]
	}
	toOptedOut := 0
	for _, m := range box {
		if at, ok := r.st.optedOut[m.To]; ok && m.SentAt.After(at.Add(time.Second)) {
			toOptedOut++
		}
	}
	if !r.c.Remote {
		r.rep.hold("no SMS to a phone that opted out", toOptedOut == 0, fmt.Sprintf("%d phones opted out, %d messages to them after", len(r.st.optedOut), toOptedOut))
	}
	for _, m := range box {
		p := r.rep.SMSByPurpose[purposeOf(m.Template)]
		p.Messages++
		p.Parts += m.Parts
		r.rep.SMSByPurpose[purposeOf(m.Template)] = p
		r.rep.SMSParts += m.Parts
	}
	if r.c.Drill {
		var drill struct {
			Messages []struct {
				Template string `json:"template"`
				Parts    int    `json:"parts"`
			} `json:"messages"`
		}
		if err := r.call(ctx, "GET", "/v1/runs/"+r.st.run.ID+"/outbox", r.staff, nil, &drill); err != nil {
			return err
		}
		for _, m := range drill.Messages {
			p := r.rep.DrillSMSByPurpose[purposeOf(m.Template)]
			p.Messages++
			p.Parts += m.Parts
			r.rep.DrillSMSByPurpose[purposeOf(m.Template)] = p
		}
		// In a drill only sign-in codes and the answers to texts people
		// sent themselves reach phones (a deployed stack's phones are not
		// visible from here: its drill outbox is what the report shows).
		if !r.c.Remote {
			leaked := 0
			for _, m := range box {
				switch purposeOf(m.Template) {
				case "signin", "reply":
				default:
					leaked++
				}
			}
			r.rep.hold("no drill message to a real phone", leaked == 0, fmt.Sprintf("%d real messages other than sign-in codes and replies", leaked))
		}
	}
	fives := 0
	for code, n := range r.rep.Errors {
		if strings.HasPrefix(code, "5") {
			fives += n
		}
	}
	f := r.rep.Field
	r.rep.hold("every resident sampled or accounted for", f.DoneShare >= 0.99,
		fmt.Sprintf("%d of %d residents of the households that took part (%s): sampled, or given a reason", f.Done, f.Residents, pct(f.DoneShare)))
	r.rep.hold("nobody checked in by a volunteer at a site not theirs", f.WrongSiteAccepted == 0,
		fmt.Sprintf("%d tried at another site, %d refused", f.WrongSiteRefused+f.WrongSiteAccepted, f.WrongSiteRefused))
	r.rep.hold("no phone number in a volunteer's answer", f.PhonesShown == 0,
		fmt.Sprintf("%d answers to volunteers, %d phone numbers in them", f.VolunteerAnswers, f.PhonesShown))
	r.rep.hold("no 5xx answer", fives == 0, fmt.Sprintf("%d", fives))
	r.count("invariants", len(r.rep.Invariants))
	r.count("broken", len(r.rep.Broken()))
	return nil
}

// queues is the longest queue at a site in each slot: the people booked
// into its slot at the site with the most.
func (r *runner) queues(slots []slot) {
	by := map[time.Time]SlotQueue{}
	for _, s := range slots {
		q := by[s.StartsAt]
		if s.Booked >= q.Booked {
			by[s.StartsAt] = SlotQueue{Starts: s.StartsAt.Format("15:04"), Site: s.SiteID, Booked: s.Booked, Capacity: s.Capacity, at: s.StartsAt}
		}
	}
	for _, q := range by {
		r.rep.Queues = append(r.rep.Queues, q)
	}
	sortQueues(r.rep.Queues)
}

// switchOff ends the emergency (or the drill, removing its data), so that
// the next run starts at peace.
func (r *runner) switchOff(ctx context.Context) error {
	var end run
	if err := r.call(ctx, "POST", "/v1/communities/"+community+"/mode", r.staff, map[string]any{"mode": "normal", "drill": r.c.Drill}, &end); err != nil {
		return err
	}
	r.count("steps", len(end.Steps))
	if r.c.Drill {
		var removed struct {
			Removed struct{ Items int } `json:"drillDataRemoved"`
		}
		if err := r.call(ctx, "DELETE", "/v1/runs/"+r.st.run.ID+"/drill-data", r.staff, nil, &removed); err != nil {
			return err
		}
		r.count("drill items removed", removed.Removed.Items)
	}
	var report struct {
		Run struct {
			Steps []struct {
				ID                string `json:"id"`
				Status            string `json:"status"`
				SecondsFromSwitch *int   `json:"secondsFromSwitch"`
				Late              bool   `json:"late"`
			} `json:"steps"`
		} `json:"run"`
	}
	if err := r.call(ctx, "GET", "/v1/runs/"+r.st.run.ID+"/report", r.staff, nil, &report); err != nil {
		return err
	}
	for _, s := range report.Run.Steps {
		st := StepTime{ID: s.ID, Status: s.Status, Late: s.Late}
		if s.SecondsFromSwitch != nil {
			st.Seconds = s.SecondsFromSwitch
		}
		r.rep.Steps = append(r.rep.Steps, st)
	}
	return nil
}
