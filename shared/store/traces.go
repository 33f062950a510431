package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/zone"
)

type traceItem struct {
	keys
	RoundID       string                   `dynamodbav:"roundId"`
	CommunityID   string                   `dynamodbav:"communityId"`
	Tube          string                   `dynamodbav:"tube"`
	Result        string                   `dynamodbav:"result"`
	OpenedAt      string                   `dynamodbav:"openedAt"`
	DueAt         string                   `dynamodbav:"dueAt"`
	Texted        int                      `dynamodbav:"texted"`
	Households    []booking.TraceHousehold `dynamodbav:"households"`
	Status        string                   `dynamodbav:"status"`
	ClosedAt      string                   `dynamodbav:"closedAt,omitempty"`
	Level         int                      `dynamodbav:"level"`
	CloseContacts []booking.TracePerson    `dynamodbav:"closeContacts,omitempty"`
}

func (it traceItem) domain() booking.Trace {
	return booking.Trace{RoundID: it.RoundID, CommunityID: it.CommunityID, Tube: it.Tube, TubeID: booking.TubeID(it.RoundID, it.Tube), Result: it.Result,
		OpenedAt: parseTime(it.OpenedAt), DueAt: parseTime(it.DueAt), Texted: it.Texted, Households: it.Households, Status: it.Status,
		ClosedAt: optionalTime(it.ClosedAt), Level: it.Level, CloseContacts: it.CloseContacts}
}

type singleItem struct {
	keys
	RoundID    string `dynamodbav:"roundId"`
	TraceTube  string `dynamodbav:"traceTube"`
	ResidentID string `dynamodbav:"residentId"`
	Tube       string `dynamodbav:"tube"`
	At         string `dynamodbav:"at"`
	By         string `dynamodbav:"by"`
}

// errTraceExists: the tube's trace was opened by an earlier result.
var errTraceExists = errors.New("the tube has its trace")

// SetResultAndTrace records a tube's result and, with it, the trace it
// opens and its texts, in one transaction.
func (s *Store) SetResultAndTrace(ctx context.Context, roundID, code, result string, at time.Time, by string, t *booking.Trace, zones []notices.Zone, pending *dispatch.Pending) (bool, error) {
	changed, err := s.setResult(ctx, roundID, code, result, at, by, t, zones, pending)
	if errors.Is(err, errTraceExists) {
		// A result changed between positives keeps the trace it opened.
		return s.setResult(ctx, roundID, code, result, at, by, nil, nil, nil)
	}
	return changed, err
}

func (s *Store) setResult(ctx context.Context, roundID, code, result string, at time.Time, by string, t *booking.Trace, zones []notices.Zone, pending *dispatch.Pending) (bool, error) {
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: TubeKey(roundID, code).av(),
		UpdateExpression:          aws.String("SET #r = :r, #at = :at, #by = :by"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND (attribute_not_exists(#r) OR #r <> :r)"),
		ExpressionAttributeNames:  map[string]string{"#r": "result", "#at": "resultAt", "#by": "resultedBy"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":r": str(result), ":at": str(formatTime(at)), ":by": str(by)}}}}
	if t != nil {
		k := TraceKey(roundID, code)
		due := TraceDueIndex(t.DueAt, roundID, code)
		av, err := record(traceItem{keys: keys{PK: k.PK, SK: k.SK, GSI2PK: due.PK, GSI2SK: due.SK, Type: "trace"}, RoundID: roundID,
			CommunityID: t.CommunityID, Tube: code, Result: t.Result, OpenedAt: formatTime(t.OpenedAt), DueAt: formatTime(t.DueAt),
			Texted: t.Texted, Households: t.Households, Status: t.Status})
		if err != nil {
			return false, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av,
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
		puts, err := s.zonePuts(t.CommunityID, zones)
		if err != nil {
			return false, err
		}
		for _, p := range puts {
			// Only over what the trace read: no zone, a precaution, or
			// another trace's control; never over a seal or control staff
			// set meanwhile.
			p.current.Put.ConditionExpression = aws.String("attribute_not_exists(#l) OR #l IN (:none, :pre) OR #r = :pp")
			p.current.Put.ExpressionAttributeNames = map[string]string{"#l": "level", "#r": "reason"}
			p.current.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":none": str(zone.LevelNone),
				":pre": str(zone.LevelPrecaution), ":pp": str(zone.ReasonPooledPositive)}
			items = append(items, p.current, p.log)
		}
		if len(zones) > 0 {
			// The temperature reminders look at communities with zones.
			zk := ZonedKey(t.CommunityID)
			items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table),
				Item: map[string]types.AttributeValue{"PK": str(zk.PK), "SK": str(zk.SK), "type": str("zoned")}}})
		}
	}
	items, err := s.withPending(items, pending)
	if err != nil {
		return false, err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if failed(tce, 0) {
			return false, nil // this result already
		}
		if t != nil && failed(tce, 1) {
			return false, errTraceExists
		}
		for i := range zones {
			if failed(tce, 2+2*i) {
				return false, booking.ErrZonesChanged
			}
		}
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// Traces lists a round's traces.
func (s *Store) Traces(ctx context.Context, roundID string) ([]booking.Trace, error) {
	out := []booking.Trace{}
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "TRACE#", collect[traceItem](&out))
	return out, err
}

// Trace reads one trace: booking.ErrNotFound.
func (s *Store) Trace(ctx context.Context, roundID, tube string) (booking.Trace, error) {
	var it traceItem
	if err := s.get(ctx, TraceKey(roundID, tube), &it); err != nil {
		if errors.Is(err, errNotFound) {
			return booking.Trace{}, booking.ErrNotFound
		}
		return booking.Trace{}, err
	}
	return it.domain(), nil
}

// SaveSingle writes a single sample and its one-swab tube together.
func (s *Store) SaveSingle(ctx context.Context, sg booking.Single, replaces string) error {
	k := SingleKey(sg.RoundID, sg.TraceTube, sg.ResidentID)
	av, err := record(singleItem{keys: keys{PK: k.PK, SK: k.SK, Type: "single"}, RoundID: sg.RoundID, TraceTube: sg.TraceTube,
		ResidentID: sg.ResidentID, Tube: sg.Tube, At: formatTime(sg.At), By: sg.By})
	if err != nil {
		return err
	}
	tk := TubeKey(sg.RoundID, sg.Tube)
	tube, err := record(tubeItem{keys: keys{PK: tk.PK, SK: tk.SK, Type: "tube"}, Code: sg.Tube, RoundID: sg.RoundID, Size: 1, Count: 1,
		Level: "single", Single: sg.TraceTube})
	if err != nil {
		return err
	}
	single := &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}
	if replaces != "" {
		single.ConditionExpression = aws.String("tube = :old")
		single.ExpressionAttributeValues = map[string]types.AttributeValue{":old": str(replaces)}
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		{Put: single},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: tube, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if failed(tce, 0) {
			return booking.ErrAlreadySingle.Wrap(err)
		}
		if failed(tce, 1) {
			return booking.ErrTubeInUse.Wrap(err)
		}
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Singles lists a round's single samples.
func (s *Store) Singles(ctx context.Context, roundID string) ([]booking.Single, error) {
	out := []booking.Single{}
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "SINGLE#", func(av map[string]types.AttributeValue) error {
		var it singleItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, booking.Single{RoundID: it.RoundID, TraceTube: it.TraceTube, ResidentID: it.ResidentID, Tube: it.Tube,
			At: parseTime(it.At), By: it.By})
		return nil
	})
	return out, err
}

// CloseTrace closes an open trace with its doors' outcomes, their zones
// and the texts that say so, in one transaction. A release writes a door's
// zone only while the zone is still a trace's control: where staff changed
// it since, nothing is written (booking.ErrZonesChanged) and the close is
// decided again.
func (s *Store) CloseTrace(ctx context.Context, t booking.Trace, at time.Time, zones []notices.Zone, pending *dispatch.Pending) (bool, error) {
	hs, err := attributevalue.Marshal(t.Households)
	if err != nil {
		return false, err
	}
	contacts, err := attributevalue.Marshal(t.CloseContacts)
	if err != nil {
		return false, err
	}
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: TraceKey(t.RoundID, t.Tube).av(),
		UpdateExpression:         aws.String("SET #s = :s, #at = :at, households = :h, closeContacts = :c REMOVE GSI2PK, GSI2SK"),
		ConditionExpression:      aws.String("#s = :open"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#at": "closedAt"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": str(t.Status), ":at": str(formatTime(at)),
			":open": str(booking.TraceOpen), ":h": hs, ":c": contacts}}}}
	puts, err := s.zonePuts(t.CommunityID, zones)
	if err != nil {
		return false, err
	}
	for i, p := range puts {
		if zones[i].Reason == "" {
			// A release: only of a trace's own control.
			p.current.Put.ConditionExpression = aws.String("#r = :pp")
			p.current.Put.ExpressionAttributeNames = map[string]string{"#r": "reason"}
			p.current.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":pp": str(zone.ReasonPooledPositive)}
		}
		items = append(items, p.current, p.log)
	}
	items, err = s.withPending(items, pending)
	if err != nil {
		return false, err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if failed(tce, 0) {
			return false, nil // closed already
		}
		for i := range zones {
			if failed(tce, 1+2*i) {
				return false, booking.ErrZonesChanged
			}
		}
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// DueTraces lists open traces whose door list is past its deadline (or
// its next escalation): one Query of the due index.
func (s *Store) DueTraces(ctx context.Context, now time.Time) ([]booking.Trace, error) {
	var out []booking.Trace
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("GSI2"),
		KeyConditionExpression:    aws.String("GSI2PK = :pk AND GSI2SK <= :upto"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(TraceDueIndex(now, "", "").PK), ":upto": str(formatTime(now) + "#~")},
	}
	err := s.queryAll(ctx, in, collect[traceItem](&out))
	return out, err
}

// TraceEscalated moves an open trace from one escalation level to the
// next, with its alert, and to its next escalation (or off the index).
func (s *Store) TraceEscalated(ctx context.Context, roundID, tube string, from, to int, next *time.Time, pending *dispatch.Pending) (bool, error) {
	vals := map[string]types.AttributeValue{":open": str(booking.TraceOpen), ":from": n64(from), ":to": n64(to)}
	expr := "SET #lv = :to"
	if next != nil {
		vals[":sk"] = str(TraceDueIndex(*next, roundID, tube).SK)
		expr += ", GSI2SK = :sk"
	} else {
		expr += " REMOVE GSI2PK, GSI2SK"
	}
	refused, err := s.writeWith(ctx, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: TraceKey(roundID, tube).av(),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("#s = :open AND #lv = :from"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#lv": "level"}, ExpressionAttributeValues: vals}}, pending)
	return !refused && err == nil, err
}
