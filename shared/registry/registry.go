// Package registry holds who lives where: streets, communities, buildings
// with their units, households and residents, and the staff and street admins
// who serve them; the CSV import that fills it; and the lookups every later
// capability starts from.
package registry

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/httpapi"
)

// Street is a sub-district office (街道) with its communities.
type Street struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Community is the tenant (社区).
type Community struct {
	ID       string `json:"id"`
	StreetID string `json:"streetId"`
	Name     string `json:"name"`
}

// Building (楼栋) with its units and counts, as staff see it.
type Building struct {
	ID          string   `json:"id"`
	CommunityID string   `json:"communityId"`
	Name        string   `json:"name"`
	Units       []string `json:"units"`
	// UnitIDs name the units for zones: UnitIDs[i] is Units[i].
	UnitIDs        []string `json:"unitIds"`
	HouseholdCount int      `json:"householdCount"`
	ResidentCount  int      `json:"residentCount"`
}

// Household (户): building + unit + room.
type Household struct {
	ID           string `json:"id"`
	CommunityID  string `json:"communityId"`
	BuildingID   string `json:"buildingId"`
	BuildingName string `json:"building"`
	Unit         string `json:"unit"`
	Room         string `json:"room"`
	// ContactPhone is the first member phone of the household, where any.
	ContactPhone string `json:"contactPhone,omitempty"`
	// AppAt is when a member last signed in to the app (zero: never):
	// whether the household reads the app feed or needs an SMS.
	AppAt time.Time `json:"-"`
}

// Address is where a household lives, as staff and texts say it:
// 3号楼2单元101 (no unit word when it has none).
func (h Household) Address() string {
	unit := h.Unit
	if unit != "" {
		unit += "单元"
	}
	return h.BuildingName + unit + h.Room
}

// Flag marks a resident who needs care (sensitive: staff of the community only).
type Flag string

// The flags of the import's 标记 column.
const (
	FlagBedridden Flag = "bedridden"
	FlagPregnant  Flag = "pregnant"
	FlagChronic   Flag = "chronic"
	FlagAlone     Flag = "alone"
	// Those whose care an emergency interrupts (重点人群).
	FlagDialysis     Flag = "dialysis"
	FlagChemotherapy Flag = "chemotherapy"
	FlagOxygen       Flag = "oxygen"
	FlagInsulin      Flag = "insulin"
	FlagDisability   Flag = "disability"
	FlagInfant       Flag = "infant"
)

// Flags are every care flag, in the order they are listed.
var Flags = []Flag{FlagBedridden, FlagPregnant, FlagChronic, FlagAlone, FlagDialysis, FlagChemotherapy, FlagOxygen, FlagInsulin, FlagDisability, FlagInfant}

// Resident (居民).
type Resident struct {
	ID          string `json:"id"`
	CommunityID string `json:"communityId"`
	HouseholdID string `json:"householdId"`
	Name        string `json:"name"`
	// Phone is empty for people without one (children, some elderly).
	Phone     string `json:"phone,omitempty"`
	BirthYear int    `json:"birthYear,omitempty"`
	Flags     []Flag `json:"flags,omitempty"`
	// Status is what staff found at the door: present (empty), away,
	// moved out or deceased. Those moved out or deceased are no longer in
	// their building's residents (rosters, notices, door lists); their
	// record stays for its history.
	Status string `json:"status,omitempty"`
	// Where an away resident is, as staff were told.
	Where string `json:"where,omitempty"`
	// MovedTo is the resident record a move made, in the new household.
	MovedTo string `json:"movedTo,omitempty"`
	// Corrected are the fields staff set by hand (phone, flags, status,
	// household): an import of the whole file keeps them and reports where
	// it differs.
	Corrected []string `json:"corrected,omitempty"`
	// Version counts staff's corrections: one is written only over the
	// version it read.
	Version int `json:"-"`
}

// Statuses of a resident.
const (
	StatusPresent  = ""
	StatusAway     = "away"
	StatusMovedOut = "moved_out"
	StatusDeceased = "deceased"
)

// Current says whether the resident still lives in their household: not
// moved out, not deceased.
func (r Resident) Current() bool { return r.Status != StatusMovedOut && r.Status != StatusDeceased }

// Staff is a community worker or a street admin.
type Staff struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Phone       string    `json:"phone"`
	CommunityID string    `json:"communityId,omitempty"`
	StreetID    string    `json:"streetId,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
}

// Ids of buildings, households and residents are derived from what the import
// names them by, so importing the same file twice writes the same items. They
// nest — a household id starts with its building's, a resident id with its
// household's — so any of them leads to the partition that holds it.
const idSep = "-"

// idEncoding is lower-case base32, built on first use rather than at cold start.
var idEncoding = sync.OnceValue(func() *base32.Encoding {
	return base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
})

func digest(n int, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return idEncoding().EncodeToString(h[:])[:n]
}

// BuildingID is the id of the building named name in community.
func BuildingID(community, name string) string { return "b" + digest(10, community, name) }

// HouseholdID is the id of the household at unit and room of building.
func HouseholdID(buildingID, unit, room string) string {
	return buildingID + idSep + "h" + digest(8, buildingID, unit, room)
}

// UnitID is the id of a unit (单元) of building: it nests under the
// building's id like a household's does, so a building's zones, whole or
// finer, share one key prefix.
func UnitID(buildingID, unit string) string {
	return buildingID + idSep + "u" + digest(6, buildingID, unit)
}

// ResidentID is the id of the resident named name in household.
func ResidentID(householdID, name string) string {
	return householdID + idSep + "r" + digest(6, householdID, name)
}

// BuildingOf returns the building id inside a household or resident id.
func BuildingOf(id string) string {
	b, _, _ := strings.Cut(id, idSep)
	return b
}

// HouseholdOf returns the household id inside a resident id.
func HouseholdOf(residentID string) string {
	i := strings.LastIndex(residentID, idSep+"r")
	if i < 0 {
		return ""
	}
	return residentID[:i]
}

// Distinct is ids (or phones, or names) each once, in order: the one way a
// list from a request is deduplicated.
func Distinct(ids []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(ids)))
}

// ValidID says whether s could be one of our ids (guards keys built from
// input): the grammar path ids are read by (httpapi.PathID).
func ValidID(s string) bool { return httpapi.ValidID(s) }

// NewID returns a random id with a prefix, for things created through the API.
func NewID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return prefix + idEncoding().EncodeToString(b[:])[:12]
}

// NaturalLess orders names as people count them: "2号楼" before "10号楼".
func NaturalLess(a, b string) bool {
	na, ra := leadingNumber(a)
	nb, rb := leadingNumber(b)
	if na != nb {
		return na < nb
	}
	return ra < rb
}

func leadingNumber(s string) (int, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return 1 << 30, s
	}
	return n, s[i:]
}
