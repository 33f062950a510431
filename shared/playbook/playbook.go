// Package playbook is the peace/war switch of a community (平战转换): its
// playbook (预案) is an ordered list of steps for switching to emergency and
// one for switching back, each with an owner role, a checklist and, where
// the system can do it, an action (seal buildings, open a testing round,
// activate volunteers' posts, send a notice). Switching runs the list: the
// actions run at once, in order, under the caller's rights and each with
// its audit entry; staff tick the rest; the run shows who did what when and
// what is late. A run marked as a drill (演练) does the same, except that
// its SMS go to the drill's outbox, its zones are set on paper only, and
// what it created is removed in one call.
package playbook

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/volunteers"
)

// Modes of a community.
const (
	ModeNormal    = "normal"
	ModeEmergency = "emergency"
)

// Kinds of action a step may carry.
const (
	ActionSealBuildings    = "seal_buildings"
	ActionReleaseBuildings = "release_buildings"
	ActionOpenRound        = "open_round"
	ActionActivatePosts    = "activate_posts"
	ActionSendNotice       = "send_notice"
	// ActionOpenSite opens a spare site (备用点) of the round the run opened,
	// by its name: the step staff tick when a site falls out or the queue
	// grows.
	ActionOpenSite = "open_site"
	// ActionCheckReserves checks the community's reserve (隔离储备): the
	// step's result names each item below its minimum.
	ActionCheckReserves = "check_reserves"
)

var actionKinds = []string{ActionSealBuildings, ActionReleaseBuildings, ActionOpenRound, ActionActivatePosts, ActionSendNotice, ActionOpenSite, ActionCheckReserves}

// Step statuses in a run.
const (
	StepPending = "pending"
	StepRunning = "running"
	StepDone    = "done"
	StepFailed  = "failed"
)

// Limits of a playbook.
const (
	MaxSteps         = 30
	MaxChecklist     = 20
	MaxDueMinutes    = 7 * 24 * 60
	DefaultRetention = 30
	MaxRetention     = 365
	// MinRetention is the shortest retention: an emergency's records stay
	// long enough for the follow-up (two incubation periods) whatever a
	// playbook says.
	MinRetention = 14
)

// Playbook is a community's procedure for switching modes.
type Playbook struct {
	CommunityID string `json:"communityId"`
	// Emergency runs when the community switches to emergency; Normal when
	// it switches back.
	Emergency []Step `json:"emergency"`
	Normal    []Step `json:"normal"`
	// RetentionDays: personal data of an emergency expires this many days
	// after it ends.
	RetentionDays int        `json:"retentionDays"`
	UpdatedAt     *time.Time `json:"updatedAt,omitempty"`
	UpdatedBy     string     `json:"updatedBy,omitempty"`
	// Version guards against two editors saving over each other.
	Version int `json:"version"`
	// Template is the street's template it was copied from, as it was;
	// TemplateChanges what the community changed since (read only: a save
	// keeps the stored template).
	Template        *Base    `json:"template,omitempty"`
	TemplateChanges *Changes `json:"templateChanges,omitempty"`
}

// Step is one thing to do.
type Step struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Owner is the role that answers for it: staff (staff or admins tick
	// it) or admin (street admins only).
	Owner string `json:"owner"`
	// DueMinutes: the step is late this long after the switch.
	DueMinutes int      `json:"dueMinutes"`
	Checklist  []string `json:"checklist,omitempty"`
	Action     *Action  `json:"action,omitempty"`
}

// Action is what the system does for a step.
type Action struct {
	Kind string `json:"kind"`
	// BuildingIDs to seal or release; a release without them releases what
	// the emergency being ended sealed.
	BuildingIDs []string `json:"buildingIds,omitempty"`
	// Level of a seal: sealed (default) or controlled.
	Level      string              `json:"level,omitempty"`
	Round      *RoundTemplate      `json:"round,omitempty"`
	Activation *ActivationTemplate `json:"activation,omitempty"`
	Notice     *NoticeTemplate     `json:"notice,omitempty"`
	// Site is the name of the spare site open_site opens.
	Site string `json:"site,omitempty"`
}

// RoundTemplate opens a testing round when the step runs.
type RoundTemplate struct {
	Name           string              `json:"name"`
	StartInMinutes int                 `json:"startInMinutes"`
	Hours          int                 `json:"hours"`
	SlotMinutes    int                 `json:"slotMinutes"`
	Sites          []booking.SiteInput `json:"sites"`
}

// ActivationTemplate calls volunteers when the step runs: exactly one of
// all, postIds, categories, as POST /activations takes them.
type ActivationTemplate struct {
	All        bool     `json:"all,omitempty"`
	PostIDs    []string `json:"postIds,omitempty"`
	Categories []string `json:"categories,omitempty"`
	// Minutes an A has to answer; 0 for the default.
	Minutes int `json:"minutes,omitempty"`
}

func (t ActivationTemplate) input() volunteers.ActivationInput {
	in := volunteers.ActivationInput{Scope: volunteers.Scope{All: t.All, PostIDs: t.PostIDs, Categories: t.Categories}}
	if t.Minutes != 0 {
		in.Minutes = &t.Minutes
	}
	return in
}

// NoticeTemplate sends a notice when the step runs: to everyone (all), to
// buildings, or to the buildings the run has sealed so far (toSealed).
type NoticeTemplate struct {
	Title       string   `json:"title"`
	Body        string   `json:"body"`
	Channels    []string `json:"channels"`
	Urgent      bool     `json:"urgent,omitempty"`
	All         bool     `json:"all,omitempty"`
	BuildingIDs []string `json:"buildingIds,omitempty"`
	ToSealed    bool     `json:"toSealed,omitempty"`
}

// input is the notice to send; sealed stands in for toSealed's buildings.
func (t NoticeTemplate) input(sealed []string) notices.NoticeInput {
	in := notices.NoticeInput{Title: t.Title, Body: t.Body, Channels: t.Channels, Urgent: t.Urgent,
		Audience: notices.Audience{All: t.All, BuildingIDs: t.BuildingIDs}}
	if t.ToSealed {
		in.Audience = notices.Audience{BuildingIDs: sealed}
	}
	return in
}

// Errors of playbooks and runs.
var (
	ErrRunNotFound   = apperr.New(apperr.KindNotFound, "RUN_NOT_FOUND", "预案执行记录不存在", "No such run")
	ErrStepNotFound  = apperr.New(apperr.KindNotFound, "STEP_NOT_FOUND", "该步骤不存在", "No such step in this run")
	ErrChanged       = apperr.New(apperr.KindConflict, "CHANGED_MEANWHILE", "数据已被他人修改，请刷新后重试", "Someone changed it meanwhile: reload and try again")
	ErrAlreadyInMode = apperr.New(apperr.KindConflict, "ALREADY_IN_MODE", "社区已处于该状态", "The community is in that mode already")
	ErrDrillRunning  = apperr.New(apperr.KindConflict, "DRILL_RUNNING", "已有演练在进行，请先结束", "A drill is running: end it first")
	ErrNoDrill       = apperr.New(apperr.KindConflict, "NO_DRILL_RUNNING", "没有进行中的演练", "No drill is running")
	ErrStepRunning   = apperr.New(apperr.KindConflict, "STEP_RUNNING", "该步骤正在执行", "The step is running")
	ErrNotADrill     = apperr.New(apperr.KindConflict, "NOT_A_DRILL", "该记录不是演练", "This run is not a drill")
	ErrNoRound       = apperr.New(apperr.KindConflict, "NO_ROUND_OPENED", "本次执行尚未开设检测轮次，无法开放备用点", "This run opened no round: no spare site to open")
	ErrDrillRemoved  = apperr.New(apperr.KindConflict, "DRILL_REMOVED", "该演练的数据已删除", "This drill's data was removed")
	ErrNotOwner      = apperr.New(apperr.KindForbidden, "NOT_STEP_OWNER", "该步骤由街道管理员负责", "A street admin answers for this step")
	ErrAdminOnly     = apperr.New(apperr.KindForbidden, "STREET_ADMIN_ONLY", "只有街道管理员可以修改街道签批步骤和数据保留期限", "Only a street admin changes the street's sign-offs and the retention period")
)

// adminOnly is what of next only a street admin may change from prev: the
// retention period, and the street's sign-offs (an admin-owned step may
// not be removed or given to staff). Staff may add sign-offs.
func adminOnly(prev, next Playbook) []apperr.FieldError {
	var fields []apperr.FieldError
	if prev.RetentionDays != next.RetentionDays {
		fields = append(fields, apperr.FieldError{Field: "retentionDays", Reason: "only a street admin changes it"})
	}
	for _, list := range []struct {
		name       string
		prev, next []Step
	}{{"emergency", prev.Emergency, next.Emergency}, {"normal", prev.Normal, next.Normal}} {
		for _, st := range list.prev {
			if st.Owner != string(manifest.RoleAdmin) {
				continue
			}
			i := slices.IndexFunc(list.next, func(n Step) bool { return n.ID == st.ID })
			if i < 0 || list.next[i].Owner != string(manifest.RoleAdmin) {
				fields = append(fields, apperr.FieldError{Field: list.name, Reason: fmt.Sprintf("step %s is the street's sign-off: only a street admin removes it or gives it to staff", st.ID)})
			}
		}
	}
	return fields
}

// stepIDRE is compiled on first use, not at cold start.
var stepIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,19}$`) })

// check validates a playbook's shape; what needs the community's data
// (buildings, posts, the notice's text) the service checks after.
func (pb *Playbook) check() []apperr.FieldError {
	var fields []apperr.FieldError
	if pb.RetentionDays == 0 {
		pb.RetentionDays = DefaultRetention
	}
	if pb.RetentionDays < MinRetention || pb.RetentionDays > MaxRetention {
		fields = append(fields, apperr.FieldError{Field: "retentionDays", Reason: fmt.Sprintf("from %d to %d", MinRetention, MaxRetention)})
	}
	for _, list := range []struct {
		name  string
		steps []Step
	}{{"emergency", pb.Emergency}, {"normal", pb.Normal}} {
		if len(list.steps) > MaxSteps {
			fields = append(fields, apperr.FieldError{Field: list.name, Reason: fmt.Sprintf("at most %d", MaxSteps)})
			continue
		}
		seen := map[string]bool{}
		for i := range list.steps {
			st := &list.steps[i]
			at := fmt.Sprintf("%s[%d]", list.name, i)
			if !stepIDRE().MatchString(st.ID) {
				fields = append(fields, apperr.FieldError{Field: at + ".id", Reason: "1 to 20 of a-z, 0-9 and -"})
			} else if seen[st.ID] {
				fields = append(fields, apperr.FieldError{Field: at + ".id", Reason: "used twice"})
			}
			seen[st.ID] = true
			var problem safetext.Problem
			if st.Title, problem = safetext.Line(st.Title, 64, true); problem != "" {
				fields = append(fields, apperr.FieldError{Field: at + ".title", Reason: string(problem)})
			}
			if st.Owner == "" {
				st.Owner = string(manifest.RoleStaff)
			}
			if st.Owner != string(manifest.RoleStaff) && st.Owner != string(manifest.RoleAdmin) {
				fields = append(fields, apperr.FieldError{Field: at + ".owner", Reason: "staff or admin"})
			}
			if st.DueMinutes < 0 || st.DueMinutes > MaxDueMinutes {
				fields = append(fields, apperr.FieldError{Field: at + ".dueMinutes", Reason: fmt.Sprintf("from %d to %d", 0, MaxDueMinutes)})
			}
			if len(st.Checklist) > MaxChecklist {
				fields = append(fields, apperr.FieldError{Field: at + ".checklist", Reason: fmt.Sprintf("at most %d", MaxChecklist)})
			}
			for j := range st.Checklist {
				if st.Checklist[j], problem = safetext.Line(st.Checklist[j], 100, true); problem != "" {
					fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("%s.checklist[%d]", at, j), Reason: string(problem)})
				}
			}
			if st.Action != nil {
				fields = append(fields, st.Action.check(at+".action")...)
			}
		}
	}
	return fields
}

func (a *Action) check(at string) []apperr.FieldError {
	var fields []apperr.FieldError
	bad := func(field, reason string) {
		fields = append(fields, apperr.FieldError{Field: at + field, Reason: reason})
	}
	if !slices.Contains(actionKinds, a.Kind) {
		bad(".kind", fmt.Sprint("one of ", actionKinds))
		return fields
	}
	want := map[string]bool{
		".buildingIds": len(a.BuildingIDs) > 0, ".level": a.Level != "", ".round": a.Round != nil,
		".activation": a.Activation != nil, ".notice": a.Notice != nil, ".site": a.Site != "",
	}
	allowed := map[string][]string{
		ActionSealBuildings:    {".buildingIds", ".level"},
		ActionReleaseBuildings: {".buildingIds"},
		ActionOpenRound:        {".round"},
		ActionActivatePosts:    {".activation"},
		ActionSendNotice:       {".notice"},
		ActionOpenSite:         {".site"},
		ActionCheckReserves:    {},
	}[a.Kind]
	for f, given := range want {
		if given && !slices.Contains(allowed, f) {
			bad(f, "not taken by "+a.Kind)
		}
	}
	switch a.Kind {
	case ActionSealBuildings:
		if len(a.BuildingIDs) == 0 || len(a.BuildingIDs) > 45 {
			bad(".buildingIds", "1 to 45 buildings")
		}
		if a.Level == "" {
			a.Level = notices.LevelSealed
		}
		if a.Level != notices.LevelSealed && a.Level != notices.LevelControlled {
			bad(".level", "sealed or controlled")
		}
	case ActionReleaseBuildings:
		if len(a.BuildingIDs) > 45 {
			bad(".buildingIds", "1 to 45 buildings")
		}
	case ActionOpenRound:
		if a.Round == nil {
			bad(".round", "required")
			break
		}
		r := a.Round
		var problem safetext.Problem
		if r.Name, problem = safetext.Line(r.Name, 64, true); problem != "" {
			bad(".round.name", string(problem))
		}
		if r.StartInMinutes < 0 || r.StartInMinutes > 24*60 {
			bad(".round.startInMinutes", fmt.Sprintf("from %d to %d", 0, 24*60))
		}
		if r.Hours < 1 || r.Hours > 24 {
			bad(".round.hours", fmt.Sprintf("from %d to %d", 1, 24))
		}
		if r.SlotMinutes < 5 || r.SlotMinutes > 240 {
			bad(".round.slotMinutes", "from 5 to 240")
		}
		if len(r.Sites) == 0 || len(r.Sites) > 10 {
			bad(".round.sites", fmt.Sprintf("%d to %d", 1, 10))
		}
		for i, site := range r.Sites {
			if _, problem := safetext.Line(site.Name, 64, true); problem != "" {
				bad(fmt.Sprintf(".round.sites[%d].name", i), string(problem))
			} else if !sms.PlainText(site.Name) {
				bad(fmt.Sprintf(".round.sites[%d].name", i), "not sendable by SMS: no links, phone numbers, brackets or symbols such as ¥ ★ & ※")
			}
			if site.Lanes < 1 || site.Lanes > 50 {
				bad(fmt.Sprintf(".round.sites[%d].lanes", i), fmt.Sprintf("from %d to %d", 1, 50))
			}
			if site.PerLanePerSlot < 1 || site.PerLanePerSlot > 500 {
				bad(fmt.Sprintf(".round.sites[%d].perLanePerSlot", i), fmt.Sprintf("from %d to %d", 1, 500))
			}
			if site.OpensAt != nil || site.ClosesAt != nil {
				bad(fmt.Sprintf(".round.sites[%d].opensAt", i), "not taken by a playbook's round: its sites keep the round's hours")
			}
		}
		if spares := slices.IndexFunc(r.Sites, func(s booking.SiteInput) bool { return !s.Spare }); spares < 0 && len(r.Sites) > 0 {
			bad(".round.sites", "at least one site that is not a spare")
		}
	case ActionActivatePosts:
		if a.Activation == nil {
			bad(".activation", "required")
			break
		}
		t := a.Activation
		if b2i(t.All)+b2i(len(t.PostIDs) > 0)+b2i(len(t.Categories) > 0) != 1 {
			bad(".activation", `exactly one of {"all":true}, {"postIds":[…]}, {"categories":[…]}`)
		}
		if t.Minutes < 0 || t.Minutes > volunteers.MaxMinutes {
			bad(".activation.minutes", fmt.Sprintf("from %d to %d", 1, volunteers.MaxMinutes))
		}
	case ActionOpenSite:
		var problem safetext.Problem
		if a.Site, problem = safetext.Line(a.Site, 64, true); problem != "" {
			bad(".site", string(problem))
		}
	case ActionSendNotice:
		if a.Notice == nil {
			bad(".notice", "required")
			break
		}
		if n := a.Notice; b2i(n.All)+b2i(len(n.BuildingIDs) > 0)+b2i(n.ToSealed) != 1 {
			bad(".notice", `exactly one of {"all":true}, {"buildingIds":[…]}, {"toSealed":true}`)
		}
	}
	return fields
}

// Run is one switch of a community's mode and its steps.
type Run struct {
	ID          string    `json:"id"`
	CommunityID string    `json:"communityId"`
	Mode        string    `json:"mode"`
	Drill       bool      `json:"drill"`
	StartedAt   time.Time `json:"startedAt"`
	StartedBy   string    `json:"startedBy"`
	// Ends is the emergency run a normal run ends; EndedBy the normal run
	// that ended this emergency.
	Ends    string    `json:"ends,omitempty"`
	EndedBy string    `json:"endedBy,omitempty"`
	Steps   []RunStep `json:"steps"`
	// Sealed are the buildings this run sealed; a release without
	// buildings releases them. Zones are a drill's, set on paper only.
	Sealed  []string       `json:"sealed,omitempty"`
	Zones   []notices.Zone `json:"zones,omitempty"`
	Created Created        `json:"created"`
	Removed *DrillRemoval  `json:"drillDataRemoved,omitempty"`
	Version int            `json:"version"`
}

// Created is what a run's actions made: a drill's is removed with it.
type Created struct {
	Rounds      []string `json:"rounds,omitempty"`
	Notices     []string `json:"notices,omitempty"`
	Activations []string `json:"activations,omitempty"`
}

// DrillRemoval records that a drill's data was removed.
type DrillRemoval struct {
	At    time.Time `json:"at"`
	By    string    `json:"by"`
	Items int       `json:"items"`
}

// RunStep is a step of a run and how it went.
type RunStep struct {
	Step
	Status string     `json:"status"`
	DoneAt *time.Time `json:"doneAt,omitempty"`
	DoneBy string     `json:"doneBy,omitempty"`
	Note   string     `json:"note,omitempty"`
	// Result says what the action did; Error why it failed (a stable code).
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
	// StartedAt is when its action last started: a running step older than
	// a request's life is taken to have died with it.
	StartedAt *time.Time `json:"startedAt,omitempty"`
	// SecondsFromSwitch, Late and LateBySeconds are worked out when the
	// run is read: how long after the switch the step was done, and whether
	// (and by how long) it passed its due time, done or not.
	SecondsFromSwitch *int `json:"secondsFromSwitch,omitempty"`
	Late              bool `json:"late"`
	LateBySeconds     int  `json:"lateBySeconds,omitempty"`
}

// DrillTag is the id a drill's work carries: the emergency drill run's,
// shared by the run that ends it.
func (r Run) DrillTag() string {
	switch {
	case !r.Drill:
		return ""
	case r.Ends != "":
		return r.Ends
	}
	return r.ID
}

// marked fills in lateness at now.
func (r *Run) marked(now time.Time) {
	for i := range r.Steps {
		st := &r.Steps[i]
		due := r.StartedAt.Add(time.Duration(st.DueMinutes) * time.Minute)
		end := now
		if st.DoneAt != nil {
			end = *st.DoneAt
		}
		st.SecondsFromSwitch = nil
		if st.DoneAt != nil {
			secs := int(st.DoneAt.Sub(r.StartedAt) / time.Second)
			st.SecondsFromSwitch = &secs
		}
		st.Late = end.After(due)
		st.LateBySeconds = 0
		if st.Late {
			st.LateBySeconds = int(end.Sub(due) / time.Second)
		}
	}
}

func (r *Run) step(id string) (*RunStep, error) {
	for i := range r.Steps {
		if r.Steps[i].ID == id {
			return &r.Steps[i], nil
		}
	}
	return nil, ErrStepNotFound
}

// State is a community's current mode.
type State struct {
	CommunityID string     `json:"communityId"`
	Mode        string     `json:"mode"`
	Since       *time.Time `json:"since,omitempty"`
	// RunID is the run that put the community in its mode.
	RunID string `json:"runId,omitempty"`
	// DrillRunID is the drill under way, if any.
	DrillRunID string `json:"drillRunId,omitempty"`
	Version    int    `json:"version"`
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
