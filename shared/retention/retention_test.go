package retention_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/care"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/retention"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/volunteers"
	"github.com/fangxian/fangxian/shared/watch"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

type fixture struct {
	st       *store.Store
	svc      *retention.Service
	staff    auth.Principal
	resident auth.Principal
	round    booking.Round
	slot     booking.Slot
	notice   notices.Notice
	order    supplies.Order
	help     help.Request
	root     *app.Root
}

// newFixture is a community after a day of emergency: a booking, a
// temperature report, a notice texted to a building, a cancelled order, a
// closed help request and a volunteer's served hours.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	dynamolocal.SeedCommunity(t, st, "s2", "c2", "13900000100")
	csv := "building,unit,room,name,phone\n1号楼,1,101,王伯,13700000001\n1号楼,1,101,王婶,13700000002\n1号楼,1,102,李姐,13700000003\n"
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(csv)); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "工作人员", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	acct, err := st.AccountByPhone(ctx, "13700000001")
	if err != nil {
		t.Fatal(err)
	}
	outbox := &sms.Outbox{Signature: "防线", Now: time.Now}
	q := queue.NewLocal(5, 10, time.Millisecond)
	root := app.Local(st, q, outbox, time.Now)
	f := &fixture{st: st, resident: acct.Principal,
		staff: auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized(),
		svc:   root.Retention(), root: root}
	now := time.Now()
	bk := root.Booking()
	if f.round, err = bk.CreateRound(ctx, f.staff, "c1", booking.RoundInput{Name: "r", StartsAt: now.Add(time.Hour), EndsAt: now.Add(5 * time.Hour), SlotMinutes: 60}); err != nil {
		t.Fatal(err)
	}
	_, slots, err := bk.AddSite(ctx, f.staff, f.round.ID, booking.SiteInput{Name: "东门", Lanes: 1, PerLanePerSlot: 2})
	if err != nil {
		t.Fatal(err)
	}
	f.slot = slots[0]
	if _, err := bk.Book(ctx, f.resident, f.round.ID, f.slot.ID, []string{f.resident.UserID}, ""); err != nil {
		t.Fatal(err)
	}
	ns := root.Notices()
	building := registry.BuildingOf(f.resident.UserID)
	if _, err := ns.SetZones(ctx, f.staff, "c1", notices.Buildings(building), notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	if f.notice, err = ns.Create(ctx, f.staff, "c1", notices.NoticeInput{Title: "封控通知", Body: "请居家", Channels: []string{"app", "sms"},
		Audience: notices.Audience{BuildingIDs: []string{building}}}); err != nil {
		t.Fatal(err)
	}
	q.Drain(ctx, root.Consumer().Handle)
	if _, err := ns.Acknowledge(ctx, f.resident, f.notice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Report(ctx, f.resident, "", 36.6, nil); err != nil {
		t.Fatal(err)
	}
	sp := root.Supplies()
	m, err := sp.CreateMerchant(ctx, f.staff, "c1", supplies.MerchantInput{Name: "超市", Phone: "13800001111"})
	if err != nil {
		t.Fatal(err)
	}
	name, unit, price, stock, limit := "大米", "袋", 5000, 10, 0
	item, err := sp.CreateItem(ctx, f.staff, "c1", supplies.ItemInput{Name: &name, Unit: &unit, PriceFen: &price, MerchantID: &m.ID, Stock: &stock, LimitPerHousehold: &limit})
	if err != nil {
		t.Fatal(err)
	}
	o, err := sp.PlaceOrder(ctx, f.resident, "c1", supplies.OrderInput{Lines: []supplies.OrderLineInput{{ItemID: item.ID, Quantity: 1}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.order, err = sp.SetStatus(ctx, f.resident, o.ID, supplies.StatusInput{Status: supplies.StatusCancelled}); err != nil {
		t.Fatal(err)
	}
	hs := root.Help()
	h, err := hs.Create(ctx, f.resident, help.Input{Kind: help.KindMedicalVisit})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hs.Claim(ctx, f.staff, h.ID); err != nil {
		t.Fatal(err)
	}
	if f.help, err = hs.CloseRequest(ctx, f.staff, h.ID, "已送医"); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Watch().Open(ctx, f.staff, "c1", watch.Input{ResidentIDs: []string{f.resident.UserID}, Kind: watch.KindHealthMonitoring, Reason: "staff", TestDays: []int{1}}); err != nil {
		t.Fatal(err)
	}
	in, out := now.Add(-3*time.Hour), now.Add(-time.Hour)
	c := volunteers.Checkin{VolunteerID: "v1", CommunityID: "c1", Name: "张卫国", Category: "individual", PostID: "p1", Post: "卡口",
		ShiftID: "s1", In: in, ShiftEnds: now}
	if err := st.StartServing(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Out, c.Minutes = &out, 120
	if err := st.StopServing(ctx, c); err != nil {
		t.Fatal(err)
	}
	return f
}

// expiries reads the expiresAt of every item of a partition (0: none).
func (f *fixture) expiries(t *testing.T, pk string) map[string]int64 {
	t.Helper()
	out, err := f.st.DB.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(f.st.Table),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, av := range out.Items {
		sk := av["SK"].(*types.AttributeValueMemberS).Value
		if v, ok := av["expiresAt"].(*types.AttributeValueMemberN); ok {
			got[sk], _ = strconv.ParseInt(v.Value, 10, 64)
		} else {
			got[sk] = 0
		}
	}
	if len(got) == 0 {
		t.Fatalf("no items in %s", pk)
	}
	return got
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

// TestEmergencyDataExpires: the end of an emergency gives every set its
// TTL, in runs of the job that stop at their budget and pick up where the
// last stopped; the register is not touched.
func TestEmergencyDataExpires(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A test day's result of the fixture's watch, and a transfer.
	ws, err := f.root.Watch().List(ctx, f.staff, "c1", "active")
	if err != nil || len(ws) != 1 {
		t.Fatalf("the fixture's watch: %v %v", ws, err)
	}
	if _, err := f.root.Watch().RecordTest(ctx, f.staff, "c1", ws[0].ID, watch.TestInput{ResidentID: f.resident.ResidentID, TestDay: ws[0].TestDays[0], Result: watch.ResultNegative}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.root.Watch().CreateTransfer(ctx, f.staff, "c1", watch.TransferInput{ResidentIDs: []string{f.resident.ResidentID}, Pickup: "东门",
		At: time.Now().Add(time.Hour).Format(time.RFC3339), Destination: "隔离点"}); err != nil {
		t.Fatal(err)
	}
	ended := time.Now()
	if err := f.svc.ScheduleExpiry(ctx, "c1", ended.Add(-24*time.Hour), ended, 30); err != nil {
		t.Fatal(err)
	}
	want := ended.Truncate(time.Second).AddDate(0, 0, 30).Unix()
	// A run with no budget marks nothing and keeps the expiry pending.
	if n, err := f.svc.Continue(ctx, 0); err != nil || n != 0 {
		t.Fatalf("a run without budget marked %d, %v", n, err)
	}
	// Two runs at once (the schedule overlapping a slow run) mark the same.
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.svc.Continue(ctx, retention.Budget); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n, err := f.svc.Continue(ctx, retention.Budget); err != nil || n != 0 {
		t.Errorf("a run after the expiry was done marked %d, %v", n, err)
	}
	for _, pk := range []string{"ROUND#" + f.round.ID, "ORDER#" + f.order.ID, "HELP#" + f.help.ID} {
		for sk, at := range f.expiries(t, pk) {
			if at != want {
				t.Errorf("%s %s expires at %d, want %d", pk, sk, at, want)
			}
		}
	}
	for sk, at := range f.expiries(t, "NOTICE#"+f.notice.ID) {
		if sk == "NOTICE" && at != 0 {
			t.Errorf("the notice itself (no personal data) got a TTL")
		}
		if sk != "NOTICE" && at != want {
			t.Errorf("notice item %s expires at %d, want %d", sk, at, want)
		}
	}
	for sk, at := range f.expiries(t, "VOL#v1") {
		if at != want {
			t.Errorf("served hours %s expire at %d, want %d", sk, at, want)
		}
	}
	seen := map[string]bool{}
	for sk, at := range f.expiries(t, "COMMUNITY#c1") {
		for _, prefix := range []string{"WATCH#", "WTEST#", "TRANSFER#"} {
			if strings.HasPrefix(sk, prefix) {
				seen[prefix] = true
				if at != want {
					t.Errorf("%s expires at %d, want %d", sk, at, want)
				}
			}
		}
	}
	if len(seen) != 3 {
		t.Errorf("the community's watch, test result and transfer: saw %v", seen)
	}
	for sk, at := range f.expiries(t, "BUILDING#"+registry.BuildingOf(f.resident.UserID)) {
		if at != 0 {
			t.Errorf("the register's %s got a TTL", sk)
		}
	}
	rep, err := f.svc.Report(ctx, f.staff, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Expiry == nil || rep.Expiry.Status != retention.StatusDone {
		t.Fatalf("report expiry %+v", rep.Expiry)
	}
	for _, s := range rep.Sets {
		if !s.Complete || s.ExpiresAt == nil || s.ExpiresAt.Unix() != want {
			t.Errorf("set %s: %+v", s.Name, s)
		}
		// Temperature reports carry their own 30 days from the report.
		if s.Name != "temperatures" && s.Marked == 0 {
			t.Errorf("set %s marked nothing", s.Name)
		}
	}
	if pending, _ := f.st.PendingRetention(ctx); len(pending) != 0 {
		t.Errorf("%d expiries still pending", len(pending))
	}
}

// TestExportAndErase: staff export a resident's data and erase it on
// request, not during an emergency; the register entry and the
// household's other members stay; a booking to come gives its place back.
func TestExportAndErase(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other := auth.Principal{UserID: "u-x", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()
	if _, err := f.svc.Export(ctx, other, f.resident.UserID); code(err) != "FORBIDDEN" {
		t.Errorf("another community's staff exported: %v", err)
	}
	if _, err := f.svc.Export(ctx, f.staff, "nobody"); code(err) != "RESIDENT_NOT_FOUND" {
		t.Errorf("an unknown resident: %v", err)
	}
	// Under health monitoring with her mother, with a reading taken at the
	// door: the export has her watch (her alone) and her check.
	_, members, err := f.st.Household(ctx, f.resident.HouseholdID)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := f.root.Watch().List(ctx, f.staff, "c1", "active")
	if err != nil || len(ws) != 1 {
		t.Fatalf("the fixture's watch: %v %v", ws, err)
	}
	if _, err := f.root.Watch().End(ctx, f.staff, "c1", ws[0].ID); err != nil {
		t.Fatal(err)
	}
	w, err := f.root.Watch().Open(ctx, f.staff, "c1", watch.Input{HouseholdID: f.resident.HouseholdID, Kind: watch.KindHealthMonitoring, Reason: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	c := 36.5
	if _, err := f.root.Watch().Enter(ctx, f.staff, "c1", w.ID, watch.Reading{ResidentID: f.resident.ResidentID, Celsius: &c}); err != nil {
		t.Fatal(err)
	}
	// Taken away with her mother left behind: the export has the batch
	// with her entry only.
	var mother string
	for _, m := range members {
		if m.ID != f.resident.ResidentID {
			mother = m.ID
		}
	}
	tr, err := f.root.Watch().CreateTransfer(ctx, f.staff, "c1", watch.TransferInput{ResidentIDs: []string{f.resident.ResidentID}, Pickup: "东门",
		At: time.Now().Add(time.Hour).Format(time.RFC3339), Destination: "隔离点", LeftBehind: []watch.DependantInput{{Kind: "elderly", ResidentID: mother}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.root.Care().SetPlan(ctx, f.staff, f.resident.ResidentID, care.PlanInput{DailyCheck: true,
		Needs: []care.Need{{Kind: "dialysis", Weekdays: []int{1, 2, 3, 4, 5, 6, 7}, At: "08:00", Place: "兰大一院", NeedsCar: true}}}); err != nil {
		t.Fatal(err)
	}
	tomorrow := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
	if _, err := f.root.Care().GiveCar(ctx, f.staff, "c1", care.CarInput{ResidentID: f.resident.ResidentID, Day: tomorrow, Car: care.Car{Driver: "张师傅", Phone: "13800138000"}}); err != nil {
		t.Fatal(err)
	}
	passCode, err := f.root.Gate().CodeFor(ctx, f.resident)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := f.svc.Export(ctx, f.staff, f.resident.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Pass == nil || ex.Pass.Code != passCode || ex.Gate == nil {
		t.Errorf("export of the household's pass: %+v, %+v", ex.Pass, ex.Gate)
	}
	if ex.CarePlan == nil || !ex.CarePlan.DailyCheck || len(ex.CareTrips) != 1 || ex.CareTrips[0].Car == nil || ex.CareTrips[0].Place != "兰大一院" {
		t.Errorf("export of the care plan: %+v, trips %+v", ex.CarePlan, ex.CareTrips)
	}
	if len(ex.Transfers) != 1 || ex.Transfers[0].ID != tr.ID || len(ex.Transfers[0].People) != 1 || len(ex.Transfers[0].LeftBehind) != 0 {
		t.Errorf("export of the transfer: %+v", ex.Transfers)
	}
	i := slices.IndexFunc(ex.Watches, func(x watch.Watch) bool { return x.ID == w.ID })
	if len(members) < 2 || len(ex.Watches) != 2 || i < 0 || !slices.Equal(ex.Watches[i].ResidentIDs, []string{f.resident.ResidentID}) || len(ex.Watches[i].Names) != 1 ||
		len(ex.Checks) != 1 || ex.Checks[0].Celsius != 36.5 {
		t.Errorf("export of the watch: %d members, %+v, %+v", len(members), ex.Watches, ex.Checks)
	}
	if len(ex.Bookings) != 1 || len(ex.Temperatures) != 1 || len(ex.Orders) != 1 || len(ex.Help) != 1 || ex.Resident.Phone != "13700000001" {
		t.Fatalf("export: %d bookings, %d temperatures, %d orders, %d help, phone %s", len(ex.Bookings), len(ex.Temperatures), len(ex.Orders), len(ex.Help), ex.Resident.Phone)
	}
	now := time.Now()
	if err := f.st.SetMode(ctx, playbook.State{CommunityID: "c1", Mode: playbook.ModeEmergency, Since: &now, Version: 1}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Erase(ctx, f.staff, f.resident.UserID); code(err) != "EMERGENCY_ONGOING" {
		t.Fatalf("an erasure during the emergency: %v", err)
	}
	if err := f.st.SetMode(ctx, playbook.State{CommunityID: "c1", Mode: playbook.ModeNormal, Version: 2}, 1); err != nil {
		t.Fatal(err)
	}
	before, err := f.st.Slots(ctx, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	er, err := f.svc.Erase(ctx, f.staff, f.resident.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if er.Bookings != 1 || er.Temperatures != 1 || er.Orders != 1 || er.Help != 1 || er.Items < 5 {
		t.Errorf("erasure: %+v", er)
	}
	after, err := f.st.Slots(ctx, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after[0].Booked != before[0].Booked-1 {
		t.Errorf("the erased booking's place: booked %d → %d", before[0].Booked, after[0].Booked)
	}
	ex, err = f.svc.Export(ctx, f.staff, f.resident.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Bookings)+len(ex.Temperatures)+len(ex.Orders)+len(ex.Help) != 0 || ex.Resident.Name != "王伯" {
		t.Errorf("after the erasure: %+v", ex)
	}
	again, err := f.svc.Erase(ctx, f.staff, f.resident.UserID)
	if err != nil || again.Items != 0 {
		t.Errorf("a second erasure: %+v, %v", again, err)
	}
}

// TestOnlyTheEmergencysDataExpires: an emergency's end marks what was made
// during it, never what was there before it began (an earlier order, help
// request, round, notice or shift).
func TestOnlyTheEmergencysDataExpires(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	began := time.Now().Add(time.Minute) // after the fixture's data was made
	if err := f.svc.ScheduleExpiry(ctx, "c1", began, began.Add(time.Hour), 30); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Continue(ctx, retention.Budget); err != nil {
		t.Fatal(err)
	}
	for _, pk := range []string{"ROUND#" + f.round.ID, "ORDER#" + f.order.ID, "HELP#" + f.help.ID, "NOTICE#" + f.notice.ID, "VOL#v1"} {
		for sk, at := range f.expiries(t, pk) {
			if at != 0 {
				t.Errorf("%s %s, made before the emergency, was marked to expire", pk, sk)
			}
		}
	}
}
