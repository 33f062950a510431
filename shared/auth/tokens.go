package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/manifest"
)

// Tokens are ES256 JWTs. Only the auth function holds the private key (from
// SSM Parameter Store in the cloud); every other function verifies with the
// published public keys alone, so no other function can mint a token. The
// public keys live in the table (see TokenState), so a key rotation needs no
// redeploy: verifiers accept every published key, the current and the
// previous one, and a token names its key by id (kid).

// TokenTTL is how long a token is valid: a working day and a night, so staff
// on a long shift and residents between two uses are not signed out midway.
const TokenTTL = 24 * time.Hour

// clockSkew is the most a token's iat may lie in the future.
const clockSkew = 5 * time.Second

const issuer = "fangxian"

// Audience is the aud claim of a stage's tokens: a token of one stage (a
// test deployment) is worthless against another (prod).
func Audience(stage string) string { return "fangxian-" + stage }

// ErrTokenInvalid is a missing, malformed, forged, revoked or expired token.
var ErrTokenInvalid = apperr.New(apperr.KindUnauthenticated, "TOKEN_INVALID", "登录已失效，请重新登录", "The token is invalid or expired, sign in again")

type claims struct {
	jwt.RegisteredClaims
	Role                 manifest.Role   `json:"role"`
	Roles                []manifest.Role `json:"roles,omitempty"`
	StreetID             string          `json:"sid,omitempty"`
	StaffCommunityID     string          `json:"scid,omitempty"`
	HouseholdID          string          `json:"hid,omitempty"`
	ResidentID           string          `json:"rid,omitempty"`
	ResidentCommunityID  string          `json:"rcid,omitempty"`
	VolunteerID          string          `json:"vid,omitempty"`
	VolunteerCommunityID string          `json:"vcid,omitempty"`
}

// PublicKey is one published verification key.
type PublicKey struct {
	ID        string
	PEM       string
	CreatedAt time.Time
}

// TokenState is what verifiers read of the deployment: its published public
// keys and the revocations of the last TokenTTL.
type TokenState struct {
	Keys []PublicKey
	// Revoked maps a user id to the moment before which their tokens are
	// void, and RevocationOf(user, role) to the moment before which that
	// role of their tokens is.
	Revoked map[string]time.Time
}

// RevocationOf is the key of a revocation in TokenState.Revoked: the user's
// id, or, for one role of theirs, the id and the role.
func RevocationOf(userID string, role manifest.Role) string {
	if role == "" {
		return userID
	}
	return userID + "#" + string(role)
}

// unrevoked is p as a token issued at iat carries it now: without the
// roles revoked since; false when nothing is left of it.
func unrevoked(p Principal, iat time.Time, revoked map[string]time.Time) (Principal, bool) {
	if at, ok := revoked[p.UserID]; ok && iat.Before(at) {
		return Principal{}, false
	}
	if at, ok := revoked[RevocationOf(p.UserID, manifest.RoleVolunteer)]; ok && iat.Before(at) && p.VolunteerID != "" {
		p.VolunteerID, p.VolunteerCommunityID, p.Role, p.Roles = "", "", "", nil
		p = p.Normalized()
		if len(p.Roles) == 0 {
			return Principal{}, false
		}
	}
	return p, true
}

// TokenStateSource reads the deployment's token state (the table, in every
// function that checks tokens).
type TokenStateSource interface {
	TokenState(ctx context.Context) (TokenState, error)
}

// GenerateKey makes a new P-256 key pair, PEM-encoded (PKCS#8 private key,
// PKIX public key): the local runner does this at start, the operator command
// once per deployment and at each rotation.
func GenerateKey() (privatePEM, publicPEM []byte, err error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}

// KeyID names a public key by a digest of it, so the id needs no storage of
// its own and cannot disagree with the key.
func KeyID(pub *ecdsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10])), nil
}

// Issuer signs tokens with the private key.
type Issuer struct {
	key      *ecdsa.PrivateKey
	kid      string
	audience string
	now      func() time.Time
}

// NewIssuer reads a PEM private key; tokens get audience as their aud.
func NewIssuer(privatePEM []byte, audience string, now func() time.Time) (*Issuer, error) {
	k, err := jwt.ParseECPrivateKeyFromPEM(privatePEM)
	if err != nil {
		return nil, fmt.Errorf("auth: private key: %w", err)
	}
	if k.Curve != elliptic.P256() {
		return nil, errors.New("auth: the signing key is not P-256")
	}
	kid, err := KeyID(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &Issuer{key: k, kid: kid, audience: audience, now: now}, nil
}

// PublicKey is the key to publish for verifiers.
func (i *Issuer) PublicKey() PublicKey {
	der, _ := x509.MarshalPKIXPublicKey(&i.key.PublicKey)
	return PublicKey{ID: i.kid, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), CreatedAt: i.now().UTC().Truncate(time.Second)}
}

// Issue signs a token for p.
func (i *Issuer) Issue(p Principal) (string, time.Time, error) {
	p = p.Normalized()
	if !p.valid() {
		return "", time.Time{}, fmt.Errorf("auth: principal %q has roles %v without their scope", p.UserID, p.Roles)
	}
	now := i.now().Truncate(time.Second)
	exp := now.Add(TokenTTL)
	tok := jwt.NewWithClaims(lowS, claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   p.UserID,
			Audience:  jwt.ClaimStrings{i.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Role: p.Role, Roles: p.Roles, StreetID: p.StreetID, StaffCommunityID: p.StaffCommunityID,
		HouseholdID: p.HouseholdID, ResidentID: p.ResidentID, ResidentCommunityID: p.ResidentCommunityID,
		VolunteerID: p.VolunteerID, VolunteerCommunityID: p.VolunteerCommunityID,
	})
	tok.Header["kid"] = i.kid
	s, err := tok.SignedString(i.key)
	return s, exp, err
}

// Verifier checks tokens against the deployment's published keys and
// revocations, which it reads through Source and trusts for Refresh.
type Verifier struct {
	Audience string
	Source   TokenStateSource
	Now      func() time.Time
	// Refresh is how long a read token state is used (default 30 s): a
	// revocation or a new key reaches every function within it. A token
	// naming an unknown key makes it read again at once, at most every
	// forcedRefresh.
	Refresh time.Duration

	mu      sync.Mutex
	keys    map[string]*ecdsa.PublicKey
	revoked map[string]time.Time
	// newest is the published key made last: the one every issuer is to
	// sign with once it has read it.
	newest   string
	readAt   time.Time
	forcedAt time.Time

	// verified remembers tokens whose signature was checked: a client sends
	// the same token with every request, and an ECDSA verification is most
	// of what checking a token costs.
	verified  sync.Map // token → verifiedToken
	nVerified atomic.Int64
}

type verifiedToken struct {
	p        Principal
	kid      string
	iat, exp time.Time
}

// maxVerified bounds the remembered tokens of one function instance (about
// 1 KB each); past it the memory is cleared and filled again.
const maxVerified = 20000

const (
	defaultRefresh = 30 * time.Second
	forcedRefresh  = 10 * time.Second
)

// VerifierFromEnv checks the tokens of the stage in STAGE against what
// source publishes.
func VerifierFromEnv(source TokenStateSource) (*Verifier, error) {
	stage := os.Getenv("STAGE")
	if stage == "" {
		return nil, errors.New("STAGE is not set")
	}
	return NewVerifier(Audience(stage), source, time.Now), nil
}

// NewVerifier checks tokens of audience against what source publishes.
func NewVerifier(audience string, source TokenStateSource, now func() time.Time) *Verifier {
	return &Verifier{Audience: audience, Source: source, Now: now}
}

// state returns the keys and revocations, reading them when they are older
// than Refresh, or when force asks for a fresh read (an unknown key id).
func (v *Verifier) state(ctx context.Context, force bool) (map[string]*ecdsa.PublicKey, map[string]time.Time, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.Now()
	refresh := v.Refresh
	if refresh == 0 {
		refresh = defaultRefresh
	}
	stale := v.keys == nil || now.Sub(v.readAt) >= refresh
	if force && now.Sub(v.forcedAt) >= forcedRefresh {
		stale, v.forcedAt = true, now
	}
	if !stale {
		return v.keys, v.revoked, nil
	}
	st, err := v.Source.TokenState(ctx)
	if err != nil {
		if v.keys != nil {
			return v.keys, v.revoked, nil // keep serving with what was read last
		}
		return nil, nil, ErrKeysUnavailable.Wrap(err)
	}
	keys := map[string]*ecdsa.PublicKey{}
	newest, newestAt := "", time.Time{}
	for _, k := range st.Keys {
		pub, err := jwt.ParseECPublicKeyFromPEM([]byte(k.PEM))
		if err != nil {
			continue
		}
		if id, err := KeyID(pub); err == nil && id == k.ID {
			if k.CreatedAt.After(newestAt) || newest == "" {
				newest, newestAt = k.ID, k.CreatedAt
			}
			keys[k.ID] = pub
		}
	}
	v.keys, v.revoked, v.readAt, v.newest = keys, st.Revoked, now, newest
	return v.keys, v.revoked, nil
}

// NewestKey is the id of the published key made last (as read at most
// Refresh ago): the key issuers are to sign with.
func (v *Verifier) NewestKey(ctx context.Context) (string, error) {
	if _, _, err := v.state(ctx, false); err != nil {
		return "", err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.newest, nil
}

// Verify checks a token's signature (low-S only), algorithm, key, issuer,
// audience, lifetime and revocation. A token verified before is only checked
// again for what can change: its expiry, its key still published, and
// revocation.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	if hit, ok := v.verified.Load(token); ok {
		t := hit.(verifiedToken)
		keys, revoked, err := v.state(ctx, false)
		if err != nil {
			return Principal{}, err
		}
		if _, published := keys[t.kid]; published && t.exp.After(v.Now()) {
			if p, ok := unrevoked(t.p, t.iat, revoked); ok {
				return p, nil
			}
		}
		v.verified.Delete(token)
	}
	p, t, err := v.verify(ctx, token)
	if err != nil {
		return Principal{}, err
	}
	if v.nVerified.Add(1) > maxVerified {
		v.verified.Clear()
		v.nVerified.Store(1)
	}
	v.verified.Store(token, t)
	return p, nil
}

func (v *Verifier) verify(ctx context.Context, token string) (Principal, verifiedToken, error) {
	if err := requireLowS(token); err != nil {
		return Principal{}, verifiedToken{}, ErrTokenInvalid.Wrap(err)
	}
	var kid string
	var revoked map[string]time.Time
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ = t.Header["kid"].(string)
		keys, rev, err := v.state(ctx, false)
		if err != nil {
			return nil, err
		}
		k, ok := keys[kid]
		if !ok {
			if keys, rev, err = v.state(ctx, true); err != nil {
				return nil, err
			}
			if k, ok = keys[kid]; !ok {
				return nil, fmt.Errorf("unknown key id %q", kid)
			}
		}
		revoked = rev
		return k, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(v.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return v.Now().Add(clockSkew) }),
	)
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind == apperr.KindUnavailable {
			return Principal{}, verifiedToken{}, ae
		}
		return Principal{}, verifiedToken{}, ErrTokenInvalid.Wrap(err)
	}
	// WithTimeFunc is shifted by the skew for iat; expiry is checked here on
	// the real clock, and the lifetime against what this issuer gives.
	now := v.Now()
	if c.IssuedAt == nil || !c.ExpiresAt.After(now) || c.ExpiresAt.Sub(c.IssuedAt.Time) > TokenTTL {
		return Principal{}, verifiedToken{}, ErrTokenInvalid.Wrap(errors.New("expired, or a lifetime longer than tokens get"))
	}
	p := Principal{UserID: c.Subject, Role: c.Role, Roles: c.Roles, StreetID: c.StreetID, StaffCommunityID: c.StaffCommunityID,
		HouseholdID: c.HouseholdID, ResidentID: c.ResidentID, ResidentCommunityID: c.ResidentCommunityID,
		VolunteerID: c.VolunteerID, VolunteerCommunityID: c.VolunteerCommunityID}.Normalized()
	// The roles claimed must be exactly those the scopes give: what an
	// issuer of ours writes, nothing else.
	if !p.valid() || p.Role != c.Role || !slices.Equal(p.Roles, c.Roles) {
		return Principal{}, verifiedToken{}, ErrTokenInvalid.Wrap(fmt.Errorf("role %q, roles %v: not what the scopes give (%v)", c.Role, c.Roles, p.Roles))
	}
	// What was revoked since the token was issued: the whole token, or a
	// role it carries (the others stand).
	current, ok := unrevoked(p, c.IssuedAt.Time, revoked)
	if !ok {
		return Principal{}, verifiedToken{}, ErrTokenInvalid.Wrap(errors.New("revoked"))
	}
	return current, verifiedToken{p: p, kid: kid, iat: c.IssuedAt.Time, exp: c.ExpiresAt.Time}, nil
}

// Authenticate implements httpapi.Authenticator for bearer tokens.
func (v *Verifier) Authenticate(r *http.Request) (context.Context, httpapi.Caller, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, httpapi.Caller{}, apperr.Unauthenticated.Wrap(errors.New("no bearer token"))
	}
	p, err := v.Verify(r.Context(), strings.TrimSpace(token))
	if err != nil {
		return nil, httpapi.Caller{}, err
	}
	return WithPrincipal(r.Context(), p), httpapi.Caller{ID: p.UserID, Roles: p.Roles}, nil
}

// P-256's order and half of it: an ECDSA signature (r, s) is also valid as
// (r, n−s), so a verifier that takes both lets anyone make a second valid
// token from each one. Fangxian signs and accepts the low-S form only.
var (
	p256N     = elliptic.P256().Params().N
	p256HalfN = new(big.Int).Rsh(p256N, 1)
)

func requireLowS(token string) error {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return errors.New("not a JWS")
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || len(sig) != 64 {
		return errors.New("not an ES256 signature")
	}
	if new(big.Int).SetBytes(sig[32:]).Cmp(p256HalfN) > 0 {
		return errors.New("high-S signature")
	}
	return nil
}

// lowSMethod is ES256 that always signs in the low-S form.
type lowSMethod struct{ *jwt.SigningMethodECDSA }

var lowS = lowSMethod{jwt.SigningMethodES256}

func (m lowSMethod) Sign(signingString string, key any) ([]byte, error) {
	sig, err := m.SigningMethodECDSA.Sign(signingString, key)
	if err != nil || len(sig) != 64 {
		return sig, err
	}
	s := new(big.Int).SetBytes(sig[32:])
	if s.Cmp(p256HalfN) > 0 {
		s.Sub(p256N, s)
		clear(sig[32:])
		s.FillBytes(sig[32:])
	}
	return sig, nil
}
