package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/metrics"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
)

// Directory is what booking reads of the registry.
type Directory interface {
	auth.StreetResolver
	Buildings(ctx context.Context, communityID, cursor string, limit int) ([]registry.Building, string, error)
	BuildingResidents(ctx context.Context, buildingID string) ([]registry.Resident, error)
	BuildingHouseholds(ctx context.Context, buildingID string) ([]registry.Household, error)
}

// IdempotencyStore reads the key a resident's booking was made with.
type IdempotencyStore interface {
	IdempotencyKeyOf(ctx context.Context, roundID, residentID string) (string, error)
}

// Errors of requests.
var (
	ErrIdempotencyReused = apperr.New(apperr.KindIdempotencyMismatch, "IDEMPOTENCY_KEY_REUSED", "该请求标识已用于另一个请求", "This Idempotency-Key was used for another request")
)

// Service runs rounds and bookings.
type Service struct {
	Store       Store
	Directory   Directory
	Idempotency IdempotencyStore
	Plans       PlanStore
	Sites       SiteStore
	// SMS tells people of a booking made or moved for them.
	SMS Sender
	// Outbox sends a closed site's texts, written with its moves, to the
	// dispatch queue, which sends them paced (thousands at once would not
	// fit in a request).
	Outbox *dispatch.Outbox
	Now    func() time.Time
	// Drills says who opted into drills: only they see drills' rounds.
	Drills interface {
		DrillOptIn(ctx context.Context, residentID string) (bool, error)
	}
	// Work keeps the field's work: calls, resized sites, samples, notes;
	// its duties say what a volunteer is on shift for.
	Work RoundWork
	// Watch says which households have not acknowledged the building's
	// notices and who has no temperature today, for a 楼栋长's view.
	Watch Watcher
	// Zones gives a building's zone level, for the size of its tubes;
	// Tubes keeps the tubes and the lab's results.
	Zones ZoneLevels
	Tubes TubeStore
	// Trace keeps the traces of pooled-positive tubes and their single
	// samples.
	Trace TraceStore
	// Alarm gives who an overdue trace texts.
	Alarm Alarm

	// windows caches each building's planned window for windowTTL.
	windows sync.Map

	// rounds caches what never changes about a round (community, times), so
	// a booking costs one DynamoDB request after a function's first.
	rounds sync.Map

	// registers caches each community's register for registerFor.
	registers sync.Map

	// places is what the instance learned of slots' free places, for
	// PlacesFor: a slot known full is refused without a transaction.
	places places
}

// RoundInput is the body that creates a round.
type RoundInput struct {
	Name        string    `json:"name"`
	StartsAt    time.Time `json:"startsAt"`
	EndsAt      time.Time `json:"endsAt"`
	SlotMinutes int       `json:"slotMinutes"`
	// CheckInOpensMinutesBefore: check-in is taken from this long before
	// the start (default 30 when nil).
	CheckInOpensMinutesBefore *int `json:"checkInOpensMinutesBefore"`
	// AllowPastStart opens a round whose start has passed (one already under
	// way); without it such a start is taken for a typing slip.
	AllowPastStart bool `json:"allowPastStart"`
	// BookingRequired: false makes booking optional (default true).
	BookingRequired *bool `json:"bookingRequired"`
	// Pooling: how many swabs a tube takes by zone level (DefaultPooling
	// when nil).
	Pooling *Pooling `json:"pooling"`
}

// pastStartGrace is how far in the past a start may be without
// AllowPastStart: a form filled in over a minute or two.
const pastStartGrace = 5 * time.Minute

// CreateRound creates a round in a community.
func (s *Service) CreateRound(ctx context.Context, p auth.Principal, communityID string, in RoundInput) (Round, error) {
	if err := auth.RequireCommunity(ctx, p, communityID, s.Directory); err != nil {
		return Round{}, err
	}
	var fields []apperr.FieldError
	var problem safetext.Problem
	if in.Name, problem = safetext.Line(in.Name, 64, true); problem != "" {
		fields = append(fields, apperr.FieldError{Field: "name", Reason: string(problem)})
	}
	if in.SlotMinutes < 5 || in.SlotMinutes > 240 {
		fields = append(fields, apperr.FieldError{Field: "slotMinutes", Reason: "from 5 to 240"})
	}
	if in.StartsAt.IsZero() || in.EndsAt.IsZero() || !in.EndsAt.After(in.StartsAt) {
		fields = append(fields, apperr.FieldError{Field: "endsAt", Reason: "RFC 3339 times, endsAt after startsAt"})
	} else if in.SlotMinutes > 0 && int(in.EndsAt.Sub(in.StartsAt)/time.Minute)/in.SlotMinutes > MaxSlotsPerSite {
		fields = append(fields, apperr.FieldError{Field: "slotMinutes", Reason: fmt.Sprintf("at most %d slots per site: use longer slots or a shorter round", MaxSlotsPerSite)})
	} else if in.SlotMinutes > 0 && int(in.EndsAt.Sub(in.StartsAt)/time.Minute) < in.SlotMinutes {
		fields = append(fields, apperr.FieldError{Field: "endsAt", Reason: "the round is shorter than one slot"})
	}
	opens := DefaultCheckInOpensMinutesBefore
	if in.CheckInOpensMinutesBefore != nil {
		opens = *in.CheckInOpensMinutesBefore
		if opens < 0 || opens > 240 {
			fields = append(fields, apperr.FieldError{Field: "checkInOpensMinutesBefore", Reason: "from 0 to 240"})
		}
	}
	if !in.StartsAt.IsZero() && in.StartsAt.Before(s.Now().Add(-pastStartGrace)) && !in.AllowPastStart {
		fields = append(fields, apperr.FieldError{Field: "startsAt", Reason: "in the past: give allowPastStart true to open a round already under way"})
	}
	pooling := DefaultPooling
	if in.Pooling != nil {
		pooling = *in.Pooling
		fields = append(fields, pooling.problems()...)
	}
	if len(fields) > 0 {
		return Round{}, apperr.Validation.WithFields(fields...)
	}
	r := Round{ID: NewRoundID(), CommunityID: communityID, Name: in.Name, StartsAt: in.StartsAt.Truncate(time.Second).In(chinatime.Zone),
		EndsAt: in.EndsAt.Truncate(time.Second).In(chinatime.Zone), SlotMinutes: in.SlotMinutes, CheckInOpensMinutesBefore: opens,
		CreatedAt: s.Now().Truncate(time.Second).In(chinatime.Zone), Drill: drill.RunOf(ctx),
		BookingRequired: in.BookingRequired == nil || *in.BookingRequired, Pooling: pooling}
	return r, s.Store.CreateRound(ctx, r)
}

// Rounds lists a community's latest rounds: staff and admins see them all,
// residents and volunteers their own community's.
func (s *Service) Rounds(ctx context.Context, p auth.Principal, communityID string) ([]Round, error) {
	if !auth.MemberOf(p, communityID) {
		if err := auth.RequireCommunity(ctx, p, communityID, s.Directory); err != nil {
			return nil, err
		}
	}
	rounds, err := s.Store.Rounds(ctx, communityID, 50)
	if err != nil || p.Has(manifest.RoleStaff) || p.Has(manifest.RoleAdmin) {
		return rounds, err
	}
	drills, err := s.seesDrills(ctx, p, rounds)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rounds, func(r Round) bool { return r.Drill != "" && !drills }), nil
}

// seesDrills says whether a resident or volunteer sees drills' rounds: only
// those who opted into drills do. It asks only when rounds hold a drill's.
func (s *Service) seesDrills(ctx context.Context, p auth.Principal, rounds []Round) (bool, error) {
	if !slices.ContainsFunc(rounds, func(r Round) bool { return r.Drill != "" }) {
		return false, nil
	}
	return s.Drills.DrillOptIn(ctx, p.UserID)
}

// asStaff says whether p may run rounds of community: its staff, or an
// admin of its street. Only a failure to find out is an error.
func (s *Service) asStaff(ctx context.Context, p auth.Principal, communityID string) (bool, error) {
	if !p.Has(manifest.RoleStaff) && !p.Has(manifest.RoleAdmin) {
		return false, nil
	}
	err := auth.RequireCommunity(ctx, p, communityID, s.Directory)
	if err == nil {
		return true, nil
	}
	if k := apperr.As(err).Kind; k == apperr.KindForbidden || k == apperr.KindNotFound {
		return false, nil
	}
	return false, err
}

// mayActFor lets staff act on anyone of the round's community, and a
// resident on their own household.
func (s *Service) mayActFor(ctx context.Context, p auth.Principal, r Round, householdID string) error {
	if auth.OwnHousehold(p, householdID) {
		return nil
	}
	staff, err := s.asStaff(ctx, p, r.CommunityID)
	if err != nil {
		return err
	}
	if !staff {
		return apperr.Forbidden
	}
	return nil
}

// round reads a round once per function instance.
func (s *Service) round(ctx context.Context, id string) (Round, error) {
	if v, ok := s.rounds.Load(id); ok {
		return v.(Round), nil
	}
	if !registry.ValidID(id) {
		return Round{}, ErrRoundNotFound
	}
	r, err := s.Store.Round(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Round{}, ErrRoundNotFound
	}
	if err != nil {
		return Round{}, err
	}
	if r.Drill == "" {
		// A drill's round is removed with the drill: not kept past a read.
		s.rounds.Store(id, r)
	}
	return r, nil
}

// visibleRound is a round the caller may see: staff and admins of its
// community, its residents and volunteers.
func (s *Service) visibleRound(ctx context.Context, p auth.Principal, id string) (Round, error) {
	r, err := s.round(ctx, id)
	if err != nil {
		return Round{}, err
	}
	if auth.MemberOf(p, r.CommunityID) && !p.Has(manifest.RoleStaff) {
		if drills, err := s.seesDrills(ctx, p, []Round{r}); err != nil || (r.Drill != "" && !drills) {
			return Round{}, errors.Join(err, ErrRoundNotFound)
		}
		return r, nil
	}
	if auth.MemberOf(p, r.CommunityID) {
		return r, nil
	}
	if !p.Has(manifest.RoleStaff) && !p.Has(manifest.RoleAdmin) {
		return Round{}, ErrRoundNotFound
	}
	if err := auth.RequireCommunity(ctx, p, r.CommunityID, s.Directory); err != nil {
		return Round{}, err
	}
	return r, nil
}

// managedRound is a round the caller may run: staff and admins only.
func (s *Service) managedRound(ctx context.Context, p auth.Principal, id string) (Round, error) {
	r, err := s.round(ctx, id)
	if err != nil {
		return Round{}, err
	}
	return r, auth.RequireCommunity(ctx, p, r.CommunityID, s.Directory)
}

// GetRound returns a round.
func (s *Service) GetRound(ctx context.Context, p auth.Principal, id string) (Round, error) {
	return s.visibleRound(ctx, p, id)
}

// SiteInput is the body that adds a site.
type SiteInput struct {
	Name           string `json:"name"`
	Lanes          int    `json:"lanes"`
	PerLanePerSlot int    `json:"perLanePerSlot"`
	// Spare defines the site without opening it (备用点).
	Spare bool `json:"spare,omitempty"`
	// OpensAt and ClosesAt narrow its hours within the round's, on the
	// round's slot boundaries.
	OpensAt  *time.Time `json:"opensAt,omitempty"`
	ClosesAt *time.Time `json:"closesAt,omitempty"`
}

// AddSite adds a site and generates its slots: lanes × perLanePerSlot places
// in each slot of the round. Slots that have already ended are left out, so
// a site opened mid-round starts now.
func (s *Service) AddSite(ctx context.Context, p auth.Principal, roundID string, in SiteInput) (Site, []Slot, error) {
	r, err := s.managedRound(ctx, p, roundID)
	if err != nil {
		return Site{}, nil, err
	}
	var fields []apperr.FieldError
	var problem safetext.Problem
	if in.Name, problem = safetext.Line(in.Name, 64, true); problem != "" {
		fields = append(fields, apperr.FieldError{Field: "name", Reason: string(problem)})
	} else if !sms.PlainText(in.Name) {
		// A site's name is in the SMS that tell people where to go.
		fields = append(fields, apperr.FieldError{Field: "name", Reason: "not sendable by SMS: no links, phone numbers, brackets or symbols such as ¥ ★ & ※"})
	}
	if in.Lanes < 1 || in.Lanes > 50 {
		fields = append(fields, apperr.FieldError{Field: "lanes", Reason: "from 1 to 50"})
	}
	if in.PerLanePerSlot < 1 || in.PerLanePerSlot > 500 {
		fields = append(fields, apperr.FieldError{Field: "perLanePerSlot", Reason: "from 1 to 500"})
	}
	in.OpensAt, in.ClosesAt = siteHours(r, in.OpensAt, in.ClosesAt, nil, nil, &fields)
	if len(fields) > 0 {
		return Site{}, nil, apperr.Validation.WithFields(fields...)
	}
	site := Site{ID: NewSiteID(r.ID), RoundID: r.ID, Name: in.Name, Lanes: in.Lanes, PerLanePerSlot: in.PerLanePerSlot,
		Spare: in.Spare, OpensAt: in.OpensAt, ClosesAt: in.ClosesAt}
	now := s.Now()
	var slots []Slot
	for i := 0; ; i++ {
		start, end := slotTimes(r, i)
		if end.After(r.EndsAt) {
			break
		}
		if !end.After(now) {
			continue
		}
		// Every slot still to come is written, those outside the hours (or
		// all of a spare's) closed: hours and opening change flags, not
		// items.
		sl := Slot{ID: SlotID(site.ID, i), SiteID: site.ID, StartsAt: start, EndsAt: end, Capacity: in.Lanes * in.PerLanePerSlot}
		sl.Closed = !site.serves(sl)
		slots = append(slots, sl)
	}
	if len(slots) == 0 {
		return Site{}, nil, apperr.Validation.WithFields(apperr.FieldError{Field: "round", Reason: "the round has no slot left"})
	}
	if err := s.Store.AddSite(ctx, site, slots); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Site{}, nil, ErrRoundNotFound
		}
		return Site{}, nil, err
	}
	return site, slices.DeleteFunc(slots, func(sl Slot) bool { return sl.Closed }), nil
}

// siteHours checks hours given for a site (nil: as they were, was) against
// the round: within it, on its slot boundaries, opening before closing. It
// answers the hours to keep, nil where they are the round's own.
func siteHours(r Round, opens, closes, wasOpens, wasCloses *time.Time, fields *[]apperr.FieldError) (*time.Time, *time.Time) {
	onGrid := func(t time.Time) bool {
		return t.Sub(r.StartsAt)%(time.Duration(r.SlotMinutes)*time.Minute) == 0 || t.Equal(r.EndsAt)
	}
	bad := func(field, reason string) { *fields = append(*fields, apperr.FieldError{Field: field, Reason: reason}) }
	grid := "on the round's slot boundaries (every " + strconv.Itoa(r.SlotMinutes) + " minutes from " + chinatime.In(r.StartsAt).Format("15:04") + ")"
	if opens == nil {
		opens = wasOpens
	} else if opens.Before(r.StartsAt) || !opens.Before(r.EndsAt) || !onGrid(*opens) {
		bad("opensAt", "within the round and "+grid)
	}
	if closes == nil {
		closes = wasCloses
	} else if !closes.After(r.StartsAt) || closes.After(r.EndsAt) || !onGrid(*closes) {
		bad("closesAt", "within the round and "+grid)
	}
	if opens != nil && closes != nil && !opens.Before(*closes) {
		bad("closesAt", "after opensAt")
	}
	if opens != nil && !opens.After(r.StartsAt) {
		opens = nil
	}
	if closes != nil && !closes.Before(r.EndsAt) {
		closes = nil
	}
	return opens, closes
}

func slotTimes(r Round, i int) (time.Time, time.Time) {
	d := time.Duration(r.SlotMinutes) * time.Minute
	start := r.StartsAt.Add(time.Duration(i) * d)
	return start, start.Add(d)
}

// slotOf rebuilds a slot's times from its id, without a read.
func slotOf(r Round, slotID string) (Slot, bool) {
	if RoundOf(slotID) != r.ID || !registry.ValidID(slotID) {
		return Slot{}, false
	}
	i := strings.LastIndex(slotID, idSep+"t")
	if i < 0 {
		return Slot{}, false
	}
	n, err := strconv.Atoi(slotID[i+2:])
	if err != nil || n < 0 || n > MaxSlotsPerSite {
		return Slot{}, false
	}
	start, end := slotTimes(r, n)
	return Slot{ID: slotID, SiteID: SiteOf(slotID), StartsAt: start, EndsAt: end}, true
}

// Slots lists a round's open slots, by time.
func (s *Service) Slots(ctx context.Context, p auth.Principal, roundID string) ([]Slot, error) {
	if _, err := s.visibleRound(ctx, p, roundID); err != nil {
		return nil, err
	}
	slots, err := s.Store.Slots(ctx, roundID)
	if err != nil {
		return nil, err
	}
	slots = slices.DeleteFunc(slots, func(sl Slot) bool { return sl.Closed })
	sort.SliceStable(slots, func(i, j int) bool {
		if !slots[i].StartsAt.Equal(slots[j].StartsAt) {
			return slots[i].StartsAt.Before(slots[j].StartsAt)
		}
		return slots[i].ID < slots[j].ID
	})
	if slots == nil {
		slots = []Slot{}
	}
	return slots, nil
}

// MaxPerBooking bounds one request: a household, or what staff book at once.
const MaxPerBooking = 10

// Book books residents into a slot: one TransactWriteItems. A resident books
// members of their own household; staff anyone of the round's community.
// With an Idempotency-Key, the same request again answers the same bookings,
// and the key with another request answers 422.
func (s *Service) Book(ctx context.Context, p auth.Principal, roundID, slotID string, residentIDs []string, key string) ([]Booking, error) {
	res, err := s.BookSteered(ctx, p, roundID, slotID, residentIDs, key)
	return res.Bookings, err
}

// Booked is the answer to a booking request.
type Booked struct {
	Bookings []Booking `json:"bookings"`
	Steering Steering  `json:"steering"`
	// Replayed: the answer of an earlier request with the same key.
	Replayed bool `json:"-"`
	// Notified counts the confirmations texted when staff book: residents
	// not counted have no phone and are to be told in person.
	Notified int `json:"notified"`
}

// BookSteered books like Book and says how the slot relates to the
// building's planned window.
func (s *Service) BookSteered(ctx context.Context, p auth.Principal, roundID, slotID string, residentIDs []string, key string) (Booked, error) {
	none := Steering{InWindow: true}
	r, err := s.round(ctx, roundID)
	if err != nil {
		return Booked{Steering: none}, err
	}
	if r.Drill != "" && !p.Has(manifest.RoleStaff) && !p.Has(manifest.RoleAdmin) {
		// A drill's round is there only for residents who take part.
		if sees, err := s.seesDrills(ctx, p, []Round{r}); err != nil || !sees {
			return Booked{Steering: none}, errors.Join(err, ErrRoundNotFound)
		}
	}
	residentIDs = registry.Distinct(residentIDs)
	if len(residentIDs) == 0 || len(residentIDs) > MaxPerBooking {
		return Booked{Steering: none}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentIds", Reason: fmt.Sprintf("1 to %d residents", MaxPerBooking)})
	}
	for _, id := range residentIDs {
		if !registry.ValidID(id) || registry.HouseholdOf(id) == "" {
			return Booked{Steering: none}, ErrUnknownResident
		}
	}
	staff, err := s.asStaff(ctx, p, r.CommunityID)
	if err != nil {
		return Booked{Steering: none}, err
	}
	if !staff {
		if !p.Has(manifest.RoleResident) || p.ResidentCommunityID != r.CommunityID {
			if p.Has(manifest.RoleStaff) || p.Has(manifest.RoleAdmin) {
				return Booked{Steering: none}, apperr.Forbidden
			}
			return Booked{Steering: none}, ErrRoundNotFound
		}
		for _, id := range residentIDs {
			if !auth.OwnHousehold(p, registry.HouseholdOf(id)) {
				return Booked{Steering: none}, apperr.Forbidden.Wrap(errors.New("a resident books only their own household"))
			}
		}
	}
	slot, ok := slotOf(r, slotID)
	if !ok {
		return Booked{Steering: none}, ErrSlotUnavailable
	}
	now := s.Now()
	if !slot.EndsAt.After(now) {
		return Booked{Steering: none}, ErrSlotPassed
	}
	steering, err := s.steer(ctx, staff || !r.BookingRequired, r.ID, slotID, residentIDs)
	if err != nil {
		if key != "" {
			// A repeat of a request that booked before the plan changed
			// still gets its answer; another request with its key gets 422.
			out, rerr := s.replay(ctx, r.ID, slotID, residentIDs, key, err)
			return Booked{Bookings: out, Steering: steering, Replayed: rerr == nil, Notified: texted(out)}, rerr
		}
		return Booked{Steering: none}, err
	}
	if s.places.knownFull(r.ID, slotID, len(residentIDs), now) {
		// Known full within PlacesFor: refused without a transaction, with
		// the slots that have room (a retry of a request that booked gets
		// its answer first).
		if key != "" {
			if out, rerr := s.replay(ctx, r.ID, slotID, residentIDs, key, ErrSlotFull); rerr == nil {
				return Booked{Bookings: out, Steering: steering, Replayed: true, Notified: texted(out)}, nil
			}
		}
		return Booked{Steering: steering}, s.full(ctx, r, slot, len(residentIDs), steering)
	}
	req := BookRequest{Round: r, Slot: slot, IdempotencyKey: key, At: now.Truncate(time.Second).In(chinatime.Zone)}
	for attempt := 0; ; attempt++ {
		req.Residents = req.Residents[:0]
		for _, id := range residentIDs {
			req.Residents = append(req.Residents, Resident{ID: id, HouseholdID: registry.HouseholdOf(id), BuildingID: registry.BuildingOf(id), Code: NewCode()})
		}
		out, err := s.Store.Book(ctx, req)
		if errors.Is(err, ErrCodeTaken) && attempt < 3 {
			continue
		}
		if errors.Is(err, ErrAlreadyBooked) && key != "" {
			out, err = s.replay(ctx, r.ID, slotID, residentIDs, key, err)
			return Booked{Bookings: out, Steering: steering, Replayed: err == nil, Notified: texted(out)}, err
		}
		if err == nil {
			metrics.Count(metrics.Bookings, float64(len(out)))
		}
		if errors.Is(err, ErrSlotFull) {
			s.places.learnFull(r.ID, slotID, s.Now())
			return Booked{Steering: steering}, s.full(ctx, r, slot, len(residentIDs), steering)
		}
		if err != nil || !staff {
			return Booked{Bookings: out, Steering: steering}, err
		}
		audit.Changed(ctx, "bookings", nil, audited(out))
		return Booked{Bookings: out, Steering: steering, Notified: s.confirm(ctx, r, slot, out)}, nil
	}
}

// full is the refusal of a full slot, naming the slots with room nearest
// it (the building's window's first), from a read of the round's slots at
// most PlacesFor old.
func (s *Service) full(ctx context.Context, r Round, slot Slot, n int, st Steering) error {
	s.freshPlaces(ctx, r.ID)
	var window []string
	if st.Window != nil {
		window = st.Window.SlotIDs
	}
	return ErrSlotFull.WithAlternatives(s.places.alternatives(r.ID, slot, n, window, s.Now())...)
}

// audited is what an audit entry says of bookings made for others: who,
// where and when, not the codes.
func audited(bs []Booking) []map[string]any {
	out := make([]map[string]any, len(bs))
	for i, b := range bs {
		out[i] = map[string]any{"residentId": b.ResidentID, "roundId": b.RoundID, "slotId": b.SlotID, "startsAt": b.StartsAt, "status": b.Status}
	}
	return out
}

// confirm texts each resident staff booked for their name, time, site and
// code: staff book for the people the app does not reach. A resident
// without a phone is told through their household's. What was texted is
// marked on the booking, so that a replay answers the same; the booking
// stands whatever the SMS do, and notified tells staff who still has to be
// told in person.
func (s *Service) confirm(ctx context.Context, r Round, slot Slot, bookings []Booking) int {
	if len(bookings) == 0 {
		return 0
	}
	site := s.siteName(ctx, r.ID, slot.SiteID)
	ctx = drill.With(ctx, r.Drill)
	sent := 0
	for _, b := range bookings {
		n := s.tell(ctx, r, map[string]message{b.ResidentID: func(name string) (sms.Message, error) {
			return sms.BookingConfirmed(name, slot.StartsAt, site, b.Code)
		}})
		if n == 0 {
			continue
		}
		sent++
		if err := s.Sites.MarkTexted(ctx, r.ID, b.ResidentID); err != nil {
			logging.From(ctx).Warn("a confirmation's mark was not written", "booking", b.ID, "err", err)
		}
	}
	return sent
}

// texted counts the bookings whose confirmation was texted.
func texted(bs []Booking) int {
	n := 0
	for _, b := range bs {
		if b.Texted {
			n++
		}
	}
	return n
}

// replay answers a repeated request with the bookings the first one made.
func (s *Service) replay(ctx context.Context, roundID, slotID string, residentIDs []string, key string, cause error) ([]Booking, error) {
	existing, err := s.Store.BookingsOfResidents(ctx, roundID, residentIDs)
	if err != nil {
		return nil, err
	}
	byResident := map[string]Booking{}
	for _, b := range existing {
		byResident[b.ResidentID] = b
	}
	var out []Booking
	mine := 0
	for _, id := range residentIDs {
		b, ok := byResident[id]
		if !ok || b.Status != StatusBooked {
			continue
		}
		k, err := s.Idempotency.IdempotencyKeyOf(ctx, roundID, id)
		if err != nil {
			return nil, err
		}
		if k == key {
			mine++
			out = append(out, b)
		}
	}
	switch {
	case mine == 0:
		return nil, cause // booked by another request: a real conflict
	case mine == len(residentIDs) && out[0].SlotID == slotID:
		return out, nil
	default:
		return nil, ErrIdempotencyReused
	}
}

// HouseholdBookings lists the caller's household's live bookings.
func (s *Service) HouseholdBookings(ctx context.Context, p auth.Principal) ([]Booking, error) {
	all, err := s.Store.HouseholdBookings(ctx, p.HouseholdID)
	if err != nil {
		return nil, err
	}
	out := []Booking{}
	for _, b := range all {
		if b.Status == StatusBooked {
			out = append(out, b)
		}
	}
	return out, nil
}

// Cancel cancels a booking; its place returns once.
func (s *Service) Cancel(ctx context.Context, p auth.Principal, bookingID string) (Booking, error) {
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
	b, err := s.Store.Cancel(ctx, roundID, residentID)
	if err == nil && !auth.OwnHousehold(p, b.HouseholdID) {
		was := b
		was.Status = StatusBooked
		audit.Changed(ctx, "booking", audited([]Booking{was}), audited([]Booking{b}))
		// Staff cancelled it: the resident may not have the app to see it.
		s.tell(ctx, r, map[string]message{residentID: func(name string) (sms.Message, error) { return sms.BookingWithdrawn(name, b.StartsAt) }})
	}
	return b, err
}

// CheckInResult says who was sampled.
type CheckInResult struct {
	ResidentID string    `json:"residentId"`
	WalkIn     bool      `json:"walkIn"`
	SampledAt  time.Time `json:"sampledAt"`
	SiteID     string    `json:"siteId,omitempty"`
	AtDoor     bool      `json:"atDoor,omitempty"`
	// Tube is the tube the swab went into, when the site records tubes.
	Tube string `json:"tube,omitempty"`
}

// CheckInInput is a check-in: by booking code or resident id (a walk-in
// or a door), at a site or at the door.
type CheckInInput struct {
	Code       string `json:"code"`
	ResidentID string `json:"residentId"`
	// SiteID is where the sample is taken: a site volunteer must give
	// their site; staff may.
	SiteID string `json:"siteId"`
	// AtDoor: taken at the resident's door by the door team (上门采样).
	AtDoor bool `json:"atDoor"`
	// Lane is the site's 采样台 that took it (1 to 50), for the night's
	// review per lane; 0 when not said.
	Lane int `json:"lane"`
	// Tube is the code of the tube the swab went into; with a lane, later
	// check-ins of the lane that give none go into the same tube until it
	// is full. Position is the swab's place in it, when the site counts.
	Tube     string `json:"tube"`
	Position int    `json:"position"`
}

// Sample is a check-in as the store keeps it.
type Sample struct {
	RoundID     string
	ResidentID  string
	CommunityID string
	At          time.Time
	By          string
	SiteID      string
	AtDoor      bool
	Lane        int
	// Tube, when the site records tubes: its size and zone level (the
	// first swab's fix them), and the household of a household's tube.
	Tube          string
	TubeSize      int
	TubeLevel     string
	TubeHousehold string
	Position      int
}

// ErrWrongSite refuses a site volunteer's check-in at a site not theirs.
var ErrWrongSite = apperr.New(apperr.KindForbidden, "NOT_YOUR_SITE", "您只能在本人值守的采样点登记", "You check people in at your own site only")

// CheckIn marks a resident sampled, by booking code or by resident id
// (walk-ins too). Staff check in anywhere; a volunteer on shift at a
// site's post at that site only, and the door team at doors. A second
// check-in is reported, not counted.
func (s *Service) CheckIn(ctx context.Context, p auth.Principal, roundID string, in CheckInInput) (CheckInResult, error) {
	r, f, err := s.fieldRound(ctx, p, roundID)
	if err != nil {
		return CheckInResult{}, err
	}
	code, residentID := in.Code, in.ResidentID
	if (code == "") == (residentID == "") {
		return CheckInResult{}, apperr.Validation.WithFields(apperr.FieldError{Field: "code|residentId", Reason: "give one of them"})
	}
	if in.Lane < 0 || in.Lane > maxLanes || in.Lane > 0 && in.SiteID == "" {
		return CheckInResult{}, apperr.Validation.WithFields(apperr.FieldError{Field: "lane", Reason: "the site's lane, from 1 to 50, with its siteId"})
	}
	if in.AtDoor && in.SiteID != "" {
		return CheckInResult{}, apperr.Validation.WithFields(apperr.FieldError{Field: "siteId", Reason: "a sample is taken at a site or at the door, not both"})
	}
	if in.SiteID != "" && (!registry.ValidID(in.SiteID) || RoundOf(in.SiteID) != r.ID || SiteOf(SlotID(in.SiteID, 0)) != in.SiteID) {
		return CheckInResult{}, ErrSiteNotFound
	}
	switch {
	case f.Staff:
	case in.AtDoor && !f.Door:
		return CheckInResult{}, ErrNotOnDuty
	case !in.AtDoor && in.SiteID == "":
		return CheckInResult{}, apperr.Validation.WithFields(apperr.FieldError{Field: "siteId", Reason: "the site you check people in at"})
	case !in.AtDoor && !f.Sites[in.SiteID]:
		return CheckInResult{}, ErrWrongSite
	}
	if now := s.Now(); !r.CheckInOpen(now) {
		opens := r.StartsAt.Add(-time.Duration(r.CheckInOpensMinutesBefore) * time.Minute)
		return CheckInResult{}, ErrRoundNotOpen.WithFields(apperr.FieldError{Field: "round",
			Reason: "check-in is taken from " + chinatime.In(opens).Format("01-02 15:04") + " to " + chinatime.In(r.EndsAt).Format("01-02 15:04")})
	}
	if code != "" {
		code = strings.ToUpper(strings.TrimSpace(code))
		if !ValidCode(code) {
			return CheckInResult{}, apperr.Validation.WithFields(apperr.FieldError{Field: "code", Reason: "the 6 letters and digits of a booking code"})
		}
		residentID, err = s.Store.ResidentOfCode(ctx, roundID, code)
		if errors.Is(err, ErrNotFound) {
			return CheckInResult{}, ErrUnknownCode
		}
		if err != nil {
			return CheckInResult{}, err
		}
	}
	if !registry.ValidID(residentID) || registry.HouseholdOf(residentID) == "" {
		return CheckInResult{}, ErrUnknownResident
	}
	at := s.Now().Truncate(time.Second).In(chinatime.Zone)
	sm := Sample{RoundID: roundID, ResidentID: residentID, CommunityID: r.CommunityID, At: at,
		By: p.UserID, SiteID: in.SiteID, AtDoor: in.AtDoor, Lane: in.Lane}
	tube, err := s.tubeFor(ctx, roundID, in)
	if err != nil {
		return CheckInResult{}, err
	}
	if err := s.tubeSample(ctx, r, &sm, tube, in.Position); err != nil {
		return CheckInResult{}, err
	}
	walkIn, err := s.Store.CheckIn(ctx, sm)
	if errors.Is(err, ErrTubeRefused) {
		return CheckInResult{}, s.tubeRefusal(ctx, sm)
	}
	if err != nil {
		return CheckInResult{}, err
	}
	return CheckInResult{ResidentID: residentID, WalkIn: walkIn, SampledAt: at, SiteID: in.SiteID, AtDoor: in.AtDoor, Tube: sm.Tube}, nil
}

// BuildingProgress is one row of the progress report.
type BuildingProgress struct {
	BuildingID string `json:"buildingId,omitempty"`
	Name       string `json:"name"`
	Residents  int    `json:"residents"`
	Booked     int    `json:"booked"`
	Sampled    int    `json:"sampled"`
	WalkIns    int    `json:"walkIns"`
	// DoorToDoor are the bed-bound not yet sampled; Accounted those not
	// sampled with a reason (away, isolating, refused); Left the rest.
	DoorToDoor int `json:"doorToDoor"`
	Accounted  int `json:"accounted"`
	Left       int `json:"left"`
	// Of the sampled into a tube: those whose tube has its result, those
	// waiting for it, and those in a pooled-positive or positive tube.
	Resulted       int `json:"resulted"`
	Pending        int `json:"pending"`
	PooledPositive int `json:"pooledPositive"`
}

func (s *Service) allBuildings(ctx context.Context, communityID string) ([]registry.Building, error) {
	var all []registry.Building
	cursor := ""
	for {
		page, next, err := s.Directory.Buildings(ctx, communityID, cursor, 200)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	sort.Slice(all, func(i, j int) bool { return registry.NaturalLess(all[i].Name, all[j].Name) })
	return all, nil
}

// Unsampled is one resident still to be sampled.
type Unsampled struct {
	ResidentID  string `json:"residentId"`
	Name        string `json:"name"`
	Building    string `json:"building"`
	BuildingID  string `json:"buildingId"`
	HouseholdID string `json:"householdId"`
	Unit        string `json:"unit"`
	Room        string `json:"room"`
	Phone       string `json:"phone,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// Reasons staff can give for a resident not sampled (door-to-door check).
var Reasons = []string{"bedridden", "away", "isolating", "refused"}

// UnsampledList lists the residents not yet sampled, building by building,
// with the reason staff gave where any. buildingID limits it to one building.
func (s *Service) UnsampledList(ctx context.Context, p auth.Principal, roundID, buildingID string) ([]Unsampled, error) {
	r, err := s.managedRound(ctx, p, roundID)
	if err != nil {
		return nil, err
	}
	buildings, err := s.allBuildings(ctx, r.CommunityID)
	if err != nil {
		return nil, err
	}
	if buildingID != "" {
		buildings = slices.DeleteFunc(buildings, func(b registry.Building) bool { return b.ID != buildingID })
		if len(buildings) == 0 {
			return nil, apperr.NotFound
		}
	}
	out := []Unsampled{}
	for _, b := range buildings {
		residents, err := s.Directory.BuildingResidents(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		sampled, err := s.Store.Sampled(ctx, roundID, b.ID)
		if err != nil {
			return nil, err
		}
		reasons, err := s.Store.Reasons(ctx, roundID, b.ID)
		if err != nil {
			return nil, err
		}
		households, err := s.Directory.BuildingHouseholds(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		where := byID(households)
		var rows []Unsampled
		for _, res := range residents {
			if _, done := sampled[res.ID]; done {
				continue
			}
			h := where[res.HouseholdID]
			rows = append(rows, Unsampled{ResidentID: res.ID, Name: res.Name, Building: b.Name, BuildingID: b.ID,
				HouseholdID: res.HouseholdID, Unit: h.Unit, Room: h.Room, Phone: res.Phone, Reason: reasons[res.ID]})
		}
		// Door by door: unit, then room, as staff walk the stairs.
		byDoor(rows, func(x Unsampled) (string, string) { return x.Unit, x.Room })
		out = append(out, rows...)
	}
	return out, nil
}

// SetReason records why a resident is not sampled.
func (s *Service) SetReason(ctx context.Context, p auth.Principal, roundID, residentID, reason string) error {
	if _, err := s.managedRound(ctx, p, roundID); err != nil {
		return err
	}
	if !slices.Contains(Reasons, reason) {
		return apperr.Validation.WithFields(apperr.FieldError{Field: "reason", Reason: "one of " + strings.Join(Reasons, ", ")})
	}
	if !registry.ValidID(residentID) || registry.HouseholdOf(residentID) == "" {
		return ErrUnknownResident
	}
	return s.Store.SetReason(ctx, roundID, residentID, reason)
}
