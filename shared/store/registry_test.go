package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/store"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	db, name := dynamolocal.NewTable(t)
	return &store.Store{DB: db, Table: name}
}

func seedStreet(t *testing.T, st *store.Store, street, community string) {
	t.Helper()
	dynamolocal.SeedCommunity(t, st, street, community, "1390000"+fmt.Sprintf("%04d", len(street)))
}

const importFile = "楼栋,单元,房号,姓名,手机号,出生年份,标记\n" +
	"1号楼,1,101,张三,13800000001,1950,卧床\n" +
	"1号楼,1,101,张小三,,2019,\n" +
	"1号楼,2,201,李四,13800000002,1980,\n" +
	"2号楼,1,101,王五,13800000003,1990,孕妇\n" +
	"2号楼,1,102,赵六,13800000001,1960,\n" // the phone of another household: refused

func TestImportWritesCountsAndIsIdempotent(t *testing.T) {
	st := newStore(t)
	seedStreet(t, st, "s1", "c1")
	ctx := context.Background()
	im := &registry.Importer{Store: st, Now: time.Now}

	report, err := im.Import(ctx, "c1", []byte(importFile))
	if err != nil {
		t.Fatal(err)
	}
	if report.Lines != 5 || report.Imported != 4 || len(report.Errors) != 1 || report.Errors[0].Line != 6 || report.Errors[0].Field != "phone" {
		t.Fatalf("report %+v", report)
	}
	if report.Residents.Created != 4 || report.Households.Created != 3 || report.Buildings.Created != 2 {
		t.Fatalf("report %+v", report)
	}
	buildings, _, err := st.Buildings(ctx, "c1", "", 50)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string][2]int{}
	for _, b := range buildings {
		counts[b.Name] = [2]int{b.HouseholdCount, b.ResidentCount}
	}
	if counts["1号楼"] != [2]int{2, 3} || counts["2号楼"] != [2]int{1, 1} {
		t.Fatalf("counts %v", counts)
	}

	again, err := im.Import(ctx, "c1", []byte(importFile))
	if err != nil {
		t.Fatal(err)
	}
	if again.Residents.Created+again.Residents.Updated+again.Households.Created+again.Households.Updated+again.Buildings.Created+again.Buildings.Updated != 0 {
		t.Fatalf("second import changed things: %+v", again)
	}

	// The refused line wrote nothing: no 赵六, and 2号楼 has one household.
	if rs, _, _ := st.ResidentsByName(ctx, "c1", "赵", "", 10); len(rs) != 0 {
		t.Fatalf("a refused line was written: %+v", rs)
	}
	// Lookups.
	byPhone, err := st.ResidentsByPhone(ctx, "c1", "13800000001")
	if err != nil || len(byPhone) != 1 || byPhone[0].Name != "张三" || len(byPhone[0].Flags) != 1 {
		t.Fatalf("by phone: %+v %v", byPhone, err)
	}
	byName, _, err := st.ResidentsByName(ctx, "c1", "张", "", 10)
	if err != nil || len(byName) != 2 {
		t.Fatalf("by name: %+v %v", byName, err)
	}
	if other, _ := st.ResidentsByPhone(ctx, "c2", "13800000001"); len(other) != 0 {
		t.Fatalf("a phone lookup crossed communities")
	}
	// Sign-in accounts point at the household.
	acct, err := st.AccountByPhone(ctx, "13800000001")
	if err != nil || acct.Role != manifest.RoleResident || acct.HouseholdID != byPhone[0].HouseholdID {
		t.Fatalf("account %+v %v", acct, err)
	}
	h, members, err := st.Household(ctx, acct.HouseholdID)
	if err != nil || len(members) != 2 || h.Room != "101" || h.ContactPhone != "13800000001" {
		t.Fatalf("household %+v members %+v %v", h, members, err)
	}
}

func TestImportPhoneChangeMovesTheAccount(t *testing.T) {
	st := newStore(t)
	seedStreet(t, st, "s1", "c1")
	ctx := context.Background()
	im := &registry.Importer{Store: st, Now: time.Now}
	if _, err := im.Import(ctx, "c1", []byte(importFile)); err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(importFile, "李四,13800000002", "李四,13800000009", 1)
	report, err := im.Import(ctx, "c1", []byte(changed))
	if err != nil || report.Residents.Updated != 1 {
		t.Fatalf("%+v %v", report, err)
	}
	if _, err := st.AccountByPhone(ctx, "13800000002"); !errors.Is(err, auth.ErrNoAccount) {
		t.Errorf("the old phone still signs in: %v", err)
	}
	if a, err := st.AccountByPhone(ctx, "13800000009"); err != nil || a.Name != "李四" {
		t.Errorf("the new phone does not sign in: %+v %v", a, err)
	}
}

func TestBuildingsPaginate(t *testing.T) {
	st := newStore(t)
	seedStreet(t, st, "s1", "c1")
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("building,unit,room,name\n")
	for _, i := range []int{10, 2, 7, 1, 12, 3, 11} {
		fmt.Fprintf(&b, "%d号楼,1,101,居民%d\n", i, i)
	}
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var order []string
	cursor := ""
	for page := 0; page < 10; page++ {
		bs, next, err := st.Buildings(ctx, "c1", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range bs {
			seen[x.ID] = true
			order = append(order, x.Name)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 7 {
		t.Fatalf("saw %d buildings over the pages, want 7", len(seen))
	}
	// Page by page in the order staff walk them, as the whole list is.
	all, _, _ := st.Buildings(ctx, "c1", "", 200)
	var whole []string
	for _, x := range all {
		whole = append(whole, x.Name)
	}
	want := "1号楼 2号楼 3号楼 7号楼 10号楼 11号楼 12号楼"
	if strings.Join(order, " ") != want || strings.Join(whole, " ") != want {
		t.Fatalf("paged %v, whole %v, want %s", order, whole, want)
	}
	// A cursor of one community does not open another's list.
	_, next, _ := st.Buildings(ctx, "c1", "", 3)
	if _, _, err := st.Buildings(ctx, "c2", next, 3); err == nil {
		t.Fatal("a foreign cursor was accepted")
	}
}

func TestStaffAndStreets(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	admin := registry.Staff{ID: "u-admin", Name: "管理员", Phone: "13900000000", CreatedAt: time.Now()}
	if err := st.CreateStreetWithAdmin(ctx, registry.Street{ID: "s1", Name: "街道"}, admin, true, false); err != nil {
		t.Fatal(err)
	}
	// The operator's bootstrap refuses a second first admin, unless forced.
	second := registry.Staff{ID: "u-admin2", Name: "管理员2", Phone: "13900000002", CreatedAt: time.Now()}
	if err := st.CreateStreetWithAdmin(ctx, registry.Street{ID: "s2", Name: "街道2"}, second, true, false); !errors.Is(err, store.ErrAdminExists) {
		t.Fatalf("second bootstrap: %v", err)
	}
	if _, err := st.AccountByPhone(ctx, "13900000002"); !errors.Is(err, auth.ErrNoAccount) {
		t.Fatal("a refused bootstrap left an account behind")
	}
	if err := st.CreateStreetWithAdmin(ctx, registry.Street{ID: "s2", Name: "街道2"}, second, true, true); err != nil {
		t.Fatalf("forced bootstrap: %v", err)
	}
	if err := st.CreateCommunity(ctx, registry.Community{ID: "c9", StreetID: "nope", Name: "x"}); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("community on a missing street: %v", err)
	}
	if err := st.CreateCommunity(ctx, registry.Community{ID: "c1", StreetID: "s1", Name: "社区"}); err != nil {
		t.Fatal(err)
	}
	if s, err := st.StreetOf(ctx, "c1"); err != nil || s != "s1" {
		t.Fatalf("StreetOf %q %v", s, err)
	}
	if _, err := st.StreetOf(ctx, "c404"); !errors.Is(err, auth.ErrNoCommunity) {
		t.Fatalf("StreetOf a missing community: %v", err)
	}
	staff := registry.Staff{ID: "u-s1", Name: "工作人员", Phone: "13900000001", CommunityID: "c1", CreatedAt: time.Now()}
	if err := st.CreateStaff(ctx, staff, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	dup := staff
	dup.ID = "u-s2"
	if err := st.CreateStaff(ctx, dup, manifest.RoleStaff, nil); !errors.Is(err, registry.ErrPhoneTaken) {
		t.Fatalf("a second account on one phone: %v", err)
	}
	got, err := st.StaffMember(ctx, auth.Principal{UserID: "u-s1", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized())
	if err != nil || got.Name != "工作人员" {
		t.Fatalf("%+v %v", got, err)
	}
}

// TestImportErrorsAreBounded (issue 8, item 13): one line of 410 KB, and
// thousands of bad lines, answer with a report of bounded size.
func TestImportErrorsAreBounded(t *testing.T) {
	st := newStore(t)
	seedStreet(t, st, "s1", "c1")
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("楼栋,单元,房号,姓名,手机号,出生年份,标记\n")
	b.WriteString("1号楼,1,101,张三,13800000001,1950," + strings.Repeat("飞;", 140000) + "\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "1号楼,1,%d,,not-a-phone,99,坏\n", 200+i)
	}
	if b.Len() > 4<<20 {
		t.Fatalf("the file is %d bytes, over the route's limit", b.Len())
	}
	report, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(report)
	if len(raw) > 200<<10 {
		t.Fatalf("a %d-byte answer", len(raw))
	}
	if len(report.Errors) != registry.MaxReportedErrors || report.ErrorsOmitted == 0 {
		t.Fatalf("%d errors, %d omitted", len(report.Errors), report.ErrorsOmitted)
	}
	first := report.Errors[0]
	if first.Line != 2 || len(first.Reason) > 200 {
		t.Fatalf("the long line's error: %+v", first)
	}
	if report.Lines != 3001 || report.Imported != 0 {
		t.Fatalf("lines %d imported %d", report.Lines, report.Imported)
	}
}
