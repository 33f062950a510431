package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Pinger reads one item to prove the table answers; it needs only read access.
type Pinger struct {
	DB    *dynamodb.Client
	Table string
}

// Ping reads the health item.
func (p Pinger) Ping(ctx context.Context) error {
	pk, sk := HealthKey()
	_, err := p.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(p.Table),
		Key: map[string]types.AttributeValue{
			Table.PartitionKey: &types.AttributeValueMemberS{Value: pk},
			Table.SortKey:      &types.AttributeValueMemberS{Value: sk},
		},
	})
	return err
}
