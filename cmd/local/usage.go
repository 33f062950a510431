package main

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/store"
)

// usage counts what the stack's work would cost in the cloud: DynamoDB's
// capacity units as DynamoDB Local reports them, requests by operation, and
// the invocations each function would take (an API request, a queue batch,
// a scheduled run). GET /dev/stats shows it; the scenario reads it.
type usage struct {
	mu          sync.Mutex
	read, write float64
	// cancelled are transactions DynamoDB cancelled (a condition failed):
	// DynamoDB Local reports no units for them, DynamoDB bills a failed
	// condition its write units, so they are priced as their items would
	// have been written (2 units an item of up to 1 KB in a transaction).
	cancelled, cancelledUnits float64
	requests                  map[string]int64
	invocations               map[string]int64
}

func newUsage() *usage {
	return &usage{requests: map[string]int64{}, invocations: map[string]int64{}}
}

func (u *usage) invoked(fn string) {
	u.mu.Lock()
	u.invocations[fn]++
	u.mu.Unlock()
}

func (u *usage) consumed(op string, write bool, cs ...types.ConsumedCapacity) {
	units := 0.0
	for _, c := range cs {
		if c.CapacityUnits != nil {
			units += *c.CapacityUnits
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests[op]++
	if write {
		u.write += units
	} else {
		u.read += units
	}
}

// Stats is the answer of GET /dev/stats.
type Stats struct {
	ReadUnits   float64          `json:"dynamodbReadUnits"`
	WriteUnits  float64          `json:"dynamodbWriteUnits"`
	Requests    map[string]int64 `json:"dynamodbRequests"`
	Invocations map[string]int64 `json:"invocations"`
	// CancelledTransactions and CancelledWriteUnits: refusals a
	// transaction found (not in WriteUnits; see usage).
	CancelledTransactions float64 `json:"cancelledTransactions"`
	CancelledWriteUnits   float64 `json:"cancelledWriteUnits"`
}

func (u *usage) stats() Stats {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := Stats{ReadUnits: u.read, WriteUnits: u.write, Requests: map[string]int64{}, Invocations: map[string]int64{},
		CancelledTransactions: u.cancelled, CancelledWriteUnits: u.cancelledUnits}
	for k, v := range u.requests {
		s.Requests[k] = v
	}
	for k, v := range u.invocations {
		s.Invocations[k] = v
	}
	return s
}

func (u *usage) handler() http.Handler {
	return httpapi.Reply(http.StatusOK, func(*http.Request) (any, error) { return u.stats(), nil })
}

// counted wraps a function's handlers: each request is an invocation.
func (u *usage) counted(fn string, hs httpapi.Handlers) httpapi.Handlers {
	out := httpapi.Handlers{}
	for op, h := range hs {
		out[op] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u.invoked(fn)
			h.ServeHTTP(w, r)
		})
	}
	return out
}

// countingDB asks DynamoDB Local for the capacity each request consumed.
type countingDB struct {
	store.DB
	u *usage
}

var total = types.ReturnConsumedCapacityTotal

func (c countingDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = total
	out, err := c.DB.GetItem(ctx, in, o...)
	if err == nil && out.ConsumedCapacity != nil {
		c.u.consumed("GetItem", false, *out.ConsumedCapacity)
	}
	return out, err
}

func (c countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = total
	out, err := c.DB.PutItem(ctx, in, o...)
	if err == nil && out.ConsumedCapacity != nil {
		c.u.consumed("PutItem", true, *out.ConsumedCapacity)
	} else if err != nil {
		c.u.consumed("PutItem", true) // a refused condition still costs a write
	}
	return out, err
}

func (c countingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ReturnConsumedCapacity = total
	out, err := c.DB.UpdateItem(ctx, in, o...)
	if err == nil && out.ConsumedCapacity != nil {
		c.u.consumed("UpdateItem", true, *out.ConsumedCapacity)
	} else if err != nil {
		c.u.consumed("UpdateItem", true)
	}
	return out, err
}

func (c countingDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = total
	out, err := c.DB.DeleteItem(ctx, in, o...)
	if err == nil && out.ConsumedCapacity != nil {
		c.u.consumed("DeleteItem", true, *out.ConsumedCapacity)
	}
	return out, err
}

func (c countingDB) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = total
	out, err := c.DB.Query(ctx, in, o...)
	if err == nil && out.ConsumedCapacity != nil {
		c.u.consumed("Query", false, *out.ConsumedCapacity)
	}
	return out, err
}

func (c countingDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	in.ReturnConsumedCapacity = total
	out, err := c.DB.BatchGetItem(ctx, in, o...)
	if err == nil {
		c.u.consumed("BatchGetItem", false, out.ConsumedCapacity...)
	}
	return out, err
}

func (c countingDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	in.ReturnConsumedCapacity = total
	out, err := c.DB.BatchWriteItem(ctx, in, o...)
	if err == nil {
		c.u.consumed("BatchWriteItem", true, out.ConsumedCapacity...)
	}
	return out, err
}

func (c countingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	in.ReturnConsumedCapacity = total
	out, err := c.DB.TransactWriteItems(ctx, in, o...)
	var tce *types.TransactionCanceledException
	switch {
	case err == nil:
		c.u.consumed("TransactWriteItems", true, out.ConsumedCapacity...)
	case errors.As(err, &tce):
		c.u.consumed("TransactWriteItems", true)
		c.u.mu.Lock()
		c.u.cancelled++
		c.u.cancelledUnits += 2 * float64(len(in.TransactItems))
		c.u.mu.Unlock()
	default:
		c.u.consumed("TransactWriteItems", true)
	}
	return out, err
}
