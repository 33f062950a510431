package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Pinger reads one item to prove the table answers; it needs only read access.
type Pinger struct {
	DB    DB
	Table string
}

// Ping reads the health item.
func (p Pinger) Ping(ctx context.Context) error {
	_, err := p.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(p.Table), Key: HealthKey().av()})
	return err
}
