package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/contract"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/screening"
)

// TestTheDocumentDrivesTheAPI sends requests generated from the document,
// valid and broken, as every kind of caller, to ids that exist and ids that
// do not: no answer is a 5xx, every answer is one the document lists (the
// package's contract check), and nothing the document calls valid is
// refused as malformed.
func TestTheDocumentDrivesTheAPI(t *testing.T) {
	t.Parallel() // its own table: it runs beside the others
	w := newWorld(t)
	ctx := context.Background()
	resident, _ := w.st.AccountByPhone(ctx, "13700000001")
	w.tokens["residentA"] = w.issue(resident.Principal)
	w.tokens["staffB"] = w.issue(auth.Principal{UserID: "staff-cb", Role: manifest.RoleStaff, CommunityID: "cb"})
	w.tokens["volunteerA"] = w.issue(auth.Principal{UserID: "v1", Role: manifest.RoleVolunteer, CommunityID: "ca"})

	start := time.Now().Add(-time.Hour).Format(time.RFC3339)
	end := time.Now().Add(6 * time.Hour).Format(time.RFC3339)
	var round struct{ ID string }
	_, _, out := w.json("POST", "/v1/communities/ca/rounds", "staffA", `{"name":"r","startsAt":"`+start+`","endsAt":"`+end+`","slotMinutes":30,"allowPastStart":true}`)
	_ = json.Unmarshal([]byte(out), &round)
	var site struct {
		ID    string
		Slots []struct{ ID string }
	}
	_, _, out = w.json("POST", "/v1/rounds/"+round.ID+"/sites", "staffA", `{"name":"东门","lanes":2,"perLanePerSlot":10}`)
	_ = json.Unmarshal([]byte(out), &site)
	var notice struct{ ID string }
	_, _, out = w.json("POST", "/v1/communities/ca/notices", "staffA", `{"title":"t","body":"b","audience":{"all":true},"channels":["app"]}`)
	_ = json.Unmarshal([]byte(out), &notice)
	if round.ID == "" || site.ID == "" || notice.ID == "" || len(site.Slots) == 0 {
		t.Fatal("could not set up the round, site and notice")
	}
	w.json("POST", "/v1/rounds/"+round.ID+"/bookings", w.tokens["residentA"], `{"slotId":"`+site.Slots[0].ID+`","residentIds":["`+resident.ResidentID+`"]}`)
	// A screening list of street sa with a row of the resident: its task.
	var listed struct{ List struct{ ID string } }
	_, _, out = w.call("POST", "/v1/streets/sa/screening-lists", "adminA", "text/csv", "姓名,手机号\n居民甲,13700000001\n")
	_ = json.Unmarshal([]byte(out), &listed)
	if listed.List.ID == "" {
		t.Fatalf("could not upload a screening list: %s", out)
	}

	e := &contract.Explorer{
		Checker: checker, Checked: true, Rand: rand.New(rand.NewPCG(8, 9)),
		Send: func(r *http.Request) (int, http.Header, []byte, error) {
			rec := httptest.NewRecorder()
			w.h.ServeHTTP(rec, r)
			return rec.Code, rec.Header(), rec.Body.Bytes(), nil
		},
		Tokens: w.tokens,
		IDs: map[string][]string{
			"communityId": {"ca", "cb"}, "streetId": {"sa", "sb"}, "roundId": {round.ID}, "siteId": {site.ID},
			"bookingId": {round.ID + "_" + resident.ResidentID}, "noticeId": {notice.ID}, "residentId": {resident.ResidentID},
			"listId": {listed.List.ID}, "taskId": {screening.TaskID(listed.List.ID, 2)},
		},
	}
	if err := e.Run(ctx, 1500); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests (%d valid, %d broken): statuses %v", e.Stats.Requests, e.Stats.Valid, e.Stats.Invalid, e.Stats.ByStatus)
	if e.Stats.Errors5xx > 0 || len(e.Stats.Refused) > 0 {
		t.Errorf("5xx: %d; valid requests refused as malformed: %v", e.Stats.Errors5xx, e.Stats.Refused)
	}
	if e.Stats.ByStatus[200]+e.Stats.ByStatus[201] < 100 {
		t.Errorf("only %d successes: the generator hardly reaches the handlers", e.Stats.ByStatus[200]+e.Stats.ByStatus[201])
	}
	_ = strings.TrimSpace
}
