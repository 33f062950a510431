package booking

import (
	"testing"
	"time"
)

// The decisions of a closure, without DynamoDB.

func TestClosureSlots(t *testing.T) {
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	slot := func(id, site string, startMin int, closed bool) Slot {
		st := now.Add(time.Duration(startMin) * time.Minute)
		return Slot{ID: id, SiteID: site, StartsAt: st, EndsAt: st.Add(30 * time.Minute), Capacity: 10, Closed: closed}
	}
	slots := []Slot{
		slot("a-past", "A", -60, false), slot("a-now", "A", -10, false), slot("a-later", "A", 30, false),
		slot("b-later", "B", 30, false), slot("b-soon", "B", 0, false), slot("b-past", "B", -60, false),
		slot("c-closed", "C", 30, true),
	}
	closed, open := closureSlots(slots, "A", now)
	if len(closed) != 2 || !closed["a-now"] || !closed["a-later"] {
		t.Errorf("closed %v: the site's slots still to come", closed)
	}
	if len(open) != 2 || open[0].ID != "b-soon" || open[1].ID != "b-later" {
		t.Errorf("open %v: other sites' open slots still to come, in time order", open)
	}
}

func TestPlace(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	group := func(at int, n int) []Booking {
		var g []Booking
		for range n {
			g = append(g, Booking{StartsAt: t0.Add(time.Duration(at) * time.Minute)})
		}
		return g
	}
	cases := []struct {
		name   string
		groups [][]Booking
		open   []Slot
		want   []int
	}{
		{"the earliest slot with room, not before the household's",
			[][]Booking{group(30, 2)},
			[]Slot{{StartsAt: t0, Capacity: 10}, {StartsAt: t0.Add(30 * time.Minute), Capacity: 2}},
			[]int{1}},
		{"a household stays together: a slot with room for part of it is passed",
			[][]Booking{group(0, 3)},
			[]Slot{{StartsAt: t0, Capacity: 2}, {StartsAt: t0.Add(30 * time.Minute), Capacity: 3}},
			[]int{1}},
		{"places taken by one household are gone for the next",
			[][]Booking{group(0, 2), group(0, 1)},
			[]Slot{{StartsAt: t0, Capacity: 2}, {StartsAt: t0.Add(30 * time.Minute), Capacity: 2, Booked: 1}},
			[]int{0, 1}},
		{"no slot left with room: unplaced (cancelled)",
			[][]Booking{group(0, 2), group(0, 2)},
			[]Slot{{StartsAt: t0, Capacity: 3}},
			[]int{0, unplaced}},
		{"only earlier slots have room: unplaced",
			[][]Booking{group(60, 1)},
			[]Slot{{StartsAt: t0, Capacity: 5}},
			[]int{unplaced}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := place(c.groups, c.open)
			for i := range c.want {
				if got[i] != c.want[i] {
					t.Fatalf("targets %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestRemedies(t *testing.T) {
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	slots := func(site string, closed bool, n int) []Slot {
		var out []Slot
		for i := range n {
			st := now.Add(time.Duration(30*i) * time.Minute)
			out = append(out, Slot{ID: site + string(rune('0'+i)), SiteID: site, StartsAt: st, EndsAt: st.Add(30 * time.Minute), Capacity: 20, Closed: closed})
		}
		return out
	}
	west := Site{ID: "w", Name: "西门", Lanes: 2, PerLanePerSlot: 10}
	spare := Site{ID: "s", Name: "北门", Lanes: 1, PerLanePerSlot: 10, Spare: true}
	late := now.Add(60 * time.Minute)
	narrow := Site{ID: "n", Name: "南门", Lanes: 1, PerLanePerSlot: 10, Spare: true, OpensAt: &late}
	cases := []struct {
		name  string
		short int
		sites []Site
		slots []Slot
		want  []string
	}{
		{"covered: none", 0, []Site{west}, slots("w", false, 4), nil},
		{"more lanes or places at the open site, or a new site", 80, []Site{west}, slots("w", false, 4),
			[]string{"西门：采样台增至4个，或每台每时段增至20人", "开设新采样点：2个采样台，每台每时段10人"}},
		{"a spare first, with what it adds and what is still short", 80, []Site{west, spare}, append(slots("w", false, 4), slots("s", true, 4)...),
			[]string{"开放备用点北门：增加40个位置（仍差40人）", "西门：采样台增至4个，或每台每时段增至20人", "开设新采样点：2个采样台，每台每时段10人"}},
		{"a spare's places within its hours only", 10, []Site{west, narrow}, append(slots("w", false, 4), slots("n", true, 4)...),
			[]string{"开放备用点南门：增加20个位置", "西门：采样台增至3个，或每台每时段增至12人", "开设新采样点：1个采样台，每台每时段10人"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, r := range remedies(c.short, c.sites, c.slots, now) {
				got = append(got, r.Text)
			}
			if len(got) != len(c.want) {
				t.Fatalf("remedies %q, want %q", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("remedies %q, want %q", got, c.want)
				}
			}
		})
	}
}
