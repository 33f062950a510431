package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/supplies"
)

var _ supplies.Store = (*Store)(nil)

// limitTTL keeps a day's counters past the day.
const limitTTL = 3 * 24 * time.Hour

type merchantItem struct {
	keys
	ID          string `dynamodbav:"id"`
	CommunityID string `dynamodbav:"communityId"`
	Name        string `dynamodbav:"name"`
	Phone       string `dynamodbav:"phone"`
	CreatedAt   string `dynamodbav:"createdAt"`
}

// CreateMerchant writes a merchant.
func (s *Store) CreateMerchant(ctx context.Context, m supplies.Merchant) error {
	k := MerchantKey(m.CommunityID, m.ID)
	return s.putNew(ctx, merchantItem{keys: keys{PK: k.PK, SK: k.SK, Type: "merchant"}, ID: m.ID, CommunityID: m.CommunityID,
		Name: m.Name, Phone: m.Phone, CreatedAt: formatTime(m.CreatedAt)})
}

// Merchants lists a community's merchants.
func (s *Store) Merchants(ctx context.Context, cid string) ([]supplies.Merchant, error) {
	out := []supplies.Merchant{}
	err := s.queryPrefix(ctx, CommunityKey(cid).PK, "MERCHANT#", func(av map[string]types.AttributeValue) error {
		var it merchantItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, supplies.Merchant{ID: it.ID, CommunityID: it.CommunityID, Name: it.Name, Phone: it.Phone, CreatedAt: parseTime(it.CreatedAt)})
		return nil
	})
	return out, err
}

type catalogueItem struct {
	keys
	ID                string `dynamodbav:"id"`
	CommunityID       string `dynamodbav:"communityId"`
	MerchantID        string `dynamodbav:"merchantId"`
	Name              string `dynamodbav:"name"`
	Unit              string `dynamodbav:"unit"`
	PriceFen          int    `dynamodbav:"priceFen"`
	Stock             int    `dynamodbav:"stock"`
	LimitPerHousehold int    `dynamodbav:"limitPerHousehold"`
	Paused            bool   `dynamodbav:"paused"`
	UpdatedAt         string `dynamodbav:"updatedAt"`
	Version           int    `dynamodbav:"version"`
}

func toCatalogueItem(it supplies.Item) catalogueItem {
	k, ix := ItemKey(it.ID), ItemsIndex(it.CommunityID, it.ID)
	return catalogueItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, Type: "item"}, ID: it.ID, CommunityID: it.CommunityID,
		MerchantID: it.MerchantID, Name: it.Name, Unit: it.Unit, PriceFen: it.PriceFen, Stock: it.Stock,
		LimitPerHousehold: it.LimitPerHousehold, Paused: it.Paused, UpdatedAt: formatTime(it.UpdatedAt), Version: it.Version}
}

func (it catalogueItem) domain() supplies.Item {
	return supplies.Item{ID: it.ID, CommunityID: it.CommunityID, MerchantID: it.MerchantID, Name: it.Name, Unit: it.Unit,
		PriceFen: it.PriceFen, Stock: it.Stock, LimitPerHousehold: it.LimitPerHousehold, Paused: it.Paused,
		UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version}
}

// CreateItem writes a new item.
func (s *Store) CreateItem(ctx context.Context, it supplies.Item) error {
	return s.putNew(ctx, toCatalogueItem(it))
}

// Item reads an item, consistently.
func (s *Store) Item(ctx context.Context, itemID string) (supplies.Item, error) {
	if !registry.ValidID(itemID) {
		return supplies.Item{}, supplies.ErrItemNotFound
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: ItemKey(itemID).av(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return supplies.Item{}, unavailable(err)
	}
	if out.Item == nil {
		return supplies.Item{}, supplies.ErrItemNotFound
	}
	var it catalogueItem
	if err := readRecord(out.Item, &it); err != nil {
		return supplies.Item{}, err
	}
	return it.domain(), nil
}

// Items lists a community's catalogue (GSI1), by name.
func (s *Store) Items(ctx context.Context, cid string) ([]supplies.Item, error) {
	out := []supplies.Item{}
	err := s.queryIndex(ctx, "GSI1", ItemsIndex(cid, "").PK, "", func(av map[string]types.AttributeValue) error {
		var it catalogueItem
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out = append(out, it.domain())
		return nil
	})
	sortItems(out)
	return out, err
}

func sortItems(items []supplies.Item) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && registry.NaturalLess(items[j].Name, items[j-1].Name); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// UpdateItem writes staff's change at the version it was read; the stock is
// set (setStock) or added to (addStock), never read and written back, so
// orders taken meanwhile are not lost.
func (s *Store) UpdateItem(ctx context.Context, it supplies.Item, readVersion, addStock int, setStock bool) (supplies.Item, error) {
	vals := map[string]types.AttributeValue{
		":name": str(it.Name), ":unit": str(it.Unit), ":price": n64(it.PriceFen), ":merchant": str(it.MerchantID),
		":limit": n64(it.LimitPerHousehold), ":paused": &types.AttributeValueMemberBOOL{Value: it.Paused}, ":at": str(formatTime(it.UpdatedAt)),
		":v": n64(it.Version), ":read": n64(readVersion),
	}
	expr := "SET #n = :name, #u = :unit, priceFen = :price, merchantId = :merchant, limitPerHousehold = :limit, paused = :paused, updatedAt = :at, version = :v"
	switch {
	case setStock:
		expr += ", stock = :stock"
		vals[":stock"] = n64(it.Stock)
	case addStock != 0:
		expr += " ADD stock :add"
		vals[":add"] = n64(addStock)
	}
	cond := "version = :read"
	switch {
	case !setStock && addStock < 0:
		// Taking stock away (a count found less) cannot go below nothing.
		cond += " AND stock >= :need"
		vals[":need"] = n64(-addStock)
	case !setStock && addStock > 0:
		cond += " AND stock <= :room"
		vals[":room"] = n64(supplies.MaxStock - addStock)
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: ItemKey(it.ID).av(),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#n": "name", "#u": "unit"},
		ExpressionAttributeValues: vals, ReturnValues: types.ReturnValueAllNew})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		now, rerr := s.Item(ctx, it.ID)
		if rerr == nil && now.Version == readVersion && addStock > 0 {
			return supplies.Item{}, supplies.ErrStockCeiling
		}
		if rerr == nil && now.Version == readVersion {
			return supplies.Item{}, supplies.ErrOutOfStock // what is left is less than what is taken away
		}
		return supplies.Item{}, supplies.ErrItemChanged
	}
	if err != nil {
		return supplies.Item{}, unavailable(err)
	}
	var saved catalogueItem
	if err := readRecord(out.Attributes, &saved); err != nil {
		return supplies.Item{}, err
	}
	return saved.domain(), nil
}

type orderItem struct {
	keys
	ID          string        `dynamodbav:"id"`
	CommunityID string        `dynamodbav:"communityId"`
	HouseholdID string        `dynamodbav:"householdId"`
	BuildingID  string        `dynamodbav:"buildingId"`
	PlacedBy    string        `dynamodbav:"placedBy"`
	Lines       []orderLine   `dynamodbav:"lines"`
	TotalFen    int           `dynamodbav:"totalFen"`
	Note        string        `dynamodbav:"note"`
	Status      string        `dynamodbav:"status"`
	History     []orderChange `dynamodbav:"history"`
	DelivererID string        `dynamodbav:"delivererId,omitempty"`
	CreatedAt   string        `dynamodbav:"createdAt"`
	Day         string        `dynamodbav:"day"`
	DoorCode    string        `dynamodbav:"doorCode"`
	CodeTries   int           `dynamodbav:"codeTries"`
	// Limited are the items whose daily limit the order counted against.
	Limited []string `dynamodbav:"limited,omitempty"`
}

// orderLine and orderChange keep the attribute names an earlier version
// gave them (its Go field names): its orders read on.
type orderLine struct {
	ItemID     string `dynamodbav:"ItemID"`
	MerchantID string `dynamodbav:"MerchantID"`
	Name       string `dynamodbav:"Name"`
	Unit       string `dynamodbav:"Unit"`
	PriceFen   int    `dynamodbav:"PriceFen"`
	Quantity   int    `dynamodbav:"Quantity"`
}

type orderChange struct {
	Status      string `dynamodbav:"Status"`
	At          when   `dynamodbav:"At"`
	By          string `dynamodbav:"By"`
	Reason      string `dynamodbav:"Reason"`
	WithoutCode bool   `dynamodbav:"WithoutCode,omitempty"`
}

func toOrderChange(c supplies.Change) orderChange {
	return orderChange{Status: c.Status, At: stamp(c.At), By: c.By, Reason: c.Reason, WithoutCode: c.WithoutCode}
}

func (it orderItem) domain() supplies.Order {
	o := supplies.Order{ID: it.ID, CommunityID: it.CommunityID, HouseholdID: it.HouseholdID, BuildingID: it.BuildingID,
		PlacedBy: it.PlacedBy, TotalFen: it.TotalFen, Note: it.Note, Status: it.Status,
		DelivererID: it.DelivererID, CreatedAt: parseTime(it.CreatedAt), Day: it.Day, DoorCode: it.DoorCode, CodeTries: it.CodeTries,
		Limited: it.Limited, Lines: []supplies.Line{}, History: []supplies.Change{}}
	for _, l := range it.Lines {
		o.Lines = append(o.Lines, supplies.Line{ItemID: l.ItemID, MerchantID: l.MerchantID, Name: l.Name, Unit: l.Unit,
			PriceFen: l.PriceFen, Quantity: l.Quantity})
	}
	for _, c := range it.History {
		o.History = append(o.History, supplies.Change{Status: c.Status, At: c.At.time(), By: c.By, Reason: c.Reason, WithoutCode: c.WithoutCode})
	}
	return o
}

// PlaceOrder writes the order in one TransactWriteItems: a check that the
// zone that makes the household sealed or controlled (its building's, its
// unit's or its own, whichever is strictest) still does; the order; for each line the item's
// stock taken at the version the price was read at; for each limited item
// the household's counter of the day, which may not pass the limit.
// Cancellation reasons say which failed.
func (s *Store) PlaceOrder(ctx context.Context, o supplies.Order, items map[string]supplies.Item) error {
	if o.ZoneScope == "" {
		return supplies.ErrNotInZone
	}
	zone := ZoneKey(o.CommunityID, o.ZoneScope)
	k := OrderKey(o.ID)

	ix := OrderStatusIndex(o.CommunityID, o.Status, o.BuildingID, o.CreatedAt, o.ID)
	hx := HouseholdOrdersIndex(o.HouseholdID, o.CreatedAt, o.ID)
	it := orderItem{keys: keys{PK: k.PK, SK: k.SK, GSI1PK: ix.PK, GSI1SK: ix.SK, GSI2PK: hx.PK, GSI2SK: hx.SK, Type: "order"},
		ID: o.ID, CommunityID: o.CommunityID, HouseholdID: o.HouseholdID, BuildingID: o.BuildingID, PlacedBy: o.PlacedBy,
		TotalFen: o.TotalFen, Note: o.Note, Status: o.Status, CreatedAt: formatTime(o.CreatedAt),
		Day: o.Day, DoorCode: o.DoorCode}
	for _, l := range o.Lines {
		it.Lines = append(it.Lines, orderLine{ItemID: l.ItemID, MerchantID: l.MerchantID, Name: l.Name, Unit: l.Unit,
			PriceFen: l.PriceFen, Quantity: l.Quantity})
	}
	for _, c := range o.History {
		it.History = append(it.History, toOrderChange(c))
	}
	for _, l := range o.Lines {
		if items[l.ItemID].LimitPerHousehold > 0 {
			it.Limited = append(it.Limited, l.ItemID)
		}
	}
	av, err := record(it)
	if err != nil {
		return err
	}
	tx := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: zone.av(),
			ConditionExpression:       aws.String("#l IN (:sealed, :controlled)"),
			ExpressionAttributeNames:  map[string]string{"#l": "level"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":sealed": str("sealed"), ":controlled": str("controlled")}}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}
	type slot struct {
		line  int
		limit bool
	}
	slots := []slot{{-1, false}, {-1, false}}
	for i, l := range o.Lines {
		item := items[l.ItemID]
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: ItemKey(l.ItemID).av(),
			UpdateExpression:    aws.String("ADD stock :take"),
			ConditionExpression: aws.String("communityId = :cid AND version = :v AND paused = :no AND stock >= :q"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":take": n64(-l.Quantity), ":cid": str(o.CommunityID),
				":v": n64(item.Version), ":no": &types.AttributeValueMemberBOOL{Value: false}, ":q": n64(l.Quantity)}}})
		slots = append(slots, slot{i, false})
		if item.LimitPerHousehold > 0 {
			tx = append(tx, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table),
				Key:                      LimitKey(o.HouseholdID, o.Day, l.ItemID).av(),
				UpdateExpression:         aws.String("ADD #c :q SET expiresAt = :exp, #t = :type"),
				ConditionExpression:      aws.String("attribute_not_exists(#c) OR #c <= :max"),
				ExpressionAttributeNames: map[string]string{"#c": "count", "#t": "type"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":q": n64(l.Quantity), ":max": n64(item.LimitPerHousehold - l.Quantity),
					":exp": n(o.CreatedAt.Add(limitTTL).Unix()), ":type": str("limit")}}})
			slots = append(slots, slot{i, true})
		}
	}
	err = s.transact(ctx, tx)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 1) {
		return supplies.ErrOrderExists // placed before with this Idempotency-Key
	}
	if errors.As(err, &tce) {
		for i := range tx {
			if !failed(tce, i) {
				continue
			}
			switch sl := slots[i]; {
			case i == 0:
				return supplies.ErrNotInZone
			case sl.limit:
				return &supplies.LineError{Index: sl.line, Err: supplies.ErrLimitExceeded}
			default:
				return &supplies.LineError{Index: sl.line, Err: supplies.ErrItemCondition}
			}
		}
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Order reads an order.
func (s *Store) Order(ctx context.Context, orderID string) (supplies.Order, error) {
	if !registry.ValidID(orderID) {
		return supplies.Order{}, supplies.ErrOrderNotFound
	}
	var it orderItem
	err := s.get(ctx, OrderKey(orderID), &it)
	if errors.Is(err, errNotFound) {
		return supplies.Order{}, supplies.ErrOrderNotFound
	}
	if err != nil {
		return supplies.Order{}, err
	}
	return it.domain(), nil
}

// HouseholdOrders lists a household's latest orders, newest first (GSI2).
func (s *Store) HouseholdOrders(ctx context.Context, hid string, limit int) ([]supplies.Order, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("GSI2"),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(HouseholdOrdersIndex(hid, time.Time{}, "").PK)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, unavailable(err)
	}
	return ordersOf(out.Items)
}

func ordersOf(avs []map[string]types.AttributeValue) ([]supplies.Order, error) {
	orders := []supplies.Order{}
	for _, av := range avs {
		var it orderItem
		if err := readRecord(av, &it); err != nil {
			return nil, err
		}
		orders = append(orders, it.domain())
	}
	return orders, nil
}

// OrdersByStatus lists a community's orders in a status, of a building when
// given: one Query of the status's partition of GSI1 (its building's range).
func (s *Store) OrdersByStatus(ctx context.Context, cid, status, buildingID string) ([]supplies.Order, error) {
	prefix := ""
	if buildingID != "" {
		prefix = buildingID + "#"
	}
	var avs []map[string]types.AttributeValue
	err := s.queryIndex(ctx, "GSI1", OrderStatusIndex(cid, status, "", time.Time{}, "").PK, prefix, func(av map[string]types.AttributeValue) error {
		avs = append(avs, av)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ordersOf(avs)
}

// MoveOrder takes an order from one status to another in one transaction: the
// order (only if still in from) with its change and its place in the status
// index; on a cancellation, its items' stock back and, the same day, the
// household's limits.
func (s *Store) MoveOrder(ctx context.Context, o supplies.Order, from string, c supplies.Change, delivererID string, pending *dispatch.Pending) error {
	ix := OrderStatusIndex(o.CommunityID, c.Status, o.BuildingID, o.CreatedAt, o.ID)
	change, err := attributevalue.MarshalList([]orderChange{toOrderChange(c)})
	if err != nil {
		return err
	}
	vals := map[string]types.AttributeValue{":to": str(c.Status), ":from": str(from), ":c": &types.AttributeValueMemberL{Value: change},
		":gpk": str(ix.PK)}
	expr := "SET #s = :to, history = list_append(history, :c), GSI1PK = :gpk"
	switch {
	case delivererID != "":
		expr += ", delivererId = :d"
		vals[":d"] = str(delivererID)
	case c.Status == supplies.StatusPurchasing:
		expr += " REMOVE delivererId" // back from the door: nobody's to deliver
	}
	tx := []types.TransactWriteItem{{Update: &types.Update{TableName: aws.String(s.Table), Key: OrderKey(o.ID).av(),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("#s = :from"),
		ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: vals}}}
	if c.Status == supplies.StatusCancelled {
		// A day's limits matter that day only: an order cancelled later
		// gives back its stock, not a past day's counts.
		sameDay := o.Day == c.At.In(chinatime.Zone).Format(time.DateOnly)
		for _, l := range o.Lines {
			tx = append(tx, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: ItemKey(l.ItemID).av(),
				UpdateExpression: aws.String("ADD stock :q"), ConditionExpression: aws.String("attribute_exists(PK)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":q": n64(l.Quantity)}}})
			if sameDay && slices.Contains(o.Limited, l.ItemID) {
				tx = append(tx, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table),
					Key:                       LimitKey(o.HouseholdID, o.Day, l.ItemID).av(),
					UpdateExpression:          aws.String("ADD #c :back"),
					ConditionExpression:       aws.String("#c >= :q"),
					ExpressionAttributeNames:  map[string]string{"#c": "count"},
					ExpressionAttributeValues: map[string]types.AttributeValue{":back": n64(-l.Quantity), ":q": n64(l.Quantity)}}})
			}
		}
	}
	if tx, err = s.withPending(tx, pending); err != nil {
		return err
	}
	err = s.transact(ctx, tx)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && failed(tce, 0) {
		return supplies.ErrOrderChanged
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// CountCodeTry counts a door-code try unless max are counted already.
func (s *Store) CountCodeTry(ctx context.Context, orderID string, max int) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: OrderKey(orderID).av(),
		UpdateExpression: aws.String("ADD codeTries :one"), ConditionExpression: aws.String("attribute_exists(PK) AND (attribute_not_exists(codeTries) OR codeTries < :max)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n64(1), ":max": n64(max)}})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// LimitsUsed reads a household's counters of a day: one Query.
func (s *Store) LimitsUsed(ctx context.Context, hid, day string) (map[string]int, error) {
	out := map[string]int{}
	err := s.queryPrefix(ctx, LimitKey(hid, "", "").PK, day+"#", func(av map[string]types.AttributeValue) error {
		var it struct {
			SK    string `dynamodbav:"SK"`
			Count int    `dynamodbav:"count"`
		}
		if err := readRecord(av, &it); err != nil {
			return err
		}
		out[strings.TrimPrefix(it.SK, day+"#")] = it.Count
		return nil
	})
	return out, err
}
