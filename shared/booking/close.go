package booking

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
)

// ErrSiteNotFound: no such site, or it is closed already.
var ErrSiteNotFound = apperr.New(apperr.KindNotFound, "SITE_NOT_FOUND", "采样点不存在或已关闭", "No such site, or it is closed already")

// SiteStore is what closing a site needs of storage.
type SiteStore interface {
	// CloseSite marks the site and its slots closed in one transaction
	// (ErrNotFound when it does not exist or is closed already).
	CloseSite(ctx context.Context, siteID string) (Site, error)
	// LiveBookingsAt lists the live bookings in the given slots.
	LiveBookingsAt(ctx context.Context, roundID string, slotIDs map[string]bool) ([]Booking, error)
	// Move moves bookings (one household, one slot) to another slot in one
	// transaction; ErrSlotFull when it has no room.
	Move(ctx context.Context, bookings []Booking, to Slot) error
	// CancelMany cancels bookings of one slot in one transaction.
	CancelMany(ctx context.Context, bookings []Booking) error
	// Phones returns the phone of each resident that has one.
	Phones(ctx context.Context, residentIDs []string) (map[string]string, error)
	// Sites lists a round's sites, closed ones too.
	Sites(ctx context.Context, roundID string) ([]Site, error)
}

// Sender sends one catalogue SMS.
type Sender interface {
	Send(ctx context.Context, to string, m sms.Message) error
}

// Moved is a booking that went to another slot.
type Moved struct {
	BookingID  string    `json:"bookingId"`
	ResidentID string    `json:"residentId"`
	FromSlotID string    `json:"fromSlotId"`
	ToSlotID   string    `json:"toSlotId"`
	StartsAt   time.Time `json:"startsAt"`
}

// Closure is the answer to closing a site.
type Closure struct {
	Site      Site      `json:"site"`
	Moved     []Moved   `json:"moved"`
	Cancelled []Booking `json:"cancelled"`
	Notified  int       `json:"notified"`
	// Plan is the round's plan for what is left after the closure.
	Plan *Plan `json:"plan,omitempty"`
}

// CloseSite closes a site mid-round. Its slots take no more bookings; each
// household booked in a slot still to come moves, together, to the earliest
// open slot of another site at the same time or later that has room for it,
// or is cancelled when none has; everyone affected is told by SMS.
func (s *Service) CloseSite(ctx context.Context, p auth.Principal, siteID string) (Closure, error) {
	roundID := RoundOf(siteID)
	if !registry.ValidID(siteID) || SiteOf(SlotID(siteID, 0)) != siteID {
		return Closure{}, ErrSiteNotFound
	}
	if _, err := s.managedRound(ctx, p, roundID); errors.Is(err, ErrRoundNotFound) {
		return Closure{}, ErrSiteNotFound
	} else if err != nil {
		return Closure{}, err
	}
	site, err := s.Sites.CloseSite(ctx, siteID)
	if errors.Is(err, ErrNotFound) {
		return Closure{}, ErrSiteNotFound
	}
	if err != nil {
		return Closure{}, err
	}
	slots, err := s.Store.Slots(ctx, roundID)
	if err != nil {
		return Closure{}, err
	}
	now := s.Now()
	closed := map[string]bool{}
	var open []Slot
	for _, sl := range slots {
		switch {
		case sl.SiteID == siteID:
			if sl.EndsAt.After(now) {
				closed[sl.ID] = true
			}
		case !sl.Closed && sl.EndsAt.After(now):
			open = append(open, sl)
		}
	}
	sort.Slice(open, func(i, j int) bool {
		if !open[i].StartsAt.Equal(open[j].StartsAt) {
			return open[i].StartsAt.Before(open[j].StartsAt)
		}
		return open[i].ID < open[j].ID
	})
	bookings, err := s.Sites.LiveBookingsAt(ctx, roundID, closed)
	if err != nil {
		return Closure{}, err
	}
	// A sample is final: whoever was sampled keeps their booking as it is
	// and is not texted.
	sampled, err := s.Store.Sampled(ctx, roundID, "")
	if err != nil {
		return Closure{}, err
	}
	bookings = slices.DeleteFunc(bookings, func(b Booking) bool { _, done := sampled[b.ResidentID]; return done })
	sites, err := s.Sites.Sites(ctx, roundID)
	if err != nil {
		return Closure{}, err
	}
	siteName := map[string]string{}
	for _, st := range sites {
		siteName[st.ID] = st.Name
	}
	out := Closure{Site: site, Moved: []Moved{}, Cancelled: []Booking{}}
	notices := map[string]sms.Message{} // resident id → what to tell them
	for _, group := range byHouseholdAndSlot(bookings) {
		from := group[0]
		moved := false
		for i := range open {
			to := &open[i]
			if to.StartsAt.Before(from.StartsAt) || to.Capacity-to.Booked < len(group) {
				continue
			}
			err := s.Sites.Move(ctx, group, *to)
			if errors.Is(err, ErrSlotFull) {
				to.Booked = to.Capacity // someone took it meanwhile
				continue
			}
			if errors.Is(err, ErrAlreadySampled) || errors.Is(err, ErrNotBooked) {
				moved = true // sampled, moved or cancelled meanwhile: leave the household be
				break
			}
			if err != nil {
				return out, err
			}
			to.Booked += len(group)
			for _, b := range group {
				out.Moved = append(out.Moved, Moved{BookingID: b.ID, ResidentID: b.ResidentID, FromSlotID: b.SlotID, ToSlotID: to.ID, StartsAt: to.StartsAt})
				msg, err := sms.BookingMoved(site.Name, siteName[to.SiteID], to.StartsAt, b.Code)
				if err != nil {
					return out, err
				}
				notices[b.ResidentID] = msg
			}
			moved = true
			break
		}
		if moved {
			continue
		}
		if err := s.Sites.CancelMany(ctx, group); errors.Is(err, ErrAlreadySampled) || errors.Is(err, ErrNotBooked) {
			continue
		} else if err != nil {
			return out, err
		}
		for _, b := range group {
			b.Status = StatusCancelled
			out.Cancelled = append(out.Cancelled, b)
			msg, err := sms.BookingCancelled(site.Name, from.StartsAt)
			if err != nil {
				return out, err
			}
			notices[b.ResidentID] = msg
		}
	}
	out.Notified, err = s.notify(ctx, notices)
	if err != nil {
		return out, err
	}
	// The buildings' windows pointed at the closed site too: plan again
	// for what is left, and steering follows the new windows.
	if slots, err = s.Store.Slots(ctx, roundID); err != nil {
		return out, err
	}
	r, err := s.round(ctx, roundID)
	if err != nil {
		return out, err
	}
	plan, err := s.replan(ctx, r, slices.DeleteFunc(slots, func(sl Slot) bool { return sl.Closed }))
	out.Plan = &plan
	return out, err
}

// notify texts each affected phone once; members who share a phone get one
// message.
func (s *Service) notify(ctx context.Context, notices map[string]sms.Message) (int, error) {
	if len(notices) == 0 || s.SMS == nil {
		return 0, nil
	}
	ids := make([]string, 0, len(notices))
	for id := range notices {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	phones, err := s.Sites.Phones(ctx, ids)
	if err != nil {
		return 0, err
	}
	sent := map[string]bool{}
	for _, id := range ids {
		ph := phones[id]
		if ph == "" {
			// No phone of their own: the household's first member with one.
			for _, other := range ids {
				if registry.HouseholdOf(other) == registry.HouseholdOf(id) && phones[other] != "" {
					ph = phones[other]
					break
				}
			}
		}
		if ph == "" || sent[ph] {
			continue
		}
		if err := s.SMS.Send(ctx, ph, notices[id]); err != nil {
			return len(sent), err
		}
		sent[ph] = true
	}
	return len(sent), nil
}

func byHouseholdAndSlot(bs []Booking) [][]Booking {
	groups := map[string][]Booking{}
	var keys []string
	for _, b := range bs {
		k := b.SlotID + "|" + b.HouseholdID
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], b)
	}
	// Earlier slots first, so those who were to come soonest get the
	// nearest free places.
	sort.Strings(keys)
	out := make([][]Booking, 0, len(keys))
	for _, k := range keys {
		out = append(out, groups[k])
	}
	return out
}

// Reschedule moves a live booking to another slot of the same round, in one
// transaction: the new slot loses a place only if the old one gets it back.
func (s *Service) Reschedule(ctx context.Context, p auth.Principal, bookingID, slotID string) (Booking, error) {
	roundID, residentID, ok := SplitBookingID(bookingID)
	if !ok || !registry.ValidID(roundID) || !registry.ValidID(residentID) {
		return Booking{}, ErrNotBooked
	}
	r, err := s.round(ctx, roundID)
	if err != nil {
		return Booking{}, err
	}
	if err := s.mayActFor(ctx, p, r, registry.HouseholdOf(residentID)); err != nil {
		return Booking{}, err
	}
	staff, err := s.asStaff(ctx, p, r.CommunityID)
	if err != nil {
		return Booking{}, err
	}
	to, ok := slotOf(r, slotID)
	if !ok {
		return Booking{}, ErrSlotUnavailable
	}
	if done, err := s.Store.Sampled(ctx, roundID, residentID); err != nil {
		return Booking{}, err
	} else if _, sampled := done[residentID]; sampled {
		return Booking{}, ErrAlreadySampled
	}
	if !to.EndsAt.After(s.Now()) {
		return Booking{}, ErrSlotPassed
	}
	if _, err := s.steer(ctx, staff, roundID, slotID, []string{residentID}); err != nil {
		return Booking{}, err
	}
	current, err := s.Store.BookingsOfResidents(ctx, roundID, []string{residentID})
	if err != nil {
		return Booking{}, err
	}
	if len(current) == 0 || current[0].Status != StatusBooked {
		return Booking{}, ErrNotBooked
	}
	b := current[0]
	if b.SlotID == slotID {
		return b, nil
	}
	if err := s.Sites.Move(ctx, []Booking{b}, to); err != nil {
		if errors.Is(err, ErrSlotFull) {
			return Booking{}, ErrSlotFull // full, or closed: the slot has no place
		}
		return Booking{}, err // ALREADY_SAMPLED: a sample is final
	}
	b.SlotID, b.StartsAt = slotID, to.StartsAt
	return b, nil
}
