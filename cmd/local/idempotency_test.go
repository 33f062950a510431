package main

import (
	"context"
	"encoding/json"
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
	"github.com/fangxian/fangxian/shared/store"
)

// TestIdempotencyKeysOnCreates replays creates through the whole router: the
// same key and body answer the first answer and create nothing more; the key
// with another body is refused; another caller's same key is theirs.
func TestIdempotencyKeysOnCreates(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	dynamolocal.SeedCommunity(t, st, "sa", "ca", "13900000010")
	d, err := newDeps(context.Background(), st, config{})
	if err != nil {
		t.Fatal(err)
	}
	d.ready = func() error { return nil }
	h, err := newHandler(d, logging.New(io.Discard, slog.LevelError))
	if err != nil {
		t.Fatal(err)
	}
	token := func(p auth.Principal) string {
		tok, _, err := d.issuer.Issue(p)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	var postAs func(authorization, key, body string) (int, string, http.Header)
	staff := token(auth.Principal{UserID: "s1", Role: manifest.RoleStaff, CommunityID: "ca"}.Normalized())
	colleague := token(auth.Principal{UserID: "s2", Role: manifest.RoleStaff, CommunityID: "ca"}.Normalized())
	post := func(tok, key, body string) (int, string, http.Header) {
		return postAs("Bearer "+tok, key, body)
	}
	postAs = func(authorization, key, body string) (int, string, http.Header) {
		req := httptest.NewRequest("POST", "/v1/communities/ca/rounds", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", authorization)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String(), rec.Header()
	}
	round := func(name string) string {
		start := time.Now().Add(time.Hour).Format(time.RFC3339)
		end := time.Now().Add(5 * time.Hour).Format(time.RFC3339)
		return `{"name":"` + name + `","startsAt":"` + start + `","endsAt":"` + end + `","slotMinutes":30}`
	}
	body := round("第6轮")
	code1, first, _ := post(staff, "round-key-0001", body)
	code2, second, hdr := post(staff, "round-key-0001", body)
	if code1 != 201 || code2 != 201 || first != second || hdr.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s / %d %s %v", code1, first, code2, second, hdr)
	}
	if code, out, _ := post(staff, "round-key-0001", round("第7轮")); code != 422 || !strings.Contains(out, "IDEMPOTENCY_KEY_REUSED") {
		t.Fatalf("reused key: %d %s", code, out)
	}
	if code, out, _ := post(staff, "short", body); code != 400 {
		t.Fatalf("malformed key: %d %s", code, out)
	}
	// The same person is the same caller however the header is written and
	// whichever sign-in the token comes from.
	time.Sleep(1100 * time.Millisecond) // a later token (iat is in seconds)
	again := token(auth.Principal{UserID: "s1", Role: manifest.RoleStaff, CommunityID: "ca"}.Normalized())
	if again == staff {
		t.Fatal("the second sign-in's token is the first's")
	}
	for _, h := range []string{"bearer " + staff, "Bearer   " + staff, "BEARER " + staff, "Bearer " + again} {
		code, out, hdr := postAs(h, "round-key-0001", body)
		if code != 201 || out != first || hdr.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("%.12q…: %d %s (a duplicate round)", h, code, out)
		}
	}
	code3, third, _ := post(colleague, "round-key-0001", body)
	if code3 != 201 || third == first {
		t.Fatalf("another caller's key: %d %s", code3, third)
	}
	var a, b struct{ ID string }
	_ = json.Unmarshal([]byte(first), &a)
	_ = json.Unmarshal([]byte(third), &b)
	if a.ID == "" || a.ID == b.ID {
		t.Fatalf("ids %q %q", a.ID, b.ID)
	}
	// Without a key, each request creates.
	_, x, _ := post(staff, "", body)
	_, y, _ := post(staff, "", body)
	if x == y {
		t.Fatal("two keyless creates answered the same")
	}
}
