package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/chinatime"
)

// How an item is written and read: the helpers every adapter file uses.

// keys are the key attributes every item carries; index keys are left out
// when empty, since an index key may not be an empty string.
type keys struct {
	PK     string
	SK     string
	GSI1PK string `dynamodbav:",omitempty"`
	GSI1SK string `dynamodbav:",omitempty"`
	GSI2PK string `dynamodbav:",omitempty"`
	GSI2SK string `dynamodbav:",omitempty"`
	Type   string `dynamodbav:"type"`
}

func (k Key) av() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		Table.PartitionKey: &types.AttributeValueMemberS{Value: k.PK},
		Table.SortKey:      &types.AttributeValueMemberS{Value: k.SK},
	}
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func n64(v int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(v)} }

// Stored times. A moment is kept as RFC 3339 in UTC to the second: one
// width, so it sorts as text (in keys and in conditions) as it does in
// time. Only the TTL attribute is epoch seconds, as DynamoDB's TTL reads
// it. Earlier versions also wrote fractions of a second, Beijing's offset
// and epoch seconds: every form reads, as Beijing time.

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// parseTime reads a stored moment; the zero time when there is none.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339, s)
	return t.In(chinatime.Zone)
}

// when is a moment field of a record, stored as formatTime writes it.
type when time.Time

func stamp(t time.Time) when { return when(t) }

// time is the moment in Beijing time; zero when unset.
func (w when) time() time.Time {
	if time.Time(w).IsZero() {
		return time.Time{}
	}
	return time.Time(w).In(chinatime.Zone)
}

// MarshalDynamoDBAttributeValue writes the stored form.
func (w when) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return str(formatTime(time.Time(w))), nil
}

// UnmarshalDynamoDBAttributeValue reads every form a version wrote.
func (w *when) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		if v.Value == "" {
			*w = when{}
			return nil
		}
		t, err := time.Parse(time.RFC3339, v.Value)
		if err != nil {
			return fmt.Errorf("stored time %q: %w", v.Value, err)
		}
		*w = when(t.In(chinatime.Zone))
	case *types.AttributeValueMemberN:
		secs, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			return fmt.Errorf("stored time %q: %w", v.Value, err)
		}
		if secs == 0 {
			*w = when{}
			return nil
		}
		*w = when(time.Unix(secs, 0).In(chinatime.Zone))
	case *types.AttributeValueMemberNULL:
		*w = when{}
	default:
		return fmt.Errorf("stored time of type %T", av)
	}
	return nil
}

// deadlinePassed is the condition that attribute attr, a stored moment,
// is before :now; an item an earlier version wrote in epoch seconds is
// compared as such (:nowSecs). vals gains both.
func deadlinePassed(attr string, now time.Time, vals map[string]types.AttributeValue) string {
	vals[":now"], vals[":nowSecs"], vals[":S"], vals[":N"] = str(formatTime(now)), n(now.Unix()), str("S"), str("N")
	return "((attribute_type(" + attr + ", :S) AND " + attr + " < :now) OR (attribute_type(" + attr + ", :N) AND " + attr + " < :nowSecs))"
}

// deadlineAhead is the condition that attr is after :now (see deadlinePassed).
func deadlineAhead(attr string, now time.Time, vals map[string]types.AttributeValue) string {
	vals[":now"], vals[":nowSecs"], vals[":S"], vals[":N"] = str(formatTime(now)), n(now.Unix()), str("S"), str("N")
	return "((attribute_type(" + attr + ", :S) AND " + attr + " > :now) OR (attribute_type(" + attr + ", :N) AND " + attr + " > :nowSecs))"
}

// Items. A record is a struct of the store's own, tagged with its
// attributes' names (dynamodbav): the table's names are the store's, apart
// from the API's. A document is a domain value kept whole under its JSON
// names, for what is read whole and never named in an expression but by
// its version: a playbook, a run's log, an audit entry.

// record is the item of a tagged record r (which embeds keys).
func record(r any) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMap(r)
}

// collect is a query's callback that reads each item as record R and
// appends its domain value.
func collect[R interface{ domain() D }, D any](out *[]D) func(map[string]types.AttributeValue) error {
	return func(av map[string]types.AttributeValue) error {
		var it R
		if err := readRecord(av, &it); err != nil {
			return err
		}
		*out = append(*out, it.domain())
		return nil
	}
}

// collectDocuments appends each item of a query, read as a document (the
// domain value's own JSON names), to out.
func collectDocuments[D any](out *[]D) func(map[string]types.AttributeValue) error {
	return func(av map[string]types.AttributeValue) error {
		var d D
		if err := readDocument(av, &d); err != nil {
			return err
		}
		*out = append(*out, d)
		return nil
	}
}

// deleteExisting deletes an item that is there: false when it was not.
func (s *Store) deleteExisting(ctx context.Context, k Key) (bool, error) {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: k.av(),
		ConditionExpression: aws.String("attribute_exists(PK)")})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// readRecord reads an item into a tagged record.
func readRecord(av map[string]types.AttributeValue, r any) error {
	return attributevalue.UnmarshalMap(av, r)
}

// document is the item of a domain document v beside its keys.
func document(k keys, v any) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
	if err != nil {
		return nil, err
	}
	ks, err := attributevalue.MarshalMap(k)
	if err != nil {
		return nil, err
	}
	for name, val := range ks {
		item[name] = val
	}
	return item, nil
}

// readDocument reads what document wrote.
func readDocument(av map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(av, v, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" })
}

// errNotFound is an item that is not there; each port method says what
// that means to its domain.
var errNotFound = errors.New("store: no such item")

// errChanged is a versioned write that lost: the item changed since it was
// read.
var errChanged = errors.New("store: changed since read")

// versioned is the condition of a write over version prev (0: none yet).
func versioned(prev int) (string, map[string]types.AttributeValue) {
	if prev == 0 {
		return "attribute_not_exists(PK)", nil
	}
	return "version = :prev", map[string]types.AttributeValue{":prev": n64(prev)}
}

// failed says whether item i of a cancelled transaction failed its condition.
func failed(tce *types.TransactionCanceledException, i int) bool {
	return len(tce.CancellationReasons) > i && aws.ToString(tce.CancellationReasons[i].Code) == "ConditionalCheckFailed"
}

// unavailable marks a failed DynamoDB call as the store being unavailable to
// the client; the cause goes to the logs. A request DynamoDB refuses as
// malformed is not unavailability but a bug of ours (input is validated
// before it reaches a key): that is an internal error, not a 503 to retry.
func unavailable(err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		return apperr.Internal.Wrap(err)
	}
	return apperr.StoreUnavailable.Wrap(err)
}

func unavailableUnlessGone(err error) error {
	var ccf *types.ConditionalCheckFailedException
	if err == nil || errors.As(err, &ccf) {
		return nil
	}
	return unavailable(err)
}

// ErrBadCursor is a cursor that this list did not hand out.
var ErrBadCursor = apperr.BadCursor

// encodeCursor makes LastEvaluatedKey opaque for clients.
func encodeCursor(lek map[string]types.AttributeValue) string {
	if len(lek) == 0 {
		return ""
	}
	m := map[string]string{}
	for k, v := range lek {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			m[k] = s.Value
		}
	}
	b, _ := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor back, refusing one that this list did not hand
// out: exactly the key attributes the list's Query returns (attrs), each a
// string DynamoDB takes as a key, and the partitions in want, so a cursor
// cannot lead into another list nor make DynamoDB refuse the Query.
func decodeCursor(c string, attrs []string, want map[string]string) (map[string]types.AttributeValue, error) {
	if c == "" {
		return nil, nil
	}
	if len(c) > 4096 {
		return nil, ErrBadCursor.Wrap(errors.New("cursor too long"))
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, ErrBadCursor.Wrap(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil || len(m) != len(attrs) {
		return nil, ErrBadCursor.Wrap(fmt.Errorf("cursor %q", c))
	}
	for _, attr := range attrs {
		v, ok := m[attr]
		if !ok || v == "" || len(v) > 1024 || !utf8.ValidString(v) {
			return nil, ErrBadCursor.Wrap(fmt.Errorf("cursor attribute %s", attr))
		}
	}
	for attr, v := range want {
		if m[attr] != v {
			return nil, ErrBadCursor.Wrap(fmt.Errorf("cursor for %s=%q", attr, m[attr]))
		}
	}
	out := map[string]types.AttributeValue{}
	for k, v := range m {
		out[k] = &types.AttributeValueMemberS{Value: v}
	}
	return out, nil
}

// workers is how many requests an import keeps in flight: DynamoDB answers
// in milliseconds, so a Lambda's import is bound by round trips, not CPU.
const workers = 16

// parallel runs fn(0) … fn(n-1), workers at a time, and answers the first
// error; after an error the rest see their context cancelled.
func parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error { return fn(ctx, i) })
	}
	return g.Wait()
}

// chunks splits n into runs of at most size: [start, end) pairs.
func chunks(n, size int) [][2]int {
	var out [][2]int
	for start := 0; start < n; start += size {
		out = append(out, [2]int{start, min(start+size, n)})
	}
	return out
}

// batchWrite writes reqs 25 at a time, in parallel, retrying what DynamoDB
// leaves unprocessed (throttling) with growing pauses.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	runs := chunks(len(reqs), 25)
	err := parallel(ctx, len(runs), func(ctx context.Context, i int) error {
		return s.writeBatch(ctx, reqs[runs[i][0]:runs[i][1]])
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

func (s *Store) writeBatch(ctx context.Context, b []types.WriteRequest) error {
	pause := 20 * time.Millisecond
	for attempt := 0; len(b) > 0; attempt++ {
		if attempt > 0 {
			if attempt > 8 {
				return fmt.Errorf("batch write: %d items still unprocessed", len(b))
			}
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return ctx.Err()
			}
			pause *= 2
		}
		out, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.Table: b}})
		if err != nil {
			return err
		}
		b = out.UnprocessedItems[s.Table]
	}
	return nil
}

// batchGet reads keys 100 at a time, in parallel, retrying unprocessed keys.
func (s *Store) batchGet(ctx context.Context, keys []Key) ([]map[string]types.AttributeValue, error) {
	runs := chunks(len(keys), 100)
	pages := make([][]map[string]types.AttributeValue, len(runs))
	err := parallel(ctx, len(runs), func(ctx context.Context, i int) error {
		var avs []map[string]types.AttributeValue
		for _, k := range keys[runs[i][0]:runs[i][1]] {
			avs = append(avs, k.av())
		}
		pause := 20 * time.Millisecond
		for attempt := 0; len(avs) > 0; attempt++ {
			if attempt > 8 {
				return fmt.Errorf("batch get: %d keys still unprocessed", len(avs))
			}
			if attempt > 0 {
				select {
				case <-time.After(pause):
				case <-ctx.Done():
					return ctx.Err()
				}
				pause *= 2
			}
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				s.Table: {Keys: avs, ConsistentRead: aws.Bool(true)},
			}})
			if err != nil {
				return err
			}
			pages[i] = append(pages[i], res.Responses[s.Table]...)
			avs = nil
			if u, ok := res.UnprocessedKeys[s.Table]; ok {
				avs = u.Keys
			}
		}
		return nil
	})
	if err != nil {
		return nil, unavailable(err)
	}
	var out []map[string]types.AttributeValue
	for _, p := range pages {
		out = append(out, p...)
	}
	return out, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// get reads one item into record r; errNotFound when there is none.
func (s *Store) get(ctx context.Context, k Key, r any) error {
	av, err := s.getItem(ctx, k)
	if err != nil {
		return err
	}
	return readRecord(av, r)
}

// getItem reads one item; errNotFound when there is none.
func (s *Store) getItem(ctx context.Context, k Key) (map[string]types.AttributeValue, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: k.av()})
	if err != nil {
		return nil, unavailable(err)
	}
	if out.Item == nil {
		return nil, errNotFound
	}
	return out.Item, nil
}

// getConsistent reads one item into record r with a strongly consistent
// read; errNotFound when there is none.
func (s *Store) getConsistent(ctx context.Context, k Key, r any) error {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: k.av(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return unavailable(err)
	}
	if out.Item == nil {
		return errNotFound
	}
	return readRecord(out.Item, r)
}

// putNew writes record r, which must not exist yet.
func (s *Store) putNew(ctx context.Context, r any) error {
	av, err := record(r)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// putVersioned writes item over version prev (0: it must not exist yet);
// errChanged when another write came first.
func (s *Store) putVersioned(ctx context.Context, item map[string]types.AttributeValue, prev int) error {
	cond, vals := versioned(prev)
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item,
		ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return errChanged
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// queryAll walks every page of a Query.
func (s *Store) queryAll(ctx context.Context, in *dynamodb.QueryInput, each func(map[string]types.AttributeValue) error) error {
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return unavailable(err)
		}
		for _, av := range page.Items {
			if err := each(av); err != nil {
				return err
			}
		}
	}
	return nil
}

// queryPrefix walks every item of a partition whose sort key starts with
// prefix (the whole partition for "").
func (s *Store) queryPrefix(ctx context.Context, pk, prefix string, each func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":sk": str(prefix)},
	}
	if prefix == "" {
		in.KeyConditionExpression = aws.String("PK = :pk")
		delete(in.ExpressionAttributeValues, ":sk")
	}
	return s.queryAll(ctx, in, each)
}

// queryIndex reads a whole partition of an index (its SK range when prefix
// is set).
func (s *Store) queryIndex(ctx context.Context, index, pk, prefix string, each func(map[string]types.AttributeValue) error) error {
	pkName, skName := index+"PK", index+"SK"
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String(index),
		KeyConditionExpression:    aws.String(pkName + " = :pk AND begins_with(" + skName + ", :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":sk": str(prefix)},
	}
	if prefix == "" {
		in.KeyConditionExpression = aws.String(pkName + " = :pk")
		delete(in.ExpressionAttributeValues, ":sk")
	}
	return s.queryAll(ctx, in, each)
}
