package gate

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/zone"
)

// LevelRule is who of a household at one zone level may go out.
type LevelRule struct {
	// Outs is how many outings a household may make in a period: 0 lets
	// nobody out.
	Outs int `json:"outs"`
	// EveryDays is the period in Beijing days: 1 daily, 2 every second
	// day (an outing on Monday uses Monday's and Tuesday's).
	EveryDays int `json:"everyDays"`
	// Minutes is how long an outing may last before it is late (0: no
	// limit).
	Minutes int `json:"minutes"`
	// Free lets the household come and go: logged, counted against
	// nothing, never late.
	Free bool `json:"free"`
}

// Rules are a community's pass rules: one per zone level, and the
// exceptions.
type Rules struct {
	CommunityID string               `json:"communityId"`
	Levels      map[string]LevelRule `json:"levels"`
	// CareTrips lets a household out for its care plan's trip of the day
	// (dialysis, chemotherapy…), whatever its level or quota.
	CareTrips bool `json:"careTrips"`
	// Permits lets a household with a work permit out beyond its quota
	// (never when sealed or under watch).
	Permits   bool       `json:"permits"`
	Default   bool       `json:"default"`
	Version   int        `json:"version"`
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
	UpdatedBy string     `json:"updatedBy,omitempty"`
}

// DefaultRules are the seed's: sealed nobody, controlled one outing every
// second day for two hours, precaution one a day for four, none free.
func DefaultRules(cid string) Rules {
	return Rules{CommunityID: cid, Default: true, CareTrips: true, Permits: true, Levels: map[string]LevelRule{
		zone.LevelSealed:     {},
		zone.LevelControlled: {Outs: 1, EveryDays: 2, Minutes: 120},
		zone.LevelPrecaution: {Outs: 1, EveryDays: 1, Minutes: 240},
		zone.LevelNone:       {Free: true},
	}}
}

// RulesInput sets a community's rules: every level and both exceptions,
// over version (nothing left out is taken as off: a dialysis trip is not
// to stop for a field forgotten).
type RulesInput struct {
	Levels    map[string]*LevelRule `json:"levels"`
	CareTrips *bool                 `json:"careTrips"`
	Permits   *bool                 `json:"permits"`
	Version   int                   `json:"version"`
}

// RulesChange is a change's answer: the rules, and how many households
// live at a level whose rule changed.
type RulesChange struct {
	Rules Rules `json:"rules"`
	// Affected are the households at levels whose rule changed; ByLevel
	// counts every household at each level now.
	Affected int            `json:"affected"`
	ByLevel  map[string]int `json:"byLevel"`
}

func field(name, reason string) error {
	return apperr.Validation.WithFields(apperr.FieldError{Field: name, Reason: reason})
}

func (in RulesInput) check() error {
	for level := range in.Levels {
		if !slices.Contains(zone.Levels, level) {
			return field("levels."+level, "a zone level: sealed, controlled, precaution or none")
		}
	}
	if in.CareTrips == nil {
		return field("careTrips", "required")
	}
	if in.Permits == nil {
		return field("permits", "required")
	}
	for _, level := range zone.Levels {
		rp := in.Levels[level]
		if rp == nil {
			return field("levels."+level, "required: every level has its rule")
		}
		r := *rp
		switch {
		case level == zone.LevelSealed && (r.Outs > 0 || r.Free):
			return ErrSealedStaysIn.WithFields(apperr.FieldError{Field: "levels.sealed", Reason: "outs 0, not free"})
		case r.Free && (r.Outs != 0 || r.EveryDays != 0 || r.Minutes != 0):
			return field("levels."+level, "a free level has no outs, period or minutes")
		case r.Outs < 0 || r.Outs > 10:
			return field("levels."+level+".outs", "0 to 10")
		case r.Outs > 0 && (r.EveryDays < 1 || r.EveryDays > 7):
			return field("levels."+level+".everyDays", "1 to 7")
		case r.Outs == 0 && r.EveryDays != 0:
			return field("levels."+level+".everyDays", "0 when nobody goes out")
		case r.Minutes < 0 || r.Minutes > 720 || (r.Outs == 0 && r.Minutes != 0):
			return field("levels."+level+".minutes", "0 to 720, and 0 when nobody goes out")
		}
	}
	if in.Version < 0 {
		return field("version", "the version read, 0 for none")
	}
	return nil
}

// RulesOf is a community's rules, the default until it sets its own.
func (s *Service) RulesOf(ctx context.Context, p auth.Principal, cid string) (Rules, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Rules{}, err
	}
	return s.rules(ctx, cid)
}

func (s *Service) rules(ctx context.Context, cid string) (Rules, error) {
	r, ok, err := s.Store.PassRules(ctx, cid)
	if err != nil || !ok {
		return DefaultRules(cid), err
	}
	return r, nil
}

// SetRules writes a community's rules over the version read, and counts
// the households a change reaches.
func (s *Service) SetRules(ctx context.Context, p auth.Principal, cid string, in RulesInput) (RulesChange, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return RulesChange{}, err
	}
	if err := in.check(); err != nil {
		return RulesChange{}, err
	}
	before, err := s.rules(ctx, cid)
	if err != nil {
		return RulesChange{}, err
	}
	prev := before.Version
	if in.Version != prev {
		return RulesChange{}, ErrChanged
	}
	now := chinatime.In(s.Now())
	levels := map[string]LevelRule{}
	for k, v := range in.Levels {
		levels[k] = *v
	}
	next := Rules{CommunityID: cid, Levels: levels, CareTrips: *in.CareTrips, Permits: *in.Permits, Version: prev + 1, UpdatedAt: &now, UpdatedBy: p.UserID}
	if err := s.Store.PutPassRules(ctx, next, prev); err != nil {
		return RulesChange{}, err
	}
	byLevel, err := s.householdsByLevel(ctx, cid)
	if err != nil {
		return RulesChange{}, err
	}
	affected := 0
	for level, n := range byLevel {
		if before.Levels[level] != next.Levels[level] || (n > 0 && (before.CareTrips != next.CareTrips || before.Permits != next.Permits) && level != zone.LevelNone) {
			affected += n
		}
	}
	return RulesChange{Rules: next, Affected: affected, ByLevel: byLevel}, nil
}

// householdsByLevel counts a community's households at each level: a
// building's own zone covers all its households; only buildings with a
// unit's or a household's zone are read household by household.
func (s *Service) householdsByLevel(ctx context.Context, cid string) (map[string]int, error) {
	zones, err := s.Registry.Zones(ctx, cid)
	if err != nil {
		return nil, err
	}
	byBuilding := map[string][]zone.Zone{}
	for _, z := range zones {
		byBuilding[z.BuildingID] = append(byBuilding[z.BuildingID], z)
	}
	out := map[string]int{}
	for _, l := range zone.Levels {
		out[l] = 0
	}
	bs, err := s.buildings(ctx, cid)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		zs := byBuilding[b.ID]
		whole := true
		for _, z := range zs {
			whole = whole && z.WholeBuilding()
		}
		if whole {
			level := zone.LevelNone
			if z, ok := zone.Strictest(zs, registry.Household{BuildingID: b.ID}); ok {
				level = z.Level
			}
			out[level] += b.HouseholdCount
			continue
		}
		hs, err := s.Registry.BuildingHouseholds(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			level := zone.LevelNone
			if z, ok := zone.Strictest(zs, h); ok {
				level = z.Level
			}
			out[level]++
		}
	}
	return out, nil
}

// describe is a rule in words, for the resident's pass page.
func (r LevelRule) describe() string {
	switch {
	case r.Free:
		return "自由出入"
	case r.Outs == 0:
		return "不得外出"
	case r.EveryDays == 1:
		return fmt.Sprintf("每户每天%d人次%s", r.Outs, minutesWords(r.Minutes))
	}
	return fmt.Sprintf("每户每%d天%d人次%s", r.EveryDays, r.Outs, minutesWords(r.Minutes))
}

func minutesWords(m int) string {
	if m == 0 {
		return ""
	}
	return fmt.Sprintf("，每次不超过%d分钟", m)
}
