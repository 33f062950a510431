package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
)

func ptr[T any](v T) *T { return &v }

// TestTheRegisterCorrectedByHand: staff add a person, change a phone, mark
// people away, moved out and deceased, move one to another household;
// phones stay one sign-in each; the next import of the whole file keeps
// every correction and reports where it differs.
func TestTheRegisterCorrectedByHand(t *testing.T) {
	st := newStore(t)
	seedStreet(t, st, "s1", "c1")
	seedStreet(t, st, "s22", "c2")
	ctx := context.Background()
	im := &registry.Importer{Store: st, Now: time.Now}
	if _, err := im.Import(ctx, "c1", []byte(importFile)); err != nil {
		t.Fatal(err)
	}
	api := &registry.API{Dir: st, Importer: im, Corrections: st, Now: time.Now}
	staff := auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	code := func(err error) string {
		if err == nil {
			return ""
		}
		return apperr.As(err).Code
	}
	b1, b2 := registry.BuildingID("c1", "1号楼"), registry.BuildingID("c1", "2号楼")
	h101 := registry.HouseholdID(b1, "1", "101")
	h201 := registry.HouseholdID(b1, "2", "201")
	zhang := registry.ResidentID(h101, "张三")
	child := registry.ResidentID(h101, "张小三")
	li := registry.ResidentID(h201, "李四")
	wang := registry.ResidentID(registry.HouseholdID(b2, "1", "101"), "王五")

	// Added to a household, with a phone that signs in as them.
	added, err := api.AddResident(ctx, staff, "c1", registry.NewResidentInput{HouseholdID: h101, Name: "张老太", Phone: "13800000009", BirthYear: 1940, Flags: []registry.Flag{registry.FlagAlone}, Reason: "入户摸排新发现"})
	if err != nil {
		t.Fatal(err)
	}
	if acct, err := st.AccountByPhone(ctx, "13800000009"); err != nil || acct.ResidentID != added.ID || acct.HouseholdID != h101 {
		t.Fatalf("the new resident's sign-in: %+v %v", acct, err)
	}
	refusals := []struct {
		name string
		in   registry.NewResidentInput
		want string
	}{
		{"the same person again", registry.NewResidentInput{HouseholdID: h101, Name: "张老太", Reason: "重复"}, "RESIDENT_EXISTS"},
		{"another household's phone", registry.NewResidentInput{HouseholdID: h101, Name: "张二", Phone: "13800000002", Reason: "核实"}, "PHONE_TAKEN"},
		{"no reason", registry.NewResidentInput{HouseholdID: h101, Name: "张四"}, "VALIDATION_FAILED"},
		{"a household of no one", registry.NewResidentInput{HouseholdID: b1 + "-hnope", Name: "张四", Reason: "核实"}, "VALIDATION_FAILED"},
		{"a control character", registry.NewResidentInput{HouseholdID: h101, Name: "张\u202e四", Reason: "核实"}, "VALIDATION_FAILED"},
	}
	for _, r := range refusals {
		if _, err := api.AddResident(ctx, staff, "c1", r.in); code(err) != r.want {
			t.Errorf("%s: %v, want %s", r.name, err, r.want)
		}
	}
	if _, err := st.Resident(ctx, registry.ResidentID(h101, "张二")); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("a refused addition was written: %v", err)
	}
	other := auth.Principal{UserID: "u-x", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()
	if _, err := api.UpdateResident(ctx, other, li, registry.ResidentChange{Flags: &[]registry.Flag{}, Reason: "x"}); code(err) != "FORBIDDEN" {
		t.Fatalf("another community's staff: %v", err)
	}

	// A new phone: the old one signs in as nobody, the new one as 李四.
	if _, err := api.UpdateResident(ctx, staff, li, registry.ResidentChange{Phone: ptr("13800000010"), Reason: "换号"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AccountByPhone(ctx, "13800000002"); err == nil {
		t.Fatal("the old phone still signs in")
	}
	if acct, err := st.AccountByPhone(ctx, "13800000010"); err != nil || acct.ResidentID != li {
		t.Fatalf("the new phone: %+v %v", acct, err)
	}
	// Away, moved out: the moved out leaves the building's residents and
	// its count; a change of someone gone is refused until they are back.
	if _, err := api.UpdateResident(ctx, staff, child, registry.ResidentChange{Status: ptr("away"), Where: ptr("兰州新区外婆家"), Reason: "邻居告知"}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.UpdateResident(ctx, staff, wang, registry.ResidentChange{Status: ptr("moved_out"), Reason: "已搬走"}); err != nil {
		t.Fatal(err)
	}
	rs, _ := st.BuildingResidents(ctx, b2)
	if slices.ContainsFunc(rs, func(r registry.Resident) bool { return r.ID == wang }) {
		t.Fatal("a resident moved out is still in the building's residents")
	}
	if _, err := st.AccountByPhone(ctx, "13800000003"); err == nil {
		t.Fatal("a resident moved out still signs in")
	}
	if _, err := api.UpdateResident(ctx, staff, wang, registry.ResidentChange{Phone: ptr("13800000011"), Reason: "x"}); code(err) != "RESIDENT_NOT_CURRENT" {
		t.Fatalf("a phone for someone gone: %v", err)
	}
	bs, _, _ := st.Buildings(ctx, "c1", "", 10)
	for _, b := range bs {
		if b.ID == b2 && b.ResidentCount != 0 {
			t.Fatalf("2号楼 counts %d residents, want 0", b.ResidentCount)
		}
	}

	// A move: 张三 goes on in 李四's household, his phone with him.
	moved, err := api.UpdateResident(ctx, staff, zhang, registry.ResidentChange{HouseholdID: ptr(h201), Reason: "投靠子女"})
	if err != nil {
		t.Fatal(err)
	}
	if moved.HouseholdID != h201 || moved.Phone != "13800000001" {
		t.Fatalf("the moved resident %+v", moved)
	}
	if was, _ := st.Resident(ctx, zhang); was.Status != registry.StatusMovedOut || was.MovedTo != moved.ID {
		t.Fatalf("the old record %+v", was)
	}
	if acct, err := st.AccountByPhone(ctx, "13800000001"); err != nil || acct.ResidentID != moved.ID || acct.HouseholdID != h201 {
		t.Fatalf("the moved resident's sign-in %+v %v", acct, err)
	}

	// The whole file again: every correction stands, the lines that
	// differ are reported.
	rep, err := im.Import(ctx, "c1", []byte(importFile))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range rep.Conflicts {
		got = append(got, c.Name+":"+c.Field)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"李四:phone", "王五:status"}) {
		t.Fatalf("conflicts %v (errors %+v)", got, rep.Errors)
	}
	if r, _ := st.Resident(ctx, li); r.Phone != "13800000010" {
		t.Fatalf("the import undid a phone correction: %+v", r)
	}
	if r, _ := st.Resident(ctx, wang); r.Status != registry.StatusMovedOut {
		t.Fatalf("the import revived a resident moved out: %+v", r)
	}
	if r, _ := st.Resident(ctx, child); r.Status != registry.StatusAway || r.Where != "兰州新区外婆家" {
		t.Fatalf("the import undid an away: %+v", r)
	}
	if _, err := st.AccountByPhone(ctx, "13800000003"); err == nil {
		t.Fatal("the import gave a resident moved out their sign-in back")
	}
	// Present again: back in the building, signing in again.
	if _, err := api.UpdateResident(ctx, staff, wang, registry.ResidentChange{Status: ptr("present"), Reason: "已搬回"}); err != nil {
		t.Fatal(err)
	}
	if acct, err := st.AccountByPhone(ctx, "13800000003"); err != nil || acct.ResidentID != wang {
		t.Fatalf("back, the sign-in: %+v %v", acct, err)
	}

	// A phone a household shares signs in as its first holder: the other
	// one's correction leaves it alone.
	if _, err := im.Import(ctx, "c1", []byte("楼栋,单元,房号,姓名,手机号\n3号楼,1,101,孙甲,13800000020\n3号楼,1,101,孙乙,13800000020\n")); err != nil {
		t.Fatal(err)
	}
	h3 := registry.HouseholdID(registry.BuildingID("c1", "3号楼"), "1", "101")
	if _, err := api.UpdateResident(ctx, staff, registry.ResidentID(h3, "孙乙"), registry.ResidentChange{Status: ptr("deceased"), Reason: "已故"}); err != nil {
		t.Fatalf("the sharer of a phone marked deceased: %v", err)
	}
	if acct, err := st.AccountByPhone(ctx, "13800000020"); err != nil || acct.ResidentID != registry.ResidentID(h3, "孙甲") {
		t.Fatalf("the shared phone's sign-in: %+v %v", acct, err)
	}
	// Someone gone is not moved anywhere: present them first.
	if _, err := api.UpdateResident(ctx, staff, registry.ResidentID(h3, "孙乙"), registry.ResidentChange{HouseholdID: ptr(h101), Reason: "x"}); code(err) != "RESIDENT_NOT_CURRENT" {
		t.Fatalf("a move of someone deceased: %v", err)
	}
	// A change made meanwhile is not overwritten.
	stale, _ := st.Resident(ctx, li)
	if _, err := api.UpdateResident(ctx, staff, li, registry.ResidentChange{Phone: ptr("13800000012"), Reason: "又换号"}); err != nil {
		t.Fatal(err)
	}
	late := stale
	late.Flags = []registry.Flag{registry.FlagChronic}
	if err := st.ApplyCorrection(ctx, registry.Correction{Residents: []registry.Resident{late}, Before: []registry.Resident{stale}}); !errors.Is(err, registry.ErrChangedMeanwhile) {
		t.Fatalf("a correction from a stale read: %v", err)
	}
}
