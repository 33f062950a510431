package registry

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/safetext"
)

// Errors of the registry.
var (
	ErrPhoneTaken      = apperr.New(apperr.KindConflict, "PHONE_TAKEN", "该手机号已被其他账号使用", "This phone number already belongs to another account")
	ErrPhoneIsResident = apperr.New(apperr.KindConflict, "PHONE_IS_RESIDENT", "该手机号属于本街道的居民；确认后可同时设为工作人员（confirmResident）", "This phone belongs to a resident of this street; confirm (confirmResident) to make them staff as well")
	ErrNotFound        = errors.New("not found")
	// ErrImportIncomplete: the import ran out of time; sending the same file
	// again completes it (an import writes only what differs).
	ErrImportIncomplete = apperr.New(apperr.KindUnavailable, "IMPORT_INCOMPLETE", "导入未在时限内完成，已导入的部分有效；请再次上传同一文件以完成导入", "The import ran out of time; what was imported stands. Upload the same file again to finish it")
)

// importMargin is kept free before the function's deadline to answer.
const importMargin = 3 * time.Second

// Directory is the storage the registry's reads and API writes need.
type Directory interface {
	auth.StreetResolver
	Household(ctx context.Context, householdID string) (Household, []Resident, error)
	Buildings(ctx context.Context, communityID, cursor string, limit int) ([]Building, string, error)
	ResidentsByPhone(ctx context.Context, communityID, phone string) ([]Resident, error)
	ResidentsByName(ctx context.Context, communityID, prefix, cursor string, limit int) ([]Resident, string, error)
	// BuildingHouseholds and BuildingResidents read one building's
	// partition: the search by door.
	BuildingHouseholds(ctx context.Context, buildingID string) ([]Household, error)
	BuildingResidents(ctx context.Context, buildingID string) ([]Resident, error)
	StaffMember(ctx context.Context, p auth.Principal) (Staff, error)
	Community(ctx context.Context, communityID string) (Community, error)
	// CreateCommunity fails with ErrNotFound when the street does not exist.
	CreateCommunity(ctx context.Context, c Community) error
	StreetCommunities(ctx context.Context, streetID string) ([]Community, error)
	// CreateStaff writes the staff record and its account; with merge, the
	// phone's existing account (as read) gains the staff role. ErrPhoneTaken
	// when the account is not (or no longer) what the caller saw.
	CreateStaff(ctx context.Context, s Staff, role manifest.Role, merge *auth.Account) error
	auth.Accounts
}

// API serves the registry's routes.
type API struct {
	Dir      Directory
	Importer *Importer
	// Corrections keeps staff's changes of one resident at a time.
	Corrections CorrectionStore
	Links       SignupLinks
	Now         func() time.Time
}

// Handlers serves the registry function's ops.
func (a *API) Handlers() httpapi.Handlers {
	h := httpapi.Handlers{
		"getMe":           httpapi.Reply(http.StatusOK, a.me),
		"importResidents": httpapi.Reply(http.StatusOK, a.importResidents),
		"listBuildings":   httpapi.Reply(http.StatusOK, a.listBuildings),
		"findResidents":   httpapi.Reply(http.StatusOK, a.findResidents),
		"getHousehold":    httpapi.Reply(http.StatusOK, a.household),
		"createCommunity": httpapi.Reply(http.StatusCreated, a.createCommunity),
		"listCommunities": httpapi.Reply(http.StatusOK, a.listCommunities),
		"createStaff":     httpapi.Reply(http.StatusCreated, a.createStaff),
		"getCommunity":    httpapi.Reply(http.StatusOK, a.getCommunity),
	}
	for op, f := range a.signupLinkHandlers() {
		h[op] = f
	}
	for op, f := range a.correctionHandlers() {
		h[op] = f
	}
	return h
}

type meAnswer struct {
	User      auth.User  `json:"user"`
	Name      string     `json:"name,omitempty"`
	Household *Household `json:"household,omitempty"`
	Members   []Resident `json:"members,omitempty"`
}

func (a *API) me(r *http.Request) (any, error) {
	p := auth.Caller(r)
	ans := meAnswer{User: auth.UserOf(p)}
	if p.Has(manifest.RoleResident) {
		h, members, err := a.Dir.Household(r.Context(), p.HouseholdID)
		if errors.Is(err, ErrNotFound) {
			return nil, apperr.NotFound.Wrap(err)
		}
		if err != nil {
			return nil, err
		}
		for i := range members {
			if members[i].ID == p.ResidentID {
				ans.Name = members[i].Name
			}
			// Flags are for the community's staff only, not for the household's
			// other members.
			members[i].Flags = nil
		}
		ans.Household, ans.Members = &h, members
	}
	if p.Has(manifest.RoleStaff) || p.Has(manifest.RoleAdmin) {
		s, err := a.Dir.StaffMember(r.Context(), p)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if s.Name != "" {
			ans.Name = s.Name
		}
	}
	return ans, nil
}

func (a *API) importResidents(r *http.Request) (any, error) {
	cid, err := httpapi.PathID(r, "communityId")
	if err != nil {
		return nil, err
	}
	if err := auth.RequireCommunity(r.Context(), auth.Caller(r), cid, a.Dir); err != nil {
		return nil, err
	}
	body, err := httpapi.ReadTable(r)
	if err != nil {
		return nil, err
	}
	// Stop a few seconds before the function's deadline and say so, rather
	// than let API Gateway cut the request: what was written is whole items,
	// and the same file again finishes the import.
	ctx := r.Context()
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-importMargin))
		defer cancel()
	}
	report, err := a.Importer.Import(ctx, cid, body)
	if err != nil && ctx.Err() != nil && r.Context().Err() == nil {
		return nil, ErrImportIncomplete.Wrap(err).WithRetryAfter(time.Second)
	}
	if err != nil {
		return nil, err
	}
	return report, nil
}

func (a *API) listBuildings(r *http.Request) (any, error) {
	cid, err := httpapi.PathID(r, "communityId")
	if err != nil {
		return nil, err
	}
	if err := auth.RequireCommunity(r.Context(), auth.Caller(r), cid, a.Dir); err != nil {
		return nil, err
	}
	limit, err := pageLimit(r)
	if err != nil {
		return nil, err
	}
	items, next, err := a.Dir.Buildings(r.Context(), cid, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []Building{}
	}
	return map[string]any{"buildings": items, "cursor": next}, nil
}

func (a *API) findResidents(r *http.Request) (any, error) {
	cid, err := httpapi.PathID(r, "communityId")
	if err != nil {
		return nil, err
	}
	p := auth.Caller(r)
	if err := auth.RequireCommunity(r.Context(), p, cid, a.Dir); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	var found []Resident
	next := ""
	limit, err := pageLimit(r)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"phone", "name", "buildingId"} {
		if q.Has(name) && q.Get(name) == "" {
			return nil, apperr.Validation.WithFields(apperr.FieldError{Field: name, Reason: "required"})
		}
	}
	// Every parameter given is checked, the one the search uses or not.
	prefix, problem := safetext.Line(q.Get("name"), 32, q.Has("name"))
	if problem != "" {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "name", Reason: "a name or its first characters: " + string(problem)})
	}
	switch {
	case q.Get("phone") != "":
		ph, err := phone.Normalize(q.Get("phone"))
		if err != nil {
			return nil, auth.ErrInvalidPhone.WithFields(apperr.FieldError{Field: "phone", Reason: "11-digit mainland mobile number"})
		}
		if found, err = a.Dir.ResidentsByPhone(r.Context(), cid, ph); err != nil {
			return nil, err
		}
	case q.Get("name") != "":
		if found, next, err = a.Dir.ResidentsByName(r.Context(), cid, prefix, q.Get("cursor"), limit); err != nil {
			return nil, err
		}
	case q.Get("buildingId") != "":
		if found, err = a.atDoor(r, cid, q.Get("buildingId"), q.Get("unit"), q.Get("room")); err != nil {
			return nil, err
		}
	default:
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "phone|name|buildingId", Reason: "give an exact phone, a name prefix or a building"})
	}
	if !auth.SeesSensitiveFlags(p, cid) {
		for i := range found {
			found[i].Flags = nil
		}
	}
	audit.Counted(r.Context(), len(found))
	if found == nil {
		found = []Resident{}
	}
	return map[string]any{"residents": found, "cursor": next}, nil
}

func (a *API) getCommunity(r *http.Request) (any, error) {
	cid, err := httpapi.PathID(r, "communityId")
	if err != nil {
		return nil, err
	}
	if err := auth.RequireCommunity(r.Context(), auth.Caller(r), cid, a.Dir); err != nil {
		return nil, err
	}
	c, err := a.Dir.Community(r.Context(), cid)
	if errors.Is(err, ErrNotFound) {
		return nil, apperr.NotFound
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// listCommunities is a street's communities, for its admin: the console's
// switch between them.
func (a *API) listCommunities(r *http.Request) (any, error) {
	sid, err := httpapi.PathID(r, "streetId")
	if err != nil {
		return nil, err
	}
	if err := auth.RequireStreet(auth.Caller(r), sid); err != nil {
		return nil, err
	}
	cs, err := a.Dir.StreetCommunities(r.Context(), sid)
	return map[string]any{"communities": cs}, err
}

func (a *API) createCommunity(r *http.Request) (any, error) {
	sid, err := httpapi.PathID(r, "streetId")
	if err != nil {
		return nil, err
	}
	if err := auth.RequireStreet(auth.Caller(r), sid); err != nil {
		return nil, err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return nil, err
	}
	name, problem := safetext.Line(in.Name, 64, true)
	if problem != "" {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "name", Reason: string(problem)})
	}
	c := Community{ID: NewID("c"), StreetID: sid, Name: name}
	if err := a.Dir.CreateCommunity(r.Context(), c); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, apperr.NotFound.Wrap(err)
		}
		return nil, err
	}
	return c, nil
}

func (a *API) createStaff(r *http.Request) (any, error) {
	cid, err := httpapi.PathID(r, "communityId")
	if err != nil {
		return nil, err
	}
	p := auth.Caller(r)
	if !p.Has(manifest.RoleAdmin) {
		return nil, apperr.Forbidden
	}
	if err := auth.RequireCommunity(r.Context(), p, cid, a.Dir); err != nil {
		return nil, err
	}
	var in struct {
		Name            string `json:"name"`
		Phone           string `json:"phone"`
		ConfirmResident bool   `json:"confirmResident"`
	}
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return nil, err
	}
	var fields []apperr.FieldError
	name, problem := safetext.Line(in.Name, 32, true)
	if problem != "" {
		fields = append(fields, apperr.FieldError{Field: "name", Reason: string(problem)})
	}
	ph, err := phone.Normalize(in.Phone)
	if err != nil {
		fields = append(fields, apperr.FieldError{Field: "phone", Reason: "11-digit mainland mobile number"})
	}
	if len(fields) > 0 {
		return nil, apperr.Validation.WithFields(fields...)
	}
	merge, err := a.mergeable(r.Context(), p, ph, in.ConfirmResident)
	if err != nil {
		return nil, err
	}
	s := Staff{ID: NewID("u"), Name: name, Phone: ph, CommunityID: cid, CreatedAt: chinatime.In(a.Now())}
	if err := a.Dir.CreateStaff(r.Context(), s, manifest.RoleStaff, merge); err != nil {
		return nil, err
	}
	return s, nil
}

// mergeable decides what happens to a phone that has an account already. A
// staff or admin account, or anyone's outside the admin's street, is taken
// (the answer does not say whose, or where); a resident or volunteer of the
// admin's street becomes staff only when the admin confirms it, and keeps
// their household.
func (a *API) mergeable(ctx context.Context, admin auth.Principal, ph string, confirmed bool) (*auth.Account, error) {
	acct, err := a.Dir.AccountByPhone(ctx, ph)
	if errors.Is(err, auth.ErrNoAccount) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if acct.Has(manifest.RoleStaff) || acct.Has(manifest.RoleAdmin) {
		return nil, ErrPhoneTaken
	}
	for _, cid := range []string{acct.ResidentCommunityID, acct.VolunteerCommunityID} {
		if cid == "" {
			continue
		}
		street, err := a.Dir.StreetOf(ctx, cid)
		if err != nil && !errors.Is(err, auth.ErrNoCommunity) {
			return nil, err
		}
		if street != admin.StreetID {
			return nil, ErrPhoneTaken
		}
	}
	if !confirmed {
		return nil, ErrPhoneIsResident
	}
	return &acct, nil
}

func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		return 0, apperr.Validation.WithFields(apperr.FieldError{Field: "limit", Reason: "a number from 1 to 200"})
	}
	return n, nil
}

// atDoor lists the residents of a building of the community, of one unit
// and room when given: how staff find whoever lives behind a door.
func (a *API) atDoor(r *http.Request, cid, buildingID, unit, room string) ([]Resident, error) {
	if !ValidID(buildingID) || BuildingOf(buildingID) != buildingID {
		return nil, ErrBuildingNotFound
	}
	for field, v := range map[string]string{"unit": unit, "room": room} {
		if _, problem := safetext.Line(v, 16, false); problem != "" {
			return nil, apperr.Validation.WithFields(apperr.FieldError{Field: field, Reason: string(problem)})
		}
	}
	households, err := a.Dir.BuildingHouseholds(r.Context(), buildingID)
	if err != nil {
		return nil, err
	}
	if len(households) == 0 || households[0].CommunityID != cid {
		return nil, ErrBuildingNotFound
	}
	at := map[string]bool{}
	for _, h := range households {
		if (unit == "" || h.Unit == unit) && (room == "" || h.Room == room) {
			at[h.ID] = true
		}
	}
	residents, err := a.Dir.BuildingResidents(r.Context(), buildingID)
	if err != nil {
		return nil, err
	}
	var out []Resident
	for _, res := range residents {
		if at[res.HouseholdID] {
			out = append(out, res)
		}
	}
	return out, nil
}

// ErrBuildingNotFound: no such building in the community.
var ErrBuildingNotFound = apperr.New(apperr.KindNotFound, "BUILDING_NOT_FOUND", "本社区没有该楼栋", "No such building in this community")

// householdCard is a household as staff look it up: its door and members
// (care flags for those who see them).
type householdCard struct {
	Household Household  `json:"household"`
	Members   []Resident `json:"members"`
}

func (a *API) household(r *http.Request) (any, error) {
	hid, err := httpapi.PathID(r, "householdId")
	if err != nil {
		return nil, err
	}
	p := auth.Caller(r)
	h, members, err := a.Dir.Household(r.Context(), hid)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrHouseholdNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := auth.RequireCommunity(r.Context(), p, h.CommunityID, a.Dir); err != nil {
		return nil, err
	}
	if !auth.SeesSensitiveFlags(p, h.CommunityID) {
		for i := range members {
			members[i].Flags = nil
		}
	}
	audit.Counted(r.Context(), len(members))
	if members == nil {
		members = []Resident{}
	}
	return householdCard{Household: h, Members: members}, nil
}

// ErrHouseholdNotFound: no such household.
var ErrHouseholdNotFound = apperr.New(apperr.KindNotFound, "HOUSEHOLD_NOT_FOUND", "该住户不存在", "No such household")
