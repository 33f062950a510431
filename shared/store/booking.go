package store

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/registry"
)

var _ booking.Store = (*Store)(nil)

// Keys of a round's partition. Everything of a round lives under
// ROUND#<roundId>; resident ids start with their building id, so the
// bookings, samples and reasons of one building are one begins_with away.

// progress is the transaction item that moves a building's booked or
// sampled count by n in a round, and the counts named in also by n.
func (s *Store) progress(roundID, buildingID, field string, n int, also ...string) types.TransactWriteItem {
	names := map[string]string{"#f": field, "#type": "type"}
	add := "ADD #f :n"
	for i, a := range also {
		k := "#a" + strconv.Itoa(i)
		names[k] = a
		add += ", " + k + " :n"
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: ProgressKey(roundID, buildingID).av(),
		UpdateExpression:          aws.String(add + " SET #type = :t"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": n64(n), ":t": str("progress")}}}
}

type roundItem struct {
	keys
	ID          string `dynamodbav:"id"`
	CommunityID string `dynamodbav:"communityId"`
	Name        string `dynamodbav:"name"`
	StartsAt    string `dynamodbav:"startsAt"`
	EndsAt      string `dynamodbav:"endsAt"`
	SlotMinutes int    `dynamodbav:"slotMinutes"`
	CheckInOpen int    `dynamodbav:"checkInOpensMinutesBefore"`
	CreatedAt   string `dynamodbav:"createdAt"`
	Status      string `dynamodbav:"status"`
	Drill       string `dynamodbav:"drill,omitempty"`
	// BookingOptional is stored inverted so that rounds written before it
	// read as booking required.
	BookingOptional bool   `dynamodbav:"bookingOptional,omitempty"`
	PublishedAt     string `dynamodbav:"publishedAt,omitempty"`
	// Pooling; a round kept before it reads as the default.
	Pooling booking.Pooling `dynamodbav:"pooling"`
}

type slotItem struct {
	keys
	ID        string `dynamodbav:"id"`
	SiteID    string `dynamodbav:"siteId"`
	StartsAt  string `dynamodbav:"startsAt"`
	EndsAt    string `dynamodbav:"endsAt"`
	Capacity  int    `dynamodbav:"capacity"`
	Remaining int    `dynamodbav:"remaining"`
	Closed    bool   `dynamodbav:"closed,omitempty"`
}

func (it slotItem) domain() booking.Slot {
	return booking.Slot{ID: it.ID, SiteID: it.SiteID, StartsAt: parseTime(it.StartsAt), EndsAt: parseTime(it.EndsAt),
		Capacity: it.Capacity, Booked: it.Capacity - it.Remaining, Closed: it.Closed}
}

func (it roundItem) domain() booking.Round {
	return booking.Round{ID: it.ID, CommunityID: it.CommunityID, Name: it.Name, StartsAt: parseTime(it.StartsAt),
		EndsAt: parseTime(it.EndsAt), SlotMinutes: it.SlotMinutes, CheckInOpensMinutesBefore: it.CheckInOpen, CreatedAt: parseTime(it.CreatedAt), Drill: it.Drill,
		BookingRequired: !it.BookingOptional, PublishedAt: optionalTime(it.PublishedAt), Pooling: it.Pooling.OrDefault()}
}

type siteItem struct {
	keys
	ID             string `dynamodbav:"id"`
	RoundID        string `dynamodbav:"roundId"`
	Name           string `dynamodbav:"name"`
	Lanes          int    `dynamodbav:"lanes"`
	PerLanePerSlot int    `dynamodbav:"perLanePerSlot"`
	Closed         bool   `dynamodbav:"closed,omitempty"`
	Spare          bool   `dynamodbav:"spare,omitempty"`
	OpensAt        string `dynamodbav:"opensAt,omitempty"`
	ClosesAt       string `dynamodbav:"closesAt,omitempty"`
}

func (it siteItem) domain() booking.Site {
	return booking.Site{ID: it.ID, RoundID: it.RoundID, Name: it.Name, Lanes: it.Lanes, PerLanePerSlot: it.PerLanePerSlot, Closed: it.Closed,
		Spare: it.Spare, OpensAt: optionalTime(it.OpensAt), ClosesAt: optionalTime(it.ClosesAt)}
}

// optionalTime reads a time kept only when set.
func optionalTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t := parseTime(s)
	return &t
}

// formatOptional keeps a time only when set.
func formatOptional(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

type bookingItem struct {
	keys
	ID             string `dynamodbav:"id"`
	Code           string `dynamodbav:"code"`
	RoundID        string `dynamodbav:"roundId"`
	ResidentID     string `dynamodbav:"residentId"`
	HouseholdID    string `dynamodbav:"householdId"`
	SlotID         string `dynamodbav:"slotId"`
	StartsAt       string `dynamodbav:"startsAt"`
	Status         string `dynamodbav:"status"`
	BookedAt       string `dynamodbav:"bookedAt"`
	IdempotencyKey string `dynamodbav:"idempotencyKey,omitempty"`
	Texted         bool   `dynamodbav:"texted,omitempty"`
}

func (it bookingItem) domain() booking.Booking {
	return booking.Booking{ID: it.ID, Code: it.Code, RoundID: it.RoundID, ResidentID: it.ResidentID, HouseholdID: it.HouseholdID,
		SlotID: it.SlotID, StartsAt: parseTime(it.StartsAt), Status: it.Status, BookedAt: parseTime(it.BookedAt), Texted: it.Texted}
}

// CreateRound writes a new round.
func (s *Store) CreateRound(ctx context.Context, r booking.Round) error {
	k := RoundKey(r.ID)
	ix := RoundsIndex(r.CommunityID, r.CreatedAt, r.ID)
	av, err := record(roundItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "round"}, ID: r.ID, CommunityID: r.CommunityID,
		Name: r.Name, StartsAt: formatTime(r.StartsAt), EndsAt: formatTime(r.EndsAt), SlotMinutes: r.SlotMinutes, CheckInOpen: r.CheckInOpensMinutesBefore,
		CreatedAt: formatTime(r.CreatedAt), Status: "open", Drill: r.Drill, BookingOptional: !r.BookingRequired, Pooling: r.Pooling})
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	return unavailableUnlessGone(err)
}

// Round reads a round.
func (s *Store) Round(ctx context.Context, id string) (booking.Round, error) {
	var it roundItem
	err := s.get(ctx, RoundKey(id), &it)
	if errors.Is(err, errNotFound) {
		return booking.Round{}, booking.ErrNotFound
	}
	if err != nil {
		return booking.Round{}, err
	}
	return it.domain(), nil
}

// Rounds lists a community's rounds, newest first (GSI1).
func (s *Store) Rounds(ctx context.Context, cid string, limit int) ([]booking.Round, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(RoundsIndex(cid, time.Time{}, "").PK)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, unavailable(err)
	}
	rounds := []booking.Round{}
	for _, av := range out.Items {
		var it roundItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		rounds = append(rounds, it.domain())
	}
	return rounds, nil
}

// AddSite writes a site and all its slots in one transaction.
func (s *Store) AddSite(ctx context.Context, site booking.Site, slots []booking.Slot) error {
	k := SiteKey(site.ID)
	av, err := record(siteItem{keys: keys{PK: k.PK, SK: k.SK, Type: "site"}, ID: site.ID, RoundID: site.RoundID,
		Name: site.Name, Lanes: site.Lanes, PerLanePerSlot: site.PerLanePerSlot, Spare: site.Spare,
		OpensAt: formatOptional(site.OpensAt), ClosesAt: formatOptional(site.ClosesAt)})
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: RoundKey(site.RoundID).av(), ConditionExpression: aws.String("attribute_exists(PK)")}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: av}},
	}
	for _, sl := range slots {
		sk := SlotKey(sl.ID)
		av, err := record(slotItem{keys: keys{PK: sk.PK, SK: sk.SK, Type: "slot"}, ID: sl.ID, SiteID: sl.SiteID,
			StartsAt: formatTime(sl.StartsAt), EndsAt: formatTime(sl.EndsAt), Capacity: sl.Capacity, Remaining: sl.Capacity, Closed: sl.Closed})
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: av}})
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return booking.ErrNotFound
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Slots lists a round's slots with what is booked: one Query.
func (s *Store) Slots(ctx context.Context, roundID string) ([]booking.Slot, error) {
	var out []booking.Slot
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(RoundKey(roundID).PK), ":sk": str("SLOT#"),
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, unavailable(err)
		}
		for _, av := range page.Items {
			var it slotItem
			if err := readRecord(av, &it); err != nil {
				return nil, err
			}
			out = append(out, it.domain())
		}
	}
	return out, nil
}

// Book books residents into a slot in one TransactWriteItems: the round is
// open, the slot has room (remaining ≥ n, taken in the same write), each
// resident exists in the round's community and has no live booking, each code
// is unique in the round, and each building's booked count grows.
func (s *Store) Book(ctx context.Context, req booking.BookRequest) ([]booking.Booking, error) {
	n := len(req.Residents)
	round := req.Round
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: RoundKey(round.ID).av(),
			ConditionExpression:       aws.String("#status = :open"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":open": str("open")}}},
		{Update: &types.Update{TableName: aws.String(s.Table), Key: SlotKey(req.Slot.ID).av(),
			UpdateExpression:                    aws.String("SET remaining = remaining - :n"),
			ConditionExpression:                 aws.String("attribute_exists(PK) AND remaining >= :n AND attribute_not_exists(closed)"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":n": n64(n)},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
	}
	var out []booking.Booking
	perBuilding := map[string]int{}
	for _, r := range req.Residents {
		b := booking.Booking{ID: booking.BookingID(round.ID, r.ID), Code: r.Code, RoundID: round.ID, ResidentID: r.ID,
			HouseholdID: r.HouseholdID, SlotID: req.Slot.ID, StartsAt: req.Slot.StartsAt, Status: booking.StatusBooked, BookedAt: req.At}
		out = append(out, b)
		k := RoundBookingKey(round.ID, r.ID)
		ix := HouseholdBookingsIndex(r.HouseholdID, round.ID, r.ID)
		bav, err := record(bookingItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "booking"},
			ID: b.ID, Code: b.Code, RoundID: b.RoundID, ResidentID: b.ResidentID, HouseholdID: b.HouseholdID, SlotID: b.SlotID,
			StartsAt: formatTime(b.StartsAt), Status: b.Status, BookedAt: formatTime(b.BookedAt), IdempotencyKey: req.IdempotencyKey})
		if err != nil {
			return nil, err
		}
		ck := CodeKey(round.ID, r.Code)
		items = append(items,
			types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: bav,
				ConditionExpression:       aws.String("attribute_not_exists(PK) OR #status = :cancelled"),
				ExpressionAttributeNames:  map[string]string{"#status": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":cancelled": str(booking.StatusCancelled)}}},
			types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), ConditionExpression: aws.String("attribute_not_exists(PK)"),
				Item: map[string]types.AttributeValue{"PK": str(ck.PK), "SK": str(ck.SK), "type": str("code"), "residentId": str(r.ID)}}},
			types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: ResidentKey(r.ID).av(),
				ConditionExpression:       aws.String("communityId = :cid"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":cid": str(round.CommunityID)}}},
			s.notSampled(round.ID, r.ID),
		)
		perBuilding[r.BuildingID]++
	}
	for bid, k := range perBuilding {
		items = append(items, s.progress(round.ID, bid, "booked", k))
	}
	err := s.transact(ctx, items)
	if err == nil {
		return out, nil
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil, unavailable(err)
	}
	reasons := tce.CancellationReasons
	switch {
	case failed(tce, 0):
		return nil, booking.ErrRoundNotFound.Wrap(err)
	case failed(tce, 1):
		if len(reasons) > 1 && reasons[1].Item != nil {
			if _, closed := reasons[1].Item["closed"]; !closed {
				return nil, booking.ErrSlotFull.Wrap(err)
			}
		}
		return nil, booking.ErrSlotUnavailable.Wrap(err)
	}
	for i := range req.Residents {
		base := 2 + 4*i
		switch {
		case failed(tce, base):
			return nil, booking.ErrAlreadyBooked.Wrap(err)
		case failed(tce, base+1):
			return nil, errCodeTaken
		case failed(tce, base+2):
			return nil, booking.ErrUnknownResident.Wrap(err)
		case failed(tce, base+3):
			return nil, booking.ErrAlreadySampled.Wrap(err)
		}
	}
	return nil, unavailable(err)
}

// notSampled is the transaction item that holds only while a resident is
// not sampled in a round: a sample is final, so nothing books, moves or
// cancels a sampled resident's place.
func (s *Store) notSampled(roundID, residentID string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table),
		Key: SampledKey(roundID, residentID).av(), ConditionExpression: aws.String("attribute_not_exists(PK)")}}
}

// errCodeTaken: a generated code is already used in the round; the service
// draws new codes and tries again.
var errCodeTaken = booking.ErrCodeTaken

// BookingsOfResidents reads the bookings of residents in a round (any status).
func (s *Store) BookingsOfResidents(ctx context.Context, roundID string, residentIDs []string) ([]booking.Booking, error) {
	var ks []Key
	for _, r := range residentIDs {
		ks = append(ks, RoundBookingKey(roundID, r))
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	return bookingsOf(items)
}

func bookingsOf(items []map[string]types.AttributeValue) ([]booking.Booking, error) {
	var out []booking.Booking
	for _, av := range items {
		var it bookingItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		out = append(out, it.domain())
	}
	return out, nil
}

// IdempotencyKeyOf reads the Idempotency-Key a resident's booking was made with.
func (s *Store) IdempotencyKeyOf(ctx context.Context, roundID, residentID string) (string, error) {
	var it bookingItem
	err := s.get(ctx, RoundBookingKey(roundID, residentID), &it)
	if errors.Is(err, errNotFound) {
		return "", booking.ErrNotFound
	}
	return it.IdempotencyKey, err
}

// HouseholdBookings lists a household's bookings, all rounds (GSI1).
func (s *Store) HouseholdBookings(ctx context.Context, householdID string) ([]booking.Booking, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("HOUSEHOLD#" + householdID), ":sk": str("BOOKING#")},
	})
	if err != nil {
		return nil, unavailable(err)
	}
	return bookingsOf(out.Items)
}

// Cancel cancels a live booking and gives its place back, once.
func (s *Store) Cancel(ctx context.Context, roundID, residentID string) (booking.Booking, error) {
	var it bookingItem
	err := s.get(ctx, RoundBookingKey(roundID, residentID), &it)
	if errors.Is(err, errNotFound) {
		return booking.Booking{}, booking.ErrNotBooked
	}
	if err != nil {
		return booking.Booking{}, err
	}
	if it.Status != booking.StatusBooked {
		return booking.Booking{}, booking.ErrNotBooked
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(s.Table), Key: RoundBookingKey(roundID, residentID).av(),
			UpdateExpression:          aws.String("SET #status = :cancelled"),
			ConditionExpression:       aws.String("#status = :booked AND slotId = :slot"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":cancelled": str(booking.StatusCancelled), ":booked": str(booking.StatusBooked), ":slot": str(it.SlotID)}}},
		{Update: &types.Update{TableName: aws.String(s.Table), Key: SlotKey(it.SlotID).av(),
			UpdateExpression: aws.String("ADD remaining :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": n64(1)}}},
		s.progress(roundID, registry.BuildingOf(residentID), "booked", -1),
		s.notSampled(roundID, residentID),
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return booking.Booking{}, booking.ErrNotBooked.Wrap(err)
	}
	if errors.As(err, &tce) && failed(tce, 3) {
		return booking.Booking{}, booking.ErrAlreadySampled.Wrap(err)
	}
	if err != nil {
		return booking.Booking{}, unavailable(err)
	}
	b := it.domain()
	b.Status = booking.StatusCancelled
	return b, nil
}

// ResidentOfCode finds whose booking code this is.
func (s *Store) ResidentOfCode(ctx context.Context, roundID, code string) (string, error) {
	var it struct {
		ResidentID string `dynamodbav:"residentId"`
	}
	err := s.get(ctx, CodeKey(roundID, code), &it)
	if errors.Is(err, errNotFound) {
		return "", booking.ErrNotFound
	}
	return it.ResidentID, err
}

// CheckIn records a sample, once per resident and round; walkIn says the
// resident had no live booking.
func (s *Store) CheckIn(ctx context.Context, sm booking.Sample) (bool, error) {
	var b bookingItem
	err := s.get(ctx, RoundBookingKey(sm.RoundID, sm.ResidentID), &b)
	if err != nil && !errors.Is(err, errNotFound) {
		return false, err
	}
	walkIn := b.Status != booking.StatusBooked
	sk := SampledKey(sm.RoundID, sm.ResidentID)
	av, err := record(sampledItem{keys: keys{PK: sk.PK, SK: sk.SK, Type: "sampled"}, ResidentID: sm.ResidentID, SampledAt: formatTime(sm.At),
		By: sm.By, WalkIn: walkIn, SiteID: sm.SiteID, AtDoor: sm.AtDoor, SlotID: b.SlotID, Lane: sm.Lane, Tube: sm.Tube, Position: sm.Position})
	if err != nil {
		return false, err
	}
	building := registry.BuildingOf(sm.ResidentID)
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), ConditionExpression: aws.String("attribute_not_exists(PK)"), Item: av}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: ResidentKey(sm.ResidentID).av(),
			ConditionExpression:       aws.String("communityId = :cid"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":cid": str(sm.CommunityID)}}},
		s.progress(sm.RoundID, building, "sampled", 1),
	}
	if walkIn {
		items[2] = s.progress(sm.RoundID, building, "sampled", 1, "walkIns")
	}
	if sm.Tube != "" {
		tube, err := s.tubeWrites(sm, registry.HouseholdOf(sm.ResidentID))
		if err != nil {
			return walkIn, err
		}
		items = append(items, tube...)
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if failed(tce, 0) {
			return walkIn, booking.ErrAlreadySampled.Wrap(err)
		}
		if failed(tce, 1) {
			return walkIn, booking.ErrUnknownResident.Wrap(err)
		}
		if sm.Tube != "" && failed(tce, 3) {
			return walkIn, booking.ErrTubeRefused
		}
	}
	if err != nil {
		return walkIn, unavailable(err)
	}
	return walkIn, nil
}

// sampledItem is a resident's sample in a round: where, by whom, and the
// slot they had booked (for the night's review).
type sampledItem struct {
	keys
	ResidentID string `dynamodbav:"residentId"`
	SampledAt  string `dynamodbav:"sampledAt"`
	By         string `dynamodbav:"by"`
	WalkIn     bool   `dynamodbav:"walkIn"`
	SiteID     string `dynamodbav:"siteId,omitempty"`
	AtDoor     bool   `dynamodbav:"atDoor,omitempty"`
	SlotID     string `dynamodbav:"slotId,omitempty"`
	Lane       int    `dynamodbav:"lane,omitempty"`
	Tube       string `dynamodbav:"tube,omitempty"`
	Position   int    `dynamodbav:"position,omitempty"`
}

// Samples lists a round's samples.
func (s *Store) Samples(ctx context.Context, roundID string) ([]booking.SampleRecord, error) {
	var out []booking.SampleRecord
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "SAMPLED#", func(av map[string]types.AttributeValue) error {
		var it sampledItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, booking.SampleRecord{ResidentID: it.ResidentID, At: parseTime(it.SampledAt), By: it.By, WalkIn: it.WalkIn,
			SiteID: it.SiteID, AtDoor: it.AtDoor, SlotID: it.SlotID, Lane: it.Lane, Tube: it.Tube})
		return nil
	})
	return out, err
}

// Progress reads every building's counts in a round: one Query.
func (s *Store) Progress(ctx context.Context, roundID string) (map[string]booking.Counts, error) {
	out := map[string]booking.Counts{}
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "PROGRESS#", func(av map[string]types.AttributeValue) error {
		var it struct {
			SK      string
			Booked  int `dynamodbav:"booked"`
			Sampled int `dynamodbav:"sampled"`
			WalkIns int `dynamodbav:"walkIns"`
		}
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out[strings.TrimPrefix(it.SK, "PROGRESS#")] = booking.Counts{Booked: it.Booked, Sampled: it.Sampled, WalkIns: it.WalkIns}
		return nil
	})
	return out, err
}

// Sampled reads when each resident of a building was sampled in a round.
func (s *Store) Sampled(ctx context.Context, roundID, buildingID string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "SAMPLED#"+buildingID, func(av map[string]types.AttributeValue) error {
		var it struct {
			ResidentID string `dynamodbav:"residentId"`
			SampledAt  string `dynamodbav:"sampledAt"`
		}
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out[it.ResidentID] = parseTime(it.SampledAt)
		return nil
	})
	return out, err
}

// SetReason records why a resident is not sampled.
func (s *Store) SetReason(ctx context.Context, roundID, residentID, reason string) error {
	k := ReasonKey(roundID, residentID)
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: map[string]types.AttributeValue{
		"PK": str(k.PK), "SK": str(k.SK), "type": str("reason"), "residentId": str(residentID), "reason": str(reason),
	}})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Reasons reads the reasons set for a building's residents in a round.
func (s *Store) Reasons(ctx context.Context, roundID, buildingID string) (map[string]string, error) {
	out := map[string]string{}
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "REASON#"+buildingID, func(av map[string]types.AttributeValue) error {
		var it struct {
			ResidentID string `dynamodbav:"residentId"`
			Reason     string `dynamodbav:"reason"`
		}
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out[it.ResidentID] = it.Reason
		return nil
	})
	return out, err
}

// BuildingResidents lists the residents of a building (its partition).
func (s *Store) BuildingResidents(ctx context.Context, buildingID string) ([]registry.Resident, error) {
	all, err := buildingItems(ctx, s, buildingID, typeResident, residentItem.domain)
	return slices.DeleteFunc(all, func(r registry.Resident) bool { return !r.Current() }), err
}

// BuildingHouseholds lists the households of a building.
// A household's app sessions are read with it, in the same Query: each
// household takes its AppAt.
func (s *Store) BuildingHouseholds(ctx context.Context, buildingID string) ([]registry.Household, error) {
	var out []registry.Household
	apps := map[string]time.Time{}
	err := s.queryPrefix(ctx, BuildingPartition(buildingID), HouseholdPrefix, func(av map[string]types.AttributeValue) error {
		t, _ := av["type"].(*types.AttributeValueMemberS)
		switch {
		case t == nil:
		case t.Value == typeHousehold:
			var it householdItem
			if err := readRecord(av, &it); err != nil {
				return err
			}
			out = append(out, it.domain())
		case t.Value == typeAppSession:
			var it appSessionItem
			if err := readRecord(av, &it); err != nil {
				return err
			}
			apps[it.HouseholdID] = parseTime(it.At)
		}
		return nil
	})
	for i := range out {
		out[i].AppAt = apps[out[i].ID]
	}
	return out, err
}

// typeAppSession marks a household's latest sign-in to the app.
const typeAppSession = "appSession"

type appSessionItem struct {
	keys
	HouseholdID string `dynamodbav:"householdId"`
	At          string `dynamodbav:"at"`
	ExpiresAt   int64  `dynamodbav:"expiresAt"`
}

// RecordAppSession keeps that a member of the household signed in to the
// app at at, over the last: beside the household, so that reading a
// building's households reads it too; it expires when it would no longer
// count (booking.AppActive).
func (s *Store) RecordAppSession(ctx context.Context, householdID string, at time.Time) error {
	k := AppSessionKey(householdID)
	av, err := record(appSessionItem{keys: keys{PK: k.PK, SK: k.SK, Type: typeAppSession}, HouseholdID: householdID,
		At: formatTime(at), ExpiresAt: at.Add(booking.AppActive).Unix()})
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av})
	return unavailableUnlessGone(err)
}

// buildingItems reads the items of one type from a building's partition.
func buildingItems[I any, D any](ctx context.Context, s *Store, buildingID, typ string, domain func(I) D) ([]D, error) {
	var out []D
	err := s.queryPrefix(ctx, BuildingPartition(buildingID), HouseholdPrefix, func(av map[string]types.AttributeValue) error {
		if t, _ := av["type"].(*types.AttributeValueMemberS); t == nil || t.Value != typ {
			return nil
		}
		var it I
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, domain(it))
		return nil
	})
	return out, err
}

var _ booking.PlanStore = (*Store)(nil)

type windowItem struct {
	keys
	BuildingID string   `dynamodbav:"buildingId"`
	Building   string   `dynamodbav:"building"`
	Residents  int      `dynamodbav:"residents"`
	SiteID     string   `dynamodbav:"siteId"`
	StartsAt   string   `dynamodbav:"startsAt"`
	EndsAt     string   `dynamodbav:"endsAt"`
	SlotIDs    []string `dynamodbav:"slotIds"`
}

// SavePlan replaces a round's plan: every old window goes, the new ones come.
func (s *Store) SavePlan(ctx context.Context, roundID string, windows []booking.Window) error {
	var reqs []types.WriteRequest
	keep := map[string]bool{}
	for _, w := range windows {
		k := PlanKey(roundID, w.BuildingID)
		keep[k.SK] = true
		av, err := record(windowItem{keys: keys{PK: k.PK, SK: k.SK, Type: "window"}, BuildingID: w.BuildingID,
			Building: w.Building, Residents: w.Residents, SiteID: w.SiteID, StartsAt: formatTime(w.StartsAt), EndsAt: formatTime(w.EndsAt), SlotIDs: w.SlotIDs})
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "PLAN#", func(av map[string]types.AttributeValue) error {
		sk := av["SK"].(*types.AttributeValueMemberS).Value
		if !keep[sk] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: Key{RoundKey(roundID).PK, sk}.av()}})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.batchWrite(ctx, reqs)
}

// Window reads a building's window.
func (s *Store) Window(ctx context.Context, roundID, buildingID string) (booking.Window, error) {
	var it windowItem
	err := s.get(ctx, PlanKey(roundID, buildingID), &it)
	if errors.Is(err, errNotFound) {
		return booking.Window{}, booking.ErrNotFound
	}
	if err != nil {
		return booking.Window{}, err
	}
	return booking.Window{BuildingID: it.BuildingID, Building: it.Building, Residents: it.Residents, SiteID: it.SiteID,
		StartsAt: parseTime(it.StartsAt), EndsAt: parseTime(it.EndsAt), SlotIDs: it.SlotIDs}, nil
}

// SlotsByID reads slots by id (one BatchGetItem).
func (s *Store) SlotsByID(ctx context.Context, slotIDs []string) ([]booking.Slot, error) {
	var ks []Key
	for _, id := range slotIDs {
		ks = append(ks, SlotKey(id))
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	var out []booking.Slot
	for _, av := range items {
		var it slotItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		out = append(out, it.domain())
	}
	return out, nil
}

var _ booking.SiteStore = (*Store)(nil)

// CloseSite marks a site and all its slots closed, in one transaction.
func (s *Store) CloseSite(ctx context.Context, siteID string) (booking.Site, error) {
	var site siteItem
	err := s.get(ctx, SiteKey(siteID), &site)
	if errors.Is(err, errNotFound) || (err == nil && site.Closed) {
		return booking.Site{}, booking.ErrNotFound
	}
	if err != nil {
		return booking.Site{}, err
	}
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: SiteKey(siteID).av(),
		UpdateExpression: aws.String("SET closed = :t"), ConditionExpression: aws.String("attribute_not_exists(closed)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}}}}
	err = s.queryPrefix(ctx, RoundKey(site.RoundID).PK, "SLOT#"+siteID+"-", func(av map[string]types.AttributeValue) error {
		sk := av["SK"].(*types.AttributeValueMemberS).Value
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: Key{RoundKey(site.RoundID).PK, sk}.av(),
			UpdateExpression: aws.String("SET closed = :t"), ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}}})
		return nil
	})
	if err != nil {
		return booking.Site{}, err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return booking.Site{}, booking.ErrNotFound
	}
	if err != nil {
		return booking.Site{}, unavailable(err)
	}
	closed := site.domain()
	closed.Closed = true
	return closed, nil
}

// LiveBookingsAt lists a round's live bookings in the given slots.
func (s *Store) LiveBookingsAt(ctx context.Context, roundID string, slotIDs map[string]bool) ([]booking.Booking, error) {
	var out []booking.Booking
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "BOOKING#", func(av map[string]types.AttributeValue) error {
		var it bookingItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		if it.Status == booking.StatusBooked && slotIDs[it.SlotID] {
			out = append(out, it.domain())
		}
		return nil
	})
	return out, err
}

// Move moves one household's bookings of one slot to another slot, in one
// transaction: the bookings must still be live in the old slot, the new slot
// open with room; the old slot gets its places back.
func (s *Store) Move(ctx context.Context, bs []booking.Booking, to booking.Slot, pending *dispatch.Pending) error {
	from := bs[0].SlotID
	items := []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(s.Table), Key: SlotKey(to.ID).av(),
			UpdateExpression:          aws.String("SET remaining = remaining - :n"),
			ConditionExpression:       aws.String("remaining >= :n AND attribute_not_exists(closed)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": n64(len(bs))}}},
		{Update: &types.Update{TableName: aws.String(s.Table), Key: SlotKey(from).av(),
			UpdateExpression: aws.String("ADD remaining :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": n64(len(bs))}}},
	}
	for _, b := range bs {
		items = append(items, s.notSampled(b.RoundID, b.ResidentID))
	}
	for _, b := range bs {
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: RoundBookingKey(b.RoundID, b.ResidentID).av(),
			UpdateExpression:          aws.String("SET slotId = :to, startsAt = :at"),
			ConditionExpression:       aws.String("#status = :booked AND slotId = :from"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":to": str(to.ID), ":at": str(formatTime(to.StartsAt)), ":booked": str(booking.StatusBooked), ":from": str(from)}}})
	}
	items, err := s.withPending(items, pending)
	if err != nil {
		return err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if failed(tce, 0) {
			return booking.ErrSlotFull.Wrap(err)
		}
		for i := range bs {
			if failed(tce, 2+i) {
				return booking.ErrAlreadySampled.Wrap(err)
			}
			if failed(tce, 2+len(bs)+i) {
				return booking.ErrNotBooked.Wrap(err) // moved or cancelled meanwhile
			}
		}
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// CancelMany cancels one slot's bookings of a household in one transaction.
func (s *Store) CancelMany(ctx context.Context, bs []booking.Booking, pending *dispatch.Pending) error {
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: SlotKey(bs[0].SlotID).av(),
		UpdateExpression: aws.String("ADD remaining :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": n64(len(bs))}}}}
	perBuilding := map[string]int{}
	for _, b := range bs {
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: RoundBookingKey(b.RoundID, b.ResidentID).av(),
			UpdateExpression: aws.String("SET #status = :cancelled"), ConditionExpression: aws.String("#status = :booked AND slotId = :slot"),
			ExpressionAttributeNames:  map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":cancelled": str(booking.StatusCancelled), ":booked": str(booking.StatusBooked), ":slot": str(b.SlotID)}}})
		perBuilding[registry.BuildingOf(b.ResidentID)]++
	}
	for bid, k := range perBuilding {
		items = append(items, s.progress(bs[0].RoundID, bid, "booked", -k))
	}
	sampled := len(items)
	for _, b := range bs {
		items = append(items, s.notSampled(b.RoundID, b.ResidentID))
	}
	items, err := s.withPending(items, pending)
	if err != nil {
		return err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for i := sampled; i < sampled+len(bs); i++ {
			if failed(tce, i) {
				return booking.ErrAlreadySampled.Wrap(err)
			}
		}
		return booking.ErrNotBooked.Wrap(err)
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Contacts reads residents and their households in one batch: each
// resident's name and phone, or their household's when they have none.
func (s *Store) Contacts(ctx context.Context, residentIDs []string) (map[string]booking.Contact, error) {
	var ks []Key
	homes := map[string]bool{}
	for _, id := range residentIDs {
		ks = append(ks, ResidentKey(id))
		if h := registry.HouseholdOf(id); h != "" && !homes[h] {
			homes[h] = true
			ks = append(ks, HouseholdKey(h))
		}
	}
	items, err := s.batchGet(ctx, ks)
	if err != nil {
		return nil, err
	}
	residents := map[string]residentItem{}
	household := map[string]string{}
	for _, av := range items {
		switch t, _ := av["type"].(*types.AttributeValueMemberS); {
		case t != nil && t.Value == typeHousehold:
			var it householdItem
			if err := readRecord(av, &it); err != nil {
				return nil, err
			}
			household[it.ID] = it.ContactPhone
		default:
			var it residentItem
			if err := readRecord(av, &it); err != nil {
				return nil, err
			}
			residents[it.ID] = it
		}
	}
	out := map[string]booking.Contact{}
	for id, it := range residents {
		c := booking.Contact{Name: it.Name, Phone: it.Phone}
		if c.Phone == "" {
			c.Phone = household[it.HouseholdID]
		}
		out[id] = c
	}
	return out, nil
}

// MarkTexted marks a booking whose confirmation was texted.
func (s *Store) MarkTexted(ctx context.Context, roundID, residentID string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: RoundBookingKey(roundID, residentID).av(),
		UpdateExpression: aws.String("SET texted = :t"), ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}})
	return unavailableUnlessGone(err)
}

// Sites lists a round's sites, closed ones too.
func (s *Store) Sites(ctx context.Context, roundID string) ([]booking.Site, error) {
	var out []booking.Site
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "SITE#", func(av map[string]types.AttributeValue) error {
		var it siteItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, it.domain())
		return nil
	})
	return out, err
}
