package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/screening"
	"github.com/fangxian/fangxian/shared/volunteers"
)

var _ screening.Store = (*Store)(nil)

// screeningKeep is how long after a list's last deadline its rows are kept
// (PIPL minimisation): the sender has its file back long before.
const screeningKeep = 30 * 24 * time.Hour

type screeningListItem struct {
	keys
	ID           string   `dynamodbav:"id"`
	StreetID     string   `dynamodbav:"streetId"`
	Name         string   `dynamodbav:"name"`
	Columns      []string `dynamodbav:"columns"`
	Rows         int      `dynamodbav:"rows"`
	Deadline     when     `dynamodbav:"deadline"`
	LastDeadline when     `dynamodbav:"lastDeadline"`
	UploadedBy   string   `dynamodbav:"uploadedBy"`
	UploadedAt   when     `dynamodbav:"uploadedAt"`
	Ready        bool     `dynamodbav:"ready"`
	ExpiresAt    int64    `dynamodbav:"expiresAt"`
}

func (it screeningListItem) domain() screening.List {
	return screening.List{ID: it.ID, StreetID: it.StreetID, Name: it.Name, Columns: it.Columns, Rows: it.Rows, Deadline: it.Deadline.time(),
		LastDeadline: it.LastDeadline.time(), UploadedBy: it.UploadedBy, UploadedAt: it.UploadedAt.time(), Ready: it.Ready}
}

type screeningTaskItem struct {
	keys
	ID           string                `dynamodbav:"id"`
	ListID       string                `dynamodbav:"listId"`
	ListName     string                `dynamodbav:"listName"`
	StreetID     string                `dynamodbav:"streetId"`
	Line         int                   `dynamodbav:"line"`
	Cells        []string              `dynamodbav:"cells"`
	Name         string                `dynamodbav:"name"`
	Phone        string                `dynamodbav:"phone,omitempty"`
	Address      string                `dynamodbav:"address,omitempty"`
	Category     string                `dynamodbav:"category"`
	Deadline     when                  `dynamodbav:"deadline"`
	CommunityID  string                `dynamodbav:"communityId,omitempty"`
	Status       string                `dynamodbav:"status"`
	Why          string                `dynamodbav:"why,omitempty"`
	ResidentID   string                `dynamodbav:"residentId,omitempty"`
	HouseholdID  string                `dynamodbav:"householdId,omitempty"`
	Door         string                `dynamodbav:"door,omitempty"`
	MatchedBy    string                `dynamodbav:"matchedBy,omitempty"`
	Candidates   []screening.Candidate `dynamodbav:"candidates,omitempty"`
	AssigneeKind string                `dynamodbav:"assigneeKind,omitempty"`
	AssigneeID   string                `dynamodbav:"assigneeId,omitempty"`
	AssigneeName string                `dynamodbav:"assigneeName,omitempty"`
	Outcome      string                `dynamodbav:"outcome,omitempty"`
	Where        string                `dynamodbav:"where,omitempty"`
	Measure      string                `dynamodbav:"measure,omitempty"`
	Note         string                `dynamodbav:"note,omitempty"`
	WatchID      string                `dynamodbav:"watchId,omitempty"`
	VerifiedBy   string                `dynamodbav:"verifiedBy,omitempty"`
	VerifiedAt   string                `dynamodbav:"verifiedAt,omitempty"`
	Version      int                   `dynamodbav:"version"`
	ExpiresAt    int64                 `dynamodbav:"expiresAt"`
}

func (it screeningTaskItem) domain() screening.Task {
	return screening.Task{ID: it.ID, ListID: it.ListID, ListName: it.ListName, StreetID: it.StreetID, Line: it.Line, Cells: it.Cells, Name: it.Name,
		Phone: it.Phone, Address: it.Address, Category: it.Category, Deadline: it.Deadline.time(), CommunityID: it.CommunityID, Status: it.Status,
		Why: it.Why, ResidentID: it.ResidentID, HouseholdID: it.HouseholdID, Door: it.Door, MatchedBy: it.MatchedBy, Candidates: it.Candidates,
		AssigneeKind: it.AssigneeKind, AssigneeID: it.AssigneeID, AssigneeName: it.AssigneeName, Outcome: it.Outcome, Where: it.Where,
		Measure: it.Measure, Note: it.Note, WatchID: it.WatchID, VerifiedBy: it.VerifiedBy, VerifiedAt: optionalTime(it.VerifiedAt), Version: it.Version}
}

// screeningTaskRecord is a task's item at version: in its community's
// index by status and deadline when it has a community.
func screeningTaskRecord(t screening.Task, version int, expires time.Time) (map[string]types.AttributeValue, error) {
	k := ScreeningTaskKey(t.ID)
	ks := keys{PK: k.PK, SK: k.SK, Type: "screeningTask"}
	if t.CommunityID != "" {
		ix := ScreeningTasksIndex(t.CommunityID, t.Status, t.Deadline, t.ID)
		ks.GSI1PK, ks.GSI1SK = ix.PK, ix.SK
	}
	it := screeningTaskItem{keys: ks, ID: t.ID, ListID: t.ListID, ListName: t.ListName, StreetID: t.StreetID, Line: t.Line, Cells: t.Cells,
		Name: t.Name, Phone: t.Phone, Address: t.Address, Category: t.Category, Deadline: stamp(t.Deadline), CommunityID: t.CommunityID,
		Status: t.Status, Why: t.Why, ResidentID: t.ResidentID, HouseholdID: t.HouseholdID, Door: t.Door, MatchedBy: t.MatchedBy,
		Candidates: t.Candidates, AssigneeKind: t.AssigneeKind, AssigneeID: t.AssigneeID, AssigneeName: t.AssigneeName, Outcome: t.Outcome,
		Where: t.Where, Measure: t.Measure, Note: t.Note, WatchID: t.WatchID, VerifiedBy: t.VerifiedBy, Version: version, ExpiresAt: expires.Unix()}
	if t.VerifiedAt != nil {
		it.VerifiedAt = formatTime(*t.VerifiedAt)
	}
	return record(it)
}

type screeningPartItem struct {
	keys
	ListID      string `dynamodbav:"listId"`
	ListName    string `dynamodbav:"listName"`
	CommunityID string `dynamodbav:"communityId"`
	DueAt       when   `dynamodbav:"dueAt"`
	Level       int    `dynamodbav:"level"`
	ExpiresAt   int64  `dynamodbav:"expiresAt"`
}

// ScreeningList reads a list.
func (s *Store) ScreeningList(ctx context.Context, id string) (screening.List, error) {
	var it screeningListItem
	err := s.get(ctx, ScreeningListKey(id), &it)
	if errors.Is(err, errNotFound) {
		return screening.List{}, screening.ErrListNotFound
	}
	if err != nil {
		return screening.List{}, err
	}
	return it.domain(), nil
}

// screeningExpiry is when a list's rows go: 30 days after its last
// deadline, or after its upload when that is later.
func screeningExpiry(l screening.List) time.Time {
	last := l.LastDeadline
	if l.UploadedAt.After(last) {
		last = l.UploadedAt
	}
	return last.Add(screeningKeep)
}

// ClaimScreeningList writes a list, not ready, where there is none; the
// list already there (a concurrent or an unfinished upload of the same
// file) is answered instead, and its name and deadlines stand.
func (s *Store) ClaimScreeningList(ctx context.Context, l screening.List) (screening.List, bool, error) {
	k := ScreeningListKey(l.ID)
	ix := StreetListsIndex(l.StreetID, l.UploadedAt, l.ID)
	av, err := record(screeningListItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "screeningList"}, ID: l.ID,
		StreetID: l.StreetID, Name: l.Name, Columns: l.Columns, Rows: l.Rows, Deadline: stamp(l.Deadline), LastDeadline: stamp(l.LastDeadline),
		UploadedBy: l.UploadedBy, UploadedAt: stamp(l.UploadedAt), ExpiresAt: screeningExpiry(l).Unix()})
	if err != nil {
		return screening.List{}, false, err
	}
	written, err := s.putIfAbsent(ctx, av)
	if err != nil {
		return screening.List{}, false, err
	}
	if !written {
		stored, err := s.ScreeningList(ctx, l.ID)
		return stored, false, err
	}
	return l, true, nil
}

// SaveScreeningTasks writes tasks, each only where it is not there yet: a
// second upload of the same file keeps what staff did with the first's.
func (s *Store) SaveScreeningTasks(ctx context.Context, l screening.List, tasks []screening.Task) error {
	expires := screeningExpiry(l)
	return parallel(ctx, len(tasks), func(ctx context.Context, i int) error {
		av, err := screeningTaskRecord(tasks[i], 1, expires)
		if err != nil {
			return err
		}
		_, err = s.putIfAbsent(ctx, av)
		return err
	})
}

// FinishScreeningList writes a list's shares of its communities (each
// where it is not there yet), then marks the list ready: a list not ready
// is nobody's work.
func (s *Store) FinishScreeningList(ctx context.Context, l screening.List, parts []screening.Part) error {
	expires := screeningExpiry(l)
	err := parallel(ctx, len(parts), func(ctx context.Context, i int) error {
		p := parts[i]
		k := ScreeningPartKey(p.ListID, p.CommunityID)
		due := ScreeningDueIndex(p.DueAt, p.ListID, p.CommunityID)
		av, err := record(screeningPartItem{keys: keys{PK: k.PK, SK: k.SK, GSI2PK: due.PK, GSI2SK: due.SK, Type: "screeningPart"},
			ListID: p.ListID, ListName: p.ListName, CommunityID: p.CommunityID, DueAt: stamp(p.DueAt), ExpiresAt: expires.Unix()})
		if err != nil {
			return err
		}
		_, err = s.putIfAbsent(ctx, av)
		return err
	})
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: ScreeningListKey(l.ID).av(),
		UpdateExpression: aws.String("SET ready = :yes"), ExpressionAttributeValues: map[string]types.AttributeValue{":yes": &types.AttributeValueMemberBOOL{Value: true}}})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// StreetScreeningLists lists a street's lists (GSI1), ready or not.
func (s *Store) StreetScreeningLists(ctx context.Context, streetID string) ([]screening.List, error) {
	var out []screening.List
	err := s.queryIndex(ctx, "GSI1", StreetListsIndex(streetID, time.Time{}, "").PK, "", func(av map[string]types.AttributeValue) error {
		var it screeningListItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, it.domain())
		return nil
	})
	return out, err
}

// ListTasks reads every row of a list: one Query of its partition.
func (s *Store) ListTasks(ctx context.Context, listID string) ([]screening.Task, error) {
	var out []screening.Task
	return out, s.queryPrefix(ctx, ScreeningListKey(listID).PK, "TASK#", collect[screeningTaskItem](&out))
}

// CommunityTasks lists a community's tasks of one status ("" for all)
// (GSI1), those of lists whose upload has not finished left out.
func (s *Store) CommunityTasks(ctx context.Context, cid, status string) ([]screening.Task, error) {
	prefix := ""
	if status != "" {
		prefix = status + "#"
	}
	var all []screening.Task
	if err := s.queryIndex(ctx, "GSI1", ScreeningTasksIndex(cid, "", time.Time{}, "").PK, prefix, collect[screeningTaskItem](&all)); err != nil {
		return nil, err
	}
	ready := map[string]bool{}
	out := []screening.Task{}
	for _, t := range all {
		ok, seen := ready[t.ListID]
		if !seen {
			l, err := s.ScreeningList(ctx, t.ListID)
			if err != nil && !errors.Is(err, screening.ErrListNotFound) {
				return nil, err
			}
			ok = err == nil && l.Ready
			ready[t.ListID] = ok
		}
		if ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// Task reads one task.
func (s *Store) Task(ctx context.Context, id string) (screening.Task, error) {
	var it screeningTaskItem
	err := s.get(ctx, ScreeningTaskKey(id), &it)
	if errors.Is(err, errNotFound) {
		return screening.Task{}, screening.ErrTaskNotFound
	}
	if err != nil {
		return screening.Task{}, err
	}
	l, err := s.ScreeningList(ctx, it.ListID)
	if errors.Is(err, screening.ErrListNotFound) || (err == nil && !l.Ready) {
		return screening.Task{}, screening.ErrTaskNotFound
	}
	if err != nil {
		return screening.Task{}, err
	}
	return it.domain(), nil
}

// SaveTask writes a task over the version it read, with (when part is
// set) its community's part made where there is none: both or neither.
func (s *Store) SaveTask(ctx context.Context, t screening.Task, part *screening.Part) error {
	l, err := s.ScreeningList(ctx, t.ListID)
	if err != nil {
		return err
	}
	av, err := screeningTaskRecord(t, t.Version+1, screeningExpiry(l))
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("version = :prev"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":prev": n64(t.Version)}}}}
	if part != nil {
		due := ScreeningDueIndex(part.DueAt, part.ListID, part.CommunityID)
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: ScreeningPartKey(part.ListID, part.CommunityID).av(),
			UpdateExpression: aws.String("SET #t = :t, listId = :l, listName = :n, communityId = :c, dueAt = if_not_exists(dueAt, :d), #lv = if_not_exists(#lv, :zero), " +
				"GSI2PK = if_not_exists(GSI2PK, :pk), GSI2SK = if_not_exists(GSI2SK, :sk), expiresAt = :x"),
			ExpressionAttributeNames: map[string]string{"#t": "type", "#lv": "level"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": str("screeningPart"), ":l": str(part.ListID), ":n": str(part.ListName),
				":c": str(part.CommunityID), ":d": str(formatTime(part.DueAt)), ":zero": n64(0), ":pk": str(due.PK), ":sk": str(due.SK),
				":x": n(screeningExpiry(l).Unix())}}})
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return screening.ErrTaskChanged
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// DueScreenings lists the parts due for escalation at now (GSI2).
func (s *Store) DueScreenings(ctx context.Context, now time.Time) ([]screening.Part, error) {
	var out []screening.Part
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("GSI2"),
		KeyConditionExpression:    aws.String("GSI2PK = :pk AND GSI2SK <= :upto"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(ScreeningDueIndex(now, "", "").PK), ":upto": str(formatTime(now) + "#~")},
	}
	err := s.queryAll(ctx, in, func(av map[string]types.AttributeValue) error {
		var it screeningPartItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, screening.Part{ListID: it.ListID, ListName: it.ListName, CommunityID: it.CommunityID, DueAt: it.DueAt.time(), Level: it.Level})
		return nil
	})
	return out, err
}

// ScreeningEscalated moves a part from its level to the next, with its
// alert, and to its next escalation (or off the index).
func (s *Store) ScreeningEscalated(ctx context.Context, p screening.Part, to int, next *time.Time, pending *dispatch.Pending) (bool, error) {
	vals := map[string]types.AttributeValue{":from": n64(p.Level), ":to": n64(to)}
	expr := "SET #lv = :to"
	if next != nil {
		vals[":sk"] = str(ScreeningDueIndex(*next, p.ListID, p.CommunityID).SK)
		expr += ", GSI2SK = :sk"
	} else {
		expr += " REMOVE GSI2PK, GSI2SK"
	}
	refused, err := s.writeWith(ctx, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: ScreeningPartKey(p.ListID, p.CommunityID).av(),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("#lv = :from"),
		ExpressionAttributeNames: map[string]string{"#lv": "level"}, ExpressionAttributeValues: vals}}, pending)
	return !refused && err == nil, err
}

// ScreeningVolunteer reads an approved volunteer of the community with a
// shift on a screening post not over at at.
func (s *Store) ScreeningVolunteer(ctx context.Context, cid, vid string, at time.Time) (string, bool, error) {
	v, err := s.Volunteer(ctx, vid)
	if errors.Is(err, volunteers.ErrVolunteerNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if v.CommunityID != cid || v.Status != volunteers.StatusApproved {
		return "", false, nil
	}
	as, err := s.VolunteerAssignments(ctx, vid)
	if err != nil {
		return "", false, err
	}
	for _, a := range as {
		if !at.Before(a.EndsAt) {
			continue
		}
		p, err := s.Post(ctx, a.PostID)
		if errors.Is(err, volunteers.ErrPostNotFound) {
			continue
		}
		if err != nil {
			return "", false, err
		}
		if p.Kind == "screening" && p.CommunityID == cid {
			return v.Name, true, nil
		}
	}
	return "", false, nil
}

// putIfAbsent writes an item where there is none: false, and no error,
// when one is there already.
func (s *Store) putIfAbsent(ctx context.Context, av map[string]types.AttributeValue) (bool, error) {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	var exists *types.ConditionalCheckFailedException
	if errors.As(err, &exists) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}
