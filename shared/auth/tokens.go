package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/manifest"
)

// Tokens are ES256 JWTs. Only the auth function holds the private key (from
// SSM Parameter Store in the cloud); every other function verifies with the
// public key alone, so no other function can mint a token.

// TokenTTL is how long a token is valid: a working day and a night, so staff
// on a long shift and residents between two uses are not signed out midway.
const TokenTTL = 24 * time.Hour

const issuer = "fangxian"

var (
	// ErrTokenInvalid is a missing, malformed, forged or expired token.
	ErrTokenInvalid = apperr.New(apperr.KindUnauthenticated, "TOKEN_INVALID", "登录已失效，请重新登录", "The token is invalid or expired, sign in again")
)

type claims struct {
	jwt.RegisteredClaims
	Role        manifest.Role `json:"role"`
	CommunityID string        `json:"cid,omitempty"`
	StreetID    string        `json:"sid,omitempty"`
	HouseholdID string        `json:"hid,omitempty"`
}

// Verifier checks tokens with the public key.
type Verifier struct {
	key *ecdsa.PublicKey
	now func() time.Time
}

// Issuer signs tokens with the private key.
type Issuer struct {
	Verifier
	key *ecdsa.PrivateKey
}

// GenerateKey makes a new P-256 key pair, PEM-encoded (PKCS#8 private key,
// PKIX public key): the local runner does this at start, the operator command
// once per deployment.
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

// NewVerifier reads a PEM public key.
func NewVerifier(publicPEM []byte, now func() time.Time) (*Verifier, error) {
	k, err := jwt.ParseECPublicKeyFromPEM(publicPEM)
	if err != nil {
		return nil, fmt.Errorf("auth: public key: %w", err)
	}
	return &Verifier{key: k, now: now}, nil
}

// VerifierFromEnv reads the public key the stack puts in JWT_PUBLIC_KEY.
func VerifierFromEnv() (*Verifier, error) {
	return NewVerifier([]byte(os.Getenv("JWT_PUBLIC_KEY")), time.Now)
}

// NewIssuer reads a PEM private key.
func NewIssuer(privatePEM []byte, now func() time.Time) (*Issuer, error) {
	k, err := jwt.ParseECPrivateKeyFromPEM(privatePEM)
	if err != nil {
		return nil, fmt.Errorf("auth: private key: %w", err)
	}
	return &Issuer{Verifier: Verifier{key: &k.PublicKey, now: now}, key: k}, nil
}

// Issue signs a token for p.
func (i *Issuer) Issue(p Principal) (string, time.Time, error) {
	now := i.now()
	exp := now.Add(TokenTTL).Truncate(time.Second)
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   p.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Role: p.Role, CommunityID: p.CommunityID, StreetID: p.StreetID, HouseholdID: p.HouseholdID,
	})
	s, err := tok.SignedString(i.key)
	return s, exp, err
}

// Verify checks a token's signature, algorithm, issuer and expiry.
func (v *Verifier) Verify(token string) (Principal, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(v.now),
	)
	if err != nil {
		return Principal{}, ErrTokenInvalid.Wrap(err)
	}
	switch c.Role {
	case manifest.RoleResident, manifest.RoleVolunteer, manifest.RoleStaff, manifest.RoleAdmin:
	default:
		return Principal{}, ErrTokenInvalid.Wrap(fmt.Errorf("role %q", c.Role))
	}
	return Principal{UserID: c.Subject, Role: c.Role, CommunityID: c.CommunityID, StreetID: c.StreetID, HouseholdID: c.HouseholdID}, nil
}

// Authenticate implements httpapi.Authenticator for bearer tokens.
func (v *Verifier) Authenticate(r *http.Request) (context.Context, manifest.Role, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, "", apperr.Unauthenticated.Wrap(errors.New("no bearer token"))
	}
	p, err := v.Verify(strings.TrimSpace(token))
	if err != nil {
		return nil, "", err
	}
	return WithPrincipal(r.Context(), p), p.Role, nil
}
