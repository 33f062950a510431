package registry

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/safetext"
)

// Correction is one change of the register by staff, written in one
// transaction: residents put (a new one, a changed one, both sides of a
// move) and the sign-ins of the phones it gives, moves or takes.
type Correction struct {
	Residents []Resident
	// Before are the residents as read, each written only if still so (by
	// its version).
	Before []Resident
	// Accounts are the sign-ins written with it.
	Accounts []AccountWrite
	// Revoke are the users whose tokens stop working: a sign-in taken or
	// moved.
	Revoke []string
	// Buildings to recount.
	Buildings []string
}

// AccountWrite is one sign-in a correction writes: Account put (nil:
// the phone's sign-in deleted), only while the phone signs in as
// IfResident, or, with IfResident empty, only if the phone has none.
type AccountWrite struct {
	Phone      string
	Account    *auth.Account
	IfResident string
}

// CorrectionStore keeps staff's corrections of the register.
type CorrectionStore interface {
	// Resident reads one resident, current or not: ErrNotFound.
	Resident(ctx context.Context, residentID string) (Resident, error)
	// ApplyCorrection writes a correction: ErrChangedMeanwhile when a
	// resident changed since it was read, ErrPhoneTaken when the new
	// phone signs in as someone else, ErrResidentExists when the person
	// is in the household already.
	ApplyCorrection(ctx context.Context, c Correction) error
	Recount(ctx context.Context, communityID string, buildingIDs []string) error
}

// Errors of corrections.
var (
	ErrResidentNotFound = apperr.New(apperr.KindNotFound, "RESIDENT_NOT_FOUND", "该居民不存在", "No such resident")
	ErrResidentExists   = apperr.New(apperr.KindConflict, "RESIDENT_EXISTS", "该户已有同名居民", "The household has a resident of this name")
	ErrChangedMeanwhile = apperr.New(apperr.KindConflict, "CHANGED_MEANWHILE", "数据已被他人修改，请刷新后重试", "Someone changed it meanwhile: reload and try again")
	// ErrUnderWatch refuses to move a person under home isolation or
	// health monitoring: the watch is ended first.
	ErrUnderWatch = apperr.New(apperr.KindConflict, "UNDER_WATCH", "此人正在居家隔离或健康监测中，请先解除再迁移", "The person is under a watch: end it before the move")
	ErrNotCurrent = apperr.New(apperr.KindConflict, "RESIDENT_NOT_CURRENT", "该居民已迁出或已故：请先标记为在住", "This resident moved out or died: mark them present first")
)

// statuses staff may set.
var statuses = []string{"present", StatusAway, StatusMovedOut, StatusDeceased}

// NewResidentInput adds a person to a household.
type NewResidentInput struct {
	HouseholdID string `json:"householdId"`
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	BirthYear   int    `json:"birthYear"`
	Flags       []Flag `json:"flags"`
	Reason      string `json:"reason"`
}

// ResidentChange is what staff change of one resident: any of these, with
// why.
type ResidentChange struct {
	// HouseholdID moves the resident to another household of the
	// community: a new record there, the old one moved out.
	HouseholdID *string `json:"householdId"`
	// Status is present, away, moved_out or deceased; Where goes with away.
	Status *string `json:"status"`
	Where  *string `json:"where"`
	// Phone, empty to remove it.
	Phone  *string `json:"phone"`
	Flags  *[]Flag `json:"flags"`
	Reason string  `json:"reason"`
}

// reason checks why a change is made: every correction says why.
func reason(s string, fields *[]apperr.FieldError) string {
	s, problem := safetext.Line(s, 100, true)
	if problem != "" {
		*fields = append(*fields, apperr.FieldError{Field: "reason", Reason: string(problem)})
	}
	return s
}

func checkFlags(flags []Flag, fields *[]apperr.FieldError) []Flag {
	out := []Flag{}
	for _, f := range flags {
		if !slices.Contains(Flags, f) {
			*fields = append(*fields, apperr.FieldError{Field: "flags", Reason: "each one of bedridden, pregnant, chronic, alone, dialysis, chemotherapy, oxygen, insulin, disability, infant"})
			return nil
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

func checkPhone(s string, fields *[]apperr.FieldError) string {
	if s == "" {
		return ""
	}
	p, err := phone.Normalize(s)
	if err != nil {
		*fields = append(*fields, apperr.FieldError{Field: "phone", Reason: "11-digit mainland mobile number"})
	}
	return p
}

// newAccount is the sign-in a resident's phone gives, written only if the
// phone has none.
func newAccount(r Resident) []AccountWrite {
	if r.Phone == "" || !r.Current() {
		return nil
	}
	p := auth.Principal{UserID: r.ID, Role: manifest.RoleResident, HouseholdID: r.HouseholdID, ResidentID: r.ID, ResidentCommunityID: r.CommunityID}
	return []AccountWrite{{Phone: r.Phone, Account: &auth.Account{Phone: r.Phone, Name: r.Name, Principal: p.Normalized()}}}
}

// phoneOf reads the sign-in of a resident's phone, if it is theirs: a
// phone a household shares signs in as its first holder only, and one
// staff or volunteers hold keeps their roles.
func (a *API) phoneOf(ctx context.Context, r Resident) (*auth.Account, error) {
	if r.Phone == "" {
		return nil, nil
	}
	acct, err := a.Dir.AccountByPhone(ctx, r.Phone)
	if errors.Is(err, auth.ErrNoAccount) {
		return nil, nil
	}
	if err != nil || acct.ResidentID != r.ID {
		return nil, err
	}
	return &acct, nil
}

// takeAccount takes a resident's part of a sign-in: the account goes, or
// keeps its other roles (staff, volunteer).
func takeAccount(acct *auth.Account, residentID string) AccountWrite {
	rest := acct.Principal
	rest.Roles, rest.HouseholdID, rest.ResidentID, rest.ResidentCommunityID = nil, "", "", ""
	if rest = rest.Normalized(); len(rest.Roles) == 0 {
		return AccountWrite{Phone: acct.Phone, IfResident: residentID}
	}
	return AccountWrite{Phone: acct.Phone, IfResident: residentID, Account: &auth.Account{Phone: acct.Phone, Name: acct.Name, Principal: rest}}
}

// moveAccount gives a sign-in its resident's new record and household,
// keeping its other roles.
func moveAccount(acct *auth.Account, from, to Resident) AccountWrite {
	p := acct.Principal
	if p.UserID == from.ID {
		p.UserID = to.ID
	}
	p.HouseholdID, p.ResidentID = to.HouseholdID, to.ID
	return AccountWrite{Phone: acct.Phone, IfResident: from.ID, Account: &auth.Account{Phone: acct.Phone, Name: acct.Name, Principal: p.Normalized()}}
}

// mark adds field to the fields a resident's record says staff corrected.
func mark(r *Resident, field string) {
	if !slices.Contains(r.Corrected, field) {
		r.Corrected = append(slices.Clone(r.Corrected), field)
		slices.Sort(r.Corrected)
	}
}

// AddResident puts a person into a household of the community.
func (a *API) AddResident(ctx context.Context, p auth.Principal, cid string, in NewResidentInput) (Resident, error) {
	if err := auth.RequireCommunity(ctx, p, cid, a.Dir); err != nil {
		return Resident{}, err
	}
	var fields []apperr.FieldError
	name, problem := safetext.Line(in.Name, 32, true)
	if problem != "" {
		fields = append(fields, apperr.FieldError{Field: "name", Reason: string(problem)})
	}
	ph := checkPhone(in.Phone, &fields)
	flags := checkFlags(in.Flags, &fields)
	if in.BirthYear != 0 && (in.BirthYear < 1900 || in.BirthYear > a.Now().Year()) {
		fields = append(fields, apperr.FieldError{Field: "birthYear", Reason: "a year from 1900 to this one"})
	}
	why := reason(in.Reason, &fields)
	h, err := a.householdIn(ctx, cid, in.HouseholdID, "householdId", &fields)
	if err != nil {
		return Resident{}, err
	}
	if len(fields) > 0 {
		return Resident{}, apperr.Validation.WithFields(fields...)
	}
	r := Resident{ID: ResidentID(h.ID, name), CommunityID: cid, HouseholdID: h.ID, Name: name, Phone: ph, BirthYear: in.BirthYear, Flags: flags}
	if len(flags) == 0 {
		r.Flags = nil
	}
	mark(&r, "household")
	if err := a.apply(ctx, Correction{Residents: []Resident{r}, Accounts: newAccount(r), Buildings: []string{h.BuildingID}}); err != nil {
		return Resident{}, err
	}
	audit.Changed(ctx, "resident", nil, map[string]any{"resident": r.ID, "household": h.ID, "reason": why})
	return r, nil
}

// householdIn reads a household of the community named by a body's field.
func (a *API) householdIn(ctx context.Context, cid, hid, field string, fields *[]apperr.FieldError) (Household, error) {
	if !ValidID(hid) {
		// What is not an id is not echoed.
		*fields = append(*fields, apperr.FieldError{Field: field, Reason: "a household of this community"})
		return Household{}, nil
	}
	h, _, err := a.Dir.Household(ctx, hid)
	if errors.Is(err, ErrNotFound) || (err == nil && h.CommunityID != cid) {
		*fields = append(*fields, apperr.FieldError{Field: field, Reason: "no household " + hid + " in this community"})
		return Household{}, nil
	}
	return h, err
}

// UpdateResident applies staff's change of one resident: a move, a
// status, a phone, care flags; each field it sets is marked corrected.
func (a *API) UpdateResident(ctx context.Context, p auth.Principal, rid string, in ResidentChange) (Resident, error) {
	old, err := a.Corrections.Resident(ctx, rid)
	if errors.Is(err, ErrNotFound) {
		return Resident{}, ErrResidentNotFound
	}
	if err != nil {
		return Resident{}, err
	}
	if err := auth.RequireCommunity(ctx, p, old.CommunityID, a.Dir); err != nil {
		return Resident{}, err
	}
	var fields []apperr.FieldError
	why := reason(in.Reason, &fields)
	if in.HouseholdID == nil && in.Status == nil && in.Phone == nil && in.Flags == nil && in.Where == nil {
		fields = append(fields, apperr.FieldError{Field: "householdId|status|phone|flags", Reason: "give what changes"})
	}
	r := old
	r.Corrected = slices.Clone(old.Corrected)
	if in.Status != nil {
		if !slices.Contains(statuses, *in.Status) {
			fields = append(fields, apperr.FieldError{Field: "status", Reason: "one of present, away, moved_out, deceased"})
		}
		r.Status, r.Where, r.MovedTo = *in.Status, "", ""
		if r.Status == "present" {
			r.Status = StatusPresent
		}
		mark(&r, "status")
	}
	if in.Where != nil {
		where, problem := safetext.Line(*in.Where, 40, false)
		if problem != "" {
			fields = append(fields, apperr.FieldError{Field: "where", Reason: string(problem)})
		}
		if r.Status != StatusAway && where != "" {
			fields = append(fields, apperr.FieldError{Field: "where", Reason: "only with status away"})
		}
		r.Where = where
	}
	if in.Phone != nil {
		r.Phone = checkPhone(*in.Phone, &fields)
		mark(&r, "phone")
	}
	if in.Flags != nil {
		if r.Flags = checkFlags(*in.Flags, &fields); len(r.Flags) == 0 {
			r.Flags = nil
		}
		mark(&r, "flags")
	}
	var dest Household
	if in.HouseholdID != nil {
		if dest, err = a.householdIn(ctx, old.CommunityID, *in.HouseholdID, "householdId", &fields); err != nil {
			return Resident{}, err
		}
		if dest.ID == old.HouseholdID {
			fields = append(fields, apperr.FieldError{Field: "householdId", Reason: "the resident's own household"})
		}
	}
	if len(fields) > 0 {
		return Resident{}, apperr.Validation.WithFields(fields...)
	}
	if !old.Current() && (r.Status == old.Status || in.HouseholdID != nil) {
		// A phone, flags or a move of someone gone: present them first.
		return Resident{}, ErrNotCurrent
	}
	owned, err := a.phoneOf(ctx, old)
	if err != nil {
		return Resident{}, err
	}
	r.Version = old.Version + 1
	c := Correction{Before: []Resident{old}, Buildings: []string{BuildingOf(old.ID)}}
	if dest.ID != "" {
		// A move: the person goes on in the new household under a new id;
		// the old record says where they went.
		moved := r
		moved.ID, moved.HouseholdID, moved.Status, moved.Where, moved.Version = ResidentID(dest.ID, r.Name), dest.ID, StatusPresent, "", 0
		mark(&moved, "household")
		r.Status, r.Where, r.MovedTo = StatusMovedOut, "", moved.ID
		mark(&r, "household")
		c.Residents = []Resident{r, moved}
		c.Buildings = Distinct(append(c.Buildings, dest.BuildingID))
		switch {
		case owned != nil && moved.Phone == old.Phone:
			c.Accounts, c.Revoke = []AccountWrite{moveAccount(owned, old, moved)}, []string{owned.UserID}
		case owned != nil:
			c.Accounts, c.Revoke = append([]AccountWrite{takeAccount(owned, old.ID)}, newAccount(moved)...), []string{owned.UserID}
		case moved.Phone != old.Phone:
			c.Accounts = newAccount(moved)
		}
	} else {
		c.Residents = []Resident{r}
		if owned != nil && (r.Phone != old.Phone || !r.Current()) {
			c.Accounts, c.Revoke = []AccountWrite{takeAccount(owned, old.ID)}, []string{owned.UserID}
		}
		if r.Current() && r.Phone != "" && (r.Phone != old.Phone || !old.Current()) {
			c.Accounts = append(c.Accounts, newAccount(r)...)
		}
	}
	if err := a.apply(ctx, c); err != nil {
		return Resident{}, err
	}
	after := []map[string]any{}
	for _, r := range c.Residents {
		after = append(after, auditView(r))
	}
	audit.Changed(ctx, "resident", auditView(old), map[string]any{"resident": after, "reason": why})
	if dest.ID != "" {
		return c.Residents[1], nil
	}
	return r, nil
}

// auditView is what the audit log keeps of a resident: no care flags (the
// street's admins read the log, and flags are for the community's staff);
// the phone is masked by the log itself.
func auditView(r Resident) map[string]any {
	return map[string]any{"id": r.ID, "householdId": r.HouseholdID, "phone": r.Phone, "status": r.Status, "where": r.Where, "movedTo": r.MovedTo}
}

// apply writes a correction and recounts its buildings.
func (a *API) apply(ctx context.Context, c Correction) error {
	if err := a.Corrections.ApplyCorrection(ctx, c); err != nil {
		return err
	}
	return a.Corrections.Recount(ctx, c.Residents[0].CommunityID, c.Buildings)
}

func (a *API) correctionHandlers() httpapi.Handlers {
	return httpapi.Handlers{
		"addResident": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *NewResidentInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			res, err := a.AddResident(r.Context(), auth.Caller(r), cid, *in)
			return withoutFlagsFor(auth.Caller(r), res), err
		}),
		"updateResident": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *ResidentChange) (any, error) {
			rid, err := httpapi.PathID(r, "residentId")
			if err != nil {
				return nil, err
			}
			res, err := a.UpdateResident(r.Context(), auth.Caller(r), rid, *in)
			return withoutFlagsFor(auth.Caller(r), res), err
		}),
	}
}

// withoutFlagsFor leaves out care flags for a caller who may not see them.
func withoutFlagsFor(p auth.Principal, r Resident) Resident {
	if !auth.SeesSensitiveFlags(p, r.CommunityID) {
		r.Flags = nil
	}
	return r
}
