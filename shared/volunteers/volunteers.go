// Package volunteers holds a community's volunteers (志愿者): sign-up and
// approval, posts with shifts and A/B roles (AB角) under a squad leader
// (小队长), one-click activation and response (一键启动、一键响应) with
// backups called when an A does not come, check-in at the post by a rotating
// code, and the hours they served.
package volunteers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
)

// Categories are where volunteers come from, as the seed report counts them.
var Categories = []string{
	"party_member",   // 双报到党员
	"partner_unit",   // 联建单位
	"veteran",        // 退役军人
	"emergency_team", // 应急专业队伍
	"individual",     // 个人志愿者
}

// CategoryNames are the categories as a sheet says them.
var CategoryNames = map[string]string{"party_member": "双报到党员", "partner_unit": "联建单位", "veteran": "退役军人",
	"emergency_team": "应急专业队伍", "individual": "个人志愿者"}

// Skills a volunteer offers and a post needs.
var Skills = []string{"medical", "driving", "registration", "disinfection", "delivery", "counselling", "other"}

// Statuses of a volunteer.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
	StatusInactive = "inactive"
)

// Window is a weekly time the volunteer can serve: Day 1 is Monday, 7
// Sunday; From and To are HH:MM in Beijing time.
type Window struct {
	Day  int    `json:"day"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Volunteer is a person who serves a community.
type Volunteer struct {
	ID           string   `json:"id"`
	CommunityID  string   `json:"communityId"`
	Name         string   `json:"name"`
	Phone        string   `json:"phone"`
	Category     string   `json:"category"`
	Skills       []string `json:"skills"`
	Availability []Window `json:"availability"`
	Status       string   `json:"status"`
	// BuildingID is where they live, when they are a resident of the
	// community: suggestions put posts of their own building first.
	BuildingID string     `json:"buildingId,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	DecidedAt  *time.Time `json:"decidedAt,omitempty"`
	DecidedBy  string     `json:"decidedBy,omitempty"`
}

// SignupInput is what a person gives to sign up.
type SignupInput struct {
	Name         string   `json:"name"`
	Phone        string   `json:"phone"`
	Code         string   `json:"code"`
	Category     string   `json:"category"`
	Skills       []string `json:"skills"`
	Availability []Window `json:"availability"`
}

// Errors of volunteers.
var (
	ErrVolunteerNotFound = apperr.New(apperr.KindNotFound, "VOLUNTEER_NOT_FOUND", "志愿者不存在", "No such volunteer")
	ErrAlreadySignedUp   = apperr.New(apperr.KindConflict, "ALREADY_SIGNED_UP", "该手机号已报名或已是志愿者", "This phone has signed up or volunteers already")
	ErrNotPending        = apperr.New(apperr.KindConflict, "VOLUNTEER_CHANGED", "志愿者状态已变化，请刷新后重试", "The volunteer's status changed meanwhile: read it again")
	ErrPostNotFound      = apperr.New(apperr.KindNotFound, "POST_NOT_FOUND", "岗位不存在", "No such post")
	ErrShiftFull         = apperr.New(apperr.KindConflict, "SHIFT_FULL", "该班次此角色已排满", "This shift has all the people of that role")
	ErrAlreadyAssigned   = apperr.New(apperr.KindConflict, "ALREADY_ASSIGNED", "该志愿者已排在此班次", "The volunteer is on this shift already")
	ErrNotApproved       = apperr.New(apperr.KindConflict, "VOLUNTEER_NOT_APPROVED", "志愿者未通过审核或已停用", "The volunteer is not approved, or is inactive")
	ErrActivationMissing = apperr.New(apperr.KindNotFound, "ACTIVATION_NOT_FOUND", "启动记录不存在", "No such activation")
	ErrNotAsked          = apperr.New(apperr.KindConflict, "NOT_ASKED", "本次启动未呼叫您，或已答复", "You were not asked in this activation, or answered already")
	ErrNothingToActivate = apperr.New(apperr.KindConflict, "NOTHING_TO_ACTIVATE", "所选范围内没有未结束班次的A岗志愿者", "No A volunteer of a shift not yet over in that scope")
	ErrCodeRefused       = apperr.New(apperr.KindForbidden, "CHECKIN_CODE_INVALID", "签到码无效或已过期，请重新扫码", "The check-in code is invalid or expired: scan again")
	ErrNotOnShift        = apperr.New(apperr.KindForbidden, "NOT_ON_SHIFT", "您不在该岗位当前班次", "You are not on a shift of this post now")
	ErrOverlap           = apperr.New(apperr.KindConflict, "SHIFT_OVERLAP", "该志愿者同一时间已有其他班次", "The volunteer has another shift at that time")
	ErrAlreadyCalled     = apperr.New(apperr.KindConflict, "ALREADY_CALLED", "同一范围的召集正在进行，请查看上次的启动记录", "A call of the same scope is under way: see the last activation")
	ErrCodeTries         = apperr.New(apperr.KindRateLimited, "CHECKIN_CODE_TRIES", "到岗码错误次数过多，请稍后再试或扫码签到", "Too many wrong check-in codes: try later, or scan")
	ErrCheckedIn         = apperr.New(apperr.KindConflict, "ALREADY_CHECKED_IN", "您已签到，请先签退", "You are checked in already: check out first")
	ErrNotCheckedIn      = apperr.New(apperr.KindConflict, "NOT_CHECKED_IN", "您未在该岗位签到", "You are not checked in at this post")
)

// ErrAskedBefore says a backup was asked in the activation already: the job
// tries the next. It never reaches a caller.
var ErrAskedBefore = errors.New("volunteers: asked before in this activation")

// Store is what volunteers need of storage.
type Store interface {
	// CreateVolunteer writes a pending volunteer and the phone's claim on
	// signing up: ErrAlreadySignedUp while another sign-up of the phone is
	// pending or approved.
	CreateVolunteer(ctx context.Context, v Volunteer) error
	Volunteer(ctx context.Context, id string) (Volunteer, error)
	Volunteers(ctx context.Context, communityID string) ([]Volunteer, error)
	// DecideVolunteer moves a volunteer from one status to another (with the
	// phone's account given or taken the volunteer role) with the texts it
	// leaves pending, or ErrNotPending.
	DecideVolunteer(ctx context.Context, v Volunteer, from string, pending *dispatch.Pending) error

	CreatePost(ctx context.Context, p Post) error
	Post(ctx context.Context, id string) (Post, error)
	Posts(ctx context.Context, communityID string) ([]Post, error)
	// Assign writes an assignment, counted against its shift's need for
	// its role: ErrShiftFull, ErrAlreadyAssigned.
	Assign(ctx context.Context, p Post, a Assignment, leader bool) error
	// Unassign removes an assignment and gives its place back, once.
	Unassign(ctx context.Context, a Assignment) error
	Assignments(ctx context.Context, postID string) ([]Assignment, error)
	VolunteerAssignments(ctx context.Context, volunteerID string) ([]Assignment, error)

	// CreateActivation writes an activation and its asks, unless one of the
	// same community and scope is under way (until): ErrAlreadyCalled. The
	// activation itself is written last, with the messages pending.
	CreateActivation(ctx context.Context, a Activation, asks []Ask, scope string, until time.Time, pending *dispatch.Pending) error
	Activation(ctx context.Context, id string) (Activation, []Ask, error)
	// Answer records a volunteer's answer to every ask of theirs in the
	// activation that is still open (asked, or silent when accepting).
	Answer(ctx context.Context, activationID, volunteerID, status string, at time.Time) ([]Ask, error)
	VolunteerAsks(ctx context.Context, volunteerID string, since time.Time) ([]Ask, error)
	// DueAsks are asks whose deadline passed (asked) or that were declined,
	// not yet handled by the backup job.
	DueAsks(ctx context.Context, now time.Time) ([]Ask, error)
	// SettleAsk takes a due ask off the job's list, marking an unanswered
	// one silent: false when another run did (or the volunteer answered).
	// In the same transaction it writes the backup's ask next, if any
	// (ErrAskedBefore when they were asked in the activation), and the
	// texts pending.
	SettleAsk(ctx context.Context, a Ask, next *Ask, pending *dispatch.Pending) (bool, error)

	StartServing(ctx context.Context, c Checkin) error
	Serving(ctx context.Context, volunteerID string) (Checkin, error)
	// OpenCheckins reads the open check-ins of some volunteers (those not
	// checked in are absent).
	OpenCheckins(ctx context.Context, volunteerIDs []string) ([]Checkin, error)
	StopServing(ctx context.Context, c Checkin) error
	Hours(ctx context.Context, communityID, month string) ([]Checkin, error)
}

// Accounts finds whose a phone is.
type Accounts interface {
	AccountByPhone(ctx context.Context, phone string) (auth.Account, error)
}

// Directory is what volunteers read of the registry.
type Directory interface {
	auth.StreetResolver
	Community(ctx context.Context, id string) (registry.Community, error)
	StaffPhones(ctx context.Context, communityID string) ([]string, error)
	// HasBuilding says whether a building is the community's.
	HasBuilding(ctx context.Context, communityID, buildingID string) (bool, error)
	StreetCommunities(ctx context.Context, streetID string) ([]registry.Community, error)
}

// Phones proves a phone by its SMS code.
type Phones interface {
	// VerifyPhone checks and uses up a sign-up code; it answers the
	// community whose sign-up link the code was asked with.
	VerifyPhone(ctx context.Context, phone, code, ip string) (string, error)
}

// Limiter counts requests in fixed windows (the store's).
type Limiter interface {
	Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error)
	Give(ctx context.Context, key string, window time.Duration, now time.Time) error
}

// Service runs volunteering.
type Service struct {
	Store Store
	// Loans keeps the street's loans of volunteers between communities.
	Loans LoanStore
	// Trainings keeps the street's trainings and who attended.
	Trainings TrainingStore
	Accounts  Accounts
	Directory Directory
	// Sites says whether a sampling site is of a community (a post at it).
	Sites interface {
		SiteInCommunity(ctx context.Context, communityID, siteID string) (bool, error)
	}
	// Queue takes the SMS of activations (the dispatch queue).
	Queue dispatch.Queue
	// Outbox sends the texts a change left pending.
	Outbox *dispatch.Outbox
	// Deliveries gives back the doors a deactivated volunteer was taking.
	Deliveries interface {
		ReleaseDeliveries(ctx context.Context, communityID, deliverer, by string) (int, error)
	}
	// Limiter counts the six-digit check-in codes a volunteer tries.
	Limiter Limiter
	Now     func() time.Time
}

// clockRE is compiled on first use, not at cold start.
var clockRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`) })

// Signup records a person's offer to volunteer, pending staff approval. The
// phone is proven by the code POST /v1/auth/otp {purpose: signup} sent.
func (s *Service) Signup(ctx context.Context, phones Phones, cid string, in SignupInput, ip string) (Volunteer, error) {
	var fields []apperr.FieldError
	name, problem := safetext.Line(in.Name, 32, true)
	if problem != "" {
		fields = append(fields, apperr.FieldError{Field: "name", Reason: string(problem)})
	}
	ph, err := phone.Normalize(in.Phone)
	if err != nil {
		fields = append(fields, apperr.FieldError{Field: "phone", Reason: "11-digit mainland mobile number"})
	}
	if !sixDigits(in.Code) {
		fields = append(fields, apperr.FieldError{Field: "code", Reason: "the 6 digits of the SMS"})
	}
	if !slices.Contains(Categories, in.Category) {
		fields = append(fields, apperr.FieldError{Field: "category", Reason: fmt.Sprint("one of ", Categories)})
	}
	fields = append(fields, checkSkills("skills", in.Skills)...)
	if len(in.Availability) > 21 {
		fields = append(fields, apperr.FieldError{Field: "availability", Reason: fmt.Sprintf("at most %d", 21)})
	}
	for i, w := range in.Availability {
		if w.Day < 1 || w.Day > 7 || !clockRE().MatchString(w.From) || !clockRE().MatchString(w.To) || w.From >= w.To {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("availability[%d]", i), Reason: "day 1 to 7, from before to, HH:MM"})
		}
	}
	if len(fields) > 0 {
		return Volunteer{}, apperr.Validation.WithFields(fields...)
	}
	if _, err := s.Directory.Community(ctx, cid); err != nil {
		if errors.Is(err, registry.ErrNotFound) {
			return Volunteer{}, apperr.NotFound
		}
		return Volunteer{}, err
	}
	linked, err := phones.VerifyPhone(ctx, ph, in.Code, ip)
	if err != nil {
		return Volunteer{}, err
	}
	if linked != cid {
		// The code was asked with another community's link: a sign-up
		// goes where its poster was.
		return Volunteer{}, auth.ErrSignupLink
	}
	v := Volunteer{ID: registry.NewID("v"), CommunityID: cid, Name: name, Phone: ph, Category: in.Category,
		Skills: uniq(in.Skills), Availability: in.Availability, Status: StatusPending, CreatedAt: chinatime.In(s.Now())}
	if v.Availability == nil {
		v.Availability = []Window{}
	}
	acct, err := s.Accounts.AccountByPhone(ctx, ph)
	switch {
	case err == nil && acct.VolunteerID != "":
		return Volunteer{}, ErrAlreadySignedUp
	case err == nil && acct.ResidentCommunityID == cid:
		v.BuildingID = registry.BuildingOf(acct.HouseholdID)
	case err != nil && !errors.Is(err, auth.ErrNoAccount):
		return Volunteer{}, err
	}
	if err := s.Store.CreateVolunteer(ctx, v); err != nil {
		return Volunteer{}, err
	}
	logging.From(ctx).Info("volunteer signed up", "volunteer", v.ID, "phone", logging.MaskPhone(ph))
	return v, nil
}

func sixDigits(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func checkSkills(field string, skills []string) []apperr.FieldError {
	var fields []apperr.FieldError
	if len(skills) > len(Skills) {
		fields = append(fields, apperr.FieldError{Field: field, Reason: fmt.Sprintf("at most %d", len(Skills))})
		return fields
	}
	for i, sk := range skills {
		if !slices.Contains(Skills, sk) {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: fmt.Sprint("one of ", Skills)})
		}
	}
	return fields
}

func uniq(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// List is a community's volunteers, for its staff; status filters.
func (s *Service) List(ctx context.Context, p auth.Principal, cid, status string) ([]Volunteer, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return nil, err
	}
	if status != "" && !slices.Contains([]string{StatusPending, StatusApproved, StatusRejected, StatusInactive}, status) {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "status", Reason: "one of pending, approved, rejected, inactive"})
	}
	all, err := s.Store.Volunteers(ctx, cid)
	if err != nil {
		return nil, err
	}
	out := []Volunteer{}
	for _, v := range all {
		if status == "" || v.Status == status {
			out = append(out, v)
		}
	}
	return out, nil
}

// Decide approves, rejects or deactivates a volunteer. Approval gives the
// phone's account the volunteer role (a resident keeps theirs: one person,
// several roles) and texts them; deactivation takes it away.
func (s *Service) Decide(ctx context.Context, p auth.Principal, id, to string) (Volunteer, error) {
	if !registry.ValidID(id) {
		return Volunteer{}, ErrVolunteerNotFound
	}
	v, err := s.Store.Volunteer(ctx, id)
	if err != nil {
		return Volunteer{}, err
	}
	if err := auth.RequireCommunity(ctx, p, v.CommunityID, s.Directory); err != nil {
		return Volunteer{}, err
	}
	allowed := map[string][]string{StatusApproved: {StatusPending, StatusInactive}, StatusRejected: {StatusPending}, StatusInactive: {StatusApproved}}
	if !slices.Contains(allowed[to], v.Status) {
		return Volunteer{}, ErrNotPending
	}
	from := v.Status
	now := chinatime.In(s.Now())
	v.Status, v.DecidedAt, v.DecidedBy = to, &now, p.UserID
	// The approval's text is written with the approval.
	var told *dispatch.Pending
	if to == StatusApproved {
		c, err := s.Directory.Community(ctx, v.CommunityID)
		if err != nil {
			return Volunteer{}, err
		}
		if msg, err := sms.VolunteerApproved(v.Name, c.Name); err != nil {
			logging.From(ctx).Warn("approved volunteer not texted", "volunteer", v.ID, "err", err)
		} else {
			told = dispatch.PendingTexts(ctx, now, v.CommunityID, []dispatch.Text{dispatch.SharedOf("approved:"+v.ID+":"+now.Format(time.RFC3339), v.Phone, dispatch.ShareRoutine, msg)})
		}
	}
	// Who delivers as this volunteer: their account, read before the
	// decision takes the volunteer role from it.
	deliverer := ""
	if acct, err := s.Accounts.AccountByPhone(ctx, v.Phone); err == nil && acct.VolunteerID == v.ID {
		deliverer = acct.UserID
	}
	if err := s.Store.DecideVolunteer(ctx, v, from, told); err != nil {
		return Volunteer{}, err
	}
	s.Outbox.Flush(ctx, told)
	if to == StatusInactive {
		// Their places on shifts to come are free for others, and the doors
		// they were taking go back to staff: no longer theirs to read.
		if err := s.unassignAll(ctx, v.ID); err != nil {
			logging.From(ctx).Warn("a deactivated volunteer's shifts were not all freed", "volunteer", v.ID, "err", err)
		}
		if deliverer != "" {
			if _, err := s.Deliveries.ReleaseDeliveries(ctx, v.CommunityID, deliverer, p.UserID); err != nil {
				logging.From(ctx).Warn("a deactivated volunteer's deliveries were not all given back", "volunteer", v.ID, "err", err)
			}
		}
	}
	return v, nil
}

// isStaffOf says whether p manages community cid.
func isStaffOf(ctx context.Context, p auth.Principal, cid string, d Directory) bool {
	return auth.RequireCommunity(ctx, p, cid, d) == nil
}

// volunteerOf is the caller's volunteer id in cid, if they volunteer there.
func volunteerOf(p auth.Principal, cid string) string {
	if p.Has(manifest.RoleVolunteer) && p.VolunteerCommunityID == cid {
		return p.VolunteerID
	}
	return ""
}

// unassignAll frees a volunteer's places on shifts not yet over.
func (s *Service) unassignAll(ctx context.Context, vid string) error {
	theirs, err := s.Store.VolunteerAssignments(ctx, vid)
	if err != nil {
		return err
	}
	now := s.Now()
	var errs []error
	for _, a := range theirs {
		if a.EndsAt.After(now) {
			errs = append(errs, s.Store.Unassign(ctx, a))
		}
	}
	return errors.Join(errs...)
}
