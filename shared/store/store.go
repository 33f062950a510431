package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/fangxian/fangxian/shared/apperr"
)

// DB is the part of the DynamoDB client the store uses; tests wrap the real
// client to inject what DynamoDB Local never does (conflicts, throttling).
type DB interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ DB = (*dynamodb.Client)(nil)

// Store is the DynamoDB adapter of every domain port.
type Store struct {
	DB    DB
	Table string
}

func (k Key) av() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		Table.PartitionKey: &types.AttributeValueMemberS{Value: k.PK},
		Table.SortKey:      &types.AttributeValueMemberS{Value: k.SK},
	}
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

// ErrBadCursor is a cursor that this list did not hand out.
var ErrBadCursor = apperr.New(apperr.KindInvalid, "INVALID_CURSOR", "分页游标无效", "The cursor is not valid")

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

// Key attributes of a cursor, per list: a Query of the table returns the
// table's keys as LastEvaluatedKey, a Query of an index the index's keys and
// the table's.
var (
	tableCursor = []string{"PK", "SK"}
	gsi1Cursor  = []string{"GSI1PK", "GSI1SK", "PK", "SK"}
)

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

// parallel runs fn(0) … fn(n-1) on a few workers and returns the first error;
// after an error the rest are skipped.
func parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
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
				time.Sleep(pause)
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
