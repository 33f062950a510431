package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/chinatime"
)

var _ audit.Store = (*Store)(nil)

// AuditKey is one entry of a street's log, in the partition of its Beijing
// day; its outcome is the item beside it (SK + "#outcome").
func AuditKey(streetID string, at time.Time, requestID string) Key {
	bj := chinatime.In(at)
	return Key{"AUDIT#" + streetID + "#" + bj.Format(time.DateOnly), at.UTC().Format(time.RFC3339Nano) + "#" + requestID}
}

// ErrAuditExists is an entry written twice: the log is append-only.
var ErrAuditExists = errors.New("store: an audit entry exists already")

// AppendAudit writes an entry; never over another.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry, expires time.Time) error {
	k := AuditKey(e.StreetID, e.At, e.RequestID)
	item, err := jsonItem(keys{PK: k.PK, SK: k.SK, Type: "audit"}, e)
	if err != nil {
		return err
	}
	item["expiresAt"] = n(expires.Unix())
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrAuditExists
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// AppendOutcome writes an entry's outcome beside it, once.
func (s *Store) AppendOutcome(ctx context.Context, e audit.Entry, status int, expires time.Time) error {
	k := AuditKey(e.StreetID, e.At, e.RequestID)
	item := Key{k.PK, k.SK + "#outcome"}.av()
	item["type"], item["status"], item["expiresAt"] = str("auditOutcome"), n64(status), n(expires.Unix())
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrAuditExists
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// AuditDay lists a street's entries of a Beijing day with their outcomes:
// one Query of the day's partition.
func (s *Store) AuditDay(ctx context.Context, streetID, day string) ([]audit.Entry, error) {
	out := []audit.Entry{}
	outcomes := map[string]int{}
	err := s.queryPrefix(ctx, "AUDIT#"+streetID+"#"+day, "", func(av map[string]types.AttributeValue) error {
		sk, _ := av["SK"].(*types.AttributeValueMemberS)
		if sk != nil && strings.HasSuffix(sk.Value, "#outcome") {
			var o struct {
				Status int `dynamodbav:"status"`
			}
			if err := attributevalue.UnmarshalMap(av, &o); err != nil {
				return err
			}
			outcomes[strings.TrimSuffix(sk.Value, "#outcome")] = o.Status
			return nil
		}
		var e audit.Entry
		if err := fromJSONItem(av, &e); err != nil {
			return err
		}
		e.At = chinatime.In(e.At)
		out = append(out, e)
		return nil
	})
	for i, e := range out {
		out[i].Status = outcomes[AuditKey(e.StreetID, e.At, e.RequestID).SK]
	}
	return out, err
}
