package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
)

var (
	_ auth.Accounts         = (*Store)(nil)
	_ auth.Challenges       = (*Store)(nil)
	_ auth.Bindings         = (*Store)(nil)
	_ auth.Limiter          = (*Store)(nil)
	_ auth.TokenStateSource = (*Store)(nil)
)

// accountItem is who a phone signs in as, with every role the person holds.
type accountItem struct {
	keys
	Phone                string   `dynamodbav:"phone"`
	UserID               string   `dynamodbav:"userId"`
	Role                 string   `dynamodbav:"role"`
	Roles                []string `dynamodbav:"roles,omitempty"`
	Name                 string   `dynamodbav:"name"`
	CommunityID          string   `dynamodbav:"communityId,omitempty"`
	StreetID             string   `dynamodbav:"streetId,omitempty"`
	StaffCommunityID     string   `dynamodbav:"staffCommunityId,omitempty"`
	HouseholdID          string   `dynamodbav:"householdId,omitempty"`
	ResidentID           string   `dynamodbav:"residentId,omitempty"`
	ResidentCommunityID  string   `dynamodbav:"residentCommunityId,omitempty"`
	VolunteerID          string   `dynamodbav:"volunteerId,omitempty"`
	VolunteerCommunityID string   `dynamodbav:"volunteerCommunityId,omitempty"`
	// WeChatBoundAt is set when the person binds the mini-program.
	WeChatBoundAt string `dynamodbav:"wechatBoundAt,omitempty"`
}

func toAccountItem(a auth.Account) accountItem {
	p := a.Principal.Normalized()
	k := AccountKey(a.Phone)
	it := accountItem{keys: keys{PK: k.PK, SK: k.SK, Type: typeAccount}, Phone: a.Phone, UserID: p.UserID, Role: string(p.Role),
		Name: a.Name, CommunityID: p.CommunityID, StreetID: p.StreetID, StaffCommunityID: p.StaffCommunityID,
		HouseholdID: p.HouseholdID, ResidentID: p.ResidentID, ResidentCommunityID: p.ResidentCommunityID,
		VolunteerID: p.VolunteerID, VolunteerCommunityID: p.VolunteerCommunityID}
	for _, r := range p.Roles {
		it.Roles = append(it.Roles, string(r))
	}
	return it
}

func (it accountItem) domain() auth.Account {
	p := auth.Principal{UserID: it.UserID, Role: manifest.Role(it.Role), CommunityID: it.CommunityID, StreetID: it.StreetID,
		StaffCommunityID: it.StaffCommunityID, HouseholdID: it.HouseholdID, ResidentID: it.ResidentID,
		ResidentCommunityID: it.ResidentCommunityID, VolunteerID: it.VolunteerID, VolunteerCommunityID: it.VolunteerCommunityID}
	for _, r := range it.Roles {
		p.Roles = append(p.Roles, manifest.Role(r))
	}
	return auth.Account{Phone: it.Phone, Name: it.Name, WeChat: it.WeChatBoundAt != "", Principal: p.Normalized()}
}

// AccountByPhone reads who phone signs in as.
func (s *Store) AccountByPhone(ctx context.Context, phone string) (auth.Account, error) {
	var it accountItem
	err := s.getConsistent(ctx, AccountKey(phone), &it)
	if errors.Is(err, errNotFound) {
		return auth.Account{}, auth.ErrNoAccount
	}
	if err != nil {
		return auth.Account{}, err
	}
	return it.domain(), nil
}

func challengeKey(sub auth.ChallengeSubject) Key {
	if sub.Phone != "" {
		return ChallengeKey(sub.Phone)
	}
	return ShadowChallengeKey(sub.Bucket)
}

type challengeItem struct {
	keys
	Sends         int    `dynamodbav:"sends"`
	LastSentAt    when   `dynamodbav:"lastSentAt,omitempty"`
	NextSendAt    when   `dynamodbav:"nextSendAt,omitempty"`
	CodeHash      []byte `dynamodbav:"codeHash,omitempty"`
	CodeExpiresAt when   `dynamodbav:"codeExpiresAt,omitempty"`
	Attempts      int    `dynamodbav:"attempts"`
	Community     string `dynamodbav:"community,omitempty"`
	Version       int    `dynamodbav:"version"`
	ExpiresAt     int64  `dynamodbav:"expiresAt"`
}

func (it challengeItem) domain() auth.Challenge {
	return auth.Challenge{Sends: it.Sends, LastSentAt: it.LastSentAt.time(), NextSendAt: it.NextSendAt.time(),
		CodeHash: it.CodeHash, CodeExpiresAt: it.CodeExpiresAt.time(), Attempts: it.Attempts, Community: it.Community, Version: it.Version}
}

// Challenge reads a subject's codes and send schedule.
func (s *Store) Challenge(ctx context.Context, sub auth.ChallengeSubject) (auth.Challenge, error) {
	var it challengeItem
	err := s.getConsistent(ctx, challengeKey(sub), &it)
	if errors.Is(err, errNotFound) {
		return auth.Challenge{}, nil
	}
	if err != nil {
		return auth.Challenge{}, err
	}
	return it.domain(), nil
}

// SaveChallenge writes the state read at c.Version, if nobody wrote since.
func (s *Store) SaveChallenge(ctx context.Context, sub auth.ChallengeSubject, c auth.Challenge, now time.Time) error {
	k := challengeKey(sub)
	// Kept until its series could no longer matter, then TTL drops it.
	keep := c.NextSendAt
	if c.CodeExpiresAt.After(keep) {
		keep = c.CodeExpiresAt
	}
	keep = keep.Add(2 * time.Hour)
	av, err := record(challengeItem{keys: keys{PK: k.PK, SK: k.SK, Type: "otp"}, Sends: c.Sends,
		LastSentAt: stamp(c.LastSentAt), NextSendAt: stamp(c.NextSendAt), CodeHash: c.CodeHash, CodeExpiresAt: stamp(c.CodeExpiresAt),
		Attempts: c.Attempts, Community: c.Community, Version: c.Version + 1, ExpiresAt: keep.Unix()})
	if err != nil {
		return err
	}
	err = s.putVersioned(ctx, av, c.Version)
	if errors.Is(err, errChanged) {
		return auth.ErrConflict
	}
	return err
}

// Attempt uses one attempt on a live code and returns its hash.
func (s *Store) Attempt(ctx context.Context, sub auth.ChallengeSubject, now time.Time) ([]byte, auth.Challenge, error) {
	vals := map[string]types.AttributeValue{":one": n(1), ":max": n(auth.MaxAttempts)}
	live := deadlineAhead("codeExpiresAt", now, vals)
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: challengeKey(sub).av(),
		UpdateExpression:                    aws.String("SET attempts = attempts + :one"),
		ConditionExpression:                 aws.String(live + " AND attempts < :max"),
		ExpressionAttributeValues:           vals,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var old challengeItem
		if ccf.Item != nil {
			_ = readRecord(ccf.Item, &old)
		}
		if old.CodeExpiresAt.time().After(now) && old.Attempts >= auth.MaxAttempts {
			return nil, old.domain(), auth.ErrLocked
		}
		return nil, old.domain(), auth.ErrNoChallenge
	}
	if err != nil {
		return nil, auth.Challenge{}, unavailable(err)
	}
	var it challengeItem
	if err := readRecord(out.Attributes, &it); err != nil {
		return nil, auth.Challenge{}, err
	}
	return it.CodeHash, it.domain(), nil
}

// Consume ends the code with this hash and starts the send series again.
func (s *Store) Consume(ctx context.Context, sub auth.ChallengeSubject, codeHash []byte) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: challengeKey(sub).av(),
		UpdateExpression:          aws.String("REMOVE codeHash, codeExpiresAt SET sends = :zero, version = version + :one"),
		ConditionExpression:       aws.String("codeHash = :hash"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":hash": &types.AttributeValueMemberB{Value: codeHash}, ":zero": n(0), ":one": n(1)},
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

// Take counts one request in key's current fixed window, unless limit are
// counted already; then it answers how long until the window ends.
func (s *Store) Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error) {
	start := now.Truncate(window)
	end := start.Add(window)
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: RateKey(key, start.Unix()).av(),
		UpdateExpression:         aws.String("ADD #c :one SET expiresAt = :exp, #t = :t"),
		ConditionExpression:      aws.String("attribute_not_exists(#c) OR #c < :limit"),
		ExpressionAttributeNames: map[string]string{"#c": "count", "#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": n(1), ":limit": n(int64(limit)), ":exp": n(end.Add(time.Hour).Unix()), ":t": str("rate"),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return max(end.Sub(now), time.Second), nil
	}
	if err != nil {
		return 0, unavailable(err)
	}
	return 0, nil
}

// Give returns one request taken in the current window.
func (s *Store) Give(ctx context.Context, key string, window time.Duration, now time.Time) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: RateKey(key, now.Truncate(window).Unix()).av(),
		UpdateExpression:          aws.String("ADD #c :minus"),
		ConditionExpression:       aws.String("#c > :zero"),
		ExpressionAttributeNames:  map[string]string{"#c": "count"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-1), ":zero": n(0)},
	})
	return unavailableUnlessGone(err)
}

// signingKeyItem is a published public key.
type signingKeyItem struct {
	keys
	ID        string `dynamodbav:"kid"`
	PEM       string `dynamodbav:"pem"`
	CreatedAt when   `dynamodbav:"createdAt"`
}

type revocationItem struct {
	keys
	UserID string `dynamodbav:"userId"`
	// Role, when set, is the one role revoked; the others stand.
	Role      string `dynamodbav:"role,omitempty"`
	RevokedAt when   `dynamodbav:"revokedAt"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// TokenState reads the published keys and the live revocations: one Query.
func (s *Store) TokenState(ctx context.Context) (auth.TokenState, error) {
	st := auth.TokenState{Revoked: map[string]time.Time{}}
	now := time.Now().Unix()
	err := s.queryPrefix(ctx, TokensPartition, "", func(av map[string]types.AttributeValue) error {
		sk, _ := av["SK"].(*types.AttributeValueMemberS)
		switch {
		case sk != nil && strings.HasPrefix(sk.Value, "KEY#"):
			var it signingKeyItem
			if err := readRecord(av, &it); err != nil {
				return err
			}
			st.Keys = append(st.Keys, auth.PublicKey{ID: it.ID, PEM: it.PEM, CreatedAt: it.CreatedAt.time()})
		case sk != nil && strings.HasPrefix(sk.Value, "REVOKED#"):
			var it revocationItem
			if err := readRecord(av, &it); err != nil {
				return err
			}
			if it.ExpiresAt > now { // TTL deletes lazily
				st.Revoked[auth.RevocationOf(it.UserID, manifest.Role(it.Role))] = it.RevokedAt.time()
			}
		}
		return nil
	})
	return st, err
}

// PublishSigningKey adds a public key for verifiers.
func (s *Store) PublishSigningKey(ctx context.Context, k auth.PublicKey) error {
	key := SigningKeyKey(k.ID)
	av, err := record(signingKeyItem{keys: keys{PK: key.PK, SK: key.SK, Type: "signing-key"}, ID: k.ID, PEM: k.PEM, CreatedAt: stamp(k.CreatedAt)})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return unavailable(err)
	}
	return nil
}

// RetireSigningKey withdraws a public key: tokens signed with it stop working.
func (s *Store) RetireSigningKey(ctx context.Context, kid string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: SigningKeyKey(kid).av()})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Revoke voids every token userID got before at (rounded up to the second,
// tokens' iat being whole seconds).
func (s *Store) Revoke(ctx context.Context, userID string, at time.Time) error {
	return s.revoke(ctx, userID, "", at)
}

// RevokeRole voids one role of a user's tokens issued up to at (to the
// second): their other roles stand.
func (s *Store) RevokeRole(ctx context.Context, userID string, role manifest.Role, at time.Time) error {
	return s.revoke(ctx, userID, role, at)
}

func (s *Store) revoke(ctx context.Context, userID string, role manifest.Role, at time.Time) error {
	k := RevocationKey(userID)
	if role != "" {
		k = RoleRevocationKey(userID, role)
	}
	secs := at.Add(time.Second - 1).Unix()
	av, err := record(revocationItem{keys: keys{PK: k.PK, SK: k.SK, Type: "revocation"}, UserID: userID, Role: string(role),
		RevokedAt: stamp(time.Unix(secs, 0)), ExpiresAt: time.Unix(secs, 0).Add(auth.TokenTTL + time.Hour).Unix()})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
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
	if errors.Is(err, errNotFound) {
		return "", auth.ErrNoAccount
	}
	return it.Phone, err
}

// Bind binds (or rebinds) a WeChat openid to a phone.
func (s *Store) Bind(ctx context.Context, openID, phone string, at time.Time) error {
	k := BindingKey(openID)
	av, err := record(bindingItem{keys: keys{PK: k.PK, SK: k.SK, Type: "wechat"}, OpenID: openID, Phone: phone, BoundAt: formatTime(at)})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return unavailable(err)
	}
	// The account remembers that the app reaches this person.
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: AccountKey(phone).av(),
		UpdateExpression:          aws.String("SET wechatBoundAt = :at"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(formatTime(at))}})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
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
	street, err := record(struct {
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
	return s.CreateStaff(ctx, admin, manifest.RoleAdmin, nil)
}
