package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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
// the client; the cause goes to the logs.
func unavailable(err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
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

// decodeCursor reads a cursor back, refusing one whose partition is not
// want[attr] for every attr given: a cursor cannot lead into another list.
func decodeCursor(c string, want map[string]string) (map[string]types.AttributeValue, error) {
	if c == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, ErrBadCursor.Wrap(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil || len(m) > 6 {
		return nil, ErrBadCursor.Wrap(fmt.Errorf("cursor %q", c))
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

// writeWorkers is how many BatchWriteItem calls an import keeps in flight.
const writeWorkers = 8

// batchWrite writes reqs 25 at a time on a few workers, retrying what
// DynamoDB leaves unprocessed (throttling) with growing pauses.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	var batches [][]types.WriteRequest
	for len(reqs) > 0 {
		n := min(25, len(reqs))
		batches = append(batches, reqs[:n])
		reqs = reqs[n:]
	}
	work := make(chan []types.WriteRequest)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range min(writeWorkers, len(batches)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if err := s.writeBatch(ctx, b); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
	for _, b := range batches {
		select {
		case work <- b:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return unavailable(firstErr)
	}
	return ctx.Err()
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

// batchGet reads keys 100 at a time, retrying unprocessed keys.
func (s *Store) batchGet(ctx context.Context, keys []Key) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for len(keys) > 0 {
		n := min(100, len(keys))
		var avs []map[string]types.AttributeValue
		for _, k := range keys[:n] {
			avs = append(avs, k.av())
		}
		keys = keys[n:]
		pause := 20 * time.Millisecond
		for attempt := 0; len(avs) > 0; attempt++ {
			if attempt > 8 {
				return nil, unavailable(fmt.Errorf("batch get: %d keys still unprocessed", len(avs)))
			}
			if attempt > 0 {
				time.Sleep(pause)
				pause *= 2
			}
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				s.Table: {Keys: avs, ConsistentRead: aws.Bool(true)},
			}})
			if err != nil {
				return nil, unavailable(err)
			}
			out = append(out, res.Responses[s.Table]...)
			avs = nil
			if u, ok := res.UnprocessedKeys[s.Table]; ok {
				avs = u.Keys
			}
		}
	}
	return out, nil
}
