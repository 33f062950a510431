package booking

import (
	"slices"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/registry"
)

func testSlots(sites []string, n, capacity int, start time.Time) []Slot {
	var out []Slot
	for _, site := range sites {
		for i := 0; i < n; i++ {
			out = append(out, Slot{ID: SlotID(site, i), SiteID: site, StartsAt: start.Add(time.Duration(i) * 30 * time.Minute),
				EndsAt: start.Add(time.Duration(i+1) * 30 * time.Minute), Capacity: capacity})
		}
	}
	return out
}

func TestMakePlan(t *testing.T) {
	start := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	buildings := []registry.Building{
		{ID: "b10", Name: "10号楼", ResidentCount: 8},
		{ID: "b1", Name: "1号楼", ResidentCount: 15},
		{ID: "b2", Name: "2号楼", ResidentCount: 12},
		{ID: "b3", Name: "3号楼", ResidentCount: 30},
		{ID: "b4", Name: "4号楼", ResidentCount: 0},
		{ID: "b5", Name: "5号楼", ResidentCount: 200},
	}
	slots := testSlots([]string{"r-sa", "r-sb"}, 4, 10, start)
	plan := MakePlan(buildings, slots)

	want := []struct {
		building, site string
		slots          []string
	}{
		// 1号楼 first, at the first site: 15 of its first two slots' 20.
		{"b1", "r-sa", []string{"r-sa-t000", "r-sa-t001"}},
		// 2号楼 at the other site, which is free earlier.
		{"b2", "r-sb", []string{"r-sb-t000", "r-sb-t001"}},
		// 3号楼 (30) fits neither: sa has 5+10+10 left, sb 8+10+10, and a
		// building stays at one site. 10号楼 (8) takes sa's last 5 of slot 1
		// and 3 of slot 2: a slot shared by two windows.
		{"b10", "r-sa", []string{"r-sa-t001", "r-sa-t002"}},
	}
	if len(plan.Windows) != len(want) {
		t.Fatalf("windows %+v", plan.Windows)
	}
	for i, w := range want {
		got := plan.Windows[i]
		if got.BuildingID != w.building || got.SiteID != w.site || !slices.Equal(got.SlotIDs, w.slots) {
			t.Errorf("window %d: %s at %s %v, want %s at %s %v", i, got.BuildingID, got.SiteID, got.SlotIDs, w.building, w.site, w.slots)
		}
	}
	if !slices.Equal(plan.Unplanned, []string{"b3", "b5"}) {
		t.Errorf("unplanned %v, want [b3 b5]", plan.Unplanned)
	}
	// Every window is contiguous, at one site, and holds its building.
	capacity := map[string]int{}
	for _, s := range slots {
		capacity[s.ID] = s.Capacity
	}
	used := map[string]int{}
	for _, w := range plan.Windows {
		total := 0
		for i, id := range w.SlotIDs {
			if SiteOf(id) != w.SiteID {
				t.Errorf("%s: slot %s of another site", w.BuildingID, id)
			}
			if i > 0 && id <= w.SlotIDs[i-1] {
				t.Errorf("%s: slots out of order %v", w.BuildingID, w.SlotIDs)
			}
			total += capacity[id]
		}
		if !w.EndsAt.After(w.StartsAt) {
			t.Errorf("%s: window %v–%v", w.BuildingID, w.StartsAt, w.EndsAt)
		}
		used[w.BuildingID] = w.Residents
	}
	if used["b4"] != 0 {
		t.Error("an empty building got a window")
	}
}

func TestMakePlanLeavesBookedPlacesOut(t *testing.T) {
	start := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	slots := testSlots([]string{"r-sa"}, 2, 10, start)
	slots[0].Booked = 10
	plan := MakePlan([]registry.Building{{ID: "b1", Name: "1号楼", ResidentCount: 10}}, slots)
	if len(plan.Windows) != 1 || plan.Windows[0].SlotIDs[0] != slots[1].ID {
		t.Fatalf("plan %+v: the full first slot must be skipped", plan)
	}
}
