// Package zone holds what a lockdown zone is — a whole building, one of its
// units or one household at a level — and a household's effective level,
// the strictest zone covering it: the model notices set, and booking and
// supplies read.
package zone

import (
	"slices"
	"time"

	"github.com/fangxian/fangxian/shared/registry"
)

// Zone levels, strictest first; "none" releases a building, a unit or a
// household.
const (
	LevelSealed     = "sealed"
	LevelControlled = "controlled"
	LevelPrecaution = "precaution"
	LevelNone       = "none"
)

// Levels are every level a zone may be set to, strictest first.
var Levels = []string{LevelSealed, LevelControlled, LevelPrecaution, LevelNone}

// ReasonPooledPositive marks a household's control opened by a
// pooled-positive tube's trace, until its single samples release it.
const ReasonPooledPositive = "pooled_positive"

// Zone is the current level of a whole building, one of its units or one
// household: UnitID or HouseholdID says which, none of them the building.
type Zone struct {
	BuildingID  string    `json:"buildingId"`
	Building    string    `json:"building"`
	UnitID      string    `json:"unitId,omitempty"`
	Unit        string    `json:"unit,omitempty"`
	HouseholdID string    `json:"householdId,omitempty"`
	Room        string    `json:"room,omitempty"`
	Level       string    `json:"level"`
	Since       time.Time `json:"since"`
	By          string    `json:"by"`
	// Reason is why a zone was set by the system rather than by staff
	// (pooled_positive); empty when staff set it.
	Reason string `json:"reason,omitempty"`
}

// ScopeID is the id of what the zone covers: its household, its unit or
// its building. It keys the zone, and nests under the building's id.
func (z Zone) ScopeID() string {
	switch {
	case z.HouseholdID != "":
		return z.HouseholdID
	case z.UnitID != "":
		return z.UnitID
	}
	return z.BuildingID
}

// WholeBuilding says the zone covers its whole building.
func (z Zone) WholeBuilding() bool { return z.HouseholdID == "" && z.UnitID == "" }

// Covers says whether the zone covers household h.
func (z Zone) Covers(h registry.Household) bool {
	switch {
	case z.HouseholdID != "":
		return z.HouseholdID == h.ID
	case z.UnitID != "":
		return z.UnitID == registry.UnitID(h.BuildingID, h.Unit)
	}
	return z.BuildingID == h.BuildingID
}

// rank orders levels: the higher, the stricter.
func rank(level string) int {
	switch level {
	case LevelSealed:
		return 3
	case LevelControlled:
		return 2
	case LevelPrecaution:
		return 1
	}
	return 0
}

// Restricted says whether a level keeps households at home: sealed or
// controlled (they order supplies, report temperatures).
func Restricted(level string) bool { return rank(level) >= rank(LevelControlled) }

// Strictest is the strictest of zones that covers household h: its level
// is the household's effective level. False when none covers it.
func Strictest(zones []Zone, h registry.Household) (Zone, bool) {
	var best Zone
	found := false
	for _, z := range zones {
		if rank(z.Level) == 0 || !z.Covers(h) {
			continue
		}
		if !found || rank(z.Level) > rank(best.Level) {
			best, found = z, true
		}
	}
	return best, found
}

// NeedsUnit says whether zones cover anything by unit: only then does
// finding a household's level need its unit.
func NeedsUnit(zones []Zone) bool {
	return slices.ContainsFunc(zones, func(z Zone) bool { return z.UnitID != "" && z.HouseholdID == "" })
}
