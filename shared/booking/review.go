package booking

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
)

// RoundProgress is the round as the office watches it: per building and in
// all, with its capacity, its pace and its calls.
type RoundProgress struct {
	Buildings []BuildingProgress `json:"buildings"`
	Total     BuildingProgress   `json:"total"`
	Capacity  Capacity           `json:"capacity"`
	Pace      Pace               `json:"pace"`
	// Sites are the round's sites with their pace, open ones first.
	Sites []SitePace `json:"sites"`
	Calls []Call     `json:"calls"`
}

// SitePace is one site's pace now: the office sees the slow one.
type SitePace struct {
	SiteID string `json:"siteId"`
	Site   string `json:"site"`
	Lanes  int    `json:"lanes"`
	Closed bool   `json:"closed"`
	Spare  bool   `json:"spare"`
	// Sampled are the site's samples so far.
	Sampled int `json:"sampled"`
	// PerHour are its samples of the last PaceWindow, per hour;
	// PerLanePerHour that over its lanes.
	PerHour        float64 `json:"perHour"`
	PerLanePerHour float64 `json:"perLanePerHour"`
	// Pending are its samples in a tube whose result is not back.
	Pending int `json:"pending"`
	// LastAt is its latest sample: a site quiet for long stands out.
	LastAt *time.Time `json:"lastAt,omitempty"`
}

// Pace is how fast sampling goes and when, at that pace, it ends.
type Pace struct {
	// PerHour are samples in the last PaceWindow, per hour.
	PerHour float64 `json:"perHour"`
	// Left are residents of the demand not yet sampled.
	Left int `json:"left"`
	// FinishAt is when the last would be sampled at this pace; absent
	// before any sample or when done.
	FinishAt *time.Time `json:"finishAt,omitempty"`
	// LateBy is how long after the round's end that is; 0 when in time.
	LateMinutes int `json:"lateMinutes"`
}

// PaceWindow is how far back the pace is measured.
const PaceWindow = 30 * time.Minute

// pace measures the rate of the last PaceWindow (or since the first sample
// when that is later) and projects the finish.
func pace(sampled map[string]time.Time, left int, now, ends time.Time) Pace {
	p := Pace{Left: left}
	first := now
	n := 0
	for _, at := range sampled {
		if at.Before(first) {
			first = at
		}
		if now.Sub(at) <= PaceWindow {
			n++
		}
	}
	span := min(PaceWindow, now.Sub(first))
	if n == 0 || span < time.Minute || left == 0 {
		return p
	}
	p.PerHour = float64(n) / span.Hours()
	at := chinatime.In(now.Add(time.Duration(float64(left) / p.PerHour * float64(time.Hour))).Truncate(time.Minute))
	p.FinishAt = &at
	if at.After(ends) {
		p.LateMinutes = int(at.Sub(ends).Minutes())
	}
	return p
}

// Progress reports per building and for the round: residents, booked,
// sampled, at the door, accounted for and left; the capacity; the pace.
func (s *Service) Progress(ctx context.Context, p auth.Principal, roundID string) (RoundProgress, error) {
	r, err := s.managedRound(ctx, p, roundID)
	if err != nil {
		return RoundProgress{}, err
	}
	ro, err := s.rosterWithSamples(ctx, r)
	if err != nil {
		return RoundProgress{}, err
	}
	return s.progress(ctx, r, ro)
}

// progress assembles the progress of round r from its roster.
func (s *Service) progress(ctx context.Context, r Round, ro Roster) (RoundProgress, error) {
	roundID := r.ID
	counts, err := s.Store.Progress(ctx, roundID)
	if err != nil {
		return RoundProgress{}, err
	}
	out := RoundProgress{Buildings: []BuildingProgress{}, Total: BuildingProgress{Name: "合计"}}
	for _, b := range ro.Buildings {
		c := counts[b.ID]
		row := BuildingProgress{BuildingID: b.ID, Name: b.Name, Residents: b.ResidentCount, Booked: c.Booked, Sampled: c.Sampled, WalkIns: c.WalkIns}
		for _, res := range ro.Residents[b.ID] {
			_, done := ro.Sampled[res.ID]
			switch {
			case done:
			case accounted(ro.Reasons[res.ID]):
				row.Accounted++
			case ro.Bedridden[res.ID]:
				row.DoorToDoor++
			default:
				row.Left++
			}
		}
		out.Buildings = append(out.Buildings, row)
	}
	tubes, err := s.Tubes.Tubes(ctx, roundID)
	if err != nil {
		return RoundProgress{}, err
	}
	tubeCounts(out.Buildings, ro.Samples, tubes)
	for _, row := range out.Buildings {
		out.Total.add(row)
	}
	if out.Capacity, err = s.capacity(ctx, r, ro); err != nil {
		return out, err
	}
	out.Pace = pace(ro.Sampled, out.Total.Left+out.Total.DoorToDoor, s.Now(), r.EndsAt)
	if out.Sites, err = s.sitePaces(ctx, roundID, ro.Samples, tubes); err != nil {
		return out, err
	}
	out.Calls, err = s.calls(ctx, roundID, ro.Sampled)
	return out, err
}

// sitePaces measures each site's pace over the last PaceWindow (or since
// its first sample, when later), as pace does for the round.
func (s *Service) sitePaces(ctx context.Context, roundID string, samples []SampleRecord, tubes map[string]Tube) ([]SitePace, error) {
	sites, err := s.Sites.Sites(ctx, roundID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	type tally struct {
		n, recent, pending int
		first, last        time.Time
	}
	by := map[string]*tally{}
	for _, sm := range samples {
		if sm.SiteID == "" {
			continue // at a door
		}
		t := by[sm.SiteID]
		if t == nil {
			t = &tally{first: sm.At, last: sm.At}
			by[sm.SiteID] = t
		}
		t.n++
		if sm.Tube != "" && tubes[sm.Tube].Result == "" {
			t.pending++
		}
		if sm.At.Before(t.first) {
			t.first = sm.At
		}
		if sm.At.After(t.last) {
			t.last = sm.At
		}
		if now.Sub(sm.At) <= PaceWindow {
			t.recent++
		}
	}
	out := make([]SitePace, 0, len(sites))
	for _, st := range sites {
		sp := SitePace{SiteID: st.ID, Site: st.Name, Lanes: st.Lanes, Closed: st.Closed, Spare: st.Spare}
		if t := by[st.ID]; t != nil {
			sp.Sampled, sp.Pending = t.n, t.pending
			last := chinatime.In(t.last)
			sp.LastAt = &last
			if span := min(PaceWindow, now.Sub(t.first)); span >= time.Minute && t.recent > 0 {
				sp.PerHour = float64(t.recent) / span.Hours()
			}
			if st.Lanes > 0 {
				sp.PerLanePerHour = sp.PerHour / float64(st.Lanes)
			}
		}
		out = append(out, sp)
	}
	// Open sites first, then by name: closed and unopened spares trail.
	sort.SliceStable(out, func(i, j int) bool {
		oi, oj := !out[i].Closed && !out[i].Spare, !out[j].Closed && !out[j].Spare
		if oi != oj {
			return oi
		}
		return out[i].Site < out[j].Site
	})
	return out, nil
}

func (t *BuildingProgress) add(row BuildingProgress) {
	t.Residents += row.Residents
	t.Booked += row.Booked
	t.Sampled += row.Sampled
	t.WalkIns += row.WalkIns
	t.DoorToDoor += row.DoorToDoor
	t.Accounted += row.Accounted
	t.Left += row.Left
	t.Resulted += row.Resulted
	t.Pending += row.Pending
	t.PooledPositive += row.PooledPositive
}

// Review is the night's review of a round (每晚复盘).
type Review struct {
	Round    Round            `json:"round"`
	Total    BuildingProgress `json:"total"`
	Capacity Capacity         `json:"capacity"`
	Sites    []SiteReview     `json:"sites"`
	// NoShows are slots whose booked did not all come.
	NoShows []SlotNoShow `json:"noShows"`
	// WalkInShare is the share of samples taken without a booking.
	WalkInShare float64 `json:"walkInShare"`
	Calls       []Call  `json:"calls"`
	Closures    []Site  `json:"closures"`
	// Unsampled counts the residents not sampled by reason ("none" for
	// those nobody gave one for).
	Unsampled map[string]int `json:"unsampled"`
	DoorDone  int            `json:"doorDone"`
	DoorLeft  int            `json:"doorLeft"`
	Note      *Note          `json:"note,omitempty"`
	// Results are the lab's answers by building and the traces of the
	// pooled positives, timed.
	Results ReviewResults `json:"results"`
}

// ReviewResults is what the lab's results came to: per building, tubes'
// people resulted, pending and in a pooled positive; and each trace timed.
type ReviewResults struct {
	Buildings []BuildingResults `json:"buildings"`
	Traces    []TraceReview     `json:"traces"`
}

// BuildingResults is one building's people by their tube's result.
type BuildingResults struct {
	BuildingID     string `json:"buildingId"`
	Building       string `json:"building"`
	Resulted       int    `json:"resulted"`
	Pending        int    `json:"pending"`
	PooledPositive int    `json:"pooledPositive"`
}

// TraceReview is a trace timed: its households were texted in the same
// write as the result (the SMS queue's pace is the rest of "told"); the
// door team's singles took SinglesMinutes (nil while some are to take);
// the trace closed ClosedMinutes after the result.
type TraceReview struct {
	Tube           string    `json:"tube"`
	ResultAt       time.Time `json:"resultAt"`
	Households     int       `json:"households"`
	People         int       `json:"people"`
	Texted         int       `json:"texted"`
	SinglesTaken   int       `json:"singlesTaken"`
	SinglesMinutes *int      `json:"singlesMinutes,omitempty"`
	ClosedMinutes  *int      `json:"closedMinutes,omitempty"`
	Status         string    `json:"status"`
	// Overdue: singles were still to take at the deadline, or are now.
	Overdue bool `json:"overdue"`
}

// SiteReview is one site's day.
type SiteReview struct {
	SiteID  string `json:"siteId"`
	Site    string `json:"site"`
	Lanes   int    `json:"lanes"`
	Closed  bool   `json:"closed"`
	Sampled int    `json:"sampled"`
	WalkIns int    `json:"walkIns"`
	// PeakPerHour is the busiest clock hour's samples; PerLanePerHour
	// that over the lanes.
	PeakPerHour    int     `json:"peakPerHour"`
	PerLanePerHour float64 `json:"perLanePerHour"`
	// Hours are the samples of each clock hour (Beijing time, "08:00").
	Hours []HourCount `json:"hours"`
	// LongestLateMinutes is the longest a booked person came after their
	// slot's start: where the queue ran behind.
	LongestLateMinutes int `json:"longestLateMinutes"`
	// LongestFromCallMinutes is the longest from a building's call to the
	// sample of one of its people called: the wait of a called queue.
	LongestFromCallMinutes int `json:"longestFromCallMinutes"`
	// ByLane are the samples of each lane that said its number.
	ByLane []LaneCount `json:"byLane"`
}

// LaneCount is one lane's samples: in all, and in its busiest hour.
type LaneCount struct {
	Lane        int `json:"lane"`
	Sampled     int `json:"sampled"`
	PeakPerHour int `json:"peakPerHour"`
}

// HourCount is one clock hour's samples.
type HourCount struct {
	Hour    string `json:"hour"`
	Sampled int    `json:"sampled"`
}

// SlotNoShow is one slot's bookings and who of them did not come.
type SlotNoShow struct {
	SlotID   string    `json:"slotId"`
	SiteID   string    `json:"siteId"`
	StartsAt time.Time `json:"startsAt"`
	Booked   int       `json:"booked"`
	NoShow   int       `json:"noShow"`
}

// Review assembles the round's review: per site and lane the throughput,
// no-shows per slot, the walk-in share, calls and who came, closures,
// the unsampled by reason, the door list's progress and the saved note.
func (s *Service) Review(ctx context.Context, p auth.Principal, roundID string) (Review, error) {
	r, err := s.managedRound(ctx, p, roundID)
	if err != nil {
		return Review{}, err
	}
	ro, err := s.rosterWithSamples(ctx, r)
	if err != nil {
		return Review{}, err
	}
	prog, err := s.progress(ctx, r, ro) // one roster for both
	if err != nil {
		return Review{}, err
	}
	samples := ro.Samples
	sites, err := s.Sites.Sites(ctx, roundID)
	if err != nil {
		return Review{}, err
	}
	slots, err := s.Store.Slots(ctx, roundID)
	if err != nil {
		return Review{}, err
	}
	out := Review{Round: r, Total: prog.Total, Capacity: prog.Capacity, Sites: []SiteReview{}, NoShows: []SlotNoShow{}, Calls: prog.Calls,
		Closures: []Site{}, Unsampled: map[string]int{}}
	slotStart := map[string]time.Time{}
	for _, sl := range slots {
		slotStart[sl.ID] = sl.StartsAt
	}
	bySite := map[string]*SiteReview{}
	hours := map[string]map[string]int{}
	sort.Slice(sites, func(i, j int) bool { return sites[i].ID < sites[j].ID })
	for _, st := range sites {
		bySite[st.ID] = &SiteReview{SiteID: st.ID, Site: st.Name, Lanes: st.Lanes, Closed: st.Closed, Hours: []HourCount{}, ByLane: []LaneCount{}}
		hours[st.ID] = map[string]int{}
		if st.Closed {
			out.Closures = append(out.Closures, st)
		}
	}
	walkIns := 0
	came := map[string]int{}
	// The latest call of each building before a sample is what it answered.
	calls := map[string][]time.Time{}
	for _, c := range prog.Calls {
		calls[c.BuildingID] = append(calls[c.BuildingID], c.At)
	}
	type laneKey struct {
		site string
		lane int
	}
	lanes := map[laneKey]map[string]int{}
	for _, sm := range samples {
		if sm.WalkIn {
			walkIns++
		}
		if sm.SlotID != "" && !sm.WalkIn {
			came[sm.SlotID]++
		}
		sr := bySite[sm.SiteID]
		if sr == nil {
			continue // at a door, or checked in before sites were recorded
		}
		sr.Sampled++
		if sm.WalkIn {
			sr.WalkIns++
		}
		hour := chinatime.In(sm.At).Format("15") + ":00"
		hours[sm.SiteID][hour]++
		if sm.Lane > 0 {
			k := laneKey{sm.SiteID, sm.Lane}
			if lanes[k] == nil {
				lanes[k] = map[string]int{}
			}
			lanes[k][hour]++
		}
		var called time.Time
		for _, at := range calls[registry.BuildingOf(sm.ResidentID)] {
			if !at.After(sm.At) && at.After(called) {
				called = at
			}
		}
		if !called.IsZero() && sm.At.Sub(called) < 2*time.Hour {
			sr.LongestFromCallMinutes = max(sr.LongestFromCallMinutes, int(sm.At.Sub(called).Minutes()))
		}
		if start, ok := slotStart[sm.SlotID]; ok && !sm.WalkIn && sm.At.After(start) {
			sr.LongestLateMinutes = max(sr.LongestLateMinutes, int(sm.At.Sub(start).Minutes()))
		}
	}
	if len(samples) > 0 {
		out.WalkInShare = float64(walkIns) / float64(len(samples))
	}
	for _, st := range sites {
		sr := bySite[st.ID]
		for h, n := range hours[st.ID] {
			sr.Hours = append(sr.Hours, HourCount{Hour: h, Sampled: n})
			sr.PeakPerHour = max(sr.PeakPerHour, n)
		}
		sort.Slice(sr.Hours, func(i, j int) bool { return sr.Hours[i].Hour < sr.Hours[j].Hour })
		if sr.Lanes > 0 {
			sr.PerLanePerHour = float64(sr.PeakPerHour) / float64(sr.Lanes)
		}
		for k, perHour := range lanes {
			if k.site != st.ID {
				continue
			}
			lc := LaneCount{Lane: k.lane}
			for _, n := range perHour {
				lc.Sampled += n
				lc.PeakPerHour = max(lc.PeakPerHour, n)
			}
			sr.ByLane = append(sr.ByLane, lc)
		}
		sort.Slice(sr.ByLane, func(i, j int) bool { return sr.ByLane[i].Lane < sr.ByLane[j].Lane })
		out.Sites = append(out.Sites, *sr)
	}
	now := s.Now()
	for _, sl := range slots {
		if sl.Booked == 0 || sl.EndsAt.After(now) {
			continue // a slot still to come has no no-shows yet
		}
		if n := sl.Booked - came[sl.ID]; n > 0 {
			out.NoShows = append(out.NoShows, SlotNoShow{SlotID: sl.ID, SiteID: sl.SiteID, StartsAt: sl.StartsAt, Booked: sl.Booked, NoShow: n})
		}
	}
	sort.Slice(out.NoShows, func(i, j int) bool { return out.NoShows[i].StartsAt.Before(out.NoShows[j].StartsAt) })
	for _, rs := range ro.Residents {
		for _, res := range rs {
			if _, done := ro.Sampled[res.ID]; done {
				if ro.Bedridden[res.ID] {
					out.DoorDone++
				}
				continue
			}
			reason := ro.Reasons[res.ID]
			if reason == "" && ro.Bedridden[res.ID] {
				reason = ReasonBedridden
			}
			if reason == ReasonBedridden {
				out.DoorLeft++
			}
			if reason == "" {
				reason = "none"
			}
			out.Unsampled[reason]++
		}
	}
	n, err := s.Work.Note(ctx, roundID)
	if err == nil {
		out.Note = &n
	} else if !errors.Is(err, ErrNotFound) {
		return out, err
	}
	if out.Results, err = s.reviewResults(ctx, roundID, prog.Buildings); err != nil {
		return out, err
	}
	return out, nil
}

// reviewResults are the round's results per building and its traces timed.
func (s *Service) reviewResults(ctx context.Context, roundID string, buildings []BuildingProgress) (ReviewResults, error) {
	out := ReviewResults{Buildings: []BuildingResults{}, Traces: []TraceReview{}}
	for _, b := range buildings {
		if b.Resulted+b.Pending > 0 {
			out.Buildings = append(out.Buildings, BuildingResults{BuildingID: b.BuildingID, Building: b.Name,
				Resulted: b.Resulted, Pending: b.Pending, PooledPositive: b.PooledPositive})
		}
	}
	traces, err := s.Trace.Traces(ctx, roundID)
	if err != nil {
		return out, err
	}
	singles, err := s.Trace.Singles(ctx, roundID)
	if err != nil {
		return out, err
	}
	now := s.Now()
	for _, t := range traces {
		tr := TraceReview{Tube: t.Tube, ResultAt: t.OpenedAt, Households: len(t.Households), Texted: t.Texted, Status: t.Status}
		var last time.Time
		for _, h := range t.Households {
			tr.People += len(h.People)
		}
		for _, sg := range singles {
			if sg.TraceTube == t.Tube {
				tr.SinglesTaken++
				if sg.At.After(last) {
					last = sg.At
				}
			}
		}
		if tr.SinglesTaken == tr.People && tr.People > 0 {
			m := int(last.Sub(t.OpenedAt).Minutes())
			tr.SinglesMinutes = &m
			tr.Overdue = last.After(t.DueAt)
		} else {
			tr.Overdue = now.After(t.DueAt)
		}
		if t.ClosedAt != nil {
			m := int(t.ClosedAt.Sub(t.OpenedAt).Minutes())
			tr.ClosedMinutes = &m
		}
		out.Traces = append(out.Traces, tr)
	}
	sort.Slice(out.Traces, func(i, j int) bool { return out.Traces[i].ResultAt.Before(out.Traces[j].ResultAt) })
	return out, nil
}

// SaveNote keeps the night's note of a round.
func (s *Service) SaveNote(ctx context.Context, p auth.Principal, roundID, text string) (Note, error) {
	if _, err := s.managedRound(ctx, p, roundID); err != nil {
		return Note{}, err
	}
	text, problem := safetext.Text(text, 2000, true)
	if problem != "" {
		return Note{}, apperr.Validation.WithFields(apperr.FieldError{Field: "text", Reason: string(problem)})
	}
	n := Note{RoundID: roundID, Text: text, By: p.UserID, At: chinatime.In(s.Now().Truncate(time.Second))}
	return n, s.Work.SaveNote(ctx, n)
}

// lastNote is the note of the community's round before r, if any.
func (s *Service) lastNote(ctx context.Context, r Round) (*Note, error) {
	rounds, err := s.Store.Rounds(ctx, r.CommunityID, 10)
	if err != nil {
		return nil, err
	}
	sort.Slice(rounds, func(i, j int) bool { return rounds[i].CreatedAt.After(rounds[j].CreatedAt) })
	for _, o := range rounds {
		if o.ID == r.ID || !o.CreatedAt.Before(r.CreatedAt) || o.Drill != r.Drill {
			continue
		}
		n, err := s.Work.Note(ctx, o.ID)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return &n, err
	}
	return nil, nil
}

// reviewCSV is the review as a sheet Excel opens: one row per site and
// hour, one per lane that said its number, then the site's totals.
func reviewCSV(rv Review) httpapi.CSV {
	rows := [][]string{}
	for _, st := range rv.Sites {
		for _, h := range st.Hours {
			rows = append(rows, []string{st.Site, strconv.Itoa(st.Lanes), h.Hour, strconv.Itoa(h.Sampled), "", "", ""})
		}
		for _, l := range st.ByLane {
			rows = append(rows, []string{st.Site, "第" + strconv.Itoa(l.Lane) + "台", "全天（最忙一小时 " + strconv.Itoa(l.PeakPerHour) + "）", strconv.Itoa(l.Sampled), "", "", ""})
		}
		rows = append(rows, []string{st.Site, strconv.Itoa(st.Lanes), "全天", strconv.Itoa(st.Sampled), strconv.Itoa(st.WalkIns),
			strconv.Itoa(st.LongestLateMinutes), strconv.Itoa(st.LongestFromCallMinutes)})
	}
	return httpapi.CSV{Filename: "review.csv", Header: []string{"采样点", "采样台", "时段", "采样人数", "未预约人数", "最长迟到分钟", "叫楼后最长等候分钟"}, Rows: rows}
}
