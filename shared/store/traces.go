package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/dispatch"
)

type traceItem struct {
	keys
	RoundID    string                   `dynamodbav:"roundId"`
	Tube       string                   `dynamodbav:"tube"`
	Result     string                   `dynamodbav:"result"`
	OpenedAt   string                   `dynamodbav:"openedAt"`
	DueAt      string                   `dynamodbav:"dueAt"`
	Texted     int                      `dynamodbav:"texted"`
	Households []booking.TraceHousehold `dynamodbav:"households"`
	Status     string                   `dynamodbav:"status"`
	ClosedAt   string                   `dynamodbav:"closedAt,omitempty"`
}

func (it traceItem) domain() booking.Trace {
	return booking.Trace{RoundID: it.RoundID, Tube: it.Tube, TubeID: booking.TubeID(it.RoundID, it.Tube), Result: it.Result,
		OpenedAt: parseTime(it.OpenedAt), DueAt: parseTime(it.DueAt), Texted: it.Texted, Households: it.Households, Status: it.Status,
		ClosedAt: optionalTime(it.ClosedAt)}
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
func (s *Store) SetResultAndTrace(ctx context.Context, roundID, code, result string, at time.Time, by string, t *booking.Trace, pending *dispatch.Pending) (bool, error) {
	changed, err := s.setResult(ctx, roundID, code, result, at, by, t, pending)
	if errors.Is(err, errTraceExists) {
		// A result changed between positives keeps the trace it opened.
		return s.setResult(ctx, roundID, code, result, at, by, nil, nil)
	}
	return changed, err
}

func (s *Store) setResult(ctx context.Context, roundID, code, result string, at time.Time, by string, t *booking.Trace, pending *dispatch.Pending) (bool, error) {
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: TubeKey(roundID, code).av(),
		UpdateExpression:          aws.String("SET #r = :r, #at = :at, #by = :by"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND (attribute_not_exists(#r) OR #r <> :r)"),
		ExpressionAttributeNames:  map[string]string{"#r": "result", "#at": "resultAt", "#by": "resultedBy"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":r": str(result), ":at": str(formatTime(at)), ":by": str(by)}}}}
	if t != nil {
		k := TraceKey(roundID, code)
		av, err := record(traceItem{keys: keys{PK: k.PK, SK: k.SK, Type: "trace"}, RoundID: roundID, Tube: code, Result: t.Result,
			OpenedAt: formatTime(t.OpenedAt), DueAt: formatTime(t.DueAt), Texted: t.Texted, Households: t.Households, Status: t.Status})
		if err != nil {
			return false, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av,
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
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
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// Traces lists a round's traces.
func (s *Store) Traces(ctx context.Context, roundID string) ([]booking.Trace, error) {
	out := []booking.Trace{}
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "TRACE#", func(av map[string]types.AttributeValue) error {
		var it traceItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, it.domain())
		return nil
	})
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
func (s *Store) SaveSingle(ctx context.Context, sg booking.Single) error {
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
	err = s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
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

// CloseTrace closes an open trace with the texts that say so.
func (s *Store) CloseTrace(ctx context.Context, roundID, tube, status string, at time.Time, pending *dispatch.Pending) (bool, error) {
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: TraceKey(roundID, tube).av(),
		UpdateExpression:          aws.String("SET #s = :s, #at = :at"),
		ConditionExpression:       aws.String("#s = :open"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#at": "closedAt"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": str(status), ":at": str(formatTime(at)), ":open": str(booking.TraceOpen)}}}}
	items, err := s.withPending(items, pending)
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
