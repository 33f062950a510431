package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fangxian/fangxian/shared/smsflow"
)

var _ smsflow.Menus = (*Store)(nil)

// menuItem is the supply menu a phone was last texted.
type menuItem struct {
	keys
	Items     []menuLine `dynamodbav:"items"`
	ExpiresAt int64      `dynamodbav:"expiresAt"`
}

type menuLine struct {
	ItemID   string `dynamodbav:"itemId"`
	Name     string `dynamodbav:"name"`
	PriceFen int    `dynamodbav:"priceFen"`
}

// SaveMenu keeps the menu a phone was texted, until expires.
func (s *Store) SaveMenu(ctx context.Context, phone string, menu []smsflow.MenuItem, expires time.Time) error {
	k := MenuKey(phone)
	it := menuItem{keys: keys{PK: k.PK, SK: k.SK, Type: "smsMenu"}, ExpiresAt: expires.Unix()}
	for _, m := range menu {
		it.Items = append(it.Items, menuLine{ItemID: m.ItemID, Name: m.Name, PriceFen: m.PriceFen})
	}
	item, err := record(it)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return unavailable(err)
	}
	return nil
}

// Menu reads the menu a phone was last texted; none when it expired (DynamoDB
// Local keeps expired items: the expiry is checked here too).
func (s *Store) Menu(ctx context.Context, phone string, now time.Time) ([]smsflow.MenuItem, error) {
	var it menuItem
	err := s.getConsistent(ctx, MenuKey(phone), &it)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if it.ExpiresAt < now.Unix() {
		return nil, nil
	}
	var out []smsflow.MenuItem
	for _, l := range it.Items {
		out = append(out, smsflow.MenuItem{ItemID: l.ItemID, Name: l.Name, PriceFen: l.PriceFen})
	}
	return out, nil
}
