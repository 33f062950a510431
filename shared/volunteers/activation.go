package volunteers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
)

// Answers to a call.
const (
	AskAsked    = "asked"
	AskAccepted = "accepted"
	AskDeclined = "declined"
	// AskSilent is an ask nobody answered by its deadline.
	AskSilent = "silent"
)

// Default and bounds of the minutes an A has to answer.
const (
	DefaultMinutes = 10
	MaxMinutes     = 60
)

// Scope is what an activation calls: some posts, the volunteers of some
// categories, or every post.
type Scope struct {
	PostIDs    []string `json:"postIds,omitempty"`
	Categories []string `json:"categories,omitempty"`
	All        bool     `json:"all,omitempty"`
}

// ActivationInput starts an activation.
type ActivationInput struct {
	Scope
	// Minutes an A has to answer before the B is called; default 10.
	Minutes *int `json:"minutes"`
}

// Activation is one click of 一键启动.
type Activation struct {
	ID          string    `json:"id"`
	CommunityID string    `json:"communityId"`
	Scope       Scope     `json:"scope"`
	Minutes     int       `json:"minutes"`
	CreatedAt   time.Time `json:"createdAt"`
	CreatedBy   string    `json:"createdBy"`
	// Drill is the drill run that called (演练): its SMS go to the drill's
	// outbox, its backups too.
	Drill string `json:"drill,omitempty"`
}

// Ask is one volunteer called to one shift by an activation.
type Ask struct {
	ActivationID string     `json:"activationId"`
	CommunityID  string     `json:"communityId"`
	PostID       string     `json:"postId"`
	Post         string     `json:"post"`
	ShiftID      string     `json:"shiftId"`
	StartsAt     time.Time  `json:"startsAt"`
	Need         int        `json:"need"`
	VolunteerID  string     `json:"volunteerId"`
	Name         string     `json:"name"`
	Phone        string     `json:"phone,omitempty"`
	Role         string     `json:"role"`
	Status       string     `json:"status"`
	AskedAt      time.Time  `json:"askedAt"`
	DeadlineAt   time.Time  `json:"deadlineAt"`
	AnsweredAt   *time.Time `json:"answeredAt,omitempty"`
	Minutes      int        `json:"minutes"`
	// Drill is the activation's drill run, if any.
	Drill string `json:"drill,omitempty"`
	// BackupDue: the backup job has yet to act on it (a decline, or an
	// answer that did not come): the store says so.
	BackupDue bool `json:"-"`
}

// Activate calls every A volunteer of the shifts in scope that are not yet
// over, at once: each ask is written, then their SMS are put on the
// dispatch queue (the app shows the asks on GET /v1/me/assignments).
func (s *Service) Activate(ctx context.Context, p auth.Principal, cid string, in ActivationInput) (ActivationView, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return ActivationView{}, err
	}
	scopes := b2i(len(in.PostIDs) > 0) + b2i(len(in.Categories) > 0) + b2i(in.All)
	var fields []apperr.FieldError
	if scopes != 1 {
		fields = append(fields, apperr.FieldError{Field: "scope", Reason: `exactly one of {"all":true}, {"postIds":[…]}, {"categories":[…]}`})
	}
	if len(in.PostIDs) > 100 {
		fields = append(fields, apperr.FieldError{Field: "postIds", Reason: fmt.Sprintf("at most %d", 100)})
	}
	for i, c := range in.Categories {
		if !slices.Contains(Categories, c) {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("categories[%d]", i), Reason: fmt.Sprint("one of ", Categories)})
		}
	}
	minutes := DefaultMinutes
	if in.Minutes != nil {
		minutes = *in.Minutes
	}
	if minutes < 1 || minutes > MaxMinutes {
		fields = append(fields, apperr.FieldError{Field: "minutes", Reason: fmt.Sprintf("from %d to %d", 1, MaxMinutes)})
	}
	if len(fields) > 0 {
		return ActivationView{}, apperr.Validation.WithFields(fields...)
	}
	posts, err := s.Store.Posts(ctx, cid)
	if err != nil {
		return ActivationView{}, err
	}
	for i, id := range in.PostIDs {
		if !slices.ContainsFunc(posts, func(p Post) bool { return p.ID == id }) {
			return ActivationView{}, apperr.Validation.WithFields(apperr.FieldError{Field: fmt.Sprintf("postIds[%d]", i), Reason: "no such post in this community"})
		}
	}
	now := chinatime.In(s.Now())
	act := Activation{ID: registry.NewID("a"), CommunityID: cid, Scope: in.Scope, Minutes: minutes, CreatedAt: now, CreatedBy: p.UserID,
		Drill: drill.RunOf(ctx)}
	deadline := now.Add(time.Duration(minutes) * time.Minute)
	// Only approved volunteers are called: one deactivated since the
	// assignment is not.
	vols, err := s.Store.Volunteers(ctx, cid)
	if err != nil {
		return ActivationView{}, err
	}
	approved := map[string]bool{}
	for _, v := range vols {
		approved[v.ID] = v.Status == StatusApproved
	}
	var asks []Ask
	for _, post := range posts {
		if len(in.PostIDs) > 0 && !slices.Contains(in.PostIDs, post.ID) {
			continue
		}
		as, err := s.Store.Assignments(ctx, post.ID)
		if err != nil {
			return ActivationView{}, err
		}
		for _, a := range as {
			sh, ok := post.shift(a.ShiftID)
			if a.Role != RoleA || !ok || !sh.EndsAt.After(now) || !approved[a.VolunteerID] ||
				(len(in.Categories) > 0 && !slices.Contains(in.Categories, a.Category)) {
				continue
			}
			asks = append(asks, Ask{ActivationID: act.ID, CommunityID: cid, PostID: post.ID, Post: post.Name, ShiftID: sh.ID, StartsAt: sh.StartsAt,
				Need: sh.Need, VolunteerID: a.VolunteerID, Name: a.Name, Phone: a.Phone, Role: RoleA, Status: AskAsked, AskedAt: now,
				DeadlineAt: deadline, Minutes: minutes, Drill: act.Drill})
		}
	}
	if len(asks) == 0 {
		return ActivationView{}, ErrNothingToActivate
	}
	// A second click on the same scope while its calls are open is one too
	// many: nobody is called twice.
	// The calls are too many to carry: the message pending names the
	// activation, and its consumer texts who is still asked.
	calls := dispatch.NewPending(now, dispatch.Message{Kind: dispatch.KindCalls, ActivationID: act.ID, Drill: act.Drill})
	if err := s.Store.CreateActivation(ctx, act, asks, LockScope(act), deadline, calls); err != nil {
		return ActivationView{}, err
	}
	s.Outbox.Flush(ctx, calls)
	return view(act, asks, now), nil
}

// Calls is the dispatch queue's handler of KindCalls: it queues the texts
// of the activation's asks still waiting for an answer, each once per ask
// however often it is queued.
func (s *Service) Calls(ctx context.Context, m dispatch.Message, _ bool) error {
	_, asks, err := s.Store.Activation(ctx, m.ActivationID)
	if errors.Is(err, ErrActivationMissing) {
		return nil // removed meanwhile (a drill's): nobody to call
	}
	if err != nil {
		return err
	}
	// A street's activation asks for several communities: each call is
	// spent for the community whose shift it fills.
	waiting := map[string][]Ask{}
	var communities []string
	for _, a := range asks {
		if a.Status != AskAsked {
			continue
		}
		if _, ok := waiting[a.CommunityID]; !ok {
			communities = append(communities, a.CommunityID)
		}
		waiting[a.CommunityID] = append(waiting[a.CommunityID], a)
	}
	for _, cid := range communities {
		if _, err := dispatch.EnqueueTexts(ctx, s.Queue, cid, callTexts(ctx, waiting[cid])); err != nil {
			return err
		}
	}
	return nil
}

// callTexts are the texts of asks.
func callTexts(ctx context.Context, asks []Ask) []dispatch.Text {
	texts := make([]dispatch.Text, 0, len(asks))
	for _, a := range asks {
		msg, err := sms.VolunteerCall(a.Name, a.Post, a.StartsAt, a.Minutes, a.Role == RoleB)
		if err != nil {
			logging.From(ctx).Warn("volunteer call not sendable", "volunteer", a.VolunteerID, "err", err)
			continue
		}
		texts = append(texts, dispatch.TextOf(askKey(a), a.Phone, msg))
	}
	return texts
}

func askKey(a Ask) string {
	return "ask:" + a.ActivationID + ":" + a.PostID + ":" + a.ShiftID + ":" + a.VolunteerID
}

// LockScope is what an activation locks while its calls are open: its
// scope, and a drill's apart, so a drill never holds up a real call.
func LockScope(a Activation) string {
	if a.Drill != "" {
		return "drill:" + a.Drill + ":" + scopeKey(a.Scope)
	}
	return scopeKey(a.Scope)
}

// scopeKey names a scope whatever the order it was given in.
func scopeKey(sc Scope) string {
	if sc.All {
		return "all"
	}
	ids := slices.Clone(sc.PostIDs)
	ids = append(ids, sc.Categories...)
	slices.Sort(ids)
	return strings.Join(slices.Compact(ids), ",")
}

// Respond is a volunteer's one-click answer to an activation: every open
// ask of theirs in it takes the answer. Accepting late (after the backup
// was called) still counts: one more pair of hands.
func (s *Service) Respond(ctx context.Context, p auth.Principal, activationID, answer string) ([]Ask, error) {
	if p.VolunteerID == "" {
		return nil, apperr.Forbidden
	}
	status := map[string]string{"accept": AskAccepted, "decline": AskDeclined}[answer]
	if status == "" {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "answer", Reason: "one of accept, decline"})
	}
	if !registry.ValidID(activationID) {
		return nil, ErrActivationMissing
	}
	asks, err := s.Store.Answer(ctx, activationID, p.VolunteerID, status, chinatime.In(s.Now()))
	if err != nil {
		return nil, err
	}
	if len(asks) == 0 {
		act, _, err := s.Store.Activation(ctx, activationID)
		if err != nil {
			return nil, err // no such activation: 404
		}
		if act.CommunityID != p.VolunteerCommunityID {
			// Another community's is answered as none: ids are not probed.
			return nil, ErrActivationMissing
		}
		return nil, ErrNotAsked
	}
	for i := range asks {
		asks[i].Phone = ""
	}
	return asks, nil
}

// RespondLatest answers the caller's latest activation that still waits
// for them (an SMS 是/否 names none). A drill's calls never reached the
// phone, so an SMS never answers them.
func (s *Service) RespondLatest(ctx context.Context, p auth.Principal, answer string) ([]Ask, error) {
	if p.VolunteerID == "" {
		return nil, apperr.Forbidden
	}
	asks, err := s.Store.VolunteerAsks(ctx, p.VolunteerID, s.Now().Add(-24*time.Hour))
	if err != nil {
		return nil, err
	}
	latest := ""
	var at time.Time
	for _, a := range asks {
		open := a.Status == AskAsked || (a.Status == AskSilent && answer == "accept")
		if open && a.Drill == "" && !a.AskedAt.Before(at) {
			latest, at = a.ActivationID, a.AskedAt
		}
	}
	if latest == "" {
		return nil, ErrNotAsked
	}
	return s.Respond(ctx, p, latest, answer)
}

// ActivationView is the live view of an activation.
type ActivationView struct {
	Activation
	Asked         int             `json:"asked"`
	Accepted      int             `json:"accepted"`
	Declined      int             `json:"declined"`
	Silent        int             `json:"silent"`
	Waiting       int             `json:"waiting"`
	BackupsCalled int             `json:"backupsCalled"`
	Shifts        []ShiftProgress `json:"shifts"`
	Unfilled      int             `json:"unfilled"`
}

// ShiftProgress is one activated shift.
type ShiftProgress struct {
	PostID   string    `json:"postId"`
	Post     string    `json:"post"`
	ShiftID  string    `json:"shiftId"`
	StartsAt time.Time `json:"startsAt"`
	Need     int       `json:"need"`
	Accepted int       `json:"accepted"`
	Waiting  int       `json:"waiting"`
	// Unfilled: fewer accepted than needed, and nobody left to wait for.
	Unfilled bool  `json:"unfilled"`
	Asks     []Ask `json:"asks"`

	backupDue bool
}

// View is an activation's live view, for its community's staff.
func (s *Service) View(ctx context.Context, p auth.Principal, id string) (ActivationView, error) {
	if !registry.ValidID(id) {
		return ActivationView{}, ErrActivationMissing
	}
	act, asks, err := s.Store.Activation(ctx, id)
	if err != nil {
		return ActivationView{}, err
	}
	if err := auth.RequireCommunity(ctx, p, act.CommunityID, s.Directory); err != nil {
		return ActivationView{}, err
	}
	return view(act, asks, s.Now()), nil
}

func view(act Activation, asks []Ask, now time.Time) ActivationView {
	v := ActivationView{Activation: act, Shifts: []ShiftProgress{}}
	byShift := map[string]*ShiftProgress{}
	var order []string
	for _, a := range asks {
		key := a.PostID + "/" + a.ShiftID
		sp, ok := byShift[key]
		if !ok {
			sp = &ShiftProgress{PostID: a.PostID, Post: a.Post, ShiftID: a.ShiftID, StartsAt: a.StartsAt, Need: a.Need}
			byShift[key] = sp
			order = append(order, key)
		}
		v.Asked++
		if a.Role == RoleB {
			v.BackupsCalled++
		}
		switch {
		case a.Status == AskAccepted:
			v.Accepted++
			sp.Accepted++
		case a.Status == AskDeclined:
			v.Declined++
		case a.Status == AskSilent || !now.Before(a.DeadlineAt):
			v.Silent++
		default:
			v.Waiting++
			sp.Waiting++
		}
		if a.BackupDue {
			sp.backupDue = true
		}
		sp.Asks = append(sp.Asks, a)
	}
	sort.Strings(order)
	for _, k := range order {
		sp := byShift[k]
		// Short, nobody left to wait for, and no backup about to be called.
		sp.Unfilled = sp.Accepted < sp.Need && sp.Waiting == 0 && !sp.backupDue
		if sp.Unfilled {
			v.Unfilled++
		}
		v.Shifts = append(v.Shifts, *sp)
	}
	return v
}

// Backups runs the backup job as of now: each A who declined, or has not
// answered by the deadline, is replaced by asking a B of the same shift;
// when no B is left (or a B does not come either) and the shift is still
// short, its squad leader and the community's staff are told. Run twice,
// or by two instances at once, it calls nobody twice. It answers the
// backups it called and the shifts it reported unfilled.
func (s *Service) Backups(ctx context.Context, now time.Time) (called, unfilled int, err error) {
	due, err := s.Store.DueAsks(ctx, now)
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	// A run reads each post's assignments once, however many of its asks
	// are due.
	posts := map[string][]Assignment{}
	for _, a := range due {
		b, short, err := s.settle(drill.With(ctx, a.Drill), a, now, posts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if b {
			called++
		}
		if short {
			unfilled++
		}
	}
	return called, unfilled, errors.Join(errs...)
}

// settle takes a due ask off the job's list together with what follows
// from it, in one transaction: the next B of the shift asked, or, with none
// left and the shift still short, the squad leader and the staff told. The
// texts are written with it, so a queue that fails now delays them to the
// sweep and never loses them. It answers whether a B was called, or the
// shift reported; neither when another run (or the volunteer's answer)
// settled it first.
func (s *Service) settle(ctx context.Context, a Ask, now time.Time, posts map[string][]Assignment) (called, reported bool, err error) {
	if a.Role == RoleA {
		as, ok := posts[a.PostID]
		if !ok {
			if as, err = s.Store.Assignments(ctx, a.PostID); err != nil {
				return false, false, err
			}
			posts[a.PostID] = as
		}
		for _, b := range as {
			if b.ShiftID != a.ShiftID || b.Role != RoleB {
				continue
			}
			if v, err := s.Store.Volunteer(ctx, b.VolunteerID); err != nil || v.Status != StatusApproved {
				continue // deactivated since: not called
			}
			ask := Ask{ActivationID: a.ActivationID, CommunityID: a.CommunityID, PostID: a.PostID, Post: a.Post, ShiftID: a.ShiftID,
				StartsAt: a.StartsAt, Need: a.Need, VolunteerID: b.VolunteerID, Name: b.Name, Phone: b.Phone, Role: RoleB,
				Status: AskAsked, AskedAt: chinatime.In(now), DeadlineAt: chinatime.In(now).Add(time.Duration(a.Minutes) * time.Minute),
				Minutes: a.Minutes, Drill: a.Drill}
			call := dispatch.PendingTexts(ctx, now, a.CommunityID, callTexts(ctx, []Ask{ask}))
			took, err := s.Store.SettleAsk(ctx, a, &ask, call)
			if errors.Is(err, ErrAskedBefore) {
				continue
			}
			if err != nil || !took {
				return false, false, err
			}
			s.Outbox.Flush(ctx, call)
			return true, false, nil
		}
	}
	short, err := s.short(ctx, a, now)
	if err != nil {
		return false, false, err
	}
	var report *dispatch.Pending
	if short > 0 {
		if report, err = s.unfilledTexts(ctx, a, now, short); err != nil {
			return false, false, err
		}
	}
	took, err := s.Store.SettleAsk(ctx, a, nil, report)
	if err != nil || !took {
		return false, false, err
	}
	s.Outbox.Flush(ctx, report)
	return false, short > 0, nil
}

// short is how many people a's shift lacks once a is settled: 0 when
// enough accepted, or someone is still to answer.
func (s *Service) short(ctx context.Context, a Ask, now time.Time) (int, error) {
	_, asks, err := s.Store.Activation(ctx, a.ActivationID)
	if err != nil {
		return 0, err
	}
	accepted, waiting := 0, 0
	for _, x := range asks {
		if x.ShiftID != a.ShiftID || x.PostID != a.PostID {
			continue
		}
		switch {
		case x.Status == AskAccepted:
			accepted++
		case x.Status == AskAsked && now.Before(x.DeadlineAt):
			waiting++
		}
	}
	if accepted >= a.Need || waiting > 0 {
		return 0, nil
	}
	return a.Need - accepted, nil
}

// unfilledTexts are the texts telling the squad leader and the staff that
// a's shift is short, once per shift and activation.
func (s *Service) unfilledTexts(ctx context.Context, a Ask, now time.Time, short int) (*dispatch.Pending, error) {
	msg, err := sms.ShiftUnfilled(a.Post, a.StartsAt, min(short, 99))
	if err != nil {
		return nil, err
	}
	phones, err := s.Directory.StaffPhones(ctx, a.CommunityID)
	if err != nil {
		return nil, err
	}
	post, err := s.Store.Post(ctx, a.PostID)
	if err != nil {
		return nil, err
	}
	if post.SquadLeader != "" {
		if v, err := s.Store.Volunteer(ctx, post.SquadLeader); err == nil && v.Status == StatusApproved {
			phones = append(phones, v.Phone)
		}
	}
	key := "unfilled:" + a.ActivationID + ":" + a.PostID + ":" + a.ShiftID
	texts := make([]dispatch.Text, 0, len(phones))
	for _, ph := range registry.Distinct(phones) {
		texts = append(texts, dispatch.TextOf(key, ph, msg))
	}
	return dispatch.PendingTexts(ctx, now, a.CommunityID, texts), nil
}
