// Package reserve is a community's stock for an emergency (隔离储备):
// protective suits, masks, disinfectant, test kits, food packs, each with
// the minimum the committee set in peacetime, and every receipt (a
// donation with its donor) and issue that moved it. Below its minimum an
// item shows on the board, in a drill's report and to a playbook's step.
package reserve

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
)

// Categories of reserve items.
var Categories = []string{"protective", "disinfectant", "test_kit", "food", "medicine", "other"}

// Bounds.
const (
	MaxQuantity = 10_000_000
	MaxItems    = 200
)

// Kinds of movement.
const (
	Receipt = "receipt"
	Issue   = "issue"
)

// Item is one reserve item of a community.
type Item struct {
	ID          string    `json:"id"`
	CommunityID string    `json:"communityId"`
	Name        string    `json:"name"`
	Unit        string    `json:"unit"`
	Category    string    `json:"category"`
	Quantity    int       `json:"quantity"`
	Minimum     int       `json:"minimum"`
	Below       bool      `json:"below"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Movement is one receipt or issue of an item.
type Movement struct {
	ID          string    `json:"id"`
	CommunityID string    `json:"communityId"`
	ItemID      string    `json:"itemId"`
	Kind        string    `json:"kind"`
	Quantity    int       `json:"quantity"`
	Donor       string    `json:"donor,omitempty"`
	Note        string    `json:"note,omitempty"`
	After       int       `json:"after"`
	At          time.Time `json:"at"`
	By          string    `json:"by"`
}

// ItemInput creates an item or changes its name, unit, category or
// minimum (the quantity moves only by receipts and issues).
type ItemInput struct {
	Name     *string `json:"name"`
	Unit     *string `json:"unit"`
	Category *string `json:"category"`
	Minimum  *int    `json:"minimum"`
}

// MovementInput records a receipt or an issue.
type MovementInput struct {
	Kind     string `json:"kind"`
	Quantity int    `json:"quantity"`
	Donor    string `json:"donor"`
	Note     string `json:"note"`
}

// Store keeps the reserve.
type Store interface {
	auth.StreetResolver
	// CreateReserveItem writes a new item; ErrDuplicate when the
	// community has one of that name.
	CreateReserveItem(ctx context.Context, it Item) error
	// SaveReserveItem writes an item's name, unit, category and minimum.
	SaveReserveItem(ctx context.Context, it Item) error
	ReserveItem(ctx context.Context, cid, id string) (Item, error)
	ReserveItems(ctx context.Context, cid string) ([]Item, error)
	// MoveReserve adds delta to an item's quantity (never below zero:
	// ErrShort) and records m, in one transaction; the quantity after.
	MoveReserve(ctx context.Context, m Movement, delta int) (int, error)
	Movements(ctx context.Context, cid, itemID string, limit int) ([]Movement, error)
}

// Service runs the reserve.
type Service struct {
	Store Store
	Now   func() time.Time
}

// Errors of the reserve.
var (
	ErrNotFound  = apperr.New(apperr.KindNotFound, "RESERVE_ITEM_NOT_FOUND", "没有这项储备", "No such reserve item")
	ErrDuplicate = apperr.New(apperr.KindConflict, "RESERVE_ITEM_EXISTS", "已有同名储备物资", "The community has an item of that name")
	ErrShort     = apperr.New(apperr.KindConflict, "RESERVE_SHORT", "库存不足", "Not that much in stock")
	ErrTooMany   = apperr.New(apperr.KindConflict, "RESERVE_FULL", "储备物资种类已达上限", "The community has as many items as it may")
	// ErrTooMuch is a receipt past the most an item may hold.
	ErrTooMuch = apperr.Validation.WithFields(apperr.FieldError{Field: "quantity", Reason: fmt.Sprintf("at most %d in stock after it", MaxQuantity)})
	// ErrBusy is an item moved by so many at once that this one did not
	// get its turn: sent again (with its Idempotency-Key) it is taken.
	ErrBusy = apperr.New(apperr.KindConflict, "RESERVE_BUSY", "该物资正在出入库，请稍后重试", "The item is being moved by others: try again").WithRetryAfter(time.Second)
)

func (in ItemInput) check(create bool) (Item, []apperr.FieldError) {
	var it Item
	var fields []apperr.FieldError
	var prob safetext.Problem
	if in.Name != nil || create {
		if it.Name, prob = safetext.Line(deref(in.Name), 32, true); prob != "" {
			fields = append(fields, apperr.FieldError{Field: "name", Reason: string(prob)})
		}
	}
	if in.Unit != nil || create {
		if it.Unit, prob = safetext.Line(deref(in.Unit), 8, true); prob != "" {
			fields = append(fields, apperr.FieldError{Field: "unit", Reason: string(prob)})
		}
	}
	if in.Category != nil || create {
		if it.Category = deref(in.Category); !slices.Contains(Categories, it.Category) {
			fields = append(fields, apperr.FieldError{Field: "category", Reason: "one of protective, disinfectant, test_kit, food, medicine, other"})
		}
	}
	if in.Minimum != nil {
		if it.Minimum = *in.Minimum; it.Minimum < 0 || it.Minimum > MaxQuantity {
			fields = append(fields, apperr.FieldError{Field: "minimum", Reason: fmt.Sprintf("from 0 to %d", MaxQuantity)})
		}
	}
	return it, fields
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Create adds an item, at quantity 0 (receipts fill it).
func (s *Service) Create(ctx context.Context, p auth.Principal, cid string, in ItemInput) (Item, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Item{}, err
	}
	it, fields := in.check(true)
	if len(fields) > 0 {
		return Item{}, apperr.Validation.WithFields(fields...)
	}
	all, err := s.Store.ReserveItems(ctx, cid)
	if err != nil {
		return Item{}, err
	}
	if len(all) >= MaxItems {
		return Item{}, ErrTooMany
	}
	it.ID, it.CommunityID, it.UpdatedAt = registry.NewID("rv"), cid, s.Now()
	if err := s.Store.CreateReserveItem(ctx, it); err != nil {
		return Item{}, err
	}
	audit.Changed(ctx, "reserve", nil, map[string]any{"item": it.ID, "minimum": it.Minimum})
	return it.shown(), nil
}

// Update changes an item's name, unit, category or minimum.
func (s *Service) Update(ctx context.Context, p auth.Principal, cid, id string, in ItemInput) (Item, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Item{}, err
	}
	ch, fields := in.check(false)
	if len(fields) > 0 {
		return Item{}, apperr.Validation.WithFields(fields...)
	}
	it, err := s.Store.ReserveItem(ctx, cid, id)
	if err != nil {
		return Item{}, err
	}
	before := it
	if in.Name != nil {
		it.Name = ch.Name
	}
	if in.Unit != nil {
		it.Unit = ch.Unit
	}
	if in.Category != nil {
		it.Category = ch.Category
	}
	if in.Minimum != nil {
		it.Minimum = ch.Minimum
	}
	it.UpdatedAt = s.Now()
	if err := s.Store.SaveReserveItem(ctx, it); err != nil {
		return Item{}, err
	}
	audit.Changed(ctx, "reserve", map[string]any{"minimum": before.Minimum}, map[string]any{"item": it.ID, "minimum": it.Minimum})
	return it.shown(), nil
}

// Move records a receipt (a donation names its donor) or an issue; an
// issue of more than is in stock is refused, whatever else moves at once.
func (s *Service) Move(ctx context.Context, p auth.Principal, cid, id string, in MovementInput) (Movement, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Movement{}, err
	}
	var fields []apperr.FieldError
	if in.Kind != Receipt && in.Kind != Issue {
		fields = append(fields, apperr.FieldError{Field: "kind", Reason: "one of receipt, issue"})
	}
	if in.Quantity < 1 || in.Quantity > MaxQuantity {
		fields = append(fields, apperr.FieldError{Field: "quantity", Reason: fmt.Sprintf("from 1 to %d", MaxQuantity)})
	}
	donor, prob := safetext.Line(in.Donor, 64, false)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "donor", Reason: string(prob)})
	}
	if donor != "" && in.Kind == Issue {
		fields = append(fields, apperr.FieldError{Field: "donor", Reason: "only with kind receipt"})
	}
	note, prob := safetext.Line(in.Note, 100, false)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "note", Reason: string(prob)})
	}
	if len(fields) > 0 {
		return Movement{}, apperr.Validation.WithFields(fields...)
	}
	if _, err := s.Store.ReserveItem(ctx, cid, id); err != nil {
		return Movement{}, err
	}
	m := Movement{ID: registry.NewID("mv"), CommunityID: cid, ItemID: id, Kind: in.Kind, Quantity: in.Quantity, Donor: donor, Note: note,
		At: s.Now(), By: p.UserID}
	delta := in.Quantity
	if in.Kind == Issue {
		delta = -delta
	}
	after, err := s.Store.MoveReserve(ctx, m, delta)
	if err != nil {
		return Movement{}, err
	}
	m.After = after
	audit.Changed(ctx, "reserve-movement", nil, map[string]any{"item": id, "kind": m.Kind, "quantity": m.Quantity, "after": after})
	m.At = chinatime.In(m.At)
	return m, nil
}

// List is a community's reserve, items below their minimum first.
func (s *Service) List(ctx context.Context, p auth.Principal, cid string) ([]Item, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return nil, err
	}
	all, err := s.Store.ReserveItems(ctx, cid)
	if err != nil {
		return nil, err
	}
	out := make([]Item, 0, len(all))
	for _, it := range all {
		out = append(out, it.shown())
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Below != out[j].Below {
			return out[i].Below
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Short are a community's items below their minimum (the board, a
// drill's report, a playbook's step).
func (s *Service) Short(ctx context.Context, cid string) ([]Item, error) {
	all, err := s.Store.ReserveItems(ctx, cid)
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, it := range all {
		if it = it.shown(); it.Below {
			out = append(out, it)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// History is an item's latest movements, newest first.
func (s *Service) History(ctx context.Context, p auth.Principal, cid, id string) ([]Movement, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return nil, err
	}
	if _, err := s.Store.ReserveItem(ctx, cid, id); err != nil {
		return nil, err
	}
	ms, err := s.Store.Movements(ctx, cid, id, 200)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		ms[i].At = chinatime.In(ms[i].At)
	}
	return ms, nil
}

func (it Item) shown() Item {
	it.Below = it.Quantity < it.Minimum
	it.UpdatedAt = chinatime.In(it.UpdatedAt)
	return it
}
