package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/registry"
)

var _ help.Store = (*Store)(nil)

type helpItem struct {
	keys
	ID          string       `dynamodbav:"id"`
	CommunityID string       `dynamodbav:"communityId"`
	HouseholdID string       `dynamodbav:"householdId"`
	ResidentID  string       `dynamodbav:"residentId"`
	Kind        string       `dynamodbav:"kind"`
	Note        string       `dynamodbav:"note"`
	Status      string       `dynamodbav:"status"`
	Name        string       `dynamodbav:"name"`
	Address     string       `dynamodbav:"address"`
	Phone       string       `dynamodbav:"phone"`
	CreatedAt   string       `dynamodbav:"createdAt"`
	DeadlineAt  string       `dynamodbav:"deadlineAt"`
	ClaimedBy   string       `dynamodbav:"claimedBy,omitempty"`
	ClaimedAt   string       `dynamodbav:"claimedAt,omitempty"`
	Actions     []helpAction `dynamodbav:"actions"`
	Outcome     string       `dynamodbav:"outcome,omitempty"`
	ClosedAt    string       `dynamodbav:"closedAt,omitempty"`
	Level       int          `dynamodbav:"level"`
	NextAt      string       `dynamodbav:"nextAt,omitempty"`
	Hospital    string       `dynamodbav:"hospital,omitempty"`
	HospitalTel string       `dynamodbav:"hospitalPhone,omitempty"`
}

// helpAction keeps the attribute names an earlier version gave it (its Go
// field names): its requests read on.
type helpAction struct {
	At   when   `dynamodbav:"At"`
	By   string `dynamodbav:"By"`
	Text string `dynamodbav:"Text"`
}

func toHelpActions(as []help.Action) []helpAction {
	out := []helpAction{}
	for _, a := range as {
		out = append(out, helpAction{At: stamp(a.At), By: a.By, Text: a.Text})
	}
	return out
}

func (it helpItem) domain() help.Request {
	r := help.Request{ID: it.ID, CommunityID: it.CommunityID, HouseholdID: it.HouseholdID, ResidentID: it.ResidentID, Kind: it.Kind,
		Note: it.Note, Status: it.Status, Name: it.Name, Address: it.Address, Phone: it.Phone, CreatedAt: parseTime(it.CreatedAt),
		DeadlineAt: parseTime(it.DeadlineAt), ClaimedBy: it.ClaimedBy, Outcome: it.Outcome, Level: it.Level, Actions: []help.Action{}}
	if it.Hospital != "" {
		r.Hospital = &help.Hospital{Name: it.Hospital, Phone: it.HospitalTel}
	}
	for _, a := range it.Actions {
		r.Actions = append(r.Actions, help.Action{At: a.At.time(), By: a.By, Text: a.Text})
	}
	for _, t := range []struct {
		raw string
		to  **time.Time
	}{{it.ClaimedAt, &r.ClaimedAt}, {it.ClosedAt, &r.ClosedAt}, {it.NextAt, &r.NextAt}} {
		if t.raw != "" {
			v := parseTime(t.raw)
			*t.to = &v
		}
	}
	return r
}

// CreateHelp writes a request with its household's open mark for the kind,
// in one transaction.
func (s *Store) CreateHelp(ctx context.Context, r help.Request, pending *dispatch.Pending) error {
	k, ix := HelpKey(r.ID), HelpsIndex(r.CommunityID, false, r.CreatedAt, r.ID)
	it := helpItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "help"}, ID: r.ID, CommunityID: r.CommunityID,
		HouseholdID: r.HouseholdID, ResidentID: r.ResidentID, Kind: r.Kind, Note: r.Note, Status: r.Status, Name: r.Name,
		Address: r.Address, Phone: r.Phone, CreatedAt: formatTime(r.CreatedAt), DeadlineAt: formatTime(r.DeadlineAt), Actions: toHelpActions(r.Actions)}
	if r.Hospital != nil {
		it.Hospital, it.HospitalTel = r.Hospital.Name, r.Hospital.Phone
	}
	if r.NextAt != nil {
		due := HelpDueIndex(*r.NextAt, r.ID)
		it.GSI2PK, it.GSI2SK, it.NextAt = due.PK, due.SK, formatTime(*r.NextAt)
	}
	av, err := record(it)
	if err != nil {
		return err
	}
	open := HelpOpenKey(r.HouseholdID, r.Kind).av()
	open["helpId"], open["type"] = str(r.ID), str("helpopen")
	items, err := s.withPending([]types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: open, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}, pending)
	if err != nil {
		return err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return help.ErrAlreadyOpen
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Help reads a request.
func (s *Store) Help(ctx context.Context, id string) (help.Request, error) {
	if !registry.ValidID(id) {
		return help.Request{}, help.ErrNotFound
	}
	var it helpItem
	err := s.get(ctx, HelpKey(id), &it)
	if errors.Is(err, errNotFound) {
		return help.Request{}, help.ErrNotFound
	}
	if err != nil {
		return help.Request{}, err
	}
	return it.domain(), nil
}

// CommunityHelp lists a community's open and claimed requests, all of
// them, and its latest closed ones, newest first (GSI1).
func (s *Store) CommunityHelp(ctx context.Context, cid string, closed int) ([]help.Request, error) {
	var avs []map[string]types.AttributeValue
	err := s.queryIndex(ctx, "GSI1", HelpsIndex(cid, false, time.Time{}, "").PK, "", func(av map[string]types.AttributeValue) error {
		avs = append(avs, av)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(HelpsIndex(cid, true, time.Time{}, "").PK)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(closed)),
	})
	if err != nil {
		return nil, unavailable(err)
	}
	return helpsOf(append(avs, out.Items...))
}

// HouseholdHelp lists a household's open requests: its marks, one per
// kind, name them.
func (s *Store) HouseholdHelp(ctx context.Context, hid string) ([]help.Request, error) {
	var ids []string
	err := s.queryPrefix(ctx, HelpOpenKey(hid, "").PK, "", func(av map[string]types.AttributeValue) error {
		if id, ok := av["helpId"].(*types.AttributeValueMemberS); ok {
			ids = append(ids, id.Value)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := []help.Request{}
	for _, id := range ids {
		r, err := s.Help(ctx, id)
		if errors.Is(err, help.ErrNotFound) {
			continue // closed between the two reads
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func helpsOf(avs []map[string]types.AttributeValue) ([]help.Request, error) {
	out := []help.Request{}
	for _, av := range avs {
		var it helpItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		out = append(out, it.domain())
	}
	return out, nil
}

// Claim takes an open request and takes it off the escalation index.
func (s *Store) Claim(ctx context.Context, id, by string, at time.Time, pending *dispatch.Pending) error {
	taken, err := s.writeWith(ctx, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: HelpKey(id).av(),
		UpdateExpression:          aws.String("SET #s = :claimed, claimedBy = :by, claimedAt = :at REMOVE GSI2PK, GSI2SK, nextAt"),
		ConditionExpression:       aws.String("#s = :open"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":claimed": str(help.StatusClaimed), ":open": str(help.StatusOpen), ":by": str(by), ":at": str(formatTime(at))}}}, pending)
	if taken {
		r, rerr := s.Help(ctx, id)
		if rerr == nil && r.Status == help.StatusClosed {
			return help.ErrClosed
		}
		return help.ErrAlreadyClaimed
	}
	return err
}

// AddAction appends an action to a request not closed.
func (s *Store) AddAction(ctx context.Context, id string, a help.Action) error {
	l, err := attributevalue.MarshalList(toHelpActions([]help.Action{a}))
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: HelpKey(id).av(),
		UpdateExpression:          aws.String("SET actions = list_append(actions, :a)"),
		ConditionExpression:       aws.String("#s <> :closed"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": &types.AttributeValueMemberL{Value: l}, ":closed": str(help.StatusClosed)}})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return help.ErrClosed
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Close closes a request and frees its household's mark for the kind, in
// one transaction.
func (s *Store) Close(ctx context.Context, r help.Request, by, outcome string, at time.Time) error {
	err := s.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(s.Table), Key: HelpKey(r.ID).av(),
			UpdateExpression:         aws.String("SET #s = :closed, outcome = :o, closedAt = :at, closedBy = :by, GSI1PK = :gpk REMOVE GSI2PK, GSI2SK, nextAt"),
			ConditionExpression:      aws.String("#s <> :closed"),
			ExpressionAttributeNames: map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":closed": str(help.StatusClosed), ":o": str(outcome),
				":at": str(formatTime(at)), ":by": str(by), ":gpk": str(HelpsIndex(r.CommunityID, true, time.Time{}, "").PK)}}},
		{Delete: &types.Delete{TableName: aws.String(s.Table), Key: HelpOpenKey(r.HouseholdID, r.Kind).av()}},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return help.ErrClosed
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Due lists unclaimed requests whose next escalation is at or before now:
// one Query of the due index.
func (s *Store) Due(ctx context.Context, now time.Time) ([]help.Request, error) {
	var avs []map[string]types.AttributeValue
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("GSI2"),
		KeyConditionExpression: aws.String("GSI2PK = :pk AND GSI2SK <= :upto"),
		// '~' sorts after every character of an id: everything due at now.
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("HELPDUE"), ":upto": str(formatTime(now) + "#~")},
	}
	err := s.queryAll(ctx, in, func(av map[string]types.AttributeValue) error {
		avs = append(avs, av)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return helpsOf(avs)
}

// Escalated moves a still-open request from one level to the next, and to
// its next escalation (or off the index after the last).
func (s *Store) Escalated(ctx context.Context, id string, from, to int, next *time.Time, pending *dispatch.Pending) (bool, error) {
	vals := map[string]types.AttributeValue{":open": str(help.StatusOpen), ":from": n64(from), ":to": n64(to)}
	expr := "SET #lv = :to"
	if next != nil {
		due := HelpDueIndex(*next, id)
		expr += ", GSI2SK = :sk, nextAt = :next"
		vals[":sk"], vals[":next"] = str(due.SK), str(formatTime(*next))
	} else {
		expr += " REMOVE GSI2PK, GSI2SK, nextAt"
	}
	refused, err := s.writeWith(ctx, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: HelpKey(id).av(),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("#s = :open AND #lv = :from"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#lv": "level"}, ExpressionAttributeValues: vals}}, pending)
	return !refused && err == nil, err
}

type helpSettingsItem struct {
	keys
	Deadlines map[string]int `dynamodbav:"deadlines"`
	OnDuty    []string       `dynamodbav:"onDuty"`
}

// HelpSettings reads a community's help settings (empty when never set).
func (s *Store) HelpSettings(ctx context.Context, cid string) (help.Settings, error) {
	var it helpSettingsItem
	err := s.get(ctx, HelpSettingsKey(cid), &it)
	if errors.Is(err, errNotFound) {
		return help.Settings{}, nil
	}
	if err != nil {
		return help.Settings{}, err
	}
	return help.Settings{Deadlines: it.Deadlines, OnDuty: it.OnDuty}, nil
}

// SetHelpSettings writes a community's help settings.
func (s *Store) SetHelpSettings(ctx context.Context, cid string, st help.Settings) error {
	k := HelpSettingsKey(cid)
	av, err := record(helpSettingsItem{keys: keys{PK: k.PK, SK: k.SK, Type: "helpsettings"}, Deadlines: st.Deadlines, OnDuty: st.OnDuty})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return unavailable(err)
	}
	return nil
}

// AdminPhones lists the phones of a street's admins.
func (s *Store) AdminPhones(ctx context.Context, streetID string) ([]string, error) {
	var out []string
	err := s.queryPrefix(ctx, StreetKey(streetID).PK, "ADMIN#", func(av map[string]types.AttributeValue) error {
		if p, ok := av["phone"].(*types.AttributeValueMemberS); ok {
			out = append(out, p.Value)
		}
		return nil
	})
	return out, err
}
