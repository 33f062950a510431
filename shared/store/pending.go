package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/dispatch"
)

var _ dispatch.PendingStore = (*Store)(nil)

// pendingItem is messages a change left for the dispatch queue: written in
// the change's transaction, deleted once the queue took them (package
// dispatch's Outbox).
type pendingItem struct {
	keys
	ID        string   `dynamodbav:"id"`
	At        when     `dynamodbav:"at"`
	Bodies    []string `dynamodbav:"bodies"`
	Batch     string   `dynamodbav:"batch,omitempty"`
	ExpiresAt int64    `dynamodbav:"expiresAt"`
}

// pendingTTL keeps a record the sweep could not send as long as the queue
// keeps a message.
const pendingTTL = 14 * 24 * time.Hour

// pendingPut is the transaction item that writes p with a change; none for
// nil.
func (s *Store) pendingPut(p *dispatch.Pending) ([]types.TransactWriteItem, error) {
	if p == nil {
		return nil, nil
	}
	k := PendingKey(p.ID, p.At)
	it := pendingItem{keys: keys{PK: k.PK, SK: k.SK, Type: "pending"}, ID: p.ID, At: stamp(p.At), Batch: p.Batch, ExpiresAt: p.At.Add(pendingTTL).Unix()}
	for _, m := range p.Messages {
		it.Bodies = append(it.Bodies, m.Body())
	}
	av, err := record(it)
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: av,
		ConditionExpression: aws.String("attribute_not_exists(PK)")}}}, nil
}

// withPending is items with p's record after them.
func (s *Store) withPending(items []types.TransactWriteItem, p *dispatch.Pending) ([]types.TransactWriteItem, error) {
	put, err := s.pendingPut(p)
	if err != nil {
		return nil, err
	}
	return append(items, put...), nil
}

// DuePending lists records written before before, oldest first: one Query
// of each shard.
func (s *Store) DuePending(ctx context.Context, before time.Time, limit int) ([]dispatch.Pending, error) {
	var out []dispatch.Pending
	for _, shard := range PendingShards {
		in := &dynamodb.QueryInput{TableName: aws.String(s.Table),
			KeyConditionExpression:    aws.String("PK = :pk AND SK < :before"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(PendingKey(string(shard), time.Time{}).PK), ":before": str(formatTime(before))},
			Limit:                     aws.Int32(int32(limit))}
		page, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, unavailable(err)
		}
		for _, av := range page.Items {
			var it pendingItem
			if err := readRecord(av, &it); err != nil {
				return nil, err
			}
			p := dispatch.Pending{ID: it.ID, At: it.At.time(), Batch: it.Batch}
			for _, b := range it.Bodies {
				var m dispatch.Message
				if err := json.Unmarshal([]byte(b), &m); err != nil {
					return nil, err
				}
				p.Messages = append(p.Messages, m)
			}
			out = append(out, p)
		}
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}

// KeepPending writes p's record on its own.
func (s *Store) KeepPending(ctx context.Context, p dispatch.Pending) error {
	items, err := s.pendingPut(&p)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: items[0].Put.TableName, Item: items[0].Put.Item}); err != nil {
		return unavailable(err)
	}
	return nil
}

// DonePending deletes records whose messages the queue took, 25 to a
// BatchWriteItem.
func (s *Store) DonePending(ctx context.Context, ps []dispatch.Pending) error {
	reqs := make([]types.WriteRequest, len(ps))
	for i, p := range ps {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: PendingKey(p.ID, p.At).av()}}
	}
	return s.batchWrite(ctx, reqs)
}

// MarkBatchSent says a batch's records were sent, until they expire.
func (s *Store) MarkBatchSent(ctx context.Context, batch string, at time.Time) error {
	k := PendingBatchKey(batch)
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: map[string]types.AttributeValue{
		"PK": str(k.PK), "SK": str(k.SK), "type": str("pendingBatch"), "expiresAt": n(at.Add(pendingTTL).Unix())}})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// BatchSent says whether a batch's records were sent.
func (s *Store) BatchSent(ctx context.Context, batch string) (bool, error) {
	_, err := s.getItem(ctx, PendingBatchKey(batch))
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	return err == nil, err
}

// writeWith writes one item (a Put or an Update) and, when there is one,
// p's record: a single call without, one transaction with (twice the write
// units, only then). It answers whether the item's condition failed.
func (s *Store) writeWith(ctx context.Context, w types.TransactWriteItem, p *dispatch.Pending) (bool, error) {
	var err error
	switch {
	case p != nil:
		var items []types.TransactWriteItem
		if items, err = s.withPending([]types.TransactWriteItem{w}, p); err != nil {
			return false, err
		}
		err = s.transact(ctx, items)
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) && failed(tce, 0) {
			return true, nil
		}
	case w.Put != nil:
		put := w.Put
		_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues})
	case w.Update != nil:
		up := w.Update
		_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: up.TableName, Key: up.Key, UpdateExpression: up.UpdateExpression,
			ConditionExpression: up.ConditionExpression, ExpressionAttributeNames: up.ExpressionAttributeNames,
			ExpressionAttributeValues: up.ExpressionAttributeValues})
	default:
		return false, errors.New("store: writeWith takes a Put or an Update")
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return true, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return false, nil
}
