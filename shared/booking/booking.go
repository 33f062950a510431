// Package booking runs PCR-testing rounds (核酸检测轮次): rounds with sites and
// their time slots, residents booking slots for their household (staff for
// anyone), check-in at the site, and the progress and unsampled reports for
// the door-to-door check.
package booking

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
)

// Round is one mass-testing campaign.
type Round struct {
	ID          string    `json:"id"`
	CommunityID string    `json:"communityId"`
	Name        string    `json:"name"`
	StartsAt    time.Time `json:"startsAt"`
	EndsAt      time.Time `json:"endsAt"`
	SlotMinutes int       `json:"slotMinutes"`
	// CheckInOpensMinutesBefore: check-in is taken from this long before
	// the start until the end.
	CheckInOpensMinutesBefore int       `json:"checkInOpensMinutesBefore"`
	CreatedAt                 time.Time `json:"createdAt"`
	// Drill is the drill run that opened it (演练): its SMS go to the
	// drill's outbox, and only residents who opted into drills see it.
	Drill string `json:"drill,omitempty"`
	// BookingRequired: false makes booking optional (the building windows
	// are the plan, walk-ins are the rule, a booking only reserves): a
	// resident's booking is not held to their building's window.
	BookingRequired bool `json:"bookingRequired"`
	// PublishedAt is when its plan was first published to households: the
	// feed shows windows from then (not cached with the round).
	PublishedAt *time.Time `json:"-"`
	// Pooling is how many swabs share a tube, by zone level.
	Pooling Pooling `json:"pooling"`
}

// DefaultCheckInOpensMinutesBefore lets a site open its queue half an hour
// early, as sites do.
const DefaultCheckInOpensMinutesBefore = 30

// CheckInOpen says whether check-in is taken at t.
func (r Round) CheckInOpen(t time.Time) bool {
	return !t.Before(r.StartsAt.Add(-time.Duration(r.CheckInOpensMinutesBefore)*time.Minute)) && t.Before(r.EndsAt)
}

// Site is a sampling point with lanes.
type Site struct {
	ID             string `json:"id"`
	RoundID        string `json:"roundId"`
	Name           string `json:"name"`
	Lanes          int    `json:"lanes"`
	PerLanePerSlot int    `json:"perLanePerSlot"`
	Closed         bool   `json:"closed"`
	// Spare: defined, not open (备用点): its slots take nobody until staff
	// open it, and it counts in no capacity but the remedies'.
	Spare bool `json:"spare,omitempty"`
	// OpensAt and ClosesAt are its hours when narrower than the round's:
	// slots outside them are closed.
	OpensAt  *time.Time `json:"opensAt,omitempty"`
	ClosesAt *time.Time `json:"closesAt,omitempty"`
}

// Open says whether the site takes people now (not closed, not a spare).
func (st Site) Open() bool { return !st.Closed && !st.Spare }

// serves says whether a slot of the site is within its hours and the site
// is open: the slot takes people.
func (st Site) serves(sl Slot) bool {
	if !st.Open() {
		return false
	}
	if st.OpensAt != nil && sl.StartsAt.Before(*st.OpensAt) {
		return false
	}
	return st.ClosesAt == nil || !sl.EndsAt.After(*st.ClosesAt)
}

// Slot is a site's time window with a capacity.
type Slot struct {
	ID       string    `json:"id"`
	SiteID   string    `json:"siteId"`
	StartsAt time.Time `json:"startsAt"`
	EndsAt   time.Time `json:"endsAt"`
	Capacity int       `json:"capacity"`
	Booked   int       `json:"booked"`
	Closed   bool      `json:"closed,omitempty"`
}

// Booking statuses.
const (
	StatusBooked    = "booked"
	StatusCancelled = "cancelled"
)

// Booking is one resident's place in a slot.
type Booking struct {
	ID          string    `json:"id"`
	Code        string    `json:"code"`
	RoundID     string    `json:"roundId"`
	ResidentID  string    `json:"residentId"`
	HouseholdID string    `json:"householdId"`
	SlotID      string    `json:"slotId"`
	StartsAt    time.Time `json:"startsAt"`
	Status      string    `json:"status"`
	BookedAt    time.Time `json:"bookedAt"`
	// Texted: staff booked it and its confirmation was texted.
	Texted bool `json:"-"`
}

// MaxSlotsPerSite keeps a site's creation to one transaction (100 items).
const MaxSlotsPerSite = 96

// Ids nest like the registry's: a site id starts with its round's, a slot id
// with its site's, so any of them leads to the round's partition. A booking
// id is the round and the resident: one booking per resident and round.
const idSep = "-"

// NewRoundID returns a fresh round id.
func NewRoundID() string { return "r" + random(12) }

// NewSiteID returns a fresh site id in a round.
func NewSiteID(roundID string) string { return roundID + idSep + "s" + random(6) }

// SlotID is the id of the i-th slot of a site.
func SlotID(siteID string, i int) string {
	return siteID + idSep + "t" + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}

// RoundOf returns the round id inside a site or slot id.
func RoundOf(id string) string {
	r, _, _ := strings.Cut(id, idSep)
	return r
}

// SiteOf returns the site id inside a slot id.
func SiteOf(slotID string) string {
	i := strings.LastIndex(slotID, idSep+"t")
	if i < 0 {
		return ""
	}
	return slotID[:i]
}

// BookingID is the id of a resident's booking in a round.
func BookingID(roundID, residentID string) string { return roundID + "_" + residentID }

// SplitBookingID returns the round and resident of a booking id.
func SplitBookingID(id string) (roundID, residentID string, ok bool) {
	return strings.Cut(id, "_")
}

// codeAlphabet leaves out 0/O and 1/I/L, which people misread off a screen.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewCode returns a 6-character booking code for the QR code and SMS.
func NewCode() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// ValidCode says whether s could be a booking code.
func ValidCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune(codeAlphabet, c) {
			return false
		}
	}
	return true
}

func random(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Errors of booking.
var (
	ErrRoundNotFound   = apperr.New(apperr.KindNotFound, "ROUND_NOT_FOUND", "检测轮次不存在", "No such testing round")
	ErrSlotFull        = apperr.New(apperr.KindConflict, "SLOT_FULL", "该时段已约满", "This slot is full")
	ErrSlotUnavailable = apperr.New(apperr.KindConflict, "SLOT_UNAVAILABLE", "该时段不存在或已关闭", "This slot does not exist or is closed")
	ErrAlreadyBooked   = apperr.New(apperr.KindConflict, "ALREADY_BOOKED", "该居民本轮已有预约", "This resident already has a booking in this round")
	ErrNotBooked       = apperr.New(apperr.KindConflict, "NOT_BOOKED", "预约不存在或已取消", "No such booking, or it is cancelled")
	ErrUnknownResident = apperr.New(apperr.KindInvalid, "UNKNOWN_RESIDENT", "居民不存在或不在本社区", "No such resident in this community")
	ErrAlreadySampled  = apperr.New(apperr.KindConflict, "ALREADY_SAMPLED", "该居民本轮已采样", "This resident was sampled in this round already")
	// ErrTubeRefused is a store's word that a tube took no more swabs;
	// the service says why.
	ErrTubeRefused  = errors.New("the tube takes no more swabs")
	ErrUnknownCode  = apperr.New(apperr.KindNotFound, "UNKNOWN_CODE", "预约码无效", "No booking has this code")
	ErrSlotPassed   = apperr.New(apperr.KindConflict, "SLOT_PASSED", "该时段已结束", "This slot is over")
	ErrRoundNotOpen = apperr.New(apperr.KindConflict, "ROUND_NOT_OPEN", "不在本轮检测的采样时间内", "Not within this round's sampling hours")
)

// Outcomes the store reports; the service maps them to the errors above.
var (
	ErrNotFound = errors.New("not found")
)

// Store is what booking needs of storage. Every write that must be whole is
// one transaction in the adapter.
type Store interface {
	CreateRound(ctx context.Context, r Round) error
	Round(ctx context.Context, roundID string) (Round, error)
	Rounds(ctx context.Context, communityID string, limit int) ([]Round, error)
	AddSite(ctx context.Context, s Site, slots []Slot) error
	Slots(ctx context.Context, roundID string) ([]Slot, error)
	// Book books residents into a slot; idempotencyKey is kept on the bookings
	// so a retried request finds its own bookings.
	Book(ctx context.Context, req BookRequest) ([]Booking, error)
	BookingsOfResidents(ctx context.Context, roundID string, residentIDs []string) ([]Booking, error)
	HouseholdBookings(ctx context.Context, householdID string) ([]Booking, error)
	Cancel(ctx context.Context, roundID, residentID string) (Booking, error)
	ResidentOfCode(ctx context.Context, roundID, code string) (string, error)
	CheckIn(ctx context.Context, sm Sample) (walkIn bool, err error)
	Progress(ctx context.Context, roundID string) (map[string]Counts, error)
	Sampled(ctx context.Context, roundID, buildingID string) (map[string]time.Time, error)
	SetReason(ctx context.Context, roundID, residentID, reason string) error
	Reasons(ctx context.Context, roundID, buildingID string) (map[string]string, error)
}

// BookRequest is one booking transaction.
type BookRequest struct {
	Round          Round
	Slot           Slot
	Residents      []Resident
	IdempotencyKey string
	At             time.Time
}

// Resident is who is being booked, as far as booking needs to know.
type Resident struct {
	ID          string
	HouseholdID string
	BuildingID  string
	Code        string
}

// Counts of one building in a round.
type Counts struct {
	Booked  int `json:"booked"`
	Sampled int `json:"sampled"`
	// WalkIns are the sampled who had no booking.
	WalkIns int `json:"walkIns"`
}

// ErrCodeTaken is what a Store reports when a drawn booking code is in use.
var ErrCodeTaken = errors.New("booking code already used in this round")
