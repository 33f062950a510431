package booking_test

import (
	"context"
	"slices"
	"testing"

	"github.com/fangxian/fangxian/shared/booking"
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
	if _, err := f.root.Notices().SetZones(ctx, f.staff, "c1", []string{b1}, notices.LevelSealed); err != nil {
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
