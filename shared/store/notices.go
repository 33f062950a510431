package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/symptom"
)

var _ notices.Store = (*Store)(nil)
var _ notices.Directory = (*Store)(nil)

// messageTTL keeps the map past the 72 hours in which carriers report.
const messageTTL = 4 * 24 * time.Hour

type zoneItem struct {
	keys
	BuildingID  string `dynamodbav:"buildingId"`
	Building    string `dynamodbav:"building"`
	UnitID      string `dynamodbav:"unitId,omitempty"`
	Unit        string `dynamodbav:"unit,omitempty"`
	HouseholdID string `dynamodbav:"householdId,omitempty"`
	Room        string `dynamodbav:"room,omitempty"`
	Reason      string `dynamodbav:"reason,omitempty"`
	Level       string `dynamodbav:"level"`
	Since       string `dynamodbav:"since"`
	By          string `dynamodbav:"by"`
}

// zonePut is a zone's two writes: its current level and its history.
type zonePut struct{ current, log types.TransactWriteItem }

// zonePuts are the writes of zones, for a transaction of the caller's.
func (s *Store) zonePuts(cid string, zones []notices.Zone) ([]zonePut, error) {
	out := make([]zonePut, 0, len(zones))
	for _, z := range zones {
		var p zonePut
		for i, k := range []Key{ZoneKey(cid, z.ScopeID()), ZoneLogKey(cid, z.Since, z.ScopeID())} {
			av, err := record(zoneItem{keys: keys{PK: k.PK, SK: k.SK, Type: "zone"}, BuildingID: z.BuildingID,
				Building: z.Building, UnitID: z.UnitID, Unit: z.Unit, HouseholdID: z.HouseholdID, Room: z.Room, Reason: z.Reason,
				Level: z.Level, Since: formatTime(z.Since), By: z.By})
			if err != nil {
				return nil, err
			}
			w := types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av}}
			if i == 0 {
				p.current = w
			} else {
				p.log = w
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// SetZones writes the zones' new levels and their history in one transaction.
func (s *Store) SetZones(ctx context.Context, cid string, zones []notices.Zone) error {
	puts, err := s.zonePuts(cid, zones)
	if err != nil {
		return err
	}
	var items []types.TransactWriteItem
	for _, p := range puts {
		items = append(items, p.current, p.log)
	}
	if err := s.transact(ctx, items); err != nil {

		return unavailable(err)
	}
	return nil
}

// Zones reads a community's current levels (released zones left out):
// one Query.
func (s *Store) Zones(ctx context.Context, cid string) ([]notices.Zone, error) {
	return s.zonesFrom(ctx, cid, ZoneKey(cid, "").SK)
}

type noticeItem struct {
	keys
	ID           string   `dynamodbav:"id"`
	CommunityID  string   `dynamodbav:"communityId"`
	Title        string   `dynamodbav:"title"`
	Body         string   `dynamodbav:"body"`
	Urgent       bool     `dynamodbav:"urgent"`
	Channels     []string `dynamodbav:"channels"`
	BuildingIDs  []string `dynamodbav:"buildingIds"`
	HouseholdIDs []string `dynamodbav:"householdIds,omitempty"`
	CreatedAt    string   `dynamodbav:"createdAt"`
	CreatedBy    string   `dynamodbav:"createdBy"`
	Queued       int      `dynamodbav:"queued"`
	Sent         int      `dynamodbav:"sent"`
	Delivered    int      `dynamodbav:"delivered"`
	Failed       int      `dynamodbav:"failed"`
	Skipped      int      `dynamodbav:"skipped"`
	Acknowledged int      `dynamodbav:"acknowledged"`
	Drill        string   `dynamodbav:"drill,omitempty"`
}

func (it noticeItem) domain() (notices.Notice, notices.Delivery) {
	return notices.Notice{ID: it.ID, CommunityID: it.CommunityID, Title: it.Title, Body: it.Body, Urgent: it.Urgent,
			Channels: it.Channels, BuildingIDs: it.BuildingIDs, HouseholdIDs: it.HouseholdIDs, CreatedAt: parseTime(it.CreatedAt), CreatedBy: it.CreatedBy, Drill: it.Drill},
		notices.Delivery{Queued: it.Queued, Sent: it.Sent, Delivered: it.Delivered, Failed: it.Failed, Skipped: it.Skipped, Acknowledged: it.Acknowledged}
}

// CreateNotice writes a notice and its place in the community's feed.
func (s *Store) CreateNotice(ctx context.Context, n notices.Notice, pending *dispatch.Pending) error {
	var items []types.TransactWriteItem
	for _, k := range []Key{NoticeKey(n.ID), FeedKey(n.CommunityID, n.CreatedAt, n.ID)} {
		av, err := record(noticeItem{keys: keys{PK: k.PK, SK: k.SK, Type: "notice"}, ID: n.ID, CommunityID: n.CommunityID,
			Title: n.Title, Body: n.Body, Urgent: n.Urgent, Channels: n.Channels, BuildingIDs: n.BuildingIDs, HouseholdIDs: n.HouseholdIDs,
			CreatedAt: formatTime(n.CreatedAt), CreatedBy: n.CreatedBy, Drill: n.Drill})
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av}})
	}
	items, err := s.withPending(items, pending)
	if err != nil {
		return err
	}
	if err := s.transact(ctx, items); err != nil {
		return unavailable(err)
	}
	return nil
}

// Notice reads a notice and its counters.
func (s *Store) Notice(ctx context.Context, id string) (notices.Notice, notices.Delivery, error) {
	var it noticeItem
	err := s.get(ctx, NoticeKey(id), &it)
	if errors.Is(err, errNotFound) {
		return notices.Notice{}, notices.Delivery{}, notices.ErrNotFound
	}
	if err != nil {
		return notices.Notice{}, notices.Delivery{}, err
	}
	n, d := it.domain()
	return n, d, nil
}

// Feed reads a community's latest notices, newest first: one Query.
func (s *Store) Feed(ctx context.Context, cid string, limit int) ([]notices.Notice, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(CommunityKey(cid).PK), ":sk": str("FEED#")},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, unavailable(err)
	}
	var ns []notices.Notice
	for _, av := range out.Items {
		var it noticeItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		n, _ := it.domain()
		ns = append(ns, n)
	}
	return ns, nil
}

// Acknowledged says which of the households acknowledged a notice.
func (s *Store) Acknowledged(ctx context.Context, noticeID string, householdIDs []string) (map[string]bool, error) {
	var ks []Key
	for _, h := range householdIDs {
		ks = append(ks, AckKey(noticeID, h))
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, av := range items {
		out[strings.TrimPrefix(av["SK"].(*types.AttributeValueMemberS).Value, "ACK#")] = true
	}
	return out, nil
}

// AllAcknowledged lists every household that acknowledged a notice.
func (s *Store) AllAcknowledged(ctx context.Context, noticeID string) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.queryPrefix(ctx, NoticeKey(noticeID).PK, "ACK#", func(av map[string]types.AttributeValue) error {
		out[strings.TrimPrefix(av["SK"].(*types.AttributeValueMemberS).Value, "ACK#")] = true
		return nil
	})
	return out, err
}

// Acknowledge records a household's acknowledgement once and counts it;
// false when it was acknowledged before.
func (s *Store) Acknowledge(ctx context.Context, noticeID, householdID string, at time.Time) (bool, error) {
	k := AckKey(noticeID, householdID)
	err := s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), ConditionExpression: aws.String("attribute_not_exists(PK)"),
			Item: map[string]types.AttributeValue{"PK": str(k.PK), "SK": str(k.SK), "type": str("ack"), "at": str(formatTime(at))}}},
		{Update: &types.Update{TableName: aws.String(s.Table), Key: NoticeKey(noticeID).av(),
			UpdateExpression: aws.String("ADD acknowledged :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": n64(1)}}},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// CountQueued adds to a notice's queued count.
func (s *Store) CountQueued(ctx context.Context, noticeID string, n int) error {
	return s.count(ctx, noticeID, "queued", n)
}

func (s *Store) count(ctx context.Context, noticeID, field string, n int) error {
	// Only a notice that exists is counted: one removed meanwhile (a
	// drill's) is not written back as an empty one.
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: NoticeKey(noticeID).av(),
		UpdateExpression: aws.String("ADD #f :n"), ExpressionAttributeNames: map[string]string{"#f": field},
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": n64(n)}})
	return unavailableUnlessGone(err)
}

// ClaimSend marks phone as taken for notice; false if it was before.
func (s *Store) ClaimSend(ctx context.Context, noticeID, phone string) (bool, error) {
	return s.claim(ctx, SentKey(noticeID, phone), map[string]types.AttributeValue{"type": str("sent"), "status": str("sending")})
}

// claim writes the item of k with attrs unless it exists: false when it did.
func (s *Store) claim(ctx context.Context, k Key, attrs map[string]types.AttributeValue) (bool, error) {
	item := k.av()
	for name, v := range attrs {
		item[name] = v
	}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), ConditionExpression: aws.String("attribute_not_exists(PK)"), Item: item})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// FinishSend records how a send ended: "sent" (with the provider's message
// id, mapped back to the notice for its receipt), "skipped" (opted out),
// "failed" (for good: no retry left), or "retry", which gives the claim back
// so the redelivered message may try again and counts nothing. The outcome
// and its count are one transaction, taken only from a send in progress, so
// nothing is counted twice.
func (s *Store) FinishSend(ctx context.Context, noticeID, phone, outcome, providerID string) error {
	k := SentKey(noticeID, phone)
	if outcome == "retry" {
		_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: k.av()})
		if err != nil {
			return unavailable(err)
		}
		return nil
	}
	set := map[string]types.AttributeValue{":o": str(outcome), ":sending": str("sending")}
	expr := "SET #s = :o"
	if providerID != "" {
		expr += ", providerId = :id"
		set[":id"] = str(providerID)
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(s.Table), Key: k.av(), UpdateExpression: aws.String(expr),
			ConditionExpression: aws.String("#s = :sending"), ExpressionAttributeNames: map[string]string{"#s": "status"},
			ExpressionAttributeValues: set}},
		{Update: &types.Update{TableName: aws.String(s.Table), Key: NoticeKey(noticeID).av(),
			UpdateExpression: aws.String("ADD #f :one"), ExpressionAttributeNames: map[string]string{"#f": outcome},
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": n64(1)}}},
	}
	if outcome == "sent" && providerID != "" {
		m := MessageKey(providerID)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: map[string]types.AttributeValue{
			"PK": str(m.PK), "SK": str(m.SK), "type": str("smsid"), "noticeId": str(noticeID), "phone": str(phone),
			"expiresAt": n(time.Now().Add(messageTTL).Unix())}}})
	}
	err := s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && (failed(tce, 0) || failed(tce, 1)) {
		return nil // finished before (counted then), or the notice is gone (a drill's, removed)
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// RecordReceipt applies a carrier's delivery receipt for a provider's
// message id: a notice's send goes from sent to delivered, or to failed
// (off sent). It reports false for an id sent for no notice (a sign-in
// code, an alert), for a receipt seen before, and for one that came too
// late to be mapped.
func (s *Store) RecordReceipt(ctx context.Context, providerID string, delivered bool) (bool, error) {
	var m struct {
		NoticeID string `dynamodbav:"noticeId"`
		Phone    string `dynamodbav:"phone"`
	}
	err := s.get(ctx, MessageKey(providerID), &m)
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	status, counts := "delivered", "ADD delivered :one"
	if !delivered {
		status, counts = "undelivered", "ADD failed :one, sent :minus"
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(s.Table), Key: SentKey(m.NoticeID, m.Phone).av(),
			UpdateExpression: aws.String("SET #s = :new"), ConditionExpression: aws.String("#s = :sent"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":new": str(status), ":sent": str("sent")}}},
		{Update: &types.Update{TableName: aws.String(s.Table), Key: NoticeKey(m.NoticeID).av(), UpdateExpression: aws.String(counts),
			ExpressionAttributeValues: receiptCounts(delivered)}},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return false, nil // a receipt seen before
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

func receiptCounts(delivered bool) map[string]types.AttributeValue {
	if delivered {
		return map[string]types.AttributeValue{":one": n64(1)}
	}
	return map[string]types.AttributeValue{":one": n64(1), ":minus": n64(-1)}
}

var _ dispatch.Once = (*Store)(nil)

// onceTTL keeps once-marks past any retry of the jobs that write them.
const onceTTL = 3 * 24 * time.Hour

// ClaimOnce takes key for phone, once.
func (s *Store) ClaimOnce(ctx context.Context, key, phone string) (bool, error) {
	return s.claim(ctx, OnceKey(key, phone), map[string]types.AttributeValue{"type": str("once"), "expiresAt": n(time.Now().Add(onceTTL).Unix())})
}

// ReleaseOnce gives key back for phone.
func (s *Store) ReleaseOnce(ctx context.Context, key, phone string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: OnceKey(key, phone).av()})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// OptedOut says whether a phone asked for no SMS.
func (s *Store) OptedOut(ctx context.Context, phone string) (bool, error) {
	var it struct {
		PK    string `dynamodbav:"PK"`
		State string `dynamodbav:"state"`
	}
	err := s.get(ctx, OptOutKey(phone), &it)
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	return err == nil && it.State != "in", err
}

// SetOptOut records that a phone wants no SMS (TD), as of at.
func (s *Store) SetOptOut(ctx context.Context, phone string, at time.Time) error {
	return s.setOptState(ctx, phone, "out", at)
}

// ClearOptOut lets a phone receive SMS again (订阅), as of at.
func (s *Store) ClearOptOut(ctx context.Context, phone string, at time.Time) error {
	return s.setOptState(ctx, phone, "in", at)
}

// setOptState keeps the latest word of a phone: a reply that arrives late
// (a provider's retry of an older TD) does not undo a newer 订阅.
func (s *Store) setOptState(ctx context.Context, phone, state string, at time.Time) error {
	k := OptOutKey(phone)
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table),
		Item:                      map[string]types.AttributeValue{"PK": str(k.PK), "SK": str(k.SK), "type": str("optout"), "state": str(state), "at": str(formatTime(at))},
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR #at <= :at"),
		ExpressionAttributeNames:  map[string]string{"#at": "at"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(formatTime(at))}})
	return unavailableUnlessGone(err)
}

// OptedOutAmong says which of phones asked for no SMS: one batch read.
func (s *Store) OptedOutAmong(ctx context.Context, phones []string) (map[string]bool, error) {
	var ks []Key
	for _, p := range phones {
		ks = append(ks, OptOutKey(p))
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, av := range items {
		pk, _ := av["PK"].(*types.AttributeValueMemberS)
		state, _ := av["state"].(*types.AttributeValueMemberS)
		if pk != nil && (state == nil || state.Value != "in") {
			out[strings.TrimPrefix(pk.Value, "PHONE#")] = true
		}
	}
	return out, nil
}

var _ notices.TemperatureStore = (*Store)(nil)

type readingItem struct {
	keys
	ResidentID string  `dynamodbav:"residentId"`
	Celsius    float64 `dynamodbav:"celsius"`
	Peak       float64 `dynamodbav:"peak"`
	At         string  `dynamodbav:"at"`
	FeverAt    string  `dynamodbav:"feverAt,omitempty"`
	// Symptoms are kept only when there is one (not "none").
	Symptoms  []string `dynamodbav:"symptoms,omitempty"`
	ExpiresAt int64    `dynamodbav:"expiresAt"`
}

func (it readingItem) domain() notices.Reading {
	r := notices.Reading{ResidentID: it.ResidentID, Celsius: it.Celsius, At: parseTime(it.At), Peak: max(it.Peak, it.Celsius),
		Fever: it.Celsius >= notices.FeverCelsius, Symptoms: it.Symptoms}
	if it.FeverAt != "" {
		t := parseTime(it.FeverAt)
		r.FeverAt = &t
	}
	return r
}

// Reading reads a resident's reading of the day.
func (s *Store) Reading(ctx context.Context, cid, day, residentID string) (notices.Reading, error) {
	var it readingItem
	err := s.getConsistent(ctx, ReadingKey(cid, day, residentID), &it)
	if errors.Is(err, errNotFound) {
		return notices.Reading{}, notices.ErrNotFound
	}
	if err != nil {
		return notices.Reading{}, err
	}
	return it.domain(), nil
}

// SaveReading writes a resident's reading of the day if the stored one is
// still prev; it expires with the emergency's data (PIPL minimisation): 30
// days.
func (s *Store) SaveReading(ctx context.Context, cid, day string, r, prev notices.Reading, pending *dispatch.Pending) error {
	k := ReadingKey(cid, day, r.ResidentID)
	it := readingItem{keys: keys{PK: k.PK, SK: k.SK, Type: "reading"}, ResidentID: r.ResidentID, Celsius: r.Celsius, Peak: r.Peak,
		At: formatTime(r.At), ExpiresAt: r.At.Add(readingLife).Unix()}
	if symptom.Any(r.Symptoms) {
		it.Symptoms = r.Symptoms
	}
	if r.FeverAt != nil {
		it.FeverAt = formatTime(*r.FeverAt)
	}
	av, err := record(it)
	if err != nil {
		return err
	}
	cond, values := "attribute_not_exists(PK)", map[string]types.AttributeValue(nil)
	if !prev.At.IsZero() {
		cond, values = "#at = :prev", map[string]types.AttributeValue{":prev": str(formatTime(prev.At))}
	}
	put := &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String(cond), ExpressionAttributeValues: values}
	if values != nil {
		put.ExpressionAttributeNames = map[string]string{"#at": "at"}
	}
	busy, err := s.writeWith(ctx, types.TransactWriteItem{Put: put}, pending)
	if busy {
		return notices.ErrReportBusy
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// readingLife is how long a day's temperature reading, and a watch's
// check, is kept before DynamoDB's TTL deletes it.
const readingLife = 30 * 24 * time.Hour

// Readings reads a community's readings of a day, by resident.
func (s *Store) Readings(ctx context.Context, cid, day string) (map[string]notices.Reading, error) {
	out := map[string]notices.Reading{}
	err := s.queryPrefix(ctx, ReadingKey(cid, day, "").PK, "", func(av map[string]types.AttributeValue) error {
		var it readingItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out[it.ResidentID] = it.domain()
		return nil
	})
	return out, err
}

// MarkZoned records that a community has zones.
func (s *Store) MarkZoned(ctx context.Context, cid string) error {
	k := ZonedKey(cid)
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: map[string]types.AttributeValue{
		"PK": str(k.PK), "SK": str(k.SK), "type": str("zoned")}})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// ZonedCommunities lists the communities that have had zones.
func (s *Store) ZonedCommunities(ctx context.Context) ([]string, error) {
	var out []string
	err := s.queryPrefix(ctx, "ZONED", "", func(av map[string]types.AttributeValue) error {
		out = append(out, av["SK"].(*types.AttributeValueMemberS).Value)
		return nil
	})
	return out, err
}

// StaffPhones lists the phones of a community's staff.
func (s *Store) StaffPhones(ctx context.Context, cid string) ([]string, error) {
	var out []string
	err := s.queryPrefix(ctx, CommunityKey(cid).PK, "STAFF#", func(av map[string]types.AttributeValue) error {
		if p, ok := av["phone"].(*types.AttributeValueMemberS); ok {
			out = append(out, p.Value)
		}
		return nil
	})
	return out, err
}

func (it zoneItem) domain() notices.Zone {
	return notices.Zone{BuildingID: it.BuildingID, Building: it.Building, UnitID: it.UnitID, Unit: it.Unit,
		HouseholdID: it.HouseholdID, Room: it.Room, Level: it.Level, Since: parseTime(it.Since), By: it.By, Reason: it.Reason}
}

// BuildingZones reads the zones of one building, whole or finer, in one
// Query: their keys share the building's prefix.
func (s *Store) BuildingZones(ctx context.Context, cid, buildingID string) ([]notices.Zone, error) {
	return s.zonesFrom(ctx, cid, ZoneKey(cid, buildingID).SK)
}

// zonesFrom reads the zones whose keys begin with prefix, released ones
// left out.
func (s *Store) zonesFrom(ctx context.Context, cid, prefix string) ([]notices.Zone, error) {
	var out []notices.Zone
	err := s.queryPrefix(ctx, CommunityKey(cid).PK, prefix, func(av map[string]types.AttributeValue) error {
		var it zoneItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		if it.Level != notices.LevelNone {
			out = append(out, it.domain())
		}
		return nil
	})
	return out, err
}
