package booking

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
)

// The kinds of posts that give a volunteer a part of a round. They are
// volunteers' post kinds: booking names them to read a duty, not to own them.
const (
	// DutyBuildingLead is a 楼栋长: bound to a building (the post's), sees
	// its households' sampled state and calls it down.
	DutyBuildingLead = "building_lead"
	// DutyDoorSampling is a sampling team that goes to the bed-bound.
	DutyDoorSampling = "door_sampling"
)

// Duty is a post a volunteer is on shift at now.
type Duty struct {
	PostID string
	Kind   string
	// SiteID is the sampling site the post is at, if any: its volunteers
	// check people in there, and nowhere else.
	SiteID string
	// BuildingID is the building the post is for, if any.
	BuildingID string
}

// DutyStore tells what a volunteer is on shift for.
type DutyStore interface {
	// Duties lists the posts whose shifts the volunteer is assigned to
	// and that are under way at (or start within lead of) at.
	Duties(ctx context.Context, volunteerID string, at time.Time, lead time.Duration) ([]Duty, error)
}

// dutyLead lets a volunteer act from half an hour before their shift, as
// they may check in at their post.
const dutyLead = 30 * time.Minute

// Field is what a caller may do in a round's field work: staff all of it,
// a volunteer what their duties give.
type Field struct {
	Staff bool
	// VolunteerID is set for a volunteer acting on a duty.
	VolunteerID string
	Sites       map[string]bool
	Buildings   map[string]bool
	Door        bool
}

// ErrNotOnDuty refuses a volunteer whose shift does not cover the action.
var ErrNotOnDuty = apperr.New(apperr.KindForbidden, "NOT_ON_DUTY", "您当前没有负责此处的岗位班次", "You are not on shift for this")

// field reads what p may do in round r's field work.
func (s *Service) field(ctx context.Context, p auth.Principal, r Round) (Field, error) {
	staff, err := s.asStaff(ctx, p, r.CommunityID)
	if err != nil || staff {
		return Field{Staff: staff}, err
	}
	if !p.Has(manifest.RoleVolunteer) || p.VolunteerCommunityID != r.CommunityID || s.Work == nil {
		return Field{}, apperr.Forbidden
	}
	duties, err := s.Work.Duties(ctx, p.VolunteerID, s.Now(), dutyLead)
	if err != nil {
		return Field{}, err
	}
	f := Field{VolunteerID: p.VolunteerID, Sites: map[string]bool{}, Buildings: map[string]bool{}}
	for _, d := range duties {
		if d.SiteID != "" && RoundOf(d.SiteID) == r.ID {
			f.Sites[d.SiteID] = true
		}
		if d.Kind == DutyBuildingLead && d.BuildingID != "" {
			f.Buildings[d.BuildingID] = true
		}
		if d.Kind == DutyDoorSampling {
			f.Door = true
		}
	}
	if len(f.Sites) == 0 && len(f.Buildings) == 0 && !f.Door {
		return Field{}, ErrNotOnDuty
	}
	return f, nil
}

// fieldRound reads a round and what p may do in it.
func (s *Service) fieldRound(ctx context.Context, p auth.Principal, roundID string) (Round, Field, error) {
	r, err := s.round(ctx, roundID)
	if err != nil {
		return Round{}, Field{}, err
	}
	f, err := s.field(ctx, p, r)
	return r, f, err
}

// readsBuilding: staff read any building, a 楼栋长 theirs, a site's
// volunteer any (they register people of every building at the lane), the
// door team any (the bed-bound live everywhere).
func (f Field) readsBuilding(id string) bool {
	return f.Staff || f.Buildings[id] || len(f.Sites) > 0 || f.Door
}

// Member is a resident as the field sees them: name and sampled state, no
// phone and no care flags (a volunteer's screen shows no more).
type Member struct {
	ResidentID string     `json:"residentId"`
	Name       string     `json:"name"`
	Sampled    bool       `json:"sampled"`
	SampledAt  *time.Time `json:"sampledAt,omitempty"`
	Booked     bool       `json:"booked"`
	// Reason staff gave for not sampling them.
	Reason string `json:"reason,omitempty"`
	// AtDoor: sampled, or to be, at their door (bed-bound).
	AtDoor bool `json:"atDoor"`
	// NoTemperature: in a sealed or controlled building, no reading today
	// (the building's 楼栋长 and staff see it).
	NoTemperature bool `json:"noTemperature,omitempty"`
}

// Door is a household of a building, unit and room.
type Door struct {
	HouseholdID string   `json:"householdId"`
	Unit        string   `json:"unit"`
	Room        string   `json:"room"`
	Members     []Member `json:"members"`
	// Unacknowledged are the titles of the building's recent notices the
	// household has not acknowledged (the building's 楼栋长 and staff see
	// them: whom to knock on).
	Unacknowledged []string `json:"unacknowledged,omitempty"`
}

// Watcher says what a building's 楼栋长 watches beside sampling
// (notices.Service): per household, the recent notices it has not
// acknowledged; the residents without today's temperature where it is
// asked.
type Watcher interface {
	Watch(ctx context.Context, communityID, buildingID string, householdIDs, residentIDs []string) (map[string][]string, map[string]bool, error)
}

// BuildingView is one building of a round, door by door.
type BuildingView struct {
	BuildingID string `json:"buildingId"`
	Building   string `json:"building"`
	Residents  int    `json:"residents"`
	Sampled    int    `json:"sampled"`
	Left       int    `json:"left"`
	Doors      []Door `json:"doors"`
}

// BuildingView lists a building's households with each member's sampled
// state, filtered by unit and room when given: the 楼栋长's list and the
// lane's picker (building → unit → room).
func (s *Service) BuildingView(ctx context.Context, p auth.Principal, roundID, buildingID, unit, room string) (BuildingView, error) {
	r, f, err := s.fieldRound(ctx, p, roundID)
	if err != nil {
		return BuildingView{}, err
	}
	if !registry.ValidID(buildingID) || registry.BuildingOf(buildingID) != buildingID {
		return BuildingView{}, ErrBuildingNotFound
	}
	if !f.readsBuilding(buildingID) {
		return BuildingView{}, ErrNotOnDuty
	}
	households, err := s.Directory.BuildingHouseholds(ctx, buildingID)
	if err != nil {
		return BuildingView{}, err
	}
	if len(households) == 0 || households[0].CommunityID != r.CommunityID {
		return BuildingView{}, ErrBuildingNotFound
	}
	residents, err := s.Directory.BuildingResidents(ctx, buildingID)
	if err != nil {
		return BuildingView{}, err
	}
	sampled, err := s.Store.Sampled(ctx, r.ID, buildingID)
	if err != nil {
		return BuildingView{}, err
	}
	reasons, err := s.Store.Reasons(ctx, r.ID, buildingID)
	if err != nil {
		return BuildingView{}, err
	}
	booked, err := s.Store.BookingsOfResidents(ctx, r.ID, residentIDs(residents))
	if err != nil {
		return BuildingView{}, err
	}
	live := map[string]bool{}
	for _, b := range booked {
		live[b.ResidentID] = b.Status == StatusBooked
	}
	v := BuildingView{BuildingID: buildingID, Building: households[0].BuildingName, Doors: []Door{}}
	members := map[string][]Member{}
	for _, res := range residents {
		m := Member{ResidentID: res.ID, Name: res.Name, Booked: live[res.ID], Reason: reasons[res.ID],
			AtDoor: slices.Contains(res.Flags, registry.FlagBedridden) || reasons[res.ID] == ReasonBedridden}
		if at, ok := sampled[res.ID]; ok {
			m.Sampled, m.SampledAt = true, &at
			v.Sampled++
		}
		v.Residents++
		members[res.HouseholdID] = append(members[res.HouseholdID], m)
	}
	v.Left = v.Residents - v.Sampled
	// The notices and temperatures are the building's 楼栋长's (and
	// staff's) to follow, not a lane's.
	var unacked map[string][]string
	if (f.Staff || f.Buildings[buildingID]) && s.Watch != nil {
		ids := make([]string, 0, len(households))
		for _, h := range households {
			ids = append(ids, h.ID)
		}
		var noTemp map[string]bool
		if unacked, noTemp, err = s.Watch.Watch(ctx, r.CommunityID, buildingID, ids, residentIDs(residents)); err != nil {
			return BuildingView{}, err
		}
		for hid, ms := range members {
			for i := range ms {
				ms[i].NoTemperature = noTemp[ms[i].ResidentID]
			}
			members[hid] = ms
		}
	}
	for _, h := range households {
		if (unit != "" && h.Unit != unit) || (room != "" && h.Room != room) {
			continue
		}
		v.Doors = append(v.Doors, Door{HouseholdID: h.ID, Unit: h.Unit, Room: h.Room, Members: orEmpty(members[h.ID]), Unacknowledged: unacked[h.ID]})
	}
	byDoor(v.Doors, func(x Door) (string, string) { return x.Unit, x.Room })
	return v, nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func residentIDs(rs []registry.Resident) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// ErrBuildingNotFound: no such building in the round's community.
var ErrBuildingNotFound = apperr.New(apperr.KindNotFound, "BUILDING_NOT_FOUND", "楼栋不存在", "No such building in this community")

// DoorVisit is one bed-bound resident on the door list.
type DoorVisit struct {
	ResidentID string     `json:"residentId"`
	Name       string     `json:"name"`
	BuildingID string     `json:"buildingId"`
	Building   string     `json:"building"`
	Unit       string     `json:"unit"`
	Room       string     `json:"room"`
	SampledAt  *time.Time `json:"sampledAt,omitempty"`
}

// DoorList lists the bed-bound of the round building by building, door by
// door, done and left (上门采样): staff and the door team read it.
func (s *Service) DoorList(ctx context.Context, p auth.Principal, roundID string) ([]DoorVisit, error) {
	r, f, err := s.fieldRound(ctx, p, roundID)
	if err != nil {
		return nil, err
	}
	if !f.Staff && !f.Door {
		return nil, ErrNotOnDuty
	}
	ro, err := s.roster(ctx, r)
	if err != nil {
		return nil, err
	}
	return s.doorVisits(ctx, ro)
}

func (s *Service) doorVisits(ctx context.Context, ro Roster) ([]DoorVisit, error) {
	out := []DoorVisit{}
	for _, b := range ro.Buildings {
		var mine []registry.Resident
		for _, res := range ro.Residents[b.ID] {
			if ro.Bedridden[res.ID] {
				mine = append(mine, res)
			}
		}
		if len(mine) == 0 {
			continue
		}
		households, err := s.Directory.BuildingHouseholds(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		where := byID(households)
		var rows []DoorVisit
		for _, res := range mine {
			h := where[res.HouseholdID]
			v := DoorVisit{ResidentID: res.ID, Name: res.Name, BuildingID: b.ID, Building: b.Name, Unit: h.Unit, Room: h.Room}
			if at, ok := ro.Sampled[res.ID]; ok {
				v.SampledAt = &at
			}
			rows = append(rows, v)
		}
		byDoor(rows, func(x DoorVisit) (string, string) { return x.Unit, x.Room })
		out = append(out, rows...)
	}
	return out, nil
}

// byDoor sorts rows door by door — unit, then room — as staff walk the
// stairs.
func byDoor[T any](rows []T, door func(T) (unit, room string)) {
	sort.SliceStable(rows, func(i, j int) bool {
		ui, ri := door(rows[i])
		uj, rj := door(rows[j])
		if ui != uj {
			return registry.NaturalLess(ui, uj)
		}
		return registry.NaturalLess(ri, rj)
	})
}

// byID indexes households by id.
func byID(households []registry.Household) map[string]registry.Household {
	out := make(map[string]registry.Household, len(households))
	for _, h := range households {
		out[h.ID] = h
	}
	return out
}

// FieldPlace is a site or building as the field's pages list them.
type FieldPlace struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// FieldView is what the caller may do in a round's field work: the page a
// volunteer opens from a link shows their site, or their buildings, and
// the building picker of the lane.
type FieldView struct {
	RoundID string `json:"roundId"`
	Round   string `json:"round"`
	Staff   bool   `json:"staff"`
	// Sites they check people in at (staff: every open site).
	Sites []FieldPlace `json:"sites"`
	// Buildings they may read, in the register's order; LeadOf those they
	// may call down (a 楼栋长's; staff: all).
	Buildings []FieldPlace `json:"buildings"`
	LeadOf    []string     `json:"leadOf"`
	Door      bool         `json:"door"`
}

// MyField answers what the caller may do in a round's field work.
func (s *Service) MyField(ctx context.Context, p auth.Principal, roundID string) (FieldView, error) {
	r, f, err := s.fieldRound(ctx, p, roundID)
	if err != nil {
		return FieldView{}, err
	}
	out := FieldView{RoundID: r.ID, Round: r.Name, Staff: f.Staff, Door: f.Door, Sites: []FieldPlace{}, Buildings: []FieldPlace{}, LeadOf: []string{}}
	sites, err := s.Sites.Sites(ctx, r.ID)
	if err != nil {
		return FieldView{}, err
	}
	for _, st := range sites {
		if st.Open() && (f.Staff || f.Sites[st.ID]) {
			out.Sites = append(out.Sites, FieldPlace{ID: st.ID, Name: st.Name})
		}
	}
	buildings, err := s.allBuildings(ctx, r.CommunityID)
	if err != nil {
		return FieldView{}, err
	}
	for _, b := range buildings {
		if f.readsBuilding(b.ID) {
			out.Buildings = append(out.Buildings, FieldPlace{ID: b.ID, Name: b.Name})
		}
		if f.Staff || f.Buildings[b.ID] {
			out.LeadOf = append(out.LeadOf, b.ID)
		}
	}
	return out, nil
}
