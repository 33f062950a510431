// Package auth signs people in and decides what they may do: one-time codes
// by SMS, WeChat mini-program sign-in, the JWTs that carry who the caller is,
// and the scope rules (own household, own community, own street) that every
// handler applies through the functions in policy.go.
package auth

import (
	"context"
	"net/http"
	"slices"

	"github.com/fangxian/fangxian/shared/manifest"
)

// Principal is the signed-in caller, as the token says. One person may hold
// several roles with one sign-in (a resident who volunteers, a staff member
// who lives in the community); each role brings its own scope fields.
type Principal struct {
	// UserID is the person's id: the staff or admin id when they are one,
	// else the resident id, else the volunteer id.
	UserID string
	// Role is the strongest role held (admin, staff, resident, volunteer):
	// what the person is shown as.
	Role manifest.Role
	// Roles are every role held; access to routes is granted on any of them.
	Roles []manifest.Role
	// CommunityID is the community of the strongest role, for display.
	CommunityID string
	// StreetID is set for street admins.
	StreetID string
	// StaffCommunityID is set for staff.
	StaffCommunityID string
	// HouseholdID, ResidentID and ResidentCommunityID are set for residents.
	HouseholdID         string
	ResidentID          string
	ResidentCommunityID string
	// VolunteerID and VolunteerCommunityID are set for approved volunteers.
	VolunteerID          string
	VolunteerCommunityID string
}

// Has says whether p holds role.
func (p Principal) Has(role manifest.Role) bool { return slices.Contains(p.Roles, role) }

// rank orders roles from the strongest.
var rank = []manifest.Role{manifest.RoleAdmin, manifest.RoleStaff, manifest.RoleResident, manifest.RoleVolunteer}

// Normalized fills what follows from the rest: the roles implied by the scope
// fields, the strongest role, and the community shown. Tokens and accounts
// are normalized before use, so older single-role records still work.
func (p Principal) Normalized() Principal {
	add := func(r manifest.Role) {
		if !slices.Contains(p.Roles, r) {
			p.Roles = append(p.Roles, r)
		}
	}
	p.Roles = slices.Clone(p.Roles)
	switch p.Role {
	case manifest.RoleStaff:
		if p.StaffCommunityID == "" {
			p.StaffCommunityID = p.CommunityID
		}
	case manifest.RoleResident:
		if p.ResidentID == "" {
			p.ResidentID = p.UserID
		}
		if p.ResidentCommunityID == "" {
			p.ResidentCommunityID = p.CommunityID
		}
	case manifest.RoleVolunteer:
		if p.VolunteerID == "" {
			p.VolunteerID = p.UserID
		}
		if p.VolunteerCommunityID == "" {
			p.VolunteerCommunityID = p.CommunityID
		}
	}
	if p.StreetID != "" {
		add(manifest.RoleAdmin)
	}
	if p.StaffCommunityID != "" {
		add(manifest.RoleStaff)
	}
	if p.HouseholdID != "" && p.ResidentID != "" {
		add(manifest.RoleResident)
	}
	if p.VolunteerID != "" && p.VolunteerCommunityID != "" {
		add(manifest.RoleVolunteer)
	}
	slices.SortFunc(p.Roles, func(a, b manifest.Role) int { return slices.Index(rank, a) - slices.Index(rank, b) })
	if len(p.Roles) > 0 {
		p.Role = p.Roles[0]
	}
	switch p.Role {
	case manifest.RoleStaff:
		p.CommunityID = p.StaffCommunityID
	case manifest.RoleResident:
		p.CommunityID = p.ResidentCommunityID
	case manifest.RoleVolunteer:
		p.CommunityID = p.VolunteerCommunityID
	case manifest.RoleAdmin:
		p.CommunityID = ""
	}
	return p
}

// valid says whether every role held has its scope.
func (p Principal) valid() bool {
	if p.UserID == "" || len(p.Roles) == 0 {
		return false
	}
	for _, r := range p.Roles {
		switch r {
		case manifest.RoleAdmin:
			if p.StreetID == "" {
				return false
			}
		case manifest.RoleStaff:
			if p.StaffCommunityID == "" {
				return false
			}
		case manifest.RoleResident:
			if p.HouseholdID == "" || p.ResidentID == "" || p.ResidentCommunityID == "" {
				return false
			}
		case manifest.RoleVolunteer:
			if p.VolunteerID == "" || p.VolunteerCommunityID == "" {
				return false
			}
		default:
			return false
		}
	}
	return true
}

type principalKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// Caller is the principal of a request the router authenticated (the zero
// Principal on a public route): what every handler acts as.
func Caller(r *http.Request) Principal {
	p, _ := PrincipalFrom(r.Context())
	return p
}

// PrincipalFrom returns the caller; ok is false on a public route.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
