package screening

import (
	"context"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/registry"
)

// List is a list as a street admin uploaded it.
type List struct {
	ID       string `json:"id"`
	StreetID string `json:"streetId"`
	Name     string `json:"name"`
	// Columns are the sender's header, as it came: the feedback file
	// answers in them.
	Columns []string `json:"columns"`
	Rows    int      `json:"rows"`
	// Deadline is the earliest row's, LastDeadline the latest's.
	Deadline     time.Time `json:"deadline"`
	LastDeadline time.Time `json:"lastDeadline"`
	UploadedBy   string    `json:"uploadedBy"`
	UploadedAt   time.Time `json:"uploadedAt"`
	// Ready is false while the upload writes its rows: a list not ready
	// is nobody's work yet (the same file again finishes it).
	Ready bool `json:"-"`
}

// Statuses of a task.
const (
	// StatusToFind is a row matched to nobody or to several: staff pick
	// the person (or answer that there is no such person).
	StatusToFind = "to_find"
	// StatusOpen is a row matched to a resident, to verify at the door.
	StatusOpen = "open"
	// StatusDone is a row with what the door found.
	StatusDone = "done"
	// StatusOverdue is asked for in a listing: open or to find, past the
	// deadline.
	StatusOverdue = "overdue"
)

// Why a row is to find.
const (
	WhyNoMatch     = "no_match"     // nobody in the register
	WhySeveral     = "several"      // more than one person could be it
	WhyOtherName   = "other_name"   // the phone is a resident's of another name
	WhyNoCommunity = "no_community" // no community of the street: the street places it
)

// Outcomes at the door.
const (
	OutcomeFoundHome    = "found_home"
	OutcomeAway         = "away"
	OutcomeNoSuchPerson = "no_such_person"
	OutcomeWrongAddress = "wrong_address"
)

// Outcomes are the door's answers, in the order the console shows them.
var Outcomes = []string{OutcomeFoundHome, OutcomeAway, OutcomeNoSuchPerson, OutcomeWrongAddress}

// Measures taken.
const (
	MeasureHomeIsolation    = "home_isolation"
	MeasureHealthMonitoring = "health_monitoring"
	MeasureTransfer         = "transfer"
	MeasureNone             = "none"
)

// Measures are what staff may take, in the order the console shows them.
var Measures = []string{MeasureHomeIsolation, MeasureHealthMonitoring, MeasureTransfer, MeasureNone}

// Candidate is a resident a row may be.
type Candidate struct {
	ResidentID  string `json:"residentId"`
	Name        string `json:"name"`
	CommunityID string `json:"communityId"`
	Door        string `json:"door"`
	// Why is what they share with the row: name, phone or address.
	Why string `json:"why"`
}

// Task is a list's row as the community works it.
type Task struct {
	ID       string `json:"id"`
	ListID   string `json:"listId"`
	ListName string `json:"listName"`
	StreetID string `json:"streetId"`
	Line     int    `json:"line"`
	// Cells are the sender's columns (identity number masked): kept for
	// the feedback file, not shown in listings.
	Cells    []string  `json:"-"`
	Name     string    `json:"name"`
	Phone    string    `json:"phone,omitempty"`
	Address  string    `json:"address"`
	Category string    `json:"category"`
	Deadline time.Time `json:"deadline"`
	// CommunityID is empty while no community of the street is known.
	CommunityID string      `json:"communityId,omitempty"`
	Status      string      `json:"status"`
	Why         string      `json:"why,omitempty"`
	ResidentID  string      `json:"residentId,omitempty"`
	HouseholdID string      `json:"householdId,omitempty"`
	Door        string      `json:"door,omitempty"`
	MatchedBy   string      `json:"matchedBy,omitempty"`
	Candidates  []Candidate `json:"candidates,omitempty"`
	// Who goes to the door.
	AssigneeKind string `json:"assigneeKind,omitempty"`
	AssigneeID   string `json:"assigneeId,omitempty"`
	AssigneeName string `json:"assigneeName,omitempty"`
	// What the door found.
	Outcome string `json:"outcome,omitempty"`
	Where   string `json:"where,omitempty"`
	Measure string `json:"measure,omitempty"`
	Note    string `json:"note,omitempty"`
	// WatchID is the watch the measure opened, if any.
	WatchID    string     `json:"watchId,omitempty"`
	VerifiedBy string     `json:"verifiedBy,omitempty"`
	VerifiedAt *time.Time `json:"verifiedAt,omitempty"`
	Overdue    bool       `json:"overdue"`
	// Version counts the task's writes: one is written only over the
	// version it read.
	Version int `json:"-"`
}

// open says whether the task still waits for the door.
func (t Task) open() bool { return t.Status != StatusDone }

// overdue says whether the task is open past its deadline at now.
func (t Task) overdue(now time.Time) bool { return t.open() && !now.Before(t.Deadline) }

// Part is a list's share of one community: what escalates when its tasks
// are overdue.
type Part struct {
	ListID      string
	ListName    string
	CommunityID string
	DueAt       time.Time
	Level       int
}

// Assignment gives tasks to one person.
type Assignment struct {
	Kind, ID, Name string
}

// Store keeps lists and tasks, and reads the register.
type Store interface {
	auth.StreetResolver
	StreetCommunities(ctx context.Context, streetID string) ([]registry.Community, error)
	AccountByPhone(ctx context.Context, phone string) (auth.Account, error)
	ResidentsByPhone(ctx context.Context, cid, phone string) ([]registry.Resident, error)
	ResidentsByName(ctx context.Context, cid, prefix, cursor string, limit int) ([]registry.Resident, string, error)
	Resident(ctx context.Context, rid string) (registry.Resident, error)
	Household(ctx context.Context, hid string) (registry.Household, []registry.Resident, error)
	Buildings(ctx context.Context, cid, cursor string, limit int) ([]registry.Building, string, error)

	// ScreeningList reads a list; ErrListNotFound when there is none.
	ScreeningList(ctx context.Context, id string) (List, error)
	// ClaimScreeningList writes a list not ready where there is none, and
	// answers the list as stored: claimed is false when it was there.
	ClaimScreeningList(ctx context.Context, l List) (stored List, claimed bool, err error)
	// SaveScreeningTasks writes a list's tasks, none over one already there.
	SaveScreeningTasks(ctx context.Context, l List, tasks []Task) error
	// FinishScreeningList writes a list's parts and marks it ready.
	FinishScreeningList(ctx context.Context, l List, parts []Part) error
	// StaffMember reads the staff or admin record of p: whose name a
	// verification carries.
	StaffMember(ctx context.Context, p auth.Principal) (registry.Staff, error)
	StreetScreeningLists(ctx context.Context, streetID string) ([]List, error)
	ListTasks(ctx context.Context, listID string) ([]Task, error)
	// CommunityTasks lists a community's tasks, of one status ("" for all).
	CommunityTasks(ctx context.Context, cid, status string) ([]Task, error)
	Task(ctx context.Context, id string) (Task, error)
	// SaveTask writes t over the version it read (ErrTaskChanged when
	// another write came first), and the part of its community if new.
	SaveTask(ctx context.Context, t Task, part *Part) error
	// DueScreenings are the parts due for escalation at now.
	DueScreenings(ctx context.Context, now time.Time) ([]Part, error)
	// ScreeningEscalated moves a part from one level to the next, with its
	// alert, and to its next escalation (or off the index).
	ScreeningEscalated(ctx context.Context, p Part, to int, next *time.Time, pending *dispatch.Pending) (bool, error)
	// ScreeningVolunteer reads an approved volunteer of the community with
	// a shift on a screening post not yet over at at: their name.
	ScreeningVolunteer(ctx context.Context, cid, volunteerID string, at time.Time) (string, bool, error)
}

// Alarm is who an overdue list is texted to.
type Alarm interface {
	OnDutyPhones(ctx context.Context, cid string) ([]string, error)
	EveryonePhones(ctx context.Context, cid string) ([]string, error)
}

// Watches opens the watch a measure at the door names (home isolation,
// health monitoring): its id, or "" when the person is under one already.
type Watches interface {
	OpenWatch(ctx context.Context, p auth.Principal, cid string, residentIDs []string, kind, ref string) (string, error)
}

// Service is screening lists and their tasks.
type Service struct {
	Store   Store
	Alarm   Alarm
	Watches Watches
	Outbox  *dispatch.Outbox
	Now     func() time.Time
}

// Errors of screening.
var (
	ErrListNotFound = apperr.New(apperr.KindNotFound, "SCREENING_LIST_NOT_FOUND", "没有这份协查名单", "No such screening list")
	ErrTaskNotFound = apperr.New(apperr.KindNotFound, "SCREENING_TASK_NOT_FOUND", "没有这条核查任务", "No such screening task")
	ErrTaskChanged  = apperr.New(apperr.KindConflict, "SCREENING_TASK_CHANGED", "该任务刚被他人修改，请刷新后重试", "The task changed meanwhile: reload and try again")
	ErrTaskDone     = apperr.New(apperr.KindConflict, "SCREENING_TASK_DONE", "该任务已核查完毕", "The task is verified already")
	ErrNotYourTask  = apperr.New(apperr.KindForbidden, "NOT_YOUR_TASK", "这不是分派给您的任务", "The task is not yours")
	ErrTaskWatched  = apperr.New(apperr.KindConflict, "SCREENING_TASK_WATCHED", "此人已按本任务居家隔离或健康监测，请先在隔离页解除再更改",
		"The task's measure put the person under a watch: end it before changing the answer")
)

// EscalateAfter is how long after the first alert the whole office and
// the street are texted.
const EscalateAfter = 2 * time.Hour
