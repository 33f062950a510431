package store

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/dispatch"
)

var _ booking.RoundWork = (*Store)(nil)

// Duties lists the posts whose shifts the volunteer serves at (or within
// lead of) at: their assignments, then each post once.
func (s *Store) Duties(ctx context.Context, vid string, at time.Time, lead time.Duration) ([]booking.Duty, error) {
	as, err := s.VolunteerAssignments(ctx, vid)
	if err != nil {
		return nil, err
	}
	var posts []string
	for _, a := range as {
		if at.Before(a.StartsAt.Add(-lead)) || !at.Before(a.EndsAt) || slices.Contains(posts, a.PostID) {
			continue
		}
		posts = append(posts, a.PostID)
	}
	out := []booking.Duty{}
	for _, id := range posts {
		p, err := s.Post(ctx, id)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, booking.Duty{PostID: p.ID, Kind: p.Kind, SiteID: p.SiteID, BuildingID: p.BuildingID})
	}
	return out, nil
}

// SiteInCommunity says whether siteID is an open site of a round of the
// community.
func (s *Store) SiteInCommunity(ctx context.Context, cid, siteID string) (bool, error) {
	var site siteItem
	err := s.get(ctx, SiteKey(siteID), &site)
	if errors.Is(err, errNotFound) || (err == nil && site.Closed) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r, err := s.Round(ctx, site.RoundID)
	if errors.Is(err, booking.ErrNotFound) {
		return false, nil
	}
	return err == nil && r.CommunityID == cid, err
}

type callItem struct {
	keys
	ID         string `dynamodbav:"id"`
	RoundID    string `dynamodbav:"roundId"`
	BuildingID string `dynamodbav:"buildingId"`
	Building   string `dynamodbav:"building"`
	SiteID     string `dynamodbav:"siteId"`
	Site       string `dynamodbav:"site"`
	At         string `dynamodbav:"at"`
	By         string `dynamodbav:"by"`
	Households int    `dynamodbav:"households"`
	Texted     int    `dynamodbav:"texted"`
}

// SaveCall writes a call, its building's lock and its texts in one
// transaction; the lock refuses a call after notBefore.
func (s *Store) SaveCall(ctx context.Context, c booking.Call, notBefore time.Time, pending *dispatch.Pending) error {
	k := CallKey(c.RoundID, c.At, c.ID)
	av, err := record(callItem{keys: keys{PK: k.PK, SK: k.SK, Type: "call"}, ID: c.ID, RoundID: c.RoundID, BuildingID: c.BuildingID,
		Building: c.Building, SiteID: c.SiteID, Site: c.Site, At: formatTime(c.At), By: c.By, Households: c.Households, Texted: c.Texted})
	if err != nil {
		return err
	}
	lock := CallLockKey(c.RoundID, c.BuildingID)
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: map[string]types.AttributeValue{"PK": str(lock.PK), "SK": str(lock.SK),
			"type": str("callLock"), "calledAt": str(formatTime(c.At))},
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR calledAt <= :cut"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":cut": str(formatTime(notBefore))}}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: av}},
	}
	items, err = s.withPending(items, pending)
	if err != nil {
		return err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return booking.ErrCalledRecently.Wrap(err)
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Calls lists a round's calls, oldest first.
func (s *Store) Calls(ctx context.Context, roundID string) ([]booking.Call, error) {
	var out []booking.Call
	err := s.queryPrefix(ctx, RoundKey(roundID).PK, "CALL#", func(av map[string]types.AttributeValue) error {
		var it callItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, booking.Call{ID: it.ID, RoundID: it.RoundID, BuildingID: it.BuildingID, Building: it.Building, SiteID: it.SiteID,
			Site: it.Site, At: parseTime(it.At), By: it.By, Households: it.Households, Texted: it.Texted})
		return nil
	})
	return out, err
}

// ReshapeSite writes a site's size, hours and opening, and each changed
// slot, in one transaction. A slot opens or takes a new capacity only if
// its capacity is as read and what is booked still fits (bookings move
// remaining, never capacity); a slot closes whatever is booked there, its
// people moved after.
func (s *Store) ReshapeSite(ctx context.Context, site booking.Site, changes []booking.SlotChange) error {
	vals := map[string]types.AttributeValue{":l": n64(site.Lanes), ":p": n64(site.PerLanePerSlot)}
	set, remove := "SET lanes = :l, perLanePerSlot = :p", []string{}
	for name, v := range map[string]string{"opensAt": formatOptional(site.OpensAt), "closesAt": formatOptional(site.ClosesAt)} {
		if v == "" {
			remove = append(remove, name)
			continue
		}
		set += ", " + name + " = :" + name
		vals[":"+name] = str(v)
	}
	if !site.Spare {
		remove = append(remove, "spare")
	}
	sort.Strings(remove)
	update := set
	if len(remove) > 0 {
		update += " REMOVE " + strings.Join(remove, ", ")
	}
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: SiteKey(site.ID).av(),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(closed)"),
		ExpressionAttributeValues: vals}}}
	for _, c := range changes {
		if !c.Open {
			items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: SlotKey(c.Was.ID).av(),
				UpdateExpression:          aws.String("SET closed = :t"),
				ConditionExpression:       aws.String("attribute_exists(PK)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}}})
			continue
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: SlotKey(c.Was.ID).av(),
			UpdateExpression:         aws.String("SET #cap = :c ADD remaining :d REMOVE closed"),
			ConditionExpression:      aws.String("#cap = :was AND remaining >= :need"),
			ExpressionAttributeNames: map[string]string{"#cap": "capacity"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":c": n64(c.Capacity), ":d": n64(c.Capacity - c.Was.Capacity),
				":was": n64(c.Was.Capacity), ":need": n64(max(0, c.Was.Capacity-c.Capacity))}}})
	}
	err := s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if failed(tce, 0) {
			return booking.ErrNotFound
		}
		return booking.ErrConflict
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// MarkPublished records when a round's plan was first published.
func (s *Store) MarkPublished(ctx context.Context, roundID string, at time.Time) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: RoundKey(roundID).av(),
		UpdateExpression:          aws.String("SET publishedAt = if_not_exists(publishedAt, :at)"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(formatTime(at))}})
	return unavailableUnlessGone(err)
}

// RecordClosure keeps what a closure did on its site.
func (s *Store) RecordClosure(ctx context.Context, siteID string, at time.Time, moved, cancelled int) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: SiteKey(siteID).av(),
		UpdateExpression:          aws.String("SET closedAt = :at, moved = :m, cancelled = :c"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(formatTime(at)), ":m": n64(moved), ":c": n64(cancelled)}})
	return unavailableUnlessGone(err)
}

type noteItem struct {
	keys
	RoundID string `dynamodbav:"roundId"`
	Text    string `dynamodbav:"text"`
	By      string `dynamodbav:"by"`
	At      string `dynamodbav:"at"`
}

// SaveNote writes a round's note over the last.
func (s *Store) SaveNote(ctx context.Context, n booking.Note) error {
	k := RoundNoteKey(n.RoundID)
	av, err := record(noteItem{keys: keys{PK: k.PK, SK: k.SK, Type: "roundNote"}, RoundID: n.RoundID, Text: n.Text, By: n.By, At: formatTime(n.At)})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: av}); err != nil {
		return unavailable(err)
	}
	return nil
}

// Note reads a round's note.
func (s *Store) Note(ctx context.Context, roundID string) (booking.Note, error) {
	var it noteItem
	err := s.get(ctx, RoundNoteKey(roundID), &it)
	if errors.Is(err, errNotFound) {
		return booking.Note{}, booking.ErrNotFound
	}
	if err != nil {
		return booking.Note{}, err
	}
	return booking.Note{RoundID: it.RoundID, Text: it.Text, By: it.By, At: parseTime(it.At)}, nil
}
