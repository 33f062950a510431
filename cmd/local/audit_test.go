package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
)

// TestAuditSaysWhatChangedAndWhoWasRead: a change of zones, help settings
// or a playbook is recorded with what it was before and after; a search of
// residents and the help list are recorded with their query (phones
// masked) and how many people they answered.
func TestAuditSaysWhatChangedAndWhoWasRead(t *testing.T) {
	w := newWorld(t)
	_, _, body := w.call("GET", "/v1/communities/ca/buildings", "staffA", "", "")
	i := strings.Index(body, `"id":"`)
	if i < 0 {
		t.Fatalf("no building in %s", body)
	}
	b1 := body[i+6 : i+6+strings.Index(body[i+6:], `"`)]
	steps := []struct{ method, path, body string }{
		{"POST", "/v1/communities/ca/zones", `{"buildingIds":["` + b1 + `"],"level":"sealed"}`},
		{"POST", "/v1/communities/ca/zones", `{"buildingIds":["` + b1 + `"],"level":"controlled"}`},
		{"PUT", "/v1/communities/ca/help-settings", `{"deadlines":{"dialysis":20},"onDuty":["13900000011"]}`},
		{"PUT", "/v1/communities/ca/playbook", `{"emergency":[{"id":"a","title":"上报"}],"normal":[],"retentionDays":30,"version":0}`},
		{"GET", "/v1/communities/ca/residents?phone=13700000001", ""},
		{"GET", "/v1/communities/ca/help", ""},
	}
	for _, s := range steps {
		if status, code, body := w.json(s.method, s.path, "staffA", s.body); status >= 300 {
			t.Fatalf("%s %s: %d %s %s", s.method, s.path, status, code, body)
		}
	}
	entries, err := w.st.AuditDay(context.Background(), "sa", chinatime.In(time.Now()).Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]audit.Entry{}
	for _, e := range entries {
		by[e.Op] = append(by[e.Op], e)
	}
	zones := by["setZones"]
	if len(zones) != 2 || len(zones[1].Changes) != 1 || !strings.Contains(zones[1].Changes[0].Before, `"sealed"`) ||
		!strings.Contains(zones[1].Changes[0].After, `"controlled"`) {
		t.Errorf("the zones' entries %+v", zones)
	}
	if h := by["setHelpSettings"]; len(h) != 1 || len(h[0].Changes) != 1 || !strings.Contains(h[0].Changes[0].After, `139****0011`) ||
		strings.Contains(h[0].Changes[0].After, "13900000011") {
		t.Errorf("the help settings' entry (phones masked) %+v", h)
	}
	if p := by["putPlaybook"]; len(p) != 1 || len(p[0].Changes) != 1 || !strings.Contains(p[0].Changes[0].After, `"上报"`) {
		t.Errorf("the playbook's entry %+v", p)
	}
	if r := by["findResidents"]; len(r) != 1 || r[0].Count == nil || *r[0].Count != 1 || r[0].Query != "phone=137****0001" {
		t.Errorf("the search's entry %+v", r)
	}
	if h := by["listHelp"]; len(h) != 1 || h[0].Count == nil || *h[0].Count != 0 || h[0].Method != "GET" {
		t.Errorf("the help list's entry %+v", h)
	}
}

// TestStaffFindWhoLivesBehindADoor: a building's residents, one door's,
// and the household card; another community's staff find nothing there.
func TestStaffFindWhoLivesBehindADoor(t *testing.T) {
	w := newWorld(t)
	w.tokens["staffB"] = w.issue(auth.Principal{UserID: "staff-cb", Role: manifest.RoleStaff, CommunityID: "cb"})
	resident, err := w.st.AccountByPhone(context.Background(), "13700000002")
	if err != nil {
		t.Fatal(err)
	}
	b := registry.BuildingOf(resident.HouseholdID)
	var found struct {
		Residents []registry.Resident `json:"residents"`
	}
	for query, want := range map[string]int{"buildingId=" + b: 2, "buildingId=" + b + "&unit=1&room=102": 1, "buildingId=" + b + "&room=999": 0} {
		status, code, body := w.json("GET", "/v1/communities/ca/residents?"+query, "staffA", "")
		if status != 200 {
			t.Fatalf("%s: %d %s %s", query, status, code, body)
		}
		if err := json.Unmarshal([]byte(body), &found); err != nil || len(found.Residents) != want {
			t.Fatalf("%s: %d residents, want %d: %s", query, len(found.Residents), want, body)
		}
	}
	var card struct {
		Household registry.Household  `json:"household"`
		Members   []registry.Resident `json:"members"`
	}
	status, _, body := w.json("GET", "/v1/households/"+resident.HouseholdID, "staffA", "")
	if err := json.Unmarshal([]byte(body), &card); status != 200 || err != nil || card.Household.Room != "102" || len(card.Members) != 1 || card.Members[0].Name != "居民乙" {
		t.Fatalf("the card: %d %s", status, body)
	}
	if status, code, _ := w.json("GET", "/v1/households/"+resident.HouseholdID, "staffB", ""); status != 403 {
		t.Errorf("another community's staff read the card: %d %s", status, code)
	}
	if status, code, _ := w.json("GET", "/v1/communities/ca/residents?buildingId=b-none", "staffA", ""); status != 404 {
		t.Errorf("a building that is not: %d %s", status, code)
	}
}
