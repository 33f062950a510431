package dynamolocal

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/store"
)

// Faults wraps the real client and injects, into TransactWriteItems, what
// DynamoDB Local never does: transaction conflicts, throttling, and an
// answer lost after the write committed. Each counter is how many more
// calls get that fault; the tests set them.
type Faults struct {
	store.DB
	Conflicts, Throttles atomic.Int32 // failures still to inject, before the call
	DropAfter            atomic.Int32 // commits whose answer is lost
	Calls                atomic.Int32 // TransactWriteItems calls seen
}

// TransactWriteItems injects the next fault due, or passes the call on.
func (f *Faults) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.Calls.Add(1)
	if f.Conflicts.Add(-1) >= 0 {
		reasons := make([]types.CancellationReason, len(in.TransactItems))
		for i := range reasons {
			reasons[i].Code = aws.String("None")
		}
		reasons[len(reasons)-1].Code = aws.String("TransactionConflict")
		return nil, &types.TransactionCanceledException{Message: aws.String("conflict"), CancellationReasons: reasons}
	}
	if f.Throttles.Add(-1) >= 0 {
		return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("throttled")}
	}
	out, err := f.DB.TransactWriteItems(ctx, in, opts...)
	if err == nil && f.DropAfter.Add(-1) >= 0 {
		return nil, errors.New("connection reset after the write") // the client never hears back
	}
	return out, err
}
