package store

import (
	"context"
	"errors"
	"strings"

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
	UpdatedAt   when   `dynamodbav:"updatedAt"`
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

// nameLock keeps a community's item names apart (case and spaces aside).
func nameLock(cid, name string) map[string]types.AttributeValue {
	k := ReserveNameKey(cid, strings.ToLower(strings.Join(strings.Fields(name), "")))
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
	})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return reserve.ErrDuplicate
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

// MoveReserve adds delta to an item's quantity over the quantity read (tried
// again when another movement came between) and records m with the
// quantity after, in one transaction.
func (s *Store) MoveReserve(ctx context.Context, m reserve.Movement, delta int) (int, error) {
	for try := 0; try < 8; try++ {
		it, err := s.ReserveItem(ctx, m.CommunityID, m.ItemID)
		if err != nil {
			return 0, err
		}
		after := it.Quantity + delta
		if after < 0 {
			return 0, reserve.ErrShort
		}
		if after > reserve.MaxQuantity {
			return 0, reserve.ErrShort
		}
		k := ReserveMoveKey(m.CommunityID, m.ItemID, m.At, m.ID)
		av, err := record(movementItem{keys: keys{PK: k.PK, SK: k.SK, Type: "reserveMovement"}, ID: m.ID, CommunityID: m.CommunityID, ItemID: m.ItemID,
			Kind: m.Kind, Quantity: m.Quantity, Donor: m.Donor, Note: m.Note, After: after, At: stamp(m.At), By: m.By})
		if err != nil {
			return 0, err
		}
		err = s.transact(ctx, []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String(s.Table), Key: ReserveItemKey(m.CommunityID, m.ItemID).av(),
				UpdateExpression:          aws.String("SET quantity = :after, updatedAt = :at"),
				ConditionExpression:       aws.String("quantity = :read"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":after": n64(after), ":read": n64(it.Quantity), ":at": str(formatTime(m.At))}}},
			{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		})
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) && failed(tce, 0) {
			continue // another movement came between: read again
		}
		if err != nil {
			return 0, unavailable(err)
		}
		return after, nil
	}
	return 0, unavailable(errors.New("store: the item kept moving"))
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
