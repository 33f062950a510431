package volunteers

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
)

// The street's volunteer pool (志愿服务数据库, 以街道为主体): every
// community's volunteers seen together, each with their home community,
// and lent from one community to another for dates, with the home
// community's approval.

// Loan statuses.
const (
	LoanRequested = "requested"
	LoanApproved  = "approved"
	LoanDeclined  = "declined"
)

// MaxLoanDays bounds a loan: a rush, not a transfer.
const MaxLoanDays = 30

// Loan is a volunteer lent by their home community to another of the
// street for a time.
type Loan struct {
	ID              string     `json:"id"`
	VolunteerID     string     `json:"volunteerId"`
	Name            string     `json:"name"`
	HomeCommunityID string     `json:"homeCommunityId"`
	CommunityID     string     `json:"communityId"`
	From            time.Time  `json:"from"`
	To              time.Time  `json:"to"`
	Status          string     `json:"status"`
	Note            string     `json:"note,omitempty"`
	RequestedBy     string     `json:"requestedBy"`
	RequestedAt     time.Time  `json:"requestedAt"`
	DecidedBy       string     `json:"decidedBy,omitempty"`
	DecidedAt       *time.Time `json:"decidedAt,omitempty"`
}

// covers says whether an approved loan to cid covers a shift.
func (l Loan) covers(cid string, from, to time.Time) bool {
	return l.Status == LoanApproved && l.CommunityID == cid && !from.Before(l.From) && !to.After(l.To)
}

// LoanStore keeps loans.
type LoanStore interface {
	// CreateLoan writes a new loan.
	CreateLoan(ctx context.Context, l Loan) error
	Loan(ctx context.Context, id string) (Loan, error)
	// LoansTo lists the loans to a community; LoansFrom those of its
	// volunteers to others.
	LoansTo(ctx context.Context, cid string) ([]Loan, error)
	LoansFrom(ctx context.Context, cid string) ([]Loan, error)
	// LoanGuard is a volunteer's lending guard, read consistently: the
	// loans of theirs approved, and a version every decision moves, so
	// that two approvals decided at once cannot both stand.
	LoanGuard(ctx context.Context, volunteerID string) (Guard, error)
	// DecideLoan moves a requested loan to approved or declined and writes
	// the volunteer's guard next over the version read, together:
	// ErrLoanDecided when the loan was decided already, ErrGuardMoved when
	// another decision on the volunteer came first.
	DecideLoan(ctx context.Context, l Loan, read int, next Guard) error
}

// Guard is a volunteer's approved loans, kept with a version.
type Guard struct {
	Version int        `json:"version"`
	Lent    []LentTime `json:"lent"`
}

// LentTime is an approved loan's time.
type LentTime struct {
	LoanID      string    `json:"loanId"`
	CommunityID string    `json:"communityId"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
}

// ErrGuardMoved is a decision that lost to another on the same volunteer:
// it is tried again on what is stored now. It never reaches a caller.
var ErrGuardMoved = errors.New("volunteers: another loan decision on the volunteer came first")

// Errors of the pool.
var (
	ErrLoanNotFound   = apperr.New(apperr.KindNotFound, "LOAN_NOT_FOUND", "借调记录不存在", "No such loan")
	ErrLoanDecided    = apperr.New(apperr.KindConflict, "LOAN_DECIDED", "该借调已处理", "The loan was approved or declined already")
	ErrLoanOnShift    = apperr.New(apperr.KindConflict, "VOLUNTEER_ON_SHIFT", "该志愿者在借调期间已有其他班次", "The volunteer has a shift elsewhere in that time")
	ErrLoanOverlap    = apperr.New(apperr.KindConflict, "VOLUNTEER_LENT", "该志愿者在这段时间已借调给其他社区", "The volunteer is lent to another community in that time")
	ErrNotInTheStreet = apperr.New(apperr.KindInvalid, "NOT_IN_STREET", "该志愿者不属于本街道", "The volunteer is not of this street")
)

// PoolVolunteer is a volunteer as the street's pool shows them.
type PoolVolunteer struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Phone           string   `json:"phone"`
	Category        string   `json:"category"`
	Skills          []string `json:"skills"`
	HomeCommunityID string   `json:"homeCommunityId"`
	Home            string   `json:"home"`
	// LentTo is the community they are lent to now, if any.
	LentTo string `json:"lentTo,omitempty"`
}

// Pool lists the street's approved volunteers with their home community
// (its admins, and the staff of its communities: a phone of another
// community is masked).
func (s *Service) Pool(ctx context.Context, p auth.Principal, sid string) ([]PoolVolunteer, error) {
	if err := auth.RequireStreetMember(ctx, p, sid, s.Directory); err != nil {
		return nil, err
	}
	all, err := s.Directory.StreetCommunities(ctx, sid)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := []PoolVolunteer{}
	for _, c := range all {
		vols, err := s.Store.Volunteers(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		lent, err := s.Loans.LoansFrom(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, v := range vols {
			if v.Status != StatusApproved {
				continue
			}
			pv := PoolVolunteer{ID: v.ID, Name: v.Name, Phone: v.Phone, Category: v.Category, Skills: v.Skills, HomeCommunityID: c.ID, Home: c.Name}
			if !p.Has(manifest.RoleAdmin) && p.StaffCommunityID != c.ID {
				pv.Phone = logging.MaskPhone(v.Phone)
			}
			for _, l := range lent {
				if l.VolunteerID == v.ID && l.Status == LoanApproved && !now.Before(l.From) && now.Before(l.To) {
					pv.LentTo = l.CommunityID
				}
			}
			out = append(out, pv)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].HomeCommunityID != out[j].HomeCommunityID {
			return out[i].HomeCommunityID < out[j].HomeCommunityID
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// LoanInput asks another community of the street for one of its
// volunteers.
type LoanInput struct {
	VolunteerID string `json:"volunteerId"`
	From        string `json:"from"`
	To          string `json:"to"`
	Note        string `json:"note"`
}

// RequestLoan asks for a volunteer of another community of the street
// (the borrowing community's staff), from a time to a time: their home
// community's staff approve it. A volunteer with a shift in that time, or
// lent elsewhere then, is refused.
func (s *Service) RequestLoan(ctx context.Context, p auth.Principal, cid string, in LoanInput) (Loan, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Loan{}, err
	}
	var fields []apperr.FieldError
	now := chinatime.In(s.Now())
	from, ferr := time.Parse(time.RFC3339, in.From)
	to, terr := time.Parse(time.RFC3339, in.To)
	if ferr != nil || from.Before(now.Add(-time.Hour)) || from.After(now.AddDate(0, 0, MaxLoanDays)) {
		fields = append(fields, apperr.FieldError{Field: "from", Reason: "a time from an hour ago to 30 days ahead"})
	}
	if terr != nil || !to.After(from) || to.Sub(from) > MaxLoanDays*24*time.Hour {
		fields = append(fields, apperr.FieldError{Field: "to", Reason: "after from, at most 30 days after it"})
	}
	note, problem := safetext.Line(in.Note, 100, false)
	if problem != "" {
		fields = append(fields, apperr.FieldError{Field: "note", Reason: string(problem)})
	}
	if !registry.ValidID(in.VolunteerID) {
		fields = append(fields, apperr.FieldError{Field: "volunteerId", Reason: "a volunteer of another community of this street"})
	}
	if len(fields) > 0 {
		return Loan{}, apperr.Validation.WithFields(fields...)
	}
	v, err := s.Store.Volunteer(ctx, in.VolunteerID)
	if errors.Is(err, ErrVolunteerNotFound) || (err == nil && v.CommunityID == cid) {
		return Loan{}, apperr.Validation.WithFields(apperr.FieldError{Field: "volunteerId", Reason: "a volunteer of another community of this street"})
	}
	if err != nil {
		return Loan{}, err
	}
	mine, err := s.Directory.StreetOf(ctx, cid)
	if err != nil {
		return Loan{}, err
	}
	if theirs, err := s.Directory.StreetOf(ctx, v.CommunityID); err != nil || theirs != mine {
		return Loan{}, ErrNotInTheStreet
	}
	if v.Status != StatusApproved {
		return Loan{}, ErrNotApproved
	}
	l := Loan{ID: registry.NewID("ln"), VolunteerID: v.ID, Name: v.Name, HomeCommunityID: v.CommunityID, CommunityID: cid,
		From: chinatime.In(from), To: chinatime.In(to), Status: LoanRequested, Note: note, RequestedBy: p.UserID, RequestedAt: now}
	if err := s.free(ctx, l); err != nil {
		return Loan{}, err
	}
	if err := s.Loans.CreateLoan(ctx, l); err != nil {
		return Loan{}, err
	}
	audit.Changed(ctx, "loan", nil, map[string]any{"loan": l.ID, "volunteer": v.ID, "from": v.CommunityID})
	return l, nil
}

// free says whether a volunteer may be lent for l's time: no shift of
// theirs outside the borrowing community then, and no other loan
// approved then.
func (s *Service) free(ctx context.Context, l Loan) error {
	theirs, err := s.Store.VolunteerAssignments(ctx, l.VolunteerID)
	if err != nil {
		return err
	}
	for _, a := range theirs {
		post, err := s.Store.Post(ctx, a.PostID)
		if err != nil {
			return err
		}
		if post.CommunityID != l.CommunityID && a.StartsAt.Before(l.To) && l.From.Before(a.EndsAt) {
			return ErrLoanOnShift.WithFields(apperr.FieldError{Field: "from", Reason: "the volunteer is on " + a.Post + " then"})
		}
	}
	others, err := s.Loans.LoansFrom(ctx, l.HomeCommunityID)
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID != l.ID && o.VolunteerID == l.VolunteerID && o.Status == LoanApproved && o.CommunityID != l.CommunityID && o.From.Before(l.To) && l.From.Before(o.To) {
			return ErrLoanOverlap
		}
	}
	return nil
}

// DecideLoan approves or declines a loan (the staff of the volunteer's
// home community); an approval checks the volunteer is still free then.
func (s *Service) DecideLoan(ctx context.Context, p auth.Principal, id string, approve bool) (Loan, error) {
	if !registry.ValidID(id) {
		return Loan{}, ErrLoanNotFound
	}
	l, err := s.Loans.Loan(ctx, id)
	if err != nil {
		return Loan{}, err
	}
	if err := auth.RequireCommunity(ctx, p, l.HomeCommunityID, s.Directory); err != nil {
		if apperr.As(err).Kind == apperr.KindForbidden && auth.RequireCommunity(ctx, p, l.CommunityID, s.Directory) == nil {
			return Loan{}, apperr.Forbidden // the borrower does not approve its own request
		}
		return Loan{}, err
	}
	if l.Status != LoanRequested {
		return Loan{}, ErrLoanDecided
	}
	now := chinatime.In(s.Now())
	l.DecidedBy, l.DecidedAt = p.UserID, &now
	l.Status = LoanDeclined
	if approve {
		l.Status = LoanApproved
	}
	// The check that the volunteer is free and the decision go together
	// through the volunteer's guard: of two approvals read at once, the
	// second is checked again against the first.
	for attempt := 0; ; attempt++ {
		guard, err := s.Loans.LoanGuard(ctx, l.VolunteerID)
		if err != nil {
			return Loan{}, err
		}
		next := Guard{Version: guard.Version + 1, Lent: guard.Lent}
		if approve {
			if err := s.free(ctx, l); err != nil {
				return Loan{}, err
			}
			// The index free reads may lag a decision just made; the
			// guard is read consistently.
			if slices.ContainsFunc(guard.Lent, func(o LentTime) bool {
				return o.LoanID != l.ID && o.CommunityID != l.CommunityID && o.From.Before(l.To) && l.From.Before(o.To)
			}) {
				return Loan{}, ErrLoanOverlap
			}
			next.Lent = append(slices.Clone(guard.Lent), LentTime{LoanID: l.ID, CommunityID: l.CommunityID, From: l.From, To: l.To})
		}
		err = s.Loans.DecideLoan(ctx, l, guard.Version, next)
		if errors.Is(err, ErrGuardMoved) && attempt < 4 {
			continue
		}
		if errors.Is(err, ErrGuardMoved) {
			return Loan{}, ErrLoanDecided.WithFields(apperr.FieldError{Field: "loanId", Reason: "decided at the same time as another loan of the volunteer: try again"})
		}
		if err != nil {
			return Loan{}, err
		}
		break
	}
	audit.Changed(ctx, "loan", map[string]any{"status": LoanRequested}, map[string]any{"status": l.Status})
	return l, nil
}

// LoansOf lists a community's loans both ways: its volunteers lent out,
// and those lent to it (its staff).
func (s *Service) LoansOf(ctx context.Context, p auth.Principal, cid string) ([]Loan, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return nil, err
	}
	to, err := s.Loans.LoansTo(ctx, cid)
	if err != nil {
		return nil, err
	}
	from, err := s.Loans.LoansFrom(ctx, cid)
	if err != nil {
		return nil, err
	}
	out := append(to, from...)
	for i := range out {
		out[i].From, out[i].To, out[i].RequestedAt = chinatime.In(out[i].From), chinatime.In(out[i].To), chinatime.In(out[i].RequestedAt)
	}
	slices.SortFunc(out, func(a, b Loan) int { return b.RequestedAt.Compare(a.RequestedAt) })
	return out, nil
}

// lentAway says whether a volunteer is lent by their home community to
// another for some of a shift's time: then their home may not take them.
func (s *Service) lentAway(ctx context.Context, v Volunteer, sh Shift) (bool, error) {
	loans, err := s.Loans.LoansFrom(ctx, v.CommunityID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(loans, func(l Loan) bool {
		return l.VolunteerID == v.ID && l.Status == LoanApproved && l.From.Before(sh.EndsAt) && sh.StartsAt.Before(l.To)
	}), nil
}

// lentFor finds the approved loan of a volunteer of another community to
// cid that covers a shift.
func (s *Service) lentFor(ctx context.Context, v Volunteer, cid string, sh Shift) (bool, error) {
	loans, err := s.Loans.LoansFrom(ctx, v.CommunityID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(loans, func(l Loan) bool { return l.VolunteerID == v.ID && l.covers(cid, sh.StartsAt, sh.EndsAt) }), nil
}

// PostKindNames are the post kinds as a service record says them.
var PostKindNames = map[string]string{
	"queue_marshal": "采样点排队引导", "checkpoint": "卡口登记", "disinfection": "消杀", "delivery": "送货到府",
	"site_assistant": "采样点协助", "building_lead": "楼栋长", "door_sampling": "上门采样", "screening": "入户核查", "other": "其他",
}

// Record is one served shift as the national volunteer-service record
// (志愿服务记录) has it: who, when, where, what, how long, recorded by
// whom; with the volunteer's home community, which a lent volunteer's is
// not the recorder.
type Record struct {
	VolunteerID     string    `json:"volunteerId"`
	Name            string    `json:"name"`
	Category        string    `json:"category"`
	HomeCommunityID string    `json:"homeCommunityId"`
	Home            string    `json:"home"`
	From            time.Time `json:"from"`
	To              time.Time `json:"to"`
	Place           string    `json:"place"`
	Content         string    `json:"content"`
	Hours           float64   `json:"hours"`
	Recorder        string    `json:"recorder"`
}

// Records lists a month's served shifts of a community's posts (its
// staff), a row a check-out, lent volunteers with their home community.
func (s *Service) Records(ctx context.Context, p auth.Principal, cid, month string) ([]Record, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return nil, err
	}
	if !monthRE().MatchString(month) {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "month", Reason: "YYYY-MM"})
	}
	c, err := s.Directory.Community(ctx, cid)
	if err != nil {
		return nil, err
	}
	rows, err := s.Store.Hours(ctx, cid, month)
	if err != nil {
		return nil, err
	}
	posts, err := s.Store.Posts(ctx, cid)
	if err != nil {
		return nil, err
	}
	byPost := map[string]Post{}
	for _, p := range posts {
		byPost[p.ID] = p
	}
	homes := map[string]string{cid: c.Name}
	vols := map[string]Volunteer{}
	out := []Record{}
	for _, r := range rows {
		if r.Out == nil {
			continue
		}
		v, ok := vols[r.VolunteerID]
		if !ok {
			if v, err = s.Store.Volunteer(ctx, r.VolunteerID); err != nil && !errors.Is(err, ErrVolunteerNotFound) {
				return nil, err
			}
			vols[r.VolunteerID] = v
		}
		home := v.CommunityID
		if home == "" {
			home = cid
		}
		if _, ok := homes[home]; !ok {
			hc, err := s.Directory.Community(ctx, home)
			if err != nil {
				return nil, err
			}
			homes[home] = hc.Name
		}
		post := byPost[r.PostID]
		place := c.Name + post.Place
		content := PostKindNames[post.Kind]
		if content == "" {
			content = "社区防疫志愿服务"
		}
		if post.Name != "" {
			content += "（" + post.Name + "）"
		}
		out = append(out, Record{VolunteerID: r.VolunteerID, Name: r.Name, Category: r.Category, HomeCommunityID: home, Home: homes[home],
			From: chinatime.In(r.In), To: chinatime.In(*r.Out), Place: place, Content: content, Hours: hours(r.Minutes), Recorder: c.Name})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].From.Before(out[j].From) })
	return out, nil
}

// StreetActivationInput calls volunteers of several communities at once:
// all of each one's shifts, or its posts of some categories of volunteer.
type StreetActivationInput struct {
	Communities []string `json:"communities"`
	All         bool     `json:"all"`
	Categories  []string `json:"categories"`
	Minutes     *int     `json:"minutes"`
}

// Activated is one community's part of a street's activation: its
// activation, or why there was none.
type Activated struct {
	CommunityID string          `json:"communityId"`
	Activation  *ActivationView `json:"activation,omitempty"`
	Error       string          `json:"error,omitempty"`
	Message     string          `json:"message,omitempty"`
}

// ActivateStreet is one activation across the street's communities (its
// admins): each community's is its own, as if its staff had pressed the
// button; one with nothing to call says so beside the others.
func (s *Service) ActivateStreet(ctx context.Context, p auth.Principal, sid string, in StreetActivationInput) ([]Activated, error) {
	if !p.Has(manifest.RoleAdmin) || p.StreetID != sid {
		return nil, apperr.Forbidden
	}
	ids := slices.Clone(in.Communities)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 || len(ids) > 20 || len(ids) != len(in.Communities) {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "communities", Reason: "1 to 20 distinct communities of the street"})
	}
	all, err := s.Directory.StreetCommunities(ctx, sid)
	if err != nil {
		return nil, err
	}
	var foreign []apperr.FieldError
	for i, id := range in.Communities {
		if !slices.ContainsFunc(all, func(c registry.Community) bool { return c.ID == id }) {
			foreign = append(foreign, apperr.FieldError{Field: "communities[" + strconv.Itoa(i) + "]", Reason: "a community of this street"})
		}
	}
	if len(foreign) > 0 {
		return nil, apperr.Validation.WithFields(foreign...)
	}
	out := make([]Activated, len(ids))
	for i, cid := range ids {
		view, err := s.Activate(ctx, p, cid, ActivationInput{Scope: Scope{All: in.All, Categories: in.Categories}, Minutes: in.Minutes})
		out[i] = Activated{CommunityID: cid}
		if err != nil {
			e := apperr.As(err)
			if e.Kind == apperr.KindInvalid && len(e.Fields) > 0 {
				return nil, err // the scope itself is wrong: for every community alike
			}
			out[i].Error, out[i].Message = e.Code, e.MessageZH
			continue
		}
		out[i].Activation = &view
	}
	return out, nil
}
