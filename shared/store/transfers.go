package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/watch"
)

var _ watch.TransferStore = (*Store)(nil)

type transfereeItem struct {
	ResidentID  string `dynamodbav:"residentId"`
	Name        string `dynamodbav:"name"`
	HouseholdID string `dynamodbav:"householdId"`
	Door        string `dynamodbav:"door"`
	Phone       string `dynamodbav:"phone,omitempty"`
	Status      string `dynamodbav:"status"`
	Reason      string `dynamodbav:"reason,omitempty"`
	At          string `dynamodbav:"at,omitempty"`
	By          string `dynamodbav:"by,omitempty"`
}

type dependantItem struct {
	Kind        string `dynamodbav:"kind"`
	ResidentID  string `dynamodbav:"residentId,omitempty"`
	Name        string `dynamodbav:"name,omitempty"`
	HouseholdID string `dynamodbav:"householdId"`
	Door        string `dynamodbav:"door"`
	Note        string `dynamodbav:"note,omitempty"`
	HelpID      string `dynamodbav:"helpId,omitempty"`
}

type transferItem struct {
	keys
	ID          string           `dynamodbav:"id"`
	CommunityID string           `dynamodbav:"communityId"`
	Leg         string           `dynamodbav:"leg"`
	ReturnOf    string           `dynamodbav:"returnOf,omitempty"`
	Pickup      string           `dynamodbav:"pickup"`
	At          when             `dynamodbav:"at"`
	Destination string           `dynamodbav:"destination"`
	People      []transfereeItem `dynamodbav:"people"`
	LeftBehind  []dependantItem  `dynamodbav:"leftBehind"`
	CreatedAt   when             `dynamodbav:"createdAt"`
	CreatedBy   string           `dynamodbav:"createdBy"`
}

func transfereeOf(p watch.Transferee) transfereeItem {
	it := transfereeItem{ResidentID: p.ResidentID, Name: p.Name, HouseholdID: p.HouseholdID, Door: p.Door, Phone: p.Phone, Status: p.Status,
		Reason: p.Reason, By: p.By}
	if p.At != nil {
		it.At = formatTime(*p.At)
	}
	return it
}

func (it transferItem) domain() watch.Transfer {
	t := watch.Transfer{ID: it.ID, CommunityID: it.CommunityID, Leg: it.Leg, ReturnOf: it.ReturnOf, Pickup: it.Pickup, At: it.At.time(),
		Destination: it.Destination, CreatedAt: it.CreatedAt.time(), CreatedBy: it.CreatedBy, People: []watch.Transferee{}, LeftBehind: []watch.Dependant{}}
	for _, p := range it.People {
		t.People = append(t.People, watch.Transferee{ResidentID: p.ResidentID, Name: p.Name, HouseholdID: p.HouseholdID, Door: p.Door, Phone: p.Phone,
			Status: p.Status, Reason: p.Reason, At: optionalTime(p.At), By: p.By})
	}
	for _, d := range it.LeftBehind {
		t.LeftBehind = append(t.LeftBehind, watch.Dependant{Kind: d.Kind, ResidentID: d.ResidentID, Name: d.Name, HouseholdID: d.HouseholdID, Door: d.Door,
			Note: d.Note, HelpID: d.HelpID})
	}
	return t
}

// CreateTransfer writes a batch, a lock on each of its people and its
// texts in one transaction; a batch with dependants is on the care index
// until each has its help request.
func (s *Store) CreateTransfer(ctx context.Context, t watch.Transfer, pending *dispatch.Pending) error {
	k := TransferKey(t.CommunityID, t.ID)
	it := transferItem{keys: keys{PK: k.PK, SK: k.SK, Type: "transfer"}, ID: t.ID, CommunityID: t.CommunityID, Leg: t.Leg, ReturnOf: t.ReturnOf,
		Pickup: t.Pickup, At: stamp(t.At), Destination: t.Destination, CreatedAt: stamp(t.CreatedAt), CreatedBy: t.CreatedBy}
	for _, p := range t.People {
		it.People = append(it.People, transfereeOf(p))
	}
	it.LeftBehind = []dependantItem{}
	for _, d := range t.LeftBehind {
		it.LeftBehind = append(it.LeftBehind, dependantItem{Kind: d.Kind, ResidentID: d.ResidentID, Name: d.Name, HouseholdID: d.HouseholdID,
			Door: d.Door, Note: d.Note, HelpID: d.HelpID})
	}
	if len(t.LeftBehind) > 0 {
		ci := TransferCareIndex(t.CreatedAt, t.CommunityID, t.ID)
		it.GSI2PK, it.GSI2SK = ci.PK, ci.SK
	}
	av, err := record(it)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}}}
	for _, p := range t.People {
		lk := InTransferKey(t.CommunityID, p.ResidentID)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table),
			Item:                map[string]types.AttributeValue{"PK": str(lk.PK), "SK": str(lk.SK), "type": str("inTransfer"), "transferId": str(t.ID)},
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	items, err = s.withPending(items, pending)
	if err != nil {
		return err
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for i, p := range t.People {
			if failed(tce, 1+i) {
				return watch.ErrInTransfer.WithAlternatives(p.ResidentID)
			}
		}
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// SetTransferee writes person i of a batch while it is still prev, and
// frees their lock (when it is this batch's) with it.
func (s *Store) SetTransferee(ctx context.Context, cid, id string, i int, prev, next watch.Transferee, free bool) error {
	av, err := attributevalue.Marshal(transfereeOf(next))
	if err != nil {
		return err
	}
	at := fmt.Sprintf("people[%d]", i)
	items := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: TransferKey(cid, id).av(),
		UpdateExpression:          aws.String("SET " + at + " = :next"),
		ConditionExpression:       aws.String(at + ".residentId = :rid AND " + at + ".#st = :prev"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":next": av, ":rid": str(prev.ResidentID), ":prev": str(prev.Status)}}}}
	if free {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: InTransferKey(cid, prev.ResidentID).av(),
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR transferId = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": str(id)}}})
	}
	err = s.transact(ctx, items)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return watch.ErrTransferChanged
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// RecordCare records dependant i's help request where it has none; the
// last takes the batch off the care index.
func (s *Store) RecordCare(ctx context.Context, cid, id string, i int, helpID string, last bool) (bool, error) {
	at := fmt.Sprintf("leftBehind[%d]", i)
	expr := "SET " + at + ".helpId = :h"
	if last {
		expr += " REMOVE GSI2PK, GSI2SK"
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: TransferKey(cid, id).av(),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(" + at + ") AND attribute_not_exists(" + at + ".helpId)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(helpID)}})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// Transfer reads one batch.
func (s *Store) Transfer(ctx context.Context, cid, id string) (watch.Transfer, error) {
	var it transferItem
	err := s.get(ctx, TransferKey(cid, id), &it)
	if errors.Is(err, errNotFound) {
		return watch.Transfer{}, watch.ErrTransferNotFound
	}
	if err != nil {
		return watch.Transfer{}, err
	}
	return it.domain(), nil
}

// Transfers reads a community's batches: one Query.
func (s *Store) Transfers(ctx context.Context, cid string) ([]watch.Transfer, error) {
	var out []watch.Transfer
	return out, s.queryPrefix(ctx, CommunityKey(cid).PK, "TRANSFER#", collect[transferItem](&out))
}

// CareDue are batches created before a time with a dependant still
// without its help request (GSI2).
func (s *Store) CareDue(ctx context.Context, before time.Time) ([]watch.Transfer, error) {
	var out []watch.Transfer
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("GSI2"),
		KeyConditionExpression:    aws.String("GSI2PK = :pk AND GSI2SK <= :upto"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(TransferCareIndex(before, "", "").PK), ":upto": str(formatTime(before) + "#~")},
	}
	return out, s.queryAll(ctx, in, collect[transferItem](&out))
}
