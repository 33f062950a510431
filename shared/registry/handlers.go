package registry

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/phone"
)

// Errors of the registry.
var (
	ErrPhoneTaken = apperr.New(apperr.KindConflict, "PHONE_TAKEN", "该手机号已被其他账号使用", "This phone number already belongs to another account")
	ErrNotFound   = errors.New("not found")
)

// Directory is the storage the registry's reads and API writes need.
type Directory interface {
	auth.StreetResolver
	Household(ctx context.Context, householdID string) (Household, []Resident, error)
	Buildings(ctx context.Context, communityID, cursor string, limit int) ([]Building, string, error)
	ResidentsByPhone(ctx context.Context, communityID, phone string) ([]Resident, error)
	ResidentsByName(ctx context.Context, communityID, prefix, cursor string, limit int) ([]Resident, string, error)
	StaffMember(ctx context.Context, p auth.Principal) (Staff, error)
	Community(ctx context.Context, communityID string) (Community, error)
	// CreateCommunity fails with ErrNotFound when the street does not exist.
	CreateCommunity(ctx context.Context, c Community) error
	// CreateStaff writes the staff record and its account; ErrPhoneTaken when
	// the phone already signs in as someone.
	CreateStaff(ctx context.Context, s Staff, role manifest.Role) error
}

// API serves the registry's routes.
type API struct {
	Dir      Directory
	Importer *Importer
	Now      func() time.Time
}

// Handlers serves the registry function's ops.
func (a *API) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"getMe":           httpapi.HandlerFunc(a.me),
		"importResidents": httpapi.HandlerFunc(a.importResidents),
		"listBuildings":   httpapi.HandlerFunc(a.listBuildings),
		"findResidents":   httpapi.HandlerFunc(a.findResidents),
		"createCommunity": httpapi.HandlerFunc(a.createCommunity),
		"createStaff":     httpapi.HandlerFunc(a.createStaff),
		"getCommunity":    httpapi.HandlerFunc(a.getCommunity),
	}
}

// principal returns the caller; the router has authenticated every route here.
func principal(r *http.Request) auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

// pathID reads an id from the path; a malformed one cannot exist.
func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if !ValidID(id) {
		return "", apperr.NotFound
	}
	return id, nil
}

type meAnswer struct {
	User      auth.User  `json:"user"`
	Name      string     `json:"name,omitempty"`
	Household *Household `json:"household,omitempty"`
	Members   []Resident `json:"members,omitempty"`
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	ans := meAnswer{User: auth.User{ID: p.UserID, Role: p.Role, CommunityID: p.CommunityID, StreetID: p.StreetID}}
	switch p.Role {
	case manifest.RoleResident:
		h, members, err := a.Dir.Household(r.Context(), p.HouseholdID)
		if errors.Is(err, ErrNotFound) {
			return apperr.NotFound.Wrap(err)
		}
		if err != nil {
			return err
		}
		for i := range members {
			if members[i].ID == p.UserID {
				ans.Name = members[i].Name
			}
			// Flags are for the community's staff only, not for the household's
			// other members.
			members[i].Flags = nil
		}
		ans.Household, ans.Members = &h, members
	case manifest.RoleStaff, manifest.RoleAdmin:
		s, err := a.Dir.StaffMember(r.Context(), p)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		ans.Name = s.Name
	}
	httpapi.WriteJSON(w, http.StatusOK, ans)
	return nil
}

func (a *API) importResidents(w http.ResponseWriter, r *http.Request) error {
	cid, err := pathID(r, "communityId")
	if err != nil {
		return err
	}
	if err := auth.RequireCommunity(r.Context(), principal(r), cid, a.Dir); err != nil {
		return err
	}
	body, err := httpapi.ReadBody(r, "text/csv")
	if err != nil {
		return err
	}
	report, err := a.Importer.Import(r.Context(), cid, body)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, report)
	return nil
}

func (a *API) listBuildings(w http.ResponseWriter, r *http.Request) error {
	cid, err := pathID(r, "communityId")
	if err != nil {
		return err
	}
	if err := auth.RequireCommunity(r.Context(), principal(r), cid, a.Dir); err != nil {
		return err
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	items, next, err := a.Dir.Buildings(r.Context(), cid, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	if items == nil {
		items = []Building{}
	}
	// Within a page, in the order staff walk them (a community's ~40
	// buildings fit one page of up to 200).
	sort.SliceStable(items, func(i, j int) bool { return NaturalLess(items[i].Name, items[j].Name) })
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"buildings": items, "cursor": next})
	return nil
}

func (a *API) findResidents(w http.ResponseWriter, r *http.Request) error {
	cid, err := pathID(r, "communityId")
	if err != nil {
		return err
	}
	p := principal(r)
	if err := auth.RequireCommunity(r.Context(), p, cid, a.Dir); err != nil {
		return err
	}
	q := r.URL.Query()
	var found []Resident
	next := ""
	switch {
	case q.Get("phone") != "":
		ph, err := phone.Normalize(q.Get("phone"))
		if err != nil {
			return auth.ErrInvalidPhone.WithFields(apperr.FieldError{Field: "phone", Reason: "11-digit mainland mobile number"})
		}
		if found, err = a.Dir.ResidentsByPhone(r.Context(), cid, ph); err != nil {
			return err
		}
	case q.Get("name") != "":
		prefix := strings.TrimSpace(q.Get("name"))
		if utf8.RuneCountInString(prefix) > 32 {
			return apperr.Validation.WithFields(apperr.FieldError{Field: "name", Reason: "at most 32 characters"})
		}
		limit, err := pageLimit(r)
		if err != nil {
			return err
		}
		if found, next, err = a.Dir.ResidentsByName(r.Context(), cid, prefix, q.Get("cursor"), limit); err != nil {
			return err
		}
	default:
		return apperr.Validation.WithFields(apperr.FieldError{Field: "phone|name", Reason: "give an exact phone or a name prefix"})
	}
	if !auth.SeesSensitiveFlags(p, cid) {
		for i := range found {
			found[i].Flags = nil
		}
	}
	if found == nil {
		found = []Resident{}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"residents": found, "cursor": next})
	return nil
}

func (a *API) getCommunity(w http.ResponseWriter, r *http.Request) error {
	cid, err := pathID(r, "communityId")
	if err != nil {
		return err
	}
	if err := auth.RequireCommunity(r.Context(), principal(r), cid, a.Dir); err != nil {
		return err
	}
	c, err := a.Dir.Community(r.Context(), cid)
	if errors.Is(err, ErrNotFound) {
		return apperr.NotFound
	}
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) createCommunity(w http.ResponseWriter, r *http.Request) error {
	sid, err := pathID(r, "streetId")
	if err != nil {
		return err
	}
	if err := auth.RequireStreet(principal(r), sid); err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return apperr.Validation.WithFields(apperr.FieldError{Field: "name", Reason: "required, at most 64 characters"})
	}
	c := Community{ID: NewID("c"), StreetID: sid, Name: name}
	if err := a.Dir.CreateCommunity(r.Context(), c); err != nil {
		if errors.Is(err, ErrNotFound) {
			return apperr.NotFound.Wrap(err)
		}
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) createStaff(w http.ResponseWriter, r *http.Request) error {
	cid, err := pathID(r, "communityId")
	if err != nil {
		return err
	}
	p := principal(r)
	if p.Role != manifest.RoleAdmin {
		return apperr.Forbidden
	}
	if err := auth.RequireCommunity(r.Context(), p, cid, a.Dir); err != nil {
		return err
	}
	var in struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
	}
	if err := httpapi.DecodeJSON(r, &in); err != nil {
		return err
	}
	var fields []apperr.FieldError
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 32 {
		fields = append(fields, apperr.FieldError{Field: "name", Reason: "required, at most 32 characters"})
	}
	ph, err := phone.Normalize(in.Phone)
	if err != nil {
		fields = append(fields, apperr.FieldError{Field: "phone", Reason: "11-digit mainland mobile number"})
	}
	if len(fields) > 0 {
		return apperr.Validation.WithFields(fields...)
	}
	s := Staff{ID: NewID("u"), Name: name, Phone: ph, CommunityID: cid, CreatedAt: a.Now().UTC()}
	if err := a.Dir.CreateStaff(r.Context(), s, manifest.RoleStaff); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, s)
	return nil
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
