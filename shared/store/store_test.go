package store_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

func TestCreateTableFollowsTheSpec(t *testing.T) {
	db, name := dynamolocal.NewTable(t)
	ctx := context.Background()
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, k := range out.Table.KeySchema {
		keys[string(k.KeyType)] = aws.ToString(k.AttributeName)
	}
	if keys["HASH"] != store.Table.PartitionKey || keys["RANGE"] != store.Table.SortKey {
		t.Errorf("key schema %v", keys)
	}
	if got, want := len(out.Table.GlobalSecondaryIndexes), len(store.Table.Indexes); got != want {
		t.Errorf("%d indexes, want %d", got, want)
	}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(ttl.TimeToLiveDescription.AttributeName); got != store.Table.TTLAttribute {
		t.Errorf("ttl attribute %q, want %q", got, store.Table.TTLAttribute)
	}
	// A second create of the same table is not an error.
	if err := store.CreateTable(ctx, db, name); err != nil {
		t.Errorf("second CreateTable: %v", err)
	}
}

func TestPing(t *testing.T) {
	db, name := dynamolocal.NewTable(t)
	if err := (store.Pinger{DB: db, Table: name}).Ping(context.Background()); err != nil {
		t.Fatalf("ping an existing table: %v", err)
	}
	if err := (store.Pinger{DB: db, Table: "no-such-table"}).Ping(context.Background()); err == nil {
		t.Fatal("ping of a missing table succeeded")
	}
}
