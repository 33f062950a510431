package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
)

var (
	_ auth.Accounts   = (*Store)(nil)
	_ auth.Challenges = (*Store)(nil)
	_ auth.Bindings   = (*Store)(nil)
)

// AccountByPhone reads who phone signs in as.
func (s *Store) AccountByPhone(ctx context.Context, phone string) (auth.Account, error) {
	var it accountItem
	err := s.get(ctx, AccountKey(phone), &it)
	if errors.Is(err, registry.ErrNotFound) {
		return auth.Account{}, auth.ErrNoAccount
	}
	if err != nil {
		return auth.Account{}, err
	}
	return it.domain(), nil
}

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// Start records a code send. Two conditional updates decide it atomically,
// whatever runs at the same time: the same day under the daily limit, or the
// first send of a (new) day; both need a minute since the last send.
func (s *Store) Start(ctx context.Context, phone string, codeHash []byte, now, expires time.Time) error {
	values := map[string]types.AttributeValue{
		":now": n(now.Unix()), ":zero": n(0), ":one": n(1), ":exp": n(expires.Unix()),
		// Keep the counters to the end of the next day, then let TTL drop them.
		":ttl":       n(now.Add(48 * time.Hour).Unix()),
		":minuteAgo": n(now.Add(-auth.ResendInterval).Unix()),
		":day":       str(auth.Day(now)),
		":max":       n(auth.DailySends),
	}
	expr := func(count string) string {
		set := "SET lastSentAt = :now, expiresAt = :ttl, attempts = :zero, codeExpiresAt = :exp, " + count
		if codeHash == nil {
			return set + " REMOVE codeHash" // an unknown phone: counted, no code
		}
		values[":hash"] = &types.AttributeValueMemberB{Value: codeHash}
		return set + ", codeHash = :hash"
	}
	err := s.update(ctx, ChallengeKey(phone), expr("dayCount = dayCount + :one"),
		"#day = :day AND dayCount < :max AND lastSentAt <= :minuteAgo", values)
	if errors.Is(err, errCondition) {
		err = s.update(ctx, ChallengeKey(phone), expr("#day = :day, dayCount = :one"),
			"attribute_not_exists(PK) OR (#day <> :day AND lastSentAt <= :minuteAgo)", values)
	}
	if errors.Is(err, errCondition) {
		return auth.ErrRateLimited
	}
	return err
}

var errCondition = errors.New("condition failed")

// update runs a conditional UpdateItem; errCondition when the condition fails.
// DynamoDB refuses unused values, so only those the expressions name are sent.
func (s *Store) update(ctx context.Context, k Key, update, condition string, values map[string]types.AttributeValue) error {
	used := map[string]types.AttributeValue{}
	for name, v := range values {
		if strings.Contains(update, name) || strings.Contains(condition, name) {
			used[name] = v
		}
	}
	names := map[string]string{}
	if strings.Contains(update+condition, "#day") {
		names["#day"] = "day"
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: k.av(),
		UpdateExpression: aws.String(update), ConditionExpression: aws.String(condition),
		ExpressionAttributeNames: names, ExpressionAttributeValues: used,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return errCondition
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Attempt uses one attempt on a live code and returns its hash.
func (s *Store) Attempt(ctx context.Context, phone string, now time.Time) ([]byte, error) {
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: ChallengeKey(phone).av(),
		UpdateExpression:    aws.String("SET attempts = attempts + :one"),
		ConditionExpression: aws.String("attribute_exists(codeHash) AND codeExpiresAt > :now AND attempts < :max"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": n(1), ":now": n(now.Unix()), ":max": n(auth.MaxAttempts),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var old struct {
			CodeHash      []byte `dynamodbav:"codeHash"`
			CodeExpiresAt int64  `dynamodbav:"codeExpiresAt"`
			Attempts      int    `dynamodbav:"attempts"`
		}
		if ccf.Item != nil {
			_ = attributevalue.UnmarshalMap(ccf.Item, &old)
		}
		if old.CodeHash != nil && old.CodeExpiresAt > now.Unix() && old.Attempts >= auth.MaxAttempts {
			return nil, auth.ErrLocked
		}
		return nil, auth.ErrNoChallenge
	}
	if err != nil {
		return nil, unavailable(err)
	}
	var it struct {
		CodeHash []byte `dynamodbav:"codeHash"`
	}
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return nil, err
	}
	return it.CodeHash, nil
}

// Consume ends the code with this hash; the send counters stay.
func (s *Store) Consume(ctx context.Context, phone string, codeHash []byte) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: ChallengeKey(phone).av(),
		UpdateExpression:          aws.String("REMOVE codeHash, codeExpiresAt"),
		ConditionExpression:       aws.String("codeHash = :hash"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":hash": &types.AttributeValueMemberB{Value: codeHash}},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return auth.ErrNoChallenge
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

type bindingItem struct {
	keys
	OpenID  string `dynamodbav:"openId"`
	Phone   string `dynamodbav:"phone"`
	BoundAt string `dynamodbav:"boundAt"`
}

// PhoneOf reads the phone a WeChat openid is bound to.
func (s *Store) PhoneOf(ctx context.Context, openID string) (string, error) {
	var it bindingItem
	err := s.get(ctx, BindingKey(openID), &it)
	if errors.Is(err, registry.ErrNotFound) {
		return "", auth.ErrNoAccount
	}
	return it.Phone, err
}

// Bind binds (or rebinds) a WeChat openid to a phone.
func (s *Store) Bind(ctx context.Context, openID, phone string, at time.Time) error {
	k := BindingKey(openID)
	av, err := attributevalue.MarshalMap(bindingItem{keys: keys{PK: k.PK, SK: k.SK, Type: "wechat"}, OpenID: openID, Phone: phone, BoundAt: at.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return unavailable(err)
	}
	return nil
}

// Errors of CreateStreetWithAdmin.
var (
	// ErrAdminExists: the deployment has its first admin already and force is not set.
	ErrAdminExists = errors.New("the deployment already has a street admin")
	// ErrStreetExists: a street with this id exists.
	ErrStreetExists = errors.New("the street exists already")
)

// CreateStreetWithAdmin creates a street and its admin in one transaction.
// With first set it is the operator's bootstrap: it refuses when a first
// admin exists, unless force.
func (s *Store) CreateStreetWithAdmin(ctx context.Context, st registry.Street, admin registry.Staff, first, force bool) error {
	sk := StreetKey(st.ID)
	street, err := attributevalue.MarshalMap(struct {
		keys
		ID   string `dynamodbav:"id"`
		Name string `dynamodbav:"name"`
	}{keys{PK: sk.PK, SK: sk.SK, Type: typeStreet}, st.ID, st.Name})
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: street, ConditionExpression: aws.String("attribute_not_exists(PK)")}}}
	if first {
		mark := &types.Put{TableName: aws.String(s.Table), Item: FirstAdminKey().av()}
		if !force {
			mark.ConditionExpression = aws.String("attribute_not_exists(PK)")
		}
		items = append(items, types.TransactWriteItem{Put: mark})
	}
	if _, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) {
			if failed(tce, 0) {
				return ErrStreetExists
			}
			if failed(tce, 1) {
				return ErrAdminExists
			}
		}
		return unavailable(err)
	}
	admin.StreetID = st.ID
	return s.CreateStaff(ctx, admin, manifest.RoleAdmin)
}

// failed says whether item i of a cancelled transaction failed its condition.
func failed(tce *types.TransactionCanceledException, i int) bool {
	return len(tce.CancellationReasons) > i && aws.ToString(tce.CancellationReasons[i].Code) == "ConditionalCheckFailed"
}
