package booking_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/registry"
)

// TestTubesAndResults: swabs go into tubes at check-in (the lane keeps its
// tube; a tube takes only its zone level's swabs and closes at its size);
// the lab's results are checked whole before anything is written, taken
// once, and read back per building, per tube and by the household.
func TestTubesAndResults(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	site := booking.SiteOf(f.slots[0].ID)
	b1 := registry.BuildingOf(f.members[0][0])
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.Buildings(b1), notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	a, b := f.members[1][0], f.members[4][0] // 2号楼, in no zone: 20 a tube
	c, d := f.members[0][0], f.members[0][1] // 1号楼, sealed: one a tube
	in := func(resident, tube string) (booking.CheckInResult, error) {
		return f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{ResidentID: resident, SiteID: site, Lane: 1, Tube: tube})
	}
	if got, err := in(a, " t0000001 "); err != nil || got.Tube != "T0000001" {
		t.Fatalf("the lane's first tube: %+v %v", got, err)
	}
	if got, err := in(b, ""); err != nil || got.Tube != "T0000001" {
		t.Fatalf("the lane's tube kept: %+v %v", got, err)
	}
	refusals := []struct {
		name, resident, tube, want string
	}{
		{"a sealed building's swab into a pooled tube", c, "T0000001", "TUBE_OTHER_ZONE"},
		{"not a tube code", c, "x!", "VALIDATION_FAILED"},
	}
	for _, r := range refusals {
		if _, err := in(r.resident, r.tube); code(err) != r.want {
			t.Errorf("%s: %v, want %s", r.name, err, r.want)
		}
	}
	if got, err := in(c, "S0000001"); err != nil || got.Tube != "S0000001" {
		t.Fatalf("a sealed building's own tube after a refusal wrote nothing: %+v %v", got, err)
	}
	if _, err := in(d, ""); code(err) != "TUBE_FULL" {
		t.Fatalf("a single tube's second swab: %v", err)
	}
	tube, members, err := f.st.Tube(ctx, f.round.ID, "S0000001")
	if err != nil || tube.Size != 1 || tube.Count != 1 || tube.Level != "sealed" || len(members) != 1 {
		t.Fatalf("the sealed tube %+v %+v %v", tube, members, err)
	}

	// The lab's file: a pooled positive, a negative twice, an unknown tube,
	// a row that is not a result.
	rows := []booking.ResultRow{{Tube: "T0000001", Result: "混管阳性"}, {Tube: "S0000001", Result: "阴性"}, {Tube: "s0000001", Result: "negative"},
		{Tube: "NOPE0001", Result: "阴性"}, {Tube: "T0000001x", Result: "maybe"}}
	rep, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, rows, nil)
	if err != nil || rep.Applied != 2 || !slices.Equal(rep.Unknown, []string{"NOPE0001"}) || len(rep.Invalid) != 1 || rep.Invalid[0].Row != 6 ||
		!slices.Equal(rep.PooledPositive, []string{"T0000001"}) || len(rep.Conflicting) != 0 {
		t.Fatalf("results %+v %v", rep, err)
	}
	again, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, rows, nil)
	if err != nil || again.Applied != 0 || again.Unchanged != 2 || len(again.PooledPositive) != 0 {
		t.Fatalf("the same file twice %+v %v", again, err)
	}
	clash, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, []booking.ResultRow{{Tube: "S0000001", Result: "阳性"}, {Tube: "S0000001", Result: "阴性"}}, nil)
	if err != nil || !slices.Equal(clash.Conflicting, []string{"S0000001"}) || clash.Applied+clash.Unchanged != 0 {
		t.Fatalf("two results for one tube %+v %v", clash, err)
	}
	if tube, _, _ := f.st.Tube(ctx, f.round.ID, "S0000001"); tube.Result != booking.ResultNegative {
		t.Fatalf("a conflicting row changed the tube: %+v", tube)
	}
	if _, err := in(d, "S0000001"); code(err) != "TUBE_RESULTED" {
		t.Fatalf("a swab into a resulted tube: %v", err)
	}

	// Who to find: the pooled positive tube's people and doors.
	view, err := f.svc.TubeOf(ctx, f.staff, booking.TubeID(f.round.ID, "T0000001"))
	if err != nil || len(view.Members) != 2 || len(view.Households) != 2 || view.Households[0].Room == "" || view.Members[0].Name == "" {
		t.Fatalf("the tube's people %+v %v", view, err)
	}
	if _, err := f.svc.TubeOf(ctx, f.residents[1], booking.TubeID(f.round.ID, "T0000001")); err == nil {
		t.Fatal("a resident read a tube")
	}
	if _, err := f.svc.TubeOf(ctx, f.staff, booking.TubeID(f.round.ID, "NOPE0001")); code(err) != "TUBE_NOT_FOUND" {
		t.Fatalf("an unknown tube: %v", err)
	}

	// The trace: the tube's two households texted to stay in place, their
	// people sampled singly at the door, released when both are negative.
	if rep.Traced != 2 {
		t.Fatalf("%d households texted with the pooled positive, want 2", rep.Traced)
	}
	f.queue.Drain(ctx, f.root.Consumer().Handle)
	holdA, holdB := f.texts(phoneOf(t, f, a), "trace_hold"), f.texts(phoneOf(t, f, b), "trace_hold")
	if len(holdA) != 1 || len(holdB) != 1 || !strings.Contains(holdA[0].Body, "原地居家") {
		t.Fatalf("the households' texts: %+v %+v", holdA, holdB)
	}
	traces, err := f.svc.Traces(ctx, f.staff, f.round.ID)
	if err != nil || len(traces) != 1 || traces[0].Status != booking.TraceOpen || len(traces[0].Households) != 2 || traces[0].Overdue {
		t.Fatalf("the trace %+v %v", traces, err)
	}
	// Their households are held in place: a household zone each,
	// controlled for the pooled positive, and the app says so.
	if held := controlled(t, f); len(held) != 2 || !traces[0].Households[0].Controlled {
		t.Fatalf("the households' control: %v %+v", held, traces[0].Households)
	}
	if !feedSays(t, f, f.residents[1], "请原地居家，等待上门单采") {
		t.Fatal("the household's app does not say to stay in place")
	}
	singles := []struct {
		name, resident, tube, want string
	}{
		{"a's single", a, "U0000001", ""},
		{"b into a's single tube", b, "U0000001", "TUBE_IN_USE"},
		{"b's single", b, "U0000002", ""},
		{"a's single again", a, "U0000003", "ALREADY_SINGLE_SAMPLED"},
		{"someone not traced", c, "U0000004", "NOT_TRACED"},
	}
	for _, sg := range singles {
		if _, err := f.svc.TakeSingle(ctx, f.staff, f.round.ID, booking.SingleInput{ResidentID: sg.resident, Tube: sg.tube}); code(err) != sg.want {
			t.Errorf("%s: %v, want %q", sg.name, err, sg.want)
		}
	}
	if _, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, []booking.ResultRow{{Tube: "U0000001", Result: "阴性"}}, nil); err != nil {
		t.Fatal(err)
	}
	if traces, _ := f.svc.Traces(ctx, f.staff, f.round.ID); traces[0].Status != booking.TraceOpen {
		t.Fatalf("released before all its single results: %+v", traces[0])
	}
	last := []booking.ResultRow{{Tube: "U0000002", Result: "阴性"}}
	for range 2 {
		if _, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, last, nil); err != nil {
			t.Fatal(err)
		}
	}
	traces, _ = f.svc.Traces(ctx, f.staff, f.round.ID)
	if traces[0].Status != booking.TraceReleased || traces[0].Households[0].People[0].SingleResult != booking.ResultNegative {
		t.Fatalf("the trace after all negative: %+v", traces[0])
	}
	f.queue.Drain(ctx, f.root.Consumer().Handle)
	if n := len(f.texts(phoneOf(t, f, a), "trace_released")) + len(f.texts(phoneOf(t, f, b), "trace_released")); n != 2 {
		t.Fatalf("%d release texts, want one a household", n)
	}
	if held := controlled(t, f); len(held) != 0 || traces[0].Households[0].Outcome != booking.DoorReleased {
		t.Fatalf("controls left after the release: %v %+v", held, traces[0].Households)
	}
	if !feedSays(t, f, f.residents[1], "单采复核均为阴性，已解除原地居家") {
		t.Fatal("the household's app does not say it is released")
	}
	// The night's review times it.
	rv, err := f.svc.Review(ctx, f.staff, f.round.ID)
	if err != nil || len(rv.Results.Traces) != 1 || len(rv.Results.Buildings) == 0 {
		t.Fatalf("the review's results %+v %v", rv.Results, err)
	}
	if tr := rv.Results.Traces[0]; tr.Tube != "T0000001" || tr.People != 2 || tr.SinglesTaken != 2 || tr.SinglesMinutes == nil || tr.ClosedMinutes == nil ||
		tr.Status != booking.TraceReleased || tr.Overdue || tr.Texted != 2 {
		t.Fatalf("the trace in the review %+v", tr)
	}

	// The office's progress and the household's own results.
	prog, err := f.svc.Progress(ctx, f.staff, f.round.ID)
	if err != nil || prog.Total.Resulted != 3 || prog.Total.PooledPositive != 2 || prog.Total.Pending != 0 {
		t.Fatalf("results in progress %+v %v", prog.Total, err)
	}
	mine, err := f.svc.MyResults(ctx, f.residents[1])
	if err != nil || len(mine) != 1 || mine[0].ResidentID != a || mine[0].Result != booking.ResultPooledPositive {
		t.Fatalf("my results %+v %v", mine, err)
	}
}

func TestResultsFiles(t *testing.T) {
	cases := []struct {
		name, file string
		rows, bad  int
		want       string
	}{
		{"Chinese headers with a BOM", "\ufeff序号,试管码,结果\n1,T0000001,阴性\n2,T0000002,混管阳性\n", 2, 0, ""},
		{"a short row", "tube,result\nT0000001\nT0000002,negative\n", 1, 1, ""},
		{"no result column", "试管码,姓名\nT0000001,张三\n", 0, 0, "RESULTS_FILE_INVALID"},
		{"empty", "", 0, 0, "RESULTS_FILE_INVALID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, bad, err := booking.ParseResultsCSV([]byte(c.file))
			if code(err) != c.want || len(rows) != c.rows || len(bad) != c.bad {
				t.Fatalf("%d rows, %d bad, %v", len(rows), len(bad), err)
			}
		})
	}
}

func TestPoolingIsChecked(t *testing.T) {
	f := newFixture(t, 2)
	bad := booking.Pooling{Sealed: 0, Controlled: 10, Precaution: 21, Others: 20}
	_, err := f.svc.CreateRound(context.Background(), f.staff, "c1", booking.RoundInput{Name: "第5轮", StartsAt: f.round.StartsAt, EndsAt: f.round.EndsAt,
		SlotMinutes: 30, AllowPastStart: true, Pooling: &bad})
	if code(err) != "VALIDATION_FAILED" {
		t.Fatalf("a pool of 0 and of 21: %v", err)
	}
	if f.round.Pooling != booking.DefaultPooling {
		t.Fatalf("a round's default pooling: %+v", f.round.Pooling)
	}
}

// TestATubeNeverTakesMoreThanItsSize: swabs scanned into one tube at once
// (two lanes, one tube code) are taken up to its size and not one more.
func TestATubeNeverTakesMoreThanItsSize(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	pairs := booking.Pooling{Sealed: 1, Controlled: 2, Precaution: 2, Others: 2}
	r, err := f.svc.CreateRound(ctx, f.staff, "c1", booking.RoundInput{Name: "第6轮", StartsAt: f.round.StartsAt, EndsAt: f.round.EndsAt,
		SlotMinutes: 30, AllowPastStart: true, Pooling: &pairs})
	if err != nil {
		t.Fatal(err)
	}
	_, slots, err := f.svc.AddSite(ctx, f.staff, r.ID, booking.SiteInput{Name: "北门", Lanes: 2, PerLanePerSlot: 10})
	if err != nil {
		t.Fatal(err)
	}
	site := booking.SiteOf(slots[0].ID)
	var people []string
	for h := 1; h < households; h += 3 { // 2号楼's households
		people = append(people, f.members[h]...)
	}
	results := make(chan string, len(people))
	var wg sync.WaitGroup
	for i, id := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.CheckIn(ctx, f.staff, r.ID, booking.CheckInInput{ResidentID: id, SiteID: site, Lane: i%2 + 1, Tube: "P0000001"})
			results <- code(err)
		}()
	}
	wg.Wait()
	close(results)
	taken := 0
	for c := range results {
		switch c {
		case "":
			taken++
		case "TUBE_FULL":
		default:
			t.Errorf("a check-in into the shared tube: %s", c)
		}
	}
	tube, members, err := f.st.Tube(ctx, r.ID, "P0000001")
	if err != nil || taken != 2 || tube.Count != 2 || len(members) != 2 {
		t.Fatalf("%d of %d taken into a tube of 2: %+v, %d members, %v", taken, len(people), tube, len(members), err)
	}
	prog, err := f.svc.Progress(ctx, f.staff, r.ID)
	if err != nil || prog.Total.Sampled != 2 || prog.Total.Pending != 2 || prog.Sites[0].Pending != 2 {
		t.Fatalf("a refused swab left a sample behind: %+v %v", prog.Total, err)
	}
}

// TestTheSamplingExportIsImported: the official system's export marks
// people sampled into their tubes, by phone and name or by a name only one
// resident has; a full identity number, a stranger, a second tube and a
// time to come are reported; the same file twice changes nothing.
func TestTheSamplingExportIsImported(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	file := "\ufeff姓名,证件号码,手机号,采集时间,采样点,试管码\n" +
		"户主1,620102********1234,13700000001,,东门,M0000001\n" +
		"家人1,,,,东门,M0000001\n" +
		"张三,,13012345678,,,M0000003\n" +
		"户主2,620102199001011234,13700000002,,,M0000004\n" +
		"户主1,,13700000001,,,M0000002\n" +
		"户主1,,13700000001,,,M0000001\n" +
		"户主3,,13700000003,2099-01-01 10:00:00,,M0000005\n" +
		"户主5,,13700000005,,,M0000006\n"
	// 户主5 was checked in at the site, where nobody scanned tubes.
	host5 := ""
	for _, id := range f.members[5] {
		if _, members, _ := f.st.Household(ctx, registry.HouseholdOf(id)); len(members) > 0 {
			for _, m := range members {
				if m.Phone == "13700000005" {
					host5 = m.ID
				}
			}
		}
	}
	if _, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{ResidentID: host5, SiteID: booking.SiteOf(f.slots[0].ID)}); err != nil {
		t.Fatal(err)
	}
	rows, err := booking.ParseSamplesCSV([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	for pass := 1; pass <= 2; pass++ {
		rep, err := f.svc.ImportSamples(ctx, f.staff, f.round.ID, rows)
		matched, already, bound := 2, 1, 1
		if pass == 2 {
			matched, already, bound = 0, 4, 0
		}
		if err != nil || rep.Rows != 8 || rep.Matched != matched || rep.AlreadySampled != already || rep.Bound != bound || len(rep.Unmatched) != 1 || len(rep.Invalid) != 2 ||
			len(rep.Conflicting) != 1 || rep.Conflicting[0].Code != "SAMPLED_IN_ANOTHER_TUBE" || rep.Unmatched[0].Phone != "130****5678" {
			t.Fatalf("pass %d: %+v %v", pass, rep, err)
		}
		if zh := rep.In("zh"); !strings.Contains(zh.Invalid[0].Reason, "证件号码") {
			t.Fatalf("the report in Chinese: %+v", zh.Invalid)
		}
	}
	tube, members, err := f.st.Tube(ctx, f.round.ID, "M0000001")
	if err != nil || tube.Count != 2 || len(members) != 2 || tube.SiteID != booking.SiteOf(f.slots[0].ID) {
		t.Fatalf("the imported tube %+v %+v %v", tube, members, err)
	}
	if _, err := booking.ParseSamplesCSV([]byte("姓名,手机号\n张三,13012345678\n")); code(err) != "SAMPLES_FILE_INVALID" {
		t.Fatalf("an export without tubes: %v", err)
	}
}

// phoneOf is the phone a resident's household is texted at: its first.
func phoneOf(t *testing.T, f *fixture, residentID string) string {
	t.Helper()
	_, members, err := f.st.Household(context.Background(), registry.HouseholdOf(residentID))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.Phone != "" {
			return m.Phone
		}
	}
	t.Fatalf("no phone in %s's household", residentID)
	return ""
}

// controlled lists the households under a trace's control.
func controlled(t *testing.T, f *fixture) []string {
	t.Helper()
	zones, err := f.root.Notices().Zones(context.Background(), f.staff, "c1")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, z := range zones {
		if z.Reason == notices.ReasonPooledPositive && z.Level == notices.LevelControlled && z.HouseholdID != "" {
			out = append(out, z.HouseholdID)
		}
	}
	return out
}

// feedSays says whether a resident's app feed has an entry titled title.
func feedSays(t *testing.T, f *fixture, p auth.Principal, title string) bool {
	t.Helper()
	feed, err := f.root.Notices().Feed(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(feed, func(it notices.FeedItem) bool { return it.Kind == notices.KindTrace && it.Title == title })
}

// TestAPositiveSingleSealsItsHousehold: an overdue door list texts the
// staff on duty, then everyone and the street, once each; a positive single
// sample seals its household, lists its members as close contacts and
// releases the other doors.
func TestAPositiveSingleSealsItsHousehold(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	if err := f.st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "值班", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	site := booking.SiteOf(f.slots[0].ID)
	a, b := f.members[1][0], f.members[4][0]
	for _, res := range []string{a, b} {
		if _, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{ResidentID: res, SiteID: site, Lane: 1, Tube: "P0000001"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, []booking.ResultRow{{Tube: "P0000001", Result: "混管阳性"}}, nil); err != nil {
		t.Fatal(err)
	}
	traces, _ := f.svc.Traces(ctx, f.staff, f.round.ID)
	due := traces[0].DueAt

	// Nothing is due before the deadline; past it, the staff on duty, once.
	for _, tc := range []struct {
		at   time.Time
		want int
	}{{due.Add(-time.Minute), 0}, {due.Add(time.Minute), 1}, {due.Add(2 * time.Minute), 0}, {due.Add(booking.TraceWithin + time.Minute), 1}, {due.Add(3 * booking.TraceWithin), 0}} {
		n, err := f.svc.EscalateTraces(ctx, tc.at)
		if err != nil || n != tc.want {
			t.Fatalf("escalation at %v: %d %v, want %d", tc.at.Sub(due), n, err, tc.want)
		}
	}
	f.queue.Drain(ctx, f.root.Consumer().Handle)
	staff := f.texts("13900000001", "trace_overdue")
	if len(staff) != 2 || !strings.Contains(staff[0].Body, "2户尚有2人") {
		t.Fatalf("the staff's overdue texts: %+v", staff)
	}
	if admin := f.texts("13900000000", "trace_overdue"); len(admin) != 1 {
		t.Fatalf("the street admin's texts: %+v", admin)
	}
	if traces, _ := f.svc.Traces(ctx, f.staff, f.round.ID); traces[0].Level != 2 {
		t.Fatalf("escalation level %d", traces[0].Level)
	}

	for i, res := range []string{a, b} {
		if _, err := f.svc.TakeSingle(ctx, f.staff, f.round.ID, booking.SingleInput{ResidentID: res, Tube: fmt.Sprintf("Q000000%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, []booking.ResultRow{{Tube: "Q0000000", Result: "阳性"}, {Tube: "Q0000001", Result: "阴性"}}, nil); err != nil {
		t.Fatal(err)
	}
	traces, _ = f.svc.Traces(ctx, f.staff, f.round.ID)
	tr := traces[0]
	if tr.Status != booking.TraceEscalated || tr.Proposal == "" {
		t.Fatalf("the trace after a positive single: %+v", tr)
	}
	var contacts []string
	for _, c := range tr.CloseContacts {
		contacts = append(contacts, c.ResidentID)
	}
	slices.Sort(contacts)
	if want := slices.Sorted(slices.Values(f.members[1])); !slices.Equal(contacts, want) {
		t.Fatalf("close contacts %v, want a's whole household %v", contacts, want)
	}
	zones, _ := f.root.Notices().Zones(ctx, f.staff, "c1")
	byHousehold := map[string]notices.Zone{}
	for _, z := range zones {
		byHousehold[z.HouseholdID] = z
	}
	if z := byHousehold[registry.HouseholdOf(a)]; z.Level != notices.LevelSealed || z.Reason != booking.ReasonPositive {
		t.Fatalf("a's household: %+v", z)
	}
	if z, ok := byHousehold[registry.HouseholdOf(b)]; ok {
		t.Fatalf("b's household, all negative, is still zoned: %+v", z)
	}
	f.queue.Drain(ctx, f.root.Consumer().Handle)
	if len(f.texts(phoneOf(t, f, a), "trace_released")) != 0 || len(f.texts(phoneOf(t, f, b), "trace_released")) != 1 {
		t.Fatal("only the released household is told it is released")
	}
	if !feedSays(t, f, f.residents[1], "请继续居家，社区将与您联系") {
		t.Fatal("the sealed household's app does not say to stay at home")
	}
}

// TestATraceLeavesStaffsZonesAlone: a household staff sealed on its own
// keeps its seal through a trace; one staff changed during the trace keeps
// staff's change when the trace releases the others.
func TestATraceLeavesStaffsZonesAlone(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	site := booking.SiteOf(f.slots[0].ID)
	a, b, c := f.members[1][0], f.members[4][0], f.members[7][0]
	ns := f.root.Notices()
	if _, err := ns.SetZones(ctx, f.staff, "c1", notices.ZoneTargets{HouseholdIDs: []string{registry.HouseholdOf(a)}}, notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	for _, res := range []string{b, c} {
		if _, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{ResidentID: res, SiteID: site, Lane: 1, Tube: "P0000001"}); err != nil {
			t.Fatal(err)
		}
	}
	// a's household is sealed: its swab goes into a tube of its own.
	if _, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{ResidentID: a, SiteID: site, Lane: 2, Tube: "P0000002"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, []booking.ResultRow{{Tube: "P0000001", Result: "混管阳性"}}, nil); err != nil {
		t.Fatal(err)
	}
	if held := controlled(t, f); len(held) != 2 {
		t.Fatalf("controls %v", held)
	}
	// Staff seal b's household meanwhile: the release leaves it sealed.
	if _, err := ns.SetZones(ctx, f.staff, "c1", notices.ZoneTargets{HouseholdIDs: []string{registry.HouseholdOf(b)}}, notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	for i, res := range []string{b, c} {
		if _, err := f.svc.TakeSingle(ctx, f.staff, f.round.ID, booking.SingleInput{ResidentID: res, Tube: fmt.Sprintf("Q000000%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, []booking.ResultRow{{Tube: "Q0000000", Result: "阴性"}, {Tube: "Q0000001", Result: "阴性"}}, nil); err != nil {
		t.Fatal(err)
	}
	traces, _ := f.svc.Traces(ctx, f.staff, f.round.ID)
	if traces[0].Status != booking.TraceReleased {
		t.Fatalf("the trace %+v", traces[0])
	}
	zones, _ := ns.Zones(ctx, f.staff, "c1")
	levels := map[string]string{}
	for _, z := range zones {
		levels[z.HouseholdID] = z.Level
	}
	if levels[registry.HouseholdOf(a)] != notices.LevelSealed || levels[registry.HouseholdOf(b)] != notices.LevelSealed || levels[registry.HouseholdOf(c)] != "" {
		t.Fatalf("zones after the release: %v", levels)
	}
}

// TestTwoTracesOfOneHousehold: a household whose two people went into two
// tubes, both back pooled positive, stays held until the second trace's
// singles are back too, and is told released once; a household whose
// building staff sealed meanwhile is released from the trace but not told
// so.
func TestTwoTracesOfOneHousehold(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	site := booking.SiteOf(f.slots[0].ID)
	head, kin := f.members[1][0], f.members[1][1] // one household, two tubes
	other := f.members[2][0]
	for _, c := range []struct {
		res, tube string
		lane      int
	}{{head, "P0000001", 1}, {kin, "P0000002", 2}, {other, "P0000002", 2}} {
		if _, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{ResidentID: c.res, SiteID: site, Lane: c.lane, Tube: c.tube}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, []booking.ResultRow{{Tube: "P0000001", Result: "混管阳性"}, {Tube: "P0000002", Result: "混管阳性"}}, nil); err != nil {
		t.Fatal(err)
	}
	// Staff seal other's building meanwhile.
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", notices.Buildings(registry.BuildingOf(other)), notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	for i, res := range []string{head, kin, other} {
		if _, err := f.svc.TakeSingle(ctx, f.staff, f.round.ID, booking.SingleInput{ResidentID: res, Tube: fmt.Sprintf("Q000000%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	byTube := func() map[string]booking.Trace {
		ts, _ := f.svc.Traces(ctx, f.staff, f.round.ID)
		out := map[string]booking.Trace{}
		for _, tr := range ts {
			out[tr.Tube] = tr
		}
		return out
	}
	if _, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, []booking.ResultRow{{Tube: "Q0000000", Result: "阴性"}}, nil); err != nil {
		t.Fatal(err)
	}
	first := byTube()["P0000001"]
	if first.Status != booking.TraceReleased || first.Households[0].Outcome != booking.DoorHeld {
		t.Fatalf("the first trace: %+v", first)
	}
	if held := controlled(t, f); !slices.Contains(held, registry.HouseholdOf(head)) {
		t.Fatalf("the household released while its other tube's singles are out: %v", held)
	}
	if _, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, []booking.ResultRow{{Tube: "Q0000001", Result: "阴性"}, {Tube: "Q0000002", Result: "阴性"}}, nil); err != nil {
		t.Fatal(err)
	}
	second := byTube()["P0000002"]
	outcomes := map[string]string{}
	for _, h := range second.Households {
		outcomes[h.HouseholdID] = h.Outcome
	}
	if second.Status != booking.TraceReleased || outcomes[registry.HouseholdOf(kin)] != booking.DoorReleased || outcomes[registry.HouseholdOf(other)] != booking.DoorKept {
		t.Fatalf("the second trace: %+v", second)
	}
	if held := controlled(t, f); len(held) != 0 {
		t.Fatalf("controls left: %v", held)
	}
	f.queue.Drain(ctx, f.root.Consumer().Handle)
	if n := len(f.texts(phoneOf(t, f, head), "trace_released")); n != 1 {
		t.Fatalf("the household held by two traces got %d release texts, want 1", n)
	}
	if n := len(f.texts(phoneOf(t, f, other), "trace_released")); n != 0 {
		t.Fatalf("a household in a sealed building was told it is released (%d)", n)
	}
}

// TestAnInvalidSingleIsTakenAgain: a single sample the lab found invalid
// is taken again at the door, and its result closes the trace; a valid one
// is not taken twice.
func TestAnInvalidSingleIsTakenAgain(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	site := booking.SiteOf(f.slots[0].ID)
	a, b := f.members[1][0], f.members[4][0]
	for _, res := range []string{a, b} {
		if _, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{ResidentID: res, SiteID: site, Lane: 1, Tube: "P0000001"}); err != nil {
			t.Fatal(err)
		}
	}
	results := func(rows ...booking.ResultRow) {
		t.Helper()
		if _, err := f.svc.RecordResults(ctx, f.staff, f.round.ID, rows, nil); err != nil {
			t.Fatal(err)
		}
	}
	single := func(res, tube string) error {
		_, err := f.svc.TakeSingle(ctx, f.staff, f.round.ID, booking.SingleInput{ResidentID: res, Tube: tube})
		return err
	}
	results(booking.ResultRow{Tube: "P0000001", Result: "混管阳性"})
	if err := single(a, "Q0000001"); err != nil {
		t.Fatal(err)
	}
	if err := single(b, "Q0000002"); err != nil {
		t.Fatal(err)
	}
	results(booking.ResultRow{Tube: "Q0000001", Result: "无效"}, booking.ResultRow{Tube: "Q0000002", Result: "阴性"})
	if err := single(b, "Q0000003"); code(err) != "ALREADY_SINGLE_SAMPLED" {
		t.Fatalf("a negative single taken again: %v", err)
	}
	if err := single(a, "Q0000004"); err != nil {
		t.Fatalf("an invalid single taken again: %v", err)
	}
	ts, _ := f.svc.Traces(ctx, f.staff, f.round.ID)
	if ts[0].Status != booking.TraceOpen {
		t.Fatalf("closed before the retake's result: %+v", ts[0])
	}
	results(booking.ResultRow{Tube: "Q0000004", Result: "阴性"})
	if ts, _ := f.svc.Traces(ctx, f.staff, f.round.ID); ts[0].Status != booking.TraceReleased {
		t.Fatalf("the trace after the retake's negative: %+v", ts[0])
	}
}
