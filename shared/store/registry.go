package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
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

// Item types, in the "type" attribute of every item.
const (
	typeStreet    = "street"
	typeCommunity = "community"
	typeBuilding  = "building"
	typeHousehold = "household"
	typeResident  = "resident"
	typeAccount   = "account"
	typeStaff     = "staff"
)

type communityItem struct {
	keys
	ID       string `dynamodbav:"id"`
	StreetID string `dynamodbav:"streetId"`
	Name     string `dynamodbav:"name"`
}

type buildingItem struct {
	keys
	ID             string   `dynamodbav:"id"`
	CommunityID    string   `dynamodbav:"communityId"`
	Name           string   `dynamodbav:"name"`
	Units          []string `dynamodbav:"units"`
	HouseholdCount int      `dynamodbav:"householdCount"`
	ResidentCount  int      `dynamodbav:"residentCount"`
}

type householdItem struct {
	keys
	ID           string `dynamodbav:"id"`
	CommunityID  string `dynamodbav:"communityId"`
	BuildingID   string `dynamodbav:"buildingId"`
	BuildingName string `dynamodbav:"building"`
	Unit         string `dynamodbav:"unit"`
	Room         string `dynamodbav:"room"`
	ContactPhone string `dynamodbav:"contactPhone,omitempty"`
}

type residentItem struct {
	keys
	ID          string   `dynamodbav:"id"`
	CommunityID string   `dynamodbav:"communityId"`
	HouseholdID string   `dynamodbav:"householdId"`
	Name        string   `dynamodbav:"name"`
	Phone       string   `dynamodbav:"phone,omitempty"`
	BirthYear   int      `dynamodbav:"birthYear,omitempty"`
	Flags       []string `dynamodbav:"flags,omitempty"`
	Status      string   `dynamodbav:"status,omitempty"`
	Where       string   `dynamodbav:"where,omitempty"`
	MovedTo     string   `dynamodbav:"movedTo,omitempty"`
	Corrected   []string `dynamodbav:"corrected,omitempty"`
	Version     int      `dynamodbav:"version,omitempty"`
}

type staffItem struct {
	keys
	ID          string `dynamodbav:"id"`
	Name        string `dynamodbav:"name"`
	Phone       string `dynamodbav:"phone"`
	CommunityID string `dynamodbav:"communityId,omitempty"`
	StreetID    string `dynamodbav:"streetId,omitempty"`
	CreatedAt   string `dynamodbav:"createdAt"`
}

func toBuildingItem(b registry.Building) buildingItem {
	k := BuildingKey(b.CommunityID, b.ID)
	return buildingItem{keys: keys{PK: k.PK, SK: k.SK, Type: typeBuilding}, ID: b.ID, CommunityID: b.CommunityID,
		Name: b.Name, Units: b.Units, HouseholdCount: b.HouseholdCount, ResidentCount: b.ResidentCount}
}

func (it buildingItem) domain() registry.Building {
	units := it.Units
	if units == nil {
		units = []string{}
	}
	unitIDs := make([]string, len(units))
	for i, u := range units {
		unitIDs[i] = registry.UnitID(it.ID, u)
	}
	return registry.Building{ID: it.ID, CommunityID: it.CommunityID, Name: it.Name, Units: units, UnitIDs: unitIDs,
		HouseholdCount: it.HouseholdCount, ResidentCount: it.ResidentCount}
}

func toHouseholdItem(h registry.Household) householdItem {
	k := HouseholdKey(h.ID)
	return householdItem{keys: keys{PK: k.PK, SK: k.SK, Type: typeHousehold}, ID: h.ID, CommunityID: h.CommunityID,
		BuildingID: h.BuildingID, BuildingName: h.BuildingName, Unit: h.Unit, Room: h.Room, ContactPhone: h.ContactPhone}
}

func (it householdItem) domain() registry.Household {
	return registry.Household{ID: it.ID, CommunityID: it.CommunityID, BuildingID: it.BuildingID,
		BuildingName: it.BuildingName, Unit: it.Unit, Room: it.Room, ContactPhone: it.ContactPhone}
}

func toResidentItem(r registry.Resident) residentItem {
	k := ResidentKey(r.ID)
	n := NameIndex(r.CommunityID, r.Name, r.ID)
	it := residentItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: n.PK, GSI1SK: n.SK, Type: typeResident},
		ID: r.ID, CommunityID: r.CommunityID, HouseholdID: r.HouseholdID, Name: r.Name, Phone: r.Phone, BirthYear: r.BirthYear,
		Status: r.Status, Where: r.Where, MovedTo: r.MovedTo, Corrected: r.Corrected, Version: r.Version}
	if r.Phone != "" {
		p := PhoneIndex(r.CommunityID, r.Phone, r.ID)
		it.GSI2PK, it.GSI2SK = p.PK, p.SK
	}
	for _, f := range r.Flags {
		it.Flags = append(it.Flags, string(f))
	}
	return it
}

func (it residentItem) domain() registry.Resident {
	r := registry.Resident{ID: it.ID, CommunityID: it.CommunityID, HouseholdID: it.HouseholdID, Name: it.Name, Phone: it.Phone, BirthYear: it.BirthYear,
		Status: it.Status, Where: it.Where, MovedTo: it.MovedTo, Corrected: it.Corrected, Version: it.Version}
	for _, f := range it.Flags {
		r.Flags = append(r.Flags, registry.Flag(f))
	}
	return r
}

var _ registry.ImportStore = (*Store)(nil)
var _ registry.Directory = (*Store)(nil)

// Snapshot reads, in batches, the stored items an import names.
func (s *Store) Snapshot(ctx context.Context, cid string, bids, hids, rids, phones []string) (registry.Snapshot, error) {
	snap := registry.Snapshot{
		Buildings: map[string]registry.Building{}, Households: map[string]registry.Household{},
		Residents: map[string]registry.Resident{}, Accounts: map[string]auth.Account{},
	}
	var ks []Key
	for _, id := range bids {
		ks = append(ks, BuildingKey(cid, id))
	}
	for _, id := range hids {
		ks = append(ks, HouseholdKey(id))
	}
	for _, id := range rids {
		ks = append(ks, ResidentKey(id))
	}
	for _, p := range phones {
		ks = append(ks, AccountKey(p))
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return snap, err
	}
	for _, av := range items {
		var k keys
		if err := readRecord(av, &k); err != nil {
			return snap, err
		}
		switch k.Type {
		case typeBuilding:
			var it buildingItem
			if err := readRecord(av, &it); err != nil {
				return snap, err
			}
			snap.Buildings[it.ID] = it.domain()
		case typeHousehold:
			var it householdItem
			if err := readRecord(av, &it); err != nil {
				return snap, err
			}
			snap.Households[it.ID] = it.domain()
		case typeResident:
			var it residentItem
			if err := readRecord(av, &it); err != nil {
				return snap, err
			}
			snap.Residents[it.ID] = it.domain()
		case typeAccount:
			var it accountItem
			if err := readRecord(av, &it); err != nil {
				return snap, err
			}
			snap.Accounts[it.Phone] = it.domain()
		}
	}
	return snap, nil
}

// ApplyImport writes an import's changes. Accounts are created only where the
// phone has none yet, so a staff member who is also a resident keeps signing
// in as staff; released phones are deleted only while they still point at the
// resident they were released from.
func (s *Store) ApplyImport(ctx context.Context, c registry.ImportChanges) error {
	var reqs []types.WriteRequest
	put := func(v any) error {
		av, err := record(v)
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		return nil
	}
	for _, b := range c.Buildings {
		if err := put(toBuildingItem(b)); err != nil {
			return err
		}
	}
	for _, h := range c.Households {
		if err := put(toHouseholdItem(h)); err != nil {
			return err
		}
	}
	for _, r := range c.Residents {
		if err := put(toResidentItem(r)); err != nil {
			return err
		}
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		return err
	}
	err := parallel(ctx, len(c.Releases), func(ctx context.Context, i int) error {
		return s.releasePhone(ctx, c.Releases[i])
	})
	if err != nil {
		return err
	}
	// On condition: a phone that became someone's account since the
	// snapshot keeps signing in as them. A hundred to a transaction; a
	// transaction that meets such a phone is done again one by one.
	runs := chunks(len(c.Accounts), 100)
	err = parallel(ctx, len(runs), func(ctx context.Context, i int) error {
		return s.createAccounts(ctx, c.Accounts[runs[i][0]:runs[i][1]])
	})
	if err != nil {
		return err
	}
	// A staff member or volunteer of the community who lives in it keeps one
	// sign-in and gains their household: only while the account is still
	// theirs and has no household yet.
	return parallel(ctx, len(c.Attach), func(ctx context.Context, i int) error {
		a := c.Attach[i]
		av, err := record(toAccountItem(a))
		if err != nil {
			return err
		}
		_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.Table), Item: av,
			ConditionExpression:       aws.String("userId = :u AND attribute_not_exists(householdId)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":u": str(a.UserID)},
		})
		return unavailableUnlessGone(err)
	})
}

// createAccounts writes accounts whose phones have none, in one transaction,
// or one by one when some phone got an account meanwhile.
func (s *Store) createAccounts(ctx context.Context, accounts []auth.Account) error {
	items := make([]types.TransactWriteItem, len(accounts))
	for i, a := range accounts {
		av, err := record(toAccountItem(a))
		if err != nil {
			return err
		}
		items[i] = types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av,
			ConditionExpression: aws.String("attribute_not_exists(PK)")}}
	}
	err := s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		if err != nil {
			return unavailable(err)
		}
		return nil
	}
	for _, it := range items {
		_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: it.Put.Item,
			ConditionExpression: it.Put.ConditionExpression})
		if err := unavailableUnlessGone(err); err != nil {
			return err
		}
	}
	return nil
}

// releasePhone takes the resident away from the account of a phone that no
// longer is theirs: the account goes when that was all it was, else it keeps
// its other roles; either way the tokens it had are revoked.
func (s *Store) releasePhone(ctx context.Context, rel registry.PhoneRelease) error {
	acct, err := s.AccountByPhone(ctx, rel.Phone)
	if errors.Is(err, auth.ErrNoAccount) {
		return nil
	}
	if err != nil {
		return err
	}
	if acct.ResidentID != rel.ResidentID {
		return nil // the phone signs in as someone else now
	}
	cond := map[string]types.AttributeValue{":rid": str(rel.ResidentID)}
	rest := acct.Principal
	rest.Roles, rest.HouseholdID, rest.ResidentID, rest.ResidentCommunityID = nil, "", "", ""
	rest = rest.Normalized()
	if len(rest.Roles) == 0 {
		_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(s.Table), Key: AccountKey(rel.Phone).av(),
			ConditionExpression: aws.String("residentId = :rid OR (attribute_not_exists(residentId) AND userId = :rid)"), ExpressionAttributeValues: cond,
		})
	} else {
		var av map[string]types.AttributeValue
		if av, err = record(toAccountItem(auth.Account{Phone: acct.Phone, Name: acct.Name, Principal: rest})); err != nil {
			return err
		}
		_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av,
			ConditionExpression: aws.String("residentId = :rid"), ExpressionAttributeValues: cond})
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return unavailable(err)
	}
	return s.Revoke(ctx, acct.UserID, time.Now())
}

// Recount sets each building's counts from its partition: absolute figures,
// so an import that was interrupted and run again still counts right.
func (s *Store) Recount(ctx context.Context, cid string, bids []string) error {
	return parallel(ctx, len(bids), func(ctx context.Context, i int) error { return s.recountOne(ctx, cid, bids[i]) })
}

func (s *Store) recountOne(ctx context.Context, cid, bid string) error {
	households, residents := 0, 0
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :hh)"),
		ProjectionExpression:      aws.String("#t, #s"),
		ExpressionAttributeNames:  map[string]string{"#t": "type", "#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: BuildingPartition(bid)}, ":hh": &types.AttributeValueMemberS{Value: HouseholdPrefix}},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return unavailable(err)
		}
		for _, it := range page.Items {
			switch it["type"].(*types.AttributeValueMemberS).Value {
			case typeHousehold:
				households++
			case typeResident:
				var st struct {
					Status string `dynamodbav:"status"`
				}
				_ = attributevalue.UnmarshalMap(it, &st)
				if (registry.Resident{Status: st.Status}).Current() {
					residents++
				}
			}
		}
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.Table),
		Key:                 BuildingKey(cid, bid).av(),
		UpdateExpression:    aws.String("SET householdCount = :h, residentCount = :r"),
		ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": &types.AttributeValueMemberN{Value: itoa(households)}, ":r": &types.AttributeValueMemberN{Value: itoa(residents)},
		},
	})
	return unavailableUnlessGone(err)
}

// StreetOf implements auth.StreetResolver.
func (s *Store) StreetOf(ctx context.Context, cid string) (string, error) {
	c, err := s.Community(ctx, cid)
	if errors.Is(err, registry.ErrNotFound) {
		return "", auth.ErrNoCommunity
	}
	return c.StreetID, err
}

// Community reads one community.
func (s *Store) Community(ctx context.Context, cid string) (registry.Community, error) {
	var it communityItem
	err := s.get(ctx, CommunityKey(cid), &it)
	if errors.Is(err, errNotFound) {
		return registry.Community{}, registry.ErrNotFound
	}
	if err != nil {
		return registry.Community{}, err
	}
	return registry.Community{ID: it.ID, StreetID: it.StreetID, Name: it.Name}, nil
}

// HasBuilding says whether buildingID is a building of community cid: one
// GetItem.
func (s *Store) HasBuilding(ctx context.Context, cid, buildingID string) (bool, error) {
	_, err := s.getItem(ctx, BuildingKey(cid, buildingID))
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Household reads a household and its members in one Query.
func (s *Store) Household(ctx context.Context, hid string) (registry.Household, []registry.Resident, error) {
	k := HouseholdKey(hid)
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: k.PK}, ":sk": &types.AttributeValueMemberS{Value: k.SK},
		},
	})
	if err != nil {
		return registry.Household{}, nil, unavailable(err)
	}
	var h registry.Household
	var members []registry.Resident
	found := false
	for _, av := range out.Items {
		switch av["type"].(*types.AttributeValueMemberS).Value {
		case typeHousehold:
			var it householdItem
			if err := readRecord(av, &it); err != nil {
				return h, nil, err
			}
			// The Query reads every key that begins with the id: only this
			// household's own, not one whose id merely starts the same.
			if d := it.domain(); d.ID == hid {
				h, found = d, true
			}
		case typeResident:
			var it residentItem
			if err := readRecord(av, &it); err != nil {
				return h, nil, err
			}
			// Members are those who live there: not moved out, not deceased.
			if r := it.domain(); r.Current() && r.HouseholdID == hid {
				members = append(members, r)
			}
		}
	}
	if !found {
		return h, nil, registry.ErrNotFound
	}
	return h, members, nil
}

// Buildings lists a community's buildings with their counts, in the order
// staff walk them (by name, numbers counted: 2号楼 before 10号楼), a page of
// limit after cursor. A community has tens of buildings: they are read
// whole (one Query) and paged here, so pages follow the walking order too.
func (s *Store) Buildings(ctx context.Context, cid, cursor string, limit int) ([]registry.Building, string, error) {
	list := "buildings:" + cid
	after, err := decodeAfter(cursor, list)
	if err != nil {
		return nil, "", err
	}
	var all []registry.Building
	err = s.queryPrefix(ctx, CommunityKey(cid).PK, BuildingPrefix, func(av map[string]types.AttributeValue) error {
		var it buildingItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		all = append(all, it.domain())
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	// before orders buildings by name as people count, then by id.
	before := func(aName, aID, bName, bID string) bool {
		if aName != bName {
			return registry.NaturalLess(aName, bName)
		}
		return aID < bID
	}
	sort.Slice(all, func(i, j int) bool { return before(all[i].Name, all[i].ID, all[j].Name, all[j].ID) })
	start := 0
	if after != nil {
		start = sort.Search(len(all), func(i int) bool { return before(after.Name, after.ID, all[i].Name, all[i].ID) })
	}
	end := min(start+limit, len(all))
	page := all[start:end]
	next := ""
	if end < len(all) && len(page) > 0 {
		next = encodeAfter(list, page[len(page)-1].Name, page[len(page)-1].ID)
	}
	return page, next, nil
}

// afterCursor is the last item of the previous page of an ordered list;
// List names the list, so a cursor cannot lead into another.
type afterCursor struct {
	List string `json:"l"`
	Name string `json:"n"`
	ID   string `json:"i"`
}

func encodeAfter(list, name, id string) string {
	b, _ := json.Marshal(afterCursor{List: list, Name: name, ID: id})
	return "a." + base64.RawURLEncoding.EncodeToString(b)
}

func decodeAfter(c, list string) (*afterCursor, error) {
	if c == "" {
		return nil, nil
	}
	raw, ok := strings.CutPrefix(c, "a.")
	if !ok || len(c) > 1024 {
		return nil, ErrBadCursor.Wrap(errors.New("not a list cursor"))
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, ErrBadCursor.Wrap(err)
	}
	var a afterCursor
	if err := json.Unmarshal(b, &a); err != nil || a.List != list || a.ID == "" || !registry.ValidID(a.ID) {
		return nil, ErrBadCursor.Wrap(fmt.Errorf("cursor %q", c))
	}
	return &a, nil
}

// ResidentsByPhone finds the residents of a community with this phone (GSI2).
func (s *Store) ResidentsByPhone(ctx context.Context, cid, phone string) ([]registry.Resident, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		IndexName:              aws.String("GSI2"),
		KeyConditionExpression: aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: PhoneIndex(cid, phone, "").PK},
		},
	})
	if err != nil {
		return nil, unavailable(err)
	}
	return residents(out.Items)
}

// ResidentsByName finds the residents of a community whose name starts with prefix (GSI1).
func (s *Store) ResidentsByName(ctx context.Context, cid, prefix, cursor string, limit int) ([]registry.Resident, string, error) {
	pk := NameIndex(cid, "", "").PK
	start, err := decodeCursor(cursor, gsi1Cursor, map[string]string{"GSI1PK": pk})
	if err != nil {
		return nil, "", err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		IndexName:              aws.String("GSI1"),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk}, ":prefix": &types.AttributeValueMemberS{Value: prefix},
		},
		ExclusiveStartKey: start,
		Limit:             aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, "", unavailable(err)
	}
	rs, err := residents(out.Items)
	return rs, encodeCursor(out.LastEvaluatedKey), err
}

func residents(items []map[string]types.AttributeValue) ([]registry.Resident, error) {
	var rs []registry.Resident
	for _, av := range items {
		var it residentItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		rs = append(rs, it.domain())
	}
	return rs, nil
}

// StaffMember reads the staff or admin record of p.
func (s *Store) StaffMember(ctx context.Context, p auth.Principal) (registry.Staff, error) {
	k := StaffKey(p.CommunityID, p.UserID)
	if p.Role == manifest.RoleAdmin {
		k = AdminKey(p.StreetID, p.UserID)
	}
	var it staffItem
	err := s.get(ctx, k, &it)
	if errors.Is(err, errNotFound) {
		return registry.Staff{}, registry.ErrNotFound
	}
	if err != nil {
		return registry.Staff{}, err
	}
	return registry.Staff{ID: it.ID, Name: it.Name, Phone: it.Phone, CommunityID: it.CommunityID, StreetID: it.StreetID}, nil
}

// CreateCommunity adds a community to an existing street, in one transaction
// with the check that the street exists.
func (s *Store) CreateCommunity(ctx context.Context, c registry.Community) error {
	k := CommunityKey(c.ID)
	ix := CommunitiesOfStreetIndex(c.StreetID, c.ID)
	av, err := record(communityItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: typeCommunity},
		ID: c.ID, StreetID: c.StreetID, Name: c.Name})
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: StreetKey(c.StreetID).av(), ConditionExpression: aws.String("attribute_exists(PK)")}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if failed(tce, 0) {
			return registry.ErrNotFound
		}
		if failed(tce, 1) {
			return ErrCommunityExists
		}
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// StreetCommunities lists a street's communities by id (GSI1).
func (s *Store) StreetCommunities(ctx context.Context, streetID string) ([]registry.Community, error) {
	out := []registry.Community{}
	ix := CommunitiesOfStreetIndex(streetID, "")
	err := s.queryIndex(ctx, "GSI1", ix.PK, ix.SK, func(av map[string]types.AttributeValue) error {
		var it communityItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, registry.Community{ID: it.ID, StreetID: it.StreetID, Name: it.Name})
		return nil
	})
	return out, err
}

// ErrCommunityExists: a community with this id exists.
var ErrCommunityExists = errors.New("the community exists already")

// CreateStaff writes a staff (or admin) record and the account its phone
// signs in with, in one transaction. With merge nil the phone must have no
// account yet; with merge, the phone's account must still be the one read
// (same user, no staff or admin role) and becomes merge, which keeps the
// person's household and volunteering. ErrPhoneTaken otherwise.
func (s *Store) CreateStaff(ctx context.Context, st registry.Staff, role manifest.Role, merge *auth.Account) error {
	k := StaffKey(st.CommunityID, st.ID)
	if role == manifest.RoleAdmin {
		k = AdminKey(st.StreetID, st.ID)
	}
	staff, err := record(staffItem{keys: keys{PK: k.PK, SK: k.SK, Type: typeStaff}, ID: st.ID, Name: st.Name,
		Phone: st.Phone, CommunityID: st.CommunityID, StreetID: st.StreetID, CreatedAt: formatTime(st.CreatedAt)})
	if err != nil {
		return err
	}
	p := auth.Principal{UserID: st.ID, Role: role}
	if role == manifest.RoleAdmin {
		p.StreetID = st.StreetID
	} else {
		p.StaffCommunityID = st.CommunityID
	}
	account := auth.Account{Phone: st.Phone, Name: st.Name, Principal: p}
	cond, values := "attribute_not_exists(PK)", map[string]types.AttributeValue(nil)
	if merge != nil {
		merged := merge.Principal
		merged.UserID, merged.Role, merged.Roles = st.ID, "", nil
		merged.StaffCommunityID, merged.StreetID = p.StaffCommunityID, p.StreetID
		account = auth.Account{Phone: st.Phone, Name: st.Name, Principal: merged.Normalized()}
		cond = "userId = :old AND attribute_not_exists(staffCommunityId) AND attribute_not_exists(streetId)"
		values = map[string]types.AttributeValue{":old": str(merge.UserID)}
	}
	acct, err := record(toAccountItem(account))
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: staff, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: acct, ConditionExpression: aws.String(cond), ExpressionAttributeValues: values}},
	}})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && (failed(tce, 0) || failed(tce, 1)) {
		return registry.ErrPhoneTaken.Wrap(err)
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

var _ registry.SignupLinks = (*Store)(nil)

type signupLinkItem struct {
	keys
	CommunityID string `dynamodbav:"communityId"`
	Token       string `dynamodbav:"token"`
	CreatedAt   when   `dynamodbav:"createdAt"`
	CreatedBy   string `dynamodbav:"createdBy"`
}

// SignupLink reads a community's live sign-up link.
func (s *Store) SignupLink(ctx context.Context, cid string) (registry.SignupLink, error) {
	var it signupLinkItem
	err := s.get(ctx, SignupLinkKey(cid), &it)
	if errors.Is(err, errNotFound) {
		return registry.SignupLink{}, registry.ErrNoSignupLink
	}
	if err != nil {
		return registry.SignupLink{}, err
	}
	return registry.SignupLink{CommunityID: it.CommunityID, Token: it.Token, CreatedAt: it.CreatedAt.time(), CreatedBy: it.CreatedBy}, nil
}

// ReplaceSignupLink puts next where prev is, in one transaction: the
// community's link, its token's item, and prev's token item deleted.
func (s *Store) ReplaceSignupLink(ctx context.Context, cid string, next *registry.SignupLink, prev string) error {
	table := aws.String(s.Table)
	link := SignupLinkKey(cid)
	var items []types.TransactWriteItem
	cond, vals := "attribute_not_exists(PK)", map[string]types.AttributeValue(nil)
	if prev != "" {
		cond, vals = "#t = :prev", map[string]types.AttributeValue{":prev": str(prev)}
	}
	names := map[string]string(nil)
	if vals != nil {
		names = map[string]string{"#t": "token"}
	}
	if next == nil {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: table, Key: link.av(),
			ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: vals}})
	} else {
		av, err := record(signupLinkItem{keys: keys{PK: link.PK, SK: link.SK, Type: "signupLink"}, CommunityID: cid, Token: next.Token,
			CreatedAt: stamp(next.CreatedAt), CreatedBy: next.CreatedBy})
		if err != nil {
			return err
		}
		tk := SignupTokenKey(next.Token)
		tok, err := record(signupLinkItem{keys: keys{PK: tk.PK, SK: tk.SK, Type: "signupToken"}, CommunityID: cid, Token: next.Token,
			CreatedAt: stamp(next.CreatedAt), CreatedBy: next.CreatedBy})
		if err != nil {
			return err
		}
		items = append(items,
			types.TransactWriteItem{Put: &types.Put{TableName: table, Item: av, ConditionExpression: aws.String(cond),
				ExpressionAttributeNames: names, ExpressionAttributeValues: vals}},
			types.TransactWriteItem{Put: &types.Put{TableName: table, Item: tok, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	if prev != "" {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: table, Key: SignupTokenKey(prev).av()}})
	}
	err := s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return registry.ErrSignupLinkChanged
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// SignupCommunity is the community whose live link token is.
func (s *Store) SignupCommunity(ctx context.Context, token string) (string, error) {
	if !auth.ValidSignupToken(token) {
		return "", auth.ErrNoSignupLink
	}
	var it signupLinkItem
	err := s.get(ctx, SignupTokenKey(token), &it)
	if errors.Is(err, errNotFound) {
		return "", auth.ErrNoSignupLink
	}
	if err != nil {
		return "", err
	}
	return it.CommunityID, nil
}

var _ registry.CorrectionStore = (*Store)(nil)

// Resident reads one resident, current or not.
func (s *Store) Resident(ctx context.Context, rid string) (registry.Resident, error) {
	var it residentItem
	err := s.get(ctx, ResidentKey(rid), &it)
	if errors.Is(err, errNotFound) {
		return registry.Resident{}, registry.ErrNotFound
	}
	if err != nil {
		return registry.Resident{}, err
	}
	return it.domain(), nil
}

// ApplyCorrection writes a correction in one transaction: each resident
// changed only over the version read (a new one only if absent), each
// sign-in only while its phone signs in as the resident (or, new, only if
// it has none); then the tokens of the sign-ins taken or moved stop.
func (s *Store) ApplyCorrection(ctx context.Context, c registry.Correction) error {
	var items []types.TransactWriteItem
	type role int
	const (
		isResident role = iota
		isNew
		isAccount
	)
	var roles []role
	before := map[string]registry.Resident{}
	for _, b := range c.Before {
		before[b.ID] = b
	}
	for _, r := range c.Residents {
		av, err := record(toResidentItem(r))
		if err != nil {
			return err
		}
		put := &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}
		kind := isNew
		if old, ok := before[r.ID]; ok {
			put.ConditionExpression = aws.String("attribute_exists(PK) AND " + absentOr("#v", ":v", old.Version))
			put.ExpressionAttributeNames = map[string]string{"#v": "version"}
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": n64(old.Version)}
			kind = isResident
		}
		items = append(items, types.TransactWriteItem{Put: put})
		roles = append(roles, kind)
	}
	// A person under a watch does not move: the watch and its lock are
	// under the id the move leaves behind.
	var watched []int
	for _, r := range c.Residents {
		if old, ok := before[r.ID]; ok && old.MovedTo == "" && r.MovedTo != "" {
			watched = append(watched, len(items))
			items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table),
				Key: UnderWatchKey(r.CommunityID, r.ID).av(), ConditionExpression: aws.String("attribute_not_exists(PK)")}})
		}
	}
	for _, w := range c.Accounts {
		cond := "attribute_not_exists(PK)"
		vals := map[string]types.AttributeValue(nil)
		if w.IfResident != "" {
			cond = "residentId = :rid OR (attribute_not_exists(residentId) AND userId = :rid)"
			vals = map[string]types.AttributeValue{":rid": str(w.IfResident)}
		}
		if w.Account == nil {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: AccountKey(w.Phone).av(),
				ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals}})
		} else {
			av, err := record(toAccountItem(*w.Account))
			if err != nil {
				return err
			}
			items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av,
				ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals}})
		}
		roles = append(roles, isAccount)
	}
	err := s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, i := range watched {
			if failed(tce, i) {
				return registry.ErrUnderWatch
			}
		}
		for i, k := range roles {
			at := i
			if k == isAccount {
				at += len(watched) // the accounts' writes come after the checks
			}
			if !failed(tce, at) {
				continue
			}
			switch {
			case k == isNew:
				return registry.ErrResidentExists
			case k == isAccount && c.Accounts[i-len(c.Residents)].IfResident == "":
				return registry.ErrPhoneTaken
			default:
				return registry.ErrChangedMeanwhile
			}
		}
	}
	if err != nil {
		return unavailable(err)
	}
	now := time.Now()
	for _, uid := range c.Revoke {
		if err := s.Revoke(ctx, uid, now); err != nil {
			return err
		}
	}
	return nil
}

// absentOr is a condition that a number attribute is absent (when want
// is 0, as an item written before it existed) or equals the value.
func absentOr(name, value string, want int) string {
	if want == 0 {
		return "(attribute_not_exists(" + name + ") OR " + name + " = " + value + ")"
	}
	return name + " = " + value
}
