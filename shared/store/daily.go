package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/daily"
	"github.com/fangxian/fangxian/shared/help"
)

// ReportTemplate reads a street's daily sheet; false when it set none.
func (s *Store) ReportTemplate(ctx context.Context, sid string) (daily.Template, bool, error) {
	av, err := s.getItem(ctx, ReportTemplateKey(sid))
	if errors.Is(err, errNotFound) {
		return daily.Template{}, false, nil
	}
	if err != nil {
		return daily.Template{}, false, err
	}
	var t daily.Template
	return t, true, readDocument(av, &t)
}

// PutReportTemplate writes a street's sheet over version prev.
func (s *Store) PutReportTemplate(ctx context.Context, t daily.Template, prev int) error {
	k := ReportTemplateKey(t.StreetID)
	item, err := document(keys{PK: k.PK, SK: k.SK, Type: "reporttemplate"}, t)
	if err != nil {
		return err
	}
	if err := s.putVersioned(ctx, item, prev); errors.Is(err, errChanged) {
		return daily.ErrChanged
	} else if err != nil {
		return err
	}
	return nil
}

// Confirmation reads a community's confirmation of a day's figures.
func (s *Store) Confirmation(ctx context.Context, cid, day string) (daily.Confirmation, bool, error) {
	av, err := s.getItem(ctx, DailyKey(cid, day))
	if errors.Is(err, errNotFound) {
		return daily.Confirmation{}, false, nil
	}
	if err != nil {
		return daily.Confirmation{}, false, err
	}
	var c daily.Confirmation
	if err := readDocument(av, &c); err != nil {
		return daily.Confirmation{}, false, err
	}
	c.At = chinatime.In(c.At)
	return c, true, nil
}

// PutConfirmation writes a community's confirmation of a day, over any
// earlier one of that day.
func (s *Store) PutConfirmation(ctx context.Context, c daily.Confirmation) error {
	k := DailyKey(c.CommunityID, c.Day)
	item, err := document(keys{PK: k.PK, SK: k.SK, Type: "daily"}, c)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return unavailable(err)
	}
	return nil
}

// HelpCreated lists a community's help requests made in [from, to): the
// open and the closed partitions of its index, each one Query between the
// two times.
func (s *Store) HelpCreated(ctx context.Context, cid string, from, to time.Time) ([]help.Request, error) {
	var avs []map[string]types.AttributeValue
	for _, closed := range []bool{false, true} {
		lo, hi := HelpsIndex(cid, closed, from, ""), HelpsIndex(cid, closed, to, "")
		err := s.queryAll(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String("GSI1"),
			KeyConditionExpression:    aws.String("GSI1PK = :pk AND GSI1SK BETWEEN :lo AND :hi"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(lo.PK), ":lo": str(lo.SK), ":hi": str(hi.SK)}},
			func(av map[string]types.AttributeValue) error {
				avs = append(avs, av)
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	all, err := helpsOf(avs)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, r := range all {
		if !r.CreatedAt.Before(from) && r.CreatedAt.Before(to) {
			out = append(out, r)
		}
	}
	return out, nil
}

// spendKept is how long a day's SMS count is kept: as long as a day's
// report may be read.
const spendKept = 401 * 24 * time.Hour

// AddSMSSpend adds messages and parts to a community's count of a day.
func (s *Store) AddSMSSpend(ctx context.Context, cid, day string, messages, parts int) error {
	d, err := time.ParseInLocation(time.DateOnly, day, chinatime.Zone)
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: SMSSpendKey(cid, day).av(),
		UpdateExpression:          aws.String("ADD messages :m, parts :p SET #type = :t, expiresAt = :exp"),
		ExpressionAttributeNames:  map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":m": n64(messages), ":p": n64(parts), ":t": str("smsspend"), ":exp": n(d.Add(spendKept).Unix())}})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// SMSSpend reads a community's SMS count of a day.
func (s *Store) SMSSpend(ctx context.Context, cid, day string) (messages, parts int, err error) {
	av, err := s.getItem(ctx, SMSSpendKey(cid, day))
	if errors.Is(err, errNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var c struct {
		Messages int `dynamodbav:"messages"`
		Parts    int `dynamodbav:"parts"`
	}
	return c.Messages, c.Parts, attributevalue.UnmarshalMap(av, &c)
}
