package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// retryable says whether a failed write may succeed when tried again:
// a transaction that lost to another on the same items, or throttling.
// DynamoDB Local never produces either; tests inject them with
// internal/dynamolocal.Faults.
func retryable(err error) bool {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
				return true
			}
		}
		return false
	}
	var tip *types.TransactionInProgressException
	var pte *types.ProvisionedThroughputExceededException
	var rle *types.RequestLimitExceeded
	if errors.As(err, &tip) || errors.As(err, &pte) || errors.As(err, &rle) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ThrottlingException", "TransactionConflictException":
			return true
		}
	}
	return false
}

// Backoff bounds for retried writes: full jitter, doubling from base to max.
const (
	retryBase = 10 * time.Millisecond
	retryMax  = 500 * time.Millisecond
	// retryMargin is kept free before the deadline to answer the client.
	retryMargin = 300 * time.Millisecond
	// retryAttempts bounds the tries where the context has no deadline.
	retryAttempts = 12
)

// withRetry runs op until it succeeds, fails for good, or the context's
// deadline (the Lambda's, less a margin) would pass during the next pause.
func withRetry(ctx context.Context, op func() error) error {
	pause := retryBase
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !retryable(err) || attempt == retryAttempts {
			return err
		}
		wait := time.Duration(rand.Int64N(int64(pause) + 1))
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait+retryMargin {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
		pause = min(2*pause, retryMax)
	}
}

// transact runs one TransactWriteItems, retried while it loses to a conflict
// or is throttled.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	return withRetry(ctx, func() error {
		_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		return err
	})
}
