package daily_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/daily"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/reserve"
	"github.com/fangxian/fangxian/shared/sheet"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/watch"
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

func at(day string, hour, minute int) time.Time {
	d, _ := time.ParseInLocation(time.DateOnly, day, chinatime.Zone)
	return d.Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

// TestADayReportedAndRolledUp: a community's day — a help request claimed
// in 12 minutes, a fever, a household put under watch, a reserve item
// short — is its figures; the street maps its own columns to them; one
// community confirms before the cut-off and the other does not; the
// street's sheet has both rows, the unconfirmed marked, and opens in a
// spreadsheet library with numbers in its columns; after the cut-off a
// confirmation is refused.
func TestADayReportedAndRolledUp(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	if err := st.CreateCommunity(ctx, registry.Community{ID: "c2", StreetID: "s1", Name: "二社区"}); err != nil {
		t.Fatal(err)
	}
	dynamolocal.SeedCommunity(t, st, "s2", "c9", "13900000099")
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-1", Name: "工作人员", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	imp := &registry.Importer{Store: st, Now: time.Now}
	if _, err := imp.Import(ctx, "c1", []byte("building,unit,room,name,phone\n3号楼,2,101,王芳,13700000001\n3号楼,2,101,王伯,13700000002\n3号楼,2,102,李奶奶,13700000003\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := imp.Import(ctx, "c2", []byte("building,unit,room,name,phone\n1号楼,1,101,赵六,13700000009\n")); err != nil {
		t.Fatal(err)
	}
	day := "2026-12-01"
	cl := &clock{t: at(day, 10, 0)}
	q, outbox := queue.NewLocal(5, 10, time.Millisecond), &sms.Outbox{Signature: "防线", Now: time.Now}
	root := app.Local(st, q, outbox, cl.Now)
	svc := root.Daily()
	staff := auth.Principal{UserID: "u-1", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	adminAcc, err := st.AccountByPhone(ctx, "13900000000")
	if err != nil {
		t.Fatal(err)
	}
	admin := adminAcc.Principal
	resAcc, err := st.AccountByPhone(ctx, "13700000001")
	if err != nil {
		t.Fatal(err)
	}
	resident := resAcc.Principal

	h, err := root.Help().Create(ctx, resident, help.Input{Kind: help.KindMedicalVisit})
	if err != nil {
		t.Fatal(err)
	}
	cl.set(at(day, 10, 12))
	if _, err := root.Help().Claim(ctx, staff, h.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Notices().Report(ctx, resident, "", 37.8, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Watch().Open(ctx, staff, "c1", watch.Input{HouseholdID: resident.HouseholdID, Kind: watch.KindHomeIsolation, Reason: "staff"}); err != nil {
		t.Fatal(err)
	}
	name, unit, cat, minimum := "N95口罩", "只", "protective", 100
	if _, err := root.Reserve().Create(ctx, staff, "c1", reserve.ItemInput{Name: &name, Unit: &unit, Category: &cat, Minimum: &minimum}); err != nil {
		t.Fatal(err)
	}

	rep, err := svc.Community(ctx, staff, "c1", day)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"residents": 3, "help_requests": 1, "help_medical_visit": 1, "help_response_minutes": 12, "help_late": 0,
		"fevers": 1, "watch_in": 2, "under_watch": 2, "watch_out": 0, "reserves_below": 1, "sampled": 0}
	for k, v := range want {
		if rep.Figures[k] != v {
			t.Errorf("figure %s = %d, want %d", k, rep.Figures[k], v)
		}
	}
	if len(rep.Figures) != len(daily.Figures) || rep.Name != "c1" || !rep.CutoffAt.Equal(at("2026-12-02", 11, 0)) {
		t.Errorf("report %+v", rep)
	}

	// The texts the day caused (the help request's and the fever's alerts
	// to staff, the watch's notice to the household) are the community's
	// SMS figures once sent, each text with its billed parts; the other
	// community spent nothing.
	if rep.Figures["sms_messages"] != 0 {
		t.Errorf("texts counted before they were sent: %v", rep.Figures["sms_messages"])
	}
	q.Drain(ctx, root.Consumer().Handle)
	sent, parts := outbox.All(), 0
	for _, m := range sent {
		parts += m.Parts
	}
	if len(sent) < 3 {
		t.Fatalf("the day's texts: %d sent", len(sent))
	}
	if rep, err = svc.Community(ctx, staff, "c1", day); err != nil {
		t.Fatal(err)
	}
	if rep.Figures["sms_messages"] != len(sent) || rep.Figures["sms_parts"] != parts {
		t.Errorf("sms figures %d messages, %d parts; the outbox holds %d, %d", rep.Figures["sms_messages"], rep.Figures["sms_parts"], len(sent), parts)
	}
	if c2, err := svc.Community(ctx, admin, "c2", day); err != nil || c2.Figures["sms_messages"] != 0 {
		t.Errorf("c2's sms figures %v, %v", c2.Figures["sms_messages"], err)
	}
	if _, err := svc.Community(ctx, staff, "c9", day); code(err) != "FORBIDDEN" {
		t.Errorf("another street's community: %v", err)
	}
	if _, err := svc.Community(ctx, staff, "c1", "2026-12-02"); code(err) != "VALIDATION_FAILED" {
		t.Errorf("a day after today: %v", err)
	}

	// The street's own sheet.
	cols := []daily.Column{{Title: "新增隔离", Figure: "watch_in"}, {Title: "发热", Figure: "fevers"}, {Title: "求助", Figure: "help_requests"}}
	for _, c := range []struct {
		name string
		p    auth.Principal
		in   daily.TemplateInput
		code string
	}{
		{"an unknown figure", admin, daily.TemplateInput{Cutoff: "11:00", Columns: []daily.Column{{Title: "x", Figure: "bogus"}}}, "UNKNOWN_FIGURE"},
		{"a title twice", admin, daily.TemplateInput{Cutoff: "11:00", Columns: []daily.Column{{Title: "x", Figure: "fevers"}, {Title: "x", Figure: "watch_in"}}}, "VALIDATION_FAILED"},
		{"a cut-off not a time", admin, daily.TemplateInput{Cutoff: "25:00", Columns: cols}, "VALIDATION_FAILED"},
		{"staff", staff, daily.TemplateInput{Cutoff: "11:00", Columns: cols}, "FORBIDDEN"},
		{"the street's", admin, daily.TemplateInput{Cutoff: "11:00", Columns: cols}, ""},
		{"over a stale version", admin, daily.TemplateInput{Cutoff: "11:00", Columns: cols}, "CHANGED_MEANWHILE"},
	} {
		if _, err := svc.SetTemplate(ctx, c.p, "s1", c.in); code(err) != c.code {
			t.Errorf("%s: %v, want %q", c.name, err, c.code)
		}
	}
	cl.set(at(day, 20, 0))
	if _, err := svc.Confirm(ctx, staff, "c1", daily.ConfirmInput{Day: day, Note: "已核对"}); err != nil {
		t.Fatal(err)
	}
	// A fever after the confirmation does not change the confirmed row.
	other, _ := st.AccountByPhone(ctx, "13700000003")
	if _, err := root.Notices().Report(ctx, other.Principal, "", 38.2, nil); err != nil {
		t.Fatal(err)
	}
	sr, err := svc.Street(ctx, admin, "s1", day)
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Rows) != 2 || sr.Unconfirmed != 1 || sr.CutOff {
		t.Fatalf("street report %+v", sr)
	}
	if r := sr.Rows[0]; r.CommunityID != "c1" || !r.Confirmed || r.Note != "已核对" || !slices.Equal(r.Values, []int{2, 1, 1}) {
		t.Errorf("c1's row %+v", r)
	}
	if r := sr.Rows[1]; r.CommunityID != "c2" || r.Confirmed || !slices.Equal(r.Values, []int{0, 0, 0}) {
		t.Errorf("c2's row %+v", r)
	}
	if !slices.Equal(sr.Total, []int{2, 1, 1}) {
		t.Errorf("total %v", sr.Total)
	}
	if _, err := svc.Street(ctx, staff, "s1", day); code(err) != "FORBIDDEN" {
		t.Errorf("staff read the street's sheet: %v", err)
	}

	header, rows := sr.Sheet()
	numeric := make([]bool, len(header))
	for i := 2; i < len(header)-1; i++ {
		numeric[i] = true
	}
	b, err := sheet.XLSXWithNumbers(day, header, rows, numeric)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.GetRows(day)
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{
		{"社区", "确认状态", "新增隔离", "发热", "求助", "备注"},
		{"c1", "已确认", "2", "1", "1", "已核对"},
		{"二社区", "未确认", "0", "0", "0"},
		{"合计", "1个社区未确认", "2", "1", "1"},
	}
	if len(got) != len(wantRows) {
		t.Fatalf("sheet rows %q", got)
	}
	for i := range wantRows {
		if !slices.Equal(got[i], wantRows[i]) {
			t.Errorf("sheet row %d %q, want %q", i, got[i], wantRows[i])
		}
	}
	if typ, _ := f.GetCellType(day, "C2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("C2 is of type %v, want a number", typ)
	}
	if v, err := f.CalcCellValue(day, "C2"); err != nil || v != "2" {
		t.Errorf("C2 = %q, %v", v, err)
	}

	// The morning after, at the cut-off: too late to confirm; a later
	// cut-off set now reopens no day already closed.
	cl.set(at("2026-12-02", 11, 0))
	if _, err := svc.Confirm(ctx, staff, "c1", daily.ConfirmInput{Day: day}); code(err) != "DAILY_CUTOFF_PASSED" {
		t.Errorf("a confirmation at the cut-off: %v", err)
	}
	if _, err := svc.SetTemplate(ctx, admin, "s1", daily.TemplateInput{Cutoff: "23:59", Columns: cols, Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Confirm(ctx, staff, "c1", daily.ConfirmInput{Day: day}); code(err) != "DAILY_CUTOFF_PASSED" {
		t.Errorf("a confirmation after the cut-off was moved: %v", err)
	}
	if rep, err := svc.Community(ctx, staff, "c1", "2026-12-02"); err != nil || !rep.CutoffAt.Equal(at("2026-12-03", 23, 59)) {
		t.Errorf("the next day's cut-off: %v %v", rep.CutoffAt, err)
	}
	if sr, err := svc.Street(ctx, admin, "s1", day); err != nil || !sr.CutOff {
		t.Errorf("after the cut-off: %+v %v", sr.CutOff, err)
	}
}
