package supplies_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/volunteers"
)

// These are the defects an attack on the supplies API found, each held shut.

// TestDoorCodeGuessesInParallel: however many codes arrive at once, at most
// MaxCodeTries are compared; the right one after them finds the order locked.
func TestDoorCodeGuessesInParallel(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rice := f.item(t, "大米", 5000, 50, 0)
	o, err := f.svc.PlaceOrder(ctx, f.sealed[0], "c1", order(rice.ID, 1), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{supplies.StatusAccepted, supplies.StatusPurchasing} {
		if _, err := f.svc.SetStatus(ctx, f.staff, o.ID, supplies.StatusInput{Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.AssignBuilding(ctx, f.staff, "c1", f.bldg["1号楼"], "13900000001"); err != nil {
		t.Fatal(err)
	}
	var wrong, locked atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			guess := "0000"
			if o.DoorCode == guess {
				guess = "0001"
			}
			_, err := f.svc.SetStatus(ctx, f.staff, o.ID, supplies.StatusInput{Status: supplies.StatusDelivered, Code: guess})
			switch code(err) {
			case "WRONG_DOOR_CODE":
				wrong.Add(1)
			case "DOOR_CODE_LOCKED":
				locked.Add(1)
			default:
				t.Errorf("a guess: %v", err)
			}
		}()
	}
	wg.Wait()
	if wrong.Load() != supplies.MaxCodeTries {
		t.Fatalf("%d of 40 parallel guesses were compared, want %d", wrong.Load(), supplies.MaxCodeTries)
	}
	if _, err := f.svc.SetStatus(ctx, f.staff, o.ID, supplies.StatusInput{Status: supplies.StatusDelivered, Code: o.DoorCode}); code(err) != "DOOR_CODE_LOCKED" {
		t.Fatalf("the right code after the lock: %v", err)
	}
}

// TestOrderAndCatalogueBounds: what the contract bounds, the server holds.
func TestOrderAndCatalogueBounds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rice := f.item(t, "大米", 5000, 500, 0)
	cases := []struct {
		name, code, field string
		run               func() error
	}{
		{"one item on several lines past 99", "VALIDATION_FAILED", "lines[1].quantity", func() error {
			_, err := f.svc.PlaceOrder(ctx, f.sealed[0], "c1", supplies.OrderInput{Lines: []supplies.OrderLineInput{
				{ItemID: rice.ID, Quantity: 60}, {ItemID: rice.ID, Quantity: 60}}}, "")
			return err
		}},
		{"a price the household did not see", "ITEM_CHANGED", "lines[0].priceFen", func() error {
			_, err := f.svc.PlaceOrder(ctx, f.sealed[0], "c1", supplies.OrderInput{Lines: []supplies.OrderLineInput{
				{ItemID: rice.ID, Quantity: 1, PriceFen: ptr(4000)}}}, "")
			return err
		}},
		{"stock past a million", "STOCK_CEILING", "", func() error {
			_, err := f.svc.UpdateItem(ctx, f.staff, rice.ID, supplies.ItemInput{AddStock: ptr(999_900)})
			return err
		}},
		{"an empty change", "VALIDATION_FAILED", "body", func() error {
			_, err := f.svc.UpdateItem(ctx, f.staff, rice.ID, supplies.ItemInput{})
			return err
		}},
		{"a merchant phone of dashes", "VALIDATION_FAILED", "phone", func() error {
			_, err := f.svc.CreateMerchant(ctx, f.staff, "c1", supplies.MerchantInput{Name: "某店", Phone: "-------"})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if code(err) != c.code {
				t.Fatalf("%v, want %s", err, c.code)
			}
			if c.field == "" {
				return
			}
			for _, fe := range apperr.As(err).Fields {
				if fe.Field == c.field {
					return
				}
			}
			t.Fatalf("fields %+v do not name %s", apperr.As(err).Fields, c.field)
		})
	}
	it, err := f.st.Item(ctx, rice.ID)
	if err != nil || it.Stock != 500 || it.Version != rice.Version {
		t.Fatalf("refused changes changed the item: %+v %v", it, err)
	}
	// The price the household saw is the price: taken.
	if _, err := f.svc.PlaceOrder(ctx, f.sealed[0], "c1", supplies.OrderInput{Lines: []supplies.OrderLineInput{
		{ItemID: rice.ID, Quantity: 1, PriceFen: ptr(5000)}}}, ""); err != nil {
		t.Fatal(err)
	}
}

// TestCancelReasonsReachTheHousehold: a reason no carrier would take is
// refused when typed, not lost when texted; the door code and the reason go
// out even after routine news used up the phone's daily share.
func TestCancelReasonsReachTheHousehold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rice := f.item(t, "大米", 5000, 50, 0)
	o, err := f.svc.PlaceOrder(ctx, f.sealed[0], "c1", order(rice.ID, 1), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"缺货 ★", "请看 http://x.cn", "电话 13912345678", "【紧急】"} {
		if _, err := f.svc.SetStatus(ctx, f.staff, o.ID, supplies.StatusInput{Status: supplies.StatusCancelled, Reason: bad}); code(err) != "VALIDATION_FAILED" {
			t.Errorf("reason %q: %v", bad, err)
		}
	}
	// Routine news took the phone's whole share for the day.
	for i := 0; i < sms.PerPhonePerDay; i++ {
		msg, _ := sms.OrderUpdate("ABCDEF", "已受理")
		if err := f.root.Texter().Told.Send(ctx, "13700000000", msg); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.SetStatus(ctx, f.staff, o.ID, supplies.StatusInput{Status: supplies.StatusCancelled, Reason: "商家缺货"}); err != nil {
		t.Fatal(err)
	}
	var told bool
	for _, m := range f.texts("13700000000") {
		told = told || (m.Template == "order_cancelled" && m.Params["reason"] == "商家缺货")
	}
	if !told {
		t.Fatal("the cancellation was crowded out by routine news")
	}
}

// TestDoorCodesStayWithTheHousehold: no answer or export a staff member or
// deliverer gets carries a door code; a hand-over without the code needs a
// reason, has its own audit entry, and the household sees it and is
// texted.
func TestDoorCodesStayWithTheHousehold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rice := f.item(t, "大米", 5000, 50, 0)
	household := f.sealed[5]
	o, err := f.svc.PlaceOrder(ctx, household, "c1", order(rice.ID, 1), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{supplies.StatusAccepted, supplies.StatusPurchasing} {
		if _, err := f.svc.SetStatus(ctx, f.staff, o.ID, supplies.StatusInput{Status: s}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.AssignBuilding(ctx, f.staff, "c1", f.bldg["1号楼"], "13900000001"); err != nil {
		t.Fatal(err)
	}
	shown := func(who auth.Principal) string {
		got, err := f.svc.Order(ctx, who, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(supplies.ShownTo(who, got))
		return string(b)
	}
	live, err := f.st.Order(ctx, o.ID)
	if err != nil || live.DoorCode == "" {
		t.Fatalf("the stored order %+v %v", live, err)
	}
	if s := shown(household); !strings.Contains(s, `"doorCode":"`+live.DoorCode+`"`) {
		t.Errorf("the household's own view lacks its code: %s", s)
	}
	staffView := shown(f.staff)
	list, _ := f.svc.Orders(ctx, f.staff, "c1", supplies.StatusOutForDelivery, "")
	listed, _ := json.Marshal(list)
	raw, _ := json.Marshal(live) // an export of the stored order, as retention's is
	for what, s := range map[string]string{"the staff's view": staffView, "the staff's list": string(listed), "an export": string(raw)} {
		if strings.Contains(s, "doorCode") {
			t.Errorf("%s carries the door code: %s", what, s)
		}
	}
	// Without the code: only with a reason, only for delivered.
	for _, in := range []supplies.StatusInput{{Status: supplies.StatusDelivered, WithoutCode: true},
		{Status: supplies.StatusCancelled, Reason: "缺货", WithoutCode: true}} {
		if _, err := f.svc.SetStatus(ctx, f.staff, o.ID, in); code(err) != "VALIDATION_FAILED" {
			t.Errorf("%+v: %v", in, err)
		}
	}
	got, err := f.svc.SetStatus(ctx, f.staff, o.ID, supplies.StatusInput{Status: supplies.StatusDelivered, WithoutCode: true, Reason: "老人手机没电"})
	if err != nil || got.Status != supplies.StatusDelivered {
		t.Fatalf("a hand-over without the code: %+v %v", got, err)
	}
	mine, err := f.svc.HouseholdOrders(ctx, household)
	last := mine[0].History[len(mine[0].History)-1]
	if err != nil || !last.WithoutCode || last.Reason != "老人手机没电" {
		t.Errorf("the household's history says %+v %v", last, err)
	}
	var told bool
	for _, m := range f.texts("13700000005") {
		told = told || (m.Template == "order_handed_over" && m.Params["reason"] == "老人手机没电")
	}
	if !told {
		t.Errorf("the household was not texted the hand-over: %+v", f.texts("13700000005"))
	}
	entries, _, err := f.st.AuditPage(ctx, "s1", chinatime.In(time.Now()).Format(time.DateOnly), "", 100)
	var audited bool
	for _, e := range entries {
		audited = audited || (e.Op == "handOverWithoutCode" && e.IDs["orderId"] == o.ID && e.Status == 200)
	}
	if err != nil || !audited {
		t.Errorf("no audit entry of the hand-over: %+v %v", entries, err)
	}
}

// TestADeactivatedDelivererKeepsNoDoor: deactivating a volunteer gives back
// the doors they were taking (the orders go back to purchasing, for staff to
// send out again): they can no longer read those orders nor try codes.
func TestADeactivatedDelivererKeepsNoDoor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	vols := f.root.Volunteers()
	v := volunteers.Volunteer{ID: "v-d", CommunityID: "c1", Name: "送货员", Phone: "13500000009", Category: "individual",
		Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusPending, CreatedAt: time.Now()}
	if err := f.st.CreateVolunteer(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := vols.Decide(ctx, f.staff, v.ID, volunteers.StatusApproved); err != nil {
		t.Fatal(err)
	}
	acct, err := f.st.AccountByPhone(ctx, v.Phone)
	if err != nil {
		t.Fatal(err)
	}
	rice := f.item(t, "大米", 5000, 50, 0)
	o, err := f.svc.PlaceOrder(ctx, f.sealed[7], "c1", order(rice.ID, 1), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{supplies.StatusAccepted, supplies.StatusPurchasing} {
		if _, err := f.svc.SetStatus(ctx, f.staff, o.ID, supplies.StatusInput{Status: s}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.AssignBuilding(ctx, f.staff, "c1", f.bldg["1号楼"], v.Phone); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Order(ctx, acct.Principal, o.ID); err != nil {
		t.Fatalf("the deliverer reads their door: %v", err)
	}
	if _, err := vols.Decide(ctx, f.staff, v.ID, volunteers.StatusInactive); err != nil {
		t.Fatal(err)
	}
	// Their token, still in hand, carries the role a while: the door is
	// no longer theirs anyway.
	if _, err := f.svc.Order(ctx, acct.Principal, o.ID); code(err) != "FORBIDDEN" {
		t.Errorf("a deactivated deliverer reads the order: %v", err)
	}
	if _, err := f.svc.SetStatus(ctx, acct.Principal, o.ID, supplies.StatusInput{Status: supplies.StatusDelivered, Code: "1234"}); code(err) != "FORBIDDEN" {
		t.Errorf("a deactivated deliverer tries a code: %v", err)
	}
	back, err := f.st.Order(ctx, o.ID)
	if err != nil || back.Status != supplies.StatusPurchasing || back.DelivererID != "" {
		t.Errorf("the order after: %+v %v", back, err)
	}
}
