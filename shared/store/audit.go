package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/chinatime"
)

var _ audit.Store = (*Store)(nil)

// ErrAuditExists is an entry written twice: the log is append-only.
var ErrAuditExists = errors.New("store: an audit entry exists already")

// AppendAudit writes an entry; never over another.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry, expires time.Time) error {
	k := AuditKey(e.StreetID, e.At, e.RequestID)
	item, err := document(keys{PK: k.PK, SK: k.SK, Type: "audit"}, e)
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

// outcomeItem is an entry's outcome, beside it: its status, what it
// changed, how many people a read answered.
type outcomeItem struct {
	keys
	Status    int            `dynamodbav:"status"`
	Changes   []audit.Change `dynamodbav:"changes,omitempty"`
	Count     *int           `dynamodbav:"count,omitempty"`
	ExpiresAt int64          `dynamodbav:"expiresAt"`
}

// AppendOutcome writes an entry's outcome beside it, once.
func (s *Store) AppendOutcome(ctx context.Context, e audit.Entry, o audit.Outcome, expires time.Time) error {
	k := AuditOutcomeKey(AuditKey(e.StreetID, e.At, e.RequestID))
	item, err := record(outcomeItem{keys: keys{PK: k.PK, SK: k.SK, Type: "auditOutcome"}, Status: o.Status, Changes: o.Changes, Count: o.Count,
		ExpiresAt: expires.Unix()})
	if err != nil {
		return err
	}
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

// AuditDay lists a street's entries of a Beijing day with their outcomes,
// every page of it.
func (s *Store) AuditDay(ctx context.Context, streetID, day string) ([]audit.Entry, error) {
	var all []audit.Entry
	cursor := ""
	for {
		page, next, err := s.AuditPage(ctx, streetID, day, cursor, 500)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		cursor = next
	}
}

// AuditPage lists up to limit entries of a street's Beijing day with their
// outcomes, from a cursor: one Query of the day's partition (an entry and
// its outcome sit side by side), and a GetItem when a page ends between the
// two. The cursor points past the last entry's outcome.
func (s *Store) AuditPage(ctx context.Context, streetID, day, cursor string, limit int) ([]audit.Entry, string, error) {
	pk := "AUDIT#" + streetID + "#" + day
	start, err := decodeCursor(cursor, tableCursor, map[string]string{"PK": pk})
	if err != nil {
		return nil, "", err
	}
	out := []audit.Entry{}
	outcomes := map[string]outcomeItem{}
	last := ""
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}, ExclusiveStartKey: start, Limit: aws.Int32(int32(2 * limit))}
	for len(out) < limit {
		page, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, "", unavailable(err)
		}
		for _, av := range page.Items {
			sk, _ := av["SK"].(*types.AttributeValueMemberS)
			if sk != nil && strings.HasSuffix(sk.Value, "#outcome") {
				var o outcomeItem
				if err := readRecord(av, &o); err != nil {
					return nil, "", err
				}
				outcomes[strings.TrimSuffix(sk.Value, "#outcome")] = o
				continue
			}
			if len(out) == limit {
				break
			}
			var e audit.Entry
			if err := readDocument(av, &e); err != nil {
				return nil, "", err
			}
			e.At = e.At.In(chinatime.Zone) // to the nanosecond, as its key
			out = append(out, e)
			last = sk.Value
		}
		if len(page.LastEvaluatedKey) == 0 {
			last = "" // the day is read to its end
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	for i, e := range out {
		k := AuditKey(e.StreetID, e.At, e.RequestID)
		o, ok := outcomes[k.SK]
		if !ok && i == len(out)-1 {
			// The page ended between the entry and its outcome.
			if err := s.get(ctx, AuditOutcomeKey(k), &o); err != nil && !errors.Is(err, errNotFound) {
				return nil, "", err
			}
		}
		out[i].Status, out[i].Changes, out[i].Count = o.Status, o.Changes, o.Count
	}
	next := ""
	if last != "" && len(out) == limit {
		next = encodeCursor(map[string]types.AttributeValue{"PK": str(pk), "SK": str(last + "#outcome")})
	}
	return out, next, nil
}
