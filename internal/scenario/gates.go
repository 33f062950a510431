package scenario

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/chinatime"
)

// Gates is the way out (有序动) as the scenario played it: a sealed
// building moved to controlled, its households out and back through the
// north gate, two back late, a sealed household's pass refused, couriers
// and visitors logged.
type Gates struct {
	Opened     string `json:"opened"`
	Households int    `json:"households"`
	Out        int    `json:"out"`
	In         int    `json:"in"`
	Late       int    `json:"late"`
	// Refused are the passes refused, by reason.
	Refused  map[string]int `json:"refused"`
	Couriers int            `json:"couriers"`
	Visitors int            `json:"visitors"`
	// AtOnce is how many of one household's scans sent at once were let
	// out (one).
	AtOnce  int     `json:"atOnce"`
	Seconds float64 `json:"seconds"`
	Skipped bool    `json:"skipped"`
}

type gateAnswer struct {
	Allowed  bool       `json:"allowed"`
	Reason   string     `json:"reason"`
	Replayed bool       `json:"replayed"`
	ReturnBy *time.Time `json:"returnBy"`
}

// gates plays the way out: zones move from sealed to controlled, the
// rules apply at the gate, and the staff's lists hold what happened.
// Scans carry the time the device took them, as a queue sent on after an
// outage does, so the day's outings span hours in a run of minutes.
func (r *runner) gates(ctx context.Context) error {
	g := &r.rep.Gates
	g.Refused = map[string]int{}
	if r.c.Drill {
		g.Skipped = true // a gate's log is real people's movements, not a drill's
		return nil
	}
	t0 := time.Now()
	var opened, kept string
	for _, h := range r.hs {
		if !h.sealed {
			continue
		}
		if opened == "" {
			opened = h.building
		} else if h.building != opened && kept == "" {
			kept = h.building
		}
	}
	if opened == "" {
		return fmt.Errorf("no sealed building to open")
	}
	if err := r.call(ctx, "POST", "/v1/communities/"+community+"/zones", r.staff, map[string]any{"buildingIds": []string{opened}, "level": "controlled"}, nil); err != nil {
		return err
	}
	var rules struct {
		Version int `json:"version"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/pass-rules", r.staff, nil, &rules); err != nil {
		return err
	}
	rule := map[string]any{"outs": 1, "everyDays": 2, "minutes": 120, "free": false}
	if err := r.call(ctx, "PUT", "/v1/communities/"+community+"/pass-rules", r.staff, map[string]any{"levels": map[string]any{
		"sealed": map[string]any{"outs": 0, "everyDays": 0, "minutes": 0, "free": false}, "controlled": rule,
		"precaution": map[string]any{"outs": 1, "everyDays": 1, "minutes": 240, "free": false},
		"none":       map[string]any{"outs": 0, "everyDays": 0, "minutes": 0, "free": true}},
		"careTrips": true, "permits": true, "version": rules.Version}, nil); err != nil {
		return err
	}
	var posts struct {
		Posts []struct {
			ID, Kind string
		} `json:"posts"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/posts", r.staff, nil, &posts); err != nil {
		return err
	}
	post := ""
	for _, p := range posts.Posts {
		if p.Kind == "checkpoint" {
			post = p.ID
		}
	}
	if post == "" {
		return fmt.Errorf("the demo community has no checkpoint post")
	}
	type card struct {
		HouseholdID, Building, Unit, Room, Code string
	}
	cardsOf := func(b string) ([]card, error) {
		var cards struct {
			Cards []card `json:"cards"`
		}
		err := r.call(ctx, "GET", "/v1/communities/"+community+"/pass-cards?buildingId="+b, r.staff, nil, &cards)
		return cards.Cards, err
	}
	open, err := cardsOf(opened)
	if err != nil {
		return err
	}
	g.Opened = opened
	// The day's outings within today: out two and a half hours ago (or
	// at midnight), back an hour later; the late ones back now.
	now := chinatime.In(time.Now())
	start := now.Add(-150 * time.Minute)
	if midnight := chinatime.Midnight(now).Add(time.Minute); start.Before(midnight) {
		start = midnight
	}
	seq := 0
	// log is every answer by household, in the order sent.
	type sent struct {
		dir string
		gateAnswer
	}
	log := map[string][]sent{}
	var mu sync.Mutex
	scan := func(hid, pass, dir string, at time.Time, id string) (gateAnswer, error) {
		if id == "" {
			mu.Lock()
			seq++
			id = fmt.Sprintf("scenario-%d-%06d", r.c.Seed, seq)
			mu.Unlock()
		}
		var a gateAnswer
		body := map[string]any{"eventId": id, "pass": pass, "direction": dir, "scannedAt": at}
		if err := r.call(ctx, "POST", "/v1/posts/"+post+"/gate-events", r.staff, body, &a); err != nil {
			return a, err
		}
		mu.Lock()
		if !a.Replayed {
			log[hid] = append(log[hid], sent{dir, a})
		}
		mu.Unlock()
		return a, nil
	}
	n := min(len(open), 60)
	g.Households = n
	for i, c := range open[:n] {
		a, err := scan(c.HouseholdID, c.Code, "out", start.Add(time.Duration(i)*time.Second), "")
		if r.fail(err) || !a.Allowed {
			if err == nil {
				g.Refused[a.Reason]++
			}
			continue
		}
		back := start.Add(time.Hour + time.Duration(i)*time.Second)
		if (i < 2 && now.After(*a.ReturnBy)) || back.After(now) {
			back = now // two back late
		}
		if b, err := scan(c.HouseholdID, c.Code, "in", back, ""); !r.fail(err) && !b.Allowed {
			g.Refused[b.Reason]++
		}
	}
	// The same scan sent twice (a retry): one answer, counted once.
	if n > 0 {
		id := fmt.Sprintf("scenario-%d-retry", r.c.Seed)
		first, err := scan(open[0].HouseholdID, open[0].Code, "out", now, id)
		if !r.fail(err) {
			again, err := scan(open[0].HouseholdID, open[0].Code, "out", now, id)
			r.rep.hold("a scan sent again answers as it did and counts once", "同一扫码重发，答复不变、只计一次",
				err == nil && again.Replayed && again.Allowed == first.Allowed && again.Reason == first.Reason,
				fmt.Sprintf("first %+v, again %+v", first, again), fmt.Sprintf("首次 %+v，重发 %+v", first, again))
			if !first.Allowed {
				g.Refused[first.Reason]++
			}
		}
	}
	// A household scanned four times at once: out once.
	if n < len(open) {
		c := open[n]
		var wg sync.WaitGroup
		var allowed int
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := scan(c.HouseholdID, c.Code, "out", now, "")
				mu.Lock()
				defer mu.Unlock()
				if err == nil && a.Allowed {
					allowed++
				} else if err == nil {
					g.Refused[a.Reason]++
				}
			}()
		}
		wg.Wait()
		g.AtOnce = allowed
		if a, err := scan(c.HouseholdID, c.Code, "in", now, ""); !r.fail(err) && !a.Allowed {
			g.Refused[a.Reason]++
		}
	}
	// Sealed households' passes: refused.
	sealedLetOut := 0
	if kept != "" {
		shut, err := cardsOf(kept)
		if err != nil {
			return err
		}
		for _, c := range shut[:min(len(shut), 5)] {
			a, err := scan(c.HouseholdID, c.Code, "out", now, "")
			if r.fail(err) {
				continue
			}
			if a.Allowed {
				sealedLetOut++
			} else {
				g.Refused[a.Reason]++
			}
		}
	}
	// Couriers and visitors, logged by building.
	for i := range 12 {
		kind := "courier"
		if i%4 == 3 {
			kind = "visitor"
		}
		body := map[string]any{"eventId": fmt.Sprintf("scenario-%d-%s-%02d", r.c.Seed, kind, i), "kind": kind, "direction": "in", "buildingId": opened}
		if err := r.call(ctx, "POST", "/v1/posts/"+post+"/gate-events", r.staff, body, nil); !r.fail(err) {
			if kind == "courier" {
				g.Couriers++
			} else {
				g.Visitors++
			}
		}
	}

	// What the staff's lists say.
	var late struct {
		Late []struct {
			HouseholdID string `json:"householdId"`
			StillOut    bool   `json:"stillOut"`
		} `json:"late"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/gate-late?day="+now.Format(time.DateOnly), r.staff, nil, &late); err != nil {
		return err
	}
	onLate := map[string]bool{}
	for _, l := range late.Late {
		onLate[l.HouseholdID] = true
	}
	g.Late = len(late.Late)
	overQuota, unaccounted := 0, 0
	for hid, answers := range log {
		outs, out := 0, false
		for _, a := range answers {
			switch {
			case a.dir == "out" && a.Allowed:
				out = true
				if a.Reason == "" {
					outs++
				}
				g.Out++
			case a.dir == "in" && a.Allowed:
				out = false
				g.In++
			}
		}
		if outs > 1 {
			overQuota++
		}
		if out && !onLate[hid] {
			unaccounted++
		}
	}
	var counts struct {
		Totals map[string]int `json:"totals"`
	}
	if err := r.call(ctx, "GET", "/v1/communities/"+community+"/gate-counts?day="+now.Format(time.DateOnly), r.staff, nil, &counts); err != nil {
		return err
	}
	refused := 0
	for _, v := range g.Refused {
		refused += v
	}
	counted := 0
	for k, v := range counts.Totals {
		if len(k) > 8 && k[:8] == "refused_" {
			counted += v
		}
	}
	r.rep.hold("no household out more often than its quota", "没有一户超出外出名额", overQuota == 0 && g.AtOnce <= 1,
		fmt.Sprintf("%d households, %d over their quota; %d of 4 scans at once let out", len(log), overQuota, g.AtOnce),
		fmt.Sprintf("%d 户，超额 %d 户；同时扫码4次放行 %d 次", len(log), overQuota, g.AtOnce))
	r.rep.hold("no sealed household's pass let out", "封控户的通行证一律不放行", sealedLetOut == 0 && kept != "",
		fmt.Sprintf("%d sealed passes let out (refused: %v)", sealedLetOut, g.Refused), fmt.Sprintf("封控户放行 %d 次（劝返：%v）", sealedLetOut, g.Refused))
	r.rep.hold("every out has its in or is on the late list", "每次外出都已返回或在逾期名单上", unaccounted == 0,
		fmt.Sprintf("%d outs, %d ins, %d late, %d unaccounted", g.Out, g.In, g.Late, unaccounted),
		fmt.Sprintf("外出 %d，返回 %d，逾期 %d，去向不明 %d", g.Out, g.In, g.Late, unaccounted))
	r.rep.hold("the gate's counts are the scans", "卡口统计与扫码记录一致",
		counts.Totals["out"] == g.Out && counts.Totals["in"] == g.In && counted == refused && counts.Totals["courier"] == g.Couriers && counts.Totals["visitor_in"] == g.Visitors,
		fmt.Sprintf("counts %v; scans out %d, in %d, refused %d, couriers %d, visitors %d", counts.Totals, g.Out, g.In, refused, g.Couriers, g.Visitors),
		fmt.Sprintf("统计 %v；扫码 外出 %d、返回 %d、劝返 %d、快递 %d、访客 %d", counts.Totals, g.Out, g.In, refused, g.Couriers, g.Visitors))
	r.count("households out and back", g.In)
	r.count("late", g.Late)
	r.count("refused", refused)
	g.Seconds = time.Since(t0).Seconds()
	return nil
}
