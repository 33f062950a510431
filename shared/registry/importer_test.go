package registry

import (
	"testing"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
)

func emptySnapshot() Snapshot {
	return Snapshot{Buildings: map[string]Building{}, Households: map[string]Household{}, Residents: map[string]Resident{}, Accounts: map[string]auth.Account{}}
}

func rowsOf(t *testing.T, file string) []Row {
	t.Helper()
	rows, errs, err := ParseCSV([]byte("楼栋,单元,房号,姓名,手机号\n"+file), 2026)
	if err != nil || len(errs) > 0 {
		t.Fatalf("%v %v", errs, err)
	}
	return rows
}

func TestPlanPhoneRules(t *testing.T) {
	rows := rowsOf(t, "1号楼,1,101,张三,13800000001\n"+
		"1号楼,1,101,张妻,13800000001\n"+ // same household may share a phone
		"1号楼,1,102,李四,13800000001\n"+ // another household may not
		"1号楼,1,101,张三,13800000009\n"+ // the same person twice
		"1号楼,1,103,王五,13800000002\n"+ // held by a resident elsewhere
		"1号楼,1,104,赵六,13900000001\n") // held by staff: allowed, account untouched
	snap := emptySnapshot()
	snap.Accounts["13800000002"] = auth.Account{Phone: "13800000002", Principal: auth.Principal{UserID: "r-x", Role: manifest.RoleResident, HouseholdID: "elsewhere", CommunityID: "c1"}.Normalized()}
	snap.Accounts["13900000001"] = auth.Account{Phone: "13900000001", Principal: auth.Principal{UserID: "u-x", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()}
	changes, report := plan("c1", rows, snap)

	wantErrLines := []int{4, 5, 6}
	if len(report.Errors) != len(wantErrLines) {
		t.Fatalf("errors %+v", report.Errors)
	}
	for i, l := range wantErrLines {
		if report.Errors[i].Line != l {
			t.Errorf("error %d on line %d, want %d", i, report.Errors[i].Line, l)
		}
	}
	if report.Imported != 3 || report.Residents.Created != 3 || report.Households.Created != 2 || report.Buildings.Created != 1 {
		t.Errorf("report %+v", report)
	}
	if len(changes.Accounts) != 1 || changes.Accounts[0].UserID != ResidentID(HouseholdID(BuildingID("c1", "1号楼"), "1", "101"), "张三") {
		t.Errorf("accounts %+v: want one, for the first holder of the phone", changes.Accounts)
	}
	for _, h := range changes.Households {
		if h.Room == "101" && h.ContactPhone != "13800000001" {
			t.Errorf("contact phone %q", h.ContactPhone)
		}
	}
}

func TestPlanAgainstItsOwnResultChangesNothing(t *testing.T) {
	rows := rowsOf(t, "1号楼,1,101,张三,13800000001\n1号楼,2,201,李四,\n2号楼,1,101,王五,13800000003\n")
	first, _ := plan("c1", rows, emptySnapshot())
	snap := emptySnapshot()
	for _, b := range first.Buildings {
		snap.Buildings[b.ID] = b
	}
	for _, h := range first.Households {
		snap.Households[h.ID] = h
	}
	for _, r := range first.Residents {
		snap.Residents[r.ID] = r
	}
	for _, a := range first.Accounts {
		snap.Accounts[a.Phone] = a
	}
	again, report := plan("c1", rows, snap)
	if len(again.Buildings)+len(again.Households)+len(again.Residents)+len(again.Accounts)+len(again.Releases) != 0 {
		t.Fatalf("a second import would write %+v", again)
	}
	if report.Residents.Unchanged != 3 || report.Households.Unchanged != 3 || report.Buildings.Unchanged != 2 {
		t.Errorf("report %+v", report)
	}

	// A changed phone updates the resident and releases the old number.
	changed := rowsOf(t, "1号楼,1,101,张三,13800000002\n1号楼,2,201,李四,\n2号楼,1,101,王五,13800000003\n")
	c, report := plan("c1", changed, snap)
	if report.Residents.Updated != 1 || len(c.Releases) != 1 || c.Releases[0].Phone != "13800000001" || len(c.Accounts) != 1 {
		t.Errorf("changes %+v report %+v", c, report)
	}
}
