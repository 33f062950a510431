package booking

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/logging"
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
	// transaction with the texts it leaves pending; ErrSlotFull when it has
	// no room.
	Move(ctx context.Context, bookings []Booking, to Slot, pending *dispatch.Pending) error
	// CancelMany cancels bookings of one slot in one transaction with the
	// texts it leaves pending.
	CancelMany(ctx context.Context, bookings []Booking, pending *dispatch.Pending) error
	// Contacts says how each resident is reached: their name, and their
	// phone or, when they have none, their household's.
	Contacts(ctx context.Context, residentIDs []string) (map[string]Contact, error)
	// MarkTexted records that a booking's confirmation was texted, so that
	// a replay answers what the first request did.
	MarkTexted(ctx context.Context, roundID, residentID string) error
	// Sites lists a round's sites, closed ones too.
	Sites(ctx context.Context, roundID string) ([]Site, error)
}

// Sender sends one catalogue SMS. Booking's are the messages staff's
// actions cause: deployed behind sms.Guarded (no SMS to a phone that opted
// out, a daily share per phone).
type Sender interface {
	Send(ctx context.Context, to string, m sms.Message) error
}

// Contact is how a resident is reached.
type Contact struct {
	Name  string
	Phone string
}

// message builds a resident's SMS once their name is known.
type message func(name string) (sms.Message, error)

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
	// Capacity is the round's after the closure.
	Capacity *Capacity `json:"capacity,omitempty"`
	// Opened is the spare site opened with the closure.
	Opened *Site `json:"opened,omitempty"`
}

// ErrNotSpare refuses a spare to open with a closure that is no site of the
// round, or is the site being closed, or closed itself.
var ErrNotSpare = apperr.New(apperr.KindInvalid, "NOT_A_SPARE_SITE", "该采样点不是本轮可开放的备用点", "Not a spare (or open) site of this round")

// spareOf reads the site to open with a closure: a spare (or already open)
// site of the round other than the one closing.
func (s *Service) spareOf(ctx context.Context, r Round, spare, closing string) (Site, error) {
	if spare == closing || RoundOf(spare) != r.ID || !registry.ValidID(spare) {
		return Site{}, ErrNotSpare.WithFields(apperr.FieldError{Field: "open", Reason: "a spare site of this round, not the one closing"})
	}
	sites, err := s.Sites.Sites(ctx, r.ID)
	if err != nil {
		return Site{}, err
	}
	for _, st := range sites {
		if st.ID == spare && !st.Closed {
			return st, nil
		}
	}
	return Site{}, ErrNotSpare.WithFields(apperr.FieldError{Field: "open", Reason: "a spare site of this round, not the one closing"})
}

// CloseSite closes a site mid-round. Its slots take no more bookings; each
// household booked in a slot still to come moves, together, to the earliest
// open slot of another site at the same time or later that has room for it,
// or is cancelled when none has; everyone affected is told by SMS.
// Unless confirmed, a closure whose bookings the other sites cannot hold is
// refused before anything moves, with the deficit and what would cover it.
//
// With spare, a spare site of the round opens first, in the same call
// (备用点顶上): the closure's people may move to it, and the dry run counts it.
func (s *Service) CloseSite(ctx context.Context, p auth.Principal, siteID string, confirm bool, spare string) (Closure, error) {
	roundID := RoundOf(siteID)
	if !registry.ValidID(siteID) || SiteOf(SlotID(siteID, 0)) != siteID {
		return Closure{}, ErrSiteNotFound
	}
	round, err := s.managedRound(ctx, p, roundID)
	if errors.Is(err, ErrRoundNotFound) {
		return Closure{}, ErrSiteNotFound
	} else if err != nil {
		return Closure{}, err
	}
	// A drill's work is marked now, from the round read first: nothing
	// later (the round removed meanwhile) can make it real.
	ctx = drill.With(ctx, round.Drill)
	var opening *Site
	if spare != "" {
		st, err := s.spareOf(ctx, round, spare, siteID)
		if err != nil {
			return Closure{}, err
		}
		opening = &st
	}
	if !confirm {
		if err := s.closureFits(ctx, round, siteID, opening); err != nil {
			return Closure{}, err
		}
	}
	var opened *Site
	if opening != nil && opening.Spare {
		change, err := s.PatchSite(ctx, p, opening.ID, SitePatch{open: true}, false)
		if err != nil {
			return Closure{}, err
		}
		opened = &change.Site
	}
	site, err := s.Sites.CloseSite(ctx, siteID)
	if errors.Is(err, ErrNotFound) {
		return Closure{}, ErrSiteNotFound
	}
	if err != nil {
		return Closure{}, err
	}
	// Once the site is closed its people are moved and told, whether or
	// not the caller waits for the answer.
	ctx = context.WithoutCancel(ctx)
	began := time.Now()
	var movedAt, toldAt time.Time
	defer func() {
		logging.From(ctx).Info("site closed", "site", siteID, "seconds", time.Since(began).Seconds(),
			"moveSeconds", movedAt.Sub(began).Seconds(), "tellSeconds", toldAt.Sub(movedAt).Seconds())
	}()
	slots, err := s.Store.Slots(ctx, roundID)
	if err != nil {
		return Closure{}, err
	}
	closed, open := closureSlots(slots, siteID, s.Now())
	out := Closure{Site: site, Opened: opened}
	rel, err := s.relocate(ctx, round, "site-closed:"+siteID, closed, open, relocationTexts{
		moved: func(name string, b Booking, toSite string, at time.Time) (sms.Message, error) {
			return sms.BookingMoved(site.Name, name, toSite, at, b.Code)
		},
		cancelled: func(name string, b Booking) (sms.Message, error) {
			return sms.BookingCancelled(site.Name, name, b.StartsAt)
		},
	})
	out.Moved, out.Cancelled, out.Notified = rel.Moved, rel.Cancelled, rel.Notified
	movedAt = rel.movedAt
	if err != nil {
		return out, err
	}
	toldAt = time.Now()
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
	if err != nil {
		return out, err
	}
	if err := s.Work.RecordClosure(ctx, siteID, s.Now(), len(out.Moved), len(out.Cancelled)); err != nil {
		logging.From(ctx).Warn("a closure's effect was not recorded", "site", siteID, "err", err)
	}
	ro, err := s.roster(ctx, r)
	if err != nil {
		return out, err
	}
	c, err := s.capacity(ctx, r, ro)
	out.Capacity = &c
	return out, err
}

// relocationTexts are the messages of a relocation: to the moved, with
// their new site and time, and to the cancelled.
type relocationTexts struct {
	moved     func(name string, b Booking, toSite string, at time.Time) (sms.Message, error)
	cancelled func(name string, b Booking) (sms.Message, error)
}

// relocation is what a relocation did.
type relocation struct {
	Moved     []Moved
	Cancelled []Booking
	Notified  int
	movedAt   time.Time
}

// relocate moves the live bookings of the closed slots, each household
// together, to the earliest slot of open at their time or later with room
// for it, or cancels them when none has; everyone affected is told, their
// texts written with their move. Residents already sampled are left be.
func (s *Service) relocate(ctx context.Context, r Round, key string, closed map[string]bool, open []Slot, texts relocationTexts) (relocation, error) {
	roundID := r.ID
	out := relocation{Moved: []Moved{}, Cancelled: []Booking{}}
	bookings, err := s.Sites.LiveBookingsAt(ctx, roundID, closed)
	if err != nil {
		return out, err
	}
	// A sample is final: whoever was sampled keeps their booking as it is
	// and is not texted.
	sampled, err := s.Store.Sampled(ctx, roundID, "")
	if err != nil {
		return out, err
	}
	bookings = slices.DeleteFunc(bookings, func(b Booking) bool { _, done := sampled[b.ResidentID]; return done })
	sites, err := s.Sites.Sites(ctx, roundID)
	if err != nil {
		return out, err
	}
	siteName := map[string]string{}
	for _, st := range sites {
		siteName[st.ID] = st.Name
	}
	// Each household's place is chosen in order (the earliest free slot no
	// earlier than theirs), then the moves run side by side, each its own
	// transaction; a household whose place was taken meanwhile is placed
	// again, one at a time, after.
	groups := byHouseholdAndSlot(bookings)
	target := place(groups, open)
	// Whom to tell is read first: each household's texts are written in
	// its move or cancellation, so nobody moved goes untold.
	tell, err := s.closureTexts(ctx, r.CommunityID, key, bookings)
	if err != nil {
		return out, err
	}
	var mu sync.Mutex
	var retry []int
	// Each group's outcome, assembled in the groups' order at the end.
	movedBy := make([][]Moved, len(groups))
	cancelledBy := make([][]Booking, len(groups))
	var sent []*dispatch.Pending
	moving := func(group []Booking, to Slot) *dispatch.Pending {
		newSite, at := siteName[to.SiteID], to.StartsAt
		return tell(group, func(name string, b Booking) (sms.Message, error) {
			return texts.moved(name, b, newSite, at)
		})
	}
	moved := func(g int, group []Booking, to Slot, texts *dispatch.Pending) {
		for _, b := range group {
			movedBy[g] = append(movedBy[g], Moved{BookingID: b.ID, ResidentID: b.ResidentID, FromSlotID: b.SlotID, ToSlotID: to.ID, StartsAt: to.StartsAt})
		}
		sent = append(sent, texts)
	}
	moves, mctx := errgroup.WithContext(ctx)
	moves.SetLimit(workers)
	for g := range groups {
		if target[g] < 0 {
			continue
		}
		moves.Go(func() error {
			to := open[target[g]]
			texts := moving(groups[g], to)
			err := s.Sites.Move(mctx, groups[g], to, texts)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrSlotFull):
				retry = append(retry, g) // someone took the place meanwhile
				target[g] = unplaced
			case errors.Is(err, ErrAlreadySampled) || errors.Is(err, ErrNotBooked):
				target[g] = leftBe // sampled, moved or cancelled meanwhile
			case err != nil:
				return err
			default:
				moved(g, groups[g], to, texts)
			}
			return nil
		})
	}
	if err := moves.Wait(); err != nil {
		return out, err
	}
	slices.Sort(retry)
	for _, g := range retry {
		group := groups[g]
		for {
			i := placeOne(group, open)
			if i < 0 {
				break
			}
			to := &open[i]
			texts := moving(group, *to)
			err := s.Sites.Move(ctx, group, *to, texts)
			if errors.Is(err, ErrSlotFull) {
				to.Booked = to.Capacity
				continue
			}
			if errors.Is(err, ErrAlreadySampled) || errors.Is(err, ErrNotBooked) {
				target[g] = leftBe
				break
			}
			if err != nil {
				return out, err
			}
			to.Booked += len(group)
			target[g] = i
			moved(g, group, *to, texts)
			break
		}
	}
	// Those with no place left are cancelled, side by side too.
	cancels, cctx := errgroup.WithContext(ctx)
	cancels.SetLimit(workers)
	for g := range groups {
		if target[g] != unplaced {
			continue // moved, or left be
		}
		cancels.Go(func() error {
			group := groups[g]
			told := tell(group, texts.cancelled)
			if err := s.Sites.CancelMany(cctx, group, told); errors.Is(err, ErrAlreadySampled) || errors.Is(err, ErrNotBooked) {
				return nil
			} else if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, b := range group {
				b.Status = StatusCancelled
				cancelledBy[g] = append(cancelledBy[g], b)
			}
			sent = append(sent, told)
			return nil
		})
	}
	if err := cancels.Wait(); err != nil {
		return out, err
	}
	for g := range groups {
		out.Moved = append(out.Moved, movedBy[g]...)
		out.Cancelled = append(out.Cancelled, cancelledBy[g]...)
	}
	// The texts were written with the moves: they go to the queue now, or
	// with the sweep a minute later if the queue fails now.
	out.movedAt = time.Now()
	for _, p := range sent {
		if p != nil {
			for _, m := range p.Messages {
				out.Notified += len(m.Texts)
			}
		}
	}
	s.Outbox.Flush(ctx, sent...)
	return out, nil
}

// closureFits places the site's bookings in the other sites' open slots
// as the closure would, without moving any: those left without a place
// refuse the closure, with what would hold them.
func (s *Service) closureFits(ctx context.Context, r Round, siteID string, opening *Site) error {
	slots, err := s.Store.Slots(ctx, r.ID)
	if err != nil {
		return err
	}
	if opening != nil {
		// The spare counts as it will be: its slots within its hours open.
		st := *opening
		st.Spare = false
		for i, sl := range slots {
			if sl.SiteID == st.ID && st.serves(sl) {
				slots[i].Closed = false
				slots[i].Capacity = max(sl.Booked, st.Lanes*st.PerLanePerSlot)
			}
		}
	}
	closed, _ := closureSlots(slots, siteID, s.Now())
	// The round as the closure would leave it: the site's slots closed.
	after := slices.Clone(slots)
	for i := range after {
		if after[i].SiteID == siteID {
			after[i].Closed = true
		}
	}
	short, err := s.wouldStrand(ctx, r.ID, closed, after)
	if err != nil || short == 0 {
		return err
	}
	sites, err := s.Sites.Sites(ctx, r.ID)
	if err != nil {
		return err
	}
	others := slices.DeleteFunc(slices.Clone(sites), func(st Site) bool { return st.ID == siteID })
	var what []string
	for _, rm := range remedies(short, others, slices.DeleteFunc(slices.Clone(slots), func(sl Slot) bool { return sl.SiteID == siteID }), s.Now()) {
		what = append(what, rm.Text)
	}
	if len(what) == 0 {
		what = append(what, "-")
	}
	return ErrStrands.WithFields(apperr.FieldError{Field: "confirm", Reason: strconv.Itoa(short) +
		" booked people would have no place at the other sites: give confirm=true to close anyway (they are cancelled and told); what would hold them: " + strings.Join(what, "; ")})
}

// tell texts each resident of round r their own message (a few: a
// closure's go through the queue): members who share a phone each get
// theirs, since each has their own code. A phone that opted out or had its
// share today is skipped; a send that fails is logged. It answers how many
// were texted.
func (s *Service) tell(ctx context.Context, r Round, msgs map[string]message) int {
	if len(msgs) == 0 {
		return 0
	}
	ctx = sms.ForCommunity(ctx, r.CommunityID)
	log := logging.From(ctx)
	ids, contacts, ok := s.contacts(ctx, msgs)
	if !ok {
		return 0
	}
	sent := 0
	for _, id := range ids {
		c := contacts[id]
		if c.Phone == "" {
			continue
		}
		msg, err := msgs[id](c.Name)
		if err == nil {
			err = s.SMS.Send(ctx, c.Phone, msg)
		}
		switch {
		case sms.Skipped(err):
		case err != nil:
			log.Warn("a resident was not texted", "resident", id, "err", err)
		default:
			sent++
		}
	}
	return sent
}

// contacts reads the names and phones of the residents msgs are for, in id
// order; false (logged) when they cannot be read.
func (s *Service) contacts(ctx context.Context, msgs map[string]message) ([]string, map[string]Contact, bool) {
	ids := make([]string, 0, len(msgs))
	for id := range msgs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	contacts, err := s.Sites.Contacts(ctx, ids)
	if err != nil {
		logging.From(ctx).Warn("residents not texted", "residents", len(ids), "err", err)
		return nil, nil, false
	}
	return ids, contacts, true
}

// closureTexts reads how the people of bookings are reached and answers
// the maker of a household's texts: each member's own message (members who
// share a phone each get theirs, since each has their own code), once per
// key and resident however often it is queued, the drill of ctx marked; nil
// when nobody of the group has a phone. The consumer honours opt-outs.
func (s *Service) closureTexts(ctx context.Context, cid, key string, bookings []Booking) (func(group []Booking, msg func(name string, b Booking) (sms.Message, error)) *dispatch.Pending, error) {
	ids := make([]string, 0, len(bookings))
	for _, b := range bookings {
		ids = append(ids, b.ResidentID)
	}
	contacts, err := s.Sites.Contacts(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	batch := registry.NewID("close")
	return func(group []Booking, msg func(name string, b Booking) (sms.Message, error)) *dispatch.Pending {
		var texts []dispatch.Text
		for _, b := range group {
			c := contacts[b.ResidentID]
			if c.Phone == "" {
				continue
			}
			m, err := msg(c.Name, b)
			if err != nil {
				logging.From(ctx).Warn("a resident was not texted", "resident", b.ResidentID, "err", err)
				continue
			}
			texts = append(texts, dispatch.TextOf(key+":"+b.ResidentID, c.Phone, m))
		}
		p := dispatch.PendingTexts(ctx, now, cid, texts)
		if p != nil {
			// One batch: the closure marks its households' records sent
			// with one write, not one a household.
			p.Batch = batch
		}
		return p
	}, nil
}

// workers is how many moves or cancellations of a closure run at once.
const workers = 16

// What place decides for a group of bookings: a slot's index in open, or
// one of these.
const (
	unplaced = -1 // no open slot has room: cancelled
	leftBe   = -2 // sampled, moved or cancelled meanwhile: left as it is
)

// closureSlots splits a round's slots for closing site at now: the site's
// slots still to come (whose bookings go), and the other sites' open slots
// still to come, in time order (where they may go).
func closureSlots(slots []Slot, siteID string, now time.Time) (map[string]bool, []Slot) {
	closed := map[string]bool{}
	for _, sl := range slots {
		if sl.SiteID == siteID && sl.EndsAt.After(now) {
			closed[sl.ID] = true
		}
	}
	return closed, openSlots(slices.DeleteFunc(slices.Clone(slots), func(sl Slot) bool { return sl.SiteID == siteID }), now)
}

// openSlots are the open slots still to come, in time order: where a
// relocation may move people.
func openSlots(slots []Slot, now time.Time) []Slot {
	var open []Slot
	for _, sl := range slots {
		if !sl.Closed && sl.EndsAt.After(now) {
			open = append(open, sl)
		}
	}
	sort.Slice(open, func(i, j int) bool {
		if !open[i].StartsAt.Equal(open[j].StartsAt) {
			return open[i].StartsAt.Before(open[j].StartsAt)
		}
		return open[i].ID < open[j].ID
	})
	return open
}

// place decides where each group (a household's bookings of one slot,
// earliest first) goes: the earliest open slot at its time or later with
// room for the whole group, whose places it takes; unplaced when none has.
func place(groups [][]Booking, open []Slot) []int {
	target := make([]int, len(groups))
	for g, group := range groups {
		target[g] = placeOne(group, open)
		if target[g] >= 0 {
			open[target[g]].Booked += len(group)
		}
	}
	return target
}

// placeOne is the earliest slot of open at group's time or later with room
// for it; unplaced when none has.
func placeOne(group []Booking, open []Slot) int {
	for i := range open {
		if !open[i].StartsAt.Before(group[0].StartsAt) && open[i].Capacity-open[i].Booked >= len(group) {
			return i
		}
	}
	return unplaced
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
	ctx = drill.With(ctx, r.Drill)
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
	if _, err := s.steer(ctx, staff || !r.BookingRequired, roundID, slotID, []string{residentID}); err != nil {
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
	if err := s.Sites.Move(ctx, []Booking{b}, to, nil); err != nil {
		if errors.Is(err, ErrSlotFull) {
			return Booking{}, ErrSlotFull // full, or closed: the slot has no place
		}
		return Booking{}, err // ALREADY_SAMPLED: a sample is final
	}
	was := b
	b.SlotID, b.StartsAt = slotID, to.StartsAt
	if staff && !auth.OwnHousehold(p, b.HouseholdID) {
		audit.Changed(ctx, "booking", audited([]Booking{was}), audited([]Booking{b}))
		site := s.siteName(ctx, roundID, to.SiteID)
		s.tell(ctx, r, map[string]message{b.ResidentID: func(name string) (sms.Message, error) {
			return sms.BookingChanged(name, to.StartsAt, site, b.Code)
		}})
	}
	return b, nil
}

// siteName is the name of a round's site, "" when it cannot be read.
// SiteName is a site's name, or "" when it cannot be read: for messages.
func (s *Service) SiteName(ctx context.Context, roundID, siteID string) string {
	return s.siteName(ctx, roundID, siteID)
}

func (s *Service) siteName(ctx context.Context, roundID, siteID string) string {
	sites, err := s.Sites.Sites(ctx, roundID)
	if err != nil {
		logging.From(ctx).Warn("site name unread", "round", roundID, "err", err)
	}
	for _, st := range sites {
		if st.ID == siteID {
			return st.Name
		}
	}
	return ""
}
