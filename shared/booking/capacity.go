package booking

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fangxian/fangxian/shared/registry"
)

// Capacity weighs a round's places against its people (核酸能力与需求):
// what every plan, progress report and change of a site answers with, so
// that staff learn of a shortfall when they cause it, not at the lanes.
type Capacity struct {
	// Residents of the community.
	Residents int `json:"residents"`
	// Accounted are residents staff gave a reason for (away, isolating,
	// refused) and who are not sampled: not expected at a site.
	Accounted int `json:"accounted"`
	// Demand is the residents the round has to sample: all but the
	// accounted.
	Demand int `json:"demand"`
	// Sampled so far, at a site or at the door.
	Sampled int `json:"sampled"`
	// Booked are live bookings not yet sampled: their places are kept.
	Booked int `json:"booked"`
	// DoorToDoor are the bed-bound not yet sampled: a sampling team goes to
	// them (上门采样), they need no place at a site.
	DoorToDoor int `json:"doorToDoor"`
	// ToPlace are the rest: people who still need a place at a site.
	ToPlace int `json:"toPlace"`
	// PlacesLeft are the free places in the open slots still to come.
	PlacesLeft int `json:"placesLeft"`
	// Coverage is the share of the demand with a sample, a place or a door
	// visit: 1 when every one of them has.
	Coverage float64 `json:"coverage"`
	// ShortBy is how many people would find no place: 0 when it covers.
	ShortBy int `json:"shortBy"`
	// Remedies say, site by site, what would cover the shortfall.
	Remedies []Remedy `json:"remedies"`
}

// Remedy is one change that covers a shortfall at one site (or a new one):
// any one of its options is enough on its own.
type Remedy struct {
	SiteID string `json:"siteId,omitempty"`
	Site   string `json:"site"`
	// SlotsLeft are the site's slots still to come.
	SlotsLeft int `json:"slotsLeft"`
	// Lanes is how many lanes the site would need (PATCH its lanes).
	Lanes int `json:"lanes"`
	// PerLanePerSlot is how many places a lane would need in each slot,
	// with the lanes it has; 0 when more than a lane can take.
	PerLanePerSlot int `json:"perLanePerSlot,omitempty"`
	// Spare: open this spare site (POST /v1/sites/{siteId}/open); Places
	// are what it adds.
	Spare  bool `json:"spare,omitempty"`
	Places int  `json:"places,omitempty"`
	// Text says it for the screen.
	Text string `json:"text"`
}

// maxPerLane is the most places a lane takes in a slot (as AddSite allows).
const maxPerLane = 500

// maxLanes is the most lanes a site has (as AddSite allows).
const maxLanes = 50

// Tally is what Assess counts from: the round's people and places now.
type Tally struct {
	Residents  int
	Accounted  int
	Sampled    int
	Booked     int
	DoorToDoor int
	Sites      []Site
	// Slots are the round's slots; only open ones still to come count.
	Slots []Slot
	Now   time.Time
}

// Assess weighs places against people, and when they fall short says what
// would cover it at each open site, and what a new site would need.
func Assess(t Tally) Capacity {
	c := Capacity{Residents: t.Residents, Accounted: t.Accounted, Sampled: t.Sampled, Booked: t.Booked, DoorToDoor: t.DoorToDoor, Remedies: []Remedy{}}
	c.Demand = max(0, t.Residents-t.Accounted)
	c.ToPlace = max(0, c.Demand-c.Sampled-c.Booked-c.DoorToDoor)
	for _, sl := range t.Slots {
		if !sl.Closed && sl.EndsAt.After(t.Now) {
			c.PlacesLeft += max(0, sl.Capacity-sl.Booked)
		}
	}
	c.ShortBy = max(0, c.ToPlace-c.PlacesLeft)
	c.Coverage = 1
	if c.Demand > 0 {
		c.Coverage = float64(c.Demand-c.ShortBy) / float64(c.Demand)
	}
	c.Remedies = remedies(c.ShortBy, t.Sites, t.Slots, t.Now)
	return c
}

// remedies says what would place short more people: more lanes or more
// places per lane at each open site with slots still to come, or a new
// site as big as theirs for the rest of the round.
func remedies(short int, sites []Site, slots []Slot, now time.Time) []Remedy {
	out := []Remedy{}
	if short <= 0 {
		return out
	}
	slotsLeft := map[string]int{}
	for _, sl := range slots {
		if !sl.Closed && sl.EndsAt.After(now) {
			slotsLeft[sl.SiteID]++
		}
	}
	sites = slices.Clone(sites)
	sort.Slice(sites, func(i, j int) bool { return sites[i].ID < sites[j].ID })
	// Spare sites first: opening one is a single call, ready as defined.
	for _, st := range sites {
		if !st.Spare || st.Closed {
			continue
		}
		opened := st
		opened.Spare = false
		r := Remedy{SiteID: st.ID, Site: st.Name, Lanes: st.Lanes, PerLanePerSlot: st.PerLanePerSlot, Spare: true}
		for _, sl := range slots {
			if sl.SiteID == st.ID && sl.EndsAt.After(now) && opened.serves(sl) {
				r.SlotsLeft++
				r.Places += max(0, st.Lanes*st.PerLanePerSlot-sl.Booked)
			}
		}
		if r.Places == 0 {
			continue
		}
		r.Text = "开放备用点" + st.Name + "：增加" + strconv.Itoa(r.Places) + "个位置"
		if r.Places < short {
			r.Text += "（仍差" + strconv.Itoa(short-r.Places) + "人）"
		}
		out = append(out, r)
	}
	most, perLane := 0, 0
	for _, st := range sites {
		k := slotsLeft[st.ID]
		if !st.Open() || k == 0 {
			continue
		}
		most = max(most, k)
		perLane = max(perLane, st.PerLanePerSlot)
		r := Remedy{SiteID: st.ID, Site: st.Name, SlotsLeft: k, Lanes: st.Lanes + ceilDiv(short, st.PerLanePerSlot*k)}
		if p := st.PerLanePerSlot + ceilDiv(short, st.Lanes*k); p <= maxPerLane {
			r.PerLanePerSlot = p
		}
		if r.Lanes > maxLanes && r.PerLanePerSlot == 0 {
			continue // no change of this site alone covers it
		}
		r.Text = remedyText(r, st)
		out = append(out, r)
	}
	if most == 0 {
		return out
	}
	if lanes := ceilDiv(short, perLane*most); lanes <= maxLanes {
		r := Remedy{Site: "新采样点", SlotsLeft: most, Lanes: lanes, PerLanePerSlot: perLane}
		r.Text = "开设新采样点：" + strconv.Itoa(lanes) + "个采样台，每台每时段" + strconv.Itoa(perLane) + "人"
		out = append(out, r)
	}
	return out
}

func remedyText(r Remedy, st Site) string {
	text := st.Name + "：采样台增至" + strconv.Itoa(r.Lanes) + "个"
	if r.Lanes > maxLanes {
		text = st.Name + "："
	} else if r.PerLanePerSlot > 0 {
		text += "，或"
	}
	if r.PerLanePerSlot > 0 {
		text += "每台每时段增至" + strconv.Itoa(r.PerLanePerSlot) + "人"
	}
	return text
}

func ceilDiv(a, b int) int {
	if b <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// Roster is what the round knows of its people: reasons staff gave, who is
// bed-bound, who is sampled and when.
type Roster struct {
	Reasons   map[string]string
	Bedridden map[string]bool
	Sampled   map[string]time.Time
	// Samples are the round's samples with where they were taken.
	Samples []SampleRecord
	// Residents by building.
	Residents map[string][]registry.Resident
	Buildings []registry.Building
}

// registerFor is how long an instance reuses a community's register for
// a round's counts: the register changes by an import or a correction, the
// round's samples and reasons (read every time) by the second.
const registerFor = time.Minute

type register struct {
	at        time.Time
	buildings []registry.Building
	residents [][]registry.Resident
}

// register reads every building's residents side by side, or reuses what
// the instance read within registerFor: 40 queries for 8,000 people are
// what made a closure's answer slow under a rush.
func (s *Service) register(ctx context.Context, communityID string) ([]registry.Building, [][]registry.Resident, error) {
	if v, ok := s.registers.Load(communityID); ok {
		if reg := v.(register); s.Now().Sub(reg.at) < registerFor {
			return reg.buildings, reg.residents, nil
		}
	}
	at := s.Now()
	buildings, err := s.allBuildings(ctx, communityID)
	if err != nil {
		return nil, nil, err
	}
	residents := make([][]registry.Resident, len(buildings))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, b := range buildings {
		g.Go(func() error {
			rs, err := s.Directory.BuildingResidents(gctx, b.ID)
			residents[i] = rs
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	s.registers.Store(communityID, register{at: at, buildings: buildings, residents: residents})
	return buildings, residents, nil
}

// roster is the community's register with the round's reasons and
// samples, read now.
func (s *Service) roster(ctx context.Context, r Round) (Roster, error) {
	return s.readRoster(ctx, r, false)
}

// rosterWithSamples is the roster with each sample's site, lane and tube:
// the progress and the review read them; the rest need only who and when
// (a lighter read of the same items).
func (s *Service) rosterWithSamples(ctx context.Context, r Round) (Roster, error) {
	return s.readRoster(ctx, r, true)
}

func (s *Service) readRoster(ctx context.Context, r Round, samples bool) (Roster, error) {
	buildings, residents, err := s.register(ctx, r.CommunityID)
	if err != nil {
		return Roster{}, err
	}
	out := Roster{Bedridden: map[string]bool{}, Residents: map[string][]registry.Resident{}, Buildings: buildings}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		out.Reasons, err = s.Store.Reasons(gctx, r.ID, "")
		return err
	})
	g.Go(func() error {
		var err error
		if !samples {
			out.Sampled, err = s.Store.Sampled(gctx, r.ID, "")
			return err
		}
		if out.Samples, err = s.Work.Samples(gctx, r.ID); err != nil {
			return err
		}
		out.Sampled = make(map[string]time.Time, len(out.Samples))
		for _, sm := range out.Samples {
			out.Sampled[sm.ResidentID] = sm.At
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return Roster{}, err
	}
	for i, b := range buildings {
		out.Residents[b.ID] = residents[i]
		for _, res := range residents[i] {
			if slices.Contains(res.Flags, registry.FlagBedridden) || out.Reasons[res.ID] == ReasonBedridden {
				out.Bedridden[res.ID] = true
			}
			// Found away at the door (the register's correction): away for
			// the round too, unless staff said otherwise for it.
			if res.Status == registry.StatusAway && out.Reasons[res.ID] == "" {
				out.Reasons[res.ID] = "away"
			}
		}
	}
	return out, nil
}

// ReasonBedridden marks a resident for door-to-door sampling.
const ReasonBedridden = "bedridden"

// accounted says whether a resident's reason takes them out of the round's
// demand: away, isolating under another arrangement, or refused.
func accounted(reason string) bool { return reason != "" && reason != ReasonBedridden }

// capacity assesses the round now.
func (s *Service) capacity(ctx context.Context, r Round, ro Roster) (Capacity, error) {
	slots, err := s.Store.Slots(ctx, r.ID)
	if err != nil {
		return Capacity{}, err
	}
	sites, err := s.Sites.Sites(ctx, r.ID)
	if err != nil {
		return Capacity{}, err
	}
	counts, err := s.Store.Progress(ctx, r.ID)
	if err != nil {
		return Capacity{}, err
	}
	return Assess(ro.tally(counts, sites, slots, s.Now())), nil
}

// tally counts the roster against the round's counts.
func (ro Roster) tally(counts map[string]Counts, sites []Site, slots []Slot, now time.Time) Tally {
	t := Tally{Sites: sites, Slots: slots, Now: now}
	for _, rs := range ro.Residents {
		for _, res := range rs {
			t.Residents++
			_, sampled := ro.Sampled[res.ID]
			switch {
			case sampled:
				t.Sampled++
			case accounted(ro.Reasons[res.ID]):
				t.Accounted++
			case ro.Bedridden[res.ID]:
				t.DoorToDoor++
			}
		}
	}
	for _, c := range counts {
		// Booked counts live bookings; those sampled came by them.
		t.Booked += max(0, c.Booked-(c.Sampled-c.WalkIns))
	}
	return t
}
