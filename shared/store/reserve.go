package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/reserve"
)

var _ reserve.Store = (*Store)(nil)

type reserveItem struct {
	keys
	ID          string `dynamodbav:"id"`
	CommunityID string `dynamodbav:"communityId"`
	Name        string `dynamodbav:"name"`
	Unit        string `dynamodbav:"unit"`
	Category    string `dynamodbav:"category"`
	Quantity    int    `dynamodbav:"quantity"`
	Minimum     int    `dynamodbav:"minimum"`
	// Moves counts its movements: each is written on the count it read,
	// and keyed by it, so the history is in the order they happened.
	Moves     int  `dynamodbav:"moves"`
	UpdatedAt when `dynamodbav:"updatedAt"`
}

func (it reserveItem) domain() reserve.Item {
	return reserve.Item{ID: it.ID, CommunityID: it.CommunityID, Name: it.Name, Unit: it.Unit, Category: it.Category, Quantity: it.Quantity,
		Minimum: it.Minimum, UpdatedAt: it.UpdatedAt.time()}
}

type movementItem struct {
	keys
	ID          string `dynamodbav:"id"`
	CommunityID string `dynamodbav:"communityId"`
	ItemID      string `dynamodbav:"itemId"`
	Kind        string `dynamodbav:"kind"`
	Quantity    int    `dynamodbav:"quantity"`
	Donor       string `dynamodbav:"donor,omitempty"`
	Note        string `dynamodbav:"note,omitempty"`
	After       int    `dynamodbav:"after"`
	At          when   `dynamodbav:"at"`
	By          string `dynamodbav:"by"`
}

// nameLock keeps a community's item names apart (case, spaces and
// full-width forms aside: Ｎ９５口罩 is N95口罩).
func nameLock(cid, name string) map[string]types.AttributeValue {
	half := strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			return r - 0xFEE0
		}
		return r
	}, name)
	k := ReserveNameKey(cid, strings.ToLower(strings.Join(strings.Fields(half), "")))
	return map[string]types.AttributeValue{"PK": str(k.PK), "SK": str(k.SK), "type": str("reserveName")}
}

func (s *Store) reservePut(it reserve.Item) (map[string]types.AttributeValue, error) {
	k := ReserveItemKey(it.CommunityID, it.ID)
	return record(reserveItem{keys: keys{PK: k.PK, SK: k.SK, Type: "reserveItem"}, ID: it.ID, CommunityID: it.CommunityID, Name: it.Name,
		Unit: it.Unit, Category: it.Category, Quantity: it.Quantity, Minimum: it.Minimum, UpdatedAt: stamp(it.UpdatedAt)})
}

// CreateReserveItem writes a new item with its name's lock.
func (s *Store) CreateReserveItem(ctx context.Context, it reserve.Item) error {
	av, err := s.reservePut(it)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: nameLock(it.CommunityID, it.Name), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		// The count keeps the limit when many are made at once.
		{Update: &types.Update{TableName: aws.String(s.Table), Key: ReserveCountKey(it.CommunityID).av(),
			UpdateExpression:          aws.String("SET #n = if_not_exists(#n, :zero) + :one, #t = :type"),
			ConditionExpression:       aws.String("attribute_not_exists(#n) OR #n < :max"),
			ExpressionAttributeNames:  map[string]string{"#n": "items", "#t": "type"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":zero": n64(0), ":one": n64(1), ":max": n64(reserve.MaxItems), ":type": str("reserveCount")}}},
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return reserve.ErrDuplicate
	}
	if errors.As(err, &tce) && failed(tce, 2) {
		return reserve.ErrTooMany
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// SaveReserveItem writes an item's name, unit, category and minimum (not
// its quantity: movements own it), moving its name's lock on a rename.
func (s *Store) SaveReserveItem(ctx context.Context, it reserve.Item) error {
	old, err := s.ReserveItem(ctx, it.CommunityID, it.ID)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: ReserveItemKey(it.CommunityID, it.ID).av(),
		UpdateExpression:          aws.String("SET #n = :n, #u = :u, #c = :c, #m = :m, updatedAt = :at"),
		ConditionExpression:       aws.String("#n = :old"),
		ExpressionAttributeNames:  map[string]string{"#n": "name", "#u": "unit", "#c": "category", "#m": "minimum"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": str(it.Name), ":u": str(it.Unit), ":c": str(it.Category), ":m": n64(it.Minimum), ":at": str(formatTime(it.UpdatedAt)), ":old": str(old.Name)}}}}
	renamed := nameLock(it.CommunityID, it.Name)["SK"].(*types.AttributeValueMemberS).Value != nameLock(it.CommunityID, old.Name)["SK"].(*types.AttributeValueMemberS).Value
	if renamed {
		oldLock := nameLock(it.CommunityID, old.Name)
		items = append(items,
			types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: nameLock(it.CommunityID, it.Name), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: map[string]types.AttributeValue{"PK": oldLock["PK"], "SK": oldLock["SK"]}}})
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if renamed && failed(tce, 1) {
			return reserve.ErrDuplicate
		}
		if failed(tce, 0) {
			return errors.Join(reserve.ErrDuplicate, errors.New("renamed meanwhile"))
		}
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// ReserveItem reads one item, consistently.
func (s *Store) ReserveItem(ctx context.Context, cid, id string) (reserve.Item, error) {
	var it reserveItem
	err := s.getConsistent(ctx, ReserveItemKey(cid, id), &it)
	if errors.Is(err, errNotFound) {
		return reserve.Item{}, reserve.ErrNotFound
	}
	if err != nil {
		return reserve.Item{}, err
	}
	return it.domain(), nil
}

// ReserveItems reads a community's items: one Query.
func (s *Store) ReserveItems(ctx context.Context, cid string) ([]reserve.Item, error) {
	var out []reserve.Item
	return out, s.queryPrefix(ctx, CommunityKey(cid).PK, "RESERVE#", func(av map[string]types.AttributeValue) error {
		var it reserveItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, it.domain())
		return nil
	})
}

// MoveReserve adds delta to an item's quantity over the item as read
// (read again, after a pause, when another movement came between) and
// records m as its next movement with the quantity after, in one
// transaction.
func (s *Store) MoveReserve(ctx context.Context, m reserve.Movement, delta int) (int, error) {
	for try := 0; try < 40; try++ {
		if try > 0 {
			// Twenty at once on one item take turns: a pause that grows,
			// with jitter so they do not all come back together.
			time.Sleep(time.Duration(5+rand.IntN(10*min(try, 10))) * time.Millisecond)
		}
		var it reserveItem
		err := s.getConsistent(ctx, ReserveItemKey(m.CommunityID, m.ItemID), &it)
		if errors.Is(err, errNotFound) {
			return 0, reserve.ErrNotFound
		}
		if err != nil {
			return 0, err
		}
		after := it.Quantity + delta
		if after < 0 {
			return 0, reserve.ErrShort
		}
		if after > reserve.MaxQuantity {
			return 0, reserve.ErrTooMuch
		}
		k := ReserveMoveKey(m.CommunityID, m.ItemID, it.Moves+1)
		av, err := record(movementItem{keys: keys{PK: k.PK, SK: k.SK, Type: "reserveMovement"}, ID: m.ID, CommunityID: m.CommunityID, ItemID: m.ItemID,
			Kind: m.Kind, Quantity: m.Quantity, Donor: m.Donor, Note: m.Note, After: after, At: stamp(m.At), By: m.By})
		if err != nil {
			return 0, err
		}
		cond, vals := "moves = :read", map[string]types.AttributeValue{":after": n64(after), ":read": n64(it.Moves), ":next": n64(it.Moves + 1), ":at": str(formatTime(m.At))}
		if it.Moves == 0 {
			cond = "attribute_not_exists(moves) OR moves = :read"
		}
		err = s.transact(ctx, []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String(s.Table), Key: ReserveItemKey(m.CommunityID, m.ItemID).av(),
				UpdateExpression:          aws.String("SET quantity = :after, moves = :next, updatedAt = :at"),
				ConditionExpression:       aws.String(cond),
				ExpressionAttributeValues: vals}},
			{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		})
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) && (failed(tce, 0) || failed(tce, 1)) {
			continue // another movement came between: read again
		}
		if retryable(err) {
			continue
		}
		if err != nil {
			return 0, unavailable(err)
		}
		return after, nil
	}
	return 0, reserve.ErrBusy
}

// Movements reads an item's latest movements, newest first.
func (s *Store) Movements(ctx context.Context, cid, itemID string, limit int) ([]reserve.Movement, error) {
	out := []reserve.Movement{}
	res, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(CommunityKey(cid).PK), ":p": str(ReserveMovesOf(itemID))},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit))})
	if err != nil {
		return nil, unavailable(err)
	}
	for _, av := range res.Items {
		var it movementItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		out = append(out, reserve.Movement{ID: it.ID, CommunityID: it.CommunityID, ItemID: it.ItemID, Kind: it.Kind, Quantity: it.Quantity,
			Donor: it.Donor, Note: it.Note, After: it.After, At: it.At.time(), By: it.By})
	}
	return out, nil
}
