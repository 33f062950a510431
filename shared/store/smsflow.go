package store

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/smsflow"
)

var _ smsflow.Menus = (*Store)(nil)

// MenuKey is the supply menu a phone was last texted: what its numbers mean.
func MenuKey(phone string) Key { return Key{"PHONE#" + phone, "SMSMENU"} }

// SaveMenu keeps the menu a phone was texted, until expires.
func (s *Store) SaveMenu(ctx context.Context, phone string, menu []smsflow.MenuItem, expires time.Time) error {
	item, err := jsonItem(keys{PK: MenuKey(phone).PK, SK: MenuKey(phone).SK, Type: "smsMenu"}, struct {
		Items []smsflow.MenuItem `json:"items"`
	}{menu})
	if err != nil {
		return err
	}
	item["expiresAt"] = n(expires.Unix())
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return unavailable(err)
	}
	return nil
}

// Menu reads the menu a phone was last texted; none when it expired (DynamoDB
// Local keeps expired items: the expiry is checked here too).
func (s *Store) Menu(ctx context.Context, phone string, now time.Time) ([]smsflow.MenuItem, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: MenuKey(phone).av(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, unavailable(err)
	}
	if out.Item == nil {
		return nil, nil
	}
	if exp, ok := out.Item["expiresAt"].(*types.AttributeValueMemberN); ok {
		if at, err := strconv.ParseInt(exp.Value, 10, 64); err == nil && at < now.Unix() {
			return nil, nil
		}
	}
	var m struct {
		Items []smsflow.MenuItem `json:"items"`
	}
	if err := fromJSONItem(out.Item, &m); err != nil {
		return nil, err
	}
	return m.Items, nil
}
