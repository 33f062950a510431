package supplies_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/supplies"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

type fixture struct {
	db       *dynamolocal.Faults
	st       *store.Store
	svc      *supplies.Service
	outbox   *sms.Outbox
	staff    auth.Principal
	sealed   []auth.Principal // one resident per household of 1号楼 (sealed)
	outside  auth.Principal   // a resident of 2号楼 (not in a zone)
	merchant supplies.Merchant
	bldg     map[string]string
	root     *app.Root
	queue    *queue.Local
}

// texts are the SMS phone was sent once the dispatch queue is drained.
func (f *fixture) texts(phone string) []sms.Sent {
	f.queue.Drain(context.Background(), f.root.Consumer().Handle)
	return f.outbox.To(phone)
}

const households = 70

func ptr[T any](v T) *T { return &v }

// newFixture: community c1, 1号楼 sealed with 70 households, 2号楼 not in a
// zone, one merchant.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	raw, table := dynamolocal.NewTable(t)
	db := &dynamolocal.Faults{DB: raw}
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	var csv strings.Builder
	csv.WriteString("building,unit,room,name,phone\n")
	for h := 0; h < households; h++ {
		fmt.Fprintf(&csv, "1号楼,%d,%d01,住户%d,137%08d\n", h%3+1, h, h, h)
	}
	csv.WriteString("2号楼,1,101,外楼住户,13600000001\n")
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(csv.String())); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, st: st, outbox: &sms.Outbox{Signature: "防线", Now: time.Now}, bldg: map[string]string{},
		staff: auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()}
	bs, _, err := st.Buildings(ctx, "c1", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		f.bldg[b.Name] = b.ID
	}
	f.queue = queue.NewLocal(5, 10, time.Millisecond)
	root := app.Local(st, f.queue, f.outbox, time.Now)
	f.root = root
	zones := root.Notices()
	if _, err := zones.SetZones(ctx, f.staff, "c1", notices.Buildings(f.bldg["1号楼"]), notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	for h := 0; h < households; h++ {
		a, err := st.AccountByPhone(ctx, fmt.Sprintf("137%08d", h))
		if err != nil {
			t.Fatal(err)
		}
		f.sealed = append(f.sealed, a.Principal)
	}
	out, err := st.AccountByPhone(ctx, "13600000001")
	if err != nil {
		t.Fatal(err)
	}
	f.outside = out.Principal
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "工作人员", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	f.svc = root.Supplies()
	if f.merchant, err = f.svc.CreateMerchant(ctx, f.staff, "c1", supplies.MerchantInput{Name: "平价超市", Phone: "0931-8888888"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) item(t *testing.T, name string, price, stock, limit int) supplies.Item {
	t.Helper()
	it, err := f.svc.CreateItem(context.Background(), f.staff, "c1", supplies.ItemInput{Name: &name, Unit: ptr("份"), PriceFen: &price,
		MerchantID: &f.merchant.ID, Stock: &stock, LimitPerHousehold: &limit})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func order(itemID string, q int) supplies.OrderInput {
	return supplies.OrderInput{Lines: []supplies.OrderLineInput{{ItemID: itemID, Quantity: q}}}
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

// TestNoOversellNoLimitBypass: 64 households order one each of an item with
// 100 in stock, twice over, all at once: exactly 100 are sold and the stock
// ends at 0; one household sending 16 orders at once of an item limited to
// 3 a day gets 3.
func TestNoOversellNoLimitBypass(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rice := f.item(t, "大米", 5000, 100, 0)
	var sold, refused atomic.Int64
	var wg sync.WaitGroup
	for round := 0; round < 2; round++ {
		for h := 0; h < 64; h++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.PlaceOrder(ctx, f.sealed[h], "c1", order(rice.ID, 1), "")
				switch code(err) {
				case "":
					sold.Add(1)
				case "OUT_OF_STOCK":
					refused.Add(1)
				default:
					t.Errorf("order: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	left, err := f.st.Item(ctx, rice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sold.Load() != 100 || refused.Load() != 28 || left.Stock != 0 {
		t.Fatalf("sold %d, refused %d, stock left %d: want 100, 28, 0", sold.Load(), refused.Load(), left.Stock)
	}
	orders, err := f.st.OrdersByStatus(ctx, "c1", supplies.StatusPlaced, "")
	if err != nil || len(orders) != 100 {
		t.Fatalf("%d orders recorded: %v", len(orders), err)
	}

	masks := f.item(t, "口罩", 100, 1000, 3)
	var got atomic.Int64
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.PlaceOrder(ctx, f.sealed[65], "c1", order(masks.ID, 1), "")
			switch code(err) {
			case "":
				got.Add(1)
			case "LIMIT_EXCEEDED":
			default:
				t.Errorf("limited order: %v", err)
			}
		}()
	}
	wg.Wait()
	if got.Load() != 3 {
		t.Fatalf("one household got %d of an item limited to 3 a day", got.Load())
	}
	if left, _ := f.st.Item(ctx, masks.ID); left.Stock != 997 {
		t.Fatalf("stock %d after 3 sold of 1000", left.Stock)
	}
}

func TestOrdersAreRefusedClearlyAndWriteNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rice := f.item(t, "大米", 5000, 5, 2)
	paused := f.item(t, "面粉", 3000, 5, 0)
	if _, err := f.svc.UpdateItem(ctx, f.staff, paused.ID, supplies.ItemInput{Paused: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	other := f.st
	if err := other.CreateCommunity(ctx, registry.Community{ID: "c2", StreetID: "s1", Name: "c2"}); err != nil {
		t.Fatal(err)
	}
	foreign := supplies.Item{ID: "iforeign", CommunityID: "c2", MerchantID: "m", Name: "外", Unit: "个", PriceFen: 1, Stock: 9, Version: 1}
	if err := f.st.CreateItem(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		who  auth.Principal
		in   supplies.OrderInput
		want string
	}{
		{"a building in no zone", f.outside, order(rice.ID, 1), "NOT_IN_ZONE"},
		{"staff, not a household", f.staff, order(rice.ID, 1), "FORBIDDEN"},
		{"nothing", f.sealed[0], supplies.OrderInput{}, "VALIDATION_FAILED"},
		{"a quantity of 0", f.sealed[0], order(rice.ID, 0), "VALIDATION_FAILED"},
		{"a quantity of 100", f.sealed[0], order(rice.ID, 100), "VALIDATION_FAILED"},
		{"an unknown item", f.sealed[0], order("inope", 1), "VALIDATION_FAILED"},
		{"another community's item", f.sealed[0], order(foreign.ID, 1), "VALIDATION_FAILED"},
		{"a paused item", f.sealed[0], order(paused.ID, 1), "ITEM_PAUSED"},
		{"beyond the limit", f.sealed[0], order(rice.ID, 3), "LIMIT_EXCEEDED"},
		{"beyond the stock", f.sealed[1], supplies.OrderInput{Lines: []supplies.OrderLineInput{{ItemID: rice.ID, Quantity: 2}, {ItemID: rice.ID, Quantity: 4}}}, "OUT_OF_STOCK"},
		{"a note with a control character", f.sealed[0], supplies.OrderInput{Lines: order(rice.ID, 1).Lines, Note: "放门口\u0007"}, "VALIDATION_FAILED"},
	}
	for _, c := range cases {
		if _, err := f.svc.PlaceOrder(ctx, c.who, "c1", c.in, ""); code(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	if left, _ := f.st.Item(ctx, rice.ID); left.Stock != 5 {
		t.Errorf("refused orders took stock: %d left of 5", left.Stock)
	}
	if orders, _ := f.st.OrdersByStatus(ctx, "c1", supplies.StatusPlaced, ""); len(orders) != 0 {
		t.Errorf("refused orders were recorded: %d", len(orders))
	}
	// A price changed since the catalogue was read: the order is taken at
	// the new price, not refused, and not at the old one.
	if _, err := f.svc.PlaceOrder(ctx, f.sealed[2], "c1", order(rice.ID, 1), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateItem(ctx, f.staff, rice.ID, supplies.ItemInput{PriceFen: ptr(5500)}); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.PlaceOrder(ctx, f.sealed[3], "c1", order(rice.ID, 1), "")
	if err != nil || o.TotalFen != 5500 {
		t.Fatalf("after a price change: %+v %v", o, err)
	}
}

func TestLifecycleDeliveryAndLists(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rice := f.item(t, "大米", 5000, 50, 0)
	oil := f.item(t, "食用油", 6990, 50, 1)
	var orders []supplies.Order
	for h := 0; h < 3; h++ {
		o, err := f.svc.PlaceOrder(ctx, f.sealed[h], "c1", supplies.OrderInput{Lines: []supplies.OrderLineInput{{ItemID: rice.ID, Quantity: h + 1}, {ItemID: oil.ID, Quantity: 1}}, Note: "放门口"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(o.DoorCode) != 4 {
			t.Fatalf("door code %q", o.DoorCode)
		}
		orders = append(orders, o)
	}
	move := func(who auth.Principal, o supplies.Order, in supplies.StatusInput) (supplies.Order, error) {
		return f.svc.SetStatus(ctx, who, o.ID, in)
	}
	// The household cancels before the purchase: its stock and limit
	// return, once, however often it is asked.
	if _, err := move(f.sealed[2], orders[2], supplies.StatusInput{Status: supplies.StatusCancelled}); err != nil {
		t.Fatal(err)
	}
	if _, err := move(f.sealed[2], orders[2], supplies.StatusInput{Status: supplies.StatusCancelled}); code(err) != "INVALID_TRANSITION" {
		t.Errorf("a second cancel: %v", err)
	}
	if it, _ := f.st.Item(ctx, oil.ID); it.Stock != 48 {
		t.Errorf("oil stock %d after one of three orders cancelled, want 48", it.Stock)
	}
	if _, err := f.svc.PlaceOrder(ctx, f.sealed[2], "c1", order(oil.ID, 1), ""); err != nil {
		t.Errorf("the cancelled order's limit did not return: %v", err)
	}
	for _, o := range orders[:2] {
		if _, err := move(f.staff, o, supplies.StatusInput{Status: supplies.StatusAccepted}); err != nil {
			t.Fatal(err)
		}
	}
	// Accepted orders make the purchase list; no scan: one Query.
	pl, err := f.svc.Purchases(ctx, f.staff, "c1")
	if err != nil || pl.Orders != 2 || len(pl.Merchants) != 1 {
		t.Fatalf("purchase list %+v %v", pl, err)
	}
	want := map[string]int{"大米": 3, "食用油": 2}
	for _, it := range pl.Merchants[0].Items {
		if want[it.Name] != it.Quantity {
			t.Errorf("purchase %s: %d, want %d", it.Name, it.Quantity, want[it.Name])
		}
	}
	if pl.TotalFen != 3*5000+2*6990 {
		t.Errorf("purchase total %d", pl.TotalFen)
	}
	// A resident may not skip the purchase; staff move it on.
	if _, err := move(f.sealed[0], orders[0], supplies.StatusInput{Status: supplies.StatusPurchasing}); code(err) != "FORBIDDEN" {
		t.Errorf("a resident moving their order to purchasing: %v", err)
	}
	for _, o := range orders[:2] {
		if _, err := move(f.staff, o, supplies.StatusInput{Status: supplies.StatusPurchasing}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := move(f.sealed[1], orders[1], supplies.StatusInput{Status: supplies.StatusCancelled}); code(err) != "INVALID_TRANSITION" {
		t.Errorf("a household cancelling after the purchase started: %v", err)
	}
	pick, err := f.svc.Picks(ctx, f.staff, "c1", f.bldg["1号楼"])
	if err != nil || len(pick.Picks) != 2 || pick.Picks[0].Unit > pick.Picks[1].Unit || pick.Building != "1号楼" {
		t.Fatalf("pick list %+v %v", pick, err)
	}
	// Out for delivery with a staff member as the deliverer.
	a, err := f.svc.AssignBuilding(ctx, f.staff, "c1", f.bldg["1号楼"], "13900000001")
	if err != nil || len(a.OrderIDs) != 2 {
		t.Fatalf("assign %+v %v", a, err)
	}
	if _, err := f.svc.AssignBuilding(ctx, f.staff, "c1", f.bldg["1号楼"], "13900000001"); code(err) != "NOTHING_TO_DELIVER" {
		t.Errorf("assigning again: %v", err)
	}
	if _, err := f.svc.AssignBuilding(ctx, f.staff, "c1", f.bldg["1号楼"], "13700000005"); code(err) != "NOT_A_DELIVERER" {
		t.Errorf("a resident as deliverer: %v", err)
	}
	doors, err := f.svc.Deliveries(ctx, f.staff)
	if err != nil || len(doors) != 2 || !strings.Contains(doors[0].Phone, "****") || doors[0].Building != "1号楼" {
		t.Fatalf("the deliverer's doors %+v %v", doors, err)
	}
	// The household without the app was texted its door code.
	var texted bool
	for _, m := range f.texts("13700000000") {
		if m.Template == "order_on_the_way" && m.Params["code"] == orders[0].DoorCode {
			texted = true
		}
	}
	if !texted {
		t.Errorf("the household was not texted its door code: %+v", f.texts("13700000000"))
	}
	// Five wrong codes lock the handover; the household confirms in the app.
	for i := 0; i < supplies.MaxCodeTries; i++ {
		if _, err := move(f.staff, orders[0], supplies.StatusInput{Status: supplies.StatusDelivered, Code: "0000x"}); code(err) != "WRONG_DOOR_CODE" && code(err) != "DOOR_CODE_LOCKED" {
			t.Fatalf("a wrong code: %v", err)
		}
	}
	if _, err := move(f.staff, orders[0], supplies.StatusInput{Status: supplies.StatusDelivered, Code: orders[0].DoorCode}); code(err) != "DOOR_CODE_LOCKED" {
		t.Errorf("the right code after five wrong ones: %v", err)
	}
	if o, err := move(f.sealed[0], orders[0], supplies.StatusInput{Status: supplies.StatusConfirmed}); err != nil || o.Status != supplies.StatusConfirmed {
		t.Errorf("the household confirming at the door: %v", err)
	}
	// The other handed over with its code, then confirmed.
	if o, err := move(f.staff, orders[1], supplies.StatusInput{Status: supplies.StatusDelivered, Code: orders[1].DoorCode}); err != nil || o.DoorCode != "" {
		t.Fatalf("the handover: %+v %v", o, err)
	}
	mine, err := f.svc.HouseholdOrders(ctx, f.sealed[1])
	if err != nil || len(mine) != 1 || mine[0].Status != supplies.StatusDelivered || len(mine[0].History) != 5 {
		t.Fatalf("the household's orders %+v %v", mine, err)
	}
	for _, c := range mine[0].History {
		if _, off := c.At.Zone(); off != 8*3600 {
			t.Errorf("%s at %s: not Beijing time", c.Status, c.At.Format(time.RFC3339))
		}
	}
	if _, err := move(f.sealed[1], orders[1], supplies.StatusInput{Status: supplies.StatusConfirmed}); err != nil {
		t.Fatal(err)
	}
	if _, err := move(f.staff, orders[1], supplies.StatusInput{Status: supplies.StatusCancelled, Reason: "太晚了"}); code(err) != "INVALID_TRANSITION" {
		t.Errorf("cancelling a confirmed order: %v", err)
	}
	// CSV for Excel: BOM, the purchase list's header.
	rec := httptest.NewRecorder()
	h := f.svc.Handlers()["purchaseList"]
	req := httptest.NewRequest("GET", "/v1/communities/c1/purchase-list?format=csv", nil)
	req.SetPathValue("communityId", "c1")
	h.ServeHTTP(rec, req.WithContext(auth.WithPrincipal(ctx, f.staff)))
	if !strings.HasPrefix(rec.Body.String(), "\ufeff商家,联系电话,物品") {
		t.Errorf("purchase list CSV: %d %q", rec.Code, rec.Body.String())
	}
}

func TestStaffCancelNeedsAReasonAndReturnsStockOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rice := f.item(t, "大米", 5000, 10, 0)
	o, err := f.svc.PlaceOrder(ctx, f.sealed[0], "c1", order(rice.ID, 4), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetStatus(ctx, f.staff, o.ID, supplies.StatusInput{Status: supplies.StatusCancelled}); code(err) != "VALIDATION_FAILED" {
		t.Errorf("a staff cancel without a reason: %v", err)
	}
	var ok, lost atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.SetStatus(ctx, f.staff, o.ID, supplies.StatusInput{Status: supplies.StatusCancelled, Reason: "商家缺货"})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, supplies.ErrOrderChanged), errors.Is(err, supplies.ErrBadTransition):
				lost.Add(1)
			default:
				t.Errorf("cancel: %v", err)
			}
		}()
	}
	wg.Wait()
	if it, _ := f.st.Item(ctx, rice.ID); ok.Load() != 1 || it.Stock != 10 {
		t.Fatalf("8 parallel cancels: %d took, stock %d (want 1, 10)", ok.Load(), it.Stock)
	}
	var cancelled bool
	for _, m := range f.texts("13700000000") {
		if m.Template == "order_cancelled" && m.Params["reason"] == "商家缺货" {
			cancelled = true
		}
	}
	if !cancelled {
		t.Errorf("the household was not told why: %+v", f.texts("13700000000"))
	}
}

// TestConflictsThrottlingAndLostAnswers: conflicts and throttling are
// retried into one order; past the caller's deadline they are a 503 that
// took nothing; an order whose answer was lost is replayed by its key into
// the same order, and a cancel whose answer was lost returns stock once.
func TestConflictsThrottlingAndLostAnswers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rice := f.item(t, "大米", 5000, 10, 5)
	stock := func() int {
		it, err := f.st.Item(ctx, rice.ID)
		if err != nil {
			t.Fatal(err)
		}
		return it.Stock
	}
	f.db.Conflicts.Store(3)
	f.db.Throttles.Store(2)
	before := f.db.Calls.Load()
	if _, err := f.svc.PlaceOrder(ctx, f.sealed[0], "c1", order(rice.ID, 2), ""); err != nil {
		t.Fatalf("order through 3 conflicts and 2 throttles: %v", err)
	}
	if calls := f.db.Calls.Load() - before; calls != 6 {
		t.Errorf("%d transaction calls, want 5 failures and 1 success", calls)
	}
	if got := stock(); got != 8 {
		t.Fatalf("stock %d after one order of 2, want 8", got)
	}

	f.db.Conflicts.Store(1000)
	short, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
	_, err := f.svc.PlaceOrder(short, f.sealed[1], "c1", order(rice.ID, 1), "")
	cancel()
	f.db.Conflicts.Store(0)
	if e := apperr.As(err); e.Kind != apperr.KindUnavailable {
		t.Fatalf("endless conflicts: %v (%s), want a 503", err, e.Code)
	}
	if got := stock(); got != 8 {
		t.Fatalf("a failed order took stock: %d", got)
	}

	f.db.DropAfter.Store(1)
	if _, err := f.svc.PlaceOrder(ctx, f.sealed[2], "c1", order(rice.ID, 3), "lost-answer-key-1"); err == nil {
		t.Fatal("the dropped answer arrived")
	}
	first, err := f.svc.PlaceOrder(ctx, f.sealed[2], "c1", order(rice.ID, 3), "lost-answer-key-1")
	if err != nil {
		t.Fatalf("replay after a lost answer: %v", err)
	}
	again, err := f.svc.PlaceOrder(ctx, f.sealed[2], "c1", order(rice.ID, 3), "lost-answer-key-1")
	if err != nil || again.ID != first.ID {
		t.Fatalf("second replay: %v %v, want order %s", again.ID, err, first.ID)
	}
	if _, err := f.svc.PlaceOrder(ctx, f.sealed[2], "c1", order(rice.ID, 1), "lost-answer-key-1"); code(err) != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("the key with another order: %v, want IDEMPOTENCY_KEY_REUSED", err)
	}
	if got := stock(); got != 5 {
		t.Fatalf("stock %d after a replayed order of 3, want 5", got)
	}

	f.db.DropAfter.Store(1)
	if _, err := f.svc.SetStatus(ctx, f.sealed[2], first.ID, supplies.StatusInput{Status: supplies.StatusCancelled}); err == nil {
		t.Fatal("the dropped answer arrived")
	}
	_, err = f.svc.SetStatus(ctx, f.sealed[2], first.ID, supplies.StatusInput{Status: supplies.StatusCancelled})
	if err != nil && !errors.Is(err, supplies.ErrBadTransition) && !errors.Is(err, supplies.ErrOrderChanged) {
		t.Fatalf("cancel again: %v", err)
	}
	if got := stock(); got != 8 {
		t.Fatalf("stock %d after the cancel was retried, want 8", got)
	}
	o, err := f.st.Order(ctx, first.ID)
	if err != nil || o.Status != supplies.StatusCancelled {
		t.Fatalf("order %s after cancel: %v", o.Status, err)
	}
}

// TestOrdersFollowZonesBelowTheBuilding: a sealed unit's households and a
// controlled household order; the rest of the building, released, does
// not; the unit released, its households no longer can.
func TestOrdersFollowZonesBelowTheBuilding(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rice := f.item(t, "大米", 5000, 50, 0)
	ns := f.root.Notices()
	bs, _, err := f.st.Buildings(ctx, "c1", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var unit1 string
	for _, b := range bs {
		if b.ID == f.bldg["1号楼"] {
			unit1 = b.UnitIDs[slices.Index(b.Units, "1")]
		}
	}
	steps := []struct {
		t     notices.ZoneTargets
		level string
	}{
		{notices.Buildings(f.bldg["1号楼"]), notices.LevelNone},
		{notices.ZoneTargets{UnitIDs: []string{unit1}}, notices.LevelSealed},
		{notices.ZoneTargets{HouseholdIDs: []string{f.outside.HouseholdID}}, notices.LevelControlled},
	}
	for _, s := range steps {
		if _, err := ns.SetZones(ctx, f.staff, "c1", s.t, s.level); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		who  auth.Principal
		want string
	}{
		{"unit 1, sealed", f.sealed[0], ""},
		{"unit 2 of the released building", f.sealed[1], "NOT_IN_ZONE"},
		{"a controlled household", f.outside, ""},
	} {
		if _, err := f.svc.PlaceOrder(ctx, c.who, "c1", order(rice.ID, 1), ""); code(err) != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := ns.SetZones(ctx, f.staff, "c1", notices.ZoneTargets{UnitIDs: []string{unit1}}, notices.LevelNone); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PlaceOrder(ctx, f.sealed[3], "c1", order(rice.ID, 1), ""); code(err) != "NOT_IN_ZONE" {
		t.Fatalf("an order from the released unit: %v", err)
	}
}
