package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/chinatime"
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
