// Package supplies runs the community's supply orders for sealed homes
// (物资保障, 送货到府): a catalogue of merchants' items with stock and
// per-household daily limits; orders from households in sealed and
// controlled buildings, taken in one DynamoDB transaction with their stock
// and limits; the purchase list per merchant and the pick list per building;
// delivery to the door, handed over against a code the household shows.
package supplies

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/zone"
)

// Order statuses, in the order an order goes through them.
const (
	StatusPlaced         = "placed"
	StatusAccepted       = "accepted"
	StatusPurchasing     = "purchasing"
	StatusOutForDelivery = "out_for_delivery"
	StatusDelivered      = "delivered"
	StatusConfirmed      = "confirmed"
	StatusCancelled      = "cancelled"
)

// Statuses lists every status.
var Statuses = []string{StatusPlaced, StatusAccepted, StatusPurchasing, StatusOutForDelivery, StatusDelivered, StatusConfirmed, StatusCancelled}

// next is the lifecycle: the statuses an order may go to from each.
var next = map[string][]string{
	StatusPlaced:         {StatusAccepted, StatusCancelled},
	StatusAccepted:       {StatusPurchasing, StatusCancelled},
	StatusPurchasing:     {StatusOutForDelivery, StatusCancelled},
	StatusOutForDelivery: {StatusDelivered, StatusConfirmed, StatusCancelled},
	StatusDelivered:      {StatusConfirmed},
}

// Merchant sells items to the community.
type Merchant struct {
	ID          string    `json:"id"`
	CommunityID string    `json:"communityId"`
	Name        string    `json:"name"`
	Phone       string    `json:"phone"`
	CreatedAt   time.Time `json:"createdAt"`
}

// Item is one thing households can order.
type Item struct {
	ID          string `json:"id"`
	CommunityID string `json:"communityId"`
	MerchantID  string `json:"merchantId"`
	Name        string `json:"name"`
	Unit        string `json:"unit"`
	PriceFen    int    `json:"priceFen"`
	Stock       int    `json:"stock"`
	// LimitPerHousehold bounds what one household orders of it a day
	// (Beijing time); 0 is no limit.
	LimitPerHousehold int       `json:"limitPerHousehold"`
	Paused            bool      `json:"paused"`
	UpdatedAt         time.Time `json:"updatedAt"`
	// Version counts staff's changes (not stock taken by orders): an order
	// is taken only at the version its price and limit were read at.
	Version int `json:"version"`
}

// Line is one item of an order, at the price it was ordered at.
type Line struct {
	ItemID     string `json:"itemId"`
	MerchantID string `json:"merchantId"`
	Name       string `json:"name"`
	Unit       string `json:"unit"`
	PriceFen   int    `json:"priceFen"`
	Quantity   int    `json:"quantity"`
}

// Change is one step of an order's life: who moved it where, and when.
type Change struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
	// WithoutCode marks a hand-over without the household's door code
	// (Reason says why): the household sees it, and it is audited.
	WithoutCode bool `json:"withoutCode,omitempty"`
}

// OwnOrder is an order as its household sees it: with the door code.
type OwnOrder struct {
	Order
	DoorCode string `json:"doorCode,omitempty"`
}

// Theirs is o as its own household sees it.
func (o Order) Theirs() OwnOrder { return OwnOrder{Order: o, DoorCode: o.DoorCode} }

// ShownTo is o as p may see it: the household's own view for its members,
// the order without its door code for anyone else.
func ShownTo(p auth.Principal, o Order) any {
	if auth.OwnHousehold(p, o.HouseholdID) {
		return o.Theirs()
	}
	return o
}

// Order is a household's order.
type Order struct {
	ID          string   `json:"id"`
	CommunityID string   `json:"communityId"`
	HouseholdID string   `json:"householdId"`
	BuildingID  string   `json:"buildingId"`
	PlacedBy    string   `json:"placedBy"`
	Lines       []Line   `json:"lines"`
	TotalFen    int      `json:"totalFen"`
	Note        string   `json:"note"`
	Status      string   `json:"status"`
	History     []Change `json:"history"`
	// DelivererID is the volunteer or staff member taking it to the door.
	DelivererID string    `json:"delivererId,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	// Day is the Beijing day of the order, which its limits count against.
	Day string `json:"day"`
	// DoorCode is what the household shows at the door. It is never in an
	// order's JSON: only the household's own view (Theirs) shows it, so no
	// staff answer or export can carry it.
	DoorCode  string `json:"-"`
	CodeTries int    `json:"-"`
	// Limited are the items whose daily limit the order counts against.
	Limited []string `json:"-"`
	// ZoneScope is the zone that lets the household order (its
	// building's, its unit's or its own): the order's transaction checks
	// it is still sealed or controlled.
	ZoneScope string `json:"-"`
}

// Ref is the short reference of an order that people read out and SMS name.
func (o Order) Ref() string { return Ref(o.ID) }

// Ref is the last six characters of an order id, upper-cased.
func Ref(orderID string) string {
	if len(orderID) < 6 {
		return ""
	}
	out := []byte(orderID[len(orderID)-6:])
	for i, c := range out {
		if c >= 'a' && c <= 'z' {
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// Store is what supplies need of storage.
type Store interface {
	CreateMerchant(ctx context.Context, m Merchant) error
	Merchants(ctx context.Context, communityID string) ([]Merchant, error)
	CreateItem(ctx context.Context, it Item) error
	// Item reads an item, consistently; ErrItemNotFound.
	Item(ctx context.Context, itemID string) (Item, error)
	Items(ctx context.Context, communityID string) ([]Item, error)
	// UpdateItem writes staff's change of an item at the version it was
	// read (ErrItemChanged when it changed since); addStock is added to the
	// stock as it is then (orders keep taking from it meanwhile).
	UpdateItem(ctx context.Context, it Item, readVersion, addStock int, setStock bool) (Item, error)
	// PlaceOrder writes the order, takes its stock and counts its limits in
	// one transaction, only while the building is sealed or controlled.
	PlaceOrder(ctx context.Context, o Order, items map[string]Item) error
	// Order reads an order; ErrOrderNotFound.
	Order(ctx context.Context, orderID string) (Order, error)
	HouseholdOrders(ctx context.Context, householdID string, limit int) ([]Order, error)
	// OrdersByStatus lists a community's orders in a status, of one
	// building when buildingID is set, oldest first.
	OrdersByStatus(ctx context.Context, communityID, status, buildingID string) ([]Order, error)
	// MoveOrder takes an order from one status to another, recording the
	// change; a cancellation gives back its stock and limits in the same
	// transaction. ErrOrderChanged when it is no longer in from.
	MoveOrder(ctx context.Context, o Order, from string, c Change, delivererID string, pending *dispatch.Pending) error
	// CountCodeTry counts a door-code try, before it is compared; false
	// (nothing counted) when max were counted already.
	CountCodeTry(ctx context.Context, orderID string, max int) (bool, error)
	// LimitsUsed is what a household ordered of each limited item on a day.
	LimitsUsed(ctx context.Context, householdID, day string) (map[string]int, error)
}

// Directory is what supplies read of the registry.
type Directory interface {
	auth.StreetResolver
	Household(ctx context.Context, householdID string) (registry.Household, []registry.Resident, error)
	BuildingHouseholds(ctx context.Context, buildingID string) ([]registry.Household, error)
}

// Accounts finds who signs in with a phone.
type Accounts interface {
	AccountByPhone(ctx context.Context, phone string) (auth.Account, error)
}

// Errors of supplies.
var (
	ErrMerchantNotFound = apperr.New(apperr.KindNotFound, "MERCHANT_NOT_FOUND", "商家不存在", "No such merchant")
	ErrItemNotFound     = apperr.New(apperr.KindNotFound, "ITEM_NOT_FOUND", "物品不存在", "No such item")
	ErrItemChanged      = apperr.New(apperr.KindConflict, "ITEM_CHANGED", "物品信息已被他人修改，请刷新后重试", "The item changed meanwhile: read it again")
	ErrStockCeiling     = apperr.New(apperr.KindConflict, "STOCK_CEILING", "库存不能超过1000000", "The stock cannot pass 1,000,000")
	ErrItemPaused       = apperr.New(apperr.KindConflict, "ITEM_PAUSED", "该物品已暂停供应", "This item is paused")
	ErrOutOfStock       = apperr.New(apperr.KindConflict, "OUT_OF_STOCK", "库存不足", "Not enough in stock")
	ErrLimitExceeded    = apperr.New(apperr.KindConflict, "LIMIT_EXCEEDED", "超出每户每日限购数量", "Over the daily limit per household")
	ErrNotInZone        = apperr.New(apperr.KindForbidden, "NOT_IN_ZONE", "仅封控区、管控区住户可下单", "Only households of sealed and controlled buildings can order")
	ErrOrderNotFound    = apperr.New(apperr.KindNotFound, "ORDER_NOT_FOUND", "订单不存在", "No such order")
	ErrOrderChanged     = apperr.New(apperr.KindConflict, "ORDER_CHANGED", "订单状态已变化，请刷新后重试", "The order changed meanwhile: read it again")
	ErrBadTransition    = apperr.New(apperr.KindConflict, "INVALID_TRANSITION", "订单当前状态不允许此操作", "The order cannot go to that status from where it is")
	ErrWrongDoorCode    = apperr.New(apperr.KindInvalid, "WRONG_DOOR_CODE", "取货码不正确", "Wrong door code")
	ErrDoorCodeLocked   = apperr.New(apperr.KindConflict, "DOOR_CODE_LOCKED", "取货码错误次数过多，请住户在小程序确认收货或联系社区", "Too many wrong door codes: the household confirms in the app, or call the community")
	ErrNotADeliverer    = apperr.New(apperr.KindInvalid, "NOT_A_DELIVERER", "该手机号不是本社区的志愿者或工作人员", "That phone is not a volunteer or staff member of this community")
	ErrNothingToDeliver = apperr.New(apperr.KindConflict, "NOTHING_TO_DELIVER", "该楼栋没有待配送（采购中）的订单", "The building has no orders being purchased to deliver")
)

// LineError says which line of an order failed and why.
type LineError struct {
	Index int
	Err   error
	// Available is what is left of the item (stock, or today's limit).
	Available int
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Index, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Service runs the catalogue, orders and deliveries.
type Service struct {
	Store     Store
	Directory Directory
	Accounts  Accounts
	// Outbox sends what tells households who signed in only by SMS of each
	// change of their orders (within opt-outs and a daily share per phone),
	// written with the change.
	Outbox *dispatch.Outbox
	// Audit records hand-overs without the door code.
	Audit interface {
		Action(ctx context.Context, p auth.Principal, communityID, op string, ids map[string]string) (func(status int), error)
	}
	Now func() time.Time

	// items caches the catalogue briefly, so an order is one DynamoDB
	// request; a stale entry fails the order's version condition and is
	// read again.
	items sync.Map
	// Zones reads a building's zones, whole and finer; zones caches them
	// briefly as items are (a stale zone fails the order's check and is
	// read again; no zone is believed without reading the table).
	Zones ZoneReader
	zones sync.Map
}

// ZoneReader reads a building's zones (notices.Store's, in one Query).
type ZoneReader interface {
	BuildingZones(ctx context.Context, communityID, buildingID string) ([]zone.Zone, error)
}

type cachedZones struct {
	zones []zone.Zone
	at    time.Time
}

// zoneOf is the zone that makes a household sealed or controlled ("" when
// none does): the strictest covering it.
func (s *Service) zoneOf(ctx context.Context, cid, householdID string, fresh bool) (string, error) {
	bid := registry.BuildingOf(householdID)
	key := cid + "/" + bid
	var zones []zone.Zone
	if c, ok := s.zones.Load(key); ok && !fresh && time.Since(c.(cachedZones).at) < itemTTL {
		zones = c.(cachedZones).zones
	} else {
		var err error
		if zones, err = s.Zones.BuildingZones(ctx, cid, bid); err != nil {
			return "", err
		}
		s.zones.Store(key, cachedZones{zones: zones, at: time.Now()})
	}
	h := registry.Household{ID: householdID, BuildingID: bid}
	if zone.NeedsUnit(zones) {
		var err error
		if h, _, err = s.Directory.Household(ctx, householdID); err != nil {
			return "", err
		}
	}
	z, ok := zone.Strictest(zones, h)
	if !ok || !zone.Restricted(z.Level) {
		return "", nil
	}
	return z.ScopeID(), nil
}

// itemTTL is how long an item read for orders is trusted.
const itemTTL = 10 * time.Second

type cachedItem struct {
	item Item
	at   time.Time
}
