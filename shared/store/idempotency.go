package store

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/httpapi"
)

var _ httpapi.IdempotencyStore = (*Store)(nil)

// idempotencyTTL is how long an answer is kept for replay: a mini-program's
// retries come within minutes; a day is generous.
const idempotencyTTL = 24 * time.Hour

type idempotencyItem struct {
	keys
	State       string `dynamodbav:"state"`
	BodyHash    []byte `dynamodbav:"bodyHash"`
	Status      int    `dynamodbav:"status,omitempty"`
	ContentType string `dynamodbav:"contentType,omitempty"`
	Body        []byte `dynamodbav:"body,omitempty"`
	ExpiresAt   int64  `dynamodbav:"expiresAt"`
}

// Begin reserves a key, or returns what it holds.
func (s *Store) Begin(ctx context.Context, key string, bodyHash []byte) (*httpapi.StoredResponse, error) {
	k := IdempotencyKey(key)
	now := time.Now()
	av, err := record(idempotencyItem{keys: keys{PK: k.PK, SK: k.SK, Type: "idempotency"}, State: "pending",
		BodyHash: bodyHash, ExpiresAt: now.Add(idempotencyTTL).Unix()})
	if err != nil {
		return nil, err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av,
		// TTL deletes lazily: an expired record counts as none.
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR expiresAt < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": n64(int(now.Unix()))}})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		if err != nil {
			return nil, unavailable(err)
		}
		return nil, nil
	}
	var it idempotencyItem
	if err := s.getConsistent(ctx, k, &it); err != nil {
		if errors.Is(err, errNotFound) {
			return nil, httpapi.ErrIdempotencyBusy // it just expired: let the client retry
		}
		return nil, err
	}
	if it.State == "done" || !bytes.Equal(it.BodyHash, bodyHash) {
		return &httpapi.StoredResponse{BodyHash: it.BodyHash, Status: it.Status, ContentType: it.ContentType, Body: it.Body}, nil
	}
	return nil, httpapi.ErrIdempotencyBusy
}

// Finish stores the answer for replay.
func (s *Store) Finish(ctx context.Context, key string, resp httpapi.StoredResponse) error {
	k := IdempotencyKey(key)
	av, err := record(idempotencyItem{keys: keys{PK: k.PK, SK: k.SK, Type: "idempotency"}, State: "done",
		BodyHash: resp.BodyHash, Status: resp.Status, ContentType: resp.ContentType, Body: resp.Body,
		ExpiresAt: time.Now().Add(idempotencyTTL).Unix()})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return unavailable(err)
	}
	return nil
}

// Abandon frees a key whose request failed on our side.
func (s *Store) Abandon(ctx context.Context, key string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: IdempotencyKey(key).av()})
	if err != nil {
		return unavailable(err)
	}
	return nil
}
