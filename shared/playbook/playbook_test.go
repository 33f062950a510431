package playbook_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
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
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/reserve"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

type fixture struct {
	st       *store.Store
	svc      *playbook.Service
	booking  *booking.Service
	notices  *notices.Service
	vols     *volunteers.Service
	outbox   *sms.Outbox
	queue    *queue.Local
	dispatch *dispatch.Consumer
	root     *app.Root
	staff    auth.Principal
	admin    auth.Principal
	sealed   []string // 1号楼, 2号楼
	phones   int      // residents' phones in them
}

// downAudit is a log that cannot be written.
type downAudit struct{}

func (downAudit) Action(context.Context, auth.Principal, string, string, map[string]string) (func(int), error) {
	return nil, audit.ErrUnavailable
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	var csv strings.Builder
	csv.WriteString("building,unit,room,name,phone\n")
	phones := 0
	for b := 1; b <= 3; b++ {
		for r := 1; r <= 4; r++ {
			phone := fmt.Sprintf("1370000%d%03d", b, r)
			csv.WriteString(fmt.Sprintf("%d号楼,1,%d01,居民%d%d,%s\n", b, r, b, r, phone))
			if b <= 2 {
				phones++
			}
		}
	}
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(csv.String())); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "工作人员", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	outbox := &sms.Outbox{Signature: "防线", Now: time.Now}
	q := queue.NewLocal(5, 10, time.Millisecond)
	f := &fixture{st: st, outbox: outbox, queue: q, phones: phones,
		staff: auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized(),
		admin: auth.Principal{UserID: "admin-s1", Role: manifest.RoleAdmin, StreetID: "s1"}.Normalized()}
	f.root = app.Local(st, q, outbox, time.Now)
	f.booking, f.notices, f.vols, f.dispatch, f.svc = f.root.Booking(), f.root.Notices(), f.root.Volunteers(), f.root.Consumer(), f.root.Playbook()
	bs, _, err := st.Buildings(ctx, "c1", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Name != "3号楼" {
			f.sealed = append(f.sealed, b.ID)
		}
	}
	// A volunteer on a post's shift, to be called.
	v := volunteers.Volunteer{ID: "v1", CommunityID: "c1", Name: "张卫国", Phone: "13500000001", Category: "individual",
		Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusPending, CreatedAt: time.Now()}
	if err := st.CreateVolunteer(ctx, v); err != nil {
		t.Fatal(err)
	}
	// Approved without an SMS: the tests count what the switch texts.
	quiet := app.Local(st, q, sms.Discard{}, time.Now)
	if _, err := quiet.Volunteers().Decide(ctx, f.staff, "v1", volunteers.StatusApproved); err != nil {
		t.Fatal(err)
	}
	q.Drain(ctx, quiet.Consumer().Handle)
	now := time.Now()
	post, err := f.vols.CreatePost(ctx, f.staff, "c1", volunteers.PostInput{Kind: "checkpoint", Name: "卡口", Skills: []string{},
		Shifts: []volunteers.ShiftInput{{StartsAt: now.Add(-time.Hour), EndsAt: now.Add(3 * time.Hour), Need: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.vols.Assign(ctx, f.staff, post.ID, volunteers.AssignInput{VolunteerID: "v1", ShiftID: post.Shifts[0].ID, Role: "A"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// demo is a playbook like the demo community's.
func (f *fixture) demo() playbook.Playbook {
	return playbook.Playbook{
		Emergency: []playbook.Step{
			{ID: "confirm", Title: "核实病例", DueMinutes: 10, Checklist: []string{"上报街道"}},
			{ID: "seal", Title: "封控", DueMinutes: 15, Action: &playbook.Action{Kind: playbook.ActionSealBuildings, BuildingIDs: f.sealed}},
			{ID: "tell", Title: "通知", DueMinutes: 20, Action: &playbook.Action{Kind: playbook.ActionSendNotice, Notice: &playbook.NoticeTemplate{
				Title: "封控管理通知", Body: "请居家", Channels: []string{"app", "sms"}, Urgent: true, ToSealed: true}}},
			{ID: "round", Title: "核酸", DueMinutes: 30, Action: &playbook.Action{Kind: playbook.ActionOpenRound, Round: &playbook.RoundTemplate{
				Name: "应急轮", StartInMinutes: 0, Hours: 4, SlotMinutes: 30, Sites: []booking.SiteInput{{Name: "东门", Lanes: 2, PerLanePerSlot: 10},
					{Name: "北门", Lanes: 1, PerLanePerSlot: 10, Spare: true}}}}},
			{ID: "spare", Title: "开放备用点", DueMinutes: 240, Action: &playbook.Action{Kind: playbook.ActionOpenSite, Site: "北门"}},
			{ID: "volunteers", Title: "启动志愿者", DueMinutes: 30, Action: &playbook.Action{Kind: playbook.ActionActivatePosts,
				Activation: &playbook.ActivationTemplate{All: true}}},
			{ID: "reserve", Title: "清点隔离储备", DueMinutes: 30, Action: &playbook.Action{Kind: playbook.ActionCheckReserves}},
			{ID: "approve", Title: "街道确认", Owner: "admin", DueMinutes: 60},
		},
		Normal: []playbook.Step{
			{ID: "release", Title: "解封", Action: &playbook.Action{Kind: playbook.ActionReleaseBuildings}},
		},
	}
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

func (f *fixture) drain(t *testing.T) {
	t.Helper()
	f.queue.Drain(context.Background(), f.dispatch.Handle)
	if dead := f.queue.Dead(); len(dead) > 0 {
		t.Fatalf("%d dispatch messages went dead: %s", len(dead), dead[0].Body)
	}
}

func (f *fixture) put(t *testing.T, pb playbook.Playbook) {
	t.Helper()
	if _, err := f.svc.Put(context.Background(), f.staff, "c1", pb); err != nil {
		t.Fatal(err)
	}
}

// countPK counts the items of a partition.
func (f *fixture) countPK(t *testing.T, pk string) int {
	t.Helper()
	out, err := f.st.DB.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(f.st.Table),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}, Select: types.SelectCount})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

// TestDrillNeverReachesAPhone is the test: a drill of the playbook
// seals buildings, opens a round, calls the volunteers and sends a notice;
// not one message reaches the real outbox, every one is in the drill's;
// the report times the steps; one call removes the drill's data; the audit
// log has every step.
func TestDrillNeverReachesAPhone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, f.demo())
	// Masks short of their minimum: the step's check names them.
	name, unit, category, minimum := "N95口罩", "个", "protective", 500
	if _, err := f.root.Reserve().Create(ctx, f.staff, "c1", reserve.ItemInput{Name: &name, Unit: &unit, Category: &category, Minimum: &minimum}); err != nil {
		t.Fatal(err)
	}
	run, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeEmergency, Drill: true})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(run.Steps, func(s playbook.RunStep) bool { return s.ID == "reserve" }); i < 0 || run.Steps[i].Result != "储备低于下限：N95口罩 0/500个" {
		t.Errorf("the reserve's step: %+v", run.Steps)
	}
	for _, st := range run.Steps {
		// Actions run at the switch, but a spare's, which waits for a tick.
		ran := st.Action != nil && st.Action.Kind != playbook.ActionOpenSite
		if want := map[bool]string{true: playbook.StepDone, false: playbook.StepPending}[ran]; st.Status != want {
			t.Errorf("step %s: %s (%s %s), want %s", st.ID, st.Status, st.Error, st.Result, want)
		}
	}
	if len(run.Zones) != 2 || len(run.Created.Rounds) != 1 || len(run.Created.Notices) != 1 || len(run.Created.Activations) != 1 {
		t.Fatalf("the drill made %+v, zones %d", run.Created, len(run.Zones))
	}
	// Zones on paper: the real map is untouched.
	zones, err := f.notices.Zones(ctx, f.staff, "c1")
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range zones {
		if z.Level != notices.LevelNone {
			t.Errorf("a drill sealed %s for real", z.Building)
		}
	}
	// A resident who opted in books in the drill's round; staff book a
	// neighbour (who is texted, in the drill's outbox).
	rid := run.Created.Rounds[0]
	slots, err := f.booking.Slots(ctx, f.staff, rid)
	if err != nil {
		t.Fatal(err)
	}
	residents, err := f.st.BuildingResidents(ctx, f.sealed[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.booking.Book(ctx, f.staff, rid, slots[0].ID, []string{residents[0].ID}, ""); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	if real := f.outbox.All(); len(real) != 0 {
		t.Fatalf("a drill texted a real phone: %+v", real[0])
	}
	sent, err := f.st.DrillOutbox(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	byTemplate := map[string]int{}
	for _, m := range sent {
		byTemplate[m.Template]++
		if !strings.Contains(m.To, "****") {
			t.Errorf("the drill outbox keeps a whole phone: %s", m.To)
		}
	}
	if byTemplate["notice_urgent"] != f.phones || byTemplate["volunteer_call"] != 1 || byTemplate["booking_confirmed"] != 1 {
		t.Errorf("drill outbox by template %v, want %d notice_urgent, 1 volunteer_call, 1 booking_confirmed", byTemplate, f.phones)
	}
	// Residents see the drill only when they opted in.
	resident := auth.Principal{UserID: residents[1].ID, Role: manifest.RoleResident, CommunityID: "c1", HouseholdID: residents[1].HouseholdID}.Normalized()
	if feed, _ := f.notices.Feed(ctx, resident); len(feed) != 0 {
		t.Errorf("a resident who did not opt in sees %d drill notices", len(feed))
	}
	if rounds, _ := f.booking.Rounds(ctx, resident, "c1"); len(rounds) != 0 {
		t.Errorf("a resident who did not opt in sees %d drill rounds", len(rounds))
	}
	if err := f.notices.SetDrillOptIn(ctx, resident, true); err != nil {
		t.Fatal(err)
	}
	if feed, _ := f.notices.Feed(ctx, resident); len(feed) != 1 {
		t.Errorf("a resident who opted in sees %d drill notices, want 1", len(feed))
	}
	// Ticks, the report and the end of the drill.
	if _, err := f.svc.Tick(ctx, f.staff, run.ID, "approve", playbook.TickInput{}); code(err) != "NOT_STEP_OWNER" {
		t.Errorf("staff ticked an admin's step: %v", err)
	}
	if run, err = f.svc.Tick(ctx, f.admin, run.ID, "approve", playbook.TickInput{Note: "已确认"}); err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.Tick(ctx, f.admin, run.ID, "approve", playbook.TickInput{})
	if err != nil || again.Version != run.Version {
		t.Errorf("a second tick changed the run: version %d → %d, %v", run.Version, again.Version, err)
	}
	rep, err := f.svc.Report(ctx, f.staff, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range rep.Run.Steps {
		if (st.Status == playbook.StepDone) != (st.SecondsFromSwitch != nil) {
			t.Errorf("step %s %s: secondsFromSwitch %v", st.ID, st.Status, st.SecondsFromSwitch)
		}
	}
	if len(rep.ReservesShort) != 1 || rep.ReservesShort[0].Name != "N95口罩" {
		t.Errorf("the report's reserve: %+v", rep.ReservesShort)
	}
	if rep.SMS == nil || rep.SMS.Messages != len(sent) {
		t.Errorf("report SMS %+v, outbox %d", rep.SMS, len(sent))
	}
	end, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeNormal, Drill: true})
	if err != nil {
		t.Fatal(err)
	}
	if end.Ends != run.ID || end.Steps[0].Status != playbook.StepDone || !strings.Contains(end.Steps[0].Result, "2") {
		t.Errorf("the drill's end: ends %q, release %+v", end.Ends, end.Steps[0])
	}
	if st, _ := f.st.Mode(ctx, "c1"); st.Mode != playbook.ModeNormal || st.DrillRunID != "" {
		t.Errorf("after the drill: %+v", st)
	}
	// One call removes the data; the run and the log stay.
	removed, err := f.svc.RemoveDrillData(ctx, f.staff, end.ID)
	if err != nil {
		t.Fatal(err)
	}
	if removed.Removed == nil || removed.Removed.Items == 0 || removed.ID != run.ID {
		t.Fatalf("removal: %+v", removed.Removed)
	}
	for _, pk := range []string{"ROUND#" + rid, "NOTICE#" + run.Created.Notices[0], "ACT#" + run.Created.Activations[0]} {
		if n := f.countPK(t, pk); n != 0 {
			t.Errorf("%s still holds %d items", pk, n)
		}
	}
	if left, _ := f.st.DrillOutbox(ctx, run.ID); len(left) != 0 {
		t.Errorf("the drill's outbox still holds %d messages", len(left))
	}
	// What the drill's queue still holds is dropped, not kept.
	if err := drill.Guarded(f.outbox, f.st, "防线").Send(drill.With(ctx, run.ID), "13700001001", mustNotice(t)); err != nil {
		t.Fatal(err)
	}
	if left, _ := f.st.DrillOutbox(ctx, run.ID); len(left) != 0 || len(f.outbox.All()) != 0 {
		t.Errorf("a removed drill's late message: %d kept, %d sent", len(left), len(f.outbox.All()))
	}
	// A removed drill cannot be revived by ticking a step.
	if _, err := f.svc.Tick(ctx, f.staff, run.ID, "confirm", playbook.TickInput{}); code(err) != "DRILL_REMOVED" {
		t.Errorf("ticking a removed drill: %v", err)
	}
	if feed, _ := f.notices.Feed(ctx, resident); len(feed) != 0 {
		t.Errorf("the feed still shows %d drill notices", len(feed))
	}
	if twice, err := f.svc.RemoveDrillData(ctx, f.staff, run.ID); err != nil || twice.Removed.Items != removed.Removed.Items {
		t.Errorf("a second removal: %+v, %v", twice.Removed, err)
	}
	if _, err := f.svc.Run(ctx, f.staff, run.ID); err != nil {
		t.Errorf("the run went with its data: %v", err)
	}
	entries, err := f.st.AuditDay(ctx, "s1", time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, e := range entries {
		ops[e.Op]++
	}
	for _, op := range []string{"playbook.seal_buildings", "playbook.send_notice", "playbook.open_round", "playbook.activate_posts", "playbook.release_buildings"} {
		if ops[op] != 1 {
			t.Errorf("the audit log has %d entries of %s, want 1 (%v)", ops[op], op, ops)
		}
	}
}

func mustNotice(t *testing.T) sms.Message {
	t.Helper()
	m, err := sms.Notice("封控管理通知", true)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRealSwitch: a real emergency seals for real, its end releases what
// it sealed, and the switches are refused out of turn.
func TestRealSwitch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, f.demo())
	if _, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeNormal}); code(err) != "ALREADY_IN_MODE" {
		t.Errorf("normal while normal: %v", err)
	}
	if _, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeNormal, Drill: true}); code(err) != "NO_DRILL_RUNNING" {
		t.Errorf("ending no drill: %v", err)
	}
	run, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeEmergency})
	if err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	if n := len(f.outbox.All()); n != f.phones+1 {
		t.Errorf("a real switch texted %d, want %d residents and 1 volunteer", n, f.phones+1)
	}
	zones, _ := f.notices.Zones(ctx, f.staff, "c1")
	sealed := 0
	for _, z := range zones {
		if z.Level == notices.LevelSealed {
			sealed++
		}
	}
	if sealed != 2 {
		t.Errorf("%d buildings sealed, want 2", sealed)
	}
	if _, err := f.svc.RemoveDrillData(ctx, f.staff, run.ID); code(err) != "NOT_A_DRILL" {
		t.Errorf("removing a real run's data: %v", err)
	}
	// A drill may run during a real emergency, apart from it.
	if _, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeEmergency, Drill: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeEmergency, Drill: true}); code(err) != "DRILL_RUNNING" {
		t.Errorf("a second drill: %v", err)
	}
	end, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeNormal})
	if err != nil {
		t.Fatal(err)
	}
	if end.Ends != run.ID || end.Steps[0].Status != playbook.StepDone {
		t.Errorf("the end: %+v", end.Steps[0])
	}
	// The spare waited for its tick, and opens with it.
	spare := run.Steps[slices.IndexFunc(run.Steps, func(s playbook.RunStep) bool { return s.ID == "spare" })]
	if spare.Status != playbook.StepPending {
		t.Fatalf("the spare's step ran at the switch: %+v", spare)
	}
	ticked, err := f.svc.Tick(ctx, f.staff, run.ID, "spare", playbook.TickInput{})
	if err != nil {
		t.Fatal(err)
	}
	if st := ticked.Steps[slices.IndexFunc(ticked.Steps, func(s playbook.RunStep) bool { return s.ID == "spare" })]; st.Status != playbook.StepDone || !strings.Contains(st.Result, "北门") {
		t.Fatalf("the spare's step after its tick: %+v", st)
	}
	sites, err := f.booking.Slots(ctx, f.staff, run.Created.Rounds[0])
	if err != nil || !slices.ContainsFunc(sites, func(sl booking.Slot) bool { return booking.SiteOf(sl.ID) != booking.SiteOf(sites[0].ID) }) {
		t.Fatalf("the spare's slots are not open: %v %v", len(sites), err)
	}
	zones, _ = f.notices.Zones(ctx, f.staff, "c1")
	for _, z := range zones {
		if z.Level != notices.LevelNone {
			t.Errorf("%s still %s after the emergency", z.Building, z.Level)
		}
	}
	if r, _ := f.svc.Run(ctx, f.staff, run.ID); r.EndedBy != end.ID {
		t.Errorf("the emergency's run says it was ended by %q", r.EndedBy)
	}
}

// TestOneSwitchAtATime: ten staff pressing the switch at once start one
// emergency.
func TestOneSwitchAtATime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, playbook.Playbook{Emergency: []playbook.Step{{ID: "a", Title: "上报"}}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeEmergency})
			mu.Lock()
			codes[code(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[""] != 1 || codes["ALREADY_IN_MODE"]+codes["CHANGED_MEANWHILE"] != 9 {
		t.Errorf("ten switches at once: %v, want one run", codes)
	}
	view, err := f.svc.Mode(ctx, f.staff, "c1")
	if err != nil || len(view.Runs) != 1 {
		t.Errorf("%d runs, %v", len(view.Runs), err)
	}
}

// TestFailedActionIsRetried: an action refused (the audit log down) fails
// its step with the code and runs nothing; a tick runs it again.
func TestFailedActionIsRetried(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, f.demo())
	rec := f.svc.Audit
	f.svc.Audit = downAudit{}
	run, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeEmergency, Drill: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range run.Steps {
		if st.Action != nil && st.Action.Kind != playbook.ActionOpenSite && (st.Status != playbook.StepFailed || st.Error != "AUDIT_UNAVAILABLE") {
			t.Errorf("step %s with the log down: %s %s", st.ID, st.Status, st.Error)
		}
	}
	if len(run.Created.Rounds)+len(run.Created.Notices)+len(run.Created.Activations)+len(run.Zones) != 0 {
		t.Errorf("actions ran without their audit entry: %+v", run.Created)
	}
	f.svc.Audit = rec
	run, err = f.svc.Tick(ctx, f.staff, run.ID, "seal", playbook.TickInput{})
	if err != nil {
		t.Fatal(err)
	}
	if st := run.Steps[1]; st.Status != playbook.StepDone || len(run.Zones) != 2 {
		t.Errorf("the retried seal: %s %s, zones %d", st.Status, st.Error, len(run.Zones))
	}
	// The notice goes to what the run has sealed by then.
	run, err = f.svc.Tick(ctx, f.staff, run.ID, "tell", playbook.TickInput{})
	if err != nil || run.Steps[2].Status != playbook.StepDone {
		t.Fatalf("the retried notice: %+v, %v", run.Steps[2], err)
	}
}

// TestLateness: a step past its due time is late, done or not.
func TestLateness(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	f.svc.Now = func() time.Time { return now }
	f.put(t, playbook.Playbook{Emergency: []playbook.Step{{ID: "a", Title: "上报", DueMinutes: 10}, {ID: "b", Title: "复核", DueMinutes: 30}}})
	run, err := f.svc.Switch(ctx, f.staff, "c1", playbook.ModeInput{Mode: playbook.ModeEmergency, Drill: true})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(15 * time.Minute)
	if run, err = f.svc.Tick(ctx, f.staff, run.ID, "a", playbook.TickInput{}); err != nil {
		t.Fatal(err)
	}
	a, b := run.Steps[0], run.Steps[1]
	if !a.Late || a.LateBySeconds < 299 || a.LateBySeconds > 301 || a.SecondsFromSwitch == nil || *a.SecondsFromSwitch < 899 {
		t.Errorf("a done 15 min after a 10 min due: %+v", a)
	}
	if b.Late {
		t.Errorf("b is not due yet: %+v", b)
	}
	now = now.Add(20 * time.Minute)
	if run, _ = f.svc.Run(ctx, f.staff, run.ID); !run.Steps[1].Late {
		t.Errorf("b is 5 minutes past due and not done: %+v", run.Steps[1])
	}
}

// TestPlaybookIsChecked: what a playbook may hold.
func TestPlaybookIsChecked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	step := func(mod func(*playbook.Step)) playbook.Playbook {
		st := playbook.Step{ID: "a", Title: "上报"}
		mod(&st)
		return playbook.Playbook{Emergency: []playbook.Step{st}}
	}
	many := playbook.Playbook{}
	for i := 0; i < 31; i++ {
		many.Emergency = append(many.Emergency, playbook.Step{ID: fmt.Sprintf("s%d", i), Title: "步骤"})
	}
	cases := []struct {
		name  string
		pb    playbook.Playbook
		field string
	}{
		{"bad id", step(func(s *playbook.Step) { s.ID = "A B" }), "emergency[0].id"},
		{"twice", playbook.Playbook{Emergency: []playbook.Step{{ID: "a", Title: "x"}, {ID: "a", Title: "y"}}}, "emergency[1].id"},
		{"no title", step(func(s *playbook.Step) { s.Title = "" }), "emergency[0].title"},
		{"control char", step(func(s *playbook.Step) { s.Title = "上报\u202e" }), "emergency[0].title"},
		{"owner", step(func(s *playbook.Step) { s.Owner = "volunteer" }), "emergency[0].owner"},
		{"due", step(func(s *playbook.Step) { s.DueMinutes = 99999 }), "emergency[0].dueMinutes"},
		{"too many", many, "emergency"},
		{"unknown action", step(func(s *playbook.Step) { s.Action = &playbook.Action{Kind: "nuke"} }), "emergency[0].action.kind"},
		{"foreign building", step(func(s *playbook.Step) {
			s.Action = &playbook.Action{Kind: playbook.ActionSealBuildings, BuildingIDs: []string{"bnope"}}
		}), "emergency[0].action.buildingIds"},
		{"unsendable site", step(func(s *playbook.Step) {
			s.Action = &playbook.Action{Kind: playbook.ActionOpenRound, Round: &playbook.RoundTemplate{Name: "r", Hours: 2, SlotMinutes: 30,
				Sites: []booking.SiteInput{{Name: "东门 http://x.cn", Lanes: 1, PerLanePerSlot: 1}}}}
		}), "emergency[0].action.round.sites[0].name"},
		{"two audiences", step(func(s *playbook.Step) {
			s.Action = &playbook.Action{Kind: playbook.ActionSendNotice, Notice: &playbook.NoticeTemplate{Title: "t", Body: "b",
				Channels: []string{"app"}, All: true, ToSealed: true}}
		}), "emergency[0].action.notice"},
		{"round on a seal", step(func(s *playbook.Step) {
			s.Action = &playbook.Action{Kind: playbook.ActionSealBuildings, BuildingIDs: f.sealed, Round: &playbook.RoundTemplate{}}
		}), "emergency[0].action.round"},
		{"retention", playbook.Playbook{RetentionDays: 400}, "retentionDays"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Put(ctx, f.staff, "c1", c.pb)
			e := apperr.As(err)
			if e.Code != "VALIDATION_FAILED" {
				t.Fatalf("%v, want VALIDATION_FAILED", err)
			}
			for _, fe := range e.Fields {
				if fe.Field == c.field {
					return
				}
			}
			t.Errorf("fields %+v, want %s", e.Fields, c.field)
		})
	}
	// Saved over someone else's save: refused.
	pb, err := f.svc.Put(ctx, f.staff, "c1", playbook.Playbook{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Put(ctx, f.staff, "c1", playbook.Playbook{Version: pb.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Put(ctx, f.staff, "c1", playbook.Playbook{Version: pb.Version}); !errors.Is(err, playbook.ErrChanged) {
		t.Errorf("a stale save: %v", err)
	}
	other := auth.Principal{UserID: "u-x", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()
	if _, err := f.svc.Get(ctx, other, "c1"); code(err) != "FORBIDDEN" {
		t.Errorf("another community's staff read the playbook: %v", err)
	}
}

// TestStreetSignOffsAndRetentionAreTheAdmins: staff may not take the
// street's sign-off out of a playbook (remove it, or give it to staff),
// nor change the retention period; the street's admin may; the period has
// a floor.
func TestStreetSignOffsAndRetentionAreTheAdmins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pb := f.demo()
	f.put(t, pb) // staff add the street's sign-off: more sign-offs are anyone's
	saved, err := f.svc.Get(ctx, f.staff, "c1")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(mod func(*playbook.Playbook)) playbook.Playbook {
		next := saved
		next.Emergency = slices.Clone(saved.Emergency)
		mod(&next)
		return next
	}
	last := len(saved.Emergency) - 1
	for name, next := range map[string]playbook.Playbook{
		"the sign-off given to staff": edit(func(p *playbook.Playbook) { p.Emergency[last].Owner = "staff" }),
		"the sign-off removed":        edit(func(p *playbook.Playbook) { p.Emergency = p.Emergency[:last] }),
		"another retention":           edit(func(p *playbook.Playbook) { p.RetentionDays = 60 }),
	} {
		if _, err := f.svc.Put(ctx, f.staff, "c1", next); code(err) != "STREET_ADMIN_ONLY" {
			t.Errorf("staff, %s: %v", name, err)
		}
	}
	if _, err := f.svc.Put(ctx, f.admin, "c1", edit(func(p *playbook.Playbook) { p.RetentionDays = 1 })); code(err) != "VALIDATION_FAILED" {
		t.Errorf("a retention under the floor: %v", err)
	}
	got, err := f.svc.Put(ctx, f.admin, "c1", edit(func(p *playbook.Playbook) { p.Emergency[last].Owner = "staff"; p.RetentionDays = 60 }))
	if err != nil || got.RetentionDays != 60 || got.Emergency[last].Owner != "staff" {
		t.Fatalf("the street's admin: %+v %v", got, err)
	}
}
