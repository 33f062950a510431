package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/retention"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/watch"
)

var _ retention.Store = (*Store)(nil)

// retentionItem is a community's expiry of personal data. Its expiresAt is
// the data's expiry, a stored moment: not a number, so DynamoDB's TTL leaves
// this item be (it is kept under its own rules).
type retentionItem struct {
	keys
	CommunityID string         `dynamodbav:"communityId"`
	From        when           `dynamodbav:"from"`
	EndedAt     when           `dynamodbav:"endedAt"`
	Days        int            `dynamodbav:"days"`
	ExpiresAt   when           `dynamodbav:"expiresAt"`
	Status      string         `dynamodbav:"status"`
	Marked      map[string]int `dynamodbav:"marked"`
	Done        []string       `dynamodbav:"done"`
	UpdatedAt   when           `dynamodbav:"updatedAt"`
}

// PutRetention writes a community's expiry, and its place on the pending
// list while it marks.
func (s *Store) PutRetention(ctx context.Context, r retention.Record) error {
	k := RetentionKey(r.CommunityID)
	item, err := record(retentionItem{keys: keys{PK: k.PK, SK: k.SK, Type: "retention"}, CommunityID: r.CommunityID,
		From: stamp(r.From), EndedAt: stamp(r.EndedAt), Days: r.Days, ExpiresAt: stamp(r.ExpiresAt), Status: r.Status,
		Marked: r.Marked, Done: r.Done, UpdatedAt: stamp(r.UpdatedAt)})
	if err != nil {
		return err
	}
	pending := types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: RetentionPendingKey(r.CommunityID).av()}}
	if r.Status != retention.StatusDone {
		p := RetentionPendingKey(r.CommunityID).av()
		p["type"] = str("retentionPending")
		pending = types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: p}}
	}
	err = s.transact(ctx, []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: item}}, pending})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Retention reads a community's expiry; false when no emergency ended.
func (s *Store) Retention(ctx context.Context, cid string) (retention.Record, bool, error) {
	av, err := s.getItem(ctx, RetentionKey(cid))
	if errors.Is(err, errNotFound) {
		return retention.Record{}, false, nil
	}
	if err != nil {
		return retention.Record{}, false, err
	}
	var it retentionItem
	if err := readRecord(av, &it); err != nil {
		return retention.Record{}, false, err
	}
	r := retention.Record{CommunityID: it.CommunityID, From: it.From.time(), EndedAt: it.EndedAt.time(), Days: it.Days,
		ExpiresAt: it.ExpiresAt.time(), Status: it.Status, Marked: it.Marked, Done: it.Done, UpdatedAt: it.UpdatedAt.time()}
	if r.Done == nil {
		r.Done = []string{}
	}
	if r.Marked == nil {
		r.Marked = map[string]int{}
	}
	return r, true, nil
}

// LeaseRetention takes a community's marking until until, unless a run
// holds it still.
func (s *Store) LeaseRetention(ctx context.Context, cid string, until, now time.Time) (bool, error) {
	item := RetentionLeaseKey(cid).av()
	item["type"], item["until"], item["expiresAt"] = str("retentionLease"), str(formatTime(until)), n(until.Add(time.Hour).Unix())
	vals := map[string]types.AttributeValue{}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item,
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR " + deadlinePassed("#u", now, vals)),
		ExpressionAttributeNames:  map[string]string{"#u": "until"},
		ExpressionAttributeValues: vals})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// ReleaseRetention gives a community's marking back.
func (s *Store) ReleaseRetention(ctx context.Context, cid string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: RetentionLeaseKey(cid).av()})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// PendingRetention lists the expiries still marking.
func (s *Store) PendingRetention(ctx context.Context) ([]retention.Record, error) {
	var out []retention.Record
	var cids []string
	err := s.queryPrefix(ctx, RetentionPendingKey("").PK, "", func(av map[string]types.AttributeValue) error {
		cids = append(cids, av["SK"].(*types.AttributeValueMemberS).Value)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, cid := range cids {
		r, ok, err := s.Retention(ctx, cid)
		if err != nil {
			return nil, err
		}
		if ok && r.Status != retention.StatusDone {
			out = append(out, r)
		}
	}
	return out, nil
}

// laterThan is an item that expires later than :t, or never.
const laterThan = "attribute_not_exists(expiresAt) OR expiresAt > :t"

// target is what a set marks: whole partitions, or the items of a
// partition under a sort key prefix.
type target struct{ pk, prefix string }

// MarkExpiry gives a set's items the record's expiry — those without a TTL,
// and those whose TTL is later (a temperature report's own 30 days) — until
// the set is marked whole or the deadline passes.
func (s *Store) MarkExpiry(ctx context.Context, r retention.Record, set string, deadline time.Time) (int, bool, error) {
	targets, err := s.expiryTargets(ctx, r, set)
	if err != nil {
		return 0, false, err
	}
	marked := 0
	for _, t := range targets {
		if time.Now().After(deadline) {
			return marked, false, nil
		}
		var ks []Key
		in := &dynamodb.QueryInput{TableName: aws.String(s.Table),
			KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"), FilterExpression: aws.String(laterThan),
			ProjectionExpression:      aws.String("PK, SK"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(t.pk), ":sk": str(t.prefix), ":t": n(r.ExpiresAt.Unix())}}
		if t.prefix == "" {
			in.KeyConditionExpression = aws.String("PK = :pk")
			delete(in.ExpressionAttributeValues, ":sk")
		}
		err := s.queryAll(ctx, in, func(av map[string]types.AttributeValue) error {
			ks = append(ks, Key{PK: av["PK"].(*types.AttributeValueMemberS).Value, SK: av["SK"].(*types.AttributeValueMemberS).Value})
			return nil
		})
		if err != nil {
			return marked, false, err
		}
		at := n(r.ExpiresAt.Unix())
		var done atomic.Int64 // an item gone, or marked meanwhile, is not counted
		err = parallel(ctx, len(ks), func(ctx context.Context, i int) error {
			_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: ks[i].av(),
				UpdateExpression: aws.String("SET expiresAt = :t"), ConditionExpression: aws.String("attribute_exists(PK) AND (" + laterThan + ")"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":t": at}})
			var ccf *types.ConditionalCheckFailedException
			if errors.As(err, &ccf) {
				return nil
			}
			if err != nil {
				return unavailable(err)
			}
			done.Add(1)
			return nil
		})
		marked += int(done.Load())
		if err != nil {
			return marked, false, err
		}
	}
	return marked, true, nil
}

// expiryTargets lists where a set's items are.
// Only what was made during the emergency (between r.From and r.EndedAt,
// by the time its key holds) is marked: data from before it keeps its own
// life.
func (s *Store) expiryTargets(ctx context.Context, r retention.Record, set string) ([]target, error) {
	cid := r.CommunityID
	var out []target
	// during says whether the field-th part (by '#') of sk is a time of
	// the emergency.
	during := func(sk string, field int) bool {
		parts := strings.Split(sk, "#")
		if field >= len(parts) {
			return false
		}
		t := parseTime(parts[field])
		return !t.IsZero() && !t.Before(r.From) && !t.After(r.EndedAt)
	}
	// whole takes the partitions of the index items made during it.
	whole := func(field int) func(av map[string]types.AttributeValue) error {
		return func(av map[string]types.AttributeValue) error {
			if sk, ok := av["GSI1SK"].(*types.AttributeValueMemberS); ok && during(sk.Value, field) {
				out = append(out, target{pk: av["PK"].(*types.AttributeValueMemberS).Value})
			}
			return nil
		}
	}
	switch set {
	case "bookings":
		return out, s.queryIndex(ctx, "GSI1", RoundsIndex(cid, time.Time{}, "").PK, "", whole(0))
	case "temperatures":
		for d := chinatime.In(r.From).Truncate(24 * time.Hour).Add(-24 * time.Hour); !d.After(r.EndedAt.Add(24 * time.Hour)); d = d.Add(24 * time.Hour) {
			out = append(out, target{pk: ReadingKey(cid, chinatime.In(d).Format(time.DateOnly), "").PK})
		}
		return out, nil
	case "help":
		for _, closed := range []bool{false, true} {
			if err := s.queryIndex(ctx, "GSI1", HelpsIndex(cid, closed, time.Time{}, "").PK, "", whole(0)); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "orders":
		for _, st := range supplies.Statuses {
			if err := s.queryIndex(ctx, "GSI1", OrderStatusIndex(cid, st, "", time.Time{}, "").PK, "", whole(1)); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "checkins":
		seen := map[string]bool{}
		for m := chinatime.In(r.From); !m.After(r.EndedAt.AddDate(0, 1, 0)); m = m.AddDate(0, 0, 28) {
			month := m.Format("2006-01")
			if seen[month] {
				continue
			}
			seen[month] = true
			err := s.queryIndex(ctx, "GSI1", HoursIndex(cid, month, "", time.Time{}).PK, "", func(av map[string]types.AttributeValue) error {
				if sk, ok := av["GSI1SK"].(*types.AttributeValueMemberS); ok && during(sk.Value, 1) {
					out = append(out, target{pk: av["PK"].(*types.AttributeValueMemberS).Value, prefix: av["SK"].(*types.AttributeValueMemberS).Value})
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	case "noticeSends":
		err := s.queryPrefix(ctx, CommunityKey(cid).PK, "FEED#", func(av map[string]types.AttributeValue) error {
			id, _ := av["id"].(*types.AttributeValueMemberS)
			if sk, ok := av["SK"].(*types.AttributeValueMemberS); id != nil && ok && during(sk.Value, 1) {
				out = append(out, target{pk: NoticeKey(id.Value).PK, prefix: "SENT#"}, target{pk: NoticeKey(id.Value).PK, prefix: "ACK#"})
			}
			return nil
		})
		return out, err
	case "watches":
		// Each watch opened during the emergency, one by one: the
		// community's partition holds the register's items too.
		err := s.queryPrefix(ctx, CommunityKey(cid).PK, "WATCH#", func(av map[string]types.AttributeValue) error {
			at, ok := av["createdAt"].(*types.AttributeValueMemberS)
			sk := av["SK"].(*types.AttributeValueMemberS).Value
			if !ok {
				return nil
			}
			if t := parseTime(at.Value); !t.Before(r.From) && !t.After(r.EndedAt) {
				// The watch and its test days' results, which carry its id.
				out = append(out, target{pk: CommunityKey(cid).PK, prefix: sk},
					target{pk: CommunityKey(cid).PK, prefix: WatchTestsOf(strings.TrimPrefix(sk, "WATCH#"))})
			}
			return nil
		})
		return out, err
	case "transfers":
		err := s.queryPrefix(ctx, CommunityKey(cid).PK, "TRANSFER#", func(av map[string]types.AttributeValue) error {
			at, ok := av["createdAt"].(*types.AttributeValueMemberS)
			if !ok {
				return nil
			}
			if t := parseTime(at.Value); !t.Before(r.From) && !t.After(r.EndedAt) {
				out = append(out, target{pk: CommunityKey(cid).PK, prefix: av["SK"].(*types.AttributeValueMemberS).Value})
			}
			return nil
		})
		return out, err
	}
	return nil, errors.New("store: no such set of personal data: " + set)
}

// ResidentReadings reads a resident's temperature reports of the days.
func (s *Store) ResidentReadings(ctx context.Context, cid, residentID string, days []string) ([]notices.Reading, error) {
	ks := make([]Key, len(days))
	for i, d := range days {
		ks[i] = ReadingKey(cid, d, residentID)
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	out := []notices.Reading{}
	for _, av := range items {
		var it readingItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		out = append(out, it.domain())
	}
	return out, nil
}

// ResidentChecks reads a resident's checks under watch on days, both
// windows of each: one batch of keys.
func (s *Store) ResidentChecks(ctx context.Context, cid, residentID string, days []string) ([]watch.Check, error) {
	ks := make([]Key, 0, 2*len(days))
	for _, d := range days {
		ks = append(ks, WatchCheckKey(cid, d, watch.WindowMorning, residentID), WatchCheckKey(cid, d, watch.WindowEvening, residentID))
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	out := []watch.Check{}
	for _, av := range items {
		var it checkItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		out = append(out, it.domain())
	}
	slices.SortFunc(out, func(a, b watch.Check) int { return strings.Compare(a.Day+a.Window, b.Day+b.Window) })
	return out, nil
}

// ResidentHelp lists the help requests for a resident, open and closed,
// from the community's lists (GSI1).
func (s *Store) ResidentHelp(ctx context.Context, cid, residentID string) ([]help.Request, error) {
	var avs []map[string]types.AttributeValue
	for _, closed := range []bool{false, true} {
		in := &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String("GSI1"),
			KeyConditionExpression: aws.String("GSI1PK = :pk"), FilterExpression: aws.String("residentId = :r"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(HelpsIndex(cid, closed, time.Time{}, "").PK), ":r": str(residentID)}}
		err := s.queryAll(ctx, in, func(av map[string]types.AttributeValue) error {
			avs = append(avs, av)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return helpsOf(avs)
}

// EraseResident deletes what staff erase of a resident: the temperature
// reports of the days, the bookings (with codes, check-ins and reasons),
// the orders and help requests given.
func (s *Store) EraseResident(ctx context.Context, cid, residentID string, days []string, bookings []booking.Booking,
	orders []supplies.Order, helps []help.Request) (int, error) {
	var doomed []Key
	for _, d := range days {
		doomed = append(doomed, ReadingKey(cid, d, residentID))
	}
	for _, b := range bookings {
		doomed = append(doomed, RoundBookingKey(b.RoundID, b.ResidentID), CodeKey(b.RoundID, b.Code),
			SampledKey(b.RoundID, b.ResidentID), ReasonKey(b.RoundID, b.ResidentID))
	}
	for _, o := range orders {
		doomed = append(doomed, OrderKey(o.ID))
	}
	for _, h := range helps {
		err := s.queryPrefix(ctx, HelpKey(h.ID).PK, "", func(av map[string]types.AttributeValue) error {
			doomed = append(doomed, Key{PK: HelpKey(h.ID).PK, SK: av["SK"].(*types.AttributeValueMemberS).Value})
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	// Only what exists is counted: a day without a report deletes nothing.
	present, err := s.batchGet(ctx, doomed)
	if err != nil {
		return 0, err
	}
	reqs := make([]types.WriteRequest, 0, len(present))
	for _, av := range present {
		k := Key{PK: av["PK"].(*types.AttributeValueMemberS).Value, SK: av["SK"].(*types.AttributeValueMemberS).Value}
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k.av()}})
	}
	return len(reqs), s.batchWrite(ctx, reqs)
}
