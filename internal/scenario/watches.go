package scenario

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/shared/chinatime"
)

// WatchChecks is the night's people under watch reporting: the pooled-
// positive tube's households put under health monitoring, each watched
// person's reading of the window by the app, SMS or staff at the door (a
// quarter never report, one reports a fever with a cough), and the day's
// windows closed by the job.
type WatchChecks struct {
	// PooledWatched are the tube's households put under watch (or
	// under one already).
	PooledWatched int `json:"pooledWatched"`
	People        int `json:"people"`
	ByApp         int `json:"byApp"`
	BySMS         int `json:"bySms"`
	ByStaff       int `json:"byStaff"`
	Silent        int `json:"silent"`
	// Windows are the people's windows of the day that closed after their
	// watch began; Covered those reported or on the door list.
	Windows int `json:"windows"`
	Covered int `json:"covered"`
	Missed  int `json:"missed"`
	Doors   int `json:"doors"`
	// Alerts are the readings with a fever or symptom on the door list;
	// AlertTexts the staff's watch_alert texts.
	Alerts     int     `json:"alerts"`
	AlertTexts int     `json:"alertTexts"`
	Seconds    float64 `json:"seconds"`
	Skipped    bool    `json:"skipped"`
}

// watchChecks plays the night of the people under watch.
func (r *runner) watchChecks(ctx context.Context) error {
	wc := &r.rep.WatchChecks
	if r.rep.Screening.Skipped {
		wc.Skipped = true // the watches come from the screening list: real work, not a drill's
		return nil
	}
	t0 := time.Now()
	community := r.rep.Community
	if tube := r.rep.Evening.PositiveTube; tube != "" {
		var t struct {
			Households []struct {
				HouseholdID string `json:"householdId"`
			} `json:"households"`
		}
		if err := r.call(ctx, "GET", "/v1/tubes/"+r.st.round+"-t"+strings.ToLower(tube), r.staff, nil, &t); err != nil {
			return err
		}
		for _, h := range t.Households {
			err := r.call(ctx, "POST", "/v1/communities/"+community+"/watches", r.staff,
				map[string]any{"householdId": h.HouseholdID, "kind": "health_monitoring", "reason": "pooled_positive", "ref": tube}, nil)
			if err == nil || apiclient.CodeOf(err) == "ALREADY_WATCHED" {
				wc.PooledWatched++
			} else {
				r.fail(err)
			}
		}
	}
	type watched struct {
		ID          string   `json:"id"`
		HouseholdID string   `json:"householdId"`
		ResidentIDs []string `json:"residentIds"`
		CreatedAt   time.Time
		Today       []struct {
			ResidentID, Window string
			Missed             bool
			At                 *time.Time
		}
	}
	var list struct{ Watches []watched }
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/watches?status=active", r.staff, nil, &list); err != nil {
		return err
	}
	type person struct {
		watch, resident, household string
	}
	var people []person
	for _, w := range list.Watches {
		for _, rid := range w.ResidentIDs {
			people = append(people, person{w.ID, rid, w.HouseholdID})
		}
	}
	wc.People = len(people)
	homes := map[string]*household{}
	for _, h := range r.hs {
		homes[h.id] = h
	}
	var app, text, staff, silent atomic.Int64
	r.parallel(len(people), func(i int) {
		p := people[i]
		c := 36.3 + float64(i%5)/10
		switch {
		case i%4 == 3:
			silent.Add(1)
			return
		case i == 0:
			// The one fever, with a cough, taken at the door.
			if !r.fail(r.call(ctx, "POST", "/v1/communities/"+community+"/watches/"+p.watch+"/checks", r.staff,
				map[string]any{"residentId": p.resident, "celsius": 38.1, "symptoms": []string{"cough"}}, nil)) {
				staff.Add(1)
			}
			return
		}
		h := homes[p.household]
		if h != nil && h.token != "" {
			if !r.fail(r.call(ctx, "POST", "/v1/me/temperatures", h.token, map[string]any{"celsius": c, "residentId": p.resident, "symptoms": []string{"none"}}, nil)) {
				app.Add(1)
			}
			return
		}
		if h != nil {
			for phone, rid := range h.byPhone {
				if rid == p.resident {
					// 1 is the phone's own person in the SMS flow's list.
					if !r.fail(r.texts(ctx, phone, fmt.Sprintf("体温 %.1f 无 1", c))) {
						text.Add(1)
					}
					return
				}
			}
		}
		if !r.fail(r.call(ctx, "POST", "/v1/communities/"+community+"/watches/"+p.watch+"/checks", r.staff,
			map[string]any{"residentId": p.resident, "celsius": c, "symptoms": []string{"none"}}, nil)) {
			staff.Add(1)
		}
	})
	r.settle(ctx)
	wc.ByApp, wc.BySMS, wc.ByStaff, wc.Silent = int(app.Load()), int(text.Load()), int(staff.Load()), int(silent.Load())
	// The day's windows close: the job at 21:00 (Beijing) marks each
	// without a reading missed.
	now := chinatime.In(time.Now())
	at := time.Date(now.Year(), now.Month(), now.Day(), 21, 0, 0, 0, chinatime.Zone)
	if now.After(at) {
		at = now
	}
	if err := r.call(ctx, "POST", "/dev/jobs/missed-checks?at="+url.QueryEscape(at.Format(time.RFC3339)), "", nil, nil); err != nil {
		return err
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/watches?status=active", r.staff, nil, &list); err != nil {
		return err
	}
	var doors struct {
		Visits []struct {
			Missed []struct{ ResidentID, Window string }
			Alerts []struct{ ResidentID string }
		}
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/watch-doors", r.staff, nil, &doors); err != nil {
		return err
	}
	onList := map[string]bool{}
	for _, v := range doors.Visits {
		if len(v.Missed)+len(v.Alerts) > 0 {
			wc.Doors++
		}
		for _, m := range v.Missed {
			onList[m.Window+"#"+m.ResidentID] = true
			wc.Missed++
		}
		wc.Alerts += len(v.Alerts)
	}
	day := now.Format(time.DateOnly)
	for _, w := range list.Watches {
		for _, rid := range w.ResidentIDs {
			for _, win := range []struct {
				name string
				hour int
			}{{"am", 12}, {"pm", 21}} {
				closes := time.Date(now.Year(), now.Month(), now.Day(), win.hour, 0, 0, 0, chinatime.Zone)
				if w.CreatedAt.After(closes) {
					continue // began before the watch: not the person's to have missed
				}
				wc.Windows++
				reported := false
				for _, c := range w.Today {
					if c.ResidentID == rid && c.Window == win.name && c.At != nil && c.At.In(chinatime.Zone).Format(time.DateOnly) == day {
						reported = true
					}
				}
				if reported || onList[win.name+"#"+rid] {
					wc.Covered++
				}
			}
		}
	}
	box, err := r.api.Outbox(ctx, demo.StaffPhone)
	if err != nil {
		return err
	}
	for _, m := range box {
		if m.Template == "watch_alert" && !m.SentAt.Before(t0.Truncate(time.Second)) {
			wc.AlertTexts++
		}
	}
	wc.Seconds = time.Since(t0).Seconds()
	r.count("people under watch", wc.People)
	r.count("checks by the app", wc.ByApp)
	r.count("checks by SMS", wc.BySMS)
	r.count("checks at the door", wc.ByStaff)
	r.count("windows missed", wc.Missed)
	r.count("doors to visit", wc.Doors)
	return nil
}

// Transfers is the night's bus to central quarantine: three people of the
// watched, one of them leaving a parent at home.
type Transfers struct {
	People  int `json:"people"`
	Told    int `json:"told"`
	Arrived int `json:"arrived"`
	// LeftBehind are the dependants named; CareRaised those with a help
	// request.
	LeftBehind int     `json:"leftBehind"`
	CareRaised int     `json:"careRaised"`
	Seconds    float64 `json:"seconds"`
	Skipped    bool    `json:"skipped"`
}

// transfers plays the night's transfer: a batch of three made, each person
// texted, moved on to arrived, the parent left behind a help request.
func (r *runner) transfers(ctx context.Context) error {
	tr := &r.rep.Transfers
	if r.rep.Screening.Skipped {
		tr.Skipped = true
		return nil
	}
	t0 := time.Now()
	community := r.rep.Community
	var list struct {
		Watches []struct {
			HouseholdID string   `json:"householdId"`
			ResidentIDs []string `json:"residentIds"`
		}
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/watches?status=active", r.staff, nil, &list); err != nil {
		return err
	}
	homes := map[string]*household{}
	for _, h := range r.hs {
		homes[h.id] = h
	}
	var ids []string
	var stays []map[string]string
	for _, w := range list.Watches {
		h := homes[w.HouseholdID]
		if len(ids) == 3 || h == nil {
			continue
		}
		if len(stays) == 0 && len(h.residents) > len(w.ResidentIDs) {
			// Someone of the household not under this watch stays home.
			for _, rid := range h.residents {
				if !slices.Contains(w.ResidentIDs, rid) {
					stays = append(stays, map[string]string{"kind": "elderly", "residentId": rid, "note": "独自在家"})
					break
				}
			}
			ids = append(ids, w.ResidentIDs[0])
			continue
		}
		if len(ids) < 2 || len(stays) > 0 {
			ids = append(ids, w.ResidentIDs[0])
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("nobody under watch to transfer")
	}
	var t struct {
		ID     string
		People []struct {
			ResidentID, Phone, Status string
		}
		LeftBehind []struct{ HelpID string }
	}
	at := time.Now().Add(3 * time.Hour).Format(time.RFC3339)
	if err := r.call(ctx, "POST", "/v1/communities/"+community+"/transfers", r.staff,
		map[string]any{"residentIds": ids, "pickup": "小区东门", "at": at, "destination": "集中隔离酒店", "leftBehind": stays}, &t); err != nil {
		return err
	}
	tr.People, tr.LeftBehind = len(t.People), len(stays)
	for _, x := range t.LeftBehind {
		if x.HelpID != "" {
			tr.CareRaised++
		}
	}
	r.settle(ctx)
	for _, p := range t.People {
		box, err := r.api.Outbox(ctx, p.Phone)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(box, func(m apiclient.SMS) bool {
			return m.Template == "transfer_notice" && !m.SentAt.Before(t0.Truncate(time.Second))
		}) {
			tr.Told++
		}
		for _, st := range []string{"ready", "boarded", "arrived"} {
			if r.fail(r.call(ctx, "POST", "/v1/communities/"+community+"/transfers/"+t.ID+"/people/"+p.ResidentID, r.staff, map[string]string{"status": st}, nil)) {
				break
			}
			if st == "arrived" {
				tr.Arrived++
			}
		}
	}
	tr.Seconds = time.Since(t0).Seconds()
	r.count("people transferred", tr.People)
	r.count("transfer texts", tr.Told)
	r.count("left behind, help requested", tr.CareRaised)
	return nil
}

// Care is the night's care board: a dialysis patient's plan with a car
// for every day's trip, a widow's daily check; nobody gives the car, the
// widow does not answer.
type Care struct {
	Plans int `json:"plans"`
	// Asked are the daily checks texted; Unanswered those made help
	// requests at noon; NoCar tomorrow's trips made help requests at 18:00.
	Asked      int `json:"asked"`
	Unanswered int `json:"unanswered"`
	NoCar      int `json:"noCar"`
	BoardTrips int `json:"boardTrips"`
	BoardHelp  int `json:"boardHelp"`
	// VolunteerReads are the volunteers' answers read; Leaks those that
	// named a diagnosis.
	VolunteerReads int     `json:"volunteerReads"`
	Leaks          int     `json:"leaks"`
	Seconds        float64 `json:"seconds"`
	Skipped        bool    `json:"skipped"`
}

// care plays the care board through a day of its jobs.
func (r *runner) care(ctx context.Context) error {
	cr := &r.rep.Care
	if r.c.Drill || r.c.Remote {
		cr.Skipped = true // plans are peacetime's, and their help requests real
		return nil
	}
	t0 := time.Now()
	community := r.rep.Community
	var people []string
	for _, h := range r.hs {
		if len(people) == 2 {
			break
		}
		if len(h.residents) > 0 && len(h.phones) > 0 && h.phones[0] != "" {
			people = append(people, h.residents[0])
		}
	}
	if len(people) < 2 {
		return fmt.Errorf("two residents with a phone for the care board")
	}
	plans := []map[string]any{
		{"needs": []map[string]any{{"kind": "dialysis", "weekdays": []int{1, 2, 3, 4, 5, 6, 7}, "at": "08:00", "place": "兰大一院血透中心", "needsCar": true}}},
		{"dailyCheck": true},
	}
	for i, rid := range people {
		if r.fail(r.call(ctx, "PUT", "/v1/residents/"+rid+"/care-plan", r.staff, plans[i], nil)) {
			continue
		}
		cr.Plans++
	}
	now := chinatime.In(time.Now())
	for _, hour := range []int{8, 12, 18} {
		at := time.Date(now.Year(), now.Month(), now.Day(), hour, 30, 0, 0, chinatime.Zone)
		var m struct{ CareAsked, CareUnanswered, CareNoCar int }
		if err := r.call(ctx, "POST", "/dev/jobs/care?at="+url.QueryEscape(at.Format(time.RFC3339)), "", nil, &m); err != nil {
			return err
		}
		cr.Asked += m.CareAsked
		cr.Unanswered += m.CareUnanswered
		cr.NoCar += m.CareNoCar
	}
	var board struct {
		Trips  []struct{ ResidentID, HelpID string }
		Checks []struct{ ResidentID, HelpID string }
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/care-board?day="+now.Format(time.DateOnly), r.staff, nil, &board); err != nil {
		return err
	}
	for _, t := range board.Trips {
		if slices.Contains(people, t.ResidentID) {
			cr.BoardTrips++
			if t.HelpID != "" {
				cr.BoardHelp++
			}
		}
	}
	for _, c := range board.Checks {
		if slices.Contains(people, c.ResidentID) && c.HelpID != "" {
			cr.BoardHelp++
		}
	}
	var err error
	if cr.VolunteerReads, cr.Leaks, err = r.volunteersSeeNoDiagnosis(ctx); err != nil {
		return err
	}
	cr.Seconds = time.Since(t0).Seconds()
	r.count("care plans", cr.Plans)
	r.count("daily checks asked", cr.Asked)
	r.count("help requests from the care board", cr.Unanswered+cr.NoCar)
	return nil
}

// diagnosisWords are what a volunteer's answers must never hold: a
// watch's kind, a reading, a symptom, a care need.
var diagnosisWords = []string{"home_isolation", "health_monitoring", "celsius", "symptoms", "dialysis", "chemotherapy", "careCheck", "watchId"}

// volunteersSeeNoDiagnosis reads what the day's volunteers are answered
// with: their calls, posts, deliveries and doors to verify.
func (r *runner) volunteersSeeNoDiagnosis(ctx context.Context) (read, leaks int, err error) {
	for _, token := range r.st.volunteers {
		for _, path := range []string{"/v1/me/assignments", "/v1/me/deliveries", "/v1/me/screening-tasks", "/v1/communities/" + r.rep.Community + "/posts"} {
			var raw []byte
			if err := r.call(ctx, "GET", path, token, nil, &raw); err != nil {
				return read, leaks, err
			}
			read++
			for _, w := range diagnosisWords {
				if strings.Contains(string(raw), w) {
					leaks++
				}
			}
		}
		if read >= 12 {
			break
		}
	}
	return read, leaks, nil
}
