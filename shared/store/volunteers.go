package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/volunteers"
)

var _ volunteers.Store = (*Store)(nil)

// The records of volunteering. Their attributes keep the names an earlier
// version wrote (its items read on), apart from the API's from now on.

type volunteerItem struct {
	keys
	ID           string       `dynamodbav:"id"`
	CommunityID  string       `dynamodbav:"communityId"`
	Name         string       `dynamodbav:"name"`
	Phone        string       `dynamodbav:"phone"`
	Category     string       `dynamodbav:"category"`
	Skills       []string     `dynamodbav:"skills"`
	Availability []windowLine `dynamodbav:"availability"`
	Status       string       `dynamodbav:"status"`
	BuildingID   string       `dynamodbav:"buildingId,omitempty"`
	CreatedAt    when         `dynamodbav:"createdAt"`
	DecidedAt    when         `dynamodbav:"decidedAt,omitempty"`
	DecidedBy    string       `dynamodbav:"decidedBy,omitempty"`
}

type windowLine struct {
	Day  int    `dynamodbav:"day"`
	From string `dynamodbav:"from"`
	To   string `dynamodbav:"to"`
}

func toVolunteerItem(v volunteers.Volunteer) volunteerItem {
	k, ix := VolunteerKey(v.ID), VolunteersIndex(v.CommunityID, v.ID)
	it := volunteerItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "volunteer"}, ID: v.ID, CommunityID: v.CommunityID,
		Name: v.Name, Phone: v.Phone, Category: v.Category, Skills: v.Skills, Status: v.Status, BuildingID: v.BuildingID,
		CreatedAt: stamp(v.CreatedAt), DecidedBy: v.DecidedBy, Availability: []windowLine{}}
	for _, w := range v.Availability {
		it.Availability = append(it.Availability, windowLine{Day: w.Day, From: w.From, To: w.To})
	}
	if v.DecidedAt != nil {
		it.DecidedAt = stamp(*v.DecidedAt)
	}
	return it
}

func (it volunteerItem) domain() volunteers.Volunteer {
	v := volunteers.Volunteer{ID: it.ID, CommunityID: it.CommunityID, Name: it.Name, Phone: it.Phone, Category: it.Category,
		Skills: it.Skills, Status: it.Status, BuildingID: it.BuildingID, CreatedAt: it.CreatedAt.time(), DecidedBy: it.DecidedBy,
		Availability: []volunteers.Window{}}
	if v.Skills == nil {
		v.Skills = []string{}
	}
	for _, w := range it.Availability {
		v.Availability = append(v.Availability, volunteers.Window{Day: w.Day, From: w.From, To: w.To})
	}
	if t := it.DecidedAt.time(); !t.IsZero() {
		v.DecidedAt = &t
	}
	return v
}

type postItem struct {
	keys
	ID          string      `dynamodbav:"id"`
	CommunityID string      `dynamodbav:"communityId"`
	Kind        string      `dynamodbav:"kind"`
	Name        string      `dynamodbav:"name"`
	Place       string      `dynamodbav:"place"`
	BuildingID  string      `dynamodbav:"buildingId,omitempty"`
	SiteID      string      `dynamodbav:"siteId,omitempty"`
	Skills      []string    `dynamodbav:"skills"`
	Shifts      []shiftLine `dynamodbav:"shifts"`
	SquadLeader string      `dynamodbav:"squadLeader,omitempty"`
	CreatedAt   when        `dynamodbav:"createdAt"`
	// CodeSecret signs the post's check-in codes: stored, never shown.
	CodeSecret []byte `dynamodbav:"codeSecret"`
}

type shiftLine struct {
	ID       string `dynamodbav:"id"`
	StartsAt when   `dynamodbav:"startsAt"`
	EndsAt   when   `dynamodbav:"endsAt"`
	Need     int    `dynamodbav:"need"`
}

func toPostItem(p volunteers.Post) postItem {
	k, ix := PostKey(p.ID), PostsIndex(p.CommunityID, p.ID)
	it := postItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "post"}, ID: p.ID, CommunityID: p.CommunityID,
		Kind: p.Kind, Name: p.Name, Place: p.Place, BuildingID: p.BuildingID, SiteID: p.SiteID, Skills: p.Skills, SquadLeader: p.SquadLeader,
		CreatedAt: stamp(p.CreatedAt), CodeSecret: p.CodeSecret, Shifts: []shiftLine{}}
	for _, sh := range p.Shifts {
		it.Shifts = append(it.Shifts, shiftLine{ID: sh.ID, StartsAt: stamp(sh.StartsAt), EndsAt: stamp(sh.EndsAt), Need: sh.Need})
	}
	return it
}

func (it postItem) domain() volunteers.Post {
	p := volunteers.Post{ID: it.ID, CommunityID: it.CommunityID, Kind: it.Kind, Name: it.Name, Place: it.Place, BuildingID: it.BuildingID,
		SiteID: it.SiteID, Skills: it.Skills, SquadLeader: it.SquadLeader, CreatedAt: it.CreatedAt.time(), CodeSecret: it.CodeSecret, Shifts: []volunteers.Shift{}}
	if p.Skills == nil {
		p.Skills = []string{}
	}
	for _, sh := range it.Shifts {
		p.Shifts = append(p.Shifts, volunteers.Shift{ID: sh.ID, StartsAt: sh.StartsAt.time(), EndsAt: sh.EndsAt.time(), Need: sh.Need})
	}
	return p
}

type assignmentItem struct {
	keys
	PostID      string `dynamodbav:"postId"`
	ShiftID     string `dynamodbav:"shiftId"`
	VolunteerID string `dynamodbav:"volunteerId"`
	Role        string `dynamodbav:"role"`
	Name        string `dynamodbav:"name"`
	Phone       string `dynamodbav:"phone,omitempty"`
	Category    string `dynamodbav:"category"`
	Post        string `dynamodbav:"post"`
	Place       string `dynamodbav:"place"`
	StartsAt    when   `dynamodbav:"startsAt"`
	EndsAt      when   `dynamodbav:"endsAt"`
	SquadLeader bool   `dynamodbav:"squadLeader"`
}

func toAssignmentItem(a volunteers.Assignment) assignmentItem {
	k, ix := AssignmentKey(a.PostID, a.ShiftID, a.VolunteerID), VolunteerAssignmentsIndex(a.VolunteerID, a.StartsAt, a.PostID, a.ShiftID)
	return assignmentItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "assignment"}, PostID: a.PostID,
		ShiftID: a.ShiftID, VolunteerID: a.VolunteerID, Role: a.Role, Name: a.Name, Phone: a.Phone, Category: a.Category,
		Post: a.Post, Place: a.Place, StartsAt: stamp(a.StartsAt), EndsAt: stamp(a.EndsAt), SquadLeader: a.SquadLeader}
}

func (it assignmentItem) domain() volunteers.Assignment {
	return volunteers.Assignment{PostID: it.PostID, ShiftID: it.ShiftID, VolunteerID: it.VolunteerID, Role: it.Role, Name: it.Name,
		Phone: it.Phone, Category: it.Category, Post: it.Post, Place: it.Place, StartsAt: it.StartsAt.time(), EndsAt: it.EndsAt.time(),
		SquadLeader: it.SquadLeader}
}

type activationItem struct {
	keys
	ID          string    `dynamodbav:"id"`
	CommunityID string    `dynamodbav:"communityId"`
	Scope       scopeItem `dynamodbav:"scope"`
	Minutes     int       `dynamodbav:"minutes"`
	CreatedAt   when      `dynamodbav:"createdAt"`
	CreatedBy   string    `dynamodbav:"createdBy"`
	Drill       string    `dynamodbav:"drill,omitempty"`
}

type scopeItem struct {
	PostIDs    []string `dynamodbav:"postIds,omitempty"`
	Categories []string `dynamodbav:"categories,omitempty"`
	All        bool     `dynamodbav:"all,omitempty"`
}

func (it activationItem) domain() volunteers.Activation {
	return volunteers.Activation{ID: it.ID, CommunityID: it.CommunityID, Minutes: it.Minutes, CreatedAt: it.CreatedAt.time(),
		CreatedBy: it.CreatedBy, Drill: it.Drill,
		Scope: volunteers.Scope{PostIDs: it.Scope.PostIDs, Categories: it.Scope.Categories, All: it.Scope.All}}
}

type askRecord struct {
	keys
	ActivationID string `dynamodbav:"activationId"`
	CommunityID  string `dynamodbav:"communityId"`
	PostID       string `dynamodbav:"postId"`
	Post         string `dynamodbav:"post"`
	ShiftID      string `dynamodbav:"shiftId"`
	StartsAt     when   `dynamodbav:"startsAt"`
	Need         int    `dynamodbav:"need"`
	VolunteerID  string `dynamodbav:"volunteerId"`
	Name         string `dynamodbav:"name"`
	Phone        string `dynamodbav:"phone,omitempty"`
	Role         string `dynamodbav:"role"`
	Status       string `dynamodbav:"status"`
	AskedAt      when   `dynamodbav:"askedAt"`
	DeadlineAt   when   `dynamodbav:"deadlineAt"`
	AnsweredAt   when   `dynamodbav:"answeredAt,omitempty"`
	Minutes      int    `dynamodbav:"minutes"`
	Drill        string `dynamodbav:"drill,omitempty"`
}

func (it askRecord) domain() volunteers.Ask {
	a := volunteers.Ask{ActivationID: it.ActivationID, CommunityID: it.CommunityID, PostID: it.PostID, Post: it.Post, ShiftID: it.ShiftID,
		StartsAt: it.StartsAt.time(), Need: it.Need, VolunteerID: it.VolunteerID, Name: it.Name, Phone: it.Phone, Role: it.Role,
		Status: it.Status, AskedAt: it.AskedAt.time(), DeadlineAt: it.DeadlineAt.time(), Minutes: it.Minutes, Drill: it.Drill,
		// The backup job has yet to act on what is on the due index.
		BackupDue: it.GSI2PK != ""}
	if t := it.AnsweredAt.time(); !t.IsZero() {
		a.AnsweredAt = &t
	}
	return a
}

type checkinItem struct {
	keys
	VolunteerID string `dynamodbav:"volunteerId"`
	CommunityID string `dynamodbav:"communityId"`
	Name        string `dynamodbav:"name"`
	Category    string `dynamodbav:"category"`
	PostID      string `dynamodbav:"postId"`
	Post        string `dynamodbav:"post"`
	ShiftID     string `dynamodbav:"shiftId"`
	In          when   `dynamodbav:"checkedInAt"`
	Out         when   `dynamodbav:"checkedOutAt,omitempty"`
	Minutes     int    `dynamodbav:"minutes"`
	ShiftEnds   when   `dynamodbav:"shiftEndsAt"`
}

func toCheckinItem(k keys, c volunteers.Checkin) checkinItem {
	it := checkinItem{keys: k, VolunteerID: c.VolunteerID, CommunityID: c.CommunityID, Name: c.Name, Category: c.Category,
		PostID: c.PostID, Post: c.Post, ShiftID: c.ShiftID, In: stamp(c.In), Minutes: c.Minutes, ShiftEnds: stamp(c.ShiftEnds)}
	if c.Out != nil {
		it.Out = stamp(*c.Out)
	}
	return it
}

func (it checkinItem) domain() volunteers.Checkin {
	c := volunteers.Checkin{VolunteerID: it.VolunteerID, CommunityID: it.CommunityID, Name: it.Name, Category: it.Category,
		PostID: it.PostID, Post: it.Post, ShiftID: it.ShiftID, In: it.In.time(), Minutes: it.Minutes, ShiftEnds: it.ShiftEnds.time()}
	if t := it.Out.time(); !t.IsZero() {
		c.Out = &t
	}
	return c
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
	pk := VolunteerPhoneKey(v.Phone)
	item, err := record(toVolunteerItem(v))
	if err != nil {
		return err
	}
	claim, err := record(volunteerPhoneItem{keys: keys{PK: pk.PK, SK: pk.SK, Type: "volunteerPhone"},
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
	var it volunteerItem
	err := s.get(ctx, VolunteerKey(id), &it)
	if errors.Is(err, errNotFound) {
		return volunteers.Volunteer{}, volunteers.ErrVolunteerNotFound
	}
	if err != nil {
		return volunteers.Volunteer{}, err
	}
	return it.domain(), nil
}

// Volunteers lists a community's volunteers (GSI1).
func (s *Store) Volunteers(ctx context.Context, cid string) ([]volunteers.Volunteer, error) {
	out := []volunteers.Volunteer{}
	err := s.queryIndex(ctx, "GSI1", VolunteersIndex(cid, "").PK, "", func(av map[string]types.AttributeValue) error {
		var it volunteerItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, it.domain())
		return nil
	})
	return out, err
}

// DecideVolunteer moves a volunteer (and the phone's claim) from one status
// to another in one transaction with their account: approval gives the
// account the volunteer role (creating it for a phone that had none),
// rejection leaves it, deactivation takes the role away (and the account,
// when it was only that) and voids the person's tokens.
func (s *Store) DecideVolunteer(ctx context.Context, v volunteers.Volunteer, from string, pending *dispatch.Pending) error {
	acct, err := s.AccountByPhone(ctx, v.Phone)
	hasAccount := err == nil
	if err != nil && !errors.Is(err, auth.ErrNoAccount) {
		return err
	}
	k, pk := VolunteerKey(v.ID), VolunteerPhoneKey(v.Phone)
	decided := ""
	if v.DecidedAt != nil {
		decided = formatTime(*v.DecidedAt)
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
		av, err := record(toAccountItem(auth.Account{Phone: v.Phone, Name: v.Name, Principal: p}))
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
	if tx, err = s.withPending(tx, pending); err != nil {
		return err
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
		// Their tokens carry the volunteer role: void that role, not the
		// person's others (staff or a resident elsewhere).
		return s.RevokeRole(ctx, acct.UserID, manifest.RoleVolunteer, time.Now())
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
	av, err := record(toPostItem(p))
	if err != nil {
		return err
	}
	tx := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}}}
	for _, sh := range p.Shifts {
		sk := ShiftKey(p.ID, sh.ID)
		av, err := record(shiftItem{keys: keys{PK: sk.PK, SK: sk.SK, Type: "shift"}, Need: sh.Need})
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

func postOf(av map[string]types.AttributeValue) (volunteers.Post, error) {
	var it postItem
	if err := readRecord(av, &it); err != nil {
		return volunteers.Post{}, err
	}
	return it.domain(), nil
}

// Post reads a post.
func (s *Store) Post(ctx context.Context, id string) (volunteers.Post, error) {
	av, err := s.getItem(ctx, PostKey(id))
	if errors.Is(err, errNotFound) {
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
	av, err := record(toAssignmentItem(a))
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
		var it assignmentItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		*out = append(*out, it.domain())
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
	it := askRecord{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, GSI2PK: due.PK, GSI2SK: due.SK, Type: "ask"},
		ActivationID: a.ActivationID, CommunityID: a.CommunityID, PostID: a.PostID, Post: a.Post, ShiftID: a.ShiftID,
		StartsAt: stamp(a.StartsAt), Need: a.Need, VolunteerID: a.VolunteerID, Name: a.Name, Phone: a.Phone, Role: a.Role,
		Status: a.Status, AskedAt: stamp(a.AskedAt), DeadlineAt: stamp(a.DeadlineAt), Minutes: a.Minutes, Drill: a.Drill}
	if a.AnsweredAt != nil {
		it.AnsweredAt = stamp(*a.AnsweredAt)
	}
	return record(it)
}

// CreateActivation takes the scope's lock until its calls close, then
// writes the activation and its asks, 25 a request.
func (s *Store) CreateActivation(ctx context.Context, a volunteers.Activation, asks []volunteers.Ask, scope string, until time.Time, pending *dispatch.Pending) error {
	lock := ActivationLockKey(a.CommunityID, scope).av()
	lock["type"], lock["activationId"] = str("activationLock"), str(a.ID)
	lock["until"], lock["expiresAt"] = str(formatTime(until)), n(until.Add(time.Hour).Unix())
	vals := map[string]types.AttributeValue{}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: lock,
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR " + deadlinePassed("#u", a.CreatedAt, vals)),
		ExpressionAttributeNames:  map[string]string{"#u": "until"},
		ExpressionAttributeValues: vals})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return volunteers.ErrAlreadyCalled
	}
	if err != nil {
		return unavailable(err)
	}
	reqs := make([]types.WriteRequest, 0, len(asks))
	for _, ask := range asks {
		av, err := askItem(ask)
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		return err
	}
	// The activation is written last, with its calls: they are sent once
	// it stands, whatever the queue does meanwhile.
	k := ActivationKey(a.ID)
	av, err := record(activationItem{keys: keys{PK: k.PK, SK: k.SK, Type: "activation"}, ID: a.ID, CommunityID: a.CommunityID,
		Minutes: a.Minutes, CreatedAt: stamp(a.CreatedAt), CreatedBy: a.CreatedBy, Drill: a.Drill,
		Scope: scopeItem{PostIDs: a.Scope.PostIDs, Categories: a.Scope.Categories, All: a.Scope.All}})
	if err != nil {
		return err
	}
	if _, err := s.writeWith(ctx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av}}, pending); err != nil {
		return err
	}
	return nil
}

func asksOf(out *[]volunteers.Ask) func(map[string]types.AttributeValue) error {
	return func(av map[string]types.AttributeValue) error {
		var it askRecord
		if err := readRecord(av, &it); err != nil {
			return err
		}
		*out = append(*out, it.domain())
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
			var it activationItem
			if err := readRecord(av, &it); err != nil {
				return err
			}
			a := it.domain()
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
		vals := map[string]types.AttributeValue{":to": str(status), ":at": str(formatTime(at)), ":from": str(a.Status)}
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
// silent, only if it is still as the job read it; with it, in one
// transaction, the backup's ask next (unless they were asked in the
// activation: ErrAskedBefore) and the texts pending.
func (s *Store) SettleAsk(ctx context.Context, a volunteers.Ask, next *volunteers.Ask, pending *dispatch.Pending) (bool, error) {
	expr := "REMOVE GSI2PK, GSI2SK"
	vals := map[string]types.AttributeValue{":from": str(a.Status)}
	if a.Status == volunteers.AskAsked {
		expr = "SET #s = :silent " + expr
		vals[":silent"] = str(volunteers.AskSilent)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table),
		Key: AskKey(a.ActivationID, a.VolunteerID, a.PostID, a.ShiftID).av(), UpdateExpression: aws.String(expr),
		ConditionExpression:      aws.String("#s = :from AND attribute_exists(GSI2PK)"),
		ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: vals}}}
	if next != nil {
		av, err := askItem(*next)
		if err != nil {
			return false, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av,
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	items, err := s.withPending(items, pending)
	if err != nil {
		return false, err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	switch {
	case errors.As(err, &tce) && failed(tce, 0):
		return false, nil
	case errors.As(err, &tce) && next != nil && failed(tce, 1):
		return false, volunteers.ErrAskedBefore
	case err != nil:
		return false, unavailable(err)
	}
	return true, nil
}

// StartServing opens a volunteer's check-in: ErrCheckedIn while one is open.
func (s *Store) StartServing(ctx context.Context, c volunteers.Checkin) error {
	k := OpenCheckinKey(c.VolunteerID)
	av, err := record(toCheckinItem(keys{PK: k.PK, SK: k.SK, Type: "checkin"}, c))
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
	var it checkinItem
	if err := readRecord(out.Item, &it); err != nil {
		return volunteers.Checkin{}, err
	}
	return it.domain(), nil
}

// OpenCheckins reads the open check-ins of volunteers by id (BatchGetItem):
// the duty board's who is at their post.
func (s *Store) OpenCheckins(ctx context.Context, vids []string) ([]volunteers.Checkin, error) {
	seen := map[string]bool{}
	keys := make([]Key, 0, len(vids))
	for _, id := range vids {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, OpenCheckinKey(id))
		}
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]volunteers.Checkin, 0, len(items))
	for _, av := range items {
		var it checkinItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		out = append(out, it.domain())
	}
	return out, nil
}

// StopServing closes the open check-in read and books its time, in one
// transaction: a check-out sent twice books once.
func (s *Store) StopServing(ctx context.Context, c volunteers.Checkin) error {
	month := c.In.In(chinatime.Zone).Format("2006-01") // the check-in's Beijing month
	k, ix := HoursKey(c.VolunteerID, c.In, c.PostID), HoursIndex(c.CommunityID, month, c.VolunteerID, c.In)
	av, err := record(toCheckinItem(keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "hours"}, c))
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Table), Key: OpenCheckinKey(c.VolunteerID).av(),
			// The open check-in as read: stored as now, or as an earlier
			// version wrote it (to the nanosecond, in Beijing time).
			ConditionExpression: aws.String("postId = :p AND checkedInAt IN (:in, :inBefore)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(c.PostID), ":in": str(formatTime(c.In)),
				":inBefore": str(c.In.In(chinatime.Zone).Format(time.RFC3339Nano))}}},
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
		var it checkinItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, it.domain())
		return nil
	})
	return out, err
}

// VolunteerNames reads the names of volunteers by id (BatchGetItem, 100 a
// call): the audit log names who acted in the field.
func (s *Store) VolunteerNames(ctx context.Context, ids []string) (map[string]string, error) {
	keys := make([]Key, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, VolunteerKey(id))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, av := range items {
		var it volunteerItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		out[it.ID] = it.Name
	}
	return out, nil
}
