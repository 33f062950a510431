package store

import (
	"strconv"

	"github.com/fangxian/fangxian/shared/registry"
)

// Key builders: every partition and sort key is made here, nowhere else, so
// docs/access-patterns.md is the whole truth about the table's layout.

// Key is the primary key of one item.
type Key struct{ PK, SK string }

// HealthKey is the item the health check reads; it need not exist.
func HealthKey() Key { return Key{"SYSTEM", "HEALTH"} }

// FirstAdminKey marks that the deployment's first street admin exists.
func FirstAdminKey() Key { return Key{"SYSTEM", "FIRST_ADMIN"} }

// StreetKey is a street's own item.
func StreetKey(streetID string) Key { return Key{"STREET#" + streetID, "STREET"} }

// AdminKey is a street admin under their street.
func AdminKey(streetID, userID string) Key { return Key{"STREET#" + streetID, "ADMIN#" + userID} }

// CommunityKey is a community's own item.
func CommunityKey(communityID string) Key { return Key{"COMMUNITY#" + communityID, "COMMUNITY"} }

// StaffKey is a staff member under their community.
func StaffKey(communityID, userID string) Key {
	return Key{"COMMUNITY#" + communityID, "STAFF#" + userID}
}

// BuildingKey is a building, with its counts, under its community.
func BuildingKey(communityID, buildingID string) Key {
	return Key{"COMMUNITY#" + communityID, BuildingPrefix + buildingID}
}

// BuildingPrefix starts the sort key of every building of a community.
const BuildingPrefix = "BUILDING#"

// BuildingPartition holds a building's households and residents together, so
// a household with its members is one Query and a building's counts another.
func BuildingPartition(buildingID string) string { return "BUILDING#" + buildingID }

// HouseholdKey is a household in its building's partition.
func HouseholdKey(householdID string) Key {
	return Key{BuildingPartition(registry.BuildingOf(householdID)), HouseholdPrefix + householdID}
}

// ResidentKey is a resident next to their household: resident ids start with
// the household id, so one begins_with on "HH#<household>" reads both.
func ResidentKey(residentID string) Key {
	return Key{BuildingPartition(registry.BuildingOf(residentID)), HouseholdPrefix + residentID}
}

// HouseholdPrefix starts the sort key of households and residents.
const HouseholdPrefix = "HH#"

// NameIndex is GSI1 on residents: staff find people by name prefix.
func NameIndex(communityID, name, residentID string) Key {
	return Key{"NAMES#" + communityID, name + "#" + residentID}
}

// CommunitiesOfStreetIndex is GSI1 on communities.
func CommunitiesOfStreetIndex(streetID, communityID string) Key {
	return Key{"STREET#" + streetID, "COMMUNITY#" + communityID}
}

// PhoneIndex is GSI2 on residents: staff find people by exact phone.
func PhoneIndex(communityID, phone, residentID string) Key {
	return Key{"PHONE#" + communityID + "#" + phone, residentID}
}

// AccountKey is who a phone signs in as.
func AccountKey(phone string) Key { return Key{"PHONE#" + phone, "ACCOUNT"} }

// ChallengeKey holds a phone's one-time code and send schedule.
func ChallengeKey(phone string) Key { return Key{"PHONE#" + phone, "OTP"} }

// ShadowChallengeKey holds the send schedule and attempts shared by the
// unknown phones whose keyed digest falls in bucket (at most 65,536 items).
func ShadowChallengeKey(bucket string) Key { return Key{"OTPSHADOW#" + bucket, "OTP"} }

// RateKey counts the requests of one limit (e.g. "otp-ip#203.0.113.9") in
// the fixed window starting at windowStart (epoch seconds).
func RateKey(limit string, windowStart int64) Key {
	return Key{"RATE#" + limit, strconv.FormatInt(windowStart, 10)}
}

// TokensPartition holds what verifiers need: the published signing keys and
// the revocations, read together in one Query.
const TokensPartition = "TOKENS"

// SigningKeyKey is one published public key.
func SigningKeyKey(kid string) Key { return Key{TokensPartition, "KEY#" + kid} }

// RevocationKey voids the tokens a user got before a moment.
func RevocationKey(userID string) Key { return Key{TokensPartition, "REVOKED#" + userID} }

// BindingKey binds a WeChat openid to a phone.
func BindingKey(openID string) Key { return Key{"WECHAT#" + openID, "BINDING"} }
