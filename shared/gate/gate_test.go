package gate_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/care"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/gate"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
	"github.com/fangxian/fangxian/shared/watch"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func (c *clock) set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func at(day string, h, m int) time.Time {
	d, _ := time.ParseInLocation(time.DateOnly, day, chinatime.Zone)
	return d.Add(time.Duration(h*60+m) * time.Minute)
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

type fixture struct {
	st             *store.Store
	root           *app.Root
	svc            *gate.Service
	cl             *clock
	staff, vol     auth.Principal
	post, otherPst volunteers.Post
	households     map[string]string // room → household id
	seq            int
}

// newFixture: community c1 with building 1号楼 (rooms 101–104) and 2号楼
// (201), community c2 of the same street with its own household, a
// checkpoint post with volunteer v1 on shift 08:00–20:00, a second
// checkpoint, and a post that is not a checkpoint.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	if err := st.CreateCommunity(ctx, registry.Community{ID: "c2", StreetID: "s1", Name: "二社区"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-1", Name: "工作人员", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	imp := &registry.Importer{Store: st, Now: time.Now}
	if _, err := imp.Import(ctx, "c1", []byte("building,unit,room,name,phone\n1号楼,1,101,王芳,13700000001\n1号楼,1,102,李强,13700000002\n1号楼,1,103,赵敏,13700000003\n1号楼,1,104,孙丽,13700000004\n2号楼,1,201,周杰,13700000005\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := imp.Import(ctx, "c2", []byte("building,unit,room,name,phone\n9号楼,1,901,钱七,13700000009\n")); err != nil {
		t.Fatal(err)
	}
	cl := &clock{t: at("2026-12-03", 9, 0)}
	root := app.Local(st, queue.NewLocal(5, 10, time.Millisecond), &sms.Outbox{Signature: "防线", Now: time.Now}, cl.Now)
	f := &fixture{st: st, root: root, svc: root.Gate(), cl: cl, households: map[string]string{}}
	f.staff = auth.Principal{UserID: "u-1", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	for _, phone := range []string{"13700000001", "13700000002", "13700000003", "13700000004", "13700000005", "13700000009"} {
		acc, err := st.AccountByPhone(ctx, phone)
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := st.Household(ctx, acc.Principal.HouseholdID)
		if err != nil {
			t.Fatal(err)
		}
		f.households[h.Room] = h.ID
	}
	if err := st.CreateVolunteer(ctx, volunteers.Volunteer{ID: "v1", CommunityID: "c1", Name: "志愿者", Phone: "13500000001", Category: "individual",
		Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusApproved, CreatedAt: cl.Now()}); err != nil {
		t.Fatal(err)
	}
	f.vol = auth.Principal{UserID: "v1", Role: manifest.RoleVolunteer, VolunteerID: "v1", VolunteerCommunityID: "c1", CommunityID: "c1"}.Normalized()
	mk := func(kind, name string) volunteers.Post {
		p, err := root.Volunteers().CreatePost(ctx, f.staff, "c1", volunteers.PostInput{Kind: kind, Name: name, Shifts: []volunteers.ShiftInput{
			{StartsAt: at("2026-12-03", 8, 0), EndsAt: at("2026-12-03", 20, 0), Need: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.post, f.otherPst = mk("checkpoint", "东门卡口"), mk("checkpoint", "西门卡口")
	if _, err := root.Volunteers().Assign(ctx, f.staff, f.post.ID, volunteers.AssignInput{VolunteerID: "v1", ShiftID: "s1", Role: "A"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) scan(t *testing.T, p auth.Principal, post, pass, dir string) gate.Event {
	t.Helper()
	f.seq++
	e, err := f.svc.Record(context.Background(), p, post, gate.EventInput{EventID: fmt.Sprintf("scan-%06d", f.seq), Pass: pass, Direction: dir})
	if err != nil {
		t.Fatalf("scan %s %s: %v", pass, dir, err)
	}
	return e
}

func (f *fixture) code(t *testing.T, room string) string {
	t.Helper()
	c, err := f.svc.NewCode(context.Background(), f.staff, "c1", f.households[room])
	if err != nil {
		t.Fatal(err)
	}
	return c.Code
}

func (f *fixture) resident(t *testing.T, phone string) auth.Principal {
	t.Helper()
	acc, err := f.st.AccountByPhone(context.Background(), phone)
	if err != nil {
		t.Fatal(err)
	}
	return acc.Principal
}

// rules is an input of these levels, both exceptions on, over version.
func rules(levels map[string]gate.LevelRule, version int) gate.RulesInput {
	yes := true
	in := gate.RulesInput{CareTrips: &yes, Permits: &yes, Levels: map[string]*gate.LevelRule{}, Version: version}
	for k, v := range levels {
		in.Levels[k] = &v
	}
	return in
}

var controlledLevels = map[string]gate.LevelRule{
	"sealed": {}, "controlled": {Outs: 1, EveryDays: 2, Minutes: 120}, "precaution": {Outs: 1, EveryDays: 1, Minutes: 240}, "none": {Free: true}}

// TestTheWayOut: 1号楼 controlled, 2号楼 sealed. A household's pass lets
// one member out once and refuses a second the same day and the next; it
// comes back late and is on the late list; a sealed household is refused
// with its reason; an expired QR, another community's pass and a forged
// QR are refused; the counts and the daily report hold them all once.
func TestTheWayOut(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b1, b2 := registry.BuildingOf(f.households["101"]), registry.BuildingOf(f.households["201"])
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.ZoneTargets{BuildingIDs: []string{b1}}, "controlled"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.ZoneTargets{BuildingIDs: []string{b2}}, "sealed"); err != nil {
		t.Fatal(err)
	}

	// Rules: bad ones refused, the change counts who it reaches.
	for _, c := range []struct {
		name string
		in   gate.RulesInput
		code string
	}{
		{"sealed lets out", rules(map[string]gate.LevelRule{"sealed": {Outs: 1, EveryDays: 1}, "controlled": {}, "precaution": {}, "none": {Free: true}}, 0), "SEALED_STAYS_IN"},
		{"a level missing", rules(map[string]gate.LevelRule{"sealed": {}, "controlled": {}, "none": {Free: true}}, 0), "VALIDATION_FAILED"},
		{"a level null", func() gate.RulesInput { in := rules(controlledLevels, 0); in.Levels["controlled"] = nil; return in }(), "VALIDATION_FAILED"},
		{"the exceptions left out", func() gate.RulesInput { in := rules(controlledLevels, 0); in.CareTrips = nil; return in }(), "VALIDATION_FAILED"},
		{"an unknown level", rules(map[string]gate.LevelRule{"sealed": {}, "controlled": {}, "precaution": {}, "none": {}, "red": {}}, 0), "VALIDATION_FAILED"},
		{"outs without a period", rules(map[string]gate.LevelRule{"sealed": {}, "controlled": {Outs: 1}, "precaution": {}, "none": {}}, 0), "VALIDATION_FAILED"},
		{"over a version never read", rules(controlledLevels, 3), "CHANGED_MEANWHILE"},
	} {
		if _, err := f.svc.SetRules(ctx, f.staff, "c1", c.in); code(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	change, err := f.svc.SetRules(ctx, f.staff, "c1", rules(controlledLevels, 0))
	if err != nil {
		t.Fatal(err)
	}
	// The default's rules equal these: the change reaches nobody but
	// says where the households are.
	if change.Affected != 0 || change.ByLevel["controlled"] != 4 || change.ByLevel["sealed"] != 1 {
		t.Errorf("change %+v", change)
	}
	stricter := rules(map[string]gate.LevelRule{"sealed": {}, "controlled": {Outs: 1, EveryDays: 3, Minutes: 90}, "precaution": {Outs: 1, EveryDays: 1, Minutes: 240}, "none": {Free: true}}, 1)
	if change, err = f.svc.SetRules(ctx, f.staff, "c1", stricter); err != nil || change.Affected != 4 {
		t.Fatalf("a stricter controlled rule: %+v, %v", change, err)
	}
	if _, err := f.svc.SetRules(ctx, f.staff, "c1", rules(controlledLevels, 2)); err != nil {
		t.Fatal(err)
	}

	// The resident's pass: a QR code and the household's code.
	wang := f.resident(t, "13700000001")
	mine, err := f.svc.Mine(ctx, wang)
	if err != nil || mine.Level != "controlled" || len(mine.Code) != 6 {
		t.Fatalf("the pass %+v, %v", mine, err)
	}
	out := f.scan(t, f.vol, f.post.ID, mine.Token, "out")
	if !out.Allowed || out.ReturnBy == nil || !out.ReturnBy.Equal(at("2026-12-03", 11, 0)) {
		t.Fatalf("first out %+v", out)
	}
	// A second member at the other gate: one out at a time.
	if e := f.scan(t, f.staff, f.otherPst.ID, mine.Code, "out"); e.Allowed || e.Reason != gate.ReasonAlreadyOut {
		t.Errorf("a second out while one is out: %+v", e)
	}
	f.cl.add(150 * time.Minute) // 11:30: half an hour late
	if e := f.scan(t, f.vol, f.post.ID, mine.Code, "in"); !e.Allowed {
		t.Errorf("back: %+v", e)
	}
	if e := f.scan(t, f.vol, f.post.ID, mine.Code, "out"); e.Allowed || e.Reason != gate.ReasonQuotaUsed {
		t.Errorf("a second out the same day: %+v", e)
	}
	// The expired QR: photographed at 09:00, shown at 11:30.
	if e := f.scan(t, f.vol, f.post.ID, mine.Token, "out"); e.Allowed || e.Reason != gate.ReasonExpired {
		t.Errorf("an expired QR: %+v", e)
	}
	forged := mine.Token[:len(mine.Token)-4] + "AAAA"
	if e := f.scan(t, f.vol, f.post.ID, forged, "out"); e.Allowed || e.Reason != gate.ReasonUnknown {
		t.Errorf("a forged QR: %+v", e)
	}
	if e := f.scan(t, f.vol, f.post.ID, "ZZZZZZ", "out"); e.Allowed || e.Reason != gate.ReasonUnknown {
		t.Errorf("a made-up code: %+v", e)
	}
	// Sealed: refused with the reason, nothing else about the household.
	sealed := f.code(t, "201")
	if e := f.scan(t, f.vol, f.post.ID, sealed, "out"); e.Allowed || e.Reason != gate.ReasonSealed || e.ReasonText == "" {
		t.Errorf("a sealed household: %+v", e)
	}
	// Another community's pass.
	qian := f.resident(t, "13700000009")
	theirs, err := f.svc.Mine(ctx, qian)
	if err != nil {
		t.Fatal(err)
	}
	if e := f.scan(t, f.vol, f.post.ID, theirs.Code, "out"); e.Allowed || e.Reason != gate.ReasonOtherCommunity {
		t.Errorf("another community's pass: %+v", e)
	}
	// Someone under watch in 103: the household stays in.
	zhao := f.resident(t, "13700000003")
	if _, err := f.root.Watch().Open(ctx, f.staff, "c1", watch.Input{HouseholdID: zhao.HouseholdID, Kind: watch.KindHealthMonitoring, Reason: "staff"}); err != nil {
		t.Fatal(err)
	}
	if e := f.scan(t, f.vol, f.post.ID, f.code(t, "103"), "out"); e.Allowed || e.Reason != gate.ReasonUnderWatch {
		t.Errorf("a household under watch: %+v", e)
	}
	// A work permit takes 102 beyond its quota; 104 goes out and never
	// comes back.
	c102 := f.code(t, "102")
	f.scan(t, f.vol, f.post.ID, c102, "out")
	f.scan(t, f.vol, f.post.ID, c102, "in")
	if e := f.scan(t, f.vol, f.post.ID, c102, "out"); e.Reason != gate.ReasonQuotaUsed {
		t.Errorf("102's second out: %+v", e)
	}
	if _, err := f.svc.SetPermit(ctx, f.staff, "c1", f.households["102"], gate.PermitInput{Until: "2026-12-10", Reason: "医院职工"}); err != nil {
		t.Fatal(err)
	}
	if e := f.scan(t, f.vol, f.post.ID, c102, "out"); !e.Allowed || e.Reason != gate.ReasonPermit {
		t.Errorf("102 with a permit: %+v", e)
	}
	f.scan(t, f.vol, f.post.ID, c102, "in")
	if e := f.scan(t, f.vol, f.post.ID, f.code(t, "104"), "out"); !e.Allowed {
		t.Errorf("104 out: %+v", e)
	}
	// Visitors and couriers: logged by building, no pass.
	for i, k := range []string{"visitor", "courier"} {
		if _, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: fmt.Sprintf("other-%06d", i), Kind: k, Direction: "in", BuildingID: b1}); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}

	// The evening: 101 back late; 104 still out past its time and 20:00.
	f.cl.set(at("2026-12-03", 21, 0))
	late, err := f.svc.LateOf(ctx, f.staff, "c1", "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]gate.Late{}
	for _, l := range late.Late {
		got[l.HouseholdID] = l
	}
	if l := got[f.households["101"]]; len(late.Late) != 2 || l.Minutes != 30 || l.Out {
		t.Errorf("late list %+v", late)
	}
	if l := got[f.households["104"]]; !l.Out {
		t.Errorf("104 not back: %+v", l)
	}
	// 104 calls: they are home. Staff mark them back; a second time there
	// is nothing to close; another community's household is not found.
	if o, err := f.svc.MarkBack(ctx, f.staff, "c1", f.households["104"]); err != nil || o.BackBy != "u-1" || o.BackAt == nil {
		t.Errorf("104 marked back: %+v, %v", o, err)
	}
	if _, err := f.svc.MarkBack(ctx, f.staff, "c1", f.households["104"]); code(err) != "HOUSEHOLD_NOT_OUT" {
		t.Errorf("104 marked back twice: %v", err)
	}
	if _, err := f.svc.MarkBack(ctx, f.staff, "c1", f.households["901"]); code(err) != "HOUSEHOLD_NOT_FOUND" {
		t.Errorf("another community's household: %v", err)
	}
	if again, err := f.svc.LateOf(ctx, f.staff, "c1", ""); err != nil || len(again.Late) != 2 || slices.ContainsFunc(again.Late, func(l gate.Late) bool { return l.Out }) {
		t.Errorf("the late list after 104 was marked back: %+v, %v", again, err)
	}
	counts, err := f.svc.CountsOf(ctx, f.staff, "c1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	// Outs: 101, 102 twice, 104; ins: 101, 102 twice; refused: already
	// out, quota ×2, expired, forged, made up, sealed, other community,
	// under watch.
	if counts.Totals["out"] != 4 || counts.Totals["in"] != 3 || counts.Total("refused") != 9 || counts.Totals["refused_QUOTA_USED"] != 2 ||
		counts.Total("visitor") != 1 || counts.Totals["courier"] != 1 {
		t.Errorf("counts %+v", counts.Totals)
	}
	rep, err := f.root.Daily().Community(ctx, f.staff, "c1", "2026-12-03")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]int{"gate_out": 4, "gate_in": 3, "gate_refused": 9, "gate_visitors": 1, "gate_couriers": 1, "gate_late": 2} {
		if rep.Figures[k] != v {
			t.Errorf("daily %s = %d, want %d", k, rep.Figures[k], v)
		}
	}
}

// TestTheGateUnderAttack: the same scan sent again answers as it did and
// counts once; one household scanned at two gates at once goes out once;
// a volunteer off shift, a post that is not a checkpoint and a scan time
// out of range are refused with their codes; an id reused for another
// scan is refused; a new code voids the old one and the QR codes shown.
func TestTheGateUnderAttack(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.ZoneTargets{BuildingIDs: []string{registry.BuildingOf(f.households["101"])}}, "controlled"); err != nil {
		t.Fatal(err)
	}
	c := f.code(t, "101")
	in := gate.EventInput{EventID: "retry-000001", Pass: c, Direction: "out"}
	first, err := f.svc.Record(ctx, f.vol, f.post.ID, in)
	if err != nil || !first.Allowed {
		t.Fatalf("first %+v, %v", first, err)
	}
	again, err := f.svc.Record(ctx, f.vol, f.post.ID, in)
	if err != nil || !again.Allowed || !again.Replayed {
		t.Errorf("the same scan again: %+v, %v", again, err)
	}
	if _, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "retry-000001", Pass: c, Direction: "in"}); code(err) != "EVENT_ID_REUSED" {
		t.Errorf("an id reused for another scan: %v", err)
	}
	f.scan(t, f.vol, f.post.ID, c, "in")

	// 102 at both gates at once, eight times over.
	c102 := f.code(t, "102")
	var wg sync.WaitGroup
	results := make([]gate.Event, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			post := f.post.ID
			if i%2 == 1 {
				post = f.otherPst.ID
			}
			e, err := f.svc.Record(ctx, f.staff, post, gate.EventInput{EventID: fmt.Sprintf("both-%06d", i), Pass: c102, Direction: "out"})
			if err != nil {
				t.Errorf("scan %d: %v", i, err)
			}
			results[i] = e
		}()
	}
	wg.Wait()
	allowed := 0
	for _, e := range results {
		if e.Allowed {
			allowed++
		}
	}
	if allowed != 1 {
		t.Errorf("one household at two gates at once: %d let out", allowed)
	}
	counts, err := f.svc.CountsOf(ctx, f.staff, "c1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if counts.Totals["out"] != 2 || counts.Totals["in"] != 1 || counts.Total("refused") != 7 {
		t.Errorf("counts %+v", counts.Totals)
	}

	// Off shift, not a checkpoint, out of range.
	other, err := f.root.Volunteers().CreatePost(ctx, f.staff, "c1", volunteers.PostInput{Kind: "delivery", Name: "送货", Shifts: []volunteers.ShiftInput{
		{StartsAt: at("2026-12-03", 8, 0), EndsAt: at("2026-12-03", 20, 0), Need: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	stale := at("2026-12-02", 8, 0)
	for _, c := range []struct {
		name string
		p    auth.Principal
		post string
		in   gate.EventInput
		code string
	}{
		{"a volunteer on another post's shift", f.vol, f.otherPst.ID, gate.EventInput{EventID: "x-00000001", Pass: c, Direction: "out"}, "NOT_ON_SHIFT"},
		{"a post that is not a checkpoint", f.staff, other.ID, gate.EventInput{EventID: "x-00000002", Pass: c, Direction: "out"}, "NOT_A_CHECKPOINT"},
		{"a scan a day old", f.vol, f.post.ID, gate.EventInput{EventID: "x-00000003", Pass: c, Direction: "out", ScannedAt: &stale}, "SCAN_TIME_OUT_OF_RANGE"},
		{"a resident", f.resident(t, "13700000001"), f.post.ID, gate.EventInput{EventID: "x-00000004", Pass: c, Direction: "out"}, "FORBIDDEN"},
		{"no pass", f.vol, f.post.ID, gate.EventInput{EventID: "x-00000005", Direction: "out"}, "VALIDATION_FAILED"},
		{"a courier with a pass", f.vol, f.post.ID, gate.EventInput{EventID: "x-00000006", Kind: "courier", Pass: c, Direction: "in", BuildingID: "b"}, "VALIDATION_FAILED"},
		{"an event id with control characters", f.vol, f.post.ID, gate.EventInput{EventID: "x-\x00\x01abcdef", Pass: c, Direction: "out"}, "VALIDATION_FAILED"},
		{"a pass a thousand times too long", f.vol, f.post.ID, gate.EventInput{EventID: "x-00000008", Pass: string(make([]byte, 6000)), Direction: "out"}, "VALIDATION_FAILED"},
	} {
		if _, err := f.svc.Record(ctx, c.p, c.post, c.in); code(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	// The volunteer after their shift.
	f.cl.set(at("2026-12-03", 20, 30))
	if _, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "x-00000009", Pass: c, Direction: "out"}); code(err) != "NOT_ON_SHIFT" {
		t.Errorf("after the shift: %v", err)
	}
	// A scan queued at 19:00 through an outage and sent at 20:30 counts
	// at 19:00, when the volunteer was on shift.
	queued := at("2026-12-03", 19, 0)
	e, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "queued-0001", Pass: c, Direction: "out", ScannedAt: &queued})
	if err != nil || e.Allowed || e.Reason != gate.ReasonQuotaUsed || !e.At.Equal(queued) {
		t.Errorf("a queued scan: %+v, %v", e, err)
	}
	// A new code: the old code and the QR codes shown stop working.
	wang := f.resident(t, "13700000001")
	mine, err := f.svc.Mine(ctx, wang)
	if err != nil {
		t.Fatal(err)
	}
	fresh := f.code(t, "101")
	for _, old := range []string{c, mine.Token} {
		if e := f.scan(t, f.staff, f.post.ID, old, "in"); e.Allowed || e.Reason != gate.ReasonUnknown {
			t.Errorf("an old pass after a new code: %+v", e)
		}
	}
	if fresh == c {
		t.Errorf("the new code is the old one")
	}
}

// TestWhatTheProbeFound: an attack on a running stack found these; each
// holds now. A scan id reused with another pass is refused, not answered
// as the first; an expired QR code backdated by the device is still
// expired; a return scanned before its outing's out closes nothing; an
// out sent on late, scanned before a return already logged, is over by
// then; a care plan's trip lets the household out once a trip; a post
// that tries codes is stopped; rotating a code at once from many places
// gives no error; a building id too long to be one is a 400.
func TestWhatTheProbeFound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b1 := registry.BuildingOf(f.households["101"])
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.ZoneTargets{BuildingIDs: []string{b1}}, "controlled"); err != nil {
		t.Fatal(err)
	}
	sealedCode := f.code(t, "201")
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.ZoneTargets{BuildingIDs: []string{registry.BuildingOf(f.households["201"])}}, "sealed"); err != nil {
		t.Fatal(err)
	}
	c101 := f.code(t, "101")
	first, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "reuse-0001", Pass: c101, Direction: "out"})
	if err != nil || !first.Allowed {
		t.Fatalf("first: %+v, %v", first, err)
	}
	if _, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "reuse-0001", Pass: sealedCode, Direction: "out"}); code(err) != "EVENT_ID_REUSED" {
		t.Errorf("an id reused with a sealed household's pass: %v", err)
	}

	// A QR code photographed at 09:00 and sent at 09:05 with a scan time
	// of 09:00:30.
	wang := f.resident(t, "13700000002")
	mine, err := f.svc.Mine(ctx, wang)
	if err != nil {
		t.Fatal(err)
	}
	f.cl.add(5 * time.Minute)
	back := f.cl.Now().Add(-270 * time.Second)
	if e, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "backdated-1", Pass: mine.Token, Direction: "out", ScannedAt: &back}); err != nil || e.Allowed || e.Reason != gate.ReasonExpired || !e.Delayed {
		t.Errorf("a backdated expired QR: %+v, %v", e, err)
	}

	// 101 is out since 09:00; a return dated 08:30 closes nothing.
	early := at("2026-12-03", 8, 30)
	if e, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "early-in-1", Pass: c101, Direction: "in", ScannedAt: &early}); err != nil || e.Reason != gate.ReasonNoOut {
		t.Errorf("a return before the out: %+v, %v", e, err)
	}
	if e := f.scan(t, f.vol, f.post.ID, c101, "out"); e.Reason != gate.ReasonAlreadyOut {
		t.Errorf("101 is still out: %+v", e)
	}

	// 102 comes home at 09:05 with no out on record; its out of 08:40,
	// queued through an outage, arrives after: the outing is over.
	c102 := f.code(t, "102")
	f.scan(t, f.vol, f.post.ID, c102, "in")
	queued := at("2026-12-03", 8, 40)
	if e, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "queued-out-1", Pass: c102, Direction: "out", ScannedAt: &queued}); err != nil || !e.Allowed {
		t.Errorf("the queued out: %+v, %v", e, err)
	}
	f.cl.set(at("2026-12-03", 21, 0))
	late, err := f.svc.LateOf(ctx, f.staff, "c1", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range late.Late {
		if l.HouseholdID == f.households["102"] {
			t.Errorf("102 is home, not late: %+v", l)
		}
	}
	f.cl.set(at("2026-12-03", 12, 0))

	// 104 has a dialysis trip every day: one outing for it, then its quota.
	sun := f.resident(t, "13700000004")
	if _, err := f.root.Care().SetPlan(ctx, f.staff, sun.ResidentID, care.PlanInput{Needs: []care.Need{{Kind: "dialysis", Weekdays: []int{1, 2, 3, 4, 5, 6, 7}, At: "08:00", Place: "兰大一院"}}}); err != nil {
		t.Fatal(err)
	}
	c104 := f.code(t, "104")
	var why []string
	for range 3 {
		e := f.scan(t, f.vol, f.post.ID, c104, "out")
		why = append(why, e.Reason)
		f.scan(t, f.vol, f.post.ID, c104, "in")
	}
	if why[0] != "" || why[1] != gate.ReasonArrangedTrip || why[2] != gate.ReasonQuotaUsed {
		t.Errorf("104's outs: %v, want its quota, its trip, then refused", why)
	}

	// Trying codes: stopped after GuessesPerWindow.
	var last error
	for i := range gate.GuessesPerWindow + 1 {
		_, last = f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: fmt.Sprintf("guess-%06d", i), Pass: fmt.Sprintf("Z%05d", i%10), Direction: "out"})
	}
	if code(last) != "PASS_GUESSING" {
		t.Errorf("the %dth unknown code: %v", gate.GuessesPerWindow+1, last)
	}

	// New codes from eight places at once.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.svc.NewCode(ctx, f.staff, "c1", f.households["103"])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("a new code at once: %v", err)
		}
	}

	long := strings.Repeat("b", 1100)
	if _, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "long-00001", Kind: "courier", Direction: "in", BuildingID: long}); code(err) != "VALIDATION_FAILED" {
		t.Errorf("a building id of 1,100 characters: %v", err)
	}
	if _, err := f.svc.Cards(ctx, f.staff, "c1", long); code(err) != "BUILDING_NOT_FOUND" {
		t.Errorf("cards of a building id of 1,100 characters: %v", err)
	}
	if _, err := f.svc.CountsOf(ctx, f.staff, "c1", "pzzzzzzzzzz", ""); code(err) != "POST_NOT_FOUND" {
		t.Errorf("counts of no post: %v", err)
	}
}

// TestWhatTheSecondProbeFound: a second attack, after the first's fixes.
// An out sent on late, scanned before an outing already out and back, is
// over by then; a volunteer cannot log past an hour after their shift by
// claiming an earlier time; a post's unknown passes are capped for the
// day too; a care trip's outing is due back after the trip; an outing
// left open does not hold in a household now free to go; a QR code
// claimed scanned before it was shown is unknown.
func TestWhatTheSecondProbeFound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b1 := registry.BuildingOf(f.households["101"])
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.ZoneTargets{BuildingIDs: []string{b1}}, "controlled"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetRules(ctx, f.staff, "c1", rules(map[string]gate.LevelRule{"sealed": {}, "controlled": {Outs: 5, EveryDays: 1, Minutes: 30},
		"precaution": {Outs: 1, EveryDays: 1, Minutes: 240}, "none": {Free: true}}, 0)); err != nil {
		t.Fatal(err)
	}
	f.cl.set(at("2026-12-03", 11, 0))
	c101 := f.code(t, "101")
	scanAt := func(id, dir string, h, m int) gate.Event {
		t.Helper()
		when := at("2026-12-03", h, m)
		e, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: id, Pass: c101, Direction: dir, ScannedAt: &when})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return e
	}
	scanAt("late-out-1000", "out", 10, 0)
	scanAt("late-in-10030", "in", 10, 30)
	if e := scanAt("late-out-0930", "out", 9, 30); !e.Allowed {
		t.Errorf("the out sent on late: %+v", e)
	}
	if e := f.scan(t, f.vol, f.post.ID, c101, "out"); !e.Allowed {
		t.Errorf("the household is home, a live out: %+v", e)
	}
	f.scan(t, f.vol, f.post.ID, c101, "in")

	// The volunteer's shift ends at 20:00: at 21:30 a scan claimed at
	// 19:59 is refused; at 20:30 (a queue after an outage) it stands.
	for _, c := range []struct {
		now  time.Time
		code string
	}{{at("2026-12-03", 21, 30), "NOT_ON_SHIFT"}, {at("2026-12-03", 20, 30), ""}} {
		f.cl.set(c.now)
		claimed := at("2026-12-03", 19, 59)
		_, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "shift-" + c.now.Format("1504"), Pass: f.code(t, "102"), Direction: "in", ScannedAt: &claimed})
		if code(err) != c.code {
			t.Errorf("a scan claimed at 19:59, sent at %s: %v, want %q", c.now.Format("15:04"), err, c.code)
		}
	}

	// 201: a dialysis trip of 240 minutes from a sealed building.
	f.cl.set(at("2026-12-03", 12, 0))
	b2 := registry.BuildingOf(f.households["201"])
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.ZoneTargets{BuildingIDs: []string{b2}}, "sealed"); err != nil {
		t.Fatal(err)
	}
	sun := f.resident(t, "13700000005")
	if _, err := f.root.Care().SetPlan(ctx, f.staff, sun.ResidentID, care.PlanInput{Needs: []care.Need{{Kind: "dialysis", Weekdays: []int{1, 2, 3, 4, 5, 6, 7}, At: "13:00", Place: "兰大一院"}}}); err != nil {
		t.Fatal(err)
	}
	if e := f.scan(t, f.vol, f.post.ID, f.code(t, "201"), "out"); !e.Allowed || e.Reason != gate.ReasonArrangedTrip || e.ReturnBy == nil || !e.ReturnBy.Equal(at("2026-12-03", 17, 0)) {
		t.Errorf("a care trip out: %+v", e)
	}

	// 103 goes out while controlled; the building is then released to
	// none: 103 at the gate goes out again, its old outing over.
	c103 := f.code(t, "103")
	f.scan(t, f.vol, f.post.ID, c103, "out")
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.ZoneTargets{BuildingIDs: []string{b1}}, "none"); err != nil {
		t.Fatal(err)
	}
	if e := f.scan(t, f.vol, f.post.ID, c103, "out"); !e.Allowed {
		t.Errorf("a household now free, with an outing left open: %+v", e)
	}
	mine, err := f.svc.Mine(ctx, f.resident(t, "13700000003"))
	if err != nil || mine.Out != nil {
		t.Errorf("103's outing is over: %+v, %v", mine, err)
	}

	// A QR code shown at 12:00, claimed scanned at 11:50.
	wang := f.resident(t, "13700000001")
	pass, err := f.svc.Mine(ctx, wang)
	if err != nil {
		t.Fatal(err)
	}
	early := at("2026-12-03", 11, 50)
	if e, err := f.svc.Record(ctx, f.vol, f.post.ID, gate.EventInput{EventID: "before-shown", Pass: pass.Token, Direction: "out", ScannedAt: &early}); err != nil || e.Reason != gate.ReasonUnknown {
		t.Errorf("a QR code scanned before it was shown: %+v, %v", e, err)
	}

	// Unknown passes: 30 in ten minutes, and 100 in the day across windows.
	tried := 0
	var last error
	for window := range 5 {
		f.cl.set(at("2026-12-03", 13, 0).Add(time.Duration(window) * 11 * time.Minute))
		for i := range gate.GuessesPerWindow {
			_, last = f.svc.Record(ctx, f.staff, f.otherPst.ID, gate.EventInput{EventID: fmt.Sprintf("guess-%d-%04d", window, i), Pass: fmt.Sprintf("Z%05d", i%10), Direction: "out"})
			if last == nil {
				tried++
			}
		}
	}
	if tried != gate.GuessesPerDay || code(last) != "PASS_GUESSING" {
		t.Errorf("unknown passes taken in a day: %d (%v), want %d", tried, last, gate.GuessesPerDay)
	}
}
