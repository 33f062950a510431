// Package watch is people under watch (居家隔离, 健康监测): who, from which
// day for how many, their test days and door seal, and why. A household
// with someone in home isolation is a sealed household zone while it
// lasts; its end gives the household back the level it had and tells it.
package watch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/zone"
)

// Kinds of watch.
const (
	KindHomeIsolation    = "home_isolation"
	KindHealthMonitoring = "health_monitoring"
)

// Reasons a watch is opened for.
var Reasons = []string{"screening", "pooled_positive", "arrival", "staff"}

// Statuses of a watch.
const (
	StatusActive = "active"
	StatusEnded  = "ended"
)

// ReasonHomeIsolation marks a household zone a watch set.
const ReasonHomeIsolation = "home_isolation"

// Bounds of a watch.
const (
	MaxDays    = 28
	MaxPeople  = 12
	DefaultDay = 7 // 7 days, tests on days 1, 4 and 7: Lanzhou's 2022 rule for close contacts at home
)

// Watch is one household's people under one watch.
type Watch struct {
	ID          string    `json:"id"`
	CommunityID string    `json:"communityId"`
	HouseholdID string    `json:"householdId"`
	Door        string    `json:"door"`
	ResidentIDs []string  `json:"residentIds"`
	Names       []string  `json:"names"`
	Kind        string    `json:"kind"`
	StartsOn    string    `json:"startsOn"`
	Days        int       `json:"days"`
	EndsAt      time.Time `json:"endsAt"`
	TestDays    []int     `json:"testDays"`
	Seal        string    `json:"seal,omitempty"`
	Reason      string    `json:"reason"`
	Ref         string    `json:"ref,omitempty"`
	Status      string    `json:"status"`
	// Sealed says the watch sealed the household (home isolation where it
	// was not sealed already); Before is the level it gives back.
	Sealed bool `json:"sealed"`
	// Before and BeforeReason are the household zone's level and its
	// reason (a trace's pooled_positive) before the household was sealed.
	Before       string     `json:"-"`
	BeforeReason string     `json:"-"`
	CreatedAt    time.Time  `json:"createdAt"`
	CreatedBy    string     `json:"createdBy"`
	EndedAt      *time.Time `json:"endedAt,omitempty"`
	EndedBy      string     `json:"endedBy,omitempty"`
	EndedEarly   bool       `json:"endedEarly,omitempty"`
	// Today are its people's checks of today (the list's answer only):
	// readings, and windows missed.
	Today []Check `json:"today,omitempty"`
	// Tests are its test days' results, where they are kept; a watch past
	// its date stays until the last test day's are in and negative
	// (AwaitingResults).
	Tests           []TestResult `json:"tests,omitempty"`
	AwaitingResults bool         `json:"awaitingResults,omitempty"`
}

// Input opens a watch: the residents (of one household), or the whole
// household.
type Input struct {
	ResidentIDs []string `json:"residentIds"`
	HouseholdID string   `json:"householdId"`
	Kind        string   `json:"kind"`
	StartsOn    string   `json:"startsOn"`
	Days        int      `json:"days"`
	TestDays    []int    `json:"testDays"`
	Seal        string   `json:"seal"`
	Reason      string   `json:"reason"`
	Ref         string   `json:"ref"`
}

// Store keeps watches and reads the register and the zones.
type Store interface {
	auth.StreetResolver
	Household(ctx context.Context, hid string) (registry.Household, []registry.Resident, error)
	Resident(ctx context.Context, rid string) (registry.Resident, error)
	BuildingZones(ctx context.Context, cid, buildingID string) ([]zone.Zone, error)
	// CreateWatch writes a watch with a lock on each of its people (none
	// may be under another) and, when z is set, the household's zone;
	// ErrWatched names a person already watched.
	CreateWatch(ctx context.Context, w Watch, z *zone.Zone, pending *dispatch.Pending) error
	// EndWatch ends an active watch, frees its people and, when back is
	// set, gives the household its level back (only while its zone is the
	// one read, set at since); false when it had ended already.
	EndWatch(ctx context.Context, w Watch, back *zone.Zone, since time.Time, pending *dispatch.Pending) (bool, error)
	Watch(ctx context.Context, cid, id string) (Watch, error)
	Watches(ctx context.Context, cid string) ([]Watch, error)
	// DueWatches are active watches whose end is at or before now.
	DueWatches(ctx context.Context, now time.Time) ([]Watch, error)
}

// Service is people under watch.
type Service struct {
	Store  Store
	Checks CheckStore
	// Transfers keeps batches taken to central quarantine; Carers raise
	// the help requests of those they leave behind.
	Transfers TransferStore
	Carers    Carers
	Outbox    *dispatch.Outbox
	Now       func() time.Time
}

// Errors of watches.
var (
	ErrWatched  = apperr.New(apperr.KindConflict, "ALREADY_WATCHED", "此人已在居家隔离或健康监测中", "The person is under a watch already")
	ErrNotFound = apperr.New(apperr.KindNotFound, "WATCH_NOT_FOUND", "没有这条居家隔离/健康监测记录", "No such watch")
	ErrEnded    = apperr.New(apperr.KindConflict, "WATCH_ENDED", "已经解除", "The watch has ended")
	// ErrZoneChanged is the household's zone changed while the watch was
	// written: nothing was, and the same call again reads it anew.
	ErrZoneChanged = apperr.New(apperr.KindConflict, "ZONE_CHANGED", "该户的管控状态刚被修改，请重试", "The household's zone changed meanwhile: try again")
)

// Open puts people of one household under a watch: a household with
// someone in home isolation is sealed while it lasts (where it was not
// already), and told.
func (s *Service) Open(ctx context.Context, p auth.Principal, cid string, in Input) (Watch, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Watch{}, err
	}
	now := s.Now()
	var fields []apperr.FieldError
	if in.Kind != KindHomeIsolation && in.Kind != KindHealthMonitoring {
		fields = append(fields, apperr.FieldError{Field: "kind", Reason: "one of home_isolation, health_monitoring"})
	}
	if in.Days == 0 {
		in.Days = DefaultDay
	}
	if in.Days < 1 || in.Days > MaxDays {
		fields = append(fields, apperr.FieldError{Field: "days", Reason: fmt.Sprintf("%d to %d", 1, MaxDays)})
	}
	if in.TestDays == nil && in.Kind == KindHomeIsolation && in.Days == DefaultDay {
		in.TestDays = []int{1, 4, 7}
	}
	for i, d := range in.TestDays {
		if d < 1 || d > in.Days || (i > 0 && d <= in.TestDays[i-1]) {
			fields = append(fields, apperr.FieldError{Field: "testDays", Reason: "days of the watch, each once, in order"})
			break
		}
	}
	today := chinatime.In(now).Format(time.DateOnly)
	if in.StartsOn == "" {
		in.StartsOn = today
	}
	start, err := time.ParseInLocation(time.DateOnly, in.StartsOn, chinatime.Zone)
	if err != nil || start.Before(chinatime.Midnight(now).AddDate(0, 0, -MaxDays)) || start.After(chinatime.Midnight(now).AddDate(0, 0, 7)) {
		fields = append(fields, apperr.FieldError{Field: "startsOn", Reason: "a date from 28 days ago to 7 days ahead"})
	}
	// A home isolation seals the door from its first day: it starts today
	// or earlier, never ahead.
	if err == nil && in.Kind == KindHomeIsolation && start.After(chinatime.Midnight(now)) {
		fields = append(fields, apperr.FieldError{Field: "startsOn", Reason: "today or earlier for a home isolation"})
	}
	seal, prob := safetext.Line(in.Seal, 32, false)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "seal", Reason: string(prob)})
	}
	if !slices.Contains(Reasons, in.Reason) {
		fields = append(fields, apperr.FieldError{Field: "reason", Reason: "one of screening, pooled_positive, arrival, staff"})
	}
	ref, prob := safetext.Line(in.Ref, 64, false)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "ref", Reason: string(prob)})
	}
	if (in.HouseholdID == "") == (len(in.ResidentIDs) == 0) {
		fields = append(fields, apperr.FieldError{Field: "residentIds", Reason: "give one of them"})
	}
	if len(in.ResidentIDs) > MaxPeople {
		fields = append(fields, apperr.FieldError{Field: "residentIds", Reason: fmt.Sprintf("at most %d", MaxPeople)})
	}
	if len(fields) > 0 {
		return Watch{}, apperr.Validation.WithFields(fields...)
	}
	hid := in.HouseholdID
	if hid == "" {
		hid = registry.HouseholdOf(in.ResidentIDs[0])
	}
	if !registry.ValidID(hid) {
		return Watch{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentIds", Reason: "residents of one household of this community"})
	}
	h, members, err := s.Store.Household(ctx, hid)
	if errors.Is(err, registry.ErrNotFound) || (err == nil && h.CommunityID != cid) {
		return Watch{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentIds", Reason: "residents of one household of this community"})
	}
	if err != nil {
		return Watch{}, err
	}
	w := Watch{ID: registry.NewID("w"), CommunityID: cid, HouseholdID: hid, Door: h.Address(), Kind: in.Kind, StartsOn: start.Format(time.DateOnly),
		Days: in.Days, EndsAt: start.AddDate(0, 0, in.Days), TestDays: in.TestDays, Seal: seal, Reason: in.Reason, Ref: ref, Status: StatusActive,
		CreatedAt: now, CreatedBy: p.UserID}
	if w.TestDays == nil {
		w.TestDays = []int{}
	}
	want := registry.Distinct(in.ResidentIDs)
	for _, m := range members {
		if in.HouseholdID != "" || slices.Contains(want, m.ID) {
			w.ResidentIDs, w.Names = append(w.ResidentIDs, m.ID), append(w.Names, m.Name)
		}
	}
	if len(w.ResidentIDs) == 0 || len(w.ResidentIDs) > MaxPeople || (in.HouseholdID == "" && len(w.ResidentIDs) != len(want)) {
		return Watch{}, apperr.Validation.WithFields(apperr.FieldError{Field: "residentIds", Reason: "residents of one household of this community"})
	}
	if !w.EndsAt.After(now) {
		return Watch{}, apperr.Validation.WithFields(apperr.FieldError{Field: "days", Reason: "a watch that has not ended"})
	}
	var z *zone.Zone
	if w.Kind == KindHomeIsolation {
		cur, err := s.householdZone(ctx, h)
		if err != nil {
			return Watch{}, err
		}
		switch {
		case cur.Level == zone.LevelSealed && cur.Reason == ReasonHomeIsolation:
			// Sealed by another home isolation of the household: this one
			// shares the seal, and the last to end gives back what was.
			others, err := s.active(ctx, cid, hid, "")
			if err != nil {
				return Watch{}, err
			}
			for _, o := range others {
				if o.Sealed {
					w.Sealed, w.Before, w.BeforeReason = true, o.Before, o.BeforeReason
				}
			}
		case cur.Level != zone.LevelSealed:
			w.Sealed, w.Before, w.BeforeReason = true, cur.Level, cur.Reason
			z = &zone.Zone{BuildingID: h.BuildingID, Building: h.BuildingName, UnitID: registry.UnitID(h.BuildingID, h.Unit), Unit: h.Unit,
				HouseholdID: h.ID, Room: h.Room, Level: zone.LevelSealed, Since: now, By: p.UserID, Reason: ReasonHomeIsolation}
		}
	}
	// The days still to go, as the household is told them: a watch
	// entered late says what is left.
	left := int(w.EndsAt.Sub(chinatime.Midnight(now)).Hours()/24 + 0.5)
	msg, err := sms.WatchStarted(w.Door, kindWord(w.Kind), min(left, w.Days))
	if err != nil {
		return Watch{}, err
	}
	pending := dispatch.PendingTexts(ctx, now, w.CommunityID, texts("watch-start:"+w.ID, members, msg))
	if err := s.Store.CreateWatch(ctx, w, z, pending); err != nil {
		return Watch{}, err
	}
	s.Outbox.Flush(ctx, pending)
	audit.Changed(ctx, "watch", nil, map[string]any{"watch": w.ID, "household": w.HouseholdID, "kind": w.Kind, "people": len(w.ResidentIDs)})
	return w.shown(), nil
}

// householdZone is the household's own zone (level none when it has
// none): what a watch gives back at its end.
func (s *Service) householdZone(ctx context.Context, h registry.Household) (zone.Zone, error) {
	zs, err := s.Store.BuildingZones(ctx, h.CommunityID, h.BuildingID)
	if err != nil {
		return zone.Zone{}, err
	}
	for _, z := range zs {
		if z.HouseholdID == h.ID {
			return z, nil
		}
	}
	return zone.Zone{Level: zone.LevelNone}, nil
}

// active are a household's active home isolations but one (except).
func (s *Service) active(ctx context.Context, cid, hid, except string) ([]Watch, error) {
	all, err := s.Store.Watches(ctx, cid)
	if err != nil {
		return nil, err
	}
	var out []Watch
	for _, w := range all {
		if w.HouseholdID == hid && w.Status == StatusActive && w.Kind == KindHomeIsolation && w.ID != except {
			out = append(out, w)
		}
	}
	return out, nil
}

func kindWord(kind string) string {
	if kind == KindHomeIsolation {
		return "居家隔离"
	}
	return "健康监测"
}

// texts are one text to each member phone of a household, once a phone.
func texts(key string, members []registry.Resident, msg sms.Message) []dispatch.Text {
	var out []dispatch.Text
	var seen []string
	for _, m := range members {
		if m.Phone == "" || slices.Contains(seen, m.Phone) {
			continue
		}
		seen = append(seen, m.Phone)
		out = append(out, dispatch.TextOf(key, m.Phone, msg))
	}
	return out
}

func (w Watch) shown() Watch {
	w.EndsAt, w.CreatedAt = chinatime.In(w.EndsAt), chinatime.In(w.CreatedAt)
	if w.EndedAt != nil {
		at := chinatime.In(*w.EndedAt)
		w.EndedAt = &at
	}
	return w
}

// List is a community's watches, active first, by end.
func (s *Service) List(ctx context.Context, p auth.Principal, cid, status string) ([]Watch, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return nil, err
	}
	if status != "" && status != StatusActive && status != StatusEnded {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "status", Reason: "one of active, ended"})
	}
	all, err := s.Store.Watches(ctx, cid)
	if err != nil {
		return nil, err
	}
	checks, err := s.Checks.Checks(ctx, cid, chinatime.In(s.Now()).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	today := map[string][]Check{}
	for _, c := range checks {
		today[c.WatchID] = append(today[c.WatchID], c.shown())
	}
	results, err := s.Checks.TestResults(ctx, cid, "")
	if err != nil {
		return nil, err
	}
	tests := map[string][]TestResult{}
	for _, r := range results {
		r.At = chinatime.In(r.At)
		tests[r.WatchID] = append(tests[r.WatchID], r)
	}
	now := s.Now()
	out := []Watch{}
	for _, w := range all {
		if status == "" || w.Status == status {
			w.Today, w.Tests = today[w.ID], tests[w.ID]
			w.AwaitingResults = w.Status == StatusActive && !now.Before(w.EndsAt)
			out = append(out, w.shown())
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Status == StatusActive) != (out[j].Status == StatusActive) {
			return out[i].Status == StatusActive
		}
		return out[i].EndsAt.Before(out[j].EndsAt)
	})
	audit.Counted(ctx, len(out))
	return out, nil
}

// End ends a watch before its time (staff's decision: a negative retest,
// a transfer).
func (s *Service) End(ctx context.Context, p auth.Principal, cid, id string) (Watch, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Watch{}, err
	}
	w, err := s.Store.Watch(ctx, cid, id)
	if err != nil {
		return Watch{}, err
	}
	if w.Status != StatusActive {
		return Watch{}, ErrEnded
	}
	now := s.Now()
	w.EndedEarly = now.Before(w.EndsAt)
	ended, err := s.end(ctx, w, now, p.UserID)
	if err != nil {
		return Watch{}, err
	}
	if !ended {
		return Watch{}, ErrEnded
	}
	audit.Changed(ctx, "watch", map[string]any{"status": StatusActive}, map[string]any{"watch": w.ID, "status": StatusEnded})
	w.Status, w.EndedAt, w.EndedBy = StatusEnded, &now, p.UserID
	return w.shown(), nil
}

// EndDue ends the watches whose days are over, and tells their households;
// a run twice, or two at once, tells nobody twice.
func (s *Service) EndDue(ctx context.Context, now time.Time) (int, error) {
	due, err := s.Store.DueWatches(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, w := range due {
		// Where results are kept, the last test day's decide the end.
		results, err := s.Checks.TestResults(ctx, w.CommunityID, w.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !cleared(w, results) {
			continue
		}
		ended, err := s.end(ctx, w, now, "system")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ended {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// end ends a watch. The last home isolation of a household to end gives
// it back the level (and reason) it had, while its zone is still the
// watches' seal, and tells it; a household still sealed (by another home
// isolation, or by staff) is not told a release. A health monitoring's end
// is told.
func (s *Service) end(ctx context.Context, w Watch, now time.Time, by string) (bool, error) {
	h, members, err := s.Store.Household(ctx, w.HouseholdID)
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return false, err
	}
	var back *zone.Zone
	var since time.Time
	tell := w.Kind == KindHealthMonitoring
	if w.Kind == KindHomeIsolation && w.Sealed && h.ID != "" {
		others, err := s.active(ctx, w.CommunityID, w.HouseholdID, w.ID)
		if err != nil {
			return false, err
		}
		cur, err := s.householdZone(ctx, h)
		if err != nil {
			return false, err
		}
		if len(others) == 0 && cur.Level == zone.LevelSealed && cur.Reason == ReasonHomeIsolation {
			before := w.Before
			if before == "" {
				before = zone.LevelNone
			}
			back = &zone.Zone{BuildingID: h.BuildingID, Building: h.BuildingName, UnitID: registry.UnitID(h.BuildingID, h.Unit), Unit: h.Unit,
				HouseholdID: w.HouseholdID, Room: h.Room, Level: before, Reason: w.BeforeReason, Since: now, By: by}
			since, tell = cur.Since, true
		}
	}
	var texted []dispatch.Text
	if tell {
		msg, err := sms.WatchEnded(w.Door, kindWord(w.Kind))
		if err != nil {
			return false, err
		}
		texted = texts("watch-end:"+w.ID, members, msg)
	}
	w.Status, w.EndedAt, w.EndedBy = StatusEnded, &now, by
	pending := dispatch.PendingTexts(ctx, now, w.CommunityID, texted)
	ended, err := s.Store.EndWatch(ctx, w, back, since, pending)
	if err != nil || !ended {
		return false, err
	}
	s.Outbox.Flush(ctx, pending)
	return true, nil
}
