package supplies

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/metrics"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
)

// Bounds of an order.
const (
	MaxLines    = 20
	MaxQuantity = 99
	// MaxCodeTries is how many wrong door codes an order takes before only
	// the household (in the app) can confirm it.
	MaxCodeTries = 5
)

// OrderLineInput is one line of an order's body.
type OrderLineInput struct {
	ItemID   string `json:"itemId"`
	Quantity int    `json:"quantity"`
	// PriceFen, when given, is the price the household saw: the order is
	// refused (ITEM_CHANGED) rather than charged at another.
	PriceFen *int `json:"priceFen"`
}

// OrderInput is the body that places an order.
type OrderInput struct {
	Lines []OrderLineInput `json:"lines"`
	Note  string           `json:"note"`
}

// ErrItemCondition is a store's word for an item line whose condition
// failed (stock, pause or version): the service reads the item to say which.
var ErrItemCondition = errors.New("supplies: an item's condition failed")

// ErrOrderExists is a store's word for an order id taken: the order of an
// Idempotency-Key was placed before (its answer perhaps lost on the way).
var ErrOrderExists = errors.New("supplies: the order exists")

// ErrKeyReused is an Idempotency-Key the household used for another order.
var ErrKeyReused = apperr.New(apperr.KindIdempotencyMismatch, "IDEMPOTENCY_KEY_REUSED", "该请求标识已用于另一个请求", "This Idempotency-Key was used for another request")

// orderID is the id of an order: random, or with an Idempotency-Key the
// same for the same person and key (keys are each person's own, as on
// every route), so that a request tried again after its answer was lost
// finds the order it placed instead of placing another.
func orderID(userID, key string) string {
	if key == "" {
		return registry.NewID("o")
	}
	sum := sha256.Sum256([]byte(userID + "\x00" + key))
	return "o" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))[:12]
}

// PlaceOrder takes a household's order: one DynamoDB transaction writes it,
// takes each item's stock and counts the household's daily limits, and only
// while the household's building is sealed or controlled. With the catalogue
// cached it is the request's only DynamoDB call.
func (s *Service) PlaceOrder(ctx context.Context, p auth.Principal, cid string, in OrderInput, key string) (Order, error) {
	if !p.Has(manifest.RoleResident) || p.ResidentCommunityID != cid || p.HouseholdID == "" {
		return Order{}, apperr.Forbidden.Wrap(errors.New("only a household orders for itself"))
	}
	req, err := readOrder(in)
	if err != nil {
		return Order{}, err
	}
	quantities, seen, order, note := req.quantities, req.prices, req.items, req.note
	now := chinatime.In(s.Now())
	o := Order{ID: orderID(p.UserID, key), CommunityID: cid, HouseholdID: p.HouseholdID, BuildingID: registry.BuildingOf(p.HouseholdID),
		PlacedBy: p.UserID, Note: note, Status: StatusPlaced, CreatedAt: now, Day: s.day(), DoorCode: doorCode(),
		History: []Change{{Status: StatusPlaced, At: now, By: p.UserID}}}
	// The zone is read from the cache; a refusal never is: "not in a zone"
	// is asked of the table before it is answered.
	if o.ZoneScope, err = s.zoneOf(ctx, cid, p.HouseholdID, false); err == nil && o.ZoneScope == "" {
		o.ZoneScope, err = s.zoneOf(ctx, cid, p.HouseholdID, true)
	}
	if err != nil {
		return Order{}, err
	}
	if o.ZoneScope == "" {
		return Order{}, ErrNotInZone
	}
	freshZone := false
	fresh := false
	for attempt := 0; ; attempt++ {
		items := map[string]Item{}
		o.Lines, o.TotalFen = nil, 0
		for i, id := range order {
			it, err := s.item(ctx, id, fresh)
			if errors.Is(err, ErrItemNotFound) || (err == nil && it.CommunityID != cid) {
				return Order{}, apperr.Validation.WithFields(apperr.FieldError{Field: fmt.Sprintf("lines[%d].itemId", i), Reason: "no such item in this community"})
			}
			if err != nil {
				return Order{}, err
			}
			q := quantities[id]
			if want, ok := seen[id]; ok && want != it.PriceFen {
				if !fresh { // the cache may be behind: ask the table before refusing
					fresh = true
					break
				}
				return Order{}, ErrItemChanged.WithFields(apperr.FieldError{Field: fmt.Sprintf("lines[%d].priceFen", i), Reason: fmt.Sprintf("the price is now %d", it.PriceFen)})
			}
			if code, available := orderable(it, q); code != nil {
				if !fresh { // the cache may be behind: ask the table before refusing
					fresh = true
					break
				}
				return Order{}, s.lineError(code, i, available)
			}
			items[id] = it
			o.Lines = append(o.Lines, Line{ItemID: id, MerchantID: it.MerchantID, Name: it.Name, Unit: it.Unit, PriceFen: it.PriceFen, Quantity: q})
			o.TotalFen += it.PriceFen * q
		}
		if len(items) < len(order) {
			continue // read again, fresh
		}
		err := s.Store.PlaceOrder(ctx, o, items)
		var le *LineError
		switch {
		case err == nil:
			metrics.Count(metrics.Orders, 1)
			return o, nil
		case errors.Is(err, ErrOrderExists):
			return s.placedBefore(ctx, o, quantities)
		case errors.Is(err, ErrNotInZone) && !freshZone:
			// The cached zone was released meanwhile: ask the table.
			freshZone = true
			if o.ZoneScope, err = s.zoneOf(ctx, cid, p.HouseholdID, true); err != nil {
				return Order{}, err
			}
			if o.ZoneScope == "" {
				return Order{}, ErrNotInZone
			}
			continue
		case errors.As(err, &le) && errors.Is(le.Err, ErrLimitExceeded):
			used, uerr := s.Store.LimitsUsed(ctx, o.HouseholdID, o.Day)
			if uerr != nil {
				return Order{}, uerr
			}
			it := items[o.Lines[le.Index].ItemID]
			return Order{}, s.lineError(ErrLimitExceeded, le.Index, max(it.LimitPerHousehold-used[it.ID], 0))
		case errors.As(err, &le) && errors.Is(le.Err, ErrItemCondition) && attempt < 2:
			fresh = true // a stale price, limit or pause, or stock taken: read again
			continue
		case errors.As(err, &le) && errors.Is(le.Err, ErrItemCondition):
			it, ierr := s.item(ctx, o.Lines[le.Index].ItemID, true)
			if ierr != nil {
				return Order{}, ierr
			}
			return Order{}, s.lineError(ErrOutOfStock, le.Index, max(it.Stock, 0))
		}
		return Order{}, err
	}
}

// orderRequest is an order as asked for, checked: the quantity of each item
// (lines of one item counted as one), the prices the household saw, the
// items in the order first asked, and the note.
type orderRequest struct {
	quantities map[string]int
	prices     map[string]int
	items      []string
	note       string
}

// readOrder checks what a household asks to order, before anything is read:
// 1 to MaxLines lines, each of a well-formed item and a quantity of 1 to
// MaxQuantity (an item over several lines within it too), a short note.
func readOrder(in OrderInput) (orderRequest, error) {
	var fields []apperr.FieldError
	if len(in.Lines) == 0 || len(in.Lines) > MaxLines {
		fields = append(fields, apperr.FieldError{Field: "lines", Reason: fmt.Sprintf("%d to %d items", 1, MaxLines)})
	}
	req := orderRequest{quantities: map[string]int{}, prices: map[string]int{}}
	for i, l := range in.Lines {
		if l.PriceFen != nil {
			req.prices[l.ItemID] = *l.PriceFen
		}
		if !registry.ValidID(l.ItemID) {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("lines[%d].itemId", i), Reason: "required"})
		}
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("lines[%d].quantity", i), Reason: fmt.Sprintf("from %d to %d", 1, MaxQuantity)})
		}
		if _, seen := req.quantities[l.ItemID]; !seen {
			req.items = append(req.items, l.ItemID)
		}
		req.quantities[l.ItemID] += l.Quantity
		if q := req.quantities[l.ItemID]; q > MaxQuantity && l.Quantity <= MaxQuantity {
			// The same item on several lines counts as one line.
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("lines[%d].quantity", i), Reason: fmt.Sprintf("from %d to %d", 1, MaxQuantity)})
		}
	}
	note, problem := safetext.Text(in.Note, 200, false)
	if problem != "" {
		fields = append(fields, apperr.FieldError{Field: "note", Reason: string(problem)})
	}
	if len(fields) > 0 {
		return orderRequest{}, apperr.Validation.WithFields(fields...)
	}
	req.note = note
	return req, nil
}

// placedBefore answers a request whose order its key placed before: the
// same order when it is the same request, 422 when the key was used for
// another.
func (s *Service) placedBefore(ctx context.Context, o Order, quantities map[string]int) (Order, error) {
	prev, err := s.Store.Order(ctx, o.ID)
	if err != nil {
		return Order{}, err
	}
	same := prev.HouseholdID == o.HouseholdID && len(prev.Lines) == len(quantities)
	for _, l := range prev.Lines {
		same = same && quantities[l.ItemID] == l.Quantity
	}
	if !same {
		return Order{}, ErrKeyReused
	}
	return prev, nil
}

// orderable says why an item cannot be ordered in quantity q, if it
// cannot, and how many could be.
func orderable(it Item, q int) (*apperr.Error, int) {
	switch {
	case it.Paused:
		return ErrItemPaused, 0
	case it.Stock < q:
		return ErrOutOfStock, max(it.Stock, 0)
	case it.LimitPerHousehold > 0 && q > it.LimitPerHousehold:
		return ErrLimitExceeded, it.LimitPerHousehold
	}
	return nil, 0
}

// lineError is err with the line it is about and what is left.
func (s *Service) lineError(err *apperr.Error, line, available int) error {
	return err.WithFields(apperr.FieldError{Field: fmt.Sprintf("lines[%d].quantity", line), Reason: fmt.Sprintf("at most %d", available)})
}

// doorCode is the 4 digits a household shows at the door.
func doorCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(10000))
	if err != nil {
		panic(err) // crypto/rand does not fail on the platforms Go runs on
	}
	return fmt.Sprintf("%04d", n.Int64())
}

// HouseholdOrders are the caller's household's latest orders, door codes
// included.
func (s *Service) HouseholdOrders(ctx context.Context, p auth.Principal) ([]Order, error) {
	if !p.Has(manifest.RoleResident) || p.HouseholdID == "" {
		return nil, apperr.Forbidden
	}
	out, err := s.Store.HouseholdOrders(ctx, p.HouseholdID, 50)
	if out == nil {
		out = []Order{}
	}
	return out, err
}

// Order reads one order: for its household (with the door code), its
// community's staff and its deliverer.
func (s *Service) Order(ctx context.Context, p auth.Principal, orderID string) (Order, error) {
	if !registry.ValidID(orderID) {
		return Order{}, ErrOrderNotFound
	}
	o, err := s.Store.Order(ctx, orderID)
	if err != nil {
		return Order{}, err
	}
	household := auth.OwnHousehold(p, o.HouseholdID)
	deliverer := o.DelivererID != "" && o.DelivererID == p.UserID && auth.DeliversIn(p, o.CommunityID)
	if !household && !deliverer && auth.RequireCommunity(ctx, p, o.CommunityID, s.Directory) != nil {
		return Order{}, apperr.Forbidden
	}
	if !household {
		o.DoorCode = ""
	}
	return o, nil
}

// Orders lists a community's orders in a status (of one building when
// given), for its staff; door codes are left out.
func (s *Service) Orders(ctx context.Context, p auth.Principal, cid, status, buildingID string) ([]Order, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return nil, err
	}
	if !slices.Contains(Statuses, status) {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "status", Reason: "one of " + fmt.Sprint(Statuses)})
	}
	out, err := s.Store.OrdersByStatus(ctx, cid, status, buildingID)
	for i := range out {
		out[i].DoorCode = ""
	}
	if out == nil {
		out = []Order{}
	}
	return out, err
}

// StatusInput is the body that moves an order.
type StatusInput struct {
	Status string `json:"status"`
	// Reason is required when staff cancel.
	Reason string `json:"reason"`
	// Code is the household's door code, for delivered.
	Code string `json:"code"`
	// DelivererPhone names who takes it to the door, for out_for_delivery.
	DelivererPhone string `json:"delivererPhone"`
	// WithoutCode hands it over without the door code (the household
	// cannot show it): Reason says why; the household is told, and it is
	// audited.
	WithoutCode bool `json:"withoutCode"`
}

// SetStatus moves an order along its lifecycle. Staff accept it, start the
// purchase, send it out with a deliverer, and may cancel it at any step
// before the door with a reason; the deliverer (or staff) hands it over
// against the household's door code; the household cancels it before the
// purchase starts, and confirms it once it is at the door. A cancellation
// gives back the stock and the household's limits, once.
func (s *Service) SetStatus(ctx context.Context, p auth.Principal, orderID string, in StatusInput) (Order, error) {
	o, err := s.Store.Order(ctx, orderID)
	if err != nil {
		return Order{}, err
	}
	staff := auth.RequireCommunity(ctx, p, o.CommunityID, s.Directory) == nil
	household := auth.OwnHousehold(p, o.HouseholdID)
	deliverer := o.DelivererID != "" && o.DelivererID == p.UserID && auth.DeliversIn(p, o.CommunityID)
	if !staff && !household && !deliverer {
		return Order{}, apperr.Forbidden
	}
	if !slices.Contains(Statuses, in.Status) {
		return Order{}, apperr.Validation.WithFields(apperr.FieldError{Field: "status", Reason: "one of " + fmt.Sprint(Statuses)})
	}
	if !slices.Contains(next[o.Status], in.Status) {
		return Order{}, ErrBadTransition
	}
	reason, problem := safetext.Line(in.Reason, 40, false)
	if problem != "" {
		return Order{}, apperr.Validation.WithFields(apperr.FieldError{Field: "reason", Reason: string(problem)})
	}
	if reason != "" && !sms.PlainText(reason) {
		// The reason goes to the household by SMS: one no carrier takes
		// would leave them untold.
		return Order{}, apperr.Validation.WithFields(apperr.FieldError{Field: "reason", Reason: "not sendable by SMS: no links, phone numbers, brackets or symbols such as ¥ ★ & ※"})
	}
	change := Change{Status: in.Status, At: chinatime.In(s.Now()), By: p.UserID, Reason: reason}
	delivererID := ""
	switch in.Status {
	case StatusAccepted, StatusPurchasing:
		if !staff {
			return Order{}, apperr.Forbidden
		}
	case StatusOutForDelivery:
		if !staff {
			return Order{}, apperr.Forbidden
		}
		if delivererID, err = s.deliverer(ctx, o.CommunityID, in.DelivererPhone); err != nil {
			return Order{}, err
		}
	case StatusDelivered:
		if !staff && !deliverer {
			return Order{}, apperr.Forbidden
		}
		if in.WithoutCode {
			if reason == "" || utf8.RuneCountInString(reason) > 20 {
				return Order{}, apperr.Validation.WithFields(apperr.FieldError{Field: "reason", Reason: "why the household cannot show the code, at most 20 characters"})
			}
			change.WithoutCode = true
			break
		}
		if err := s.checkCode(ctx, o, in.Code); err != nil {
			return Order{}, err
		}
	case StatusConfirmed:
		if !household {
			return Order{}, apperr.Forbidden
		}
	case StatusCancelled:
		switch {
		case staff && !household && reason == "":
			return Order{}, apperr.Validation.WithFields(apperr.FieldError{Field: "reason", Reason: "required"})
		case household && !staff && o.Status != StatusPlaced && o.Status != StatusAccepted:
			return Order{}, ErrBadTransition // the purchase has started: ask the community
		case !staff && !household:
			return Order{}, apperr.Forbidden
		}
		if change.Reason == "" {
			change.Reason = "住户取消"
		}
	}
	if in.WithoutCode && in.Status != StatusDelivered {
		return Order{}, apperr.Validation.WithFields(apperr.FieldError{Field: "withoutCode", Reason: "only for delivered"})
	}
	// A hand-over without the code is the household's word against the
	// deliverer's: it has an audit entry of its own, whoever made it.
	recorded := func(int) {}
	if change.WithoutCode {
		if recorded, err = s.Audit.Action(ctx, p, o.CommunityID, "handOverWithoutCode", map[string]string{"orderId": o.ID}); err != nil {
			return Order{}, err
		}
	}
	news := s.news(ctx, o, change, household)
	if err := s.Store.MoveOrder(ctx, o, o.Status, change, delivererID, news); err != nil {
		recorded(httpapi.StatusOf(err))
		return Order{}, err
	}
	recorded(http.StatusOK)
	s.Outbox.Flush(ctx, news)
	o.Status, o.History = change.Status, append(o.History, change)
	if delivererID != "" {
		o.DelivererID = delivererID
	}
	if o.Status == StatusDelivered {
		metrics.Count(metrics.OrdersDelivered, 1)
	}
	if !household {
		o.DoorCode = "" // only the household sees it
	}
	return o, nil
}

// checkCode compares a door code. Every try is counted before the code is
// compared, so parallel guesses cannot get past the lock: at most
// MaxCodeTries codes are ever compared.
func (s *Service) checkCode(ctx context.Context, o Order, code string) error {
	if o.CodeTries >= MaxCodeTries {
		return ErrDoorCodeLocked
	}
	counted, err := s.Store.CountCodeTry(ctx, o.ID, MaxCodeTries)
	if err != nil {
		return err
	}
	if !counted {
		return ErrDoorCodeLocked
	}
	if code == o.DoorCode && code != "" {
		return nil
	}
	return ErrWrongDoorCode.WithFields(apperr.FieldError{Field: "code", Reason: "the 4 digits the household shows"})
}

// deliverer finds the volunteer or staff member of a community by phone.
func (s *Service) deliverer(ctx context.Context, cid, ph string) (string, error) {
	n, err := phone.Normalize(ph)
	if err != nil {
		return "", apperr.Validation.WithFields(apperr.FieldError{Field: "delivererPhone", Reason: "11-digit mainland mobile number"})
	}
	acct, err := s.Accounts.AccountByPhone(ctx, n)
	if errors.Is(err, auth.ErrNoAccount) {
		return "", ErrNotADeliverer
	}
	if err != nil {
		return "", err
	}
	p := acct.Principal
	if (p.Has(manifest.RoleVolunteer) && p.VolunteerCommunityID == cid) || (p.Has(manifest.RoleStaff) && p.StaffCommunityID == cid) {
		return p.UserID, nil
	}
	return "", ErrNotADeliverer
}

// statusWords are how an SMS says where an order is.
var statusWords = map[string]string{
	StatusAccepted:   "已受理",
	StatusPurchasing: "正在采购",
	StatusDelivered:  "已送达",
	StatusConfirmed:  "已确认收货",
}

// news is what tells the household of a change it did not make itself: in
// the app (its orders show the history) and, when the person who ordered
// has not bound the mini-program (they sign in by SMS, or not at all), by
// SMS, written with the change. A text that cannot be made is logged; the
// change stands.
func (s *Service) news(ctx context.Context, o Order, c Change, byHousehold bool) *dispatch.Pending {
	if byHousehold {
		return nil
	}
	log := logging.From(ctx)
	h, members, err := s.Directory.Household(ctx, o.HouseholdID)
	if err != nil {
		log.Warn("order change not texted", "order", o.ID, "err", err)
		return nil
	}
	to := h.ContactPhone
	for _, m := range members {
		if m.ID == o.PlacedBy && m.Phone != "" {
			to = m.Phone
		}
	}
	if to == "" {
		return nil
	}
	acct, err := s.Accounts.AccountByPhone(ctx, to)
	if err != nil && !errors.Is(err, auth.ErrNoAccount) {
		log.Warn("order change not texted", "order", o.ID, "err", err)
		return nil
	}
	var msg sms.Message
	share := dispatch.ShareRoutine
	switch {
	case c.WithoutCode:
		// Told whatever app they have: they must say at once if it did
		// not arrive.
		msg, err = sms.OrderHandedOver(o.Ref(), c.Reason)
		key := "order:" + o.ID + ":handed-over"
		if err != nil {
			log.Warn("order change not texted", "order", o.ID, "status", c.Status, "err", err)
			return nil
		}
		return dispatch.PendingTexts(ctx, c.At, o.CommunityID, []dispatch.Text{dispatch.SharedOf(key, to, dispatch.ShareEssential, msg)})
	case acct.WeChat:
		return nil
	}
	switch c.Status {
	case StatusOutForDelivery:
		msg, err = sms.OrderOnTheWay(o.Ref(), o.DoorCode)
		share = dispatch.ShareEssential // without it the door stays shut
	case StatusCancelled:
		msg, err = sms.OrderCancelled(o.Ref(), c.Reason)
		share = dispatch.ShareEssential
	default:
		msg, err = sms.OrderUpdate(o.Ref(), statusWords[c.Status])
	}
	if err != nil {
		log.Warn("order change not texted", "order", o.ID, "status", c.Status, "err", err)
		return nil
	}
	key := "order:" + o.ID + ":" + c.Status
	return dispatch.PendingTexts(ctx, c.At, o.CommunityID, []dispatch.Text{dispatch.SharedOf(key, to, share, msg)})
}
