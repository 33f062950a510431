package notices

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/registry"
)

// FeverCelsius and above alerts the community's staff.
const FeverCelsius = 37.3

// Plausible readings; anything else is a typing slip or a broken thermometer.
const (
	minCelsius = 34.0
	maxCelsius = 43.0
)

// ErrImplausible refuses a reading no living person has.
var ErrImplausible = apperr.New(apperr.KindInvalid, "IMPLAUSIBLE_TEMPERATURE", "体温数值不合理，请重新测量", "That temperature is implausible, measure again")

// Reading is one resident's daily temperature.
type Reading struct {
	ResidentID string    `json:"residentId"`
	Celsius    float64   `json:"celsius"`
	At         time.Time `json:"at"`
	Fever      bool      `json:"fever"`
}

// TemperatureStore keeps readings, a day per community.
type TemperatureStore interface {
	SaveReading(ctx context.Context, communityID, day string, r Reading) error
	Readings(ctx context.Context, communityID, day string) (map[string]Reading, error)
	MarkZoned(ctx context.Context, communityID string) error
	ZonedCommunities(ctx context.Context) ([]string, error)
}

// Day is the calendar day in Beijing, as readings are kept.
func Day(t time.Time) string { return t.In(chinatime.Zone).Format("2006-01-02") }

// Report records a reading for the caller or a member of their household; a
// fever alerts the community's staff at once, through the dispatch queue.
func (s *Service) Report(ctx context.Context, p auth.Principal, residentID string, celsius float64) (Reading, error) {
	if residentID == "" {
		residentID = p.UserID
	}
	if registry.HouseholdOf(residentID) != p.HouseholdID || !registry.ValidID(residentID) {
		return Reading{}, apperr.Forbidden
	}
	if celsius < minCelsius || celsius > maxCelsius {
		return Reading{}, ErrImplausible.WithFields(apperr.FieldError{Field: "celsius", Reason: fmt.Sprintf("from %.0f to %.0f °C", minCelsius, maxCelsius)})
	}
	now := chinatime.In(s.Now())
	r := Reading{ResidentID: residentID, Celsius: celsius, At: now, Fever: celsius >= FeverCelsius}
	if err := s.Readings.SaveReading(ctx, p.CommunityID, Day(now), r); err != nil {
		return Reading{}, err
	}
	if r.Fever {
		b, _ := json.Marshal(Message{Kind: KindFever, CommunityID: p.CommunityID, ResidentID: residentID, Celsius: celsius})
		if err := s.Queue.SendBatch(ctx, []string{string(b)}); err != nil {
			return Reading{}, apperr.StoreUnavailable.Wrap(err)
		}
	}
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
	out := TemperatureDay{Day: day, Fevers: []Reading{}, Missing: []Missing{}}
	for _, r := range readings {
		if r.Fever {
			out.Fevers = append(out.Fevers, r)
		}
	}
	for _, z := range zones {
		if z.Level != LevelSealed && z.Level != LevelControlled {
			continue
		}
		residents, err := s.Directory.BuildingResidents(ctx, z.BuildingID)
		if err != nil {
			return TemperatureDay{}, err
		}
		for _, r := range residents {
			if _, ok := readings[r.ID]; ok {
				out.Reported++
				continue
			}
			out.Missing = append(out.Missing, Missing{ResidentID: r.ID, Name: r.Name, Building: z.Building, Phone: r.Phone})
		}
	}
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
		var bodies []string
		seen := map[string]bool{}
		for _, m := range td.Missing {
			ph := m.Phone
			if ph == "" || seen[ph] {
				continue
			}
			seen[ph] = true
			b, _ := json.Marshal(Message{Kind: KindReminder, Phone: ph, Day: day})
			bodies = append(bodies, string(b))
		}
		for start := 0; start < len(bodies); start += 10 {
			if err := s.Queue.SendBatch(ctx, bodies[start:min(start+10, len(bodies))]); err != nil {
				return queued, err
			}
			queued += min(10, len(bodies)-start)
		}
	}
	return queued, nil
}
