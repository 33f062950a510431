package care_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/care"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

// TestACarePlanThroughTheWeek: a dialysis plan shows tomorrow's trip on
// the board; with no car by 18:00 the trip is a help request, once; the
// daily check is asked at 08:00, answered by SMS 是, and one unanswered by
// noon is a help request, once; plans are refused that overlap, and kept
// from other communities' staff.
func TestACarePlanThroughTheWeek(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	dynamolocal.SeedCommunity(t, st, "s2", "c2", "13900000100")
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-1", Name: "工作人员", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	imp := &registry.Importer{Store: st, Now: time.Now}
	if _, err := imp.Import(ctx, "c1", []byte("building,unit,room,name,phone,flags\n3号楼,2,101,王伯,13700000001,dialysis\n3号楼,2,102,李奶奶,13700000002,alone\n")); err != nil {
		t.Fatal(err)
	}
	// Monday 2026-11-30, 07:00 Beijing.
	cl := &clock{t: time.Date(2026, 11, 30, 7, 0, 0, 0, time.FixedZone("CST", 8*3600))}
	outbox := &sms.Outbox{Signature: "防线", Now: time.Now}
	q := queue.NewLocal(5, 10, time.Millisecond)
	root := app.Local(st, q, outbox, cl.Now)
	svc := root.Care()
	staff := auth.Principal{UserID: "u-1", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	other := auth.Principal{UserID: "u-2", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()
	admin := auth.Principal{UserID: "admin-s1", Role: manifest.RoleAdmin, StreetID: "s1"}.Normalized()
	wang, err := st.AccountByPhone(ctx, "13700000001")
	if err != nil {
		t.Fatal(err)
	}
	li, err := st.AccountByPhone(ctx, "13700000002")
	if err != nil {
		t.Fatal(err)
	}
	texts := func(template string) int {
		q.Drain(ctx, root.Consumer().Handle)
		n := 0
		for _, m := range outbox.All() {
			if m.Template == template {
				n++
			}
		}
		return n
	}

	hosp, err := svc.AddHospital(ctx, admin, "s1", care.HospitalInput{Name: "兰大一院", Phone: "0931-8625200", Note: "血透中心"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddHospital(ctx, staff, "s1", care.HospitalInput{Name: "某医院", Phone: "0931-1"}); code(err) != "FORBIDDEN" {
		t.Errorf("staff added a hospital: %v", err)
	}
	dialysis := care.Need{Kind: "dialysis", Weekdays: []int{2, 4, 6}, At: "08:00", HospitalID: hosp.ID, NeedsCar: true}
	for _, c := range []struct {
		name string
		in   care.PlanInput
		want string
	}{
		{"overlapping needs", care.PlanInput{Needs: []care.Need{dialysis, {Kind: "checkup", Weekdays: []int{4}, At: "10:00", Place: "社区医院"}}}, "CARE_TRIPS_OVERLAP"},
		{"a weekday 8", care.PlanInput{Needs: []care.Need{{Kind: "dialysis", Weekdays: []int{8}, At: "08:00", Place: "兰大一院"}}}, "VALIDATION_FAILED"},
		{"a time 25:00", care.PlanInput{Needs: []care.Need{{Kind: "dialysis", Weekdays: []int{2}, At: "25:00", Place: "兰大一院"}}}, "VALIDATION_FAILED"},
		{"another street's hospital", care.PlanInput{Needs: []care.Need{{Kind: "dialysis", Weekdays: []int{2}, At: "08:00", HospitalID: "hpnone"}}}, "VALIDATION_FAILED"},
		{"a due date years ahead", care.PlanInput{DueDate: "2030-01-01"}, "VALIDATION_FAILED"},
	} {
		if _, err := svc.SetPlan(ctx, staff, wang.Principal.ResidentID, c.in); code(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	plan, err := svc.SetPlan(ctx, staff, wang.Principal.ResidentID, care.PlanInput{Needs: []care.Need{dialysis},
		Contact: &care.Contact{Name: "王小明", Phone: "13800000003"}})
	if err != nil || plan.Needs[0].Place != "兰大一院" || plan.Needs[0].Minutes != 240 {
		t.Fatalf("the dialysis plan: %+v %v", plan, err)
	}
	if _, err := svc.SetPlan(ctx, other, wang.Principal.ResidentID, care.PlanInput{}); code(err) != "FORBIDDEN" {
		t.Errorf("another community's staff: %v", err)
	}
	if _, err := svc.SetPlan(ctx, staff, li.Principal.ResidentID, care.PlanInput{DailyCheck: true, DueDate: ""}); err != nil {
		t.Fatal(err)
	}
	// The person reads their own plan; nobody else's.
	if _, err := svc.PlanOf(ctx, wang.Principal, wang.Principal.ResidentID); err != nil {
		t.Errorf("their own plan: %v", err)
	}
	if _, err := svc.PlanOf(ctx, wang.Principal, li.Principal.ResidentID); code(err) != "FORBIDDEN" {
		t.Errorf("a neighbour's plan: %v", err)
	}

	// Monday's board: Tuesday's trip, no car yet; the check not asked.
	board, err := svc.BoardOf(ctx, staff, "c1", "")
	if err != nil || len(board.Trips) != 1 || board.Trips[0].Car != nil || len(board.Checks) != 1 || board.Checks[0].AskedAt != nil || len(board.Hospitals) != 1 {
		t.Fatalf("Monday's board: %+v %v", board, err)
	}
	// 08:00: the check asked, once however often the job runs.
	cl.set(cl.Now().Add(time.Hour))
	for i, want := range []int{1, 0} {
		m, err := svc.Run(ctx, cl.Now())
		if err != nil || m.Asked != want {
			t.Errorf("run %d: %+v %v", i, m, err)
		}
	}
	if n := texts("care_check"); n != 1 {
		t.Errorf("%d daily check texts, want 1", n)
	}
	// 12:00: unanswered, a help request, once.
	cl.set(cl.Now().Add(4 * time.Hour))
	for i, want := range []int{1, 0} {
		m, err := svc.Run(ctx, cl.Now())
		if err != nil || m.Unanswered != want {
			t.Errorf("noon run %d: %+v %v", i, m, err)
		}
	}
	// 18:00: Tuesday's trip has no car: a help request (dialysis), once.
	cl.set(cl.Now().Add(6 * time.Hour))
	for i, want := range []int{1, 0} {
		m, err := svc.Run(ctx, cl.Now())
		if err != nil || m.NoCar != want {
			t.Errorf("evening run %d: %+v %v", i, m, err)
		}
	}
	helps, err := root.Help().List(ctx, staff, "c1")
	if err != nil || len(helps) != 2 {
		t.Fatalf("help requests: %+v %v", helps, err)
	}
	board, _ = svc.BoardOf(ctx, staff, "c1", "")
	if board.Trips[0].HelpID == "" || board.Checks[0].HelpID == "" {
		t.Errorf("the board names the help requests: %+v", board)
	}
	// The car given; a trip of a day without one is refused.
	trip, err := svc.GiveCar(ctx, staff, "c1", care.CarInput{ResidentID: wang.Principal.ResidentID, Day: "2026-12-01", Need: 0,
		Car: care.Car{Driver: "张师傅", Phone: "13800138000", Plate: "甘A12345"}})
	if err != nil || trip.Car == nil {
		t.Fatalf("the car: %+v %v", trip, err)
	}
	if _, err := svc.GiveCar(ctx, staff, "c1", care.CarInput{ResidentID: wang.Principal.ResidentID, Day: "2026-12-02", Need: 0,
		Car: care.Car{Driver: "张师傅", Phone: "13800138000"}}); code(err) != "NO_SUCH_TRIP" {
		t.Errorf("Wednesday has no dialysis: %v", err)
	}
	// Tuesday 08:00: asked again; 是 by SMS answers it, a second 是 finds
	// nothing waiting.
	cl.set(time.Date(2026, 12, 1, 8, 30, 0, 0, time.FixedZone("CST", 8*3600)))
	if m, err := svc.Run(ctx, cl.Now()); err != nil || m.Asked != 1 {
		t.Fatalf("Tuesday: %+v %v", m, err)
	}
	for i, want := range []string{"reply_answer", "reply_refused"} {
		before := texts(want)
		if err := root.Flow().Handle(ctx, dispatch.InboundSMS{From: "13700000002", Text: "是", Key: "yes-" + want, At: cl.Now()}); err != nil {
			t.Fatal(err)
		}
		if texts(want) != before+1 {
			t.Errorf("是 %d: no %s", i, want)
		}
	}
	cl.set(cl.Now().Add(4 * time.Hour))
	if m, err := svc.Run(ctx, cl.Now()); err != nil || m.Unanswered != 0 {
		t.Errorf("an answered check made a help request: %+v %v", m, err)
	}
	// Wednesday: the jobs were down all morning; the check asked at 12:30
	// is not a help request a minute later, but an hour later it is.
	cl.set(time.Date(2026, 12, 2, 12, 30, 0, 0, time.FixedZone("CST", 8*3600)))
	if m, err := svc.Run(ctx, cl.Now()); err != nil || m.Asked != 1 || m.Unanswered != 0 {
		t.Errorf("asked late: %+v %v", m, err)
	}
	cl.set(cl.Now().Add(time.Minute))
	if m, err := svc.Run(ctx, cl.Now()); err != nil || m.Unanswered != 0 {
		t.Errorf("a minute after a late ask: %+v %v", m, err)
	}
	cl.set(cl.Now().Add(time.Hour))
	if m, err := svc.Run(ctx, cl.Now()); err != nil || m.Unanswered != 1 {
		t.Errorf("an hour after a late ask: %+v %v", m, err)
	}
	// The person removes their plan.
	if err := svc.Remove(ctx, li.Principal, li.Principal.ResidentID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PlanOf(ctx, staff, li.Principal.ResidentID); code(err) != "CARE_PLAN_NOT_FOUND" {
		t.Errorf("a removed plan: %v", err)
	}
}

// TestCarePlansHoldUnderAttack: what an attack on care plans found, each
// held: needs overlapping across midnight (and Sunday into Monday); a car
// staying with a need's place after the plan changed; eight evening runs
// at once raising one request with one note; a check asked at night; a
// car for an id that is no id; a hospital phone a text cannot carry; a
// hospital taken off the list.
func TestCarePlansHoldUnderAttack(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-1", Name: "工作人员", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	imp := &registry.Importer{Store: st, Now: time.Now}
	if _, err := imp.Import(ctx, "c1", []byte("building,unit,room,name,phone,flags\n3号楼,2,101,王伯,13700000001,dialysis\n3号楼,2,102,李奶奶,13700000002,alone\n")); err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("CST", 8*3600)
	// Monday 2026-11-30, 18:30.
	cl := &clock{t: time.Date(2026, 11, 30, 18, 30, 0, 0, cst)}
	root := app.Local(st, queue.NewLocal(5, 10, time.Millisecond), &sms.Outbox{Signature: "防线", Now: time.Now}, cl.Now)
	svc := root.Care()
	staff := auth.Principal{UserID: "u-1", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	admin := auth.Principal{UserID: "admin-s1", Role: manifest.RoleAdmin, StreetID: "s1"}.Normalized()
	wang, err := st.AccountByPhone(ctx, "13700000001")
	if err != nil {
		t.Fatal(err)
	}
	li, err := st.AccountByPhone(ctx, "13700000002")
	if err != nil {
		t.Fatal(err)
	}
	rid := wang.Principal.ResidentID

	for _, c := range []struct {
		name  string
		needs []care.Need
		want  string
	}{
		{"Monday night into Tuesday morning", []care.Need{{Kind: "dialysis", Weekdays: []int{1}, At: "23:00", Minutes: 720, Place: "x"}, {Kind: "checkup", Weekdays: []int{2}, At: "01:00", Place: "y"}}, "CARE_TRIPS_OVERLAP"},
		{"Sunday night into Monday", []care.Need{{Kind: "dialysis", Weekdays: []int{7}, At: "22:00", Minutes: 600, Place: "x"}, {Kind: "checkup", Weekdays: []int{1}, At: "02:00", Place: "y"}}, "CARE_TRIPS_OVERLAP"},
		{"Monday night, Wednesday morning", []care.Need{{Kind: "dialysis", Weekdays: []int{1}, At: "23:00", Minutes: 720, Place: "x"}, {Kind: "checkup", Weekdays: []int{3}, At: "01:00", Place: "y"}}, ""},
	} {
		if _, err := svc.SetPlan(ctx, staff, rid, care.PlanInput{Needs: c.needs}); code(err) != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}

	// Tuesday's 08:00 dialysis gets a car; the plan is replaced by a 15:00
	// checkup needing a car: the car was the dialysis's, not the checkup's.
	dialysis := care.Need{Kind: "dialysis", Weekdays: []int{2}, At: "08:00", Place: "兰大一院", NeedsCar: true}
	if _, err := svc.SetPlan(ctx, staff, rid, care.PlanInput{Needs: []care.Need{dialysis}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GiveCar(ctx, staff, "c1", care.CarInput{ResidentID: rid, Day: "2026-12-01", Need: 0, Car: care.Car{Driver: "王师傅", Phone: "13800138000", Plate: "甘A12345"}}); err != nil {
		t.Fatal(err)
	}
	checkup := care.Need{Kind: "checkup", Weekdays: []int{2}, At: "15:00", Place: "社区医院", NeedsCar: true}
	if _, err := svc.SetPlan(ctx, staff, rid, care.PlanInput{Needs: []care.Need{checkup}}); err != nil {
		t.Fatal(err)
	}
	board, err := svc.BoardOf(ctx, staff, "c1", "")
	if err != nil || len(board.Trips) != 1 || board.Trips[0].Car != nil {
		t.Fatalf("the checkup kept the dialysis's car: %+v %v", board.Trips, err)
	}
	// Eight evening runs at once: one request, its note naming who and
	// when, not added to twice.
	var wg sync.WaitGroup
	var mu sync.Mutex
	raised := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := svc.Run(ctx, cl.Now())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			raised += m.NoCar
			mu.Unlock()
		}()
	}
	wg.Wait()
	helps, err := root.Help().List(ctx, staff, "c1")
	if err != nil || raised != 1 || len(helps) != 1 {
		t.Fatalf("eight runs: raised %d, requests %+v %v", raised, helps, err)
	}
	if !strings.Contains(helps[0].Note, "王伯") || !strings.Contains(helps[0].Note, "12月1日15:00") || len(helps[0].Actions) != 0 {
		t.Errorf("the request: note %q, %d actions", helps[0].Note, len(helps[0].Actions))
	}
	// A car given now replaces the request's mark on the same need only.
	trip, err := svc.GiveCar(ctx, staff, "c1", care.CarInput{ResidentID: rid, Day: "2026-12-01", Need: 0, Car: care.Car{Driver: "张师傅", Phone: "13800138001"}})
	if err != nil || trip.Car == nil || trip.HelpID != helps[0].ID {
		t.Errorf("the car after the request: %+v %v", trip, err)
	}
	helps, _ = root.Help().List(ctx, staff, "c1")
	if len(helps) != 1 || len(helps[0].Actions) != 1 || !strings.Contains(helps[0].Actions[0].Text, "已派车：张师傅") {
		t.Errorf("the request the missing car raised does not say it has one: %+v", helps)
	}

	// A plan with a daily check saved at night is not asked until morning.
	if _, err := svc.SetPlan(ctx, staff, li.Principal.ResidentID, care.PlanInput{DailyCheck: true}); err != nil {
		t.Fatal(err)
	}
	cl.set(time.Date(2026, 11, 30, 23, 50, 0, 0, cst))
	if m, err := svc.Run(ctx, cl.Now()); err != nil || m.Asked != 0 {
		t.Errorf("asked at 23:50: %+v %v", m, err)
	}

	for _, c := range []struct {
		name string
		in   care.CarInput
	}{
		{"an id far too long", care.CarInput{ResidentID: strings.Repeat("a", 1100), Day: "2026-12-01", Car: care.Car{Driver: "张", Phone: "13800138000"}}},
		{"a day long past", care.CarInput{ResidentID: rid, Day: "1900-12-04", Car: care.Car{Driver: "张", Phone: "13800138000"}}},
		{"a day years ahead", care.CarInput{ResidentID: rid, Day: "9999-12-30", Car: care.Car{Driver: "张", Phone: "13800138000"}}},
	} {
		if _, err := svc.GiveCar(ctx, staff, "c1", c.in); code(err) != "VALIDATION_FAILED" {
			t.Errorf("a car for %s: %v", c.name, err)
		}
	}
	for _, ph := range []string{"0----", "0931-8625200-", "0931--862", "-120", "12"} {
		if _, err := svc.AddHospital(ctx, admin, "s1", care.HospitalInput{Name: "医院", Phone: ph}); code(err) != "VALIDATION_FAILED" {
			t.Errorf("hospital phone %q: %v", ph, err)
		}
	}
	h, err := svc.AddHospital(ctx, admin, "s1", care.HospitalInput{Name: "医院", Phone: "120"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveHospital(ctx, staff, "s1", h.ID); code(err) != "FORBIDDEN" {
		t.Errorf("staff removed a hospital: %v", err)
	}
	for i, want := range []string{"", "HOSPITAL_NOT_FOUND"} {
		if err := svc.RemoveHospital(ctx, admin, "s1", h.ID); code(err) != want {
			t.Errorf("removal %d: %v, want %q", i, err, want)
		}
	}
	if _, err := svc.SetPlan(ctx, staff, "rnobody00000", care.PlanInput{}); code(err) != "RESIDENT_NOT_FOUND" {
		t.Errorf("a plan for nobody: %v", err)
	}
}
