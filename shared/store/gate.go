package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/gate"
)

var _ gate.Store = (*Store)(nil)

// gateKept is how long a gate's log is kept after its day: as long as its
// lists may be read.
const gateKept = 61 * 24 * time.Hour

func gateExpiry(day string) types.AttributeValue {
	d, err := time.ParseInLocation(time.DateOnly, day, chinatime.Zone)
	if err != nil {
		d = time.Now()
	}
	return n(d.Add(gateKept).Unix())
}

// PassRules reads a community's pass rules; false when it set none.
func (s *Store) PassRules(ctx context.Context, cid string) (gate.Rules, bool, error) {
	av, err := s.getItem(ctx, PassRulesKey(cid))
	if errors.Is(err, errNotFound) {
		return gate.Rules{}, false, nil
	}
	if err != nil {
		return gate.Rules{}, false, err
	}
	var r gate.Rules
	return r, true, readDocument(av, &r)
}

// PutPassRules writes a community's rules over version prev.
func (s *Store) PutPassRules(ctx context.Context, r gate.Rules, prev int) error {
	k := PassRulesKey(r.CommunityID)
	item, err := document(keys{PK: k.PK, SK: k.SK, Type: "passrules"}, r)
	if err != nil {
		return err
	}
	if err := s.putVersioned(ctx, item, prev); errors.Is(err, errChanged) {
		return gate.ErrChanged
	} else if err != nil {
		return err
	}
	return nil
}

type passItem struct {
	keys
	gate.Pass
	Secret []byte `json:"secret"`
}

// Pass reads a household's pass.
func (s *Store) Pass(ctx context.Context, hid string) (gate.Pass, error) {
	av, err := s.getItem(ctx, PassKey(hid))
	if errors.Is(err, errNotFound) {
		return gate.Pass{}, gate.ErrNoPass
	}
	if err != nil {
		return gate.Pass{}, err
	}
	var it passItem
	if err := readDocument(av, &it); err != nil {
		return gate.Pass{}, err
	}
	p := it.Pass
	p.Secret, p.CreatedAt = it.Secret, chinatime.In(p.CreatedAt)
	return p, nil
}

// PassByCode is the household of a pass code, "" for none.
func (s *Store) PassByCode(ctx context.Context, code string) (string, error) {
	av, err := s.getItem(ctx, PassCodeKey(code))
	if errors.Is(err, errNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var it struct {
		HouseholdID string `json:"householdId"`
	}
	return it.HouseholdID, readDocument(av, &it)
}

// CreatePass writes a pass and its code's lookup, over prev's (whose code
// is deleted); false when the code is taken or another pass was made
// meanwhile.
func (s *Store) CreatePass(ctx context.Context, p gate.Pass, prev *gate.Pass) (bool, error) {
	k, ck := PassKey(p.HouseholdID), PassCodeKey(p.Code)
	item, err := document(keys{PK: k.PK, SK: k.SK, Type: "pass"}, passItem{Pass: p, Secret: p.Secret})
	if err != nil {
		return false, err
	}
	code, err := document(keys{PK: ck.PK, SK: ck.SK, Type: "passcode"}, map[string]string{"householdId": p.HouseholdID})
	if err != nil {
		return false, err
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: code, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}
	if prev != nil {
		// A new code changes the code and the secret only: a permit given
		// or ended meanwhile stands.
		items[1] = types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: k.av(),
			UpdateExpression:          aws.String("SET code = :c, secret = :s, createdAt = :t"),
			ConditionExpression:       aws.String("code = :prev"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(p.Code), ":s": item["secret"], ":t": item["createdAt"], ":prev": str(prev.Code)}}}
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: PassCodeKey(prev.Code).av()}})
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && (failed(tce, 0) || failed(tce, 1)) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// PutPermit sets or ends a pass's work permit.
func (s *Store) PutPermit(ctx context.Context, hid, until, reason, by string) error {
	expr := "SET permitUntil = :u, permitReason = :r, permitBy = :b"
	vals := map[string]types.AttributeValue{":u": str(until), ":r": str(reason), ":b": str(by)}
	if until == "" {
		expr, vals = "REMOVE permitUntil, permitReason, permitBy", nil
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: PassKey(hid).av(),
		UpdateExpression: aws.String(expr), ExpressionAttributeValues: vals, ConditionExpression: aws.String("attribute_exists(PK)")})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return gate.ErrNoPass
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// GateState reads a household's state at the gate (version 0: none yet).
func (s *Store) GateState(ctx context.Context, hid string) (gate.State, error) {
	av, err := s.getItem(ctx, GateStateKey(hid))
	if errors.Is(err, errNotFound) {
		return gate.State{HouseholdID: hid, Outs: []string{}}, nil
	}
	if err != nil {
		return gate.State{}, err
	}
	var st gate.State
	return st, readDocument(av, &st)
}

type eventItem struct {
	keys
	gate.Event
	HouseholdID string    `json:"householdId,omitempty"`
	BuildingID  string    `json:"buildingId,omitempty"`
	By          string    `json:"by"`
	Fingerprint string    `json:"fingerprint"`
	ReceivedAt  time.Time `json:"receivedAt"`
	ExpiresAt   int64     `json:"expiresAt"`
}

// counterPrefix marks a gate count's attributes: one a counter.
const counterPrefix = "c_"

// RecordEvent writes a gate event, adds it to its post's hour, and with
// next writes the household's state over prev's version and the outing
// the event began or closed: all or nothing. False when the event's id
// was logged before, or the state changed meanwhile.
func (s *Store) RecordEvent(ctx context.Context, e gate.Event, prev gate.State, next *gate.State) (bool, error) {
	day := e.Day()
	ek := GateEventKey(e.PostID, e.ID)
	d, _ := time.ParseInLocation(time.DateOnly, day, chinatime.Zone)
	event, err := document(keys{PK: ek.PK, SK: ek.SK, Type: "gateevent"}, eventItem{Event: e, HouseholdID: e.HouseholdID, BuildingID: e.BuildingID, By: e.By,
		Fingerprint: e.Fingerprint, ReceivedAt: e.ReceivedAt, ExpiresAt: d.Add(gateKept).Unix()})
	if err != nil {
		return false, err
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: event, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Update: &types.Update{TableName: aws.String(s.Table), Key: GateCountKey(e.CommunityID, day, e.PostID, e.Hour()).av(),
			UpdateExpression:          aws.String("ADD #c :one SET #type = :t, postId = :p, #hour = :h, expiresAt = :exp"),
			ExpressionAttributeNames:  map[string]string{"#c": counterPrefix + e.Counter(), "#type": "type", "#hour": "hour"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": n64(1), ":t": str("gatecount"), ":p": str(e.PostID), ":h": n64(e.Hour()), ":exp": gateExpiry(day)}}},
	}
	more, err := s.stateItems(prev, next, e.Outing)
	if err != nil {
		return false, err
	}
	items = append(items, more...)
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && (failed(tce, 0) || failed(tce, 2)) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// Event reads a logged gate event.
func (s *Store) Event(ctx context.Context, postID, eventID string) (gate.Event, bool, error) {
	av, err := s.getItem(ctx, GateEventKey(postID, eventID))
	if errors.Is(err, errNotFound) {
		return gate.Event{}, false, nil
	}
	if err != nil {
		return gate.Event{}, false, err
	}
	var it eventItem
	if err := readDocument(av, &it); err != nil {
		return gate.Event{}, false, err
	}
	e := it.Event
	e.HouseholdID, e.BuildingID, e.By, e.At = it.HouseholdID, it.BuildingID, it.By, chinatime.In(e.At)
	e.Fingerprint, e.ReceivedAt = it.Fingerprint, chinatime.In(it.ReceivedAt)
	return e, true, nil
}

// Outings lists a community's outings that began on day.
func (s *Store) Outings(ctx context.Context, cid, day string) ([]gate.Outing, error) {
	k := OutingKey(cid, day, "")
	var out []gate.Outing
	err := s.queryPrefix(ctx, k.PK, k.SK, collectDocuments(&out))
	for i := range out {
		out[i].At = chinatime.In(out[i].At)
	}
	return out, err
}

// Counts lists a community's gate counts of a day: a post's hour each.
func (s *Store) Counts(ctx context.Context, cid, day string) ([]gate.HourCount, error) {
	k := GateCountKey(cid, day, "", 0)
	var out []gate.HourCount
	err := s.queryPrefix(ctx, k.PK, k.SK, func(av map[string]types.AttributeValue) error {
		h := gate.HourCount{Counts: map[string]int{}}
		for name, v := range av {
			nv, ok := v.(*types.AttributeValueMemberN)
			switch {
			case name == "postId":
				if sv, ok := v.(*types.AttributeValueMemberS); ok {
					h.PostID = sv.Value
				}
			case name == "hour" && ok:
				h.Hour, _ = strconv.Atoi(nv.Value)
			case strings.HasPrefix(name, counterPrefix) && ok:
				h.Counts[strings.TrimPrefix(name, counterPrefix)], _ = strconv.Atoi(nv.Value)
			}
		}
		out = append(out, h)
		return nil
	})
	return out, err
}

// stateItems write a household's state over prev's version and the
// outing a change began or closed.
func (s *Store) stateItems(prev gate.State, next *gate.State, o *gate.Outing) ([]types.TransactWriteItem, error) {
	var items []types.TransactWriteItem
	if next != nil {
		st := *next
		st.Version = prev.Version + 1
		k := GateStateKey(st.HouseholdID)
		item, err := document(keys{PK: k.PK, SK: k.SK, Type: "gatestate"}, st)
		if err != nil {
			return nil, err
		}
		cond, vals := versioned(prev.Version)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item,
			ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals}})
	}
	if o != nil {
		k := OutingKey(o.CommunityID, o.Day, o.EventID)
		item, err := document(keys{PK: k.PK, SK: k.SK, Type: "outing"}, o)
		if err != nil {
			return nil, err
		}
		item["expiresAt"] = gateExpiry(o.Day)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item}})
	}
	return items, nil
}

// CloseOuting writes a household's state over prev's version with the
// outing staff closed; false when the state changed meanwhile.
func (s *Store) CloseOuting(ctx context.Context, prev, next gate.State, o gate.Outing) (bool, error) {
	items, err := s.stateItems(prev, &next, &o)
	if err != nil {
		return false, err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}
