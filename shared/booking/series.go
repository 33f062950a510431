package booking

import (
	"context"
	"sort"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/registry"
)

// Missed is the series view of a community's rounds (每日一检 / 隔日一检):
// the residents sampled in neither of its two latest rounds.
type Missed struct {
	// Rounds are the two latest rounds begun, newest first (fewer when
	// there are fewer).
	Rounds    []Round          `json:"rounds"`
	Residents []MissedResident `json:"residents"`
}

// MissedResident is a resident who missed both rounds, with the reasons
// staff gave in each ("" where none).
type MissedResident struct {
	ResidentID string   `json:"residentId"`
	Name       string   `json:"name"`
	BuildingID string   `json:"buildingId"`
	Building   string   `json:"building"`
	Unit       string   `json:"unit"`
	Room       string   `json:"room"`
	Reasons    []string `json:"reasons"`
}

// Missed lists the residents of a community sampled in neither of its two
// latest rounds that have begun (drills apart), door by door.
func (s *Service) Missed(ctx context.Context, p auth.Principal, communityID string) (Missed, error) {
	if err := auth.RequireCommunity(ctx, p, communityID, s.Directory); err != nil {
		return Missed{}, err
	}
	rounds, err := s.Store.Rounds(ctx, communityID, 50)
	if err != nil {
		return Missed{}, err
	}
	now := s.Now()
	var begun []Round
	for _, r := range rounds {
		if r.Drill == "" && !r.StartsAt.After(now) {
			begun = append(begun, r)
		}
	}
	sort.Slice(begun, func(i, j int) bool { return begun[i].StartsAt.After(begun[j].StartsAt) })
	out := Missed{Rounds: orEmpty(begun[:min(2, len(begun))]), Residents: []MissedResident{}}
	if len(out.Rounds) < 2 {
		return out, nil
	}
	var rosters []Roster
	for _, r := range out.Rounds {
		ro, err := s.roster(ctx, r)
		if err != nil {
			return out, err
		}
		rosters = append(rosters, ro)
	}
	latest := rosters[0]
	for _, b := range latest.Buildings {
		var rows []MissedResident
		for _, res := range latest.Residents[b.ID] {
			missed := true
			var reasons []string
			for _, ro := range rosters {
				if _, done := ro.Sampled[res.ID]; done {
					missed = false
				}
				reasons = append(reasons, ro.Reasons[res.ID])
			}
			if missed {
				rows = append(rows, MissedResident{ResidentID: res.ID, Name: res.Name, BuildingID: b.ID, Building: b.Name, Reasons: reasons})
			}
		}
		if len(rows) == 0 {
			continue
		}
		households, err := s.Directory.BuildingHouseholds(ctx, b.ID)
		if err != nil {
			return out, err
		}
		where := byID(households)
		for i := range rows {
			h := where[registry.HouseholdOf(rows[i].ResidentID)]
			rows[i].Unit, rows[i].Room = h.Unit, h.Room
		}
		byDoor(rows, func(x MissedResident) (string, string) { return x.Unit, x.Room })
		out.Residents = append(out.Residents, rows...)
	}
	return out, nil
}
