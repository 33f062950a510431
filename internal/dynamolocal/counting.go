package dynamolocal

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fangxian/fangxian/shared/store"
)

// Counting counts the DynamoDB requests that reach the real client, for
// benchmarks that report requests per operation. The store's DB port has
// no Scan: a list that scanned could not be written.
type Counting struct {
	store.DB
	gets, puts, updates, deletes, queries, batchGets, batchWrites, transacts atomic.Int64
}

// Total is every request counted since the last Reset.
func (c *Counting) Total() int64 {
	return c.gets.Load() + c.puts.Load() + c.updates.Load() + c.deletes.Load() + c.queries.Load() +
		c.batchGets.Load() + c.batchWrites.Load() + c.transacts.Load()
}

// Reset starts the counts again.
func (c *Counting) Reset() {
	for _, n := range []*atomic.Int64{&c.gets, &c.puts, &c.updates, &c.deletes, &c.queries, &c.batchGets, &c.batchWrites, &c.transacts} {
		n.Store(0)
	}
}

// GetItem counts one request and passes it on.
func (c *Counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.gets.Add(1)
	return c.DB.GetItem(ctx, in, o...)
}

// PutItem counts one request and passes it on.
func (c *Counting) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.puts.Add(1)
	return c.DB.PutItem(ctx, in, o...)
}

// UpdateItem counts one request and passes it on.
func (c *Counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.updates.Add(1)
	return c.DB.UpdateItem(ctx, in, o...)
}

// DeleteItem counts one request and passes it on.
func (c *Counting) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.deletes.Add(1)
	return c.DB.DeleteItem(ctx, in, o...)
}

// Query counts one request and passes it on.
func (c *Counting) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries.Add(1)
	return c.DB.Query(ctx, in, o...)
}

// BatchGetItem counts one request and passes it on.
func (c *Counting) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.batchGets.Add(1)
	return c.DB.BatchGetItem(ctx, in, o...)
}

// BatchWriteItem counts one request and passes it on.
func (c *Counting) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.batchWrites.Add(1)
	return c.DB.BatchWriteItem(ctx, in, o...)
}

// TransactWriteItems counts one request and passes it on.
func (c *Counting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.transacts.Add(1)
	return c.DB.TransactWriteItems(ctx, in, o...)
}
