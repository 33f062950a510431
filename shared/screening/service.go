package screening

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
)

// DefaultWithin is a row's deadline when neither the row nor the upload
// gives one.
const DefaultWithin = 24 * time.Hour

// matchersInFlight bounds the register reads of one upload: as many as
// the store's writes keep in flight.
const matchersInFlight = 16

// UploadInput is what an upload says beside its file.
type UploadInput struct {
	Name string
	// Deadline is the rows' deadline where a row has no 截止时间.
	Deadline *time.Time
}

// CommunityCount is a list's share of one community.
type CommunityCount struct {
	CommunityID string `json:"communityId"`
	Name        string `json:"name"`
	Tasks       int    `json:"tasks"`
	Verified    int    `json:"verified"`
	Open        int    `json:"open"`
	ToFind      int    `json:"toFind"`
	Overdue     int    `json:"overdue"`
	// Unfound are rows still to find, or answered no such person or
	// wrong address: what the sender must look for elsewhere.
	Unfound int `json:"unfound"`
}

// Summary is a list with how far each community is.
type Summary struct {
	List        List             `json:"list"`
	Communities []CommunityCount `json:"communities"`
	// Unplaced are rows no community of the street could be found for:
	// the street places them.
	Unplaced []Task `json:"unplaced"`
	// MatchedBy counts the rows matched by phone and by name and door.
	MatchedBy map[string]int `json:"matchedBy"`
	// Existing is true when the same file was uploaded before.
	Existing bool `json:"existing,omitempty"`
}

// Upload reads a list as it came, matches each row to the register of the
// street's communities and writes it as tasks, split by community. The
// first upload of a file claims its list (the name and deadlines given
// with it stand); rows are matched and written 500 at a time, and when the
// function's time runs short it stops and says so: the same file again
// goes on from the rows written, and answers the list once it is whole.
func (s *Service) Upload(ctx context.Context, p auth.Principal, streetID string, data []byte, in UploadInput) (Summary, error) {
	if err := auth.RequireStreet(p, streetID); err != nil {
		return Summary{}, err
	}
	now := s.Now()
	name, prob := safetext.Line(in.Name, 40, false)
	if prob != "" {
		return Summary{}, apperr.Validation.WithFields(apperr.FieldError{Field: "name", Reason: string(prob)})
	}
	fallback := now.Add(DefaultWithin)
	if in.Deadline != nil {
		if !in.Deadline.After(now) || !DeadlineInRange(*in.Deadline, now) {
			return Summary{}, apperr.Validation.WithFields(apperr.FieldError{Field: "deadline", Reason: "a time in the future, within 30 days"})
		}
		fallback = *in.Deadline
	}
	id := ListID(streetID, data)
	if l, err := s.Store.ScreeningList(ctx, id); err == nil && l.Ready {
		sum, err := s.summary(ctx, l)
		sum.Existing = true
		return sum, err
	} else if err != nil && !errors.Is(err, ErrListNotFound) {
		return Summary{}, err
	}
	header, rows, err := Parse(data, fallback, now)
	if err != nil {
		return Summary{}, err
	}
	if name == "" {
		name = "协查名单" + chinatime.In(now).Format("1月2日15:04")
	}
	l := List{ID: id, StreetID: streetID, Name: name, Columns: header, Rows: len(rows), UploadedBy: p.UserID, UploadedAt: now}
	for _, r := range rows {
		if l.Deadline.IsZero() || r.Deadline.Before(l.Deadline) {
			l.Deadline = r.Deadline
		}
		if r.Deadline.After(l.LastDeadline) {
			l.LastDeadline = r.Deadline
		}
	}
	l, claimed, err := s.Store.ClaimScreeningList(ctx, l)
	if err != nil {
		return Summary{}, err
	}
	// Rows an earlier upload of this file wrote before it stopped.
	written, err := s.Store.ListTasks(ctx, id)
	if err != nil {
		return Summary{}, err
	}
	done := map[string]bool{}
	for _, t := range written {
		done[t.ID] = true
	}
	communities, err := s.Store.StreetCommunities(ctx, streetID)
	if err != nil {
		return Summary{}, err
	}
	m := &matcher{store: s.Store, communities: communities, buildings: map[string][]registry.Building{}, households: map[string]door{}}
	var todo []Task
	for _, r := range rows {
		t := Task{ID: TaskID(id, r.Line), ListID: id, ListName: l.Name, StreetID: streetID, Line: r.Line, Cells: r.Cells, Name: r.Name,
			Phone: r.Phone, Address: r.Address, Category: r.Category, Deadline: r.Deadline}
		if !done[t.ID] {
			todo = append(todo, t)
		}
	}
	all := written
	for chunk := range slices.Chunk(todo, uploadChunk) {
		if ctx.Err() != nil {
			return Summary{}, ErrUploadIncomplete.WithRetryAfter(time.Second)
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(matchersInFlight)
		for i := range chunk {
			g.Go(func() error { return m.match(gctx, &chunk[i]) })
		}
		if err := g.Wait(); err != nil {
			if ctx.Err() != nil {
				return Summary{}, ErrUploadIncomplete.WithRetryAfter(time.Second)
			}
			return Summary{}, err
		}
		if err := s.Store.SaveScreeningTasks(ctx, l, chunk); err != nil {
			if ctx.Err() != nil {
				return Summary{}, ErrUploadIncomplete.WithRetryAfter(time.Second)
			}
			return Summary{}, err
		}
		all = append(all, chunk...)
	}
	parts := map[string]*Part{}
	for _, t := range all {
		if t.CommunityID == "" {
			continue
		}
		pt := parts[t.CommunityID]
		if pt == nil {
			pt = &Part{ListID: id, ListName: l.Name, CommunityID: t.CommunityID, DueAt: t.Deadline}
			parts[t.CommunityID] = pt
		}
		if t.Deadline.Before(pt.DueAt) {
			pt.DueAt = t.Deadline
		}
	}
	var ps []Part
	for _, pt := range parts {
		ps = append(ps, *pt)
	}
	if err := s.Store.FinishScreeningList(ctx, l, ps); err != nil {
		return Summary{}, err
	}
	l.Ready = true
	audit.Changed(ctx, "screeningList", nil, map[string]any{"list": id, "name": l.Name, "rows": len(rows)})
	sum, err := s.summary(ctx, l)
	sum.Existing = !claimed
	return sum, err
}

// uploadChunk is how many rows an upload matches before it writes them.
const uploadChunk = 500

// ErrUploadIncomplete is an upload stopped before the function's time ran
// out: the rows written stay, and the same file again goes on.
var ErrUploadIncomplete = apperr.New(apperr.KindUnavailable, "SCREENING_UPLOAD_INCOMPLETE", "名单未上传完，请重新上传同一文件以继续",
	"The upload stopped before its end: upload the same file again to finish it")

// summary counts a list's tasks per community at now.
func (s *Service) summary(ctx context.Context, l List) (Summary, error) {
	tasks, err := s.Store.ListTasks(ctx, l.ID)
	if err != nil {
		return Summary{}, err
	}
	communities, err := s.Store.StreetCommunities(ctx, l.StreetID)
	if err != nil {
		return Summary{}, err
	}
	names := map[string]string{}
	for _, c := range communities {
		names[c.ID] = c.Name
	}
	now := s.Now()
	by := map[string]*CommunityCount{}
	out := Summary{List: l.shown(), Communities: []CommunityCount{}, Unplaced: []Task{}, MatchedBy: map[string]int{}}
	for _, t := range tasks {
		if t.MatchedBy != "" {
			out.MatchedBy[t.MatchedBy]++
		}
		if t.CommunityID == "" {
			out.Unplaced = append(out.Unplaced, t.view(now))
			continue
		}
		c := by[t.CommunityID]
		if c == nil {
			c = &CommunityCount{CommunityID: t.CommunityID, Name: names[t.CommunityID]}
			by[t.CommunityID] = c
		}
		c.Tasks++
		switch t.Status {
		case StatusDone:
			c.Verified++
		case StatusOpen:
			c.Open++
		case StatusToFind:
			c.ToFind++
		}
		if t.overdue(now) {
			c.Overdue++
		}
		if t.Status == StatusToFind || t.Outcome == OutcomeNoSuchPerson || t.Outcome == OutcomeWrongAddress {
			c.Unfound++
		}
	}
	for _, c := range by {
		out.Communities = append(out.Communities, *c)
	}
	sort.Slice(out.Communities, func(i, j int) bool { return registry.NaturalLess(out.Communities[i].Name, out.Communities[j].Name) })
	return out, nil
}

// view is a task as a listing shows it at now.
func (t Task) view(now time.Time) Task {
	t.Overdue = t.overdue(now)
	t.Deadline = chinatime.In(t.Deadline)
	if t.VerifiedAt != nil {
		at := chinatime.In(*t.VerifiedAt)
		t.VerifiedAt = &at
	}
	if t.Candidates == nil {
		t.Candidates = []Candidate{}
	}
	return t
}

// Lists are a street's lists, the latest first.
func (s *Service) Lists(ctx context.Context, p auth.Principal, streetID string) ([]List, error) {
	if err := auth.RequireStreet(p, streetID); err != nil {
		return nil, err
	}
	ls, err := s.Store.StreetScreeningLists(ctx, streetID)
	if err != nil {
		return nil, err
	}
	out := []List{}
	for _, l := range ls {
		if l.Ready {
			out = append(out, l.shown())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UploadedAt.After(out[j].UploadedAt) })
	return out, nil
}

func (l List) shown() List {
	l.Deadline, l.LastDeadline, l.UploadedAt = chinatime.In(l.Deadline), chinatime.In(l.LastDeadline), chinatime.In(l.UploadedAt)
	return l
}

// list reads a ready list the caller may see: its street's admins.
func (s *Service) list(ctx context.Context, p auth.Principal, id string) (List, error) {
	l, err := s.Store.ScreeningList(ctx, id)
	if errors.Is(err, ErrListNotFound) || (err == nil && !l.Ready) {
		return List{}, ErrListNotFound
	}
	if err != nil {
		return List{}, err
	}
	if err := auth.RequireStreet(p, l.StreetID); err != nil {
		return List{}, err
	}
	return l.shown(), nil
}

// Progress is a list with how far each community is: verified, overdue
// and to find.
func (s *Service) Progress(ctx context.Context, p auth.Principal, id string) (Summary, error) {
	l, err := s.list(ctx, p, id)
	if err != nil {
		return Summary{}, err
	}
	return s.summary(ctx, l)
}

// FeedbackColumns follow the sender's in the file sent back.
var FeedbackColumns = []string{"核查结果", "管控措施", "核查人", "核查时间", "所属社区"}

// outcomeWords and measureWords are the answers as the sender reads them.
var outcomeWords = map[string]string{OutcomeFoundHome: "已核实在家", OutcomeAway: "不在本地", OutcomeNoSuchPerson: "查无此人", OutcomeWrongAddress: "地址错误"}

var measureWords = map[string]string{MeasureHomeIsolation: "居家隔离", MeasureHealthMonitoring: "健康监测", MeasureTransfer: "转运集中隔离", MeasureNone: "无"}

// Feedback is the list as it came, row for row, with what the door found.
func (s *Service) Feedback(ctx context.Context, p auth.Principal, id string) (header []string, rows [][]string, filename string, err error) {
	l, err := s.list(ctx, p, id)
	if err != nil {
		return nil, nil, "", err
	}
	tasks, err := s.Store.ListTasks(ctx, id)
	if err != nil {
		return nil, nil, "", err
	}
	communities, err := s.Store.StreetCommunities(ctx, l.StreetID)
	if err != nil {
		return nil, nil, "", err
	}
	names := map[string]string{}
	for _, c := range communities {
		names[c.ID] = c.Name
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Line < tasks[j].Line })
	header = append(slices.Clone(l.Columns), FeedbackColumns...)
	now := s.Now()
	for _, t := range tasks {
		result := outcomeWords[t.Outcome]
		switch {
		case t.Outcome == OutcomeAway && t.Where != "":
			result += "（" + t.Where + "）"
		case result == "" && t.overdue(now):
			result = "逾期未核查"
		case result == "" && t.Status == StatusToFind:
			result = "待查找"
		case result == "":
			result = "核查中"
		}
		at := ""
		if t.VerifiedAt != nil {
			at = chinatime.In(*t.VerifiedAt).Format("2006-01-02 15:04")
		}
		row := append(slices.Clone(t.Cells), result, measureWords[t.Measure], t.VerifiedBy, at, names[t.CommunityID])
		if t.Note != "" {
			row[len(t.Cells)] += "；" + t.Note
		}
		rows = append(rows, row)
	}
	audit.Counted(ctx, len(rows))
	return header, rows, "screening-" + id + ".csv", nil
}

// Pages of a community's tasks: a 5,000-row list answered whole would
// pass Lambda's 6 MB answer.
const (
	DefaultPage = 200
	MaxPage     = 500
)

// Tasks are a community's tasks, of one status (open, to_find, done,
// overdue; "" for all), by deadline, a page at a time: the cursor is the
// last task's deadline and id.
func (s *Service) Tasks(ctx context.Context, p auth.Principal, cid, status, cursor string, limit int) ([]Task, string, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return nil, "", err
	}
	if status != "" && !slices.Contains([]string{StatusOpen, StatusToFind, StatusDone, StatusOverdue}, status) {
		return nil, "", apperr.Validation.WithFields(apperr.FieldError{Field: "status", Reason: "one of open, to_find, done, overdue"})
	}
	var after pageKey
	if cursor != "" {
		var ok bool
		if after, ok = parseCursor(cursor); !ok {
			return nil, "", apperr.BadCursor
		}
	}
	stored := status
	if status == StatusOverdue {
		stored = ""
	}
	all, err := s.Store.CommunityTasks(ctx, cid, stored)
	if err != nil {
		return nil, "", err
	}
	now := s.Now()
	sort.Slice(all, func(i, j int) bool { return keyOf(all[i]).less(keyOf(all[j])) })
	out := []Task{}
	next := ""
	for _, t := range all {
		if status == StatusOverdue && !t.overdue(now) || cursor != "" && !after.less(keyOf(t)) {
			continue
		}
		if len(out) == limit {
			next = keyOf(out[len(out)-1]).String()
			break
		}
		out = append(out, t.view(now))
	}
	audit.Counted(ctx, len(out))
	return out, next, nil
}

// pageKey orders tasks in a listing: by deadline, then id.
type pageKey struct {
	at int64
	id string
}

func keyOf(t Task) pageKey { return pageKey{t.Deadline.Unix(), t.ID} }

func (k pageKey) less(o pageKey) bool { return k.at < o.at || k.at == o.at && k.id < o.id }

// String is the key as a cursor: the deadline's seconds, a dot, the id.
func (k pageKey) String() string { return strconv.FormatInt(k.at, 10) + "." + k.id }

func parseCursor(c string) (pageKey, bool) {
	at, id, ok := strings.Cut(c, ".")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || !registry.ValidID(id) {
		return pageKey{}, false
	}
	return pageKey{n, id}, true
}

// DoorTask is what the person sent to the door sees: who, where, what
// for, by when; nothing else of the resident.
type DoorTask struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Door     string    `json:"door"`
	Category string    `json:"category"`
	Deadline time.Time `json:"deadline"`
	Status   string    `json:"status"`
	Outcome  string    `json:"outcome,omitempty"`
	Overdue  bool      `json:"overdue"`
}

// Mine are the tasks given to the caller (a volunteer, or staff), open
// first, by deadline.
func (s *Service) Mine(ctx context.Context, p auth.Principal) ([]DoorTask, error) {
	kind, who, cid := assignee(p)
	if who == "" {
		return nil, apperr.Forbidden
	}
	all, err := s.Store.CommunityTasks(ctx, cid, "")
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := []DoorTask{}
	for _, t := range all {
		if t.AssigneeKind != kind || t.AssigneeID != who {
			continue
		}
		out = append(out, t.door(now))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Status == StatusDone) != (out[j].Status == StatusDone) {
			return out[j].Status == StatusDone
		}
		return out[i].Deadline.Before(out[j].Deadline)
	})
	return out, nil
}

// assignee is who p is as a task's assignee: staff before volunteer.
func assignee(p auth.Principal) (kind, id, cid string) {
	switch {
	case p.Has(manifest.RoleStaff) && p.StaffCommunityID != "":
		return "staff", p.UserID, p.StaffCommunityID
	case p.Has(manifest.RoleVolunteer) && p.VolunteerID != "":
		return "volunteer", p.VolunteerID, p.VolunteerCommunityID
	}
	return "", "", ""
}

// AssignInput gives tasks to a staff member (by phone) or a volunteer.
type AssignInput struct {
	TaskIDs     []string `json:"taskIds"`
	StaffPhone  string   `json:"staffPhone"`
	VolunteerID string   `json:"volunteerId"`
}

// MaxAssign is how many tasks one call gives.
const MaxAssign = 200

// Assign gives a community's tasks to one person: a staff member of the
// community, or an approved volunteer with a screening post's shift.
func (s *Service) Assign(ctx context.Context, p auth.Principal, cid string, in AssignInput) ([]Task, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return nil, err
	}
	var fields []apperr.FieldError
	ids := registry.Distinct(in.TaskIDs)
	if len(ids) == 0 || len(ids) > MaxAssign {
		fields = append(fields, apperr.FieldError{Field: "taskIds", Reason: fmt.Sprintf("%d to %d tasks", 1, MaxAssign)})
	}
	for i, id := range ids {
		if !registry.ValidID(id) {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("taskIds[%d]", i), Reason: "no such task in this community"})
		}
	}
	if (in.StaffPhone == "") == (in.VolunteerID == "") {
		fields = append(fields, apperr.FieldError{Field: "staffPhone", Reason: "give one of them"})
	}
	if len(fields) > 0 {
		return nil, apperr.Validation.WithFields(fields...)
	}
	var to Assignment
	if in.StaffPhone != "" {
		ph, err := phone.Normalize(in.StaffPhone)
		if err != nil {
			return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "staffPhone", Reason: "11-digit mainland mobile number"})
		}
		acct, err := s.Store.AccountByPhone(ctx, ph)
		if err != nil && !errors.Is(err, auth.ErrNoAccount) {
			return nil, err
		}
		if err != nil || !acct.Has(manifest.RoleStaff) || acct.StaffCommunityID != cid {
			return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "staffPhone", Reason: "not a staff member of this community"})
		}
		to = Assignment{Kind: "staff", ID: acct.UserID, Name: acct.Name}
	} else {
		if !registry.ValidID(in.VolunteerID) {
			return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "volunteerId", Reason: "a volunteer of this community on a screening post"})
		}
		name, ok, err := s.Store.ScreeningVolunteer(ctx, cid, in.VolunteerID, s.Now())
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "volunteerId", Reason: "a volunteer of this community on a screening post"})
		}
		to = Assignment{Kind: "volunteer", ID: in.VolunteerID, Name: name}
	}
	// Every task is read before any is written: one not of the community
	// refuses the call, and nothing is given.
	tasks := make([]Task, 0, len(ids))
	for i, id := range ids {
		t, err := s.Store.Task(ctx, id)
		if errors.Is(err, ErrTaskNotFound) || (err == nil && t.CommunityID != cid) {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("taskIds[%d]", i), Reason: "no such task in this community"})
			continue
		}
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	if len(fields) > 0 {
		return nil, apperr.Validation.WithFields(fields...)
	}
	now := s.Now()
	out := []Task{}
	for _, t := range tasks {
		if t.AssigneeKind == to.Kind && t.AssigneeID == to.ID {
			out = append(out, t.view(now))
			continue
		}
		t.AssigneeKind, t.AssigneeID, t.AssigneeName = to.Kind, to.ID, to.Name
		if err := s.Store.SaveTask(ctx, t, nil); err != nil {
			return nil, err
		}
		t.Version++
		out = append(out, t.view(now))
	}
	audit.Changed(ctx, "screeningAssign", nil, map[string]any{"tasks": len(tasks), "to": to.Kind + ":" + to.ID})
	return out, nil
}

// MatchInput says who a task's row is (a resident), or, for the street,
// which community is to find them.
type MatchInput struct {
	ResidentID  string `json:"residentId"`
	CommunityID string `json:"communityId"`
}

// Match settles a row to find: the resident staff found it to be, or (a
// street admin placing an unplaced row) the community to find them in.
func (s *Service) Match(ctx context.Context, p auth.Principal, id string, in MatchInput) (Task, error) {
	t, err := s.task(ctx, p, id)
	if err != nil {
		return Task{}, err
	}
	if t.Status == StatusDone {
		return Task{}, ErrTaskDone
	}
	if (in.ResidentID == "") == (in.CommunityID == "") {
		return Task{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentId", Reason: "give one of them"})
	}
	var part *Part
	if in.ResidentID != "" {
		r, err := s.Store.Resident(ctx, in.ResidentID)
		if !registry.ValidID(in.ResidentID) || errors.Is(err, registry.ErrNotFound) || (err == nil && !r.Current()) {
			return Task{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentId", Reason: "no such resident in this street"})
		}
		if err != nil {
			return Task{}, err
		}
		street, err := s.Store.StreetOf(ctx, r.CommunityID)
		if err != nil || street != t.StreetID {
			return Task{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentId", Reason: "no such resident in this street"})
		}
		if err := auth.RequireCommunity(ctx, p, r.CommunityID, s.Store); err != nil {
			return Task{}, err
		}
		h, _, err := s.Store.Household(ctx, r.HouseholdID)
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return Task{}, err
		}
		t.set(r, h, "staff")
	} else {
		if !registry.ValidID(in.CommunityID) {
			return Task{}, apperr.Validation.WithFields(apperr.FieldError{Field: "communityId", Reason: "a community of this street"})
		}
		street, err := s.Store.StreetOf(ctx, in.CommunityID)
		if errors.Is(err, auth.ErrNoCommunity) || (err == nil && street != t.StreetID) {
			return Task{}, apperr.Validation.WithFields(apperr.FieldError{Field: "communityId", Reason: "a community of this street"})
		}
		if err != nil {
			return Task{}, err
		}
		if err := auth.RequireStreet(p, t.StreetID); err != nil {
			return Task{}, err
		}
		t.CommunityID, t.Status, t.Why = in.CommunityID, StatusToFind, WhyNoMatch
	}
	part = &Part{ListID: t.ListID, ListName: t.ListName, CommunityID: t.CommunityID, DueAt: t.Deadline}
	t.AssigneeKind, t.AssigneeID, t.AssigneeName = "", "", ""
	if err := s.Store.SaveTask(ctx, t, part); err != nil {
		return Task{}, err
	}
	audit.Changed(ctx, "screeningTask", nil, map[string]any{"task": t.ID, "resident": t.ResidentID, "community": t.CommunityID})
	return t.view(s.Now()), nil
}

// task reads a task of a ready list the caller may act on: staff of its
// community, its street's admins (every task of the street), the person
// it is given to.
func (s *Service) task(ctx context.Context, p auth.Principal, id string) (Task, error) {
	if !registry.ValidID(id) {
		return Task{}, ErrTaskNotFound
	}
	t, err := s.Store.Task(ctx, id)
	if err != nil {
		return Task{}, err
	}
	if p.Has(manifest.RoleAdmin) && p.StreetID == t.StreetID {
		return t, nil
	}
	if kind, who, _ := assignee(p); who != "" && t.AssigneeKind == kind && t.AssigneeID == who {
		return t, nil
	}
	if t.CommunityID != "" && p.Has(manifest.RoleStaff) && p.StaffCommunityID == t.CommunityID {
		return t, nil
	}
	if p.Has(manifest.RoleVolunteer) && p.VolunteerCommunityID == t.CommunityID {
		return Task{}, ErrNotYourTask
	}
	// Task ids are not guessed (the list's is a digest of its file): one
	// of another community is refused as such, like a household of one.
	return Task{}, apperr.Forbidden
}

// OutcomeInput is what the door found.
type OutcomeInput struct {
	Outcome string `json:"outcome"`
	Where   string `json:"where"`
	Measure string `json:"measure"`
	Note    string `json:"note"`
}

// Record writes what the door found; staff may write it again (a
// correction), the person sent only over their own open task. Staff get
// the task back, the person sent what their own list shows (a DoorTask).
func (s *Service) Record(ctx context.Context, p auth.Principal, id string, in OutcomeInput) (any, error) {
	t, err := s.task(ctx, p, id)
	if err != nil {
		return nil, err
	}
	staff := (p.Has(manifest.RoleStaff) && p.StaffCommunityID == t.CommunityID && t.CommunityID != "") || (p.Has(manifest.RoleAdmin) && p.StreetID == t.StreetID)
	if !staff && t.Status == StatusDone {
		return nil, ErrTaskDone
	}
	var fields []apperr.FieldError
	if !slices.Contains(Outcomes, in.Outcome) {
		fields = append(fields, apperr.FieldError{Field: "outcome", Reason: "one of " + strings.Join(Outcomes, ", ")})
	}
	if in.Measure == "" {
		in.Measure = MeasureNone
	}
	if !slices.Contains(Measures, in.Measure) {
		fields = append(fields, apperr.FieldError{Field: "measure", Reason: "one of " + strings.Join(Measures, ", ")})
	}
	where, prob := safetext.Line(in.Where, 60, false)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "where", Reason: string(prob)})
	}
	if prob == "" && where == "" && in.Outcome == OutcomeAway {
		fields = append(fields, apperr.FieldError{Field: "where", Reason: "where they are, with outcome away"})
	}
	if in.Outcome != OutcomeAway && where != "" {
		fields = append(fields, apperr.FieldError{Field: "where", Reason: "only with outcome away"})
	}
	note, prob := safetext.Line(in.Note, 200, false)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "note", Reason: string(prob)})
	}
	if t.Status == StatusToFind && (in.Outcome == OutcomeFoundHome || in.Outcome == OutcomeAway) {
		fields = append(fields, apperr.FieldError{Field: "outcome", Reason: "say who the row is first (match), or no_such_person or wrong_address"})
	}
	if in.Outcome != OutcomeFoundHome && in.Outcome != OutcomeAway && in.Measure != MeasureNone {
		fields = append(fields, apperr.FieldError{Field: "measure", Reason: "none when the person was not found"})
	}
	if len(fields) > 0 {
		return nil, apperr.Validation.WithFields(fields...)
	}
	before := map[string]any{"outcome": t.Outcome, "measure": t.Measure}
	now := s.Now()
	// Who verified, by name, as the sender reads it back.
	by := t.AssigneeName
	if staff {
		m, err := s.Store.StaffMember(ctx, p)
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return nil, err
		}
		by = m.Name
	}
	if by == "" {
		by = p.UserID
	}
	// The watch this task opened stands until staff end it: an answer that
	// would no longer name it is refused until then.
	if t.WatchID != "" && (in.Outcome != t.Outcome || in.Measure != t.Measure) {
		return nil, ErrTaskWatched
	}
	// A measure that names a watch opens it, before the answer is kept: a
	// failure keeps neither, and the same answer again finds the watch.
	if (in.Measure == MeasureHomeIsolation || in.Measure == MeasureHealthMonitoring) && in.Outcome == OutcomeFoundHome &&
		t.ResidentID != "" && t.CommunityID != "" && t.WatchID == "" && s.Watches != nil {
		id, err := s.Watches.OpenWatch(ctx, p, t.CommunityID, []string{t.ResidentID}, in.Measure, t.ID)
		if err != nil {
			return nil, err
		}
		t.WatchID = id
	}
	t.Status, t.Outcome, t.Where, t.Measure, t.Note, t.VerifiedBy, t.VerifiedAt = StatusDone, in.Outcome, where, in.Measure, note, by, &now
	if err := s.Store.SaveTask(ctx, t, nil); err != nil {
		return nil, err
	}
	audit.Changed(ctx, "screeningTask", before, map[string]any{"task": t.ID, "outcome": t.Outcome, "measure": t.Measure})
	if !staff {
		return t.door(now), nil // the person at the door sees no more than their list
	}
	return t.view(now), nil
}

// door is a task as the person sent to the door sees it.
func (t Task) door(now time.Time) DoorTask {
	return DoorTask{ID: t.ID, Name: t.Name, Door: t.Door, Category: t.Category, Deadline: chinatime.In(t.Deadline), Status: t.Status,
		Outcome: t.Outcome, Overdue: t.overdue(now)}
}

// Escalate texts who must know of each community's list gone overdue: the
// staff on duty at the first deadline, every staff member and the
// street's admins EscalateAfter later; once each. A run that fails is
// retried; what it texted is not again.
func (s *Service) Escalate(ctx context.Context, now time.Time) (int, error) {
	due, err := s.Store.DueScreenings(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, pt := range due {
		up, err := s.escalate(ctx, pt, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if up {
			n++
		}
	}
	return n, errors.Join(errs...)
}

func (s *Service) escalate(ctx context.Context, pt Part, now time.Time) (bool, error) {
	if pt.Level >= 2 {
		return false, nil
	}
	tasks, err := s.Store.ListTasks(ctx, pt.ListID)
	if err != nil {
		return false, err
	}
	late := 0
	var next time.Time
	for _, t := range tasks {
		if t.CommunityID != pt.CommunityID || !t.open() {
			continue
		}
		if t.overdue(now) {
			late++
		} else if next.IsZero() || t.Deadline.Before(next) {
			next = t.Deadline
		}
	}
	if late == 0 {
		// Nothing late: off the index, or on it at the next deadline.
		var at *time.Time
		if !next.IsZero() {
			at = &next
		}
		_, err := s.Store.ScreeningEscalated(ctx, pt, pt.Level, at, nil)
		return false, err
	}
	level := pt.Level + 1
	var phones []string
	var at *time.Time
	if level == 1 {
		phones, err = s.Alarm.OnDutyPhones(ctx, pt.CommunityID)
		then := now.Add(EscalateAfter)
		at = &then
	} else {
		phones, err = s.Alarm.EveryonePhones(ctx, pt.CommunityID)
	}
	if err != nil {
		return false, err
	}
	name := pt.ListName
	if utf8.RuneCountInString(name) > 10 {
		name = string([]rune(name)[:9]) + "…"
	}
	msg, err := sms.ScreeningOverdue(name, late, int(now.Sub(pt.DueAt).Minutes()))
	if err != nil {
		return false, err
	}
	var texts []dispatch.Text
	for _, ph := range registry.Distinct(phones) {
		texts = append(texts, dispatch.AlertOf(fmt.Sprintf("screening-overdue:%s:%s:%d", pt.ListID, pt.CommunityID, level), ph, msg))
	}
	pending := dispatch.PendingTexts(ctx, now, pt.CommunityID, texts)
	up, err := s.Store.ScreeningEscalated(ctx, pt, level, at, pending)
	if err != nil || !up {
		return false, err
	}
	s.Outbox.Flush(ctx, pending)
	return true, nil
}
