package screening_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/screening"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
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
	svc    *screening.Service
	root   *app.Root
	outbox *sms.Outbox
	queue  *queue.Local
	clock  *clock
	admin  auth.Principal
	staff1 auth.Principal // 幸福里, on duty
	staff2 auth.Principal // 和平苑
}

const (
	onDuty     = "13900000001"
	otherStaff = "13900000002"
)

var beijing = time.FixedZone("CST", 8*3600)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c0", "13900000000") // the street, its admin and a third community
	for _, c := range []registry.Community{{ID: "c1", StreetID: "s1", Name: "幸福里社区"}, {ID: "c2", StreetID: "s1", Name: "和平苑社区"}} {
		if err := st.CreateCommunity(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	imp := &registry.Importer{Store: st, Now: time.Now}
	for cid, rows := range map[string]string{
		"c1": "building,unit,room,name,phone\n3号楼,2,301,张三,13700000001\n3号楼,2,301,张小三,\n5号楼,1,1101,李四,\n5号楼,1,102,王五,13700000003\n",
		"c2": "building,unit,room,name,phone\n1号楼,1,101,李四,13700000004\n",
	} {
		if _, err := imp.Import(ctx, cid, []byte(rows)); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{st: st, outbox: &sms.Outbox{Signature: "防线", Now: time.Now}, clock: &clock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, beijing)},
		queue: queue.NewLocal(5, 10, time.Millisecond)}
	for i, ph := range []string{onDuty, otherStaff} {
		id, cid := []string{"u-1", "u-2"}[i], []string{"c1", "c2"}[i]
		if err := st.CreateStaff(ctx, registry.Staff{ID: id, Name: "工作人员" + id, Phone: ph, CommunityID: cid}, manifest.RoleStaff, nil); err != nil {
			t.Fatal(err)
		}
	}
	f.staff1 = auth.Principal{UserID: "u-1", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	f.staff2 = auth.Principal{UserID: "u-2", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()
	f.admin = auth.Principal{UserID: "admin-s1", Role: manifest.RoleAdmin, StreetID: "s1"}.Normalized()
	f.root = app.Local(st, f.queue, f.outbox, f.clock.Now)
	f.svc = f.root.Screening()
	if _, err := f.root.Help().SetSettings(ctx, f.staff1, "c1", help.Settings{OnDuty: []string{onDuty}}); err != nil {
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

// list is a district's file: its own columns (序号, 备注) beside the ones
// Fangxian reads, an identity number in full, addresses as people write them.
const list = "\ufeff序号,姓名,证件号码,手机号,现住址,类别,截止时间,备注\n" +
	"1,张三,620102199001011234,13700000001,城关区幸福里小区3号楼2单元301室,密接,2026-12-01 20:00,请尽快\n" +
	"2,张小三,,,幸福里三号楼二单元三零一,次密接,,\n" +
	"3,李四,,,幸福里5栋1单元1101,时空伴随,,\n" +
	"4,李四,,,,来返人员,,\n" +
	"5,赵六,,13799999999,和平苑1号楼1单元101,其他,,\n" +
	"6,钱七,,,外地某小区,密接,,\n" +
	"7,王五,,13700000003,幸福里5号楼,密接,,\n"

func (f *fixture) upload(t *testing.T) screening.Summary {
	t.Helper()
	deadline := time.Date(2026, 12, 1, 22, 0, 0, 0, beijing)
	sum, err := f.svc.Upload(context.Background(), f.admin, "s1", []byte(list), screening.UploadInput{Name: "12月1日密接", Deadline: &deadline})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestUploadMatchesAndSplits: each row is found by phone, or by name and
// the door its address names; the rest are to find, in the community
// their candidates or their address point to, or left to the street.
func TestUploadMatchesAndSplits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sum := f.upload(t)
	got := map[string]screening.CommunityCount{}
	for _, c := range sum.Communities {
		got[c.CommunityID] = c
	}
	if c := got["c1"]; c.Tasks != 4 || c.Open != 4 || c.ToFind != 0 {
		t.Errorf("幸福里: %+v, want 4 open tasks", c)
	}
	if c := got["c2"]; c.Tasks != 1 || c.ToFind != 1 || c.Unfound != 1 {
		t.Errorf("和平苑: %+v, want 1 to find", c)
	}
	if len(sum.Unplaced) != 2 || sum.MatchedBy["phone"] != 2 || sum.MatchedBy["name_address"] != 2 {
		t.Errorf("unplaced %d, matched by %v: want 2 unplaced, 2 by phone, 2 by name and door", len(sum.Unplaced), sum.MatchedBy)
	}
	for _, u := range sum.Unplaced {
		if u.Name == "李四" && (len(u.Candidates) != 2 || u.Why != screening.WhyNoCommunity) {
			t.Errorf("李四 without an address: %+v, want both 李四 as candidates", u)
		}
	}
	tasks, _, err := f.svc.Tasks(ctx, f.staff1, "c1", "open", "", 200)
	if err != nil || len(tasks) != 4 {
		t.Fatalf("幸福里's open tasks: %d, %v", len(tasks), err)
	}
	doors := map[string]string{}
	for _, tk := range tasks {
		doors[tk.Name] = tk.Door + "/" + tk.MatchedBy + "/" + tk.Category
	}
	want := map[string]string{"张三": "3号楼2单元301/phone/close_contact", "张小三": "3号楼2单元301/name_address/secondary_contact",
		"李四": "5号楼1单元1101/name_address/spatiotemporal", "王五": "5号楼1单元102/phone/close_contact"}
	for k, v := range want {
		if doors[k] != v {
			t.Errorf("%s: %q, want %q", k, doors[k], v)
		}
	}
	toFind, _, _ := f.svc.Tasks(ctx, f.staff2, "c2", "to_find", "", 200)
	if len(toFind) != 1 || len(toFind[0].Candidates) != 1 || toFind[0].Candidates[0].Why != "address" {
		t.Errorf("和平苑's row to find: %+v, want 李四 at the address as its candidate", toFind)
	}
	if _, _, err := f.svc.Tasks(ctx, f.staff2, "c1", "", "", 200); code(err) != "FORBIDDEN" {
		t.Errorf("another community's staff read 幸福里's tasks: %v", err)
	}
	// The same file again is the same list: nothing written twice.
	again, err := f.svc.Upload(ctx, f.admin, "s1", []byte(list), screening.UploadInput{})
	if err != nil || !again.Existing || again.List.ID != sum.List.ID {
		t.Fatalf("same file again: %+v, %v", again.List, err)
	}
	if _, err := f.svc.Upload(ctx, f.staff1, "s1", []byte(list), screening.UploadInput{}); code(err) != "FORBIDDEN" {
		t.Errorf("staff uploaded a street's list: %v", err)
	}
	other := auth.Principal{UserID: "admin-s2", Role: manifest.RoleAdmin, StreetID: "s2"}.Normalized()
	if _, err := f.svc.Progress(ctx, other, sum.List.ID); code(err) != "FORBIDDEN" {
		t.Errorf("another street's admin read the list: %v", err)
	}
}

// TestTheDoorAndTheFileBack: staff give tasks, the door answers, a row to
// find is settled, and the file goes back in the sender's columns with
// what the door found, the identity number masked.
func TestTheDoorAndTheFileBack(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sum := f.upload(t)
	open, _, _ := f.svc.Tasks(ctx, f.staff1, "c1", "open", "", 200)
	byName := map[string]screening.Task{}
	for _, tk := range open {
		byName[tk.Name] = tk
	}
	ids := []string{byName["张三"].ID, byName["王五"].ID}
	if _, err := f.svc.Assign(ctx, f.staff1, "c1", screening.AssignInput{TaskIDs: ids, StaffPhone: onDuty}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   screening.AssignInput
		want string
	}{
		{"another community's staff", screening.AssignInput{TaskIDs: ids, StaffPhone: otherStaff}, "VALIDATION_FAILED"},
		{"a volunteer without a screening post", screening.AssignInput{TaskIDs: ids, VolunteerID: "v-nobody"}, "VALIDATION_FAILED"},
		{"both", screening.AssignInput{TaskIDs: ids, VolunteerID: "v-1", StaffPhone: onDuty}, "VALIDATION_FAILED"},
		{"a task of another community", screening.AssignInput{TaskIDs: []string{sum.Unplaced[0].ID}, StaffPhone: onDuty}, "VALIDATION_FAILED"},
	} {
		if _, err := f.svc.Assign(ctx, f.staff1, "c1", c.in); code(err) != c.want {
			t.Errorf("assign to %s: %v, want %s", c.name, err, c.want)
		}
	}
	mine, err := f.svc.Mine(ctx, f.staff1)
	if err != nil || len(mine) != 2 {
		t.Fatalf("my tasks: %+v, %v", mine, err)
	}
	for _, c := range []struct {
		name string
		id   string
		in   screening.OutcomeInput
		want string
	}{
		{"away without where", ids[1], screening.OutcomeInput{Outcome: "away"}, "VALIDATION_FAILED"},
		{"a measure for nobody", ids[1], screening.OutcomeInput{Outcome: "no_such_person", Measure: "transfer"}, "VALIDATION_FAILED"},
		{"a control character", ids[1], screening.OutcomeInput{Outcome: "found_home", Note: "ok\u202e"}, "VALIDATION_FAILED"},
		{"an unknown outcome", ids[1], screening.OutcomeInput{Outcome: "maybe"}, "VALIDATION_FAILED"},
		{"found, to find", sum.Unplaced[0].ID, screening.OutcomeInput{Outcome: "found_home"}, "VALIDATION_FAILED"},
		{"found at home", ids[0], screening.OutcomeInput{Outcome: "found_home", Measure: "home_isolation", Note: "已贴封条"}, ""},
		{"away", ids[1], screening.OutcomeInput{Outcome: "away", Where: "西安"}, ""},
	} {
		p := f.staff1
		if strings.HasPrefix(c.name, "found, to find") {
			p = f.admin
		}
		if _, err := f.svc.Record(ctx, p, c.id, c.in); code(err) != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := f.svc.Record(ctx, f.staff2, ids[0], screening.OutcomeInput{Outcome: "found_home"}); code(err) != "FORBIDDEN" {
		t.Errorf("another community's staff answered a task: %v", err)
	}
	// 李四 without an address: the street says which one.
	var lisi screening.Task
	for _, u := range sum.Unplaced {
		if u.Name == "李四" {
			lisi = u
		}
	}
	if _, err := f.svc.Match(ctx, f.staff2, lisi.ID, screening.MatchInput{ResidentID: lisi.Candidates[0].ResidentID}); err == nil {
		t.Error("community staff settled a row of the street's")
	}
	var inC1 string
	for _, c := range lisi.Candidates {
		if c.CommunityID == "c1" {
			inC1 = c.ResidentID
		}
	}
	m, err := f.svc.Match(ctx, f.admin, lisi.ID, screening.MatchInput{ResidentID: inC1})
	if err != nil || m.Status != screening.StatusOpen || m.CommunityID != "c1" {
		t.Fatalf("the street settled 李四: %+v, %v", m, err)
	}
	// The file back: the sender's columns, then what the door found.
	header, rows, _, err := f.svc.Feedback(ctx, f.admin, sum.List.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantHead := "序号,姓名,证件号码,手机号,现住址,类别,截止时间,备注,核查结果,管控措施,核查人,核查时间,所属社区"
	if strings.Join(header, ",") != wantHead || len(rows) != 7 {
		t.Fatalf("feedback header %v with %d rows", header, len(rows))
	}
	if rows[0][2] != "6201**********1234" || rows[0][8] != "已核实在家；已贴封条" || rows[0][9] != "居家隔离" || rows[0][12] != "幸福里社区" {
		t.Errorf("row 1 back: %v", rows[0])
	}
	if rows[6][8] != "不在本地（西安）" || rows[1][8] != "核查中" || rows[5][8] != "待查找" {
		t.Errorf("rows back: %v / %v / %v", rows[6], rows[1], rows[5])
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(append([][]string{header}, rows...))
	if strings.Contains(buf.String(), "620102199001011234") {
		t.Error("the full identity number is kept")
	}
}

// TestOutcomesRace: the same task answered by several at once is written
// once over each version: no answer is lost silently.
func TestOutcomesRace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.upload(t)
	open, _, _ := f.svc.Tasks(ctx, f.staff1, "c1", "open", "", 200)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Record(ctx, f.staff1, open[0].ID, screening.OutcomeInput{Outcome: "found_home", Note: strings.Repeat("记", i+1)})
			mu.Lock()
			codes[code(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[""] == 0 || codes[""]+codes["SCREENING_TASK_CHANGED"] != 8 {
		t.Fatalf("answers: %v", codes)
	}
	got, err := f.st.Task(ctx, open[0].ID)
	if err != nil || got.Version != 1+codes[""] {
		t.Errorf("version %d after %d writes: %v", got.Version, codes[""], err)
	}
}

// TestOverdueEscalates: past the deadline with doors unverified, the staff
// on duty are texted once, two hours later everyone and the street; a run
// twice texts nobody again, and a community with nothing late nobody.
func TestOverdueEscalates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.upload(t)
	texts := func() map[string]int {
		f.queue.Drain(ctx, f.root.Consumer().Handle)
		n := map[string]int{}
		for _, m := range f.outbox.All() {
			if m.Template == "screening_overdue" {
				n[m.To]++
			}
		}
		return n
	}
	// 20:00 is row 1's deadline; the rest are due at 22:00.
	f.clock.set(time.Date(2026, 12, 1, 20, 1, 0, 0, beijing))
	for range 2 {
		if _, err := f.svc.Escalate(ctx, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if got := texts(); len(got) != 1 || got[onDuty] != 1 {
		t.Fatalf("at the first deadline: %v, want the one on duty once", got)
	}
	f.clock.set(time.Date(2026, 12, 2, 0, 5, 0, 0, beijing))
	n, err := f.svc.Escalate(ctx, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := texts()
	if got[onDuty] != 2 || got[otherStaff] != 1 || got["13900000000"] < 1 || n < 2 {
		t.Errorf("two hours on: %v (%d escalated), want everyone of both communities and the street", got, n)
	}
	before := len(f.outbox.All())
	if _, err := f.svc.Escalate(ctx, f.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if texts(); len(f.outbox.All()) != before {
		t.Error("a third run texted again")
	}
}

func TestParse(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, beijing)
	for _, c := range []struct {
		name, file, want string
	}{
		{"no header", "", "SCREENING_LIST_INVALID"},
		{"no name column", "手机号,现住址\n13700000001,x\n", "SCREENING_LIST_INVALID"},
		{"a bad deadline", "姓名,手机号,截止时间\n张三,13700000001,明天\n", "SCREENING_LIST_INVALID"},
		{"a cell too long", "姓名,现住址\n张三," + strings.Repeat("长", 201) + "\n", "SCREENING_LIST_INVALID"},
		{"no rows", "姓名,现住址\n,\n", "SCREENING_LIST_INVALID"},
		{"fine", "姓名,手机号,类别,截止时间,备注\n张\u0007三,13700000001,次密接,12月2日 18:00,62010219900101123X\n", ""},
	} {
		_, rows, err := screening.Parse([]byte(c.file), now.Add(time.Hour), now)
		if code(err) != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if c.want == "" && (rows[0].Name != "张三" || rows[0].Category != screening.CategorySecondary ||
			!rows[0].Deadline.Equal(time.Date(2026, 12, 2, 18, 0, 0, 0, beijing)) || rows[0].Cells[4] != "6201**********123X") {
			t.Errorf("%s: %+v", c.name, rows[0])
		}
	}
	big := "姓名,手机号\n" + strings.Repeat("张三,13700000001\n", screening.MaxRows+1)
	if _, _, err := screening.Parse([]byte(big), now, now); !errors.Is(err, screening.ErrListInvalid) {
		t.Errorf("%d rows: %v", screening.MaxRows+1, err)
	}
}

// TestWhatTheAttackFound: each of a helper's probes of the first version,
// kept as a case.
func TestWhatTheAttackFound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	up := func(file string, in screening.UploadInput) (screening.Summary, error) {
		return f.svc.Upload(ctx, f.admin, "s1", []byte(file), in)
	}
	// Deadlines a list may not have: the year 10000 in Beijing time (it
	// could not be written back as JSON), long past, far ahead.
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	if _, err := up("姓名,手机号\n张三,13700000001\n", screening.UploadInput{Deadline: &far}); code(err) != "VALIDATION_FAILED" {
		t.Errorf("?deadline=9999-12-31T23:59:59Z: %v", err)
	}
	for _, d := range []string{"9999-12-31T23:59:59Z", "2020-01-01 12:00", "0001-01-01 00:00", "2027-06-01 12:00"} {
		if _, err := up("姓名,手机号,截止时间\n张三,13700000001,"+d+"\n", screening.UploadInput{}); code(err) != "SCREENING_LIST_INVALID" {
			t.Errorf("截止时间 %s: %v", d, err)
		}
	}
	// Identity numbers come back masked in every column that holds them,
	// however it is called, and inside other text.
	file := "姓名,身份证号,证件号码,公民身份号码,身份证号码（18位）,备注,手机号\n" +
		"张三,620102199001011111,620102199001012222,620102199001013333,6201021990010188*8,身份证620102199001014444已核,13700000001\n"
	sum, err := up(file, screening.UploadInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, rows, _, err := f.svc.Feedback(ctx, f.admin, sum.List.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0][:6], ","); got != "张三,6201**********1111,6201**********2222,6201**********3333,6201**********88*8,身份证6201**********4444已核" {
		t.Errorf("identity numbers back: %s", got)
	}
	// A header cell as long as any other is the most.
	if _, err := up("姓名,手机号,"+strings.Repeat("列", 201)+"\n张三,13700000001,x\n", screening.UploadInput{}); code(err) != "SCREENING_LIST_INVALID" {
		t.Errorf("a 201-character column name: %v", err)
	}
	// Not UTF-8 (a GBK file): said so.
	if _, err := up("\xd0\xd5\xc3\xfb,\xca\xd6\xbb\xfa\n", screening.UploadInput{}); code(err) != "SCREENING_LIST_INVALID" {
		t.Errorf("a GBK file: %v", err)
	}
	// Lines as the sender's editor counts them; trailing rows of commas
	// (Excel's) are no rows.
	sum, err = up("姓名,手机号\n\n张三,13700000001\n,\n,\n", screening.UploadInput{})
	if err != nil || sum.List.Rows != 1 {
		t.Fatalf("blank lines: %+v %v", sum.List, err)
	}
	if ts, _ := f.st.ListTasks(ctx, sum.List.ID); len(ts) != 1 || ts[0].Line != 3 {
		t.Errorf("the row's line: %+v", ts)
	}
	// Ten uploads of one file at once, each with its own name: one list,
	// every row under the name that claimed it, one answer not "existing".
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	same := "姓名,手机号\n张三,13700000001\n王五,13700000003\n"
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := up(same, screening.UploadInput{Name: fmt.Sprint("名单", i)})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			if !s.Existing {
				fresh++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	l, _ := f.svc.Progress(ctx, f.admin, screening.ListID("s1", []byte(same)))
	ts, _ := f.st.ListTasks(ctx, l.List.ID)
	for _, tk := range ts {
		if tk.ListName != l.List.Name {
			t.Errorf("a row named %q under the list %q", tk.ListName, l.List.Name)
		}
	}
	if fresh != 1 || len(ts) != 2 {
		t.Errorf("%d answers not existing, %d rows", fresh, len(ts))
	}
}

// TestAnUnfinishedUploadGoesOn: an upload stopped half-way (its list
// claimed, some rows written, one already answered) is finished by the
// same file again, which keeps what was done.
func TestAnUnfinishedUploadGoesOn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.clock.Now()
	header, rows, err := screening.Parse([]byte(list), now.Add(time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	id := screening.ListID("s1", []byte(list))
	l := screening.List{ID: id, StreetID: "s1", Name: "半途", Columns: header, Rows: len(rows), Deadline: now.Add(time.Hour), LastDeadline: now.Add(12 * time.Hour), UploadedAt: now}
	if _, claimed, err := f.st.ClaimScreeningList(ctx, l); err != nil || !claimed {
		t.Fatal(claimed, err)
	}
	first := screening.Task{ID: screening.TaskID(id, rows[0].Line), ListID: id, ListName: "半途", StreetID: "s1", Line: rows[0].Line, Cells: rows[0].Cells,
		Name: rows[0].Name, Category: rows[0].Category, Deadline: rows[0].Deadline, Status: screening.StatusDone, Outcome: screening.OutcomeNoSuchPerson, CommunityID: "c1"}
	if err := f.st.SaveScreeningTasks(ctx, l, []screening.Task{first}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Tasks(ctx, f.staff1, "c1", "", "", 200); err != nil {
		t.Fatal(err)
	}
	if ts, _, _ := f.svc.Tasks(ctx, f.staff1, "c1", "done", "", 200); len(ts) != 0 {
		t.Errorf("an unfinished list's rows are listed: %d", len(ts))
	}
	sum, err := f.svc.Upload(ctx, f.admin, "s1", []byte(list), screening.UploadInput{Name: "另一个名字"})
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := f.st.ListTasks(ctx, id)
	if sum.List.Name != "半途" || len(ts) != len(rows) || !sum.Existing {
		t.Errorf("finished: %q, %d of %d rows, existing %v", sum.List.Name, len(ts), len(rows), sum.Existing)
	}
	for _, tk := range ts {
		if tk.ID == first.ID && tk.Outcome != screening.OutcomeNoSuchPerson {
			t.Errorf("the row answered before: %+v", tk)
		}
	}
}

// TestTasksPage: a community's tasks a page at a time, by deadline; a
// cursor not given by a listing is refused.
func TestTasksPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.upload(t)
	var seen []string
	cursor := ""
	for range 10 {
		page, next, err := f.svc.Tasks(ctx, f.staff1, "c1", "", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range page {
			seen = append(seen, tk.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	all, _, _ := f.svc.Tasks(ctx, f.staff1, "c1", "", "", 200)
	if len(seen) != len(all) || len(all) != 4 {
		t.Errorf("pages of 3 gave %v, all %d", seen, len(all))
	}
	for i := range seen {
		if seen[i] != all[i].ID {
			t.Errorf("page order %v, want %v", seen, all)
			break
		}
	}
	if _, _, err := f.svc.Tasks(ctx, f.staff1, "c1", "", "x.y.z!", 3); code(err) != "INVALID_CURSOR" {
		t.Errorf("a forged cursor: %v", err)
	}
}

// TestTheVolunteerAtTheDoor: a volunteer on a screening post is given a
// door, sees only name, door, category and deadline, answers once, and is
// answered no more than that; a volunteer without the post is not given.
func TestTheVolunteerAtTheDoor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.upload(t)
	vs := f.root.Volunteers()
	now := time.Now()
	for _, v := range []volunteers.Volunteer{
		{ID: "v-1", CommunityID: "c1", Name: "志愿者甲", Phone: "13600000001", Category: "individual", Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusApproved, CreatedAt: now},
		{ID: "v-2", CommunityID: "c1", Name: "志愿者乙", Phone: "13600000002", Category: "individual", Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusApproved, CreatedAt: now},
	} {
		if err := f.st.CreateVolunteer(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	post, err := vs.CreatePost(ctx, f.staff1, "c1", volunteers.PostInput{Kind: "screening", Name: "入户核查", Shifts: []volunteers.ShiftInput{
		{StartsAt: now.Add(-time.Hour), EndsAt: now.Add(5 * time.Hour), Need: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vs.Assign(ctx, f.staff1, post.ID, volunteers.AssignInput{VolunteerID: "v-1", ShiftID: "s1", Role: "A"}); err != nil {
		t.Fatal(err)
	}
	// The service's clock: the shift is under way.
	f.clock.set(now)
	open, _, _ := f.svc.Tasks(ctx, f.staff1, "c1", "open", "", 200)
	if _, err := f.svc.Assign(ctx, f.staff1, "c1", screening.AssignInput{TaskIDs: []string{open[0].ID}, VolunteerID: "v-2"}); code(err) != "VALIDATION_FAILED" {
		t.Errorf("a volunteer without a screening post was given a door: %v", err)
	}
	if _, err := f.svc.Assign(ctx, f.staff1, "c1", screening.AssignInput{TaskIDs: []string{open[0].ID}, VolunteerID: "v-1"}); err != nil {
		t.Fatal(err)
	}
	v1 := auth.Principal{UserID: "v-1", Role: manifest.RoleVolunteer, CommunityID: "c1"}.Normalized()
	v2 := auth.Principal{UserID: "v-2", Role: manifest.RoleVolunteer, CommunityID: "c1"}.Normalized()
	mine, err := f.svc.Mine(ctx, v1)
	if err != nil || len(mine) != 1 || mine[0].Door == "" {
		t.Fatalf("the volunteer's doors: %+v, %v", mine, err)
	}
	if _, err := f.svc.Record(ctx, v2, open[0].ID, screening.OutcomeInput{Outcome: "found_home"}); code(err) != "NOT_YOUR_TASK" {
		t.Errorf("another volunteer answered the door: %v", err)
	}
	got, err := f.svc.Record(ctx, v1, open[0].ID, screening.OutcomeInput{Outcome: "found_home", Measure: "home_isolation"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.(screening.DoorTask); !ok {
		t.Errorf("the volunteer was answered %T: more than their list shows", got)
	}
	if _, err := f.svc.Record(ctx, v1, open[0].ID, screening.OutcomeInput{Outcome: "away", Where: "西安"}); code(err) != "SCREENING_TASK_DONE" {
		t.Errorf("the volunteer answered twice: %v", err)
	}
	done, _ := f.st.Task(ctx, open[0].ID)
	if done.VerifiedBy != "志愿者甲" {
		t.Errorf("verified by %q", done.VerifiedBy)
	}
	// The answer opened a watch: it stands until staff end the watch, and
	// an answer that would no longer name it is refused until then.
	if done.WatchID == "" {
		t.Fatalf("the home isolation opened no watch: %+v", done)
	}
	if _, err := f.svc.Record(ctx, f.staff1, open[0].ID, screening.OutcomeInput{Outcome: "away", Where: "西安"}); code(err) != "SCREENING_TASK_WATCHED" {
		t.Errorf("a correction away from the watch: %v", err)
	}
	// Staff's correction (a note) is signed with the staff member's name.
	if _, err := f.svc.Record(ctx, f.staff1, open[0].ID, screening.OutcomeInput{Outcome: "found_home", Measure: "home_isolation", Note: "门磁已装"}); err != nil {
		t.Fatal(err)
	}
	if done, _ = f.st.Task(ctx, open[0].ID); done.VerifiedBy != "工作人员u-1" {
		t.Errorf("corrected by %q", done.VerifiedBy)
	}
}
