package supplies

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/registry"
)

// Handlers serves the supplies ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"createMerchant": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *MerchantInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.CreateMerchant(r.Context(), auth.Caller(r), cid, *in)
		}),
		"listMerchants": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			ms, err := s.Merchants(r.Context(), auth.Caller(r), cid)
			return map[string]any{"merchants": ms}, err
		}),
		"createItem": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *ItemInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.CreateItem(r.Context(), auth.Caller(r), cid, *in)
		}),
		"listItems": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			items, err := s.Items(r.Context(), auth.Caller(r), cid)
			return map[string]any{"items": items}, err
		}),
		"updateItem": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *ItemInput) (any, error) {
			return s.UpdateItem(r.Context(), auth.Caller(r), r.PathValue("itemId"), *in)
		}),
		"placeOrder": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *OrderInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			o, err := s.PlaceOrder(r.Context(), auth.Caller(r), cid, *in, r.Header.Get("Idempotency-Key"))
			return ShownTo(auth.Caller(r), o), err
		}),
		"listOrders": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			q := r.URL.Query()
			status := q.Get("status")
			if !q.Has("status") {
				status = StatusPlaced
			}
			bid := q.Get("buildingId")
			if q.Has("buildingId") && (!registry.ValidID(bid) || registry.BuildingOf(bid) != bid) {
				return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "buildingId", Reason: "no building " + bid + " in this community"})
			}
			orders, err := s.Orders(r.Context(), auth.Caller(r), cid, status, bid)
			return map[string]any{"orders": orders}, err
		}),
		"myOrders": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			orders, err := s.HouseholdOrders(r.Context(), auth.Caller(r))
			own := make([]OwnOrder, len(orders))
			for i, o := range orders {
				own[i] = o.Theirs()
			}
			return map[string]any{"orders": own}, err
		}),
		"getOrder": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			o, err := s.Order(r.Context(), auth.Caller(r), r.PathValue("orderId"))
			return ShownTo(auth.Caller(r), o), err
		}),
		"setOrderStatus": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *StatusInput) (any, error) {
			o, err := s.SetStatus(r.Context(), auth.Caller(r), r.PathValue("orderId"), *in)
			return ShownTo(auth.Caller(r), o), err
		}),
		"purchaseList": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			csv, err := httpapi.WantsCSV(r)
			if err != nil {
				return nil, err
			}
			list, err := s.Purchases(r.Context(), auth.Caller(r), cid)
			if err != nil {
				return nil, err
			}
			if csv {
				var rows [][]string
				for _, m := range list.Merchants {
					for _, it := range m.Items {
						rows = append(rows, []string{m.Merchant, m.Phone, it.Name, it.Unit, strconv.Itoa(it.Quantity), strconv.Itoa(it.Orders),
							yuan(it.PriceFen), yuan(it.TotalFen)})
					}
				}
				return httpapi.CSV{Filename: "purchase-list.csv", Header: []string{"商家", "联系电话", "物品", "单位", "数量", "订单数", "单价(元)", "金额(元)"}, Rows: rows}, nil
			}
			return list, nil
		}),
		"pickList": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			csv, err := httpapi.WantsCSV(r)
			if err != nil {
				return nil, err
			}
			list, err := s.Picks(r.Context(), auth.Caller(r), cid, r.URL.Query().Get("buildingId"))
			if err != nil {
				return nil, err
			}
			if csv {
				var rows [][]string
				for _, p := range list.Picks {
					var items []string
					for _, l := range p.Lines {
						items = append(items, fmt.Sprintf("%s×%d%s", l.Name, l.Quantity, l.Unit))
					}
					rows = append(rows, []string{list.Building, p.Unit, p.Room, p.Ref, strings.Join(items, "；"), p.Note, statusNames[p.Status], p.ContactPhone})
				}
				return httpapi.CSV{Filename: "pick-list.csv", Header: []string{"楼栋", "单元", "房号", "订单", "物品", "备注", "状态", "联系电话"}, Rows: rows}, nil
			}
			return list, nil
		}),
		"assignDeliveries": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *assignInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.AssignBuilding(r.Context(), auth.Caller(r), cid, in.BuildingID, in.DelivererPhone)
		}),
		"myDeliveries": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			doors, err := s.Deliveries(r.Context(), auth.Caller(r))
			return map[string]any{"deliveries": doors}, err
		}),
	}
}

type assignInput struct {
	BuildingID     string `json:"buildingId"`
	DelivererPhone string `json:"delivererPhone"`
}

// statusNames are the statuses as an Excel sheet says them.
var statusNames = map[string]string{StatusAccepted: "已受理", StatusPurchasing: "采购中", StatusOutForDelivery: "配送中"}

// yuan writes fen as yuan with two decimals.
func yuan(fen int) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }
