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
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/watch"
	"github.com/fangxian/fangxian/shared/zone"
)

var _ watch.Store = (*Store)(nil)

type watchItem struct {
	keys
	ID          string   `dynamodbav:"id"`
	CommunityID string   `dynamodbav:"communityId"`
	HouseholdID string   `dynamodbav:"householdId"`
	Door        string   `dynamodbav:"door"`
	ResidentIDs []string `dynamodbav:"residentIds"`
	Names       []string `dynamodbav:"names"`
	Kind        string   `dynamodbav:"kind"`
	StartsOn    string   `dynamodbav:"startsOn"`
	Days        int      `dynamodbav:"days"`
	EndsAt      when     `dynamodbav:"endsAt"`
	TestDays    []int    `dynamodbav:"testDays"`
	Seal        string   `dynamodbav:"seal,omitempty"`
	Reason      string   `dynamodbav:"reason"`
	Ref         string   `dynamodbav:"ref,omitempty"`
	Status      string   `dynamodbav:"status"`
	Sealed      bool     `dynamodbav:"sealed"`
	Before      string   `dynamodbav:"before,omitempty"`
	BeforeWhy   string   `dynamodbav:"beforeReason,omitempty"`
	CreatedAt   when     `dynamodbav:"createdAt"`
	CreatedBy   string   `dynamodbav:"createdBy"`
	EndedAt     string   `dynamodbav:"endedAt,omitempty"`
	EndedBy     string   `dynamodbav:"endedBy,omitempty"`
	EndedEarly  bool     `dynamodbav:"endedEarly,omitempty"`
}

func (it watchItem) domain() watch.Watch {
	return watch.Watch{ID: it.ID, CommunityID: it.CommunityID, HouseholdID: it.HouseholdID, Door: it.Door, ResidentIDs: it.ResidentIDs,
		Names: it.Names, Kind: it.Kind, StartsOn: it.StartsOn, Days: it.Days, EndsAt: it.EndsAt.time(), TestDays: it.TestDays, Seal: it.Seal,
		Reason: it.Reason, Ref: it.Ref, Status: it.Status, Sealed: it.Sealed, Before: it.Before, BeforeReason: it.BeforeWhy, CreatedAt: it.CreatedAt.time(),
		CreatedBy: it.CreatedBy, EndedAt: optionalTime(it.EndedAt), EndedBy: it.EndedBy, EndedEarly: it.EndedEarly}
}

// errWatchZoneChanged is a household zone changed between a watch's read
// and its write: the call is tried again.
var errWatchZoneChanged = errors.New("store: the household's zone changed")

// CreateWatch writes a watch, a lock on each of its people and, when z is
// set, the household's sealed zone with its history, in one transaction.
func (s *Store) CreateWatch(ctx context.Context, w watch.Watch, z *zone.Zone, pending *dispatch.Pending) error {
	k := WatchKey(w.CommunityID, w.ID)
	due := WatchDueIndex(w.EndsAt, w.CommunityID, w.ID)
	av, err := record(watchItem{keys: keys{PK: k.PK, SK: k.SK, GSI2PK: due.PK, GSI2SK: due.SK, Type: "watch"}, ID: w.ID, CommunityID: w.CommunityID,
		HouseholdID: w.HouseholdID, Door: w.Door, ResidentIDs: w.ResidentIDs, Names: w.Names, Kind: w.Kind, StartsOn: w.StartsOn, Days: w.Days,
		EndsAt: stamp(w.EndsAt), TestDays: w.TestDays, Seal: w.Seal, Reason: w.Reason, Ref: w.Ref, Status: w.Status, Sealed: w.Sealed, Before: w.Before,
		BeforeWhy: w.BeforeReason, CreatedAt: stamp(w.CreatedAt), CreatedBy: w.CreatedBy})
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}}}
	for _, rid := range w.ResidentIDs {
		lk := UnderWatchKey(w.CommunityID, rid)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table),
			Item:                map[string]types.AttributeValue{"PK": str(lk.PK), "SK": str(lk.SK), "type": str("underWatch"), "watchId": str(w.ID)},
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	zoneAt := -1
	if z != nil {
		puts, err := s.zonePuts(w.CommunityID, []zone.Zone{*z})
		if err != nil {
			return err
		}
		// Only over what the watch read: never over a seal set meanwhile.
		p := puts[0]
		p.current.Put.ConditionExpression = aws.String("attribute_not_exists(#l) OR #l <> :sealed")
		p.current.Put.ExpressionAttributeNames = map[string]string{"#l": "level"}
		p.current.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":sealed": str(zone.LevelSealed)}
		zoneAt = len(items)
		zk := ZonedKey(w.CommunityID)
		items = append(items, p.current, p.log, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table),
			Item: map[string]types.AttributeValue{"PK": str(zk.PK), "SK": str(zk.SK), "type": str("zoned")}}})
	}
	items, err = s.withPending(items, pending)
	if err != nil {
		return err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for i := range w.ResidentIDs {
			if failed(tce, 1+i) {
				return watch.ErrWatched.WithAlternatives(w.ResidentIDs[i])
			}
		}
		if zoneAt >= 0 && failed(tce, zoneAt) {
			return watch.ErrZoneChanged
		}
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// EndWatch ends an active watch, frees its people and, when back is set,
// gives the household its level back while its zone is the one read (the
// watches' seal, set at since), with the texts, in one transaction.
func (s *Store) EndWatch(ctx context.Context, w watch.Watch, back *zone.Zone, since time.Time, pending *dispatch.Pending) (bool, error) {
	ended, err := s.endWatch(ctx, w, back, since, pending)
	if errors.Is(err, errWatchZoneChanged) {
		return false, watch.ErrZoneChanged
	}
	return ended, err
}

func (s *Store) endWatch(ctx context.Context, w watch.Watch, back *zone.Zone, since time.Time, pending *dispatch.Pending) (bool, error) {
	vals := map[string]types.AttributeValue{":active": str(watch.StatusActive), ":ended": str(watch.StatusEnded), ":by": str(w.EndedBy)}
	expr := "SET #s = :ended, endedBy = :by REMOVE GSI2PK, GSI2SK"
	if w.EndedAt != nil {
		vals[":at"] = str(formatTime(*w.EndedAt))
		expr = "SET #s = :ended, endedBy = :by, endedAt = :at, endedEarly = :early REMOVE GSI2PK, GSI2SK"
		vals[":early"] = &types.AttributeValueMemberBOOL{Value: w.EndedEarly}
	}
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: WatchKey(w.CommunityID, w.ID).av(),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("#s = :active"),
		ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: vals}}}
	for _, rid := range w.ResidentIDs {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: UnderWatchKey(w.CommunityID, rid).av(),
			ConditionExpression: aws.String("attribute_not_exists(PK) OR watchId = :w"), ExpressionAttributeValues: map[string]types.AttributeValue{":w": str(w.ID)}}})
	}
	zoneAt := -1
	if back != nil {
		puts, err := s.zonePuts(w.CommunityID, []zone.Zone{*back})
		if err != nil {
			return false, err
		}
		// Staff's change of the household's zone since it was read stays.
		p := puts[0]
		p.current.Put.ConditionExpression = aws.String("#r = :hi AND since = :since")
		p.current.Put.ExpressionAttributeNames = map[string]string{"#r": "reason"}
		p.current.Put.ExpressionAttributeValues = map[string]types.AttributeValue{":hi": str(watch.ReasonHomeIsolation), ":since": str(formatTime(since))}
		zoneAt = len(items)
		items = append(items, p.current, p.log)
	}
	items, err := s.withPending(items, pending)
	if err != nil {
		return false, err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if failed(tce, 0) {
			return false, nil // ended already
		}
		if zoneAt >= 0 && failed(tce, zoneAt) {
			return false, errWatchZoneChanged
		}
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// Watch reads one watch of a community.
func (s *Store) Watch(ctx context.Context, cid, id string) (watch.Watch, error) {
	var it watchItem
	err := s.get(ctx, WatchKey(cid, id), &it)
	if errors.Is(err, errNotFound) {
		return watch.Watch{}, watch.ErrNotFound
	}
	if err != nil {
		return watch.Watch{}, err
	}
	return it.domain(), nil
}

// Watches reads a community's watches: one Query of its partition.
func (s *Store) Watches(ctx context.Context, cid string) ([]watch.Watch, error) {
	var out []watch.Watch
	return out, s.queryPrefix(ctx, CommunityKey(cid).PK, "WATCH#", collect[watchItem](&out))
}

// DueWatches are the active watches ending at or before now (GSI2).
func (s *Store) DueWatches(ctx context.Context, now time.Time) ([]watch.Watch, error) {
	var out []watch.Watch
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("GSI2"),
		KeyConditionExpression:    aws.String("GSI2PK = :pk AND GSI2SK <= :upto"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(WatchDueIndex(now, "", "").PK), ":upto": str(formatTime(now) + "#~")},
	}
	return out, s.queryAll(ctx, in, collect[watchItem](&out))
}

var _ watch.CheckStore = (*Store)(nil)

type checkItem struct {
	keys
	WatchID    string   `dynamodbav:"watchId"`
	ResidentID string   `dynamodbav:"residentId"`
	Day        string   `dynamodbav:"day"`
	Window     string   `dynamodbav:"window"`
	Celsius    float64  `dynamodbav:"celsius,omitempty"`
	Symptoms   []string `dynamodbav:"symptoms,omitempty"`
	At         string   `dynamodbav:"at,omitempty"`
	By         string   `dynamodbav:"by,omitempty"`
	Missed     bool     `dynamodbav:"missed,omitempty"`
	Alerted    bool     `dynamodbav:"alerted,omitempty"`
	// ExpiresAt lets DynamoDB's TTL delete a check as it does a day's
	// temperature reading: health data is kept no longer.
	ExpiresAt int64 `dynamodbav:"expiresAt"`
}

func (it checkItem) domain() watch.Check {
	return watch.Check{WatchID: it.WatchID, ResidentID: it.ResidentID, Day: it.Day, Window: it.Window, Celsius: it.Celsius, Symptoms: it.Symptoms,
		At: optionalTime(it.At), By: it.By, Missed: it.Missed, Alerted: it.Alerted}
}

func checkRecord(cid string, c watch.Check) (map[string]types.AttributeValue, error) {
	k := WatchCheckKey(cid, c.Day, c.Window, c.ResidentID)
	d, err := time.ParseInLocation(time.DateOnly, c.Day, chinatime.Zone)
	if err != nil {
		return nil, err
	}
	it := checkItem{keys: keys{PK: k.PK, SK: k.SK, Type: "watchCheck"}, WatchID: c.WatchID, ResidentID: c.ResidentID, Day: c.Day, Window: c.Window,
		Celsius: c.Celsius, Symptoms: c.Symptoms, By: c.By, Missed: c.Missed, Alerted: c.Alerted, ExpiresAt: d.Add(readingLife).Unix()}
	if c.At != nil {
		it.At = formatTime(*c.At)
	}
	return record(it)
}

// UnderWatch is the watch a resident is under, "" for none.
func (s *Store) UnderWatch(ctx context.Context, cid, rid string) (string, error) {
	av, err := s.getItem(ctx, UnderWatchKey(cid, rid))
	if errors.Is(err, errNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var it struct {
		WatchID string `dynamodbav:"watchId"`
	}
	return it.WatchID, attributevalue.UnmarshalMap(av, &it)
}

// AnyUnderWatch says whether any of the residents is under a watch (one
// BatchGetItem: the gate asks it of a household at every scan).
func (s *Store) AnyUnderWatch(ctx context.Context, cid string, rids []string) (bool, error) {
	keys := make([]Key, len(rids))
	for i, rid := range rids {
		keys[i] = UnderWatchKey(cid, rid)
	}
	found, err := s.batchGet(ctx, keys)
	return len(found) > 0, err
}

// Check reads one person's check of a window.
func (s *Store) Check(ctx context.Context, cid, day, window, rid string) (watch.Check, error) {
	var it checkItem
	err := s.get(ctx, WatchCheckKey(cid, day, window, rid), &it)
	if errors.Is(err, errNotFound) {
		return watch.Check{}, watch.ErrNoCheck
	}
	if err != nil {
		return watch.Check{}, err
	}
	return it.domain(), nil
}

// SaveCheck writes a check over prev (none, a missed mark, or a reading
// at its time), with the alert's texts, in one transaction.
func (s *Store) SaveCheck(ctx context.Context, cid string, c, prev watch.Check, pending *dispatch.Pending) error {
	av, err := checkRecord(cid, c)
	if err != nil {
		return err
	}
	put := &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}
	switch {
	case prev.At != nil:
		put.ConditionExpression = aws.String("#at = :prev")
		put.ExpressionAttributeNames = map[string]string{"#at": "at"}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": str(formatTime(*prev.At))}
	case prev.Missed:
		put.ConditionExpression = aws.String("attribute_not_exists(#at)")
		put.ExpressionAttributeNames = map[string]string{"#at": "at"}
	}
	busy, err := s.writeWith(ctx, types.TransactWriteItem{Put: put}, pending)
	if busy {
		return watch.ErrCheckBusy
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// MarkMissed writes a missed window where it has no check.
func (s *Store) MarkMissed(ctx context.Context, cid string, c watch.Check) (bool, error) {
	av, err := checkRecord(cid, c)
	if err != nil {
		return false, err
	}
	return s.putIfAbsent(ctx, av)
}

// Checks are a community's checks of a day: one Query.
func (s *Store) Checks(ctx context.Context, cid, day string) ([]watch.Check, error) {
	var out []watch.Check
	k := WatchCheckKey(cid, day, "", "")
	return out, s.queryPrefix(ctx, k.PK, WatchChecksOf(day), func(av map[string]types.AttributeValue) error {
		var it checkItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, it.domain())
		return nil
	})
}

// ActiveWatches are every community's active watches (GSI2: an ended
// watch leaves the index).
func (s *Store) ActiveWatches(ctx context.Context) ([]watch.Watch, error) {
	return s.DueWatches(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
}

type testResultItem struct {
	keys
	WatchID    string `dynamodbav:"watchId"`
	ResidentID string `dynamodbav:"residentId"`
	TestDay    int    `dynamodbav:"testDay"`
	Result     string `dynamodbav:"result"`
	At         when   `dynamodbav:"at"`
	By         string `dynamodbav:"by"`
}

// SaveTestResult writes a test day's result where the person has none for
// that day: the first stands.
func (s *Store) SaveTestResult(ctx context.Context, cid string, r watch.TestResult) error {
	k := WatchTestKey(cid, r.WatchID, r.TestDay, r.ResidentID)
	av, err := record(testResultItem{keys: keys{PK: k.PK, SK: k.SK, Type: "watchTest"}, WatchID: r.WatchID, ResidentID: r.ResidentID,
		TestDay: r.TestDay, Result: r.Result, At: stamp(r.At), By: r.By})
	if err != nil {
		return err
	}
	_, err = s.putIfAbsent(ctx, av)
	return err
}

// TestResults reads a watch's results (every watch's of the community
// when watchID is ""): one Query.
func (s *Store) TestResults(ctx context.Context, cid, watchID string) ([]watch.TestResult, error) {
	var out []watch.TestResult
	prefix := "WTEST#"
	if watchID != "" {
		prefix = WatchTestsOf(watchID)
	}
	return out, s.queryPrefix(ctx, CommunityKey(cid).PK, prefix, func(av map[string]types.AttributeValue) error {
		var it testResultItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, watch.TestResult{WatchID: it.WatchID, ResidentID: it.ResidentID, TestDay: it.TestDay, Result: it.Result, At: it.At.time(), By: it.By})
		return nil
	})
}
