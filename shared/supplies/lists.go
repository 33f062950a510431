package supplies

import (
	"context"
	"errors"
	"sort"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
)

// PurchaseItem is what to buy of one item.
type PurchaseItem struct {
	ItemID   string `json:"itemId"`
	Name     string `json:"name"`
	Unit     string `json:"unit"`
	Quantity int    `json:"quantity"`
	// Orders counts the orders it is in; PriceFen is the price ordered at
	// (an item whose price changed in between is listed once per price).
	Orders   int `json:"orders"`
	PriceFen int `json:"priceFen"`
	TotalFen int `json:"totalFen"`
}

// MerchantPurchase is the list for one merchant.
type MerchantPurchase struct {
	MerchantID string         `json:"merchantId"`
	Merchant   string         `json:"merchant"`
	Phone      string         `json:"phone"`
	Items      []PurchaseItem `json:"items"`
	TotalFen   int            `json:"totalFen"`
}

// PurchaseList is the purchase list: item totals over the accepted orders,
// merchant by merchant.
type PurchaseList struct {
	Orders    int                `json:"orders"`
	Merchants []MerchantPurchase `json:"merchants"`
	TotalFen  int                `json:"totalFen"`
}

// Purchases consolidates a community's accepted orders into one list per
// merchant: one Query of the accepted orders, one of the merchants.
func (s *Service) Purchases(ctx context.Context, p auth.Principal, cid string) (PurchaseList, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return PurchaseList{}, err
	}
	orders, err := s.Store.OrdersByStatus(ctx, cid, StatusAccepted, "")
	if err != nil {
		return PurchaseList{}, err
	}
	merchants, err := s.Store.Merchants(ctx, cid)
	if err != nil {
		return PurchaseList{}, err
	}
	byID := map[string]*MerchantPurchase{}
	for _, m := range merchants {
		byID[m.ID] = &MerchantPurchase{MerchantID: m.ID, Merchant: m.Name, Phone: m.Phone}
	}
	type key struct {
		item  string
		price int
	}
	lines := map[key]*PurchaseItem{}
	owner := map[key]string{}
	for _, o := range orders {
		for _, l := range o.Lines {
			k := key{l.ItemID, l.PriceFen}
			pi, ok := lines[k]
			if !ok {
				pi = &PurchaseItem{ItemID: l.ItemID, Name: l.Name, Unit: l.Unit, PriceFen: l.PriceFen}
				lines[k] = pi
				owner[k] = l.MerchantID
			}
			pi.Quantity += l.Quantity
			pi.Orders++
			pi.TotalFen += l.Quantity * l.PriceFen
		}
	}
	for k, pi := range lines {
		m, ok := byID[owner[k]]
		if !ok {
			m = &MerchantPurchase{MerchantID: owner[k], Merchant: owner[k]}
			byID[owner[k]] = m
		}
		m.Items = append(m.Items, *pi)
		m.TotalFen += pi.TotalFen
	}
	out := PurchaseList{Orders: len(orders), Merchants: []MerchantPurchase{}}
	for _, m := range byID {
		if len(m.Items) == 0 {
			continue
		}
		sort.Slice(m.Items, func(i, j int) bool {
			if m.Items[i].Name != m.Items[j].Name {
				return m.Items[i].Name < m.Items[j].Name
			}
			return m.Items[i].PriceFen < m.Items[j].PriceFen
		})
		out.Merchants = append(out.Merchants, *m)
		out.TotalFen += m.TotalFen
	}
	sort.Slice(out.Merchants, func(i, j int) bool { return out.Merchants[i].Merchant < out.Merchants[j].Merchant })
	return out, nil
}

// Pick is one household's order on a building's pick list.
type Pick struct {
	OrderID      string `json:"orderId"`
	Ref          string `json:"ref"`
	Status       string `json:"status"`
	HouseholdID  string `json:"householdId"`
	Unit         string `json:"unit"`
	Room         string `json:"room"`
	ContactPhone string `json:"contactPhone,omitempty"`
	Lines        []Line `json:"lines"`
	Note         string `json:"note"`
	DelivererID  string `json:"delivererId,omitempty"`
}

// PickList is what goes to one building, household by household, in the
// order staff walk it.
type PickList struct {
	BuildingID string `json:"buildingId"`
	Building   string `json:"building"`
	Picks      []Pick `json:"picks"`
}

// pickStatuses are the orders a building's pick list holds: taken and not
// yet at the door.
var pickStatuses = []string{StatusAccepted, StatusPurchasing, StatusOutForDelivery}

// Picks lists a building's orders to pack and deliver: one Query per status
// (of the building's range of the status index) and one of its households.
func (s *Service) Picks(ctx context.Context, p auth.Principal, cid, buildingID string) (PickList, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return PickList{}, err
	}
	if buildingID == "" {
		return PickList{}, apperr.Validation.WithFields(apperr.FieldError{Field: "buildingId", Reason: "required"})
	}
	if !registry.ValidID(buildingID) || registry.BuildingOf(buildingID) != buildingID {
		return PickList{}, apperr.Validation.WithFields(apperr.FieldError{Field: "buildingId", Reason: "no building " + buildingID + " in this community"})
	}
	households, err := s.Directory.BuildingHouseholds(ctx, buildingID)
	if err != nil {
		return PickList{}, err
	}
	homes := map[string]registry.Household{}
	out := PickList{BuildingID: buildingID, Picks: []Pick{}}
	for _, h := range households {
		if h.CommunityID != cid {
			return PickList{}, apperr.Validation.WithFields(apperr.FieldError{Field: "buildingId", Reason: "no building " + buildingID + " in this community"})
		}
		homes[h.ID] = h
		out.Building = h.BuildingName
	}
	if len(households) == 0 {
		return PickList{}, apperr.Validation.WithFields(apperr.FieldError{Field: "buildingId", Reason: "no building " + buildingID + " in this community"})
	}
	for _, st := range pickStatuses {
		orders, err := s.Store.OrdersByStatus(ctx, cid, st, buildingID)
		if err != nil {
			return PickList{}, err
		}
		for _, o := range orders {
			h := homes[o.HouseholdID]
			out.Picks = append(out.Picks, Pick{OrderID: o.ID, Ref: o.Ref(), Status: o.Status, HouseholdID: o.HouseholdID,
				Unit: h.Unit, Room: h.Room, ContactPhone: h.ContactPhone, Lines: o.Lines, Note: o.Note, DelivererID: o.DelivererID})
		}
	}
	sort.SliceStable(out.Picks, func(i, j int) bool {
		a, b := out.Picks[i], out.Picks[j]
		if a.Unit != b.Unit {
			return registry.NaturalLess(a.Unit, b.Unit)
		}
		if a.Room != b.Room {
			return registry.NaturalLess(a.Room, b.Room)
		}
		return a.OrderID < b.OrderID
	})
	// A list of households with their phones: the audit entry counts them.
	audit.Counted(ctx, len(out.Picks))
	return out, nil
}

// Assignment is the answer to sending a building's orders out.
type Assignment struct {
	BuildingID  string   `json:"buildingId"`
	DelivererID string   `json:"delivererId"`
	OrderIDs    []string `json:"orderIds"`
}

// AssignBuilding sends a building's orders being purchased out with a
// deliverer (a volunteer or staff member of the community, by phone): each
// goes to out_for_delivery and its household is told, with its door code
// when it has no app.
func (s *Service) AssignBuilding(ctx context.Context, p auth.Principal, cid, buildingID, delivererPhone string) (Assignment, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Assignment{}, err
	}
	if buildingID == "" {
		return Assignment{}, apperr.Validation.WithFields(apperr.FieldError{Field: "buildingId", Reason: "required"})
	}
	if !registry.ValidID(buildingID) || registry.BuildingOf(buildingID) != buildingID {
		return Assignment{}, apperr.Validation.WithFields(apperr.FieldError{Field: "buildingId", Reason: "no building " + buildingID + " in this community"})
	}
	delivererID, err := s.deliverer(ctx, cid, delivererPhone)
	if err != nil {
		return Assignment{}, err
	}
	orders, err := s.Store.OrdersByStatus(ctx, cid, StatusPurchasing, buildingID)
	if err != nil {
		return Assignment{}, err
	}
	if len(orders) == 0 {
		return Assignment{}, ErrNothingToDeliver
	}
	out := Assignment{BuildingID: buildingID, DelivererID: delivererID, OrderIDs: []string{}}
	now := chinatime.In(s.Now())
	for _, o := range orders {
		c := Change{Status: StatusOutForDelivery, At: now, By: p.UserID}
		news := s.news(ctx, o, c, false)
		err := s.Store.MoveOrder(ctx, o, StatusPurchasing, c, delivererID, news)
		if errors.Is(err, ErrOrderChanged) {
			continue // moved meanwhile (cancelled): not this one
		}
		if err != nil {
			return out, err
		}
		s.Outbox.Flush(ctx, news)
		o.Status, o.DelivererID = StatusOutForDelivery, delivererID
		out.OrderIDs = append(out.OrderIDs, o.ID)
	}
	return out, nil
}

// ReleaseDeliveries gives back the doors deliverer was taking in a
// community (they were deactivated): each order goes back to purchasing,
// with no deliverer, for staff to send out again; by is who deactivated
// them. It answers how many orders went back.
func (s *Service) ReleaseDeliveries(ctx context.Context, cid, deliverer, by string) (int, error) {
	orders, err := s.Store.OrdersByStatus(ctx, cid, StatusOutForDelivery, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range orders {
		if o.DelivererID != deliverer {
			continue
		}
		c := Change{Status: StatusPurchasing, At: chinatime.In(s.Now()), By: by, Reason: "配送人员已停用，待重新派送"}
		err := s.Store.MoveOrder(ctx, o, StatusOutForDelivery, c, "", nil)
		if errors.Is(err, ErrOrderChanged) {
			continue // delivered or cancelled meanwhile
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Door is what a deliverer needs at one door, and no more: no name, the
// phone masked.
type Door struct {
	OrderID  string     `json:"orderId"`
	Ref      string     `json:"ref"`
	Building string     `json:"building"`
	Unit     string     `json:"unit"`
	Room     string     `json:"room"`
	Items    []DoorItem `json:"items"`
	Note     string     `json:"note"`
	// Phone is the household's contact phone, masked (138****1234): the
	// deliverer calls through the community when the door does not open.
	Phone string `json:"phone,omitempty"`
}

// DoorItem is one thing to hand over.
type DoorItem struct {
	Name     string `json:"name"`
	Unit     string `json:"unit"`
	Quantity int    `json:"quantity"`
}

// Deliveries are the doors the caller takes orders to now.
func (s *Service) Deliveries(ctx context.Context, p auth.Principal) ([]Door, error) {
	var cid string
	switch {
	case p.Has(manifest.RoleVolunteer) && p.VolunteerCommunityID != "":
		cid = p.VolunteerCommunityID
	case p.Has(manifest.RoleStaff) && p.StaffCommunityID != "":
		cid = p.StaffCommunityID
	default:
		return nil, apperr.Forbidden
	}
	orders, err := s.Store.OrdersByStatus(ctx, cid, StatusOutForDelivery, "")
	if err != nil {
		return nil, err
	}
	out := []Door{}
	homes := map[string]registry.Household{}
	for _, o := range orders {
		if o.DelivererID != p.UserID {
			continue
		}
		h, ok := homes[o.HouseholdID]
		if !ok {
			if h, _, err = s.Directory.Household(ctx, o.HouseholdID); err != nil {
				return nil, err
			}
			homes[o.HouseholdID] = h
		}
		d := Door{OrderID: o.ID, Ref: o.Ref(), Building: h.BuildingName, Unit: h.Unit, Room: h.Room, Note: o.Note, Phone: logging.MaskPhone(h.ContactPhone)}
		for _, l := range o.Lines {
			d.Items = append(d.Items, DoorItem{Name: l.Name, Unit: l.Unit, Quantity: l.Quantity})
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Building != b.Building {
			return registry.NaturalLess(a.Building, b.Building)
		}
		if a.Unit != b.Unit {
			return registry.NaturalLess(a.Unit, b.Unit)
		}
		return registry.NaturalLess(a.Room, b.Room)
	})
	return out, nil
}
