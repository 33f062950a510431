package booking

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/registry"
)

// RoundWork is what running a round in the field needs of storage: calls,
// sites changed under way, the samples' records and the night's note.
type RoundWork interface {
	DutyStore
	// SaveCall writes a call with the texts it leaves pending, unless the
	// building was called after notBefore (ErrCalledRecently).
	SaveCall(ctx context.Context, c Call, notBefore time.Time, pending *dispatch.Pending) error
	Calls(ctx context.Context, roundID string) ([]Call, error)
	// ResizeSite sets a site's lanes and places, and each slot read the
	// new size (or what is booked there, when more), in one transaction;
	// ErrConflict when a slot changed since it was read.
	ResizeSite(ctx context.Context, site Site, read []Slot) error
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
}

// SitePatch changes a site while the round runs.
type SitePatch struct {
	Lanes          *int `json:"lanes"`
	PerLanePerSlot *int `json:"perLanePerSlot"`
}

// SiteChange is the answer to a change of a site.
type SiteChange struct {
	Site Site `json:"site"`
	// Slots are the site's slots still to come, as they are now.
	Slots []Slot `json:"slots"`
	// KeptOver counts places kept above the new size in slots already
	// booked past it (with confirm): nobody booked loses their place.
	KeptOver int      `json:"keptOver"`
	Capacity Capacity `json:"capacity"`
}

// ErrStrands refuses a change or closure that would leave booked people
// without a place, unless confirmed.
var ErrStrands = apperr.New(apperr.KindConflict, "WOULD_STRAND_BOOKINGS", "此变更会使已预约的居民没有位置", "This would leave booked people without a place")

// PatchSite changes a site's lanes or places per lane while the round
// runs: its slots still to come take the new size at once. A smaller site
// whose slots hold more bookings than the new size is refused with the
// count, unless confirmed: then those slots keep their bookings (no booking
// is lost, none moved) and take no more.
func (s *Service) PatchSite(ctx context.Context, p auth.Principal, siteID string, in SitePatch, confirm bool) (SiteChange, error) {
	if !registry.ValidID(siteID) || SiteOf(SlotID(siteID, 0)) != siteID {
		return SiteChange{}, ErrSiteNotFound
	}
	r, err := s.managedRound(ctx, p, RoundOf(siteID))
	if errors.Is(err, ErrRoundNotFound) {
		return SiteChange{}, ErrSiteNotFound
	} else if err != nil {
		return SiteChange{}, err
	}
	var fields []apperr.FieldError
	if in.Lanes == nil && in.PerLanePerSlot == nil {
		fields = append(fields, apperr.FieldError{Field: "lanes|perLanePerSlot", Reason: "give what changes"})
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
	for try := 0; ; try++ {
		out, err := s.resize(ctx, r, siteID, in, confirm)
		if errors.Is(err, ErrConflict) && try < 4 {
			continue // a booking took a place meanwhile: read again
		}
		if errors.Is(err, ErrConflict) {
			return SiteChange{}, apperr.StoreUnavailable
		}
		return out, err
	}
}

func (s *Service) resize(ctx context.Context, r Round, siteID string, in SitePatch, confirm bool) (SiteChange, error) {
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
	if in.Lanes != nil {
		site.Lanes = *in.Lanes
	}
	if in.PerLanePerSlot != nil {
		site.PerLanePerSlot = *in.PerLanePerSlot
	}
	size := site.Lanes * site.PerLanePerSlot
	all, err := s.Store.Slots(ctx, r.ID)
	if err != nil {
		return SiteChange{}, err
	}
	now := s.Now()
	out := SiteChange{Site: site, Slots: []Slot{}}
	stranded := 0
	var read []Slot
	for _, sl := range all {
		if sl.SiteID != siteID || sl.Closed || !sl.EndsAt.After(now) {
			continue
		}
		read = append(read, sl)
		stranded += max(0, sl.Booked-size)
		sl.Capacity = max(size, sl.Booked)
		out.KeptOver += sl.Capacity - size
		out.Slots = append(out.Slots, sl)
	}
	if stranded > 0 && !confirm {
		return SiteChange{}, ErrStrands.WithFields(apperr.FieldError{Field: "lanes",
			Reason: strconv.Itoa(stranded) + " booked people are over the new size in slots still to come: keep more places, or give confirm=true to keep their places and take no more there"})
	}
	if err := s.Work.ResizeSite(ctx, site, read); errors.Is(err, ErrNotFound) {
		return SiteChange{}, ErrSiteNotFound
	} else if err != nil {
		return SiteChange{}, err
	}
	s.windows.Range(func(k, _ any) bool { s.windows.Delete(k); return true })
	ro, err := s.roster(ctx, r)
	if err != nil {
		return out, err
	}
	out.Capacity, err = s.capacity(ctx, r, ro)
	return out, err
}

// Note is the night's review note of a round (每晚复盘): shown again when
// the next round is planned.
type Note struct {
	RoundID string    `json:"roundId"`
	Text    string    `json:"text"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}
