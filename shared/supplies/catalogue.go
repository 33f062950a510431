package supplies

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
)

// Bounds of the catalogue.
const (
	MaxPriceFen = 10_000_000 // 100,000 yuan
	MaxStock    = 1_000_000
	MaxLimit    = 1000
)

// MerchantInput is the body that adds a merchant.
type MerchantInput struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// CreateMerchant adds a merchant to a community's catalogue.
func (s *Service) CreateMerchant(ctx context.Context, p auth.Principal, cid string, in MerchantInput) (Merchant, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Merchant{}, err
	}
	var fields []apperr.FieldError
	name, problem := safetext.Line(in.Name, 64, true)
	if problem != "" {
		fields = append(fields, apperr.FieldError{Field: "name", Reason: string(problem)})
	}
	ph, err := contactPhone(in.Phone)
	if err != nil {
		fields = append(fields, apperr.FieldError{Field: "phone", Reason: "a mobile or fixed-line number"})
	}
	if len(fields) > 0 {
		return Merchant{}, apperr.Validation.WithFields(fields...)
	}
	m := Merchant{ID: registry.NewID("m"), CommunityID: cid, Name: name, Phone: ph, CreatedAt: chinatime.In(s.Now())}
	return m, s.Store.CreateMerchant(ctx, m)
}

// contactPhone takes a mainland mobile, or a fixed line as merchants have
// them (digits and dashes, 7 to 16 characters).
func contactPhone(s string) (string, error) {
	if p, err := phone.Normalize(s); err == nil {
		return p, nil
	}
	if len(s) < 7 || len(s) > 16 || s[0] < '0' || s[0] > '9' {
		return "", phone.ErrInvalid
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r != '-':
			return "", phone.ErrInvalid
		}
	}
	if digits < 7 {
		return "", phone.ErrInvalid
	}
	return s, nil
}

// Merchants lists a community's merchants, for its staff.
func (s *Service) Merchants(ctx context.Context, p auth.Principal, cid string) ([]Merchant, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return nil, err
	}
	return s.Store.Merchants(ctx, cid)
}

// ItemInput is the body that adds an item; PATCH takes any of its fields,
// and addStock.
type ItemInput struct {
	Name              *string `json:"name"`
	Unit              *string `json:"unit"`
	PriceFen          *int    `json:"priceFen"`
	MerchantID        *string `json:"merchantId"`
	Stock             *int    `json:"stock"`
	LimitPerHousehold *int    `json:"limitPerHousehold"`
	Paused            *bool   `json:"paused"`
	// AddStock adds to the stock as it is then (a delivery from the
	// merchant), while orders keep taking from it; stock sets it (a count).
	AddStock *int `json:"addStock"`
}

// apply checks in and writes it onto it; create requires every field.
func (s *Service) apply(ctx context.Context, cid string, it *Item, in ItemInput, create bool) error {
	var fields []apperr.FieldError
	missing := func(field string) { fields = append(fields, apperr.FieldError{Field: field, Reason: "required"}) }
	if in.Name != nil {
		v, problem := safetext.Line(*in.Name, 32, true)
		if problem != "" {
			fields = append(fields, apperr.FieldError{Field: "name", Reason: string(problem)})
		}
		it.Name = v
	} else if create {
		missing("name")
	}
	if in.Unit != nil {
		v, problem := safetext.Line(*in.Unit, 8, true)
		if problem != "" {
			fields = append(fields, apperr.FieldError{Field: "unit", Reason: string(problem)})
		}
		it.Unit = v
	} else if create {
		missing("unit")
	}
	if in.PriceFen != nil {
		if *in.PriceFen < 0 || *in.PriceFen > MaxPriceFen {
			fields = append(fields, apperr.FieldError{Field: "priceFen", Reason: fmt.Sprintf("from %d to %d", 0, MaxPriceFen)})
		}
		it.PriceFen = *in.PriceFen
	} else if create {
		missing("priceFen")
	}
	if in.Stock != nil {
		if *in.Stock < 0 || *in.Stock > MaxStock {
			fields = append(fields, apperr.FieldError{Field: "stock", Reason: fmt.Sprintf("from %d to %d", 0, MaxStock)})
		}
		it.Stock = *in.Stock
	} else if create {
		missing("stock")
	}
	if in.AddStock != nil && (create || in.Stock != nil || *in.AddStock < -MaxStock || *in.AddStock > MaxStock || *in.AddStock == 0) {
		fields = append(fields, apperr.FieldError{Field: "addStock", Reason: "a change of stock, not with stock nor on create"})
	}
	if in.LimitPerHousehold != nil {
		if *in.LimitPerHousehold < 0 || *in.LimitPerHousehold > MaxLimit {
			fields = append(fields, apperr.FieldError{Field: "limitPerHousehold", Reason: fmt.Sprintf("from %d to %d", 0, MaxLimit)})
		}
		it.LimitPerHousehold = *in.LimitPerHousehold
	} else if create {
		missing("limitPerHousehold")
	}
	if in.Paused != nil {
		it.Paused = *in.Paused
	}
	if in.MerchantID != nil {
		it.MerchantID = *in.MerchantID
	} else if create {
		missing("merchantId")
	}
	if len(fields) > 0 {
		return apperr.Validation.WithFields(fields...)
	}
	if in.MerchantID != nil {
		ms, err := s.Store.Merchants(ctx, cid)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(ms, func(m Merchant) bool { return m.ID == *in.MerchantID }) {
			return apperr.Validation.WithFields(apperr.FieldError{Field: "merchantId", Reason: "no such merchant in this community"})
		}
	}
	return nil
}

// CreateItem adds an item to a community's catalogue.
func (s *Service) CreateItem(ctx context.Context, p auth.Principal, cid string, in ItemInput) (Item, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Item{}, err
	}
	it := Item{ID: registry.NewID("i"), CommunityID: cid, UpdatedAt: chinatime.In(s.Now()), Version: 1}
	if err := s.apply(ctx, cid, &it, in, true); err != nil {
		return Item{}, err
	}
	return it, s.Store.CreateItem(ctx, it)
}

// UpdateItem changes an item; orders placed meanwhile keep the price they
// were placed at, and one in flight at the old version is refused and tried
// again at the new.
func (s *Service) UpdateItem(ctx context.Context, p auth.Principal, itemID string, in ItemInput) (Item, error) {
	it, err := s.Store.Item(ctx, itemID)
	if err != nil {
		return Item{}, err
	}
	if err := auth.RequireCommunity(ctx, p, it.CommunityID, s.Directory); err != nil {
		return Item{}, err
	}
	if in == (ItemInput{}) {
		return Item{}, apperr.Validation.WithFields(apperr.FieldError{Field: "body", Reason: "give at least one field"})
	}
	read := it.Version
	if err := s.apply(ctx, it.CommunityID, &it, in, false); err != nil {
		return Item{}, err
	}
	it.Version++
	it.UpdatedAt = chinatime.In(s.Now())
	add := 0
	if in.AddStock != nil {
		add = *in.AddStock
	}
	out, err := s.Store.UpdateItem(ctx, it, read, add, in.Stock != nil)
	if err != nil {
		return Item{}, err
	}
	s.items.Delete(itemID)
	return out, nil
}

// ItemView is an item as a household sees it: what it can order today.
type ItemView struct {
	Item
	// Remaining is what the household may still order of it today (the
	// stock when less); absent for staff.
	Remaining *int `json:"remaining,omitempty"`
}

// Items lists the catalogue: all of it for staff; for a resident of the
// community, what can be ordered now (not paused, in stock).
func (s *Service) Items(ctx context.Context, p auth.Principal, cid string) ([]ItemView, error) {
	staff := auth.RequireCommunity(ctx, p, cid, s.Directory) == nil
	if !staff && !auth.MemberOf(p, cid) {
		return nil, apperr.Forbidden
	}
	items, err := s.Store.Items(ctx, cid)
	if err != nil {
		return nil, err
	}
	out := []ItemView{}
	var used map[string]int
	if !staff && p.HouseholdID != "" && p.ResidentCommunityID == cid {
		if used, err = s.Store.LimitsUsed(ctx, p.HouseholdID, s.day()); err != nil {
			return nil, err
		}
	}
	for _, it := range items {
		if staff {
			out = append(out, ItemView{Item: it})
			continue
		}
		if it.Paused || it.Stock <= 0 {
			continue
		}
		left := it.Stock
		if it.LimitPerHousehold > 0 && used != nil {
			left = min(left, max(it.LimitPerHousehold-used[it.ID], 0))
		}
		out = append(out, ItemView{Item: it, Remaining: &left})
	}
	return out, nil
}

// day is today in Beijing, which daily limits count in.
func (s *Service) day() string { return s.Now().In(chinatime.Zone).Format(time.DateOnly) }

// item reads an item through the short cache.
func (s *Service) item(ctx context.Context, id string, fresh bool) (Item, error) {
	if !fresh {
		if c, ok := s.items.Load(id); ok && time.Since(c.(cachedItem).at) < itemTTL {
			return c.(cachedItem).item, nil
		}
	}
	it, err := s.Store.Item(ctx, id)
	if err != nil {
		return Item{}, err
	}
	s.items.Store(id, cachedItem{item: it, at: time.Now()})
	return it, nil
}
