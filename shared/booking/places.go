package booking

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// PlacesFor is how long a function instance trusts what it learned of a
// slot's free places: a transaction refused for want of room, or a read of
// the round's slots. Within it a booking for a slot known to be full is
// refused without a transaction (at a round's opening most attempts are
// for slots already full, and each refused transaction is a round trip to
// the round's hot items and billed as a write); past it the slot is tried
// again, so a place a cancellation frees is bookable within PlacesFor. The
// transaction stays the only judge of a place: knowledge only refuses.
const PlacesFor = time.Second

// places is what an instance knows of its rounds' free places.
type places struct {
	mu     sync.Mutex
	rounds map[string]*roundPlaces
}

type roundPlaces struct {
	// readAt is when slots were read; reading is set while a read runs, so
	// a burst of refusals reads the round once.
	readAt  time.Time
	reading bool
	slots   map[string]Slot
	// full are slots a transaction found without room, and when.
	full map[string]time.Time
}

func (p *places) round(roundID string) *roundPlaces {
	if p.rounds == nil {
		p.rounds = map[string]*roundPlaces{}
	}
	rp := p.rounds[roundID]
	if rp == nil {
		rp = &roundPlaces{slots: map[string]Slot{}, full: map[string]time.Time{}}
		p.rounds[roundID] = rp
	}
	return rp
}

// knownFull says whether slotID is known, within PlacesFor of now, to have
// fewer than n places.
func (p *places) knownFull(roundID, slotID string, n int, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	rp := p.round(roundID)
	if at, ok := rp.full[slotID]; ok && now.Sub(at) < PlacesFor {
		return true
	}
	if sl, ok := rp.slots[slotID]; ok && now.Sub(rp.readAt) < PlacesFor {
		return sl.Closed || sl.Capacity-sl.Booked < n
	}
	return false
}

// learnFull records that a transaction found slotID without room at now.
func (p *places) learnFull(roundID, slotID string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.round(roundID).full[slotID] = now
}

// freshPlaces reads the round's slots when what the instance knows is older than
// PlacesFor and no read is under way: one Query for a burst of refusals.
func (s *Service) freshPlaces(ctx context.Context, roundID string) {
	now := s.Now()
	s.places.mu.Lock()
	rp := s.places.round(roundID)
	if rp.reading || now.Sub(rp.readAt) < PlacesFor {
		s.places.mu.Unlock()
		return
	}
	rp.reading = true
	s.places.mu.Unlock()
	slots, err := s.Store.Slots(ctx, roundID)
	s.places.mu.Lock()
	defer s.places.mu.Unlock()
	rp.reading = false
	if err != nil {
		return // a refusal without alternatives; the next one reads again
	}
	rp.readAt = s.Now()
	rp.slots = make(map[string]Slot, len(slots))
	for _, sl := range slots {
		rp.slots[sl.ID] = sl
	}
}

// MaxAlternatives is how many slots with room a refusal names.
const MaxAlternatives = 3

// alternatives are the slots with room for n nearest in time to the one
// asked for, those of the building's window first: what a refusal names so
// that the next try books.
func (p *places) alternatives(roundID string, asked Slot, n int, window []string, now time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	rp := p.round(roundID)
	if now.Sub(rp.readAt) >= PlacesFor {
		return nil
	}
	var open []Slot
	for _, sl := range rp.slots {
		if at, full := rp.full[sl.ID]; full && now.Sub(at) < PlacesFor {
			continue
		}
		if sl.ID != asked.ID && !sl.Closed && sl.Capacity-sl.Booked >= n && sl.EndsAt.After(now) {
			open = append(open, sl)
		}
	}
	dist := func(sl Slot) time.Duration {
		d := sl.StartsAt.Sub(asked.StartsAt)
		if d < 0 {
			return -d
		}
		return d
	}
	sort.Slice(open, func(i, j int) bool {
		wi, wj := slices.Contains(window, open[i].ID), slices.Contains(window, open[j].ID)
		if wi != wj {
			return wi
		}
		if di, dj := dist(open[i]), dist(open[j]); di != dj {
			return di < dj
		}
		return open[i].ID < open[j].ID
	})
	out := []string{}
	for i := 0; i < len(open) && i < MaxAlternatives; i++ {
		out = append(out, open[i].ID)
	}
	return out
}
