package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/volunteers"
	"github.com/fangxian/fangxian/shared/zone"
)

// State is a household's at the gate: the outing under way, the days of
// its recent outings (what its quota counts) and of its arranged trips,
// and its latest return with no outing on record.
type State struct {
	HouseholdID string  `json:"householdId"`
	Open        *Outing `json:"open,omitempty"`
	// Outs are the Beijing days of the household's outings of the last
	// week, one entry an outing.
	Outs []string `json:"outs"`
	// Trips are the days of its outings for a care plan's trips.
	Trips []string `json:"trips,omitempty"`
	// LastIn and LastOut are its latest return and its latest outing's
	// start: an out scanned before either (sent on late from a queue) was
	// over by then.
	LastIn  *time.Time `json:"lastIn,omitempty"`
	LastOut *time.Time `json:"lastOut,omitempty"`
	Version int        `json:"version"`
}

// Outing is a household's time out: from its out to its in.
type Outing struct {
	EventID     string     `json:"eventId"`
	CommunityID string     `json:"communityId"`
	HouseholdID string     `json:"householdId"`
	Door        string     `json:"door,omitempty"`
	PostID      string     `json:"postId"`
	Day         string     `json:"day"`
	At          time.Time  `json:"at"`
	ReturnBy    *time.Time `json:"returnBy,omitempty"`
	BackAt      *time.Time `json:"backAt,omitempty"`
	BackPostID  string     `json:"backPostId,omitempty"`
	// Why is the exception it went out by, if any (ARRANGED_TRIP, PERMIT).
	Why string `json:"why,omitempty"`
	// BackBy is the staff member who marked the household back (by a
	// call or a visit) when no return was scanned.
	BackBy string `json:"backBy,omitempty"`
}

// Event is one scan or log line at a gate.
type Event struct {
	ID          string    `json:"eventId"`
	PostID      string    `json:"postId"`
	CommunityID string    `json:"communityId"`
	Kind        string    `json:"kind"`
	Direction   string    `json:"direction"`
	At          time.Time `json:"at"`
	Allowed     bool      `json:"allowed"`
	// Reason is why it was refused, or the exception that allowed it.
	Reason     string     `json:"reason,omitempty"`
	ReasonText string     `json:"reasonText,omitempty"`
	ReturnBy   *time.Time `json:"returnBy,omitempty"`
	// Delayed says the scan reached the server over DelayedAfter after
	// it was taken (a queue sent on after an outage): judged by the
	// household's state when it arrived, logged at the time it was taken.
	Delayed     bool      `json:"delayed,omitempty"`
	ReceivedAt  time.Time `json:"-"`
	HouseholdID string    `json:"-"`
	BuildingID  string    `json:"-"`
	By          string    `json:"-"`
	// Fingerprint is the scan as sent: the same id sent again must be
	// the same scan.
	Fingerprint string `json:"-"`
	// Outing is the outing an out began, or an in closed (stored with the
	// event, so the event's write carries it).
	Outing *Outing `json:"-"`
	// Replayed says the device sent a scan already logged: the answer is
	// the one it was given then.
	Replayed bool `json:"replayed,omitempty"`
}

// Hour is the event's hour of its Beijing day, what its count is kept by.
func (e Event) Hour() int { return chinatime.In(e.At).Hour() }

// Day is the event's Beijing day.
func (e Event) Day() string { return chinatime.In(e.At).Format(time.DateOnly) }

// Counter is the count an event adds one to: out, in, visitor, courier,
// or refused by its reason.
func (e Event) Counter() string {
	switch {
	case e.Kind == KindVisitor:
		return "visitor_" + e.Direction
	case e.Kind == KindCourier:
		return "courier"
	case !e.Allowed:
		return "refused_" + e.Reason
	}
	return e.Direction
}

// EventInput is a scan sent by a checkpoint's device.
type EventInput struct {
	// EventID is the device's id of the scan: sent again (a retry, a
	// queue sent on after an outage), the same answer, counted once.
	EventID   string `json:"eventId"`
	Pass      string `json:"pass,omitempty"`
	Direction string `json:"direction"`
	// Kind is household (a pass), visitor or courier (no pass; logged with
	// the building they go to).
	Kind       string `json:"kind,omitempty"`
	BuildingID string `json:"buildingId,omitempty"`
	// ScannedAt is when the device scanned, for scans queued through an
	// outage (now if not given; within the last 12 hours).
	ScannedAt *time.Time `json:"scannedAt,omitempty"`
}

// fingerprint is the scan as the device sent it.
func (in EventInput) fingerprint() string {
	at := ""
	if in.ScannedAt != nil {
		at = in.ScannedAt.UTC().Format(time.RFC3339Nano)
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{in.Kind, in.Direction, in.Pass, in.BuildingID, at}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

var eventIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`) })

// ScanWindow is how long after a scan its event may still be sent;
// DelayedAfter is when a scan counts as sent on late (marked, for staff
// to see). A QR code must reach the server within QRGrace of its expiry: a device offline cannot
// vouch for a code's time (the resident's app offline shows no new code
// either: through an outage the typed code is the pass).
const (
	ScanWindow   = 12 * time.Hour
	DelayedAfter = 30 * time.Second
	QRGrace      = 2 * time.Minute
)

func (in *EventInput) check(now time.Time) (time.Time, error) {
	if !eventIDRE().MatchString(in.EventID) {
		return time.Time{}, field("eventId", "8 to 64 letters, digits, - or _: the device's id of the scan")
	}
	if in.Kind == "" {
		in.Kind = KindHousehold
	}
	if !slices.Contains([]string{KindHousehold, KindVisitor, KindCourier}, in.Kind) {
		return time.Time{}, field("kind", "household, visitor or courier")
	}
	if in.Direction != DirectionOut && in.Direction != DirectionIn {
		return time.Time{}, field("direction", "out or in")
	}
	switch {
	case in.Kind == KindHousehold && (in.Pass == "" || len(in.Pass) > 300):
		return time.Time{}, field("pass", "the scanned QR code or the 6-character code")
	case in.Kind != KindHousehold && in.Pass != "":
		return time.Time{}, field("pass", "a visitor or courier has no pass")
	case in.Kind != KindHousehold && in.BuildingID == "":
		return time.Time{}, field("buildingId", "the building they go to")
	case in.Kind != KindHousehold && !registry.ValidID(in.BuildingID):
		return time.Time{}, field("buildingId", "a building of the community")
	case in.Kind == KindHousehold && in.BuildingID != "":
		return time.Time{}, field("buildingId", "only for a visitor or courier")
	}
	at := now
	if in.ScannedAt != nil {
		at = *in.ScannedAt
		if at.After(now.Add(time.Minute)) || at.Before(now.Add(-ScanWindow)) {
			return time.Time{}, ErrScanOutOfRange
		}
		if at.After(now) {
			at = now
		}
	}
	return chinatime.In(at).Truncate(time.Second), nil
}

// Guessing bounds the unknown passes a post may try: a queue at a gate
// mistypes a few; trying codes is many. The day's cap keeps the odds of
// finding one of 3,000 codes among 887 million at about 1 in 3,000 a day.
const (
	GuessesPerWindow = 30
	GuessWindow      = 10 * time.Minute
	GuessesPerDay    = 100
)

// Record logs a scan at a checkpoint post and answers allowed or refused
// and why: nothing else about the household. Only a volunteer on a shift
// of the post at the scan's time, or the community's staff, may.
func (s *Service) Record(ctx context.Context, p auth.Principal, postID string, in EventInput) (Event, error) {
	if !registry.ValidID(postID) {
		return Event{}, ErrPostNotFound
	}
	post, err := s.Posts.Post(ctx, postID)
	if err != nil {
		return Event{}, err
	}
	now := s.Now()
	at, err := in.check(now)
	if err != nil {
		return Event{}, err
	}
	if err := s.onShift(ctx, p, post, at, now); err != nil {
		return Event{}, err
	}
	if post.Kind != "checkpoint" {
		return Event{}, ErrNotCheckpoint
	}
	if prior, ok, err := s.Store.Event(ctx, postID, in.EventID); err != nil || ok {
		return replay(prior, in, err)
	}
	e := Event{ID: in.EventID, PostID: postID, CommunityID: post.CommunityID, Kind: in.Kind, Direction: in.Direction, At: at, Allowed: true, By: p.UserID,
		ReceivedAt: chinatime.In(now).Truncate(time.Second), Delayed: now.Sub(at) > DelayedAfter, Fingerprint: in.fingerprint()}
	if in.Kind != KindHousehold {
		ok, err := s.Registry.HasBuilding(ctx, post.CommunityID, in.BuildingID)
		if err != nil {
			return Event{}, err
		}
		if !ok {
			return Event{}, field("buildingId", "a building of the community")
		}
		e.BuildingID = in.BuildingID
		return s.write(ctx, e, State{}, nil, in)
	}
	// Two gates scanning one household at once: the second's state write
	// fails on the version, and it decides again on what the first did.
	for range 5 {
		e := e
		sc, err := s.read(ctx, in.Pass, at, now.Add(-QRGrace))
		if err != nil {
			return Event{}, err
		}
		if sc.Refused == "" && sc.pass.CommunityID != post.CommunityID {
			sc.Refused = ReasonOtherCommunity
		}
		e.HouseholdID = sc.HouseholdID
		if sc.Refused != "" {
			if sc.Refused == ReasonUnknown {
				for _, l := range []struct {
					key    string
					limit  int
					window time.Duration
				}{{"gate-unknown:", GuessesPerWindow, GuessWindow}, {"gate-unknown-day:", GuessesPerDay, 24 * time.Hour}} {
					wait, err := s.Limiter.Take(ctx, l.key+postID, l.limit, l.window, now)
					if err != nil {
						return Event{}, err
					}
					if wait > 0 {
						return Event{}, ErrGuessing
					}
				}
			}
			if sc.Refused == ReasonOtherCommunity {
				e.HouseholdID = "" // another community's household is not ours to log
			}
			e.Allowed, e.Reason = false, sc.Refused
			return s.write(ctx, e, State{}, nil, in)
		}
		st, err := s.Store.GateState(ctx, sc.HouseholdID)
		if err != nil {
			return Event{}, err
		}
		next, err := s.decide(ctx, &e, sc.pass, st)
		if err != nil {
			return Event{}, err
		}
		got, err := s.write(ctx, e, st, next, in)
		if !errors.Is(err, ErrChanged) {
			return got, err
		}
	}
	return Event{}, ErrChanged
}

// write stores the event; an event of this id stored meanwhile (the same
// scan sent twice at once) is answered as it was.
func (s *Service) write(ctx context.Context, e Event, prev State, next *State, in EventInput) (Event, error) {
	if e.Reason != "" {
		e.ReasonText = ReasonText[e.Reason]
	}
	ok, err := s.Store.RecordEvent(ctx, e, prev, next)
	if err != nil {
		return Event{}, err
	}
	if ok {
		return e, nil
	}
	prior, found, err := s.Store.Event(ctx, e.PostID, e.ID)
	if err != nil {
		return Event{}, err
	}
	if !found {
		return Event{}, ErrChanged // the household's state moved: decide again
	}
	return replay(prior, in, nil)
}

// replay answers a scan sent again with the answer it was given, if it is
// the same scan; an id reused for another is refused.
func replay(prior Event, in EventInput, err error) (Event, error) {
	if err != nil {
		return Event{}, err
	}
	if prior.Fingerprint != in.fingerprint() {
		return Event{}, ErrEventIDReused
	}
	prior.Replayed = true
	return prior, nil
}

// onShift lets the community's staff, and a volunteer assigned to a shift
// of the post that the scan's time falls in (from Early before its start
// to its end) and that ended no more than volunteers.Late before the scan
// arrived: a queue sent on after an outage arrives soon after the shift,
// and a device's claimed time cannot stretch a shift past that.
func (s *Service) onShift(ctx context.Context, p auth.Principal, post volunteers.Post, at, now time.Time) error {
	if auth.RequireCommunity(ctx, p, post.CommunityID, s.Store) == nil {
		return nil
	}
	if p.VolunteerID == "" {
		return apperr.Forbidden
	}
	as, err := s.Posts.Assignments(ctx, post.ID)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.VolunteerID == p.VolunteerID && !at.Before(a.StartsAt.Add(-volunteers.Early)) && at.Before(a.EndsAt) && now.Before(a.EndsAt.Add(volunteers.Late)) {
			return nil
		}
	}
	return ErrNotOnShift
}

// decide fills in e's answer for a household and the state it leaves
// (nil for a refusal, which changes nothing of the household). The
// household's level, watches and rules are as they are when the scan
// arrives; its outings are ordered by the times the scans were taken.
func (s *Service) decide(ctx context.Context, e *Event, pass Pass, st State) (*State, error) {
	h, members, err := s.Registry.Household(ctx, pass.HouseholdID)
	if errors.Is(err, registry.ErrNotFound) {
		e.Allowed, e.Reason = false, ReasonUnknown
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	day := e.Day()
	next := st
	next.HouseholdID, next.Outs, next.Trips = h.ID, recent(st.Outs, e.At), recent(st.Trips, e.At)
	if e.Direction == DirectionIn {
		o := st.Open
		next.LastIn = latest(st.LastIn, e.At)
		if o == nil || e.At.Before(o.At) {
			// No outing to close: one open began after this return (its
			// out was sent on late). The return is remembered, so an out
			// scanned before it that comes later is over by then.
			e.Reason = ReasonNoOut
			return &next, nil
		}
		back := e.At
		o.BackAt, o.BackPostID = &back, e.PostID
		next.Open = nil
		e.Outing = o
		return &next, nil
	}
	// An out sent on late, scanned before a return or another outing
	// already logged, was over by the first of them.
	var home *time.Time
	for _, t := range []*time.Time{st.LastIn, st.LastOut} {
		if t != nil && e.At.Before(*t) && (home == nil || t.Before(*home)) {
			home = t
		}
	}
	if st.Open != nil && e.At.Before(st.Open.At) && (home == nil || st.Open.At.Before(*home)) {
		at := st.Open.At
		home = &at
	}
	zs, err := s.Registry.BuildingZones(ctx, h.CommunityID, h.BuildingID)
	if err != nil {
		return nil, err
	}
	level, homeIsolated := zone.LevelNone, false
	if z, ok := zone.Strictest(zs, h); ok {
		level = z.Level
		homeIsolated = z.HouseholdID != "" && z.Reason == "home_isolation"
	}
	rules, err := s.rules(ctx, h.CommunityID)
	if err != nil {
		return nil, err
	}
	rule := rules.Levels[level]
	watched, err := s.watched(ctx, h.CommunityID, members)
	if err != nil {
		return nil, err
	}
	if rule.Free && !homeIsolated && !watched {
		// Free to come and go: logged, nothing to keep. An outing left
		// open from a stricter day is over: the household is at the gate.
		if st.Open == nil || home != nil {
			return nil, nil
		}
		o := st.Open
		back := e.At
		o.BackAt, o.BackPostID = &back, e.PostID
		next.Open, e.Outing = nil, o
		return &next, nil
	}
	if st.Open != nil && home == nil {
		e.Allowed, e.Reason = false, ReasonAlreadyOut
		return nil, nil
	}
	refused := ""
	switch {
	case homeIsolated || watched:
		refused = ReasonUnderWatch
	case level == zone.LevelSealed:
		refused = ReasonSealed
	case rule.Outs == 0:
		refused = ReasonNoOutings
	case countFrom(next.Outs, chinatime.Midnight(e.At).AddDate(0, 0, 1-rule.EveryDays).Format(time.DateOnly), day) >= rule.Outs:
		refused = ReasonQuotaUsed
	}
	why, minutes := "", rule.Minutes
	if refused != "" && rules.CareTrips {
		trips, err := s.Trips.TripsOn(ctx, h.CommunityID, h.ID, chinatime.Midnight(e.At))
		if err != nil {
			return nil, err
		}
		if used := countFrom(next.Trips, day, day); used < len(trips) {
			// The trip's time, and an hour for the way there and back.
			refused, why, minutes = "", ReasonArrangedTrip, trips[used]+60
		}
	}
	if (refused == ReasonQuotaUsed || refused == ReasonNoOutings) && rules.Permits && pass.PermitUntil >= day && level != zone.LevelSealed {
		refused, why = "", ReasonPermit
	}
	if refused != "" {
		e.Allowed, e.Reason = false, refused
		return nil, nil
	}
	e.Reason = why
	o := &Outing{EventID: e.ID, CommunityID: h.CommunityID, HouseholdID: h.ID, Door: h.Address(), PostID: e.PostID, Day: day, At: e.At, Why: why}
	if minutes > 0 {
		by := e.At.Add(time.Duration(minutes) * time.Minute)
		o.ReturnBy, e.ReturnBy = &by, &by
	}
	switch why {
	case "":
		next.Outs = append(next.Outs, day)
	case ReasonArrangedTrip:
		next.Trips = append(next.Trips, day)
	}
	if home != nil {
		back := *home
		o.BackAt = &back
	} else {
		next.Open = o
		next.LastOut = latest(st.LastOut, e.At)
	}
	e.Outing = o
	return &next, nil
}

// latest is the later of t and at.
func latest(t *time.Time, at time.Time) *time.Time {
	if t != nil && t.After(at) {
		return t
	}
	return &at
}

// countFrom counts the days from from to to (YYYY-MM-DD).
func countFrom(days []string, from, to string) int {
	n := 0
	for _, d := range days {
		if d >= from && d <= to {
			n++
		}
	}
	return n
}

// recent keeps the days of the week before at: no rule's period is
// longer.
func recent(days []string, at time.Time) []string {
	from := chinatime.Midnight(at).AddDate(0, 0, -7).Format(time.DateOnly)
	out := []string{}
	for _, d := range days {
		if d >= from {
			out = append(out, d)
		}
	}
	return out
}

// watched says whether anyone of the household is under watch.
func (s *Service) watched(ctx context.Context, cid string, members []registry.Resident) (bool, error) {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	return s.Registry.AnyUnderWatch(ctx, cid, ids)
}

// View is what a checkpoint's device shows before the first scan: the
// post, the buildings a visitor or courier may go to, and whether the
// caller may log here now.
type View struct {
	PostID    string         `json:"postId"`
	Name      string         `json:"name"`
	Place     string         `json:"place"`
	Buildings []BuildingName `json:"buildings"`
	// OnShift says the caller may log scans here now (staff always).
	OnShift bool `json:"onShift"`
}

// BuildingName is a building as the gate's device lists it.
type BuildingName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ViewOf is a checkpoint's view for its volunteers and the community's
// staff.
func (s *Service) ViewOf(ctx context.Context, p auth.Principal, postID string) (View, error) {
	if !registry.ValidID(postID) {
		return View{}, ErrPostNotFound
	}
	post, err := s.Posts.Post(ctx, postID)
	if err != nil {
		return View{}, err
	}
	if post.Kind != "checkpoint" {
		return View{}, ErrNotCheckpoint
	}
	err = s.onShift(ctx, p, post, s.Now(), s.Now())
	switch {
	case errors.Is(err, ErrNotOnShift):
		// A volunteer of the post's team sees the page, told they are off
		// shift; anyone else is refused.
		as, aerr := s.Posts.Assignments(ctx, postID)
		if aerr != nil {
			return View{}, aerr
		}
		if !slices.ContainsFunc(as, func(a volunteers.Assignment) bool { return a.VolunteerID == p.VolunteerID }) {
			return View{}, apperr.Forbidden
		}
	case err != nil:
		return View{}, err
	}
	v := View{PostID: post.ID, Name: post.Name, Place: post.Place, Buildings: []BuildingName{}, OnShift: err == nil}
	bs, err := s.buildings(ctx, post.CommunityID)
	for _, b := range bs {
		v.Buildings = append(v.Buildings, BuildingName{ID: b.ID, Name: b.Name})
	}
	return v, err
}

// buildings are every building of a community, in walking order.
func (s *Service) buildings(ctx context.Context, cid string) ([]registry.Building, error) {
	var out []registry.Building
	cursor := ""
	for {
		bs, next, err := s.Registry.Buildings(ctx, cid, cursor, 200)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}
