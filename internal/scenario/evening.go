package scenario

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
)

// Evening is the round's results: the sampling system's export bound to
// the register, the lab's file, one tube back pooled positive and its
// trace run to the end.
type Evening struct {
	ExportRows int `json:"exportRows"`
	Bound      int `json:"bound"`
	Unmatched  int `json:"unmatched"`
	// FullIDRefused says the export's row with a full identity number was
	// refused (and so nothing of it kept).
	FullIDRefused bool   `json:"fullIdRefused"`
	Tubes         int    `json:"tubes"`
	PositiveTube  string `json:"positiveTube"`
	Households    int    `json:"households"`
	// Told are the tube's households whose phone has the hold text;
	// ToldSeconds is from the results' upload to the last of them.
	Told        int     `json:"told"`
	Phoned      int     `json:"phoned"`
	ToldSeconds float64 `json:"toldSeconds"`
	Singles     int     `json:"singles"`
	// ReleasedEarly: the trace was released before its last single result.
	ReleasedEarly bool   `json:"releasedEarly"`
	Status        string `json:"status"`
	// Controlled are the tube's households under a household zone
	// (controlled, pooled_positive) right after the upload; ControlLeft
	// those still under it once the trace is released. A drill's trace
	// controls on paper: none.
	Controlled  int `json:"controlled"`
	ControlLeft int `json:"controlLeft"`
	// AppTold: a traced household's app feed says to stay in place
	// (AppRead: one was read: none when all of them live without the app).
	AppRead bool `json:"appRead"`
	AppTold bool `json:"appTold"`
}

// traceControls counts the households of ids under a pooled-positive
// control in the community's zones.
func (r *runner) traceControls(ctx context.Context, ids map[string]bool) (int, error) {
	var zs struct {
		Zones []struct{ HouseholdID, Level, Reason string }
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+r.rep.Community+"/zones", r.staff, nil, &zs); err != nil {
		return 0, err
	}
	n := 0
	for _, z := range zs.Zones {
		if ids[z.HouseholdID] && z.Level == "controlled" && z.Reason == "pooled_positive" {
			n++
		}
	}
	return n, nil
}

// evening plays the results coming back: the official sampling system's
// export (names, phones, masked identity numbers, tubes of ten) imported,
// the lab's results with one tube pooled positive, its households held and
// told, the door team's single samples, their results negative, the hold
// released.
func (r *runner) evening(ctx context.Context) error {
	ev := &r.rep.Evening
	phoneOf := map[string]string{}
	sealed := map[string]bool{}
	buildings := map[string]bool{}
	for _, h := range r.hs {
		buildings[h.building] = true
		for phone, id := range h.byPhone {
			phoneOf[id] = phone
		}
		if h.sealed {
			for _, id := range h.residents {
				sealed[id] = true
			}
		}
	}
	var ids []string
	for b := range buildings {
		ids = append(ids, b)
	}
	sort.Strings(ids)
	// The export: who was swabbed, with their phone where they have one;
	// sealed buildings one tube a person, the rest tubes of ten.
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"姓名", "证件号码", "手机号", "采集时间", "采样点", "试管码"})
	var swabs []swab
	n, inTube := 0, 0
	for _, b := range ids {
		var view buildingView
		if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/buildings/"+b, r.staff, nil, &view); err != nil {
			return err
		}
		inTube = 10 // a new tube for each building
		for _, d := range view.Doors {
			for _, m := range d.Members {
				phone := phoneOf[m.ResidentID]
				if !m.Sampled || m.AtDoor || phone == "" {
					continue
				}
				if inTube >= 10 || sealed[m.ResidentID] {
					n++
					inTube = 0
				}
				inTube++
				tube := fmt.Sprintf("GZ%06d", n)
				swabs = append(swabs, swab{tube, m.ResidentID})
				_ = w.Write([]string{m.Name, "620102********" + phone[7:], phone, "", "", tube})
			}
		}
	}
	// A row as some exports have it: the identity number in full.
	_ = w.Write([]string{"王某", "620102199001011234", "13012345678", "", "", "GZ999999"})
	w.Flush()
	ev.ExportRows = len(swabs) + 1
	var imp struct {
		Matched, AlreadySampled, Bound  int
		Unmatched, Conflicting, Invalid []struct {
			Row    int
			Reason string
		}
	}
	if err := r.call(ctx, "POST", "/v1/rounds/"+r.st.round+"/samples", r.staff, apiclient.Raw{ContentType: "text/csv", Body: buf.Bytes()}, &imp); err != nil {
		return err
	}
	ev.Bound, ev.Unmatched = imp.Bound+imp.Matched+imp.AlreadySampled, len(imp.Unmatched)
	ev.FullIDRefused = len(imp.Invalid) == 1 && imp.Invalid[0].Row == ev.ExportRows+1
	r.count("export rows", ev.ExportRows)
	r.count("bound to tubes", ev.Bound)
	r.count("unmatched", ev.Unmatched)

	// The lab's file: every tube negative but the first one of several.
	counts := map[string]int{}
	for _, s := range swabs {
		counts[s.tube]++
	}
	var results []map[string]string
	for tube := range counts {
		res := "阴性"
		if ev.PositiveTube == "" && counts[tube] >= 2 && tube == firstPooled(swabs, counts) {
			ev.PositiveTube, res = tube, "混管阳性"
		}
		results = append(results, map[string]string{"tube": tube, "result": res})
	}
	ev.Tubes = len(results)
	r.count("tubes", ev.Tubes)
	if ev.PositiveTube == "" {
		return fmt.Errorf("no tube of two or more to come back pooled positive")
	}
	uploaded := time.Now()
	var rep struct {
		Applied, Traced int
		PooledPositive  []string
	}
	if err := r.call(ctx, "POST", "/v1/rounds/"+r.st.round+"/results", r.staff, map[string]any{"results": results}, &rep); err != nil {
		return err
	}
	r.count("pooled positive", len(rep.PooledPositive))
	var tube struct {
		Households []struct {
			HouseholdID string `json:"householdId"`
		} `json:"households"`
		Members []struct {
			ResidentID string `json:"residentId"`
		} `json:"members"`
	}
	if err := r.call(ctx, "GET", "/v1/tubes/"+r.st.round+"-t"+strings.ToLower(ev.PositiveTube), r.staff, nil, &tube); err != nil {
		return err
	}
	ev.Households = len(tube.Households)
	traced := map[string]bool{}
	for _, h := range tube.Households {
		traced[h.HouseholdID] = true
	}
	controlled, err := r.traceControls(ctx, traced)
	if err != nil {
		return err
	}
	ev.Controlled = controlled
	for _, h := range r.hs {
		if !traced[h.id] || h.token == "" || r.c.Drill {
			continue
		}
		var feed struct {
			Notices []struct{ Kind string }
		}
		if err := r.call(ctx, "GET", "/v1/me/notices", h.token, nil, &feed); err != nil {
			return err
		}
		ev.AppRead = true
		for _, it := range feed.Notices {
			ev.AppTold = ev.AppTold || it.Kind == "trace"
		}
		break
	}
	// Told: each household's texted phone has the hold: in the drill's
	// outbox in a drill (phones masked there), else the local one.
	if r.c.Drill || !r.c.Remote {
		hh := map[string]*household{}
		for _, h := range r.hs {
			hh[h.id] = h
		}
		// The texts wait in the queue behind the day's others: the promise
		// is ten minutes from the upload.
		deadline := uploaded.Add(10 * time.Minute)
		for _, h := range tube.Households {
			x := hh[h.HouseholdID]
			if x == nil || len(x.phones) == 0 {
				continue
			}
			ev.Phoned++
			for {
				found, err := r.held(ctx, x.phones)
				if err != nil {
					return err
				}
				if found {
					ev.Told++
					ev.ToldSeconds = time.Since(uploaded).Seconds()
					break
				}
				if time.Now().After(deadline) {
					break
				}
				time.Sleep(500 * time.Millisecond)
			}
		}
	}
	r.count("households held and told", rep.Traced)

	// The door team samples each of the tube's people singly; their
	// results come back negative, the last one alone.
	var singles []string
	for i, m := range tube.Members {
		code := fmt.Sprintf("DS%06d", i+1)
		if err := r.call(ctx, "POST", "/v1/rounds/"+r.st.round+"/singles", r.staff, map[string]string{"residentId": m.ResidentID, "tube": code}, nil); err != nil {
			return err
		}
		singles = append(singles, code)
	}
	ev.Singles = len(singles)
	r.count("single samples", ev.Singles)
	status := func() (string, error) {
		var ts struct {
			Traces []struct {
				Tube, Status string
			}
		}
		if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/traces", r.staff, nil, &ts); err != nil {
			return "", err
		}
		for _, t := range ts.Traces {
			if t.Tube == ev.PositiveTube {
				return t.Status, nil
			}
		}
		return "", fmt.Errorf("no trace of %s", ev.PositiveTube)
	}
	for i, code := range singles {
		if err := r.call(ctx, "POST", "/v1/rounds/"+r.st.round+"/results", r.staff,
			map[string]any{"results": []map[string]string{{"tube": code, "result": "阴性"}}}, nil); err != nil {
			return err
		}
		st, err := status()
		if err != nil {
			return err
		}
		if i < len(singles)-1 && st != "open" {
			ev.ReleasedEarly = true
		}
		ev.Status = st
	}
	if ev.Status == "released" {
		r.count("households released", ev.Households)
	}
	left, err := r.traceControls(ctx, traced)
	if err != nil {
		return err
	}
	ev.ControlLeft = left
	r.count("households controlled", ev.Controlled)
	return nil
}

// swab is a row of the export: a person into a tube.
type swab struct{ tube, resident string }

// firstPooled is the first tube of the export with two swabs or more.
func firstPooled(swabs []swab, counts map[string]int) string {
	for _, s := range swabs {
		if counts[s.tube] >= 2 {
			return s.tube
		}
	}
	return ""
}

// yesNo says a yes or no in Chinese.
func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// traceStatusZH says a trace's state in Chinese.
var traceStatusZH = map[string]string{"open": "进行中", "released": "已解除", "escalated": "已升级", "": "无"}

// held says whether one of phones has a trace_hold text: in the drill's
// outbox (where phones are masked) during a drill, else the local outbox.
func (r *runner) held(ctx context.Context, phones []string) (bool, error) {
	if r.c.Drill {
		var box struct {
			Messages []struct{ To, Template string }
		}
		if err := r.call(ctx, "GET", "/v1/runs/"+r.st.run.ID+"/outbox", r.staff, nil, &box); err != nil {
			return false, err
		}
		for _, m := range box.Messages {
			for _, phone := range phones {
				if m.Template == "trace_hold" && m.To == phone[:3]+"****"+phone[7:] {
					return true, nil
				}
			}
		}
		return false, nil
	}
	for _, phone := range phones {
		box, err := r.api.Outbox(ctx, phone)
		if err != nil {
			return false, err
		}
		for _, m := range box {
			if m.Template == "trace_hold" {
				return true, nil
			}
		}
	}
	return false, nil
}
