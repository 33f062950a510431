package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sheet"
	"github.com/fangxian/fangxian/shared/store"
)

// world is two streets (sa with community ca, sb with cb), their admins and
// staff, and a few residents of ca, served by the whole router.
type world struct {
	t      *testing.T
	st     *store.Store
	d      *deps
	h      http.Handler
	tokens map[string]string
}

// seedTwoStreets makes streets sa (community ca) and sb (cb), each with an
// admin and a staff member, and imports residentsCSV into ca.
func seedTwoStreets(t *testing.T, st *store.Store, residentsCSV string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	for _, s := range []struct{ street, community, admin, staff string }{
		{"sa", "ca", "13900000010", "13900000011"},
		{"sb", "cb", "13900000020", "13900000021"},
	} {
		if err := st.CreateStreetWithAdmin(ctx, registry.Street{ID: s.street, Name: s.street},
			registry.Staff{ID: "admin-" + s.street, Name: "a", Phone: s.admin, CreatedAt: now}, false, false); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateCommunity(ctx, registry.Community{ID: s.community, StreetID: s.street, Name: s.community}); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateStaff(ctx, registry.Staff{ID: "staff-" + s.community, Name: "s", Phone: s.staff, CommunityID: s.community, CreatedAt: now}, manifest.RoleStaff, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "ca", []byte(residentsCSV)); err != nil {
		t.Fatal(err)
	}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	seedTwoStreets(t, st, "building,unit,room,name,phone\n1号楼,1,101,居民甲,13700000001\n1号楼,1,102,居民乙,13700000002\n")
	d, err := newDeps(ctx, st, config{})
	if err != nil {
		t.Fatal(err)
	}
	d.ready = func() error { return nil }
	d.verifier.Refresh = time.Nanosecond // revocations take effect at once
	h, err := newHandler(d, logging.New(io.Discard, slog.LevelError))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, st: st, d: d, h: h, tokens: map[string]string{}}
	for who, p := range map[string]auth.Principal{
		"adminA": {UserID: "admin-sa", Role: manifest.RoleAdmin, StreetID: "sa"},
		"adminB": {UserID: "admin-sb", Role: manifest.RoleAdmin, StreetID: "sb"},
		"staffA": {UserID: "staff-ca", Role: manifest.RoleStaff, CommunityID: "ca"},
	} {
		w.tokens[who] = w.issue(p)
	}
	return w
}

func (w *world) issue(p auth.Principal) string {
	tok, _, err := w.d.issuer.Issue(p.Normalized())
	if err != nil {
		w.t.Fatal(err)
	}
	return tok
}

// call sends a request as who (a token, or a name of w.tokens) and answers
// the status and the error code.
func (w *world) call(method, path, token, contentType, body string) (int, string, string) {
	if tok, ok := w.tokens[token]; ok {
		token = tok
	}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	var env struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &env)
	return rec.Code, env.Error.Code, rec.Body.String()
}

func (w *world) json(method, path, token, body string) (int, string, string) {
	return w.call(method, path, token, "application/json", body)
}

// TestStaffCannotTakeAResidentsPhone (issue 8, item 6).
func TestStaffCannotTakeAResidentsPhone(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	resident, _ := w.st.AccountByPhone(ctx, "13700000001")
	residentToken := w.issue(resident.Principal)

	// Another street's admin, confirmed or not: the phone is taken, and the
	// answer does not say by whom.
	for _, body := range []string{`{"name":"冒名","phone":"13700000001"}`, `{"name":"冒名","phone":"13700000001","confirmResident":true}`} {
		if code, got, out := w.json("POST", "/v1/communities/cb/staff", "adminB", body); code != 409 || got != "PHONE_TAKEN" {
			t.Fatalf("another street: %d %s", code, out)
		}
	}
	// Another community's staff phone, even in the admin's own street.
	if code, got, _ := w.json("POST", "/v1/communities/ca/staff", "adminA", `{"name":"x","phone":"13900000021","confirmResident":true}`); got != "PHONE_TAKEN" {
		t.Fatalf("a staff phone: %d %s", code, got)
	}
	if acct, _ := w.st.AccountByPhone(ctx, "13700000001"); acct.UserID != resident.UserID || acct.Has(manifest.RoleStaff) {
		t.Fatalf("the resident's account changed: %+v", acct)
	}
	// The resident's own street: only when the admin confirms.
	if code, got, _ := w.json("POST", "/v1/communities/ca/staff", "adminA", `{"name":"居民甲","phone":"13700000001"}`); code != 409 || got != "PHONE_IS_RESIDENT" {
		t.Fatalf("unconfirmed: %d %s", code, got)
	}
	if code, _, out := w.json("POST", "/v1/communities/ca/staff", "adminA", `{"name":"居民甲","phone":"13700000001","confirmResident":true}`); code != 201 {
		t.Fatalf("confirmed: %d %s", code, out)
	}
	acct, _ := w.st.AccountByPhone(ctx, "13700000001")
	if !acct.Has(manifest.RoleStaff) || !acct.Has(manifest.RoleResident) || acct.HouseholdID != resident.HouseholdID {
		t.Fatalf("the person should be both: %+v", acct)
	}
	// One sign-in, both roles: their household and their community's work.
	both := w.issue(acct.Principal)
	for _, path := range []string{"/v1/me/bookings", "/v1/communities/ca/buildings", "/v1/me/notices"} {
		if code, _, out := w.call("GET", path, both, "", ""); code != 200 {
			t.Errorf("%s as resident and staff: %d %s", path, code, out)
		}
	}
	code, _, out := w.call("GET", "/v1/me", both, "", "")
	if code != 200 || !strings.Contains(out, `"household"`) || !strings.Contains(out, `"staff"`) {
		t.Errorf("/v1/me: %d %s", code, out)
	}
	// The resident's earlier token keeps working: their rights did not shrink.
	if code, _, out := w.call("GET", "/v1/me/bookings", residentToken, "", ""); code != 200 {
		t.Errorf("the earlier resident token: %d %s", code, out)
	}
}

// TestNamesRefuseInvisibleCharacters (issue 8, item 9): what staff type is
// shown to residents and put in SMS.
func TestNamesRefuseInvisibleCharacters(t *testing.T) {
	w := newWorld(t)
	start := time.Now().Add(time.Hour).Format(time.RFC3339)
	end := time.Now().Add(5 * time.Hour).Format(time.RFC3339)
	for _, bad := range []string{`东门\n【紧急】请点 http://x`, `东门\u202e`, `东\u200b门`, `东门\u0007`} {
		cases := []struct{ path, token, body string }{
			{"/v1/communities/ca/rounds", "staffA", `{"name":"` + bad + `","startsAt":"` + start + `","endsAt":"` + end + `","slotMinutes":30}`},
			{"/v1/communities/ca/notices", "staffA", `{"title":"` + bad + `","body":"b","audience":{"all":true},"channels":["app"]}`},
			{"/v1/communities/ca/notices", "staffA", `{"title":"t","body":"` + bad + `","audience":{"all":true},"channels":["app"]}`},
			{"/v1/streets/sa/communities", "adminA", `{"name":"` + bad + `"}`},
			{"/v1/communities/ca/staff", "adminA", `{"name":"` + bad + `","phone":"13655556666"}`},
		}
		for i, c := range cases {
			if i == 2 && strings.HasPrefix(bad, `东门\n`) {
				continue // a notice's body may have line breaks; it is never sent by SMS
			}
			if code, got, out := w.json("POST", c.path, c.token, c.body); code != 400 || got != "VALIDATION_FAILED" {
				t.Errorf("%s with %q: %d %s", c.path, bad, code, out)
			}
		}
	}
	var round struct{ ID string }
	_, _, out := w.json("POST", "/v1/communities/ca/rounds", "staffA", `{"name":"第5轮","startsAt":"`+start+`","endsAt":"`+end+`","slotMinutes":30}`)
	_ = json.Unmarshal([]byte(out), &round)
	if code, got, out := w.json("POST", "/v1/rounds/"+round.ID+"/sites", "staffA", `{"name":"东门\n【紧急】","lanes":1,"perLanePerSlot":10}`); code != 400 || got != "VALIDATION_FAILED" {
		t.Errorf("a site: %d %s", code, out)
	}
}

// TestBodiesMustBeLabelledJSON (issue 8, item 11): a page elsewhere can post
// text/plain or a form to any site without a CORS preflight.
func TestBodiesMustBeLabelledJSON(t *testing.T) {
	w := newWorld(t)
	body := `{"title":"t","body":"b","audience":{"all":true},"channels":["app"]}`
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=gbk"} {
		if code, got, _ := w.call("POST", "/v1/communities/ca/notices", "staffA", ct, body); code != 415 || got != "UNSUPPORTED_MEDIA_TYPE" {
			t.Errorf("content type %q: %d %s", ct, code, got)
		}
	}
	if code, _, out := w.call("POST", "/v1/communities/ca/notices", "staffA", "application/json; charset=utf-8", body); code != 201 {
		t.Errorf("JSON: %d %s", code, out)
	}
}

// TestClientMistakesAreNotOutages (issue 8, item 12): input DynamoDB would
// refuse is refused first, as the client's mistake.
func TestClientMistakesAreNotOutages(t *testing.T) {
	w := newWorld(t)
	cursor := func(m map[string]string) string {
		b, _ := json.Marshal(m)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	start := time.Now().Add(-time.Hour).Format(time.RFC3339)
	end := time.Now().Add(5 * time.Hour).Format(time.RFC3339)
	var round struct{ ID string }
	_, _, out := w.json("POST", "/v1/communities/ca/rounds", "staffA", `{"name":"r","startsAt":"`+start+`","endsAt":"`+end+`","slotMinutes":30,"allowPastStart":true}`)
	_ = json.Unmarshal([]byte(out), &round)
	cases := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/v1/communities/ca/buildings?cursor=" + cursor(map[string]string{"PK": "COMMUNITY#ca"}), "", 400},
		{"GET", "/v1/communities/ca/buildings?cursor=" + cursor(map[string]string{"PK": "COMMUNITY#ca", "SK": "BUILDING#x", "GSI1PK": "y"}), "", 400},
		{"GET", "/v1/communities/ca/buildings?cursor=" + cursor(map[string]string{"PK": "COMMUNITY#ca", "SK": strings.Repeat("x", 2000)}), "", 400},
		{"GET", "/v1/communities/ca/residents?name=" + cursor(nil) + "&cursor=" + cursor(map[string]string{"GSI1PK": "NAMES#ca", "GSI1SK": "a"}), "", 400},
		{"GET", "/v1/communities/ca/residents?name=%20", "", 400},
		{"GET", "/v1/communities/ca/residents?name=%E2%80%8B", "", 400},
		{"POST", "/v1/rounds/" + round.ID + "/checkins", `{"code":"` + strings.Repeat("A", 1020) + `"}`, 400},
		{"POST", "/v1/rounds/" + round.ID + "/checkins", `{"code":"ab-cd!"}`, 400},
	}
	for _, c := range cases {
		code, got, out := w.json(c.method, c.path, "staffA", c.body)
		if code != c.want {
			t.Errorf("%s %.80s: %d %s %s", c.method, c.path, code, got, out)
		}
	}
}

// TestRevokedTokensStopWorking (issue 8, item 10): a phone released by an
// import takes its old token's access with it.
func TestRevokedTokensStopWorking(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	resident, _ := w.st.AccountByPhone(ctx, "13700000002")
	tok := w.issue(resident.Principal)
	if code, _, out := w.call("GET", "/v1/me", tok, "", ""); code != 200 {
		t.Fatalf("before: %d %s", code, out)
	}
	time.Sleep(1100 * time.Millisecond) // the revocation's second is after the token's
	csv := "building,unit,room,name,phone\n1号楼,1,102,居民乙,13800000002\n"
	if code, _, out := w.call("POST", "/v1/communities/ca/imports", "staffA", "text/csv", csv); code != 200 {
		t.Fatalf("import: %d %s", code, out)
	}
	if code, got, _ := w.call("GET", "/v1/me", tok, "", ""); code != 401 || got != "TOKEN_INVALID" {
		t.Fatalf("the released phone's token: %d %s", code, got)
	}
}

// TestImportStopsBeforeTheDeadline (issue 8, item 15): an import that would
// outlive the function answers 503 IMPORT_INCOMPLETE in time, and the same
// file again completes it.
func TestImportStopsBeforeTheDeadline(t *testing.T) {
	t.Parallel() // its own table: it runs beside the others
	w := newWorld(t)
	var b strings.Builder
	b.WriteString("building,unit,room,name,phone\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "%d号楼,1,%d,居民%d,158%08d\n", 10+i%20, 100+i, i, i)
	}
	req := httptest.NewRequest("POST", "/v1/communities/ca/imports", strings.NewReader(b.String()))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+w.tokens["staffA"])
	// The function has 3.3 s left, 0.3 s after the margin: not enough.
	ctx, cancel := context.WithTimeout(req.Context(), 3300*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	start := time.Now()
	w.h.ServeHTTP(rec, req.WithContext(ctx))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "IMPORT_INCOMPLETE") || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("answered after %v, past the margin", took)
	}
	code, _, out := w.call("POST", "/v1/communities/ca/imports", "staffA", "text/csv", b.String())
	var rep struct {
		Imported  int
		Residents struct{ Created, Unchanged int }
	}
	_ = json.Unmarshal([]byte(out), &rep)
	if code != 200 || rep.Imported != 3000 || rep.Residents.Created+rep.Residents.Unchanged != 3000 {
		t.Fatalf("the same file again: %d %s", code, out)
	}
}

// TestWorkbooksInAndOut: the register comes as an Excel workbook as well as
// a CSV; a body labelled a workbook that is none is refused with nothing
// imported; a CSV export comes as a workbook with ?format=xlsx.
func TestWorkbooksInAndOut(t *testing.T) {
	w := newWorld(t)
	book, err := sheet.XLSX("Sheet1", []string{"building", "unit", "room", "name", "phone"},
		[][]string{{"7号楼", "1", "101", "表格居民甲", "15800000001"}, {"7号楼", "1", "102", "表格居民乙", ""}})
	if err != nil {
		t.Fatal(err)
	}
	code, _, out := w.call("POST", "/v1/communities/ca/imports", "staffA", sheet.MediaType, string(book))
	if code != 200 || !strings.Contains(out, `"imported":2`) {
		t.Fatalf("a workbook's register: %d %s", code, out)
	}
	for name, body := range map[string]string{"a CSV labelled a workbook": "building,unit,room,name\n8号楼,1,101,甲\n", "a zip bomb's first bytes": "PK\x03\x04"} {
		if code, got, out := w.call("POST", "/v1/communities/ca/imports", "staffA", sheet.MediaType, body); code != 400 || got != "VALIDATION_FAILED" || !strings.Contains(out, "Excel") {
			t.Errorf("%s: %d %s", name, code, out)
		}
	}
	code, _, out = w.call("GET", "/v1/communities/ca/volunteer-hours?format=xlsx&month=2026-12", "staffA", "", "")
	if code != 200 {
		t.Fatalf("an export as a workbook: %d %s", code, out)
	}
	csv, err := sheet.CSV([]byte(out))
	if err != nil || !strings.HasPrefix(string(csv), "月份,志愿者,类别,人数,班次,时长(小时)") {
		t.Fatalf("the workbook reads %q %v", csv, err)
	}
	if code, got, _ := w.call("GET", "/v1/communities/ca/volunteer-hours?format=pdf&month=2026-12", "staffA", "", ""); code != 400 || got != "VALIDATION_FAILED" {
		t.Fatalf("an unknown format: %d %s", code, got)
	}
}
