package notices

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/symptom"
)

// FeverCelsius and above alerts the community's staff.
const FeverCelsius = 37.3

// Plausible readings; anything else is a typing slip or a broken thermometer.
const (
	minCelsius = 34.0
	maxCelsius = 43.0
	// maxChange is the most a reading may differ from the same resident's
	// previous one of the day: a body does not jump further between two
	// measurements, a typing slip does.
	maxChange = 2.0
)

// Errors of temperature reports.
var (
	ErrImplausible       = apperr.New(apperr.KindInvalid, "IMPLAUSIBLE_TEMPERATURE", "体温数值不合理，请重新测量", "That temperature is implausible, measure again")
	ErrImplausibleChange = apperr.New(apperr.KindInvalid, "IMPLAUSIBLE_TEMPERATURE_CHANGE", "与今日上次报备相差过大，请重新测量", "Too far from today's previous reading, measure again")
	ErrNotMember         = apperr.New(apperr.KindInvalid, "NOT_A_HOUSEHOLD_MEMBER", "该居民不是本户成员", "Not a member of your household")
	ErrReportBusy        = apperr.New(apperr.KindConflict, "REPORT_IN_PROGRESS", "该居民的体温正在报备，请稍后重试", "A reading for this resident is being saved, try again")
)

// Reading is one resident's temperature of a day: the latest reading, the
// highest of the day, and when the first fever of the day was reported.
type Reading struct {
	ResidentID string    `json:"residentId"`
	Celsius    float64   `json:"celsius"`
	At         time.Time `json:"at"`
	Fever      bool      `json:"fever"`
	// Peak is the day's highest reading.
	Peak float64 `json:"peak"`
	// FeverAt is when the day's first fever was reported (staff were alerted then).
	FeverAt *time.Time `json:"feverAt,omitempty"`
	// Symptoms are the latest reading's (codes; none when none).
	Symptoms []string `json:"symptoms,omitempty"`
	// Watched says the reading was also the check of the person's watch
	// (the report's answer only).
	Watched bool `json:"watched,omitempty"`
}

// TemperatureStore keeps readings, a day per community.
type TemperatureStore interface {
	// Reading is a resident's reading of the day (ErrNotFound without one).
	Reading(ctx context.Context, communityID, day, residentID string) (Reading, error)
	// SaveReading writes r if the stored reading is still prev (the zero
	// Reading: none yet); ErrReportBusy otherwise.
	SaveReading(ctx context.Context, communityID, day string, r, prev Reading, pending *dispatch.Pending) error
	Readings(ctx context.Context, communityID, day string) (map[string]Reading, error)
	MarkZoned(ctx context.Context, communityID string) error
	ZonedCommunities(ctx context.Context) ([]string, error)
}

// Watches takes a reading of a person under watch as their check of the
// window (its fever alert once a window, with the symptoms): false when
// the person is under no watch today.
type Watches interface {
	Observe(ctx context.Context, cid, rid string, celsius float64, symptoms []string) (bool, error)
}

// Day is the calendar day in Beijing, as readings are kept.
func Day(t time.Time) string { return t.In(chinatime.Zone).Format("2006-01-02") }

// RoundCelsius is the one rounding rule of readings, for storing and for
// alerting alike: to a tenth of a degree, halves away from zero.
func RoundCelsius(c float64) float64 { return math.Round(c*10) / 10 }

// Report records a reading for the caller or a real member of their
// household, with symptoms (codes or words; none by default). The first
// fever of a resident's day alerts the community's staff, through the
// dispatch queue; later readings update the list staff see, not their
// phones. A person under watch has the reading as the window's check, and
// its alerts (a fever or a symptom, once a window) instead of the day's.
func (s *Service) Report(ctx context.Context, p auth.Principal, residentID string, celsius float64, symptoms []string) (Reading, error) {
	if !p.Has(manifest.RoleResident) {
		return Reading{}, apperr.Forbidden
	}
	if residentID == "" {
		residentID = p.ResidentID
	}
	if !registry.ValidID(residentID) || registry.HouseholdOf(residentID) != p.HouseholdID {
		return Reading{}, ErrNotMember.WithFields(apperr.FieldError{Field: "residentId", Reason: "a member of your household"})
	}
	if math.IsNaN(celsius) || celsius < minCelsius || celsius > maxCelsius {
		return Reading{}, ErrImplausible.WithFields(apperr.FieldError{Field: "celsius", Reason: fmt.Sprintf("from %.0f to %.0f °C", minCelsius, maxCelsius)})
	}
	celsius = RoundCelsius(celsius)
	symptoms, err := symptom.Clean(symptoms)
	if err != nil {
		return Reading{}, err
	}
	_, members, err := s.Directory.Household(ctx, p.HouseholdID)
	if err != nil {
		return Reading{}, err
	}
	if !slices.ContainsFunc(members, func(m registry.Resident) bool { return m.ID == residentID }) {
		return Reading{}, ErrNotMember.WithFields(apperr.FieldError{Field: "residentId", Reason: "a member of your household"})
	}
	now := chinatime.In(s.Now())
	day := Day(now)
	prev, err := s.Readings.Reading(ctx, p.ResidentCommunityID, day, residentID)
	if err != nil && err != ErrNotFound {
		return Reading{}, err
	}
	if err == nil && math.Abs(celsius-prev.Celsius) > maxChange {
		return Reading{}, ErrImplausibleChange.WithFields(apperr.FieldError{Field: "celsius",
			Reason: fmt.Sprintf("today's previous reading was %.1f °C", prev.Celsius)})
	}
	watched, err := s.Watches.Observe(ctx, p.ResidentCommunityID, residentID, celsius, symptoms)
	if err != nil {
		return Reading{}, err
	}
	r := Reading{ResidentID: residentID, Celsius: celsius, At: now, Fever: celsius >= FeverCelsius, Peak: max(celsius, prev.Peak), FeverAt: prev.FeverAt,
		Symptoms: symptoms, Watched: watched}
	firstFever := r.Fever && prev.FeverAt == nil && !watched
	if firstFever {
		r.FeverAt = &now
	}
	// The first fever's alert is written with the reading.
	var alert *dispatch.Pending
	if firstFever {
		alert = dispatch.NewPending(now, dispatch.Message{Kind: dispatch.KindFever, CommunityID: p.ResidentCommunityID,
			ResidentID: residentID, Celsius: celsius, Day: day})
	}
	if err := s.Readings.SaveReading(ctx, p.ResidentCommunityID, day, r, prev, alert); err != nil {
		return Reading{}, err
	}
	s.Outbox.Flush(ctx, alert)
	return r, nil
}

// TemperatureDay is the staff's view of a day in the zones.
type TemperatureDay struct {
	Day     string    `json:"day"`
	Fevers  []Reading `json:"fevers"`
	Missing []Missing `json:"missing"`
	// Reported counts residents of sealed and controlled buildings who reported.
	Reported int `json:"reported"`
}

// Missing is a resident of a sealed or controlled building without a reading.
type Missing struct {
	ResidentID string `json:"residentId"`
	Name       string `json:"name"`
	Building   string `json:"building"`
	Phone      string `json:"phone,omitempty"`
}

// Temperatures lists a day's fevers and who in the zones has not reported.
func (s *Service) Temperatures(ctx context.Context, p auth.Principal, cid, day string) (TemperatureDay, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return TemperatureDay{}, err
	}
	if day == "" {
		day = Day(s.Now())
	} else if _, err := time.Parse("2006-01-02", day); err != nil {
		return TemperatureDay{}, apperr.Validation.WithFields(apperr.FieldError{Field: "day", Reason: "YYYY-MM-DD"})
	}
	return s.temperatureDay(ctx, cid, day)
}

func (s *Service) temperatureDay(ctx context.Context, cid, day string) (TemperatureDay, error) {
	readings, err := s.Readings.Readings(ctx, cid, day)
	if err != nil {
		return TemperatureDay{}, err
	}
	zones, err := s.Store.Zones(ctx, cid)
	if err != nil {
		return TemperatureDay{}, err
	}
	if s.Doors != nil {
		doors, err := s.Doors.DoorReadings(ctx, cid, day)
		if err != nil {
			return TemperatureDay{}, err
		}
		for _, d := range doors {
			r, ok := readings[d.ResidentID]
			switch {
			case !ok:
				readings[d.ResidentID] = d
			case d.Peak > r.Peak:
				r.Peak, r.Fever = d.Peak, r.Fever || d.Fever
				readings[d.ResidentID] = r
			}
		}
	}
	out := TemperatureDay{Day: day, Fevers: []Reading{}, Missing: []Missing{}}
	for _, r := range readings {
		if r.Peak >= FeverCelsius || symptom.Any(r.Symptoms) {
			out.Fevers = append(out.Fevers, r)
		}
	}
	idx := indexZones(zones)
	for bid := range idx {
		asked, err := s.asked(ctx, idx, bid)
		if err != nil {
			return TemperatureDay{}, err
		}
		if asked == nil {
			continue
		}
		residents, err := s.Directory.BuildingResidents(ctx, bid)
		if err != nil {
			return TemperatureDay{}, err
		}
		name := idx[bid][0].Building
		for _, r := range residents {
			if !asked(r.HouseholdID) {
				continue
			}
			if _, ok := readings[r.ID]; ok {
				out.Reported++
				continue
			}
			out.Missing = append(out.Missing, Missing{ResidentID: r.ID, Name: r.Name, Building: name, Phone: r.Phone})
		}
	}
	slices.SortFunc(out.Missing, func(a, b Missing) int { return strings.Compare(a.ResidentID, b.ResidentID) })
	slices.SortFunc(out.Fevers, func(a, b Reading) int { return a.At.Compare(b.At) })
	return out, nil
}

// Remind texts every household of a sealed or controlled building that has a
// member without today's reading, once per phone, in every community with
// zones. The scheduled job calls it at the configured hour.
func (s *Service) Remind(ctx context.Context) (int, error) {
	cids, err := s.Readings.ZonedCommunities(ctx)
	if err != nil {
		return 0, err
	}
	day := Day(s.Now())
	queued := 0
	for _, cid := range cids {
		td, err := s.temperatureDay(ctx, cid, day)
		if err != nil {
			return queued, err
		}
		var msgs []dispatch.Message
		seen := map[string]bool{}
		for _, m := range td.Missing {
			ph := m.Phone
			if ph == "" || seen[ph] {
				continue
			}
			seen[ph] = true
			msgs = append(msgs, dispatch.Message{Kind: dispatch.KindReminder, Phone: ph, Day: day, CommunityID: cid})
		}
		if _, err := dispatch.Send(ctx, s.Queue, msgs); err != nil {
			return queued, err
		}
		queued += len(msgs)
	}
	return queued, nil
}

// watchNotices is how many of a community's latest notices a building's
// watch looks at, and watchFor how far back.
const (
	watchNotices = 20
	watchFor     = 72 * time.Hour
)

// Watch says, for one building, which of its households have not
// acknowledged its recent notices (their titles, newest first; drills'
// apart) and, where the building is sealed or controlled, which residents
// have no temperature today: what its 楼栋长 follows up door by door.
func (s *Service) Watch(ctx context.Context, cid, buildingID string, householdIDs, residentIDs []string) (map[string][]string, map[string]bool, error) {
	unacked := map[string][]string{}
	feed, err := s.Store.Feed(ctx, cid, watchNotices)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	for _, n := range feed {
		if n.Drill != "" || now.Sub(n.CreatedAt) > watchFor || !slices.ContainsFunc(householdIDs, n.Reaches) || !slices.Contains(n.Channels, "app") {
			continue
		}
		acked, err := s.Store.Acknowledged(ctx, n.ID, householdIDs)
		if err != nil {
			return nil, nil, err
		}
		for _, h := range householdIDs {
			if !acked[h] && n.Reaches(h) {
				unacked[h] = append(unacked[h], n.Title)
			}
		}
	}
	noTemp := map[string]bool{}
	zones, err := s.Store.Zones(ctx, cid)
	if err != nil {
		return nil, nil, err
	}
	asked, err := s.asked(ctx, indexZones(zones), buildingID)
	if err != nil {
		return nil, nil, err
	}
	if asked == nil {
		return unacked, noTemp, nil
	}
	readings, err := s.Readings.Readings(ctx, cid, chinatime.In(now).Format(time.DateOnly))
	if err != nil {
		return nil, nil, err
	}
	for _, id := range residentIDs {
		if _, ok := readings[id]; !ok && asked(registry.HouseholdOf(id)) {
			noTemp[id] = true
		}
	}
	return unacked, noTemp, nil
}
