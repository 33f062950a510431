package audit_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// as authenticates every request as one principal.
type as struct{ p auth.Principal }

func (a as) Authenticate(r *http.Request) (context.Context, httpapi.Caller, error) {
	return auth.WithPrincipal(r.Context(), a.p), httpapi.Caller{ID: a.p.UserID, Roles: a.p.Roles}, nil
}

// failing is the table refusing every entry.
type failing struct{ *store.Store }

func (failing) AppendAudit(context.Context, audit.Entry, time.Time) error {
	return errors.New("the table is down")
}

var param = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// spies serve every op of the manifest, recording which ran.
func spies(ran map[string]bool) httpapi.Handlers {
	h := httpapi.Handlers{}
	for _, r := range manifest.Routes(manifest.Functions) {
		op := r.Op
		h[op] = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			ran[op] = true
			w.WriteHeader(http.StatusCreated)
		})
	}
	return h
}

func call(t *testing.T, h http.Handler, r manifest.Route) *httptest.ResponseRecorder {
	t.Helper()
	path := param.ReplaceAllString(r.Path, "x-$1")
	req := httptest.NewRequest(r.Method, path, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "203.0.113.9:4000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestNothingChangesWithoutAnEntry: for every route of the manifest that
// staff or admins may call to change data, a request whose entry cannot be
// written never reaches its handler; with the log up, each leaves one
// entry, with its ids and its outcome.
func TestNothingChangesWithoutAnEntry(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	staff := auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	admin := auth.Principal{UserID: "u-a", Role: manifest.RoleAdmin, StreetID: "s1"}.Normalized()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Now()

	audited := 0
	seen := map[string]bool{}
	for _, r := range manifest.Routes(manifest.Functions) {
		if !httpapi.RecordsChanges([]manifest.Route{r}) {
			continue
		}
		audited++
		seen[r.Op] = true
		who := staff
		if !r.Access.Allows(manifest.RoleStaff) {
			who = admin
		}
		ran := map[string]bool{}
		down, err := httpapi.NewRouter(manifest.Routes(manifest.Functions), spies(ran), httpapi.Options{Logger: quiet, Auth: as{who},
			Idempotency: st, Audit: &audit.Recorder{Store: failing{st}, Streets: st, Now: time.Now}})
		if err != nil {
			t.Fatal(err)
		}
		rec := call(t, down, r)
		if ran[r.Op] || rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "AUDIT_UNAVAILABLE") {
			t.Errorf("%s with the log down: ran %v, %d %s", r.Pattern(), ran[r.Op], rec.Code, rec.Body.String())
		}
		up, err := httpapi.NewRouter(manifest.Routes(manifest.Functions), spies(ran), httpapi.Options{Logger: quiet, Auth: as{who},
			Idempotency: st, Audit: &audit.Recorder{Store: st, Streets: st, Now: time.Now}})
		if err != nil {
			t.Fatal(err)
		}
		if rec := call(t, up, r); !ran[r.Op] || rec.Code != http.StatusCreated {
			t.Errorf("%s with the log up: ran %v, %d", r.Pattern(), ran[r.Op], rec.Code)
		}
	}
	for _, op := range []string{"importResidents", "createStaff", "setZones", "createNotice", "createBookings", "checkIn", "closeSite",
		"setOrderStatus", "claimHelp", "approveVolunteer", "activate", "createCommunity"} {
		if !seen[op] {
			t.Errorf("%s changes data and is not recorded", op)
		}
	}
	trail := &audit.Recorder{Store: st, Streets: st, Now: time.Now}
	// Read in pages of 7: every entry once, each with its outcome, whether
	// a page ends on an entry or on its outcome.
	var entries []audit.Entry
	ids := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := trail.Day(context.Background(), admin, "s1", "", cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 7 || pages > audited {
			t.Fatalf("page %d: %d entries", pages, len(page))
		}
		for _, e := range page {
			if ids[e.RequestID] {
				t.Errorf("entry %s on two pages", e.RequestID)
			}
			ids[e.RequestID] = true
		}
		entries = append(entries, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(entries) != audited {
		t.Fatalf("%d entries for %d recorded requests", len(entries), audited)
	}
	if _, _, err := trail.Day(context.Background(), admin, "s1", "", "bm90LWEtY3Vyc29y", 7); err == nil {
		t.Error("a forged cursor was taken")
	}
	for _, e := range entries {
		if e.Status != http.StatusCreated || e.IP != "203.0.113.9" || e.StreetID != "s1" || e.At.Before(now.Add(-time.Second)) {
			t.Errorf("entry %+v", e)
		}
		for name, v := range e.IDs {
			if v != "x-"+name {
				t.Errorf("%s: id %s=%q", e.Op, name, v)
			}
		}
	}
	// Only the street's admins read it.
	for _, p := range []auth.Principal{staff, auth.Principal{UserID: "u-b", Role: manifest.RoleAdmin, StreetID: "s2"}.Normalized()} {
		if _, _, err := trail.Day(context.Background(), p, "s1", "", "", 10); err == nil {
			t.Errorf("%s read street s1's log", p.UserID)
		}
	}
	// A resident's own request is theirs, not an action on others' data.
	resident := auth.Principal{UserID: "r1", Role: manifest.RoleResident, HouseholdID: "h1", ResidentID: "r1", ResidentCommunityID: "c1"}.Normalized()
	if httpapi.RecordsChanges(nil) || audit.Audits(manifest.Route{Method: "POST"}, resident.Roles) {
		t.Error("a resident's request is recorded")
	}
}

// TestTheLogNamesTheVolunteersWhoActed: a field action is read back with
// the volunteer's name (looked up when the log is read); staff's entries
// carry their id only.
func TestTheLogNamesTheVolunteersWhoActed(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	if err := st.CreateVolunteer(ctx, volunteers.Volunteer{ID: "v-lead", CommunityID: "c1", Name: "李楼长", Phone: "13600000001",
		Category: "individual", Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusApproved, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, e := range []audit.Entry{
		{At: now, RequestID: "r1", UserID: "v-lead", Roles: []string{"volunteer"}, StreetID: "s1", CommunityID: "c1", Op: "callBuilding", Method: "POST", Path: "/v1/rounds/r/buildings/b/call", Status: 201},
		{At: now.Add(time.Millisecond), RequestID: "r2", UserID: "u-s", Roles: []string{"staff"}, StreetID: "s1", CommunityID: "c1", Op: "setZones", Method: "POST", Path: "/v1/communities/c1/zones", Status: 201},
	} {
		if err := st.AppendAudit(ctx, e, now.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	rec := &audit.Recorder{Store: st, Streets: st, Volunteers: st, Now: time.Now}
	admin := auth.Principal{UserID: "u-a", Role: manifest.RoleAdmin, StreetID: "s1"}.Normalized()
	entries, _, err := rec.Day(ctx, admin, "s1", "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, e := range entries {
		names[e.Op] = e.Name
	}
	if names["callBuilding"] != "李楼长" || names["setZones"] != "" || len(entries) != 2 {
		t.Fatalf("names %v of %d entries", names, len(entries))
	}
}
