package auth

import (
	"context"
	"errors"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/manifest"
)

// The scope rules live here and nowhere else. Which role may call a route is
// declared with the route in the manifest; which community, street or
// household a caller may touch is decided by these functions.

// StreetResolver tells which street a community belongs to.
type StreetResolver interface {
	StreetOf(ctx context.Context, communityID string) (string, error)
}

// ErrNoCommunity is what a StreetResolver returns for an unknown community.
var ErrNoCommunity = errors.New("no such community")

// RequireCommunity lets staff act inside their own community and street
// admins inside the communities of their street. Anyone else, and any other
// community, is forbidden; an unknown community is not found for an admin
// and forbidden for staff, so staff cannot probe which ids exist.
func RequireCommunity(ctx context.Context, p Principal, communityID string, streets StreetResolver) error {
	switch p.Role {
	case manifest.RoleStaff:
		if p.CommunityID == communityID {
			return nil
		}
	case manifest.RoleAdmin:
		street, err := streets.StreetOf(ctx, communityID)
		if errors.Is(err, ErrNoCommunity) {
			return apperr.NotFound
		}
		if err != nil {
			return err
		}
		if street == p.StreetID {
			return nil
		}
	}
	return apperr.Forbidden
}

// RequireStreet lets a street admin act on their own street only.
func RequireStreet(p Principal, streetID string) error {
	if p.Role == manifest.RoleAdmin && p.StreetID == streetID {
		return nil
	}
	return apperr.Forbidden
}

// RequireHousehold lets a resident act on their own household, and staff on
// any household of their community (householdCommunity is the household's).
func RequireHousehold(p Principal, householdID, householdCommunity string) error {
	switch p.Role {
	case manifest.RoleResident:
		if p.HouseholdID != "" && p.HouseholdID == householdID {
			return nil
		}
	case manifest.RoleStaff:
		if p.CommunityID == householdCommunity {
			return nil
		}
	}
	return apperr.Forbidden
}

// SeesSensitiveFlags says whether p may see residents' health and
// vulnerability flags in community: only that community's staff (PIPL:
// collected for them, shown to them).
func SeesSensitiveFlags(p Principal, community string) bool {
	return p.Role == manifest.RoleStaff && p.CommunityID == community
}
