package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/shared/registry"
)

// Field is how the round was run to the last door: call-downs, the lanes,
// the door team, and what was left with a reason.
type Field struct {
	// Calls are the buildings called down; LeadCalls those a 楼栋长 called.
	Calls     int `json:"calls"`
	LeadCalls int `json:"leadCalls"`
	Texted    int `json:"texted"`
	// CameWithin30 are residents sampled within 30 minutes of their call.
	CameWithin30 int `json:"cameWithin30"`
	// AtLanes are check-ins by site volunteers; WalkIns of them with no
	// booking; AtDoors by the door team.
	AtLanes int `json:"atLanes"`
	WalkIns int `json:"walkIns"`
	AtDoors int `json:"atDoors"`
	// Knocked came down after a knock on their door; Reasons were given
	// a reason instead, by reason.
	Knocked int            `json:"knocked"`
	Reasons map[string]int `json:"reasons"`
	// Residents are those of the households that took part; Done those
	// sampled or accounted for with a reason at the round's end.
	Residents int     `json:"residents"`
	Done      int     `json:"done"`
	DoneShare float64 `json:"doneShare"`
	// To95 and To99 are scenario minutes from the first call to 95 % and
	// 99 % of the residents sampled or accounted for.
	To95 float64 `json:"minutesTo95"`
	To99 float64 `json:"minutesTo99"`
	// WrongSiteRefused: a lane volunteer's check-ins at another site,
	// refused; WrongSiteAccepted must stay 0.
	WrongSiteTried    int `json:"wrongSiteTried"`
	WrongSiteRefused  int `json:"wrongSiteRefused"`
	WrongSiteAccepted int `json:"wrongSiteAccepted"`
	// PhonesShown counts phone numbers in volunteers' answers: must be 0.
	VolunteerAnswers int `json:"volunteerAnswers"`
	PhonesShown      int `json:"phonesShown"`
	// FeedsRead are app households' feeds read right after their
	// building's call; FeedsWithCall those that showed it first.
	FeedsRead     int `json:"feedsRead"`
	FeedsWithCall int `json:"feedsWithCall"`
	// SitesPaced are the sites the office's progress shows with their
	// pace; SitesPaceDisagree those whose samples differ from the review's.
	SitesPaced        int `json:"sitesPaced"`
	SitesPaceDisagree int `json:"sitesPaceDisagree"`
	// Remedy is what answered the closure's shortfall.
	Remedy *RemedyTaken  `json:"remedy,omitempty"`
	Sites  []SiteSummary `json:"sites"`
}

// RemedyTaken is the change made from a closure's answer.
type RemedyTaken struct {
	Site        string `json:"site"`
	ShortBefore int    `json:"shortBefore"`
	Lanes       int    `json:"lanes"`
	ShortAfter  int    `json:"shortAfter"`
}

// SiteSummary is a site's day from the review.
type SiteSummary struct {
	SiteID         string  `json:"siteId"`
	Site           string  `json:"site"`
	Lanes          int     `json:"lanes"`
	Closed         bool    `json:"closed"`
	Sampled        int     `json:"sampled"`
	WalkIns        int     `json:"walkIns"`
	PeakPerHour    int     `json:"peakPerHour"`
	PerLanePerHour float64 `json:"perLanePerHour"`
	// ByLane are the lanes' samples.
	ByLane []struct {
		Lane    int `json:"lane"`
		Sampled int `json:"sampled"`
	} `json:"byLane"`
}

// capacity is the part of a capacity answer the run reads.
type capacity struct {
	ShortBy  int `json:"shortBy"`
	Remedies []struct {
		SiteID string `json:"siteId"`
		Site   string `json:"site"`
		Lanes  int    `json:"lanes"`
	} `json:"remedies"`
}

// remedy answers a shortfall with the first remedy that names a site: its
// lanes raised mid-round.
func (r *runner) remedy(ctx context.Context, c capacity) {
	for _, rm := range c.Remedies {
		if rm.SiteID == "" {
			continue
		}
		var out struct {
			Capacity capacity `json:"capacity"`
		}
		if r.fail(r.call(ctx, "PATCH", "/v1/sites/"+rm.SiteID, r.staff, map[string]int{"lanes": rm.Lanes}, &out)) {
			return
		}
		r.rep.Field.Remedy = &RemedyTaken{Site: rm.Site, ShortBefore: c.ShortBy, Lanes: rm.Lanes, ShortAfter: out.Capacity.ShortBy}
		r.count("site lanes raised (remedy)", 1)
		return
	}
}

var phoneRE = regexp.MustCompile(`1[3-9][0-9]{9}`)

// volunteerCall is a call by a volunteer: its answer must hold no phone.
func (r *runner) volunteerCall(ctx context.Context, method, path, token string, in, out any) error {
	var raw json.RawMessage
	if err := r.call(ctx, method, path, token, in, &raw); err != nil {
		return err
	}
	r.fieldMu.Lock()
	r.rep.Field.VolunteerAnswers++
	r.rep.Field.PhonesShown += len(phoneRE.FindAll(raw, -1))
	r.fieldMu.Unlock()
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

type member struct {
	ResidentID string `json:"residentId"`
	Name       string `json:"name"`
	Sampled    bool   `json:"sampled"`
	Reason     string `json:"reason"`
	AtDoor     bool   `json:"atDoor"`
}

type buildingView struct {
	Building string `json:"building"`
	Doors    []struct {
		Members []member `json:"members"`
	} `json:"doors"`
}

// sample runs the round the way a community ran it: volunteers on the
// lanes, each building called down in its turn (by its 楼栋长 where it has
// one), the called come and are registered at the lane — booked or not —,
// doors are knocked on for those who did not, the door team samples the
// bed-bound, and what is left is given a reason.
func (r *runner) sample(ctx context.Context) error {
	f := &r.rep.Field
	f.Reasons = map[string]int{}
	var slots struct {
		Slots []slot `json:"slots"`
	}
	if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/slots", r.staff, nil, &slots); err != nil {
		return err
	}
	var sites []string
	for _, s := range slots.Slots {
		if len(sites) == 0 || sites[len(sites)-1] != s.SiteID && !contains(sites, s.SiteID) {
			sites = append(sites, s.SiteID)
		}
	}
	sort.Strings(sites)
	if len(sites) == 0 {
		return fmt.Errorf("no open site")
	}
	// The field's volunteers, put on posts by staff.
	var vols struct {
		Volunteers []struct {
			ID    string `json:"id"`
			Phone string `json:"phone"`
		} `json:"volunteers"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/volunteers", r.staff, nil, &vols); err != nil {
		return err
	}
	vid := map[string]string{}
	for _, v := range vols.Volunteers {
		vid[v.Phone] = v.ID
	}
	names := map[string]string{} // building name → id
	for _, h := range r.hs {
		names[h.buildingName] = h.building
	}
	now := time.Now()
	shift := []map[string]any{{"startsAt": now.Add(-10 * time.Minute).Format(time.RFC3339), "endsAt": now.Add(4 * time.Hour).Format(time.RFC3339), "need": 1}}
	post := func(i int, body map[string]any) (string, bool) {
		ph := demo.FieldVolunteerPhones[i]
		token := r.st.field[ph]
		if token == "" || vid[ph] == "" {
			return "", false
		}
		body["shifts"] = shift
		body["skills"] = []string{}
		var p struct {
			ID string `json:"id"`
		}
		if r.fail(r.call(ctx, "POST", "/v1/communities/"+community+"/posts", r.staff, body, &p)) {
			return "", false
		}
		if r.fail(r.call(ctx, "POST", "/v1/posts/"+p.ID+"/assignments", r.staff, map[string]string{"volunteerId": vid[ph], "shiftId": "s1", "role": "A"}, nil)) {
			return "", false
		}
		return token, true
	}
	leads := map[string]string{} // building id → 楼栋长's token
	for i := 0; i < 4; i++ {
		b := names[fmt.Sprintf("%d号楼", i+1)]
		if b == "" {
			continue
		}
		if t, ok := post(i, map[string]any{"kind": "building_lead", "name": fmt.Sprintf("%d号楼楼栋长", i+1), "buildingId": b}); ok {
			leads[b] = t
		}
	}
	lanes := map[string][]string{} // site → its lane volunteers' tokens
	for i := 4; i < 8; i++ {
		site := sites[(i-4)%len(sites)]
		if t, ok := post(i, map[string]any{"kind": "site_assistant", "name": fmt.Sprintf("采样登记%d", i-3), "siteId": site}); ok {
			lanes[site] = append(lanes[site], t)
		}
	}
	var door []string
	for i := 8; i < 10; i++ {
		if t, ok := post(i, map[string]any{"kind": "door_sampling", "name": fmt.Sprintf("上门采样%d", i-7)}); ok {
			door = append(door, t)
		}
	}
	laneOf := func(site string, k int) string {
		if ts := lanes[site]; len(ts) > 0 {
			return ts[k%len(ts)]
		}
		return r.staff
	}
	// A lane volunteer at another site (the other open one, or the one
	// closed) is refused.
	other := r.rep.SiteClosed.SiteID
	if len(sites) > 1 {
		other = sites[1]
	}
	if other != "" && len(lanes[sites[0]]) > 0 {
		f.WrongSiteTried++
		err := r.call(ctx, "POST", "/v1/rounds/"+r.st.round+"/checkins", lanes[sites[0]][0],
			map[string]string{"residentId": r.hs[0].residents[0], "siteId": other}, nil)
		if apiclient.CodeOf(err) == "NOT_YOUR_SITE" {
			f.WrongSiteRefused++
		} else if err == nil {
			f.WrongSiteAccepted++
		}
	}

	// Buildings in their windows' order, called one after another.
	byBuilding := map[string][]*household{}
	var order []string
	for _, h := range r.hs {
		if _, ok := byBuilding[h.building]; !ok {
			order = append(order, h.building)
		}
		byBuilding[h.building] = append(byBuilding[h.building], h)
	}
	sort.SliceStable(order, func(i, j int) bool {
		return registry.NaturalLess(byBuilding[order[i]][0].buildingName, byBuilding[order[j]][0].buildingName)
	})
	total := 0
	taking := map[string]bool{}
	for _, h := range r.hs {
		total += len(h.residents)
		for _, id := range h.residents {
			taking[id] = true
		}
	}
	f.Residents = total
	var done atomic.Int64
	var mu sync.Mutex
	var marks []time.Time
	first := time.Now()
	tick := func(n int) {
		mu.Lock()
		for i := 0; i < n; i++ {
			marks = append(marks, time.Now())
		}
		mu.Unlock()
		done.Add(int64(n))
	}
	var atLanes, walkIns, atDoors, knocked atomic.Int64
	checkIn := func(token string, body map[string]any) (bool, bool) {
		var out struct {
			WalkIn bool `json:"walkIn"`
		}
		err := r.volunteerCall(ctx, "POST", "/v1/rounds/"+r.st.round+"/checkins", token, body, &out)
		if apiclient.CodeOf(err) == "ALREADY_SAMPLED" {
			return true, false
		}
		if r.fail(err) {
			return false, false
		}
		return true, out.WalkIn
	}
	// The bed-bound: the door list, read by the door team.
	doorSet := map[string]bool{}
	if len(door) > 0 {
		var list struct {
			Residents []struct {
				ResidentID string `json:"residentId"`
			} `json:"residents"`
		}
		if err := r.volunteerCall(ctx, "GET", "/v1/rounds/"+r.st.round+"/door-list", door[0], nil, &list); !r.fail(err) {
			for _, x := range list.Residents {
				doorSet[x.ResidentID] = true
			}
		}
	}
	var left []string // called and did not come
	var leftMu sync.Mutex
	for k, b := range order {
		caller, byLead := leads[b], true
		if caller == "" {
			caller, byLead = r.staff, false
		}
		var call struct {
			SiteID string `json:"siteId"`
			Texted int    `json:"texted"`
		}
		if err := r.volunteerCall(ctx, "POST", "/v1/rounds/"+r.st.round+"/buildings/"+b+"/call", caller, map[string]any{}, &call); r.fail(err) {
			call.SiteID = sites[k%len(sites)]
		} else {
			f.Calls++
			f.Texted += call.Texted
			if byLead {
				f.LeadCalls++
				// The 楼栋长 reads their building: names and rooms, no phone.
				r.fail(r.volunteerCall(ctx, "GET", "/v1/rounds/"+r.st.round+"/buildings/"+b, caller, nil, nil))
			}
			r.feedHasCall(ctx, b, f)
		}
		// The lane's picker shows the building's people and who is done.
		var view buildingView
		if err := r.volunteerCall(ctx, "GET", "/v1/rounds/"+r.st.round+"/buildings/"+b, laneOf(call.SiteID, k), nil, &view); r.fail(err) {
			continue
		}
		var jobs []member
		for _, d := range view.Doors {
			for _, m := range d.Members {
				if taking[m.ResidentID] && !m.Sampled && m.Reason == "" && !doorSet[m.ResidentID] {
					jobs = append(jobs, m)
				}
			}
		}
		r.parallel(len(jobs), func(i int) {
			m := jobs[i]
			if r.float() < 0.04 {
				leftMu.Lock()
				left = append(left, m.ResidentID)
				leftMu.Unlock()
				return // not home, or did not come down
			}
			// Each lane volunteer registers at their own 采样台.
			body := map[string]any{"siteId": call.SiteID, "lane": 1 + i%max(1, len(lanes[call.SiteID]))}
			if code, ok := r.st.bookings.Load(m.ResidentID); ok {
				body["code"] = code
			} else {
				body["residentId"] = m.ResidentID
			}
			ok, walk := checkIn(laneOf(call.SiteID, i), body)
			if ok {
				atLanes.Add(1)
				if walk {
					walkIns.Add(1)
				}
				tick(1)
			}
		})
		// Those sampled before (earlier walk-ins) and given reasons count.
		for _, d := range view.Doors {
			for _, m := range d.Members {
				if taking[m.ResidentID] && (m.Sampled || m.Reason != "") {
					tick(1)
				}
			}
		}
	}
	// The door team goes to the bed-bound.
	ids := make([]string, 0, len(doorSet))
	for id := range doorSet {
		if taking[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	r.parallel(len(ids), func(i int) {
		token := r.staff
		if len(door) > 0 {
			token = door[i%len(door)]
		}
		if ok, _ := checkIn(token, map[string]any{"residentId": ids[i], "atDoor": true}); ok {
			atDoors.Add(1)
			tick(1)
		}
	})
	// Doors are knocked on for those who did not come: half come down now,
	// the others are away, refuse or isolate elsewhere, and say so.
	sort.Strings(left)
	reasons := []string{"away", "away", "away", "refused", "isolating"}
	for i, id := range left {
		if i%2 == 0 {
			if ok, _ := checkIn(laneOf(sites[0], i), map[string]any{"residentId": id, "siteId": sites[0]}); ok {
				knocked.Add(1)
				tick(1)
				continue
			}
		}
		reason := reasons[i%len(reasons)]
		if !r.fail(r.call(ctx, "PUT", "/v1/rounds/"+r.st.round+"/residents/"+id+"/reason", r.staff, map[string]string{"reason": reason}, nil)) {
			f.Reasons[reason]++
			tick(1)
		}
	}
	f.AtLanes, f.WalkIns, f.AtDoors, f.Knocked = int(atLanes.Load()), int(walkIns.Load()), int(atDoors.Load()), int(knocked.Load())
	sort.Slice(marks, func(i, j int) bool { return marks[i].Before(marks[j]) })
	at := func(share float64) float64 {
		n := int(share*float64(total) + 0.999)
		if n == 0 || n > len(marks) {
			return -1
		}
		return marks[n-1].Sub(first).Minutes() * r.c.Speed
	}
	f.To95, f.To99 = at(0.95), at(0.99)
	r.count("buildings called", f.Calls)
	r.count("checked in at the lanes", f.AtLanes)
	r.count("sampled at the door", f.AtDoors)
	r.count("given a reason", len(left)-f.Knocked)
	// The call-downs' texts drain before the day goes on.
	r.settle(ctx)
	return r.review(ctx)
}

// review reads the round's end as the office does: who is sampled or
// accounted for, door by door, and the night's review per site.
func (r *runner) review(ctx context.Context) error {
	f := &r.rep.Field
	taking := map[string]bool{}
	buildings := map[string]bool{}
	for _, h := range r.hs {
		buildings[h.building] = true
		for _, id := range h.residents {
			taking[id] = true
		}
	}
	f.Done = 0
	for b := range buildings {
		var view buildingView
		if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/buildings/"+b, r.staff, nil, &view); err != nil {
			return err
		}
		for _, d := range view.Doors {
			for _, m := range d.Members {
				if taking[m.ResidentID] && (m.Sampled || m.Reason != "") {
					f.Done++
				}
			}
		}
	}
	if f.Residents > 0 {
		f.DoneShare = float64(f.Done) / float64(f.Residents)
	}
	if err := r.call(ctx, "PUT", "/v1/rounds/"+r.st.round+"/review/note", r.staff,
		map[string]string{"text": "复盘：关闭采样点后按建议增加采样台；未下楼的逐户敲门，卧床老人上门采样。"}, nil); err != nil {
		return err
	}
	var rv struct {
		Sites []SiteSummary `json:"sites"`
		Calls []struct {
			Came int `json:"came"`
		} `json:"calls"`
		Note *struct {
			Text string `json:"text"`
		} `json:"note"`
	}
	if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/review", r.staff, nil, &rv); err != nil {
		return err
	}
	f.Sites = rv.Sites
	// The office's pace by site counts the same samples as the review.
	var prog struct {
		Sites []struct {
			SiteID  string `json:"siteId"`
			Sampled int    `json:"sampled"`
		} `json:"sites"`
	}
	if err := r.call(ctx, "GET", "/v1/rounds/"+r.st.round+"/progress", r.staff, nil, &prog); err != nil {
		return err
	}
	reviewed := map[string]int{}
	for _, s := range rv.Sites {
		reviewed[s.SiteID] = s.Sampled
	}
	f.SitesPaced, f.SitesPaceDisagree = len(prog.Sites), 0
	for _, s := range prog.Sites {
		if n, ok := reviewed[s.SiteID]; !ok || n != s.Sampled {
			f.SitesPaceDisagree++
		}
	}
	if len(prog.Sites) != len(rv.Sites) {
		f.SitesPaceDisagree++
	}
	for _, c := range rv.Calls {
		f.CameWithin30 += c.Came
	}
	if rv.Note == nil {
		r.rep.brake("the night's note", "复盘备注", "saved, and not in the review", "已保存，但复盘中没有")
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// feedHasCall reads the app feed of one household of the building just
// called: the call must be its newest item.
func (r *runner) feedHasCall(ctx context.Context, building string, f *Field) {
	for _, h := range r.hs {
		if h.building != building || h.sms || h.token == "" {
			continue
		}
		var feed struct {
			Notices []struct {
				Kind string `json:"kind"`
			} `json:"notices"`
		}
		if r.fail(r.call(ctx, "GET", "/v1/me/notices", h.token, nil, &feed)) {
			return
		}
		f.FeedsRead++
		if len(feed.Notices) > 0 && feed.Notices[0].Kind == "call_down" {
			f.FeedsWithCall++
		}
		return
	}
}
