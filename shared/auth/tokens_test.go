package auth

import (
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fangxian/fangxian/shared/manifest"
)

func newIssuer(t *testing.T, now func() time.Time) *Issuer {
	t.Helper()
	priv, _, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	iss, err := NewIssuer(priv, now)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func TestTokenRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	iss := newIssuer(t, func() time.Time { return now })
	p := Principal{UserID: "u1", Role: manifest.RoleResident, CommunityID: "c1", HouseholdID: "h1"}
	tok, exp, err := iss.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(TokenTTL)) {
		t.Errorf("expires %v", exp)
	}
	got, err := iss.Verify(tok)
	if err != nil || got != p {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestTokenRefusals(t *testing.T) {
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	iss := newIssuer(t, func() time.Time { return now })
	other := newIssuer(t, func() time.Time { return now })
	good, _, _ := iss.Issue(Principal{UserID: "u1", Role: manifest.RoleStaff, CommunityID: "c1"})
	forged, _, _ := other.Issue(Principal{UserID: "u1", Role: manifest.RoleAdmin, StreetID: "s1"})
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + strings.TrimRight(jwtSeg(`{"iss":"fangxian","sub":"u1","role":"admin","exp":9999999999}`), "=") + "." + parts[2]
	hs256, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "fangxian", "sub": "u1", "role": "admin", "exp": now.Add(time.Hour).Unix()}).SignedString([]byte("guess"))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": "fangxian", "sub": "u1", "role": "admin", "exp": now.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	badRole, _, _ := iss.Issue(Principal{UserID: "u1", Role: "root"})

	cases := map[string]string{
		"signed by another key": forged,
		"tampered claims":       tampered,
		"HS256":                 hs256,
		"alg none":              none,
		"unknown role":          badRole,
		"garbage":               "abc.def.ghi",
		"empty":                 "",
	}
	for name, tok := range cases {
		if _, err := iss.Verify(tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	expired := &Verifier{key: &iss.key.PublicKey, now: func() time.Time { return now.Add(TokenTTL + time.Second) }}
	if _, err := expired.Verify(good); err == nil {
		t.Error("an expired token was accepted")
	}
}

func jwtSeg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestAuthenticateHeader(t *testing.T) {
	iss := newIssuer(t, time.Now)
	tok, _, _ := iss.Issue(Principal{UserID: "u1", Role: manifest.RoleStaff, CommunityID: "c1"})
	cases := map[string]bool{
		"Bearer " + tok: true,
		"bearer " + tok: true,
		tok:             false,
		"Basic " + tok:  false,
		"Bearer ":       false,
		"":              false,
	}
	for header, ok := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", header)
		ctx, role, err := iss.Authenticate(r)
		if (err == nil) != ok {
			t.Errorf("%.20q: err %v", header, err)
			continue
		}
		if ok {
			p, found := PrincipalFrom(ctx)
			if !found || p.UserID != "u1" || role != manifest.RoleStaff {
				t.Errorf("principal %+v", p)
			}
		}
	}
}
