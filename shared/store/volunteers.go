package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/volunteers"
)

var _ volunteers.Store = (*Store)(nil)

// VolunteerKey is a volunteer, in a partition of their own (their open
// check-in and hours live there too).
func VolunteerKey(id string) Key { return Key{"VOL#" + id, "VOL"} }

// VolunteersIndex is GSI1 on volunteers: a community's.
func VolunteersIndex(communityID, id string) Key { return Key{"VOLS#" + communityID, id} }

// VolunteerPhoneKey is a phone's one sign-up: pending or approved, it keeps
// the phone from signing up again.
func VolunteerPhoneKey(phone string) Key { return Key{"VOLPHONE#" + phone, "VOL"} }

// PostKey is a post; its shifts' counters and assignments share its partition.
func PostKey(id string) Key { return Key{"POST#" + id, "POST"} }

// PostsIndex is GSI1 on posts: a community's.
func PostsIndex(communityID, id string) Key { return Key{"POSTS#" + communityID, id} }

// ShiftKey counts a shift's A and B roles against its need.
func ShiftKey(postID, shiftID string) Key { return Key{"POST#" + postID, "SHIFT#" + shiftID} }

// AssignmentKey is a volunteer on a shift of a post.
func AssignmentKey(postID, shiftID, volunteerID string) Key {
	return Key{"POST#" + postID, "ASSIGN#" + shiftID + "#" + volunteerID}
}

// VolunteerAssignmentsIndex is GSI1 on assignments: a volunteer's, by start.
func VolunteerAssignmentsIndex(volunteerID string, startsAt time.Time, postID, shiftID string) Key {
	return Key{"VOLASSIGN#" + volunteerID, formatTime(startsAt) + "#" + postID + "#" + shiftID}
}

// ActivationKey is an activation; its asks share its partition.
func ActivationKey(id string) Key { return Key{"ACT#" + id, "ACT"} }

// AskKey is one volunteer called to one shift by an activation.
func AskKey(activationID, volunteerID, postID, shiftID string) Key {
	return Key{"ACT#" + activationID, "ASK#" + volunteerID + "#" + postID + "#" + shiftID}
}

// VolunteerAsksIndex is GSI1 on asks: a volunteer's, by when they were asked.
func VolunteerAsksIndex(volunteerID string, askedAt time.Time, activationID, postID, shiftID string) Key {
	return Key{"VOLASKS#" + volunteerID, formatTime(askedAt) + "#" + activationID + "#" + postID + "#" + shiftID}
}

// AskDueIndex is GSI2 on asks the backup job has to look at: unanswered by
// their deadline, or declined. A handful at any time across communities.
func AskDueIndex(at time.Time, activationID, volunteerID, postID, shiftID string) Key {
	return Key{"ASKDUE", formatTime(at) + "#" + activationID + "#" + volunteerID + "#" + postID + "#" + shiftID}
}

// OpenCheckinKey is a volunteer's check-in not yet checked out: one at a time.
func OpenCheckinKey(volunteerID string) Key { return Key{"VOL#" + volunteerID, "OPEN"} }

// HoursKey is a check-in that was checked out: served time.
func HoursKey(volunteerID string, in time.Time, postID string) Key {
	return Key{"VOL#" + volunteerID, "HOURS#" + formatTime(in) + "#" + postID}
}

// HoursIndex is GSI1 on served time: a community's month.
func HoursIndex(communityID, month, volunteerID string, in time.Time) Key {
	return Key{"HOURS#" + communityID + "#" + month, volunteerID + "#" + formatTime(in)}
}

// jsonItem is a domain value stored under its JSON names, beside its
// keys: the volunteer types name their fields once, for the API and the
// table alike.
func jsonItem(k keys, v any) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
	if err != nil {
		return nil, err
	}
	ks, err := attributevalue.MarshalMap(k)
	if err != nil {
		return nil, err
	}
	for name, val := range ks {
		item[name] = val
	}
	return item, nil
}

// fromJSONItem reads what jsonItem wrote.
func fromJSONItem(av map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(av, v, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" })
}

type volunteerPhoneItem struct {
	keys
	VolunteerID string `dynamodbav:"volunteerId"`
	CommunityID string `dynamodbav:"communityId"`
	Status      string `dynamodbav:"status"`
}

// CreateVolunteer writes a pending volunteer with the phone's claim, which
// a rejected or inactive earlier sign-up does not hold.
func (s *Store) CreateVolunteer(ctx context.Context, v volunteers.Volunteer) error {
	k, ix, pk := VolunteerKey(v.ID), VolunteersIndex(v.CommunityID, v.ID), VolunteerPhoneKey(v.Phone)
	item, err := jsonItem(keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "volunteer"}, v)
	if err != nil {
		return err
	}
	claim, err := attributevalue.MarshalMap(volunteerPhoneItem{keys: keys{PK: pk.PK, SK: pk.SK, Type: "volunteerPhone"},
		VolunteerID: v.ID, CommunityID: v.CommunityID, Status: v.Status})
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: claim,
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR #s IN (:rejected, :inactive)"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":rejected": str(volunteers.StatusRejected), ":inactive": str(volunteers.StatusInactive)}}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return volunteers.ErrAlreadySignedUp
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Volunteer reads a volunteer.
func (s *Store) Volunteer(ctx context.Context, id string) (volunteers.Volunteer, error) {
	av, err := s.getItem(ctx, VolunteerKey(id))
	if errors.Is(err, registry.ErrNotFound) {
		return volunteers.Volunteer{}, volunteers.ErrVolunteerNotFound
	}
	var v volunteers.Volunteer
	if err == nil {
		err = fromJSONItem(av, &v)
	}
	return chinaVolunteer(v), err
}

func chinaVolunteer(v volunteers.Volunteer) volunteers.Volunteer {
	v.CreatedAt = chinatime.In(v.CreatedAt)
	if v.DecidedAt != nil {
		t := chinatime.In(*v.DecidedAt)
		v.DecidedAt = &t
	}
	return v
}

// Volunteers lists a community's volunteers (GSI1).
func (s *Store) Volunteers(ctx context.Context, cid string) ([]volunteers.Volunteer, error) {
	out := []volunteers.Volunteer{}
	err := s.queryIndex(ctx, "GSI1", VolunteersIndex(cid, "").PK, "", func(av map[string]types.AttributeValue) error {
		var v volunteers.Volunteer
		if err := fromJSONItem(av, &v); err != nil {
			return err
		}
		out = append(out, chinaVolunteer(v))
		return nil
	})
	return out, err
}

// DecideVolunteer moves a volunteer (and the phone's claim) from one status
// to another in one transaction with their account: approval gives the
// account the volunteer role (creating it for a phone that had none),
// rejection leaves it, deactivation takes the role away (and the account,
// when it was only that) and voids the person's tokens.
func (s *Store) DecideVolunteer(ctx context.Context, v volunteers.Volunteer, from string) error {
	acct, err := s.AccountByPhone(ctx, v.Phone)
	hasAccount := err == nil
	if err != nil && !errors.Is(err, auth.ErrNoAccount) {
		return err
	}
	k, pk := VolunteerKey(v.ID), VolunteerPhoneKey(v.Phone)
	decided := ""
	if v.DecidedAt != nil {
		decided = v.DecidedAt.Format(time.RFC3339)
	}
	tx := []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(s.Table), Key: k.av(),
			UpdateExpression:          aws.String("SET #s = :to, decidedAt = :at, decidedBy = :by"),
			ConditionExpression:       aws.String("#s = :from"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":to": str(v.Status), ":from": str(from), ":at": str(decided), ":by": str(v.DecidedBy)}}},
		{Update: &types.Update{TableName: aws.String(s.Table), Key: pk.av(),
			UpdateExpression:          aws.String("SET #s = :to"),
			ConditionExpression:       aws.String("volunteerId = :vid"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":to": str(v.Status), ":vid": str(v.ID)}}},
	}
	ak := AccountKey(v.Phone)
	switch {
	case v.Status == volunteers.StatusApproved && !hasAccount:
		p := auth.Principal{UserID: v.ID, Role: manifest.RoleVolunteer, VolunteerID: v.ID, VolunteerCommunityID: v.CommunityID}.Normalized()
		av, err := attributevalue.MarshalMap(toAccountItem(auth.Account{Phone: v.Phone, Name: v.Name, Principal: p}))
		if err != nil {
			return err
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	case v.Status == volunteers.StatusApproved:
		p := acct.Principal
		p.VolunteerID, p.VolunteerCommunityID, p.Role, p.Roles = v.ID, v.CommunityID, "", nil
		tx = append(tx, s.accountRoles(ak, acct, p.Normalized(), "attribute_not_exists(volunteerId)"))
	case v.Status == volunteers.StatusInactive && hasAccount && acct.VolunteerID == v.ID:
		p := acct.Principal
		p.VolunteerID, p.VolunteerCommunityID, p.Role, p.Roles = "", "", "", nil
		if p.ResidentID != "" && p.StaffCommunityID == "" && p.StreetID == "" {
			p.UserID = p.ResidentID
		}
		p = p.Normalized()
		if len(p.Roles) == 0 {
			tx = append(tx, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: ak.av(),
				ConditionExpression:       aws.String("volunteerId = :vid"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":vid": str(v.ID)}}})
		} else {
			tx = append(tx, s.accountRoles(ak, acct, p, "volunteerId = :vid"))
			last := &tx[len(tx)-1]
			last.Update.ExpressionAttributeValues[":vid"] = str(v.ID)
		}
	}
	err = s.transact(ctx, tx)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return volunteers.ErrNotPending.Wrap(err)
	}
	if err != nil {
		return unavailable(err)
	}
	if v.Status == volunteers.StatusInactive && hasAccount {
		// Their tokens carry the volunteer role: void them.
		return s.Revoke(ctx, acct.UserID, time.Now())
	}
	return nil
}

// accountRoles sets an account's roles to p's, on the condition cond and
// that it is still the account read.
func (s *Store) accountRoles(k Key, read auth.Account, p auth.Principal, cond string) types.TransactWriteItem {
	roles := make([]types.AttributeValue, 0, len(p.Roles))
	for _, r := range p.Roles {
		roles = append(roles, str(string(r)))
	}
	set := "SET userId = :uid, #role = :role, #roles = :roles, communityId = :cid"
	vals := map[string]types.AttributeValue{":uid": str(p.UserID), ":role": str(string(p.Role)), ":roles": &types.AttributeValueMemberL{Value: roles},
		":cid": str(p.CommunityID), ":old": str(read.UserID)}
	if p.VolunteerID != "" {
		set += ", volunteerId = :nvid, volunteerCommunityId = :nvcid"
		vals[":nvid"], vals[":nvcid"] = str(p.VolunteerID), str(p.VolunteerCommunityID)
	} else {
		set += " REMOVE volunteerId, volunteerCommunityId"
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: k.av(), UpdateExpression: aws.String(set),
		ConditionExpression:       aws.String("userId = :old AND " + cond),
		ExpressionAttributeNames:  map[string]string{"#role": "role", "#roles": "roles"},
		ExpressionAttributeValues: vals}}
}

type shiftItem struct {
	keys
	Need int `dynamodbav:"need"`
}

// CreatePost writes a post and its shifts' counters in one transaction.
func (s *Store) CreatePost(ctx context.Context, p volunteers.Post) error {
	k, ix := PostKey(p.ID), PostsIndex(p.CommunityID, p.ID)
	av, err := jsonItem(keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "post"}, p)
	if err != nil {
		return err
	}
	// The secret is stored beside the post, never in its JSON.
	av["codeSecret"] = &types.AttributeValueMemberB{Value: p.CodeSecret}
	tx := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}}}
	for _, sh := range p.Shifts {
		sk := ShiftKey(p.ID, sh.ID)
		av, err := attributevalue.MarshalMap(shiftItem{keys: keys{PK: sk.PK, SK: sk.SK, Type: "shift"}, Need: sh.Need})
		if err != nil {
			return err
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av}})
	}
	if err := s.transact(ctx, tx); err != nil {
		return unavailable(err)
	}
	return nil
}

// getItem reads one item; registry.ErrNotFound when there is none.
func (s *Store) getItem(ctx context.Context, k Key) (map[string]types.AttributeValue, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: k.av()})
	if err != nil {
		return nil, unavailable(err)
	}
	if out.Item == nil {
		return nil, registry.ErrNotFound
	}
	return out.Item, nil
}

func postOf(av map[string]types.AttributeValue) (volunteers.Post, error) {
	var p volunteers.Post
	if err := fromJSONItem(av, &p); err != nil {
		return volunteers.Post{}, err
	}
	if b, ok := av["codeSecret"].(*types.AttributeValueMemberB); ok {
		p.CodeSecret = b.Value
	}
	return chinaPost(p), nil
}

func chinaPost(p volunteers.Post) volunteers.Post {
	p.CreatedAt = chinatime.In(p.CreatedAt)
	for i := range p.Shifts {
		p.Shifts[i].StartsAt, p.Shifts[i].EndsAt = chinatime.In(p.Shifts[i].StartsAt), chinatime.In(p.Shifts[i].EndsAt)
	}
	return p
}

// Post reads a post.
func (s *Store) Post(ctx context.Context, id string) (volunteers.Post, error) {
	av, err := s.getItem(ctx, PostKey(id))
	if errors.Is(err, registry.ErrNotFound) {
		return volunteers.Post{}, volunteers.ErrPostNotFound
	}
	if err != nil {
		return volunteers.Post{}, err
	}
	return postOf(av)
}

// Posts lists a community's posts (GSI1).
func (s *Store) Posts(ctx context.Context, cid string) ([]volunteers.Post, error) {
	out := []volunteers.Post{}
	err := s.queryIndex(ctx, "GSI1", PostsIndex(cid, "").PK, "", func(av map[string]types.AttributeValue) error {
		p, err := postOf(av)
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// Assign writes an assignment and counts it against its shift's need for
// its role, in one transaction (and makes a squad leader the post's).
func (s *Store) Assign(ctx context.Context, p volunteers.Post, a volunteers.Assignment, leader bool) error {
	k, ix := AssignmentKey(a.PostID, a.ShiftID, a.VolunteerID), VolunteerAssignmentsIndex(a.VolunteerID, a.StartsAt, a.PostID, a.ShiftID)
	av, err := jsonItem(keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "assignment"}, a)
	if err != nil {
		return err
	}
	role := "count" + a.Role
	tx := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Update: &types.Update{TableName: aws.String(s.Table), Key: ShiftKey(a.PostID, a.ShiftID).av(),
			UpdateExpression:          aws.String("ADD #r :one"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND (attribute_not_exists(#r) OR #r < need)"),
			ExpressionAttributeNames:  map[string]string{"#r": role},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": n64(1)}}},
	}
	if leader {
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: PostKey(p.ID).av(),
			UpdateExpression: aws.String("SET squadLeader = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": str(a.VolunteerID)}}})
	}
	err = s.transact(ctx, tx)
	var tce *types.TransactionCanceledException
	switch {
	case errors.As(err, &tce) && failed(tce, 0):
		return volunteers.ErrAlreadyAssigned
	case errors.As(err, &tce) && failed(tce, 1):
		return volunteers.ErrShiftFull
	case err != nil:
		return unavailable(err)
	}
	return nil
}

// Unassign removes an assignment and gives its place on the shift back, in
// one transaction; an assignment gone already is no error.
func (s *Store) Unassign(ctx context.Context, a volunteers.Assignment) error {
	err := s.transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Table), Key: AssignmentKey(a.PostID, a.ShiftID, a.VolunteerID).av(),
			ConditionExpression: aws.String("attribute_exists(PK)")}},
		{Update: &types.Update{TableName: aws.String(s.Table), Key: ShiftKey(a.PostID, a.ShiftID).av(),
			UpdateExpression: aws.String("ADD #r :less"), ConditionExpression: aws.String("#r > :zero"),
			ExpressionAttributeNames:  map[string]string{"#r": "count" + a.Role},
			ExpressionAttributeValues: map[string]types.AttributeValue{":less": n64(-1), ":zero": n64(0)}}},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return nil
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

func assignmentsOf(out *[]volunteers.Assignment) func(map[string]types.AttributeValue) error {
	return func(av map[string]types.AttributeValue) error {
		var a volunteers.Assignment
		if err := fromJSONItem(av, &a); err != nil {
			return err
		}
		a.StartsAt, a.EndsAt = chinatime.In(a.StartsAt), chinatime.In(a.EndsAt)
		*out = append(*out, a)
		return nil
	}
}

// Assignments lists a post's assignments: one Query of its partition.
func (s *Store) Assignments(ctx context.Context, postID string) ([]volunteers.Assignment, error) {
	out := []volunteers.Assignment{}
	return out, s.queryPrefix(ctx, PostKey(postID).PK, "ASSIGN#", assignmentsOf(&out))
}

// VolunteerAssignments lists a volunteer's assignments (GSI1), by start.
func (s *Store) VolunteerAssignments(ctx context.Context, vid string) ([]volunteers.Assignment, error) {
	out := []volunteers.Assignment{}
	err := s.queryIndex(ctx, "GSI1", "VOLASSIGN#"+vid, "", assignmentsOf(&out))
	return out, err
}

func askItem(a volunteers.Ask) (map[string]types.AttributeValue, error) {
	k := AskKey(a.ActivationID, a.VolunteerID, a.PostID, a.ShiftID)
	ix := VolunteerAsksIndex(a.VolunteerID, a.AskedAt, a.ActivationID, a.PostID, a.ShiftID)
	due := AskDueIndex(a.DeadlineAt, a.ActivationID, a.VolunteerID, a.PostID, a.ShiftID)
	return jsonItem(keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, GSI2PK: due.PK, GSI2SK: due.SK, Type: "ask"}, a)
}

// ActivationLockKey holds a community's scope while its calls are open: a
// second activation of it meanwhile is refused.
func ActivationLockKey(communityID, scope string) Key { return Key{"ACTLOCK#" + communityID, scope} }

// CreateActivation takes the scope's lock until its calls close, then
// writes the activation and its asks, 25 a request.
func (s *Store) CreateActivation(ctx context.Context, a volunteers.Activation, asks []volunteers.Ask, scope string, until time.Time) error {
	lock := ActivationLockKey(a.CommunityID, scope).av()
	lock["type"], lock["activationId"] = str("activationLock"), str(a.ID)
	lock["until"], lock["expiresAt"] = n(until.Unix()), n(until.Add(time.Hour).Unix())
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: lock,
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR #u < :now"),
		ExpressionAttributeNames:  map[string]string{"#u": "until"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": n(a.CreatedAt.Unix())}})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return volunteers.ErrAlreadyCalled
	}
	if err != nil {
		return unavailable(err)
	}
	k := ActivationKey(a.ID)
	av, err := jsonItem(keys{PK: k.PK, SK: k.SK, Type: "activation"}, a)
	if err != nil {
		return err
	}
	reqs := []types.WriteRequest{{PutRequest: &types.PutRequest{Item: av}}}
	for _, ask := range asks {
		av, err := askItem(ask)
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	return s.batchWrite(ctx, reqs)
}

func chinaAsk(a volunteers.Ask) volunteers.Ask {
	a.StartsAt, a.AskedAt, a.DeadlineAt = chinatime.In(a.StartsAt), chinatime.In(a.AskedAt), chinatime.In(a.DeadlineAt)
	if a.AnsweredAt != nil {
		t := chinatime.In(*a.AnsweredAt)
		a.AnsweredAt = &t
	}
	return a
}

func asksOf(out *[]volunteers.Ask) func(map[string]types.AttributeValue) error {
	return func(av map[string]types.AttributeValue) error {
		var a volunteers.Ask
		if err := fromJSONItem(av, &a); err != nil {
			return err
		}
		_, a.BackupDue = av["GSI2PK"]
		*out = append(*out, chinaAsk(a))
		return nil
	}
}

// Activation reads an activation and its asks: one Query of its partition.
func (s *Store) Activation(ctx context.Context, id string) (volunteers.Activation, []volunteers.Ask, error) {
	var act *volunteers.Activation
	asks := []volunteers.Ask{}
	collect := asksOf(&asks)
	err := s.queryPrefix(ctx, ActivationKey(id).PK, "", func(av map[string]types.AttributeValue) error {
		if sk, ok := av["SK"].(*types.AttributeValueMemberS); ok && sk.Value == "ACT" {
			var a volunteers.Activation
			if err := fromJSONItem(av, &a); err != nil {
				return err
			}
			a.CreatedAt = chinatime.In(a.CreatedAt)
			act = &a
			return nil
		}
		return collect(av)
	})
	if err != nil {
		return volunteers.Activation{}, nil, err
	}
	if act == nil {
		return volunteers.Activation{}, nil, volunteers.ErrActivationMissing
	}
	return *act, asks, nil
}

// Answer records a volunteer's answer on each of their open asks in an
// activation. A decline puts the ask on the due index at once, so the next
// run of the backup job calls the B.
func (s *Store) Answer(ctx context.Context, activationID, vid, status string, at time.Time) ([]volunteers.Ask, error) {
	var mine []volunteers.Ask
	if err := s.queryPrefix(ctx, ActivationKey(activationID).PK, "ASK#"+vid+"#", asksOf(&mine)); err != nil {
		return nil, err
	}
	open := []string{volunteers.AskAsked}
	if status == volunteers.AskAccepted {
		open = append(open, volunteers.AskSilent) // late, but welcome
	}
	var out []volunteers.Ask
	for _, a := range mine {
		if !slices.Contains(open, a.Status) {
			continue
		}
		vals := map[string]types.AttributeValue{":to": str(status), ":at": str(at.Format(time.RFC3339)), ":from": str(a.Status)}
		expr := "SET #s = :to, answeredAt = :at REMOVE GSI2PK, GSI2SK"
		if status == volunteers.AskDeclined {
			due := AskDueIndex(at, a.ActivationID, a.VolunteerID, a.PostID, a.ShiftID)
			expr = "SET #s = :to, answeredAt = :at, GSI2PK = :dpk, GSI2SK = :dsk"
			vals[":dpk"], vals[":dsk"] = str(due.PK), str(due.SK)
		}
		_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table),
			Key: AskKey(a.ActivationID, a.VolunteerID, a.PostID, a.ShiftID).av(), UpdateExpression: aws.String(expr),
			ConditionExpression:      aws.String("#s = :from"),
			ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: vals})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			continue // answered by a parallel request, or settled by the job
		}
		if err != nil {
			return out, unavailable(err)
		}
		a.Status, a.AnsweredAt = status, &at
		out = append(out, a)
	}
	return out, nil
}

// VolunteerAsks lists a volunteer's asks since a time (GSI1).
func (s *Store) VolunteerAsks(ctx context.Context, vid string, since time.Time) ([]volunteers.Ask, error) {
	out := []volunteers.Ask{}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk AND GSI1SK >= :since"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("VOLASKS#" + vid), ":since": str(formatTime(since))}}
	return out, s.queryAll(ctx, in, asksOf(&out))
}

// DueAsks lists the asks the backup job has to look at as of now (GSI2).
func (s *Store) DueAsks(ctx context.Context, now time.Time) ([]volunteers.Ask, error) {
	out := []volunteers.Ask{}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String("GSI2"),
		KeyConditionExpression: aws.String("GSI2PK = :pk AND GSI2SK <= :upto"),
		// '~' sorts after every character of an id: everything due at now.
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("ASKDUE"), ":upto": str(formatTime(now) + "#~")}}
	return out, s.queryAll(ctx, in, asksOf(&out))
}

// SettleAsk takes a due ask off the index, an unanswered one becoming
// silent, only if it is still as the job read it.
func (s *Store) SettleAsk(ctx context.Context, a volunteers.Ask) (bool, error) {
	expr := "REMOVE GSI2PK, GSI2SK"
	vals := map[string]types.AttributeValue{":from": str(a.Status)}
	if a.Status == volunteers.AskAsked {
		expr = "SET #s = :silent " + expr
		vals[":silent"] = str(volunteers.AskSilent)
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table),
		Key: AskKey(a.ActivationID, a.VolunteerID, a.PostID, a.ShiftID).av(), UpdateExpression: aws.String(expr),
		ConditionExpression:      aws.String("#s = :from AND attribute_exists(GSI2PK)"),
		ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: vals})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// AddAsk writes a backup's ask unless they were asked in the activation.
func (s *Store) AddAsk(ctx context.Context, a volunteers.Ask) (bool, error) {
	av, err := askItem(a)
	if err != nil {
		return false, err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// StartServing opens a volunteer's check-in: ErrCheckedIn while one is open.
func (s *Store) StartServing(ctx context.Context, c volunteers.Checkin) error {
	k := OpenCheckinKey(c.VolunteerID)
	av, err := jsonItem(keys{PK: k.PK, SK: k.SK, Type: "checkin"}, c)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return volunteers.ErrCheckedIn
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Serving reads a volunteer's open check-in: ErrNotCheckedIn.
func (s *Store) Serving(ctx context.Context, vid string) (volunteers.Checkin, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: OpenCheckinKey(vid).av(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return volunteers.Checkin{}, unavailable(err)
	}
	if out.Item == nil {
		return volunteers.Checkin{}, volunteers.ErrNotCheckedIn
	}
	var c volunteers.Checkin
	if err := fromJSONItem(out.Item, &c); err != nil {
		return volunteers.Checkin{}, err
	}
	c.In, c.ShiftEnds = chinatime.In(c.In), chinatime.In(c.ShiftEnds)
	return c, nil
}

// StopServing closes the open check-in read and books its time, in one
// transaction: a check-out sent twice books once.
func (s *Store) StopServing(ctx context.Context, c volunteers.Checkin) error {
	month := c.In.In(chinatime.Zone).Format("2006-01") // the check-in's Beijing month
	k, ix := HoursKey(c.VolunteerID, c.In, c.PostID), HoursIndex(c.CommunityID, month, c.VolunteerID, c.In)
	av, err := jsonItem(keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "hours"}, c)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Table), Key: OpenCheckinKey(c.VolunteerID).av(),
			ConditionExpression:       aws.String("postId = :p AND checkedInAt = :in"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(c.PostID), ":in": str(c.In.Format(time.RFC3339Nano))}}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: av}},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return volunteers.ErrNotCheckedIn
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Hours lists a community's served time of a month (GSI1).
func (s *Store) Hours(ctx context.Context, cid, month string) ([]volunteers.Checkin, error) {
	out := []volunteers.Checkin{}
	err := s.queryIndex(ctx, "GSI1", HoursIndex(cid, month, "", time.Time{}).PK, "", func(av map[string]types.AttributeValue) error {
		var c volunteers.Checkin
		if err := fromJSONItem(av, &c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}
