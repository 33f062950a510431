package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fangxian/fangxian/shared/manifest"
)

const aud = "fangxian-test"

// published is a token state held in memory: what the table holds in a
// deployment (the store's TokenState is tested against DynamoDB Local).
type published struct {
	mu    sync.Mutex
	state TokenState
	reads int
}

func (p *published) TokenState(context.Context) (TokenState, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reads++
	st := TokenState{Keys: append([]PublicKey(nil), p.state.Keys...), Revoked: map[string]time.Time{}}
	for k, v := range p.state.Revoked {
		st.Revoked[k] = v
	}
	return st, nil
}

func (p *published) publish(k PublicKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state.Keys = append(p.state.Keys, k)
}

func (p *published) revoke(userID string, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state.Revoked == nil {
		p.state.Revoked = map[string]time.Time{}
	}
	p.state.Revoked[userID] = at
}

func newIssuer(t *testing.T, audience string, now func() time.Time) *Issuer {
	t.Helper()
	priv, _, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	iss, err := NewIssuer(priv, audience, now)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

// setup is an issuer whose key is published, and a verifier that reads it
// afresh every time (Refresh 1 ns), on a clock the test moves.
func setup(t *testing.T) (*Issuer, *Verifier, *published, *fixedClock) {
	t.Helper()
	clock := &fixedClock{time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
	iss := newIssuer(t, aud, clock.now)
	pub := &published{}
	pub.publish(iss.PublicKey())
	v := NewVerifier(aud, pub, clock.now)
	v.Refresh = time.Nanosecond
	return iss, v, pub, clock
}

func TestTokenRoundTrip(t *testing.T) {
	iss, v, _, clock := setup(t)
	cases := []Principal{
		{UserID: "r1", Role: manifest.RoleResident, CommunityID: "c1", HouseholdID: "h1"},
		{UserID: "u1", Role: manifest.RoleStaff, CommunityID: "c1"},
		{UserID: "a1", Role: manifest.RoleAdmin, StreetID: "s1"},
		// One person, three roles: staff of c1, resident of c2, volunteer of c1.
		{UserID: "u2", StaffCommunityID: "c1", HouseholdID: "h9", ResidentID: "r9", ResidentCommunityID: "c2", VolunteerID: "v9", VolunteerCommunityID: "c1"},
	}
	for _, p := range cases {
		tok, exp, err := iss.Issue(p)
		if err != nil {
			t.Fatal(err)
		}
		if !exp.Equal(clock.t.Add(TokenTTL)) {
			t.Errorf("expires %v", exp)
		}
		got, err := v.Verify(context.Background(), tok)
		if err != nil || !reflect.DeepEqual(got, p.Normalized()) {
			t.Errorf("%+v: got %+v, %v", p.Normalized(), got, err)
		}
	}
	multi, _ := v.Verify(context.Background(), mustIssue(t, iss, cases[3]))
	if multi.Role != manifest.RoleStaff || !multi.Has(manifest.RoleResident) || !multi.Has(manifest.RoleVolunteer) || multi.CommunityID != "c1" {
		t.Errorf("several roles: %+v", multi)
	}
}

func mustIssue(t *testing.T, iss *Issuer, p Principal) string {
	t.Helper()
	tok, _, err := iss.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sign makes a token with any claims, signed by iss's key and naming its kid.
func sign(t *testing.T, iss *Issuer, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(lowS, claims)
	tok.Header["kid"] = iss.kid
	s, err := tok.SignedString(iss.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenRefusals(t *testing.T) {
	iss, v, _, clock := setup(t)
	now := clock.t
	other := newIssuer(t, aud, clock.now)
	good := mustIssue(t, iss, Principal{UserID: "u1", Role: manifest.RoleStaff, CommunityID: "c1"})
	forged := mustIssue(t, other, Principal{UserID: "u1", Role: manifest.RoleAdmin, StreetID: "s1"})
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + jwtSeg(`{"iss":"fangxian","sub":"u1","role":"admin","sid":"s1","aud":["fangxian-test"],"exp":9999999999}`) + "." + parts[2]
	hs256, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "fangxian", "sub": "u1", "role": "admin", "exp": now.Add(time.Hour).Unix()}).SignedString([]byte("guess"))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": "fangxian", "sub": "u1", "role": "admin", "exp": now.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	claims := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "fangxian", "sub": "u1", "role": "staff", "scid": "c1", "aud": []string{aud},
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	cases := map[string]string{
		"signed by another key":       forged,
		"tampered claims":             tampered,
		"HS256":                       hs256,
		"alg none":                    none,
		"high-S twin of a good token": malleate(t, good),
		"unknown role":                sign(t, iss, claims(jwt.MapClaims{"role": "root"})),
		"role without its scope":      sign(t, iss, claims(jwt.MapClaims{"role": "admin", "roles": []string{"admin"}, "scid": ""})),
		"another stage's audience":    sign(t, iss, claims(jwt.MapClaims{"aud": []string{"fangxian-prod"}})),
		"no audience":                 sign(t, iss, claims(jwt.MapClaims{"aud": nil})),
		"a hundred years":             sign(t, iss, claims(jwt.MapClaims{"exp": now.AddDate(100, 0, 0).Unix()})),
		"issued in the future":        sign(t, iss, claims(jwt.MapClaims{"iat": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()})),
		"no issued-at":                sign(t, iss, claims(jwt.MapClaims{"iat": nil})),
		"no expiry":                   sign(t, iss, claims(jwt.MapClaims{"exp": nil})),
		"another issuer":              sign(t, iss, claims(jwt.MapClaims{"iss": "evil"})),
		"garbage":                     "abc.def.ghi",
		"empty":                       "",
		"a kid no one published":      strings.Replace(good, parts[0], jwtSeg(`{"alg":"ES256","kid":"nope","typ":"JWT"}`), 1),
	}
	for name, tok := range cases {
		if _, err := v.Verify(context.Background(), tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	clock.t = now.Add(TokenTTL + time.Second)
	if _, err := v.Verify(context.Background(), good); err == nil {
		t.Error("an expired token was accepted")
	}
}

// malleate turns a token's ECDSA signature (r, s) into (r, n−s): valid for
// plain ECDSA verification.
func malleate(t *testing.T, token string) string {
	t.Helper()
	i := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(p256N, s)
	out := append([]byte(nil), sig[:32]...)
	out = append(out, s.FillBytes(make([]byte, 32))...)
	return token[:i+1] + base64.RawURLEncoding.EncodeToString(out)
}

func TestIssuedSignaturesAreLowS(t *testing.T) {
	iss, _, _, _ := setup(t)
	for i := 0; i < 64; i++ {
		tok := mustIssue(t, iss, Principal{UserID: "u1", Role: manifest.RoleStaff, CommunityID: "c1"})
		if err := requireLowS(tok); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		// The twin is still a valid plain ECDSA signature, so refusing it is
		// the verifier's doing, not a broken signature's.
		twin := malleate(t, tok)
		j := strings.LastIndexByte(twin, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(twin[j+1:])
		sum := sha256.Sum256([]byte(twin[:j]))
		if !ecdsa.Verify(&iss.key.PublicKey, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			t.Fatal("the twin does not verify as plain ECDSA")
		}
	}
	_ = rand.Reader
}

func TestRevocation(t *testing.T) {
	iss, v, pub, clock := setup(t)
	tok := mustIssue(t, iss, Principal{UserID: "r1", Role: manifest.RoleResident, CommunityID: "c1", HouseholdID: "h1"})
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Minute)
	pub.revoke("r1", clock.t)
	if _, err := v.Verify(context.Background(), tok); err == nil {
		t.Fatal("a revoked token was accepted")
	}
	clock.t = clock.t.Add(time.Second)
	fresh := mustIssue(t, iss, Principal{UserID: "r1", Role: manifest.RoleResident, CommunityID: "c1", HouseholdID: "h1"})
	if _, err := v.Verify(context.Background(), fresh); err != nil {
		t.Fatalf("a token issued after the revocation: %v", err)
	}
}

// TestRoleRevocation: revoking one role of a person (a volunteer
// deactivated) takes that role from their live tokens, not the others;
// a token with nothing left is refused.
func TestRoleRevocation(t *testing.T) {
	iss, v, pub, clock := setup(t)
	ctx := context.Background()
	both := mustIssue(t, iss, Principal{UserID: "s1", StaffCommunityID: "c1", VolunteerID: "v1", VolunteerCommunityID: "c9"}.Normalized())
	only := mustIssue(t, iss, Principal{UserID: "v2", VolunteerID: "v2", VolunteerCommunityID: "c9"}.Normalized())
	for _, tok := range []string{both, only} {
		if p, err := v.Verify(ctx, tok); err != nil || !p.Has(manifest.RoleVolunteer) {
			t.Fatalf("before: %+v %v", p, err)
		}
	}
	clock.t = clock.t.Add(time.Minute)
	pub.revoke(RevocationOf("s1", manifest.RoleVolunteer), clock.t)
	pub.revoke(RevocationOf("v2", manifest.RoleVolunteer), clock.t)
	p, err := v.Verify(ctx, both)
	if err != nil || p.Has(manifest.RoleVolunteer) || !p.Has(manifest.RoleStaff) || p.StaffCommunityID != "c1" {
		t.Errorf("staff who were a volunteer too: %+v %v", p, err)
	}
	if _, err := v.Verify(ctx, only); err == nil {
		t.Error("a volunteer-only token outlived its role")
	}
}

// TestRotation: during a rotation the previous key and the new one are both
// published, and a verifier that has not read the new one yet reads it when a
// token names it.
func TestRotation(t *testing.T) {
	old, _, pub, clock := setup(t)
	v := NewVerifier(aud, pub, clock.now) // default refresh: reads seldom
	before := mustIssue(t, old, Principal{UserID: "u1", Role: manifest.RoleStaff, CommunityID: "c1"})
	if _, err := v.Verify(context.Background(), before); err != nil {
		t.Fatal(err)
	}
	next := newIssuer(t, aud, clock.now)
	pub.publish(next.PublicKey())
	after := mustIssue(t, next, Principal{UserID: "u1", Role: manifest.RoleStaff, CommunityID: "c1"})
	clock.t = clock.t.Add(forcedRefresh)
	for name, tok := range map[string]string{"the previous key's": before, "the new key's": after} {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Errorf("%s token: %v", name, err)
		}
	}
	// Unknown key ids cannot make a verifier read on every request.
	reads := pub.reads
	for range 20 {
		_, _ = v.Verify(context.Background(), sign(t, newIssuer(t, aud, clock.now), jwt.MapClaims{"sub": "x"}))
	}
	if pub.reads-reads > 1 {
		t.Errorf("20 tokens of unknown keys made %d reads", pub.reads-reads)
	}
}

func jwtSeg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestAuthenticateHeader(t *testing.T) {
	iss, v, _, _ := setup(t)
	tok := mustIssue(t, iss, Principal{UserID: "u1", Role: manifest.RoleStaff, CommunityID: "c1"})
	cases := map[string]bool{
		"Bearer " + tok:    true,
		"bearer " + tok:    true,
		"  Bearer  " + tok: true,
		tok:                false,
		"Basic " + tok:     false,
		"Bearer ":          false,
		"":                 false,
	}
	for header, ok := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", header)
		ctx, caller, err := v.Authenticate(r)
		if (err == nil) != ok {
			t.Errorf("%.20q: err %v", header, err)
			continue
		}
		if ok {
			p, found := PrincipalFrom(ctx)
			if !found || p.UserID != "u1" || caller.ID != "u1" || !reflect.DeepEqual(caller.Roles, []manifest.Role{manifest.RoleStaff}) {
				t.Errorf("principal %+v, caller %+v", p, caller)
			}
		}
	}
}

// TestRememberedTokensAreCheckedForWhatChanges: a token verified once is not
// verified again, but a withdrawn key, an expiry or a revocation still ends it.
func TestRememberedTokensAreCheckedForWhatChanges(t *testing.T) {
	iss, v, pub, clock := setup(t)
	tok := mustIssue(t, iss, Principal{UserID: "u1", Role: manifest.RoleStaff, CommunityID: "c1"})
	for range 3 {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	pub.mu.Lock()
	pub.state.Keys = nil // the key is withdrawn (rotate-keys -drop-previous)
	pub.mu.Unlock()
	clock.t = clock.t.Add(time.Second)
	if _, err := v.Verify(context.Background(), tok); err == nil {
		t.Fatal("a remembered token of a withdrawn key was accepted")
	}
	pub.publish(iss.PublicKey())
	clock.t = clock.t.Add(time.Second)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(TokenTTL)
	if _, err := v.Verify(context.Background(), tok); err == nil {
		t.Fatal("a remembered token was accepted after its expiry")
	}
}

// TestWarmInstancesSwitchToTheNewestKey: once a newer key is published and
// stored, a warm instance signs with it within seconds, not after its key's
// five-minute refresh: the old one can be withdrawn without leaving
// instances that sign tokens nobody accepts.
func TestWarmInstancesSwitchToTheNewestKey(t *testing.T) {
	clock := &fixedClock{time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
	oldPEM, _, _ := GenerateKey()
	newPEM, _, _ := GenerateKey()
	stored := oldPEM
	pub := &published{}
	v := NewVerifier(aud, pub, clock.now)
	v.Refresh = time.Nanosecond
	keys := &Keys{Load: func(context.Context) ([]byte, error) { return stored, nil }, Audience: aud, Now: clock.now, Newest: v.NewestKey}
	old, _ := NewIssuer(oldPEM, aud, clock.now)
	pub.publish(old.PublicKey())
	iss, err := keys.Issuer(context.Background())
	if err != nil || iss.PublicKey().ID != old.PublicKey().ID {
		t.Fatalf("first key %v", err)
	}
	clock.t = clock.t.Add(time.Minute) // a rotation: published, then stored
	next, _ := NewIssuer(newPEM, aud, clock.now)
	pub.publish(next.PublicKey())
	stored = newPEM
	clock.t = clock.t.Add(keyCheck)
	iss, err = keys.Issuer(context.Background())
	if err != nil || iss.PublicKey().ID != next.PublicKey().ID {
		t.Fatalf("a warm instance a few seconds after the rotation still signs with the old key (%v)", err)
	}
}
