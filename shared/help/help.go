// Package help runs residents' help requests (求助) in a lockdown: a
// childbirth, a dialysis session, chronic medicine, a medical visit. Each
// kind has a response deadline; the staff on duty are texted at once; a
// request nobody claims in time escalates by SMS to the staff on duty
// again, then to every staff member of the community and the street's
// admins. Staff claim, record what they did, and close with an outcome.
package help

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/metrics"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
)

// The kinds of help.
const (
	KindChildbirth      = "childbirth"
	KindDialysis        = "dialysis"
	KindChronicMedicine = "chronic_medicine"
	KindMedicalVisit    = "medical_visit"
	KindOther           = "other"
)

// Kinds lists every kind, most urgent first.
var Kinds = []string{KindChildbirth, KindDialysis, KindChronicMedicine, KindMedicalVisit, KindOther}

// kindWords are how people and SMS say each kind.
var kindWords = map[string]string{
	KindChildbirth: "临产分娩", KindDialysis: "透析", KindChronicMedicine: "慢病用药", KindMedicalVisit: "就医", KindOther: "其他",
}

// DefaultDeadlines are the minutes within which each kind must be claimed,
// unless the community sets its own.
var DefaultDeadlines = map[string]int{
	KindChildbirth: 10, KindDialysis: 30, KindChronicMedicine: 120, KindMedicalVisit: 60, KindOther: 120,
}

// Request statuses.
const (
	StatusOpen    = "open"
	StatusClaimed = "claimed"
	StatusClosed  = "closed"
)

// Action is one thing staff did about a request.
type Action struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Text string    `json:"text"`
}

// Request is a household's request for help.
type Request struct {
	ID          string `json:"id"`
	CommunityID string `json:"communityId"`
	HouseholdID string `json:"householdId"`
	// ResidentID is who needs help (a member of the household).
	ResidentID string `json:"residentId"`
	Kind       string `json:"kind"`
	Note       string `json:"note"`
	Status     string `json:"status"`
	// Name, Address and Phone say who and where, for staff: Phone is the
	// person's own or, when they have none, the household's.
	Name       string     `json:"name"`
	Address    string     `json:"address"`
	Phone      string     `json:"phone,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	DeadlineAt time.Time  `json:"deadlineAt"`
	ClaimedBy  string     `json:"claimedBy,omitempty"`
	ClaimedAt  *time.Time `json:"claimedAt,omitempty"`
	Actions    []Action   `json:"actions"`
	Outcome    string     `json:"outcome,omitempty"`
	ClosedAt   *time.Time `json:"closedAt,omitempty"`
	// Level is how far it escalated: 0 not yet, 1 the staff on duty again,
	// 2 every staff member and the street.
	Level int `json:"level"`
	// NextAt is when it escalates next, while nobody has claimed it.
	NextAt *time.Time `json:"nextEscalationAt,omitempty"`
	// Hospital is the person's designated hospital for a medical request,
	// as it stood when the request was made: staff's texts carry its
	// 24-hour phone.
	Hospital *Hospital `json:"hospital,omitempty"`
}

// Hospital is a designated hospital as a request names it.
type Hospital struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Settings are a community's deadlines and who is on duty.
type Settings struct {
	// Deadlines are minutes by kind; a kind left out has its default.
	Deadlines map[string]int `json:"deadlines"`
	// OnDuty are the staff phones texted first.
	OnDuty []string `json:"onDuty"`
}

// deadline is the minutes of a kind in these settings.
func (st Settings) deadline(kind string) int {
	if m := st.Deadlines[kind]; m > 0 {
		return m
	}
	return DefaultDeadlines[kind]
}

// Store is what help needs of storage.
type Store interface {
	// CreateHelp writes a request; ErrAlreadyOpen when the household has one
	// of that kind open; the texts pending are written with it.
	CreateHelp(ctx context.Context, r Request, pending *dispatch.Pending) error
	// Help reads a request; ErrNotFound.
	Help(ctx context.Context, id string) (Request, error)
	// CommunityHelp lists every open and claimed request of a community,
	// and its latest closed ones, up to closed of them.
	CommunityHelp(ctx context.Context, communityID string, closed int) ([]Request, error)
	// HouseholdHelp lists a household's open and claimed requests.
	HouseholdHelp(ctx context.Context, householdID string) ([]Request, error)
	// Claim takes an open request, with the texts pending; ErrAlreadyClaimed.
	Claim(ctx context.Context, id, by string, at time.Time, pending *dispatch.Pending) error
	// AddAction records an action on a request not closed; ErrClosed.
	AddAction(ctx context.Context, id string, a Action) error
	// Close closes a request not closed; ErrClosed.
	Close(ctx context.Context, r Request, by, outcome string, at time.Time) error
	// Due lists open requests whose next escalation is at or before now.
	Due(ctx context.Context, now time.Time) ([]Request, error)
	// Escalated records that a request went from one level to the next
	// while still open, with the texts pending: false when it was not
	// (claimed, or done by another run).
	Escalated(ctx context.Context, id string, from, to int, next *time.Time, pending *dispatch.Pending) (bool, error)
	HelpSettings(ctx context.Context, communityID string) (Settings, error)
	SetHelpSettings(ctx context.Context, communityID string, st Settings) error
}

// People finds who to text.
type People interface {
	StaffPhones(ctx context.Context, communityID string) ([]string, error)
	AdminPhones(ctx context.Context, streetID string) ([]string, error)
	AccountByPhone(ctx context.Context, phone string) (auth.Account, error)
}

// Hospitals finds the designated hospital of a person's medical request:
// their care plan's, else their street's. ok is false when there is none.
type Hospitals interface {
	HospitalFor(ctx context.Context, communityID, residentID, kind string) (h Hospital, ok bool, err error)
}

// medical are the kinds dealt with by calling a hospital.
var medical = []string{KindChildbirth, KindDialysis, KindChronicMedicine, KindMedicalVisit}

// Directory is what help reads of the registry.
type Directory interface {
	auth.StreetResolver
	Household(ctx context.Context, householdID string) (registry.Household, []registry.Resident, error)
}

// Errors of help.
var (
	ErrNotFound       = apperr.New(apperr.KindNotFound, "HELP_NOT_FOUND", "求助不存在", "No such help request")
	ErrAlreadyOpen    = apperr.New(apperr.KindConflict, "HELP_ALREADY_OPEN", "本户已有同类求助正在处理", "The household has a request of this kind open")
	ErrAlreadyClaimed = apperr.New(apperr.KindConflict, "HELP_ALREADY_CLAIMED", "该求助已有工作人员认领", "Someone claimed this request already")
	ErrClosed         = apperr.New(apperr.KindConflict, "HELP_CLOSED", "该求助已关闭", "This request is closed")
)

// Service runs help requests.
type Service struct {
	Store     Store
	People    People
	Directory Directory
	// Outbox sends the texts a change left pending: alerts to staff
	// whatever their opt-outs (an emergency is not news one can unsubscribe
	// from), news to households within theirs.
	Outbox *dispatch.Outbox
	// Hospitals may be nil: texts then name no hospital.
	Hospitals Hospitals
	Now       func() time.Time
}

// AlertWindow is how long staff's alerts about one household coalesce. A
// new request of a kind texts each of them once in it, whatever else the
// household asked for (an "other" a minute before must not swallow a
// childbirth); the escalations of a level coalesce across kinds, since
// staff know of each request by then. The requests all show in the list.
const AlertWindow = 30 * time.Minute

// alerts are the texts to staff about household hid: once per phone, kind
// of alert and AlertWindow.
func alerts(ctx context.Context, cid, hid, what string, at time.Time, phones []string, msg sms.Message) *dispatch.Pending {
	key := fmt.Sprintf("help:%s:%s:%d", hid, what, at.Unix()/int64(AlertWindow/time.Second))
	texts := make([]dispatch.Text, 0, len(phones))
	for _, ph := range registry.Distinct(phones) {
		texts = append(texts, dispatch.AlertOf(key, ph, msg))
	}
	return dispatch.PendingTexts(ctx, at, cid, texts)
}

// KindView is a kind as a resident chooses it.
type KindView struct {
	Kind            string `json:"kind"`
	Label           string `json:"label"`
	DeadlineMinutes int    `json:"deadlineMinutes"`
}

// Mine is what a household sees: the kinds to choose from (those its
// members' flags call for first) and its requests.
type Mine struct {
	Kinds    []KindView `json:"kinds"`
	Requests []Request  `json:"requests"`
}

// ForHousehold lists the kinds in the order the household needs them and
// its open requests. A household with a pregnant member sees childbirth first;
// one with a chronically ill member, dialysis and medicine first.
func (s *Service) ForHousehold(ctx context.Context, p auth.Principal) (Mine, error) {
	if !p.Has(manifest.RoleResident) || p.HouseholdID == "" {
		return Mine{}, apperr.Forbidden
	}
	cid := p.ResidentCommunityID
	settings, err := s.Store.HelpSettings(ctx, cid)
	if err != nil {
		return Mine{}, err
	}
	_, members, err := s.Directory.Household(ctx, p.HouseholdID)
	if err != nil {
		return Mine{}, err
	}
	first := map[string]int{}
	for _, m := range members {
		for _, f := range m.Flags {
			switch f {
			case registry.FlagPregnant:
				first[KindChildbirth] = 2
			case registry.FlagChronic:
				first[KindDialysis], first[KindChronicMedicine] = max(first[KindDialysis], 1), max(first[KindChronicMedicine], 1)
			}
		}
	}
	out := Mine{Requests: []Request{}}
	for _, k := range Kinds {
		out.Kinds = append(out.Kinds, KindView{Kind: k, Label: kindWords[k], DeadlineMinutes: settings.deadline(k)})
	}
	sort.SliceStable(out.Kinds, func(i, j int) bool { return first[out.Kinds[i].Kind] > first[out.Kinds[j].Kind] })
	open, err := s.Store.HouseholdHelp(ctx, p.HouseholdID)
	if err != nil {
		return Mine{}, err
	}
	sort.Slice(open, func(i, j int) bool { return open[i].CreatedAt.After(open[j].CreatedAt) })
	for _, r := range open {
		r.ClaimedBy, r.Actions = "", []Action{} // who on the staff did what is for the staff
		out.Requests = append(out.Requests, r)
	}
	return out, nil
}

// Input is the body of a help request.
type Input struct {
	Kind string `json:"kind"`
	Note string `json:"note"`
	// ResidentID is the member who needs help; default the caller.
	ResidentID string `json:"residentId"`
}

// Create records a request and texts the staff on duty at once (every
// staff member when nobody is on duty): the deadline runs from now.
func (s *Service) Create(ctx context.Context, p auth.Principal, in Input) (Request, error) {
	if !p.Has(manifest.RoleResident) || p.HouseholdID == "" {
		return Request{}, apperr.Forbidden
	}
	var fields []apperr.FieldError
	if !slices.Contains(Kinds, in.Kind) {
		fields = append(fields, apperr.FieldError{Field: "kind", Reason: fmt.Sprint("one of ", Kinds)})
	}
	note, problem := safetext.Text(in.Note, 200, false)
	if problem != "" {
		fields = append(fields, apperr.FieldError{Field: "note", Reason: string(problem)})
	}
	who := in.ResidentID
	if who == "" {
		who = p.ResidentID
	}
	if !registry.ValidID(who) || registry.HouseholdOf(who) != p.HouseholdID {
		fields = append(fields, apperr.FieldError{Field: "residentId", Reason: "a member of your household"})
	}
	if len(fields) > 0 {
		return Request{}, apperr.Validation.WithFields(fields...)
	}
	h, members, err := s.Directory.Household(ctx, p.HouseholdID)
	if err != nil {
		return Request{}, err
	}
	return s.create(ctx, h, members, who, in.Kind, note)
}

// Raise records a request staff make for a resident who cannot (someone
// left at home alone when their carer is taken away): the same deadline
// and alerts as a resident's own.
func (s *Service) Raise(ctx context.Context, p auth.Principal, residentID, kind, note string) (Request, error) {
	if !registry.ValidID(residentID) {
		return Request{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentId", Reason: "a resident of this community"})
	}
	h, members, err := s.Directory.Household(ctx, registry.HouseholdOf(residentID))
	if err != nil {
		return Request{}, err
	}
	if err := auth.RequireCommunity(ctx, p, h.CommunityID, s.Directory); err != nil {
		return Request{}, err
	}
	if !slices.Contains(Kinds, kind) {
		return Request{}, apperr.Validation.WithFields(apperr.FieldError{Field: "kind", Reason: fmt.Sprint("one of ", Kinds)})
	}
	note, problem := safetext.Text(note, 200, false)
	if problem != "" {
		return Request{}, apperr.Validation.WithFields(apperr.FieldError{Field: "note", Reason: string(problem)})
	}
	return s.create(ctx, h, members, residentID, kind, note)
}

func (s *Service) create(ctx context.Context, h registry.Household, members []registry.Resident, who, kind, note string) (Request, error) {
	in := Input{Kind: kind}
	var person registry.Resident
	for _, m := range members {
		if m.ID == who {
			person = m
		}
	}
	if person.ID == "" {
		return Request{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentId", Reason: "a member of your household"})
	}
	contact := person.Phone
	if contact == "" {
		contact = h.ContactPhone // a person with no phone is reached through the household's
	}
	settings, err := s.Store.HelpSettings(ctx, h.CommunityID)
	if err != nil {
		return Request{}, err
	}
	now := chinatime.In(s.Now())
	deadline := now.Add(time.Duration(settings.deadline(in.Kind)) * time.Minute)
	r := Request{ID: registry.NewID("h"), CommunityID: h.CommunityID, HouseholdID: h.ID, ResidentID: who, Kind: in.Kind, Note: note,
		Status: StatusOpen, Name: person.Name, Address: h.Address(), Phone: contact, CreatedAt: now, DeadlineAt: deadline,
		Actions: []Action{}, NextAt: &deadline}
	r.Hospital = s.hospitalOf(ctx, r)
	// The staff's alert is written with the request. Should it not be
	// made, the request stands: the escalation job texts at the deadline.
	var alert *dispatch.Pending
	msg, err := sms.HelpNew(kindWords[r.Kind], r.Address, r.Name, r.Phone, settings.deadline(r.Kind))
	if r.Hospital != nil {
		// A hospital the text cannot carry leaves the text without it.
		if m, herr := sms.HelpNewHospital(kindWords[r.Kind], r.Address, r.Name, r.Phone, r.Hospital.Name, r.Hospital.Phone, settings.deadline(r.Kind)); herr == nil {
			msg = m
		}
	}
	if err == nil {
		var phones []string
		if phones, err = s.onDuty(ctx, r.CommunityID, settings); err == nil {
			alert = alerts(ctx, r.CommunityID, r.HouseholdID, "new:"+r.Kind, now, phones, msg)
		}
	}
	if err != nil {
		logging.From(ctx).Warn("staff on duty not texted of a help request", "help", r.ID, "err", err)
	}
	if err := s.Store.CreateHelp(ctx, r, alert); err != nil {
		return Request{}, err
	}
	s.Outbox.Flush(ctx, alert)
	r.ClaimedBy, r.Actions = "", []Action{}
	return r, nil
}

// hospitalOf is the designated hospital of a medical request, or nil. A
// request is not held up for want of it: the staff's text then has none.
func (s *Service) hospitalOf(ctx context.Context, r Request) *Hospital {
	if s.Hospitals == nil || !slices.Contains(medical, r.Kind) {
		return nil
	}
	h, ok, err := s.Hospitals.HospitalFor(ctx, r.CommunityID, r.ResidentID, r.Kind)
	if err != nil {
		logging.From(ctx).Warn("no designated hospital for a help request", "help", r.ID, "err", err)
	}
	if err != nil || !ok {
		return nil
	}
	return &h
}

// onDuty are the phones texted first: the community's staff on duty, or
// all its staff when nobody is on duty.
func (s *Service) onDuty(ctx context.Context, cid string, st Settings) ([]string, error) {
	if len(st.OnDuty) > 0 {
		return st.OnDuty, nil
	}
	return s.People.StaffPhones(ctx, cid)
}

// List is a community's requests for its staff: open ones first, the most
// overdue first, then the latest closed.
func (s *Service) List(ctx context.Context, p auth.Principal, cid string) ([]Request, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return nil, err
	}
	all, err := s.Store.CommunityHelp(ctx, cid, ClosedListed)
	if err != nil {
		return nil, err
	}
	rank := map[string]int{StatusOpen: 0, StatusClaimed: 1, StatusClosed: 2}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if rank[a.Status] != rank[b.Status] {
			return rank[a.Status] < rank[b.Status]
		}
		if a.Status == StatusClosed {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return a.DeadlineAt.Before(b.DeadlineAt)
	})
	if all == nil {
		all = []Request{}
	}
	audit.Counted(ctx, len(all))
	return all, nil
}

// ClosedListed is how many closed requests the staff's list shows, newest
// first, below every open one.
const ClosedListed = 100

// managed reads a request its caller manages.
func (s *Service) managed(ctx context.Context, p auth.Principal, id string) (Request, error) {
	r, err := s.Store.Help(ctx, id)
	if err != nil {
		return Request{}, err
	}
	if err := auth.RequireCommunity(ctx, p, r.CommunityID, s.Directory); err != nil {
		return Request{}, err
	}
	return r, nil
}

// Claim takes a request for the caller; a second claim is refused. The
// household is told someone is coming.
func (s *Service) Claim(ctx context.Context, p auth.Principal, id string) (Request, error) {
	r, err := s.managed(ctx, p, id)
	if err != nil {
		return Request{}, err
	}
	now := chinatime.In(s.Now())
	// The household is told with the claim (within its opt-outs).
	var told *dispatch.Pending
	if msg, err := sms.HelpClaimed(kindWords[r.Kind]); err == nil && r.Phone != "" {
		told = dispatch.PendingTexts(ctx, now, r.CommunityID, []dispatch.Text{dispatch.TextOf("help:"+r.ID+":claimed", r.Phone, msg)})
	}
	if err := s.Store.Claim(ctx, id, p.UserID, now, told); err != nil {
		return Request{}, err
	}
	s.Outbox.Flush(ctx, told)
	r.Status, r.ClaimedBy, r.ClaimedAt, r.NextAt = StatusClaimed, p.UserID, &now, nil
	metrics.Seconds(metrics.HelpResponse, now.Sub(r.CreatedAt), "Kind", r.Kind)
	return r, nil
}

// Act records what the caller did about a request.
func (s *Service) Act(ctx context.Context, p auth.Principal, id, text string) (Request, error) {
	r, err := s.managed(ctx, p, id)
	if err != nil {
		return Request{}, err
	}
	text, problem := safetext.Text(text, 200, true)
	if problem != "" {
		return Request{}, apperr.Validation.WithFields(apperr.FieldError{Field: "text", Reason: string(problem)})
	}
	a := Action{At: chinatime.In(s.Now()), By: p.UserID, Text: text}
	if err := s.Store.AddAction(ctx, id, a); err != nil {
		return Request{}, err
	}
	r.Actions = append(r.Actions, a)
	return r, nil
}

// CloseRequest closes a request with its outcome.
func (s *Service) CloseRequest(ctx context.Context, p auth.Principal, id, outcome string) (Request, error) {
	r, err := s.managed(ctx, p, id)
	if err != nil {
		return Request{}, err
	}
	outcome, problem := safetext.Text(outcome, 200, true)
	if problem != "" {
		return Request{}, apperr.Validation.WithFields(apperr.FieldError{Field: "outcome", Reason: string(problem)})
	}
	now := chinatime.In(s.Now())
	if err := s.Store.Close(ctx, r, p.UserID, outcome, now); err != nil {
		return Request{}, err
	}
	r.Status, r.Outcome, r.ClosedAt, r.NextAt = StatusClosed, outcome, &now, nil
	return r, nil
}

// Escalate runs the escalation job as of now: every open request past its
// next escalation goes up a level. Level 1 (the deadline) texts the staff on
// duty again; level 2 (one more deadline later) texts every staff member
// and the street's admins. Run twice, or by two instances at once, it texts
// nobody twice. It answers how many requests went up.
func (s *Service) Escalate(ctx context.Context, now time.Time) (int, error) {
	due, err := s.Store.Due(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, r := range due {
		if r.Status != StatusOpen || r.Level >= 2 {
			continue
		}
		settings, err := s.Store.HelpSettings(ctx, r.CommunityID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		level := r.Level + 1
		var phones []string
		var next *time.Time
		switch level {
		case 1:
			phones, err = s.onDuty(ctx, r.CommunityID, settings)
			at := r.DeadlineAt.Add(time.Duration(settings.deadline(r.Kind)) * time.Minute)
			next = &at
		default:
			phones, err = s.everyone(ctx, r.CommunityID)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		waited := int(now.Sub(r.CreatedAt).Minutes())
		waited = min(max(waited, 0), 999)
		msg, err := sms.HelpOverdue(kindWords[r.Kind], r.Address, r.Name, r.Phone, waited)
		if r.Hospital != nil {
			if m, herr := sms.HelpOverdueHospital(kindWords[r.Kind], r.Address, r.Name, r.Phone, r.Hospital.Name, r.Hospital.Phone, waited); herr == nil {
				msg = m
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		alert := alerts(ctx, r.CommunityID, r.HouseholdID, fmt.Sprint("overdue", level), now, phones, msg)
		up, err := s.Store.Escalated(ctx, r.ID, r.Level, level, next, alert)
		if err != nil {
			errs = append(errs, err) // the next run tries again: the level is not taken
			continue
		}
		if up {
			s.Outbox.Flush(ctx, alert)
			n++
		}
	}
	// Overdue and unclaimed: the alarm fires now, not when someone claims
	// it at last.
	if n > 0 {
		metrics.Count(metrics.HelpOverdue, float64(n))
	}
	return n, errors.Join(errs...)
}

// everyone is the community's staff and its street's admins.
func (s *Service) everyone(ctx context.Context, cid string) ([]string, error) {
	staff, err := s.People.StaffPhones(ctx, cid)
	if err != nil {
		return nil, err
	}
	street, err := s.Directory.StreetOf(ctx, cid)
	if err != nil {
		return nil, err
	}
	admins, err := s.People.AdminPhones(ctx, street)
	if err != nil {
		return nil, err
	}
	return append(staff, admins...), nil
}

// SettingsOf reads a community's deadlines (defaults filled in) and who is
// on duty.
func (s *Service) SettingsOf(ctx context.Context, p auth.Principal, cid string) (Settings, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Settings{}, err
	}
	st, err := s.Store.HelpSettings(ctx, cid)
	if err != nil {
		return Settings{}, err
	}
	full := Settings{Deadlines: map[string]int{}, OnDuty: st.OnDuty}
	for _, k := range Kinds {
		full.Deadlines[k] = st.deadline(k)
	}
	if full.OnDuty == nil {
		full.OnDuty = []string{}
	}
	return full, nil
}

// MaxDeadlineMinutes bounds a deadline: a day.
const MaxDeadlineMinutes = 1440

// SetSettings sets a community's deadlines and who is on duty: staff of
// the community, by phone.
func (s *Service) SetSettings(ctx context.Context, p auth.Principal, cid string, in Settings) (Settings, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Settings{}, err
	}
	var fields []apperr.FieldError
	for k, m := range in.Deadlines {
		if !slices.Contains(Kinds, k) {
			fields = append(fields, apperr.FieldError{Field: "deadlines." + k, Reason: fmt.Sprint("one of ", Kinds)})
		} else if m < 1 || m > MaxDeadlineMinutes {
			fields = append(fields, apperr.FieldError{Field: "deadlines." + k, Reason: fmt.Sprintf("from %d to %d", 1, MaxDeadlineMinutes)})
		}
	}
	if len(in.OnDuty) > 50 {
		fields = append(fields, apperr.FieldError{Field: "onDuty", Reason: fmt.Sprintf("at most %d", 50)})
	}
	var onDuty []string
	for i, raw := range in.OnDuty {
		ph, err := phone.Normalize(raw)
		if err != nil {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("onDuty[%d]", i), Reason: "11-digit mainland mobile number"})
			continue
		}
		acct, err := s.People.AccountByPhone(ctx, ph)
		if err != nil && !errors.Is(err, auth.ErrNoAccount) {
			return Settings{}, err
		}
		if err != nil || !acct.Has(manifest.RoleStaff) || acct.StaffCommunityID != cid {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("onDuty[%d]", i), Reason: "not a staff member of this community"})
			continue
		}
		onDuty = append(onDuty, ph)
	}
	if len(fields) > 0 {
		return Settings{}, apperr.Validation.WithFields(fields...)
	}
	st := Settings{Deadlines: in.Deadlines, OnDuty: registry.Distinct(onDuty)}
	if st.Deadlines == nil {
		st.Deadlines = map[string]int{}
	}
	before, err := s.Store.HelpSettings(ctx, cid)
	if err != nil {
		return Settings{}, err
	}
	if err := s.Store.SetHelpSettings(ctx, cid, st); err != nil {
		return Settings{}, err
	}
	audit.Changed(ctx, "helpSettings", before, st)
	return s.SettingsOf(ctx, p, cid)
}

// OnDutyPhones are who an overdue task of the community texts first: its
// staff on duty, or all its staff when nobody is on duty.
func (s *Service) OnDutyPhones(ctx context.Context, cid string) ([]string, error) {
	settings, err := s.Store.HelpSettings(ctx, cid)
	if err != nil {
		return nil, err
	}
	return s.onDuty(ctx, cid, settings)
}

// EveryonePhones are who a task still overdue texts next: every staff
// member of the community and its street's admins.
func (s *Service) EveryonePhones(ctx context.Context, cid string) ([]string, error) {
	return s.everyone(ctx, cid)
}
