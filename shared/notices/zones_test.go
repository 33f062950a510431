package notices_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/zone"
)

// unitPhone is the phone of the household at unit u, room r01 of 5号楼.
func unitPhone(u, r int) string { return fmt.Sprintf("1360000%02d%02d", u, r) }

// withUnits adds 5号楼: two units of three households, one member each.
func withUnits(t *testing.T, f *fixture) (building registry.Building, households map[string]registry.Household) {
	t.Helper()
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("building,unit,room,name,phone\n")
	for b := 1; b <= 4; b++ { // the fixture's buildings stay in the file
		for h := 1; h <= 3; h++ {
			fmt.Fprintf(&csv, "%d号楼,1,%d01,户主%d%d,%s\n%d号楼,1,%d01,配偶%d%d,%s\n%d号楼,1,%d01,孩子%d%d,\n", b, h, b, h, phone(b, h), b, h, b, h, phone(b, h), b, h, b, h)
		}
	}
	for u := 1; u <= 2; u++ {
		for r := 1; r <= 3; r++ {
			fmt.Fprintf(&csv, "5号楼,%d,%d01,住户%d%d,%s\n", u, r, u, r, unitPhone(u, r))
		}
	}
	if _, err := (&registry.Importer{Store: f.st, Now: time.Now}).Import(ctx, "c1", []byte(csv.String())); err != nil {
		t.Fatal(err)
	}
	bs, _, err := f.st.Buildings(ctx, "c1", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(bs, func(b registry.Building) bool { return b.Name == "5号楼" })
	if i < 0 || len(bs[i].UnitIDs) != 2 || bs[i].UnitIDs[0] != registry.UnitID(bs[i].ID, bs[i].Units[0]) {
		t.Fatalf("5号楼 and its unit ids: %+v", bs)
	}
	hs, err := f.st.BuildingHouseholds(ctx, bs[i].ID)
	if err != nil {
		t.Fatal(err)
	}
	households = map[string]registry.Household{}
	for _, h := range hs {
		households[h.Unit+"-"+h.Room] = h
	}
	return bs[i], households
}

func TestZonesBelowTheBuilding(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b, hs := withUnits(t, f)

	// The whole building at precaution, unit 1 sealed, one household of
	// unit 2 controlled: each household's level is the strictest.
	if _, err := f.svc.SetZones(ctx, f.staff, "c1", notices.Buildings(b.ID), notices.LevelPrecaution); err != nil {
		t.Fatal(err)
	}
	zones, err := f.svc.SetZones(ctx, f.staff, "c1", notices.ZoneTargets{UnitIDs: []string{b.UnitIDs[0]}, HouseholdIDs: []string{hs["2-201"].ID}}, notices.LevelSealed)
	if err != nil {
		t.Fatal(err)
	}
	if len(zones) != 2 || zones[0].Unit != "1" || zones[0].UnitID != b.UnitIDs[0] || zones[1].HouseholdID != hs["2-201"].ID || zones[1].Room != "201" {
		t.Fatalf("zones %+v", zones)
	}
	if _, err := f.svc.SetZones(ctx, f.staff, "c1", notices.ZoneTargets{HouseholdIDs: []string{hs["2-201"].ID}}, notices.LevelControlled); err != nil {
		t.Fatal(err)
	}
	// Released on its own, a household of the sealed unit stays sealed.
	if _, err := f.svc.SetZones(ctx, f.staff, "c1", notices.ZoneTargets{HouseholdIDs: []string{hs["1-101"].ID}}, notices.LevelNone); err != nil {
		t.Fatal(err)
	}
	all, err := f.svc.Zones(ctx, f.staff, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("the map: %+v (released zones are left out)", all)
	}
	for _, tc := range []struct {
		door string
		want string
	}{{"1-101", notices.LevelSealed}, {"1-301", notices.LevelSealed}, {"2-101", notices.LevelPrecaution}, {"2-201", notices.LevelControlled}} {
		z, ok := zone.Strictest(all, hs[tc.door])
		if !ok || z.Level != tc.want {
			t.Errorf("%s: %+v %v, want %s", tc.door, z, ok, tc.want)
		}
	}
	// One Query reads a building's zones, whole and finer.
	own, err := f.st.BuildingZones(ctx, "c1", b.ID)
	if z, ok := zone.Strictest(own, hs["1-201"]); err != nil || !ok || z.ScopeID() != b.UnitIDs[0] || len(own) != 3 {
		t.Fatalf("the building's zones %+v %v; strictest of 1-201 %+v", own, err, z)
	}

	// A notice to the sealed reaches unit 1 only, by app and by SMS.
	n, err := f.svc.Create(ctx, f.staff, "c1", notices.NoticeInput{Title: "单元封控", Body: "一单元即日起封控管理。",
		Audience: notices.Audience{ZoneLevels: []string{notices.LevelSealed}}, Channels: []string{"app", "sms"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(n.BuildingIDs) != 0 || len(n.HouseholdIDs) != 3 {
		t.Fatalf("audience: buildings %v, households %v", n.BuildingIDs, n.HouseholdIDs)
	}
	// One to precaution reaches the households nothing stricter covers.
	pre, err := f.svc.Preview(ctx, f.staff, "c1", notices.NoticeInput{Title: "防范", Body: "防范区居民注意。",
		Audience: notices.Audience{ZoneLevels: []string{notices.LevelPrecaution}}, Channels: []string{"app"}})
	if err != nil || pre.Households != 2 {
		t.Fatalf("preview to precaution: %+v %v, want unit 2's 101 and 301", pre, err)
	}
	f.drain(t)
	for u := 1; u <= 2; u++ {
		for r := 1; r <= 3; r++ {
			want := 0
			if u == 1 {
				want = 1
			}
			if got := len(f.outbox.To(unitPhone(u, r))); got != want {
				t.Errorf("unit %d room %d01: %d SMS, want %d", u, r, got, want)
			}
		}
	}
	for _, tc := range []struct {
		u, r int
		sees bool
	}{{1, 2, true}, {2, 2, false}} {
		acc, err := f.st.AccountByPhone(ctx, unitPhone(tc.u, tc.r))
		if err != nil {
			t.Fatal(err)
		}
		feed, err := f.svc.Feed(ctx, acc.Principal)
		if err != nil {
			t.Fatal(err)
		}
		sees := slices.ContainsFunc(feed, func(it notices.FeedItem) bool { return it.ID == n.ID })
		if sees != tc.sees {
			t.Errorf("unit %d room %d01 sees the notice: %v", tc.u, tc.r, sees)
		}
		_, err = f.svc.Acknowledge(ctx, acc.Principal, n.ID)
		if tc.sees != (err == nil) {
			t.Errorf("unit %d room %d01 acknowledges: %v", tc.u, tc.r, err)
		}
	}
	rep, err := f.svc.Delivery(ctx, f.staff, n.ID)
	if err != nil || rep.Households != 3 || len(rep.Unacknowledged) != 2 {
		t.Fatalf("delivery %+v %v", rep, err)
	}

	// The temperature list asks the sealed and the controlled only: unit 1
	// and 2-201.
	day, err := f.svc.Temperatures(ctx, f.staff, "c1", "")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, m := range day.Missing {
		missing = append(missing, m.Name)
	}
	slices.Sort(missing)
	if strings.Join(missing, ",") != "住户11,住户12,住户13,住户22" {
		t.Fatalf("missing temperatures: %v", missing)
	}
}

func TestZoneTargetsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b, hs := withUnits(t, f)
	many := make([]string, 46)
	for i := range many {
		many[i] = fmt.Sprintf("h%02d", i)
	}
	for _, tc := range []struct {
		name  string
		t     notices.ZoneTargets
		field string
	}{
		{"nothing", notices.ZoneTargets{}, "buildingIds"},
		{"a unit of no building", notices.ZoneTargets{UnitIDs: []string{"bnope-u1"}}, "unitIds"},
		{"a unit id made up", notices.ZoneTargets{UnitIDs: []string{b.ID + "-uzzzzzz"}}, "unitIds"},
		{"a household of no one", notices.ZoneTargets{HouseholdIDs: []string{b.ID + "-hnope"}}, "householdIds"},
		{"a household id with a slash", notices.ZoneTargets{HouseholdIDs: []string{"../x"}}, "householdIds"},
		{"46 targets", notices.ZoneTargets{HouseholdIDs: many}, "buildingIds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.SetZones(ctx, f.staff, "c1", tc.t, notices.LevelSealed)
			ae := apperr.As(err)
			if ae.Code != "VALIDATION_FAILED" || len(ae.Fields) != 1 || ae.Fields[0].Field != tc.field {
				t.Fatalf("%v", err)
			}
		})
	}
	if _, err := f.svc.SetZones(ctx, f.staff, "c1", notices.ZoneTargets{HouseholdIDs: []string{hs["1-101"].ID}}, "closed"); apperr.As(err).Code != "VALIDATION_FAILED" {
		t.Fatalf("an unknown level: %v", err)
	}
	all, _ := f.svc.Zones(ctx, f.staff, "c1")
	if len(all) != 0 {
		t.Fatalf("a refused change wrote zones: %+v", all)
	}
}
