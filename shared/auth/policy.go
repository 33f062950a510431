package auth

import (
	"context"
	"errors"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/manifest"
)

// The scope rules live here and nowhere else. Which role may call a route is
// declared with the route in the manifest; which community, street or
// household a caller may touch is decided by these functions. A person with
// several roles gets the widest scope any of them gives.

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
	if p.Has(manifest.RoleStaff) && p.StaffCommunityID == communityID {
		return nil
	}
	if p.Has(manifest.RoleAdmin) {
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

// RequireStreetAdmin lets only an admin of the street communityID is in:
// staff of the community (who may hold an admin role elsewhere) do not
// pass.
func RequireStreetAdmin(ctx context.Context, p Principal, communityID string, streets StreetResolver) error {
	if !p.Has(manifest.RoleAdmin) {
		return apperr.Forbidden
	}
	street, err := streets.StreetOf(ctx, communityID)
	if errors.Is(err, ErrNoCommunity) {
		return apperr.NotFound
	}
	if err != nil {
		return err
	}
	if street != p.StreetID {
		return apperr.Forbidden
	}
	return nil
}

// RequireStreet lets a street admin act on their own street only.
func RequireStreet(p Principal, streetID string) error {
	if p.Has(manifest.RoleAdmin) && p.StreetID == streetID {
		return nil
	}
	return apperr.Forbidden
}

// RequireStreetMember lets a street's admins, and the staff of its
// communities, read what the street shares among them (its volunteer
// pool, trainings, templates, the daily sheet's layout).
func RequireStreetMember(ctx context.Context, p Principal, streetID string, streets StreetResolver) error {
	if p.Has(manifest.RoleAdmin) && p.StreetID == streetID {
		return nil
	}
	if p.Has(manifest.RoleStaff) {
		if got, err := streets.StreetOf(ctx, p.StaffCommunityID); err == nil && got == streetID {
			return nil
		}
	}
	return apperr.Forbidden
}

// RequireHousehold lets a resident act on their own household, and staff on
// any household of their community (householdCommunity is the household's).
func RequireHousehold(p Principal, householdID, householdCommunity string) error {
	if OwnHousehold(p, householdID) {
		return nil
	}
	if p.Has(manifest.RoleStaff) && p.StaffCommunityID == householdCommunity {
		return nil
	}
	return apperr.Forbidden
}

// OwnHousehold says whether p is a resident of householdID.
func OwnHousehold(p Principal, householdID string) bool {
	return p.Has(manifest.RoleResident) && p.HouseholdID != "" && p.HouseholdID == householdID
}

// MemberOf says whether p belongs to community as a resident, a volunteer or
// staff: who may see what the community publishes to its people (rounds,
// slots). Street admins are checked with RequireCommunity.
func MemberOf(p Principal, communityID string) bool {
	return (p.Has(manifest.RoleResident) && p.ResidentCommunityID == communityID) ||
		(p.Has(manifest.RoleVolunteer) && p.VolunteerCommunityID == communityID) ||
		(p.Has(manifest.RoleStaff) && p.StaffCommunityID == communityID)
}

// DeliversIn says whether p may take orders to doors in communityID: its
// volunteers and staff, not its residents (a volunteer deactivated keeps no
// door, even while still a resident there).
func DeliversIn(p Principal, communityID string) bool {
	return (p.Has(manifest.RoleVolunteer) && p.VolunteerCommunityID == communityID) ||
		(p.Has(manifest.RoleStaff) && p.StaffCommunityID == communityID)
}

// SeesSensitiveFlags says whether p may see residents' health and
// vulnerability flags in community: only that community's staff (PIPL:
// collected for them, shown to them).
func SeesSensitiveFlags(p Principal, community string) bool {
	return p.Has(manifest.RoleStaff) && p.StaffCommunityID == community
}
