// Package store holds Fangxian's single DynamoDB table: its definition (read by
// the CDK stack and by the local runner, so both build the same table), the
// client set-up, and the key builders every item's keys come from.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Index is a global secondary index with string keys, projecting all attributes.
type Index struct {
	Name         string
	PartitionKey string
	SortKey      string
}

// TableSpec is the shape of the table. The stack and CreateTable both read it.
type TableSpec struct {
	PartitionKey string
	SortKey      string
	Indexes      []Index
	// TTLAttribute holds an item's expiry in epoch seconds (PIPL minimisation,
	// one-time codes, idempotency records).
	TTLAttribute string
}

// Table is Fangxian's one table; docs/access-patterns.md says which
// item lives under which keys.
var Table = TableSpec{
	PartitionKey: "PK",
	SortKey:      "SK",
	Indexes: []Index{
		{Name: "GSI1", PartitionKey: "GSI1PK", SortKey: "GSI1SK"},
		{Name: "GSI2", PartitionKey: "GSI2PK", SortKey: "GSI2SK"},
	},
	TTLAttribute: "expiresAt",
}

// CreateTable creates the table named name from Table, on demand, and waits
// until it is active. An existing table of that name is left as it is.
func CreateTable(ctx context.Context, db *dynamodb.Client, name string) error {
	attrs := []types.AttributeDefinition{
		{AttributeName: aws.String(Table.PartitionKey), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(Table.SortKey), AttributeType: types.ScalarAttributeTypeS},
	}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range Table.Indexes {
		attrs = append(attrs,
			types.AttributeDefinition{AttributeName: aws.String(ix.PartitionKey), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String(ix.SortKey), AttributeType: types.ScalarAttributeTypeS})
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(Table.PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(Table.SortKey), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: gsis,
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(Table.TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enable ttl on %s: %w", name, err)
	}
	return nil
}
