package watch_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/watch"
)

func ptr(v float64) *float64 { return &v }

// TestTwiceDailyChecks: a person under watch reports morning and evening,
// by the app or SMS, with symptoms; staff enter a reading taken at the
// door; a window closed without one puts the door on the day's list; a
// fever or symptom alerts staff once a person and window.
func TestTwiceDailyChecks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	day1 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	f.clock.set(day1)
	if err := f.st.CreateStaff(ctx, registry.Staff{ID: "u-1", Name: "工作人员", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	w, err := f.svc.Open(ctx, f.staff, "c1", watch.Input{HouseholdID: f.hid, Kind: watch.KindHomeIsolation, Reason: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := f.st.AccountByPhone(ctx, "13700000001")
	if err != nil {
		t.Fatal(err)
	}
	resident := acct.Principal
	wang, granny := resident.ResidentID, f.ids[0]
	if granny == wang {
		granny = f.ids[1]
	}

	// The morning, by the app: the reading is the window's check.
	r, err := f.root.Notices().Report(ctx, resident, wang, 36.6, []string{"无"})
	if err != nil || !r.Watched {
		t.Fatalf("app report: %+v %v", r, err)
	}
	// Staff cannot enter the evening before it begins, nor a day before
	// the watch, nor a person it does not hold.
	for _, c := range []struct {
		name string
		in   watch.Reading
		want string
	}{
		{"evening not begun", watch.Reading{ResidentID: granny, Celsius: ptr(36.5), Window: "pm"}, "CHECK_OUTSIDE_WATCH"},
		{"a day before the watch", watch.Reading{ResidentID: granny, Celsius: ptr(36.5), Day: "2026-11-30"}, "CHECK_OUTSIDE_WATCH"},
		{"a day ahead", watch.Reading{ResidentID: granny, Celsius: ptr(36.5), Day: "2026-12-02"}, "CHECK_OUTSIDE_WATCH"},
		{"someone else", watch.Reading{ResidentID: "c1-nobody", Celsius: ptr(36.5)}, "NOT_UNDER_WATCH"},
		{"no reading", watch.Reading{ResidentID: granny}, "VALIDATION_FAILED"},
		{"implausible", watch.Reading{ResidentID: granny, Celsius: ptr(45)}, "IMPLAUSIBLE_TEMPERATURE"},
		{"none beside a symptom", watch.Reading{ResidentID: granny, Celsius: ptr(36.5), Symptoms: []string{"none", "cough"}}, "VALIDATION_FAILED"},
		{"an unknown symptom", watch.Reading{ResidentID: granny, Celsius: ptr(36.5), Symptoms: []string{"headache"}}, "VALIDATION_FAILED"},
	} {
		if _, err := f.svc.Enter(ctx, f.staff, "c1", w.ID, c.in); code(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	if _, err := f.svc.Enter(ctx, f.other, "c1", w.ID, watch.Reading{ResidentID: granny, Celsius: ptr(36.5)}); code(err) != "FORBIDDEN" {
		t.Errorf("another community's staff: %v", err)
	}

	// Noon: the grandmother's morning closed without a reading. The job
	// run twice marks it once.
	f.clock.set(day1.Add(3 * time.Hour))
	for i, want := range []int{1, 0} {
		n, err := f.svc.MarkMissed(ctx, f.clock.Now())
		if err != nil || n != want {
			t.Fatalf("run %d marked %d (%v), want %d", i, n, err, want)
		}
	}
	// A reading taken at her door later is kept; the miss stays on the
	// day's list.
	if _, err := f.svc.Enter(ctx, f.staff, "c1", w.ID, watch.Reading{ResidentID: granny, Celsius: ptr(36.4), Window: "am"}); err != nil {
		t.Fatal(err)
	}

	// The evening, by SMS: a fever with a cough alerts staff once; a
	// second reading of the window does not again.
	f.clock.set(day1.Add(8 * time.Hour))
	for i, text := range []string{"体温 37.8 咳嗽 1", "体温 38.0 咳嗽乏力 1"} {
		if err := f.root.Flow().Handle(ctx, dispatch.InboundSMS{From: "13700000001", Text: text, Key: "sms-" + text, At: f.clock.Now()}); err != nil {
			t.Fatalf("sms %d: %v", i, err)
		}
	}
	if n := f.texts("watch_alert"); n != 1 {
		t.Errorf("%d watch alerts to the one staff phone, want 1", n)
	}
	if n := f.texts("fever_alert"); n != 0 {
		t.Errorf("%d day's fever alerts for a watched person, want 0 (the watch's alert instead)", n)
	}

	// A normal reading after it, by the app, leaves the window's worst.
	if _, err := f.root.Notices().Report(ctx, resident, wang, 36.5, []string{"none"}); err != nil {
		t.Fatal(err)
	}
	// The list of the watches shows today's checks per person and window.
	ws, err := f.svc.List(ctx, f.staff, "c1", "active")
	if err != nil || len(ws) != 1 {
		t.Fatalf("list: %v %v", ws, err)
	}
	got := map[string]watch.Check{}
	for _, c := range ws[0].Today {
		got[c.Window+" "+c.ResidentID] = c
	}
	if c := got["am "+wang]; !c.Reported() || c.By != watch.BySelf || c.Missed {
		t.Errorf("her morning: %+v", c)
	}
	if c := got["am "+granny]; !c.Missed || c.By != watch.ByStaff || c.Celsius != 36.4 {
		t.Errorf("her mother's morning: %+v", c)
	}
	if c := got["pm "+wang]; c.Celsius != 38 || !slices.Equal(c.Symptoms, []string{"cough", "fatigue"}) || !c.Alerted {
		t.Errorf("her evening: %+v", c)
	}

	// At 21:00 the grandmother's evening is missed too; the day's list
	// has the door with both misses, the alert, and the test of day 1.
	f.clock.set(day1.Add(12 * time.Hour))
	if n, err := f.svc.MarkMissed(ctx, f.clock.Now()); err != nil || n != 1 {
		t.Fatalf("evening marked %d (%v), want 1", n, err)
	}
	doors, err := f.svc.Doors(ctx, f.staff, "c1", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(doors.Visits) != 1 {
		t.Fatalf("visits: %+v", doors.Visits)
	}
	v := doors.Visits[0]
	if len(v.Missed) != 2 || !v.Missed[0].ReportedLater || v.Missed[1].ReportedLater || len(v.Alerts) != 1 || v.TestDay != 1 || len(v.Sample) != 2 {
		t.Errorf("the door: %+v", v)
	}
	// The next day: not a test day, nothing missed yet, nobody to visit.
	f.clock.set(day1.Add(24 * time.Hour))
	doors, err = f.svc.Doors(ctx, f.staff, "c1", "")
	if err != nil || len(doors.Visits) != 0 {
		t.Errorf("day 2 at 09:00: %+v %v", doors, err)
	}
	// Someone not under watch reporting a symptom: kept on the day's
	// reading and listed for staff, no watch check.
	lee, err := f.st.AccountByPhone(ctx, "13700000002")
	if err != nil {
		t.Fatal(err)
	}
	r, err = f.root.Notices().Report(ctx, lee.Principal, "", 36.8, []string{"sore_throat"})
	if err != nil || r.Watched || !slices.Equal(r.Symptoms, []string{"sore_throat"}) {
		t.Errorf("unwatched: %+v %v", r, err)
	}
	td, err := f.root.Notices().Temperatures(ctx, f.staff, "c1", "")
	if err != nil || len(td.Fevers) != 1 || td.Fevers[0].ResidentID != lee.Principal.ResidentID {
		t.Errorf("the day's list: %+v %v", td, err)
	}
	// A fever taken at the grandmother's door is on the day's list too,
	// and she counts as reported.
	if _, err := f.svc.Enter(ctx, f.staff, "c1", w.ID, watch.Reading{ResidentID: granny, Celsius: ptr(38.3)}); err != nil {
		t.Fatal(err)
	}
	td, err = f.root.Notices().Temperatures(ctx, f.staff, "c1", "")
	if err != nil || len(td.Fevers) != 2 || !slices.ContainsFunc(td.Fevers, func(r notices.Reading) bool { return r.ResidentID == granny && r.Peak == 38.3 }) ||
		slices.ContainsFunc(td.Missing, func(m notices.Missing) bool { return m.ResidentID == granny }) {
		t.Errorf("the day's list with a door reading: %+v %v", td, err)
	}
}

// TestTheLastTestDayDecidesTheEnd: where results are kept, a watch past
// its date stays until every person's last test day is in and negative;
// the result that completes them ends it at once.
func TestTheLastTestDayDecidesTheEnd(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w, err := f.svc.Open(ctx, f.staff, "c1", watch.Input{HouseholdID: f.hid, Kind: watch.KindHomeIsolation, Reason: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	a, b := w.ResidentIDs[0], w.ResidentIDs[1]
	for _, c := range []struct {
		name string
		in   watch.TestInput
		want string
	}{
		{"day 1, a", watch.TestInput{ResidentID: a, TestDay: 1, Result: "negative"}, ""},
		{"day 1, b", watch.TestInput{ResidentID: b, TestDay: 1, Result: "negative"}, ""},
		{"day 4 has not come", watch.TestInput{ResidentID: a, TestDay: 4, Result: "negative"}, "NOT_A_TEST_DAY"},
		{"day 2 is no test day", watch.TestInput{ResidentID: a, TestDay: 2, Result: "negative"}, "NOT_A_TEST_DAY"},
		{"an unknown result", watch.TestInput{ResidentID: a, TestDay: 1, Result: "unclear"}, "VALIDATION_FAILED"},
		{"someone else", watch.TestInput{ResidentID: "c1-x-y", TestDay: 1, Result: "negative"}, "NOT_UNDER_WATCH"},
		{"day 1 again, the same", watch.TestInput{ResidentID: a, TestDay: 1, Result: "negative"}, ""},
		{"day 1 turned positive", watch.TestInput{ResidentID: a, TestDay: 1, Result: "positive"}, "TEST_RESULT_RECORDED"},
	} {
		if _, err := f.svc.RecordTest(ctx, f.staff, "c1", w.ID, c.in); code(err) != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// Past its date without day 7's results: it stays, sealed.
	f.clock.set(w.EndsAt.Add(time.Minute))
	if n, err := f.svc.EndDue(ctx, f.clock.Now()); err != nil || n != 0 {
		t.Fatalf("ended %d (%v) before the last results", n, err)
	}
	got, err := f.svc.RecordTest(ctx, f.staff, "c1", w.ID, watch.TestInput{ResidentID: a, TestDay: 7, Result: "negative"})
	if err != nil || got.Status != watch.StatusActive || !got.AwaitingResults || len(got.Tests) != 3 {
		t.Fatalf("one of two: %+v %v", got, err)
	}
	if level, _ := f.level(t); level != "sealed" {
		t.Errorf("the household while results are awaited: %s", level)
	}
	// The last result ends it: the household's seal given back, told.
	got, err = f.svc.RecordTest(ctx, f.staff, "c1", w.ID, watch.TestInput{ResidentID: b, TestDay: 7, Result: "negative"})
	if err != nil || got.Status != watch.StatusEnded {
		t.Fatalf("the last result: %+v %v", got, err)
	}
	if level, _ := f.level(t); level != "none" {
		t.Errorf("the household after: %s", level)
	}
	if n := f.texts("watch_ended"); n != 1 {
		t.Errorf("%d release texts, want 1", n)
	}
}
