// Package auth signs people in and decides what they may do: one-time codes
// by SMS, WeChat mini-program sign-in, the JWTs that carry who the caller is,
// and the scope rules (own household, own community, own street) that every
// handler applies through the functions in policy.go.
package auth

import (
	"context"

	"github.com/fangxian/fangxian/shared/manifest"
)

// Principal is the signed-in caller, as the token says.
type Principal struct {
	UserID string
	Role   manifest.Role
	// CommunityID is set for residents, volunteers and staff.
	CommunityID string
	// StreetID is set for street admins.
	StreetID string
	// HouseholdID is set for residents.
	HouseholdID string
}

type principalKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller; ok is false on a public route.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
