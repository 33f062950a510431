package help_test

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
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// clock is a time the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

type fixture struct {
	st       *store.Store
	svc      *help.Service
	outbox   *sms.Outbox
	clock    *clock
	resident auth.Principal
	staff    []auth.Principal // u-1 (on duty), u-2
	root     *app.Root
	queue    *queue.Local
}

const (
	onDutyPhone = "13900000001"
	otherStaff  = "13900000002"
	adminPhone  = "13900000000"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", adminPhone)
	csv := "building,unit,room,name,phone,flags\n3号楼,2,101,王芳,13700000001,孕妇\n3号楼,2,101,王奶奶,,\n"
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(csv)); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, outbox: &sms.Outbox{Signature: "防线", Now: time.Now},
		clock: &clock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}}
	for i, ph := range []string{onDutyPhone, otherStaff} {
		id := []string{"u-1", "u-2"}[i]
		if err := st.CreateStaff(ctx, registry.Staff{ID: id, Name: "工作人员", Phone: ph, CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
			t.Fatal(err)
		}
		f.staff = append(f.staff, auth.Principal{UserID: id, Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized())
	}
	a, err := st.AccountByPhone(ctx, "13700000001")
	if err != nil {
		t.Fatal(err)
	}
	f.resident = a.Principal
	f.queue = queue.NewLocal(5, 10, time.Millisecond)
	f.root = app.Local(st, f.queue, f.outbox, f.clock.Now)
	f.svc = f.root.Help()
	if _, err := f.svc.SetSettings(ctx, f.staff[0], "c1", help.Settings{OnDuty: []string{onDutyPhone}}); err != nil {
		t.Fatal(err)
	}
	return f
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

// texts counts the SMS of a template each phone got.
func (f *fixture) texts(template string) map[string]int {
	f.queue.Drain(context.Background(), f.root.Consumer().Handle)
	n := map[string]int{}
	for _, m := range f.outbox.All() {
		if m.Template == template {
			n[m.To]++
		}
	}
	return n
}

// TestEscalationLevels: a childbirth request texts the staff on duty at
// once; at its deadline (10 min) the job texts them again, at twice the
// deadline every staff member and the street's admin; runs in between, and
// the same run twice or at once, text nobody a second time.
func TestEscalationLevels(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindChildbirth, Note: "羊水破了"})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.DeadlineAt.Sub(r.CreatedAt); got != 10*time.Minute {
		t.Fatalf("childbirth deadline %v, want 10m", got)
	}
	if got := f.texts("help_new"); len(got) != 1 || got[onDutyPhone] != 1 {
		t.Fatalf("new request texted %v, want the one on duty", got)
	}
	steps := []struct {
		after       time.Duration
		wantUp      int
		wantOverdue map[string]int
	}{
		{9 * time.Minute, 0, map[string]int{}},
		{1 * time.Minute, 1, map[string]int{onDutyPhone: 1}},
		{1 * time.Minute, 0, map[string]int{onDutyPhone: 1}},
		{9 * time.Minute, 1, map[string]int{onDutyPhone: 2, otherStaff: 1, adminPhone: 1}},
		{60 * time.Minute, 0, map[string]int{onDutyPhone: 2, otherStaff: 1, adminPhone: 1}},
	}
	for i, s := range steps {
		now := f.clock.add(s.after)
		// Two instances of the job at the same minute.
		var wg sync.WaitGroup
		ups := make([]int, 2)
		for j := range ups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := f.svc.Escalate(ctx, now)
				if err != nil {
					t.Errorf("step %d: %v", i, err)
				}
				ups[j] = n
			}()
		}
		wg.Wait()
		if ups[0]+ups[1] != s.wantUp {
			t.Errorf("step %d: %d went up, want %d", i, ups[0]+ups[1], s.wantUp)
		}
		got := f.texts("help_overdue")
		if len(got) != len(s.wantOverdue) {
			t.Errorf("step %d: overdue SMS %v, want %v", i, got, s.wantOverdue)
		}
		for ph, n := range s.wantOverdue {
			if got[ph] != n {
				t.Errorf("step %d: %s got %d overdue SMS, want %d", i, ph, got[ph], n)
			}
		}
	}
	list, err := f.svc.List(ctx, f.staff[1], "c1")
	if err != nil || len(list) != 1 || list[0].Level != 2 || list[0].ID != r.ID {
		t.Fatalf("list %+v %v, want the request at level 2", list, err)
	}
}

// TestClaimStopsEscalation: once claimed, the job texts nobody; a second
// claim is refused; the household is told someone is on it.
func TestClaimStopsEscalation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindDialysis})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	codes := make([]string, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Claim(ctx, f.staff[i], r.ID)
			codes[i] = code(err)
		}()
	}
	wg.Wait()
	if !(codes[0] == "" && codes[1] == "HELP_ALREADY_CLAIMED" || codes[1] == "" && codes[0] == "HELP_ALREADY_CLAIMED") {
		t.Fatalf("two claims at once answered %q, want one claim and HELP_ALREADY_CLAIMED", codes)
	}
	if n, err := f.svc.Escalate(ctx, f.clock.add(3*time.Hour)); err != nil || n != 0 {
		t.Fatalf("claimed request escalated: %d %v", n, err)
	}
	if got := f.texts("help_overdue"); len(got) != 0 {
		t.Fatalf("overdue SMS after a claim: %v", got)
	}
	if got := f.texts("help_claimed"); got["13700000001"] != 1 {
		t.Fatalf("the household was not told of the claim: %v", got)
	}
	if _, err := f.svc.Act(ctx, f.staff[0], r.ID, "已联系120，车辆出发"); err != nil {
		t.Fatal(err)
	}
	closed, err := f.svc.CloseRequest(ctx, f.staff[0], r.ID, "已送医")
	if err != nil || closed.Status != help.StatusClosed {
		t.Fatalf("close: %+v %v", closed, err)
	}
	if _, err := f.svc.Act(ctx, f.staff[0], r.ID, "又一条"); code(err) != "HELP_CLOSED" {
		t.Fatalf("action on a closed request: %v, want HELP_CLOSED", err)
	}
	// Closed, the household may ask again for the same kind.
	if _, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindDialysis}); err != nil {
		t.Fatalf("a new request after the last closed: %v", err)
	}
}

// TestOneOpenRequestPerKind: parallel requests of one kind make one; a
// member without a phone is reached on the household's.
func TestOneOpenRequestPerKind(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, members, err := f.st.Household(ctx, f.resident.HouseholdID)
	if err != nil {
		t.Fatal(err)
	}
	var grandma string
	for _, m := range members {
		if m.Phone == "" {
			grandma = m.ID
		}
	}
	var wg sync.WaitGroup
	codes := make([]string, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindChronicMedicine, ResidentID: grandma})
			codes[i] = code(err)
		}()
	}
	wg.Wait()
	made := 0
	for _, c := range codes {
		switch c {
		case "":
			made++
		case "HELP_ALREADY_OPEN":
		default:
			t.Errorf("create: %s", c)
		}
	}
	if made != 1 {
		t.Fatalf("%d requests of one kind made at once, want 1 (%v)", made, codes)
	}
	list, err := f.svc.List(ctx, f.staff[0], "c1")
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	if list[0].Phone != "13700000001" || list[0].Name != "王奶奶" {
		t.Fatalf("request reaches %s for %s, want the household's phone for 王奶奶", list[0].Phone, list[0].Name)
	}
	if len(f.texts("help_new")) != 1 {
		t.Fatalf("new-request SMS %v, want one to the one on duty", f.texts("help_new"))
	}
}

// TestValidation: the refusals of bad input, each with its field.
func TestValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other := auth.Principal{UserID: "u-x", Role: manifest.RoleStaff, CommunityID: "c9"}.Normalized()
	cases := []struct {
		name  string
		run   func() error
		code  string
		field string
	}{
		{"unknown kind", func() error {
			_, err := f.svc.Create(ctx, f.resident, help.Input{Kind: "pizza"})
			return err
		}, "VALIDATION_FAILED", "kind"},
		{"control character in note", func() error {
			_, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindOther, Note: "救命\x1b[2J"})
			return err
		}, "VALIDATION_FAILED", "note"},
		{"note 1000 times too long", func() error {
			_, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindOther, Note: strings.Repeat("急", 200000)})
			return err
		}, "VALIDATION_FAILED", "note"},
		{"someone of another household", func() error {
			_, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindOther, ResidentID: "c1-b1-h9-r1"})
			return err
		}, "VALIDATION_FAILED", "residentId"},
		{"staff ask for help", func() error {
			_, err := f.svc.Create(ctx, f.staff[0], help.Input{Kind: help.KindOther})
			return err
		}, "FORBIDDEN", ""},
		{"deadline of 0 minutes", func() error {
			_, err := f.svc.SetSettings(ctx, f.staff[0], "c1", help.Settings{Deadlines: map[string]int{help.KindChildbirth: 0}})
			return err
		}, "VALIDATION_FAILED", "deadlines.childbirth"},
		{"a resident on duty", func() error {
			_, err := f.svc.SetSettings(ctx, f.staff[0], "c1", help.Settings{OnDuty: []string{"13700000001"}})
			return err
		}, "VALIDATION_FAILED", "onDuty[0]"},
		{"staff of another community", func() error {
			_, err := f.svc.SetSettings(ctx, other, "c1", help.Settings{})
			return err
		}, "FORBIDDEN", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if code(err) != c.code {
				t.Fatalf("got %v, want %s", err, c.code)
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
	if list, err := f.svc.List(ctx, f.staff[0], "c1"); err != nil || len(list) != 0 {
		t.Fatalf("refused requests left %d behind (%v)", len(list), err)
	}
}

// TestOpenRequestsAreNeverCrowdedOut: after many more requests were made
// and closed, an open request is still on the staff's list and the
// household's, and the list keeps the latest closed ones only.
func TestOpenRequestsAreNeverCrowdedOut(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	open, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindMedicalVisit})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < help.ClosedListed+20; i++ {
		r, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindOther})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CloseRequest(ctx, f.staff[0], r.ID, "已处理"); err != nil {
			t.Fatal(err)
		}
	}
	list, err := f.svc.List(ctx, f.staff[0], "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != help.ClosedListed+1 || list[0].ID != open.ID {
		t.Fatalf("staff list of %d, first %s; want %d with the open request first", len(list), list[0].ID, help.ClosedListed+1)
	}
	mine, err := f.svc.ForHousehold(ctx, f.resident)
	if err != nil || len(mine.Requests) != 1 || mine.Requests[0].ID != open.ID {
		t.Fatalf("the household's requests %+v %v", mine.Requests, err)
	}
}

// TestOptedOutStaffStillGetEmergencies: a staff phone that replied TD still
// gets help alerts (an emergency is not news to unsubscribe from); a
// household that replied TD is not texted that its request was claimed.
func TestOptedOutStaffStillGetEmergencies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.SetOptOut(ctx, onDutyPhone, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindChildbirth}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.Escalate(ctx, f.clock.add(11*time.Minute)); err != nil || n != 1 {
		t.Fatalf("escalation past an opted-out phone: %d %v", n, err)
	}
	if got := f.texts("help_overdue"); got[onDutyPhone] != 1 {
		t.Fatalf("the opted-out staff phone was not alerted: %v", got)
	}
	if err := f.st.SetOptOut(ctx, "13700000001", time.Now()); err != nil {
		t.Fatal(err)
	}
	list, _ := f.svc.List(ctx, f.staff[0], "c1")
	if _, err := f.svc.Claim(ctx, f.staff[0], list[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := f.texts("help_claimed"); len(got) != 0 {
		t.Fatalf("an opted-out household was texted: %v", got)
	}
}

// TestStaffAlertsCoalescePerHousehold: a household that opens a request of
// every kind at once texts the staff on duty once a kind (a minor one does
// not swallow an urgent one), and each level of escalation once more, not
// once a request (the requests all show in the list).
func TestStaffAlertsCoalescePerHousehold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, kind := range help.Kinds {
		if _, err := f.svc.Create(ctx, f.resident, help.Input{Kind: kind}); err != nil {
			t.Fatal(err)
		}
	}
	// One a kind: an "other" does not swallow a childbirth.
	if n := f.texts("help_new")[onDutyPhone]; n != len(help.Kinds) {
		t.Errorf("%d new-request SMS to the one on duty for %d requests of as many kinds, want one each", n, len(help.Kinds))
	}
	list, err := f.svc.List(ctx, f.staff[0], "c1")
	if err != nil || len(list) != len(help.Kinds) {
		t.Fatalf("the list %d %v", len(list), err)
	}
	// Past every deadline: each request goes up, the staff are told once a
	// level.
	for i := 0; i < 2; i++ {
		if _, err := f.svc.Escalate(ctx, f.clock.add(5*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.texts("help_overdue")[onDutyPhone]; n != 2 {
		t.Errorf("%d overdue SMS to the one on duty, want one a level (2)", n)
	}
}

// TestMedicalRequestsNameTheDesignatedHospital: a dialysis request of a
// person whose plan goes to a hospital names that hospital and its 24-hour
// phone in the staff's text and on the request, and its escalation does
// too; a medical visit of someone with no plan names the street's first
// hospital by name; a request of kind other names none.
func TestMedicalRequestsNameTheDesignatedHospital(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin, err := f.st.AccountByPhone(ctx, adminPhone)
	if err != nil {
		t.Fatal(err)
	}
	care := f.root.Care()
	second, err := care.AddHospital(ctx, admin.Principal, "s1", careHospital("第二人民医院", "0931-8888002"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := care.AddHospital(ctx, admin.Principal, "s1", careHospital("第一人民医院", "0931-8888001")); err != nil {
		t.Fatal(err)
	}
	if _, err := care.SetPlan(ctx, f.staff[0], f.resident.ResidentID, dialysisAt(second.ID)); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindDialysis})
	if err != nil {
		t.Fatal(err)
	}
	if r.Hospital == nil || r.Hospital.Name != "第二人民医院" || r.Hospital.Phone != "0931-8888002" {
		t.Fatalf("dialysis request's hospital %+v, want the plan's", r.Hospital)
	}
	stored, err := f.svc.Store.Help(ctx, r.ID)
	if err != nil || stored.Hospital == nil || *stored.Hospital != *r.Hospital {
		t.Fatalf("stored hospital %+v (%v)", stored.Hospital, err)
	}
	if n := f.texts("help_new_hospital")[onDutyPhone]; n != 1 {
		t.Fatalf("on duty got %d help_new_hospital, want 1", n)
	}
	if !strings.Contains(f.lastBody(onDutyPhone), "0931-8888002") {
		t.Fatalf("staff's text %q has no hospital phone", f.lastBody(onDutyPhone))
	}
	granny := ""
	_, members, _ := f.st.Household(ctx, f.resident.HouseholdID)
	for _, m := range members {
		if m.Name == "王奶奶" {
			granny = m.ID
		}
	}
	v, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindMedicalVisit, ResidentID: granny})
	if err != nil {
		t.Fatal(err)
	}
	if v.Hospital == nil || v.Hospital.Name != "第一人民医院" {
		t.Fatalf("visit's hospital %+v, want the street's first by name", v.Hospital)
	}
	o, err := f.svc.Create(ctx, f.resident, help.Input{Kind: help.KindOther})
	if err != nil {
		t.Fatal(err)
	}
	if o.Hospital != nil {
		t.Fatalf("a request of kind other names %+v", o.Hospital)
	}
	f.clock.add(31 * time.Minute)
	if _, err := f.svc.Escalate(ctx, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := f.texts("help_overdue_hospital")[onDutyPhone]; n != 1 {
		t.Fatalf("on duty got %d help_overdue_hospital (coalesced a household), want 1", n)
	}
}

func careHospital(name, ph string) care.HospitalInput {
	return care.HospitalInput{Name: name, Phone: ph}
}

func dialysisAt(hospitalID string) care.PlanInput {
	return care.PlanInput{Needs: []care.Need{{Kind: "dialysis", Weekdays: []int{2}, At: "08:00", Minutes: 240, HospitalID: hospitalID, NeedsCar: true}}}
}

// lastBody is the latest text a phone got.
func (f *fixture) lastBody(ph string) string {
	all := f.outbox.All()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].To == ph {
			return all[i].Body
		}
	}
	return ""
}
