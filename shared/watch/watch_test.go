package watch_test

import (
	"context"
	"os"
	"sync"
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
	"github.com/fangxian/fangxian/shared/watch"
	"github.com/fangxian/fangxian/shared/zone"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type fixture struct {
	st     *store.Store
	root   *app.Root
	svc    *watch.Service
	outbox *sms.Outbox
	queue  *queue.Local
	clock  *clock
	staff  auth.Principal
	other  auth.Principal
	hid    string
	ids    []string // 王芳, 王奶奶 of 3号楼2单元101
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	dynamolocal.SeedCommunity(t, st, "s2", "c2", "13900000100")
	imp := &registry.Importer{Store: st, Now: time.Now}
	if _, err := imp.Import(ctx, "c1", []byte("building,unit,room,name,phone\n3号楼,2,101,王芳,13700000001\n3号楼,2,101,王奶奶,\n3号楼,2,102,李四,13700000002\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := imp.Import(ctx, "c2", []byte("building,unit,room,name,phone\n1号楼,1,101,赵六,13700000009\n")); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, outbox: &sms.Outbox{Signature: "防线", Now: time.Now}, queue: queue.NewLocal(5, 10, time.Millisecond),
		clock: &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))}}
	f.root = app.Local(st, f.queue, f.outbox, f.clock.Now)
	f.svc = f.root.Watch()
	f.staff = auth.Principal{UserID: "u-1", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	f.other = auth.Principal{UserID: "u-2", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()
	a, err := st.AccountByPhone(ctx, "13700000001")
	if err != nil {
		t.Fatal(err)
	}
	f.hid = a.HouseholdID
	_, members, err := st.Household(ctx, f.hid)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		f.ids = append(f.ids, m.ID)
	}
	return f
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

func (f *fixture) texts(template string) int {
	f.queue.Drain(context.Background(), f.root.Consumer().Handle)
	n := 0
	for _, m := range f.outbox.All() {
		if m.Template == template {
			n++
		}
	}
	return n
}

func (f *fixture) level(t *testing.T) (string, string) {
	t.Helper()
	zs, err := f.st.BuildingZones(context.Background(), "c1", registry.BuildingOf(f.hid))
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range zs {
		if z.HouseholdID == f.hid {
			return z.Level, z.Reason
		}
	}
	return zone.LevelNone, ""
}

// TestHomeIsolationSealsTheHousehold: a home isolation seals its household
// and tells it; a person is under one watch at a time; at its end the
// household is as it was, told once however often the job runs.
func TestHomeIsolationSealsTheHousehold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w, err := f.svc.Open(ctx, f.staff, "c1", watch.Input{ResidentIDs: []string{f.ids[0]}, Kind: watch.KindHomeIsolation, Reason: "staff", Seal: "门磁0032"})
	if err != nil {
		t.Fatal(err)
	}
	if w.Days != 7 || len(w.TestDays) != 3 || !w.Sealed || w.Door != "3号楼2单元101" {
		t.Errorf("the watch: %+v", w)
	}
	if l, r := f.level(t); l != zone.LevelSealed || r != watch.ReasonHomeIsolation {
		t.Errorf("the household's zone: %s %s", l, r)
	}
	if n := f.texts("watch_started"); n != 1 {
		t.Errorf("watch_started texts: %d (one phone in the household)", n)
	}
	// The same person again, or their whole household: one watch a person.
	for _, in := range []watch.Input{{ResidentIDs: []string{f.ids[0]}}, {HouseholdID: f.hid}} {
		in.Kind, in.Reason = watch.KindHealthMonitoring, "staff"
		if _, err := f.svc.Open(ctx, f.staff, "c1", in); code(err) != "ALREADY_WATCHED" {
			t.Errorf("watched twice: %v", err)
		}
	}
	// Her mother, under health monitoring: the household stays as it is.
	if _, err := f.svc.Open(ctx, f.staff, "c1", watch.Input{ResidentIDs: []string{f.ids[1]}, Kind: watch.KindHealthMonitoring, Reason: "arrival", Days: 14}); err != nil {
		t.Fatal(err)
	}
	// The job at the end, twice and at once: ended once, told once, and
	// the household back to no zone.
	f.clock.set(w.EndsAt.Add(time.Minute))
	var wg sync.WaitGroup
	total := 0
	var mu sync.Mutex
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := f.svc.EndDue(ctx, f.clock.Now())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 1 || f.texts("watch_ended") != 1 {
		t.Errorf("ended %d times, told %d", total, f.texts("watch_ended"))
	}
	if l, _ := f.level(t); l != zone.LevelNone {
		t.Errorf("after the end the household is %s", l)
	}
	ws, _ := f.svc.List(ctx, f.staff, "c1", watch.StatusActive)
	if len(ws) != 1 || ws[0].Kind != watch.KindHealthMonitoring {
		t.Errorf("active after the end: %+v", ws)
	}
	// Free again: a new watch may open.
	if _, err := f.svc.Open(ctx, f.staff, "c1", watch.Input{ResidentIDs: []string{f.ids[0]}, Kind: watch.KindHomeIsolation, Reason: "staff"}); err != nil {
		t.Errorf("a new watch after the end: %v", err)
	}
}

// TestStaffsSealStays: a household staff seal during a watch stays sealed
// when the watch ends; a household sealed before is not the watch's to
// release.
func TestStaffsSealStays(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w, err := f.svc.Open(ctx, f.staff, "c1", watch.Input{HouseholdID: f.hid, Kind: watch.KindHomeIsolation, Reason: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := f.st.Household(ctx, f.hid)
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.ZoneTargets{HouseholdIDs: []string{h.ID}}, zone.LevelControlled); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.End(ctx, f.staff, "c1", w.ID); err != nil {
		t.Fatal(err)
	}
	if l, _ := f.level(t); l != zone.LevelControlled {
		t.Errorf("staff's level after the end: %s", l)
	}
	if _, err := f.svc.End(ctx, f.staff, "c1", w.ID); code(err) != "WATCH_ENDED" {
		t.Errorf("ended twice: %v", err)
	}
	if _, err := f.svc.End(ctx, f.other, "c1", w.ID); code(err) != "FORBIDDEN" {
		t.Errorf("another community's staff: %v", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, _ := f.st.AccountByPhone(ctx, "13700000002")
	z, _ := f.st.AccountByPhone(ctx, "13700000009")
	for _, c := range []struct {
		name string
		p    auth.Principal
		in   watch.Input
		want string
	}{
		{"no kind", f.staff, watch.Input{HouseholdID: f.hid, Reason: "staff"}, "VALIDATION_FAILED"},
		{"29 days", f.staff, watch.Input{HouseholdID: f.hid, Kind: "home_isolation", Days: 29, Reason: "staff"}, "VALIDATION_FAILED"},
		{"a test day outside", f.staff, watch.Input{HouseholdID: f.hid, Kind: "home_isolation", Days: 5, TestDays: []int{1, 6}, Reason: "staff"}, "VALIDATION_FAILED"},
		{"test days out of order", f.staff, watch.Input{HouseholdID: f.hid, Kind: "home_isolation", TestDays: []int{4, 1}, Reason: "staff"}, "VALIDATION_FAILED"},
		{"a start a year ago", f.staff, watch.Input{HouseholdID: f.hid, Kind: "home_isolation", StartsOn: "2025-12-01", Reason: "staff"}, "VALIDATION_FAILED"},
		{"no reason", f.staff, watch.Input{HouseholdID: f.hid, Kind: "home_isolation"}, "VALIDATION_FAILED"},
		{"a seal with a control character", f.staff, watch.Input{HouseholdID: f.hid, Kind: "home_isolation", Reason: "staff", Seal: "封条\u0000"}, "VALIDATION_FAILED"},
		{"two households", f.staff, watch.Input{ResidentIDs: []string{f.ids[0], a.ResidentID}, Kind: "home_isolation", Reason: "staff"}, "VALIDATION_FAILED"},
		{"another community's resident", f.staff, watch.Input{ResidentIDs: []string{z.ResidentID}, Kind: "home_isolation", Reason: "staff"}, "VALIDATION_FAILED"},
		{"another community's staff", f.other, watch.Input{HouseholdID: f.hid, Kind: "home_isolation", Reason: "staff"}, "FORBIDDEN"},
	} {
		if _, err := f.svc.Open(ctx, c.p, "c1", c.in); code(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	if ws, _ := f.svc.List(ctx, f.staff, "c1", ""); len(ws) != 0 {
		t.Errorf("refused watches written: %+v", ws)
	}
}

// TestWhatTheAttackFound: a helper's probes of the first version, kept.
func TestWhatTheAttackFound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	hi := watch.Input{Kind: watch.KindHomeIsolation, Reason: "staff"}
	// A household id that only starts a real one, or a building's id, is
	// no household: nothing is watched, nothing sealed.
	for _, id := range []string{f.hid[:len(f.hid)-3], registry.BuildingOf(f.hid)} {
		in := hi
		in.HouseholdID = id
		if _, err := f.svc.Open(ctx, f.staff, "c1", in); code(err) != "VALIDATION_FAILED" {
			t.Errorf("householdId %q: %v", id, err)
		}
	}
	// A home isolation does not start ahead: it seals from its first day.
	ahead := hi
	ahead.HouseholdID, ahead.StartsOn = f.hid, f.clock.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	if _, err := f.svc.Open(ctx, f.staff, "c1", ahead); code(err) != "VALIDATION_FAILED" {
		t.Errorf("a home isolation three days ahead: %v", err)
	}
	// The household was under a trace's control: two of its people in
	// home isolation, one after the other. The first to end leaves the
	// seal (and tells no release); the last gives back the control with
	// its reason, and tells it.
	h, _, _ := f.st.Household(ctx, f.hid)
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.ZoneTargets{HouseholdIDs: []string{h.ID}, Reason: zone.ReasonPooledPositive}, zone.LevelControlled); err != nil {
		t.Fatal(err)
	}
	first, second := hi, hi
	first.ResidentIDs, first.Days, first.TestDays = []string{f.ids[0]}, 3, []int{1, 3}
	second.ResidentIDs, second.Days, second.TestDays = []string{f.ids[1]}, 5, []int{1, 5}
	w1, err := f.svc.Open(ctx, f.staff, "c1", first)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := f.svc.Open(ctx, f.staff, "c1", second)
	if err != nil || !w2.Sealed {
		t.Fatalf("the second home isolation: %+v %v", w2, err)
	}
	if _, err := f.svc.End(ctx, f.staff, "c1", w1.ID); err != nil {
		t.Fatal(err)
	}
	if l, r := f.level(t); l != zone.LevelSealed || r != watch.ReasonHomeIsolation || f.texts("watch_ended") != 0 {
		t.Errorf("after the first end: %s %s, %d release texts", l, r, f.texts("watch_ended"))
	}
	if _, err := f.svc.End(ctx, f.staff, "c1", w2.ID); err != nil {
		t.Fatal(err)
	}
	if l, r := f.level(t); l != zone.LevelControlled || r != zone.ReasonPooledPositive || f.texts("watch_ended") != 1 {
		t.Errorf("after the last end: %s %s, %d release texts", l, r, f.texts("watch_ended"))
	}
	// A person under a watch does not move to another household.
	mon := watch.Input{ResidentIDs: []string{f.ids[0]}, Kind: watch.KindHealthMonitoring, Reason: "arrival"}
	if _, err := f.svc.Open(ctx, f.staff, "c1", mon); err != nil {
		t.Fatal(err)
	}
	other, _ := f.st.AccountByPhone(ctx, "13700000002")
	to, why := other.HouseholdID, "搬家"
	if _, err := f.root.Registry().UpdateResident(ctx, f.staff, f.ids[0], registry.ResidentChange{HouseholdID: &to, Reason: why}); code(err) != "UNDER_WATCH" {
		t.Errorf("a move under a watch: %v", err)
	}
}
