package notices

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/zone"
)

// The zone model lives in shared/zone; notices sets zones.
type Zone = zone.Zone

// Zone levels and reasons, as shared/zone names them.
const (
	LevelSealed          = zone.LevelSealed
	LevelControlled      = zone.LevelControlled
	LevelPrecaution      = zone.LevelPrecaution
	LevelNone            = zone.LevelNone
	ReasonPooledPositive = zone.ReasonPooledPositive
)

var levels = zone.Levels

// zoneIndex is a community's zones by building, to answer a household's
// effective level without reading households where a building is zoned
// only as a whole.
type zoneIndex map[string][]Zone

func indexZones(zones []Zone) zoneIndex {
	idx := zoneIndex{}
	for _, z := range zones {
		if z.Level != "" && z.Level != LevelNone {
			idx[z.BuildingID] = append(idx[z.BuildingID], z)
		}
	}
	return idx
}

// whole answers the level every household of the building has ("" for
// none) when its zones cover it only as a whole; false when some cover a
// unit or a household and each household must be looked at.
func (idx zoneIndex) whole(buildingID string) (string, bool) {
	zs := idx[buildingID]
	for _, z := range zs {
		if !z.WholeBuilding() {
			return "", false
		}
	}
	if len(zs) == 0 {
		return "", true
	}
	return zs[0].Level, true
}

// levelsOf answers the effective level of each household of a building.
func (s *Service) levelsOf(ctx context.Context, idx zoneIndex, buildingID string) (map[string]string, error) {
	hs, err := s.Directory.BuildingHouseholds(ctx, buildingID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(hs))
	for _, h := range hs {
		if z, ok := zone.Strictest(idx[buildingID], h); ok {
			out[h.ID] = z.Level
		}
	}
	return out, nil
}

// ZoneTargets are what a change of zones covers: whole buildings, units
// (by the unitIds the building listing gives) and single households.
type ZoneTargets struct {
	BuildingIDs  []string `json:"buildingIds"`
	UnitIDs      []string `json:"unitIds"`
	HouseholdIDs []string `json:"householdIds"`
	// Reason is set by the system only (pooled_positive), never by a body.
	Reason string `json:"-"`
}

// Buildings are targets of whole buildings.
func Buildings(ids ...string) ZoneTargets { return ZoneTargets{BuildingIDs: ids} }

// maxZoneTargets keeps one change in one transaction (two items a zone).
const maxZoneTargets = 45

// SetZones puts buildings, units or households at a level (or releases
// them with "none").
func (s *Service) SetZones(ctx context.Context, p auth.Principal, cid string, t ZoneTargets, level string) ([]Zone, error) {
	zones, err := s.PlanZones(ctx, p, cid, t, level)
	if err != nil {
		return nil, err
	}
	if zone.Restricted(level) {
		if err := s.Readings.MarkZoned(ctx, cid); err != nil {
			return nil, err
		}
	}
	current, err := s.Store.Zones(ctx, cid)
	if err != nil {
		return nil, err
	}
	if err := s.Store.SetZones(ctx, cid, zones); err != nil {
		return nil, err
	}
	// The audit entry says each zone's level before and after.
	before := []Zone{}
	for _, z := range zones {
		if i := slices.IndexFunc(current, func(c Zone) bool { return c.ScopeID() == z.ScopeID() }); i >= 0 {
			before = append(before, current[i])
		}
	}
	audit.Changed(ctx, "zones", before, zones)
	return zones, nil
}

// PlanZones checks a change of zones as SetZones does and answers the zones
// it would set, changing nothing: a drill seals buildings on paper only, so
// that real residents' orders, reminders and feeds stay as they are.
func (s *Service) PlanZones(ctx context.Context, p auth.Principal, cid string, t ZoneTargets, level string) ([]Zone, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return nil, err
	}
	if !slices.Contains(levels, level) {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "level", Reason: "one of " + strings.Join(levels, ", ")})
	}
	t.BuildingIDs, t.UnitIDs, t.HouseholdIDs = registry.Distinct(t.BuildingIDs), registry.Distinct(t.UnitIDs), registry.Distinct(t.HouseholdIDs)
	if n := len(t.BuildingIDs) + len(t.UnitIDs) + len(t.HouseholdIDs); n == 0 || n > maxZoneTargets {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "buildingIds", Reason: "1 to 45 buildings, units and households together"})
	}
	known, err := s.buildings(ctx, cid)
	if err != nil {
		return nil, err
	}
	now := chinatime.In(s.Now())
	var zones []Zone
	for _, id := range t.BuildingIDs {
		b, ok := known[id]
		if !ok {
			return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "buildingIds", Reason: "no building " + id + " in this community"})
		}
		zones = append(zones, Zone{BuildingID: id, Building: b.Name, Level: level, Since: now, By: p.UserID, Reason: t.Reason})
	}
	for _, id := range t.UnitIDs {
		b, ok := known[registry.BuildingOf(id)]
		i := -1
		if ok {
			i = slices.Index(b.UnitIDs, id)
		}
		if i < 0 {
			return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "unitIds", Reason: "no unit " + id + " in this community"})
		}
		zones = append(zones, Zone{BuildingID: b.ID, Building: b.Name, UnitID: id, Unit: b.Units[i], Level: level, Since: now, By: p.UserID, Reason: t.Reason})
	}
	for _, id := range t.HouseholdIDs {
		var h registry.Household
		err := registry.ErrNotFound
		if registry.ValidID(id) {
			h, _, err = s.Directory.Household(ctx, id)
		}
		if errors.Is(err, registry.ErrNotFound) || (err == nil && h.CommunityID != cid) {
			return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "householdIds", Reason: "no household " + id + " in this community"})
		}
		if err != nil {
			return nil, err
		}
		zones = append(zones, Zone{BuildingID: h.BuildingID, Building: h.BuildingName, UnitID: registry.UnitID(h.BuildingID, h.Unit), Unit: h.Unit,
			HouseholdID: id, Room: h.Room, Level: level, Since: now, By: p.UserID, Reason: t.Reason})
	}
	return zones, nil
}

// Zones is the community's current map: one Query.
func (s *Service) Zones(ctx context.Context, p auth.Principal, cid string) ([]Zone, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return nil, err
	}
	zones, err := s.Store.Zones(ctx, cid)
	if zones == nil {
		zones = []Zone{}
	}
	return zones, err
}

// inLevels resolves a zone audience: whole buildings where the building
// is zoned as a whole, and single households where its zones are finer
// (each household at its effective level).
func (s *Service) inLevels(ctx context.Context, cid string, want []string) (buildings, households []string, err error) {
	zones, err := s.Store.Zones(ctx, cid)
	if err != nil {
		return nil, nil, err
	}
	idx := indexZones(zones)
	for bid := range idx {
		if l, whole := idx.whole(bid); whole {
			if slices.Contains(want, l) {
				buildings = append(buildings, bid)
			}
			continue
		}
		lv, err := s.levelsOf(ctx, idx, bid)
		if err != nil {
			return nil, nil, err
		}
		for hid, l := range lv {
			if slices.Contains(want, l) {
				households = append(households, hid)
			}
		}
	}
	slices.Sort(households)
	return buildings, households, nil
}

// residentsOf reads the residents of a building, or of one household when
// id is a household's.
func (s *Service) residentsOf(ctx context.Context, id string) ([]registry.Resident, error) {
	if registry.BuildingOf(id) == id {
		return s.Directory.BuildingResidents(ctx, id)
	}
	_, rs, err := s.Directory.Household(ctx, id)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil // moved out of the register since
	}
	return rs, err
}

// asked answers which households of a building are sealed or controlled,
// and so report temperatures: nil when none is.
func (s *Service) asked(ctx context.Context, idx zoneIndex, buildingID string) (func(householdID string) bool, error) {
	if l, whole := idx.whole(buildingID); whole {
		if !zone.Restricted(l) {
			return nil, nil
		}
		return func(string) bool { return true }, nil
	}
	lv, err := s.levelsOf(ctx, idx, buildingID)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(slices.Collect(maps.Values(lv)), zone.Restricted) {
		return nil, nil
	}
	return func(hid string) bool { return zone.Restricted(lv[hid]) }, nil
}
