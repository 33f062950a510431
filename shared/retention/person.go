package retention

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/care"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/gate"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/watch"
)

// People reads and erases one resident's data.
type People interface {
	Household(ctx context.Context, hid string) (registry.Household, []registry.Resident, error)
	HouseholdBookings(ctx context.Context, hid string) ([]booking.Booking, error)
	HouseholdOrders(ctx context.Context, hid string, limit int) ([]supplies.Order, error)
	ResidentHelp(ctx context.Context, cid, residentID string) ([]help.Request, error)
	ResidentReadings(ctx context.Context, cid, residentID string, days []string) ([]notices.Reading, error)
	// Cancel gives a booking's place back before it is erased.
	Cancel(ctx context.Context, roundID, residentID string) (booking.Booking, error)
	EraseResident(ctx context.Context, cid, residentID string, days []string, bookings []booking.Booking,
		orders []supplies.Order, helps []help.Request) (int, error)
	Mode(ctx context.Context, cid string) (playbook.State, error)
	Watches(ctx context.Context, cid string) ([]watch.Watch, error)
	// ResidentChecks are a resident's checks under watch on days.
	ResidentChecks(ctx context.Context, cid, residentID string, days []string) ([]watch.Check, error)
	TestResults(ctx context.Context, cid, watchID string) ([]watch.TestResult, error)
	Transfers(ctx context.Context, cid string) ([]watch.Transfer, error)
	CarePlan(ctx context.Context, cid, rid string) (care.Plan, error)
	// ResidentCare are a resident's daily checks and trips on days.
	ResidentCare(ctx context.Context, cid, rid string, days []string) ([]care.Check, []care.Trip, error)
	// Pass and GateState are the household's pass and its state at the
	// gate (gate.ErrNoPass for none).
	Pass(ctx context.Context, hid string) (gate.Pass, error)
	GateState(ctx context.Context, hid string) (gate.State, error)
}

// lookback is how far back a person's temperature reports are looked for:
// longer than any expiry, so none is missed.
const lookback = 400

// Export is what the service holds of one resident.
type Export struct {
	Resident     registry.Resident `json:"resident"`
	Address      string            `json:"address"`
	Bookings     []booking.Booking `json:"bookings"`
	Temperatures []notices.Reading `json:"temperatures"`
	// Orders and Help are those the resident placed or that were for them.
	Orders []supplies.Order `json:"orders"`
	Help   []help.Request   `json:"help"`
	// Watches are the home isolations and health monitorings they were
	// under, and Checks their readings (and windows missed) under them.
	Watches []watch.Watch      `json:"watches"`
	Checks  []watch.Check      `json:"checks"`
	Tests   []watch.TestResult `json:"tests"`
	// Transfers are the batches that took them (or left them behind),
	// each showing this person only.
	Transfers []watch.Transfer `json:"transfers"`
	// CarePlan is their care plan, if any, with its daily checks
	// (报平安) and the cars given to its trips, of the 30 days before
	// and 14 after the export.
	CarePlan   *care.Plan   `json:"carePlan,omitempty"`
	CareChecks []care.Check `json:"careChecks"`
	CareTrips  []care.Trip  `json:"careTrips"`
	// Pass is the household's gate pass (its code and any work permit),
	// and Gate its outing under way and the days of its last week's: the
	// gate logs a household, not a person.
	Pass       *gate.Pass  `json:"pass,omitempty"`
	Gate       *gate.State `json:"gate,omitempty"`
	ExportedAt time.Time   `json:"exportedAt"`
}

// ErrResidentNotFound is a resident id that names nobody.
var ErrResidentNotFound = apperr.New(apperr.KindNotFound, "RESIDENT_NOT_FOUND", "居民不存在", "No such resident")

// person finds a resident that p may act on.
func (s *Service) person(ctx context.Context, p auth.Principal, residentID string) (registry.Household, registry.Resident, error) {
	if !registry.ValidID(residentID) {
		return registry.Household{}, registry.Resident{}, ErrResidentNotFound
	}
	h, members, err := s.People.Household(ctx, registry.HouseholdOf(residentID))
	if err != nil {
		if apperr.As(err).Kind == apperr.KindNotFound || err == registry.ErrNotFound {
			return registry.Household{}, registry.Resident{}, ErrResidentNotFound
		}
		return registry.Household{}, registry.Resident{}, err
	}
	i := slices.IndexFunc(members, func(r registry.Resident) bool { return r.ID == residentID })
	if i < 0 {
		return registry.Household{}, registry.Resident{}, ErrResidentNotFound
	}
	if err := auth.RequireCommunity(ctx, p, h.CommunityID, s.Directory); err != nil {
		return registry.Household{}, registry.Resident{}, err
	}
	return h, members[i], nil
}

// days are the Beijing days a person's reports are looked for on.
func (s *Service) days() []string {
	now := chinatime.In(s.Now())
	out := make([]string, 0, lookback)
	for i := 0; i < lookback; i++ {
		out = append(out, now.AddDate(0, 0, -i).Format(time.DateOnly))
	}
	return out
}

// theirs are the household's records that are the resident's.
func (s *Service) theirs(ctx context.Context, h registry.Household, r registry.Resident) ([]booking.Booking, []supplies.Order, []help.Request, error) {
	bs, err := s.People.HouseholdBookings(ctx, h.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	os, err := s.People.HouseholdOrders(ctx, h.ID, 1000)
	if err != nil {
		return nil, nil, nil, err
	}
	hs, err := s.People.ResidentHelp(ctx, h.CommunityID, r.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	bs = slices.DeleteFunc(bs, func(b booking.Booking) bool { return b.ResidentID != r.ID })
	os = slices.DeleteFunc(os, func(o supplies.Order) bool { return o.PlacedBy != r.ID })
	return bs, os, hs, nil
}

// Export is everything the service holds of a resident, for their request
// to see it (PIPL). The request is staff's, and audited.
func (s *Service) Export(ctx context.Context, p auth.Principal, residentID string) (Export, error) {
	h, r, err := s.person(ctx, p, residentID)
	if err != nil {
		return Export{}, err
	}
	bs, os, hs, err := s.theirs(ctx, h, r)
	if err != nil {
		return Export{}, err
	}
	temps, err := s.People.ResidentReadings(ctx, h.CommunityID, r.ID, s.days())
	if err != nil {
		return Export{}, err
	}
	ws, checks, err := s.watched(ctx, h.CommunityID, r.ID)
	if err != nil {
		return Export{}, err
	}
	results, err := s.People.TestResults(ctx, h.CommunityID, "")
	if err != nil {
		return Export{}, err
	}
	var tests []watch.TestResult
	for _, x := range results {
		if x.ResidentID == r.ID {
			tests = append(tests, x)
		}
	}
	trs, err := s.transfers(ctx, h.CommunityID, r.ID)
	if err != nil {
		return Export{}, err
	}
	ex := Export{Resident: r, Address: h.Address(), Bookings: nonNil(bs), Temperatures: nonNil(temps), Orders: nonNil(os),
		Help: nonNil(hs), Watches: nonNil(ws), Checks: nonNil(checks), Tests: nonNil(tests), Transfers: nonNil(trs), ExportedAt: chinatime.In(s.Now())}
	plan, err := s.People.CarePlan(ctx, h.CommunityID, r.ID)
	switch {
	case err == nil:
		ex.CarePlan = &plan
	case apperr.As(err).Code != care.ErrNotFound.Code:
		return Export{}, err
	}
	today := chinatime.Midnight(s.Now())
	var days []string
	for d := -30; d <= 14; d++ {
		days = append(days, today.AddDate(0, 0, d).Format(time.DateOnly))
	}
	if ex.CareChecks, ex.CareTrips, err = s.People.ResidentCare(ctx, h.CommunityID, r.ID, days); err != nil {
		return Export{}, err
	}
	pass, err := s.People.Pass(ctx, h.ID)
	switch {
	case err == nil:
		st, err := s.People.GateState(ctx, h.ID)
		if err != nil {
			return Export{}, err
		}
		ex.Pass, ex.Gate = &pass, &st
	case !errors.Is(err, gate.ErrNoPass):
		return Export{}, err
	}
	return ex, nil
}

// transfers are the batches that took a resident or left them behind,
// with nobody else's entries.
func (s *Service) transfers(ctx context.Context, cid, rid string) ([]watch.Transfer, error) {
	all, err := s.People.Transfers(ctx, cid)
	if err != nil {
		return nil, err
	}
	var out []watch.Transfer
	for _, t := range all {
		people := slices.DeleteFunc(slices.Clone(t.People), func(p watch.Transferee) bool { return p.ResidentID != rid })
		left := slices.DeleteFunc(slices.Clone(t.LeftBehind), func(d watch.Dependant) bool { return d.ResidentID != rid })
		if len(people)+len(left) == 0 {
			continue
		}
		t.People, t.LeftBehind = people, left
		out = append(out, t)
	}
	return out, nil
}

// watched are the watches a resident was under and their checks: read on
// the watches' own days only.
func (s *Service) watched(ctx context.Context, cid, rid string) ([]watch.Watch, []watch.Check, error) {
	all, err := s.People.Watches(ctx, cid)
	if err != nil {
		return nil, nil, err
	}
	var ws []watch.Watch
	var days []string
	for _, w := range all {
		if !slices.Contains(w.ResidentIDs, rid) {
			continue
		}
		// The others of the household are not this person's data.
		i := slices.Index(w.ResidentIDs, rid)
		w.ResidentIDs, w.Names = []string{rid}, w.Names[i:i+1]
		ws = append(ws, w)
		start, err := time.ParseInLocation(time.DateOnly, w.StartsOn, chinatime.Zone)
		if err != nil {
			continue
		}
		for d := start; d.Before(w.EndsAt) && len(days) < lookback; d = d.AddDate(0, 0, 1) {
			if day := d.Format(time.DateOnly); !slices.Contains(days, day) {
				days = append(days, day)
			}
		}
	}
	if len(days) == 0 {
		return ws, nil, nil
	}
	checks, err := s.People.ResidentChecks(ctx, cid, rid, days)
	return ws, checks, err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Erasure says what an erasure deleted and what it kept.
type Erasure struct {
	ResidentID   string `json:"residentId"`
	Bookings     int    `json:"bookings"`
	Temperatures int    `json:"temperatures"`
	Orders       int    `json:"orders"`
	Help         int    `json:"help"`
	// Items is every item deleted (a booking is its code and check-in too).
	Items int `json:"items"`
	// Kept says what was not erased, and why.
	Kept     []string  `json:"kept"`
	ErasedAt time.Time `json:"erasedAt"`
}

// Erase deletes a resident's emergency data on their request: bookings
// (with codes and check-ins), temperature reports, finished orders they
// placed and closed help requests for them. The register entry stays (the
// committee keeps its household register by import), as do orders and help
// still in progress; the audit log keeps that it was done. Refused during
// an emergency, when that data is the work under way.
func (s *Service) Erase(ctx context.Context, p auth.Principal, residentID string) (Erasure, error) {
	h, r, err := s.person(ctx, p, residentID)
	if err != nil {
		return Erasure{}, err
	}
	st, err := s.People.Mode(ctx, h.CommunityID)
	if err != nil {
		return Erasure{}, err
	}
	if st.Mode == playbook.ModeEmergency {
		return Erasure{}, ErrEmergency
	}
	bs, os, hs, err := s.theirs(ctx, h, r)
	if err != nil {
		return Erasure{}, err
	}
	out := Erasure{ResidentID: r.ID, Kept: []string{"the register entry (姓名、住址、手机号): changed by the community's import",
		"watches and their checks: the epidemic record expires with the emergency's data (checks after 30 days)",
		"the care plan: removed by staff or the person (DELETE /v1/residents/{id}/care-plan); its daily checks and trips expire 30 days after their day"}}
	now := s.Now()
	for _, b := range bs {
		if b.Status == booking.StatusBooked {
			// Its place goes back to the slot before the booking goes.
			if _, err := s.People.Cancel(ctx, b.RoundID, b.ResidentID); err != nil && apperr.As(err).Kind != apperr.KindConflict {
				return Erasure{}, err
			}
		}
	}
	finished := []string{supplies.StatusDelivered, supplies.StatusConfirmed, supplies.StatusCancelled}
	var orders []supplies.Order
	for _, o := range os {
		if slices.Contains(finished, o.Status) {
			orders = append(orders, o)
		} else {
			out.Kept = append(out.Kept, "order "+o.ID+": in progress ("+o.Status+")")
		}
	}
	var helps []help.Request
	for _, x := range hs {
		if x.Status == help.StatusClosed {
			helps = append(helps, x)
		} else {
			out.Kept = append(out.Kept, "help request "+x.ID+": open")
		}
	}
	temps, err := s.People.ResidentReadings(ctx, h.CommunityID, r.ID, s.days())
	if err != nil {
		return Erasure{}, err
	}
	// Only the days that had a report: the 400 looked at are read once.
	days := make([]string, 0, len(temps))
	for _, t := range temps {
		days = append(days, chinatime.In(t.At).Format(time.DateOnly))
	}
	items, err := s.People.EraseResident(ctx, h.CommunityID, r.ID, days, bs, orders, helps)
	if err != nil {
		return Erasure{}, err
	}
	out.Bookings, out.Temperatures, out.Orders, out.Help, out.Items = len(bs), len(temps), len(orders), len(helps), items
	out.ErasedAt = chinatime.In(now)
	return out, nil
}
