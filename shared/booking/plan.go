package booking

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
)

// Window is a building's turn (整楼带进带出): consecutive slots of one site
// with room for all its residents.
type Window struct {
	BuildingID string    `json:"buildingId"`
	Building   string    `json:"building"`
	Residents  int       `json:"residents"`
	SiteID     string    `json:"siteId"`
	StartsAt   time.Time `json:"startsAt"`
	EndsAt     time.Time `json:"endsAt"`
	SlotIDs    []string  `json:"slotIds"`
}

// Plan is the schedule of a round.
type Plan struct {
	Windows []Window `json:"windows"`
	// Unplanned are buildings no site had room for.
	Unplanned []string `json:"unplanned"`
	// Capacity weighs the round's places against its people.
	Capacity *Capacity `json:"capacity,omitempty"`
	// LastNote is the note of the community's round before this one.
	LastNote *Note `json:"lastNote,omitempty"`
	// Published counts the households texted their window (?publish=true):
	// those with no app session; InApp those told in the app feed only.
	Published *int `json:"published,omitempty"`
	InApp     *int `json:"inApp,omitempty"`
}

// AppActive is how recently a household's member must have signed in to
// the app for the household to be told there rather than by SMS.
const AppActive = 7 * 24 * time.Hour

// PlanStore keeps plans.
type PlanStore interface {
	SavePlan(ctx context.Context, roundID string, windows []Window) error
	Window(ctx context.Context, roundID, buildingID string) (Window, error) // ErrNotFound without one
	SlotsByID(ctx context.Context, slotIDs []string) ([]Slot, error)
}

// ErrOutsideWindow refuses a resident's booking outside their building's
// window while the window still has room.
var ErrOutsideWindow = apperr.New(apperr.KindConflict, "OUTSIDE_BUILDING_WINDOW",
	"请预约本楼栋的检测时段", "Book a slot in your building's window")

// MakePlan gives each building one contiguous window at one site, in the
// order of the buildings' names (the order staff walk them), always at the
// site that is free earliest, so the sites share the load. A slot may end one
// building's window and start the next one's. Places already booked are left
// out of the count.
func MakePlan(buildings []registry.Building, slots []Slot) Plan {
	bySite := map[string][]Slot{}
	var sites []string
	for _, s := range slots {
		if s.Closed {
			continue
		}
		if _, ok := bySite[s.SiteID]; !ok {
			sites = append(sites, s.SiteID)
		}
		bySite[s.SiteID] = append(bySite[s.SiteID], s)
	}
	sort.Strings(sites)
	type cursor struct {
		i    int // current slot
		left int // places left in it
	}
	cur := map[string]*cursor{}
	for _, id := range sites {
		ss := bySite[id]
		sort.Slice(ss, func(i, j int) bool { return ss[i].StartsAt.Before(ss[j].StartsAt) })
		c := &cursor{}
		if len(ss) > 0 {
			c.left = ss[0].Capacity - ss[0].Booked
		}
		cur[id] = c
	}
	// next free moment of a site: the start of its current slot.
	freeAt := func(id string) (time.Time, bool) {
		c := cur[id]
		ss := bySite[id]
		for c.i < len(ss) && c.left <= 0 {
			c.i++
			if c.i < len(ss) {
				c.left = ss[c.i].Capacity - ss[c.i].Booked
			}
		}
		if c.i >= len(ss) {
			return time.Time{}, false
		}
		return ss[c.i].StartsAt, true
	}
	plan := Plan{Windows: []Window{}, Unplanned: []string{}}
	ordered := slices.Clone(buildings)
	sort.SliceStable(ordered, func(i, j int) bool { return registry.NaturalLess(ordered[i].Name, ordered[j].Name) })
	for _, b := range ordered {
		if b.ResidentCount == 0 {
			continue
		}
		best := ""
		var bestAt time.Time
		for _, id := range sites {
			at, ok := freeAt(id)
			if ok && (best == "" || at.Before(bestAt)) && capacityFrom(bySite[id], cur[id].i, cur[id].left) >= b.ResidentCount {
				best, bestAt = id, at
			}
		}
		if best == "" {
			plan.Unplanned = append(plan.Unplanned, b.ID)
			continue
		}
		c, ss := cur[best], bySite[best]
		w := Window{BuildingID: b.ID, Building: b.Name, Residents: b.ResidentCount, SiteID: best, StartsAt: ss[c.i].StartsAt}
		need := b.ResidentCount
		for need > 0 {
			take := min(need, c.left)
			need -= take
			c.left -= take
			w.SlotIDs = append(w.SlotIDs, ss[c.i].ID)
			w.EndsAt = ss[c.i].EndsAt
			if c.left == 0 && need > 0 {
				c.i++
				c.left = ss[c.i].Capacity - ss[c.i].Booked
			}
		}
		plan.Windows = append(plan.Windows, w)
	}
	return plan
}

func capacityFrom(ss []Slot, i, left int) int {
	total := left
	for j := i + 1; j < len(ss); j++ {
		total += ss[j].Capacity - ss[j].Booked
	}
	return total
}

// PlanRound makes and keeps the round's plan, with the round's capacity
// and the last round's note; publish texts each household its building's
// window and site.
func (s *Service) PlanRound(ctx context.Context, p auth.Principal, roundID string, publish bool) (Plan, error) {
	r, err := s.managedRound(ctx, p, roundID)
	if err != nil {
		return Plan{}, err
	}
	ctx = drill.With(ctx, r.Drill)
	slots, err := s.Store.Slots(ctx, roundID)
	if err != nil {
		return Plan{}, err
	}
	if len(slots) == 0 {
		return Plan{}, apperr.Validation.WithFields(apperr.FieldError{Field: "sites", Reason: "add a site first"})
	}
	plan, err := s.replan(ctx, r, slots)
	if err != nil {
		return plan, err
	}
	ro, err := s.roster(ctx, r)
	if err != nil {
		return plan, err
	}
	c, err := s.capacity(ctx, r, ro)
	if err != nil {
		return plan, err
	}
	plan.Capacity = &c
	if plan.LastNote, err = s.lastNote(ctx, r); err != nil {
		return plan, err
	}
	if publish {
		if err := s.Work.MarkPublished(ctx, r.ID, s.Now().Truncate(time.Second)); err != nil {
			return plan, err
		}
		n, inApp, err := s.publish(ctx, r, plan)
		if err != nil {
			return plan, err
		}
		plan.Published, plan.InApp = &n, &inApp
	}
	return plan, nil
}

// publish tells each household of a planned building its window: the app
// feed shows it from now (FeedFor); a household with no app session within
// AppActive is texted too, one text to its contact phone, kept pending per
// building before it is sent (the queue down loses none), keyed by the
// window (publishing the same plan again texts nobody twice; a changed
// window is told again). It answers the households texted and those told
// in the app only.
func (s *Service) publish(ctx context.Context, r Round, plan Plan) (int, int, error) {
	sites, err := s.Sites.Sites(ctx, r.ID)
	if err != nil {
		return 0, 0, err
	}
	names := map[string]string{}
	for _, st := range sites {
		names[st.ID] = st.Name
	}
	now := s.Now()
	told, inApp := 0, 0
	var sent []*dispatch.Pending
	for _, w := range plan.Windows {
		households, err := s.Directory.BuildingHouseholds(ctx, w.BuildingID)
		if err != nil {
			return told, inApp, err
		}
		msg, err := sms.RoundWindow(w.Building, w.StartsAt, names[w.SiteID])
		if err != nil {
			return told, inApp, err
		}
		var texts []dispatch.Text
		key := "window:" + r.ID + ":" + w.SiteID + ":" + w.StartsAt.UTC().Format("150405") + ":"
		for _, h := range households {
			switch {
			case now.Sub(h.AppAt) < AppActive:
				inApp++
			case h.ContactPhone != "":
				texts = append(texts, dispatch.TextOf(key+h.ContactPhone, h.ContactPhone, msg))
			}
		}
		p := dispatch.PendingTexts(ctx, now, r.CommunityID, texts)
		if p == nil {
			continue
		}
		if err := s.Outbox.Store.KeepPending(ctx, *p); err != nil {
			return told, inApp, err
		}
		told += len(texts)
		sent = append(sent, p)
	}
	s.Outbox.Flush(ctx, sent...)
	return told, inApp, nil
}

// replan gives each building a window for the residents it still has to
// bring (neither booked nor sampled as walk-ins), in the slots still to come
// of the sites still open, and keeps it: what planning does at first, and
// again when a site closes.
func (s *Service) replan(ctx context.Context, r Round, slots []Slot) (Plan, error) {
	buildings, err := s.allBuildings(ctx, r.CommunityID)
	if err != nil {
		return Plan{}, err
	}
	counts, err := s.Store.Progress(ctx, r.ID)
	if err != nil {
		return Plan{}, err
	}
	for i, b := range buildings {
		c := counts[b.ID]
		buildings[i].ResidentCount = max(0, b.ResidentCount-c.Booked-c.WalkIns)
	}
	now := s.Now()
	slots = slices.DeleteFunc(slices.Clone(slots), func(sl Slot) bool { return !sl.EndsAt.After(now) })
	plan := MakePlan(buildings, slots)
	if err := s.Plans.SavePlan(ctx, r.ID, plan.Windows); err != nil {
		return Plan{}, err
	}
	s.forgetWindows()
	return plan, nil
}

// forgetWindows drops the instance's cached windows: a plan or a site
// changed under them.
func (s *Service) forgetWindows() {
	s.windows.Range(func(k, _ any) bool { s.windows.Delete(k); return true })
}

// windowTTL bounds how long a function instance trusts a cached window.
const windowTTL = 30 * time.Second

type cachedWindow struct {
	w     Window
	found bool
	at    time.Time
}

// window returns the building's window in a round, cached briefly.
func (s *Service) window(ctx context.Context, roundID, buildingID string) (Window, bool, error) {
	key := roundID + "/" + buildingID
	if v, ok := s.windows.Load(key); ok {
		c := v.(cachedWindow)
		if s.Now().Sub(c.at) < windowTTL {
			return c.w, c.found, nil
		}
	}
	w, err := s.Plans.Window(ctx, roundID, buildingID)
	found := err == nil
	if err != nil && err != ErrNotFound {
		return Window{}, false, err
	}
	s.windows.Store(key, cachedWindow{w: w, found: found, at: s.Now()})
	return w, found, nil
}

// Steering tells a booking how it relates to the building's window.
type Steering struct {
	Window   *Window `json:"window,omitempty"`
	InWindow bool    `json:"inWindow"`
	// WindowFull: the booking is outside the window because the window had
	// no room left.
	WindowFull bool `json:"windowFull,omitempty"`
}

// steer checks a booking against the building's window. Residents must book
// inside it while it has room; staff may book anywhere (they know why).
func (s *Service) steer(ctx context.Context, staff bool, roundID, slotID string, residentIDs []string) (Steering, error) {
	buildingID := registry.BuildingOf(residentIDs[0])
	w, found, err := s.window(ctx, roundID, buildingID)
	if err != nil || !found {
		return Steering{InWindow: true}, err
	}
	st := Steering{Window: &w, InWindow: slices.Contains(w.SlotIDs, slotID)}
	if st.InWindow || staff {
		return st, nil
	}
	slots, err := s.Plans.SlotsByID(ctx, w.SlotIDs)
	if err != nil {
		return st, err
	}
	for _, sl := range slots {
		if !sl.Closed && sl.Capacity-sl.Booked >= len(residentIDs) && sl.EndsAt.After(s.Now()) {
			return st, ErrOutsideWindow.WithFields(apperr.FieldError{Field: "slotId",
				Reason: "your building's window is " + w.StartsAt.In(chinatime.Zone).Format("15:04") + "–" + w.EndsAt.In(chinatime.Zone).Format("15:04")})
		}
	}
	st.WindowFull = true
	return st, nil
}
