package auth

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// SignupTokenLen is the length of a sign-up link's token: 120 random bits,
// so links cannot be guessed, only shared (a poster, a group chat).
const SignupTokenLen = 24

var signupEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSignupToken is a fresh sign-up link token (lower-case base32).
func NewSignupToken() string {
	b := make([]byte, SignupTokenLen*5/8)
	_, _ = rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return strings.ToLower(signupEncoding.EncodeToString(b))
}

// ValidSignupToken says whether t could be a sign-up link token: checked
// before any read, so malformed ones cost nothing.
func ValidSignupToken(t string) bool {
	if len(t) != SignupTokenLen {
		return false
	}
	for _, c := range t {
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}
