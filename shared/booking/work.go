package booking

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
)

// RoundWork is what running a round in the field needs of storage: calls,
// sites changed under way, the samples' records and the night's note.
type RoundWork interface {
	DutyStore
	// SaveCall writes a call with the texts it leaves pending, unless the
	// building was called after notBefore (ErrCalledRecently).
	SaveCall(ctx context.Context, c Call, notBefore time.Time, pending *dispatch.Pending) error
	Calls(ctx context.Context, roundID string) ([]Call, error)
	// ReshapeSite writes a site's size, hours and opening and its slots'
	// changes in one transaction; ErrConflict when a slot changed since it
	// was read, ErrNotFound when the site is gone or closed.
	ReshapeSite(ctx context.Context, site Site, changes []SlotChange) error
	// MarkPublished records when a round's plan was first published.
	MarkPublished(ctx context.Context, roundID string, at time.Time) error
	// RecordClosure keeps what a closure did, for the review.
	RecordClosure(ctx context.Context, siteID string, at time.Time, moved, cancelled int) error
	Samples(ctx context.Context, roundID string) ([]SampleRecord, error)
	SaveNote(ctx context.Context, n Note) error
	// Note reads a round's note (ErrNotFound without one).
	Note(ctx context.Context, roundID string) (Note, error)
}

// ErrConflict is what a store reports when what it was to change changed.
var ErrConflict = errors.New("changed meanwhile")

// SampleRecord is a sample as the review reads it.
type SampleRecord struct {
	ResidentID string
	At         time.Time
	By         string
	WalkIn     bool
	SiteID     string
	AtDoor     bool
	SlotID     string
	Lane       int
	Tube       string
}

// SitePatch changes a site while the round runs: any of its size, its
// hours, or nothing but opening a spare.
type SitePatch struct {
	Lanes          *int       `json:"lanes"`
	PerLanePerSlot *int       `json:"perLanePerSlot"`
	OpensAt        *time.Time `json:"opensAt"`
	ClosesAt       *time.Time `json:"closesAt"`
	// open opens a spare site (POST /sites/{id}/open).
	open bool
}

// SlotChange is a slot's new state in a change of its site.
type SlotChange struct {
	// Was is the slot as read: the change holds only if it is unchanged.
	Was      Slot
	Capacity int
	Open     bool
}

// SiteChange is the answer to a change of a site.
type SiteChange struct {
	Site Site `json:"site"`
	// Slots are the site's open slots still to come, as they are now.
	Slots []Slot `json:"slots"`
	// KeptOver counts places kept above the new size in slots already
	// booked past it (with confirm): nobody booked loses their place.
	KeptOver int `json:"keptOver"`
	// Moved and Cancelled are the bookings of slots the new hours closed:
	// moved as a closure moves them, and told.
	Moved     []Moved   `json:"moved"`
	Cancelled []Booking `json:"cancelled"`
	Notified  int       `json:"notified"`
	Capacity  Capacity  `json:"capacity"`
	// Plan is the round's plan again, when slots opened or closed.
	Plan *Plan `json:"plan,omitempty"`
}

// ErrStrands refuses a change or closure that would leave booked people
// without a place, unless confirmed.
var ErrStrands = apperr.New(apperr.KindConflict, "WOULD_STRAND_BOOKINGS", "此变更会使已预约的居民没有位置", "This would leave booked people without a place")

// PatchSite changes a site's lanes, places per lane or hours while the
// round runs. Its slots still to come take the new size at once; slots the
// new hours leave out close and their bookings move as a closure's do (the
// same site at a later hour, or another site), each household told; slots
// the new hours take in open. A change that would leave booked people with
// no place is refused with the count and what would hold them, unless
// confirmed: then a smaller slot keeps its bookings and takes no more, and
// those with nowhere to move are cancelled and told.
func (s *Service) PatchSite(ctx context.Context, p auth.Principal, siteID string, in SitePatch, confirm bool) (SiteChange, error) {
	var fields []apperr.FieldError
	if in.Lanes == nil && in.PerLanePerSlot == nil && in.OpensAt == nil && in.ClosesAt == nil && !in.open {
		fields = append(fields, apperr.FieldError{Field: "lanes|perLanePerSlot|opensAt|closesAt", Reason: "give what changes"})
	}
	if in.Lanes != nil && (*in.Lanes < 1 || *in.Lanes > maxLanes) {
		fields = append(fields, apperr.FieldError{Field: "lanes", Reason: "from 1 to 50"})
	}
	if in.PerLanePerSlot != nil && (*in.PerLanePerSlot < 1 || *in.PerLanePerSlot > maxPerLane) {
		fields = append(fields, apperr.FieldError{Field: "perLanePerSlot", Reason: "from 1 to 500"})
	}
	if len(fields) > 0 {
		return SiteChange{}, apperr.Validation.WithFields(fields...)
	}
	r, err := s.siteRound(ctx, p, siteID)
	if err != nil {
		return SiteChange{}, err
	}
	ctx = drill.With(ctx, r.Drill)
	for try := 0; ; try++ {
		out, err := s.reshape(ctx, r, siteID, in, confirm)
		if errors.Is(err, ErrConflict) && try < 4 {
			continue // a booking took a place meanwhile: read again
		}
		if errors.Is(err, ErrConflict) {
			return SiteChange{}, apperr.StoreUnavailable
		}
		return out, err
	}
}

// OpenSite opens a spare site (备用点): its slots within its hours take
// people from now, and the round is planned again with it. Opening an open
// site answers it as it is.
func (s *Service) OpenSite(ctx context.Context, p auth.Principal, siteID string) (SiteChange, error) {
	return s.PatchSite(ctx, p, siteID, SitePatch{open: true}, false)
}

// siteRound is the round of a site the caller manages.
func (s *Service) siteRound(ctx context.Context, p auth.Principal, siteID string) (Round, error) {
	if !registry.ValidID(siteID) || SiteOf(SlotID(siteID, 0)) != siteID {
		return Round{}, ErrSiteNotFound
	}
	r, err := s.managedRound(ctx, p, RoundOf(siteID))
	if errors.Is(err, ErrRoundNotFound) {
		return Round{}, ErrSiteNotFound
	}
	return r, err
}

func (s *Service) reshape(ctx context.Context, r Round, siteID string, in SitePatch, confirm bool) (SiteChange, error) {
	sites, err := s.Sites.Sites(ctx, r.ID)
	if err != nil {
		return SiteChange{}, err
	}
	var site Site
	for _, st := range sites {
		if st.ID == siteID && !st.Closed {
			site = st
		}
	}
	if site.ID == "" {
		return SiteChange{}, ErrSiteNotFound
	}
	var fields []apperr.FieldError
	site.OpensAt, site.ClosesAt = siteHours(r, in.OpensAt, in.ClosesAt, site.OpensAt, site.ClosesAt, &fields)
	if len(fields) > 0 {
		return SiteChange{}, apperr.Validation.WithFields(fields...)
	}
	if in.Lanes != nil {
		site.Lanes = *in.Lanes
	}
	if in.PerLanePerSlot != nil {
		site.PerLanePerSlot = *in.PerLanePerSlot
	}
	if in.open {
		site.Spare = false
	}
	size := site.Lanes * site.PerLanePerSlot
	all, err := s.Store.Slots(ctx, r.ID)
	if err != nil {
		return SiteChange{}, err
	}
	now := s.Now()
	out := SiteChange{Site: site, Slots: []Slot{}, Moved: []Moved{}, Cancelled: []Booking{}}
	stranded, toggled := 0, false
	var changes []SlotChange
	closing := map[string]bool{}
	after := slices.Clone(all) // the round's slots as the change leaves them
	for i, sl := range all {
		if sl.SiteID != siteID || !sl.EndsAt.After(now) {
			continue
		}
		if !site.serves(sl) {
			if !sl.Closed {
				changes = append(changes, SlotChange{Was: sl, Capacity: sl.Capacity})
				closing[sl.ID], toggled = true, true
				after[i].Closed = true
			}
			continue
		}
		capacity := max(size, sl.Booked)
		stranded += max(0, sl.Booked-size)
		out.KeptOver += capacity - size
		if sl.Closed || sl.Capacity != capacity {
			changes = append(changes, SlotChange{Was: sl, Capacity: capacity, Open: true})
			toggled = toggled || sl.Closed
		}
		after[i].Capacity, after[i].Closed = capacity, false
		out.Slots = append(out.Slots, after[i])
	}
	if !confirm {
		short, err := s.wouldStrand(ctx, r.ID, closing, after)
		if err != nil {
			return SiteChange{}, err
		}
		if stranded+short > 0 {
			var what []string
			for _, rm := range remedies(stranded+short, sites, after, now) {
				what = append(what, rm.Text)
			}
			if len(what) == 0 {
				what = append(what, "-")
			}
			return SiteChange{}, ErrStrands.WithFields(apperr.FieldError{Field: "confirm",
				Reason: strconv.Itoa(stranded+short) + " booked people would have no place: give confirm=true to go on (a smaller slot keeps its bookings and takes no more; those the new hours leave with nowhere to go are cancelled and told); what would hold them: " + strings.Join(what, "; ")})
		}
	}
	if err := s.Work.ReshapeSite(ctx, site, changes); errors.Is(err, ErrNotFound) {
		return SiteChange{}, ErrSiteNotFound
	} else if err != nil {
		return SiteChange{}, err
	}
	s.forgetWindows()
	// Once the slots are closed their people are moved and told, whether
	// or not the caller waits.
	ctx = context.WithoutCancel(ctx)
	if len(closing) > 0 {
		if all, err = s.Store.Slots(ctx, r.ID); err != nil {
			return out, err
		}
		rel, err := s.relocate(ctx, r, "site-hours:"+siteID+":"+strconv.FormatInt(now.Unix(), 10), closing, openSlots(all, now), relocationTexts{
			moved: func(name string, b Booking, toSite string, at time.Time) (sms.Message, error) {
				return sms.BookingChanged(name, at, toSite, b.Code)
			},
			cancelled: func(name string, b Booking) (sms.Message, error) { return sms.BookingWithdrawn(name, b.StartsAt) },
		})
		out.Moved, out.Cancelled, out.Notified = rel.Moved, rel.Cancelled, rel.Notified
		if err != nil {
			return out, err
		}
	}
	if toggled {
		if all, err = s.Store.Slots(ctx, r.ID); err != nil {
			return out, err
		}
		plan, err := s.replan(ctx, r, slices.DeleteFunc(all, func(sl Slot) bool { return sl.Closed }))
		if err != nil {
			return out, err
		}
		out.Plan = &plan
	}
	ro, err := s.roster(ctx, r)
	if err != nil {
		return out, err
	}
	out.Capacity, err = s.capacity(ctx, r, ro)
	return out, err
}

// wouldStrand counts the booked people of the closing slots (not sampled)
// that the round's open slots, as after says, could not hold.
func (s *Service) wouldStrand(ctx context.Context, roundID string, closing map[string]bool, after []Slot) (int, error) {
	if len(closing) == 0 {
		return 0, nil
	}
	bookings, err := s.Sites.LiveBookingsAt(ctx, roundID, closing)
	if err != nil {
		return 0, err
	}
	sampled, err := s.Store.Sampled(ctx, roundID, "")
	if err != nil {
		return 0, err
	}
	bookings = slices.DeleteFunc(bookings, func(b Booking) bool { _, done := sampled[b.ResidentID]; return done })
	groups := byHouseholdAndSlot(bookings)
	short := 0
	for g, t := range place(groups, openSlots(after, s.Now())) {
		if t == unplaced {
			short += len(groups[g])
		}
	}
	return short, nil
}

// Note is the night's review note of a round (每晚复盘): shown again when
// the next round is planned.
type Note struct {
	RoundID string    `json:"roundId"`
	Text    string    `json:"text"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// OpenSpare opens the spare site of a round by its name (a playbook's
// open_site step knows its sites by name, not by id).
func (s *Service) OpenSpare(ctx context.Context, p auth.Principal, roundID, name string) (SiteChange, error) {
	if _, err := s.managedRound(ctx, p, roundID); err != nil {
		return SiteChange{}, err
	}
	sites, err := s.Sites.Sites(ctx, roundID)
	if err != nil {
		return SiteChange{}, err
	}
	for _, st := range sites {
		if st.Name == name && !st.Closed {
			return s.OpenSite(ctx, p, st.ID)
		}
	}
	return SiteChange{}, ErrSiteNotFound
}
