// Package care is the vulnerable's plans (重点人群), set up in peacetime:
// a person's recurring needs (dialysis Tuesday, Thursday and Saturday at
// 08:00 at a named hospital, with a car), a contact, a due date, and a
// daily check (报平安). The board shows tomorrow's trips, the due dates
// within 14 days and today's checks; a check unanswered by noon, or a trip
// with no car by the evening before, becomes a help request with its
// deadline. The street keeps its designated hospitals with their 24-hour
// phones.
package care

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
)

// Kinds of recurring need.
var NeedKinds = []string{"dialysis", "chemotherapy", "checkup", "medicine", "other"}

var needWords = map[string]string{"dialysis": "透析", "chemotherapy": "化疗", "checkup": "复查", "medicine": "取药", "other": "就医"}

// Bounds and times of day (Beijing).
const (
	MaxNeeds       = 7
	dueWithin      = 14 // days a due date shows on the board before it
	askHour        = 8  // the daily check is asked
	askUntilHour   = 20 // and not after: nobody is texted at night
	answerByHour   = 12 // unanswered by then, it is a help request
	carByHour      = 18 // tomorrow's trip with no car by then, likewise
	answerWithin   = time.Hour
	defaultMinutes = 240
)

// Need is one recurring need: on weekdays (1 Monday to 7 Sunday) at a
// time, at a place, for so long, with a car or not.
type Need struct {
	Kind       string `json:"kind"`
	Weekdays   []int  `json:"weekdays"`
	At         string `json:"at"`
	Minutes    int    `json:"minutes"`
	Place      string `json:"place"`
	HospitalID string `json:"hospitalId,omitempty"`
	NeedsCar   bool   `json:"needsCar"`
}

// Contact is who to call for the person.
type Contact struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Plan is one person's care plan.
type Plan struct {
	ResidentID  string    `json:"residentId"`
	CommunityID string    `json:"communityId"`
	HouseholdID string    `json:"householdId"`
	Name        string    `json:"name"`
	Door        string    `json:"door"`
	Phone       string    `json:"phone,omitempty"`
	DueDate     string    `json:"dueDate,omitempty"`
	Needs       []Need    `json:"needs"`
	Contact     *Contact  `json:"contact,omitempty"`
	DailyCheck  bool      `json:"dailyCheck"`
	UpdatedAt   time.Time `json:"updatedAt"`
	UpdatedBy   string    `json:"updatedBy"`
}

// PlanInput sets a plan.
type PlanInput struct {
	DueDate    string   `json:"dueDate"`
	Needs      []Need   `json:"needs"`
	Contact    *Contact `json:"contact"`
	DailyCheck bool     `json:"dailyCheck"`
}

// Hospital is a street's designated hospital.
type Hospital struct {
	ID       string `json:"id"`
	StreetID string `json:"streetId"`
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Note     string `json:"note,omitempty"`
}

// Check is one person's daily check of a day.
type Check struct {
	ResidentID string     `json:"residentId"`
	Day        string     `json:"day"`
	AskedAt    *time.Time `json:"askedAt,omitempty"`
	AnsweredAt *time.Time `json:"answeredAt,omitempty"`
	By         string     `json:"by,omitempty"`
	HelpID     string     `json:"helpId,omitempty"`
}

// Car is the car given to one trip.
type Car struct {
	Driver string `json:"driver"`
	Phone  string `json:"phone"`
	Plate  string `json:"plate,omitempty"`
}

// Trip is one need of one day.
type Trip struct {
	ResidentID string `json:"residentId"`
	Name       string `json:"name"`
	Door       string `json:"door"`
	Day        string `json:"day"`
	Need       int    `json:"need"`
	Kind       string `json:"kind"`
	At         string `json:"at"`
	Place      string `json:"place"`
	NeedsCar   bool   `json:"needsCar"`
	Car        *Car   `json:"car,omitempty"`
	HelpID     string `json:"helpId,omitempty"`
	// Given is What of the need a stored car or request was given for.
	Given string `json:"-"`
}

// What names the need a trip is of: its kind, time and place. A car or a
// help request given to a trip holds only while the need is the same.
func (t Trip) What() string { return t.Kind + "|" + t.At + "|" + t.Place }

// ClaimPrefix begins the mark a job leaves on a check or trip while it
// raises its help request: another run leaves it alone, unless the mark
// is stale (the run died).
const ClaimPrefix = "claiming:"

// Store keeps plans, checks, cars and hospitals.
type Store interface {
	auth.StreetResolver
	Household(ctx context.Context, hid string) (registry.Household, []registry.Resident, error)
	SaveCarePlan(ctx context.Context, p Plan) error
	CarePlan(ctx context.Context, cid, rid string) (Plan, error)
	DeleteCarePlan(ctx context.Context, cid, rid string) (bool, error)
	CarePlans(ctx context.Context, cid string) ([]Plan, error)
	// AllCarePlans are every community's plans (the jobs).
	AllCarePlans(ctx context.Context) ([]Plan, error)
	// AskCare writes a day's check as asked, with its text, where there is
	// none; false when there is.
	AskCare(ctx context.Context, cid string, c Check, pending *dispatch.Pending) (bool, error)
	// AnswerCare records the answer of a day's asked check; false when it was
	// answered already or never asked.
	AnswerCare(ctx context.Context, cid string, c Check) (bool, error)
	CareChecks(ctx context.Context, cid, day string) ([]Check, error)
	// ClaimCareCheckHelp marks an asked check as having its request raised
	// by this run, as ClaimCareTripHelp does a trip.
	ClaimCareCheckHelp(ctx context.Context, cid, day, rid, claim, stale string) (bool, error)
	// RecordCareCheckHelp replaces the claim with the request raised.
	RecordCareCheckHelp(ctx context.Context, cid, day, rid, claim, helpID string) (bool, error)
	ReleaseCareCheckHelp(ctx context.Context, cid, day, rid, claim string) error
	SetCareCar(ctx context.Context, cid string, t Trip) error
	// ClaimCareTripHelp marks a trip with no car as having its request
	// raised by this run (claim): false when it has a car or a request, or
	// another run's claim not older than stale.
	ClaimCareTripHelp(ctx context.Context, cid string, t Trip, claim, stale string) (bool, error)
	// RecordCareTripHelp replaces the claim with the request raised.
	RecordCareTripHelp(ctx context.Context, cid string, t Trip, claim string) (bool, error)
	// ReleaseCareTripHelp removes a claim whose request was not raised.
	ReleaseCareTripHelp(ctx context.Context, cid string, t Trip, claim string) error
	CareTrips(ctx context.Context, cid, day string) ([]Trip, error)
	SaveHospital(ctx context.Context, h Hospital) error
	// DeleteHospital removes one; false when there was none.
	DeleteHospital(ctx context.Context, streetID, id string) (bool, error)
	Hospitals(ctx context.Context, streetID string) ([]Hospital, error)
}

// LeftBehind is someone a transfer left at home without their carer, on
// the board until the batch's people are back.
type LeftBehind struct {
	ResidentID string `json:"residentId,omitempty"`
	Name       string `json:"name,omitempty"`
	Door       string `json:"door"`
	Kind       string `json:"kind"`
	Note       string `json:"note,omitempty"`
	HelpID     string `json:"helpId,omitempty"`
	TransferID string `json:"transferId"`
}

// Dependants are those transfers left behind (the watches' transfers,
// adapted where services are built).
type Dependants interface {
	LeftBehind(ctx context.Context, cid string) ([]LeftBehind, error)
}

// Helpers raise help requests, and record on one what was done about it.
type Helpers interface {
	Raise(ctx context.Context, p auth.Principal, residentID, kind, note string) (string, error)
	// Note adds an action to a request not closed; a closed one is left
	// as it is.
	Note(ctx context.Context, p auth.Principal, helpID, text string) error
}

// Service runs care plans.
type Service struct {
	Store      Store
	Helpers    Helpers
	Dependants Dependants
	Outbox     *dispatch.Outbox
	Now        func() time.Time
}

// Errors of care.
var (
	ErrNotFound   = apperr.New(apperr.KindNotFound, "CARE_PLAN_NOT_FOUND", "此人没有照护计划", "The person has no care plan")
	ErrOverlap    = apperr.New(apperr.KindInvalid, "CARE_TRIPS_OVERLAP", "同一天的两次就医时间重叠", "Two needs of one day overlap")
	ErrNoCheck    = apperr.New(apperr.KindConflict, "NO_CHECK_ASKED", "今天没有需要回复的报平安", "No daily check is waiting for an answer today")
	ErrNoHospital = apperr.New(apperr.KindNotFound, "HOSPITAL_NOT_FOUND", "定点医院不存在", "No such designated hospital")
	ErrNoTrip     = apperr.New(apperr.KindInvalid, "NO_SUCH_TRIP", "这一天没有这次就医", "No such trip on that day")
)

// person reads a resident p may act on for care.
func (s *Service) person(ctx context.Context, p auth.Principal, rid string) (registry.Household, registry.Resident, error) {
	if !registry.ValidID(rid) {
		return registry.Household{}, registry.Resident{}, registry.ErrResidentNotFound
	}
	h, members, err := s.Store.Household(ctx, registry.HouseholdOf(rid))
	if errors.Is(err, registry.ErrNotFound) {
		return registry.Household{}, registry.Resident{}, registry.ErrResidentNotFound
	}
	if err != nil {
		return registry.Household{}, registry.Resident{}, err
	}
	i := slices.IndexFunc(members, func(m registry.Resident) bool { return m.ID == rid })
	if i < 0 {
		return registry.Household{}, registry.Resident{}, registry.ErrResidentNotFound
	}
	if err := auth.RequireCommunity(ctx, p, h.CommunityID, s.Store); err != nil {
		return registry.Household{}, registry.Resident{}, err
	}
	return h, members[i], nil
}

func clock(at string) (int, bool) {
	t, err := time.Parse("15:04", at)
	if err != nil || len(at) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// SetPlan sets a person's plan (staff of their community).
func (s *Service) SetPlan(ctx context.Context, p auth.Principal, rid string, in PlanInput) (Plan, error) {
	h, r, err := s.person(ctx, p, rid)
	if err != nil {
		return Plan{}, err
	}
	var fields []apperr.FieldError
	if in.DueDate != "" {
		d, err := time.ParseInLocation(time.DateOnly, in.DueDate, chinatime.Zone)
		now := chinatime.Midnight(s.Now())
		if err != nil || d.Before(now.AddDate(0, 0, -30)) || d.After(now.AddDate(0, 10, 0)) {
			fields = append(fields, apperr.FieldError{Field: "dueDate", Reason: "a date from 30 days ago to 10 months ahead"})
		}
	}
	if len(in.Needs) > MaxNeeds {
		fields = append(fields, apperr.FieldError{Field: "needs", Reason: fmt.Sprintf("at most %d", MaxNeeds)})
	}
	plan := Plan{ResidentID: r.ID, CommunityID: h.CommunityID, HouseholdID: h.ID, Name: r.Name, Door: h.Address(), Phone: r.Phone,
		DueDate: in.DueDate, DailyCheck: in.DailyCheck, Needs: []Need{}, UpdatedAt: s.Now(), UpdatedBy: p.UserID}
	if plan.Phone == "" {
		plan.Phone = h.ContactPhone
	}
	hospitals, err := s.streetHospitals(ctx, h.CommunityID)
	if err != nil {
		return Plan{}, err
	}
	for i, n := range in.Needs {
		at := fmt.Sprintf("needs[%d]", i)
		if !slices.Contains(NeedKinds, n.Kind) {
			fields = append(fields, apperr.FieldError{Field: at + ".kind", Reason: "one of dialysis, chemotherapy, checkup, medicine, other"})
		}
		days := slices.Clone(n.Weekdays)
		slices.Sort(days)
		if len(days) == 0 || len(slices.Compact(days)) != len(n.Weekdays) || days[0] < 1 || days[len(days)-1] > 7 {
			fields = append(fields, apperr.FieldError{Field: at + ".weekdays", Reason: "1 (Monday) to 7 (Sunday), each once"})
		}
		if _, ok := clock(n.At); !ok {
			fields = append(fields, apperr.FieldError{Field: at + ".at", Reason: "HH:MM"})
		}
		if n.Minutes == 0 {
			n.Minutes = defaultMinutes
		}
		if n.Minutes < 15 || n.Minutes > 720 {
			fields = append(fields, apperr.FieldError{Field: at + ".minutes", Reason: "from 15 to 720"})
		}
		if n.HospitalID != "" {
			j := slices.IndexFunc(hospitals, func(x Hospital) bool { return x.ID == n.HospitalID })
			if j < 0 {
				fields = append(fields, apperr.FieldError{Field: at + ".hospitalId", Reason: "a hospital of the street"})
			} else if n.Place == "" {
				n.Place = hospitals[j].Name
			}
		}
		place, prob := safetext.Line(n.Place, 32, true)
		if prob != "" {
			fields = append(fields, apperr.FieldError{Field: at + ".place", Reason: string(prob)})
		}
		n.Place, n.Weekdays = place, days
		plan.Needs = append(plan.Needs, n)
	}
	if c := in.Contact; c != nil {
		name, prob := safetext.Line(c.Name, 16, true)
		if prob != "" {
			fields = append(fields, apperr.FieldError{Field: "contact.name", Reason: string(prob)})
		}
		ph, err := phone.Normalize(c.Phone)
		if err != nil {
			fields = append(fields, apperr.FieldError{Field: "contact.phone", Reason: "a mainland mobile number"})
		}
		plan.Contact = &Contact{Name: name, Phone: ph}
	}
	if len(fields) > 0 {
		return Plan{}, apperr.Validation.WithFields(fields...)
	}
	if i, j, ok := overlap(plan.Needs); ok {
		return Plan{}, ErrOverlap.WithFields(apperr.FieldError{Field: fmt.Sprintf("needs[%d]", j), Reason: fmt.Sprintf("overlaps needs[%d]", i)})
	}
	if plan.DailyCheck && plan.Phone == "" && plan.Contact == nil {
		return Plan{}, apperr.Validation.WithFields(apperr.FieldError{Field: "dailyCheck", Reason: "a phone to ask on: the person's, the household's or a contact's"})
	}
	if err := s.Store.SaveCarePlan(ctx, plan); err != nil {
		return Plan{}, err
	}
	audit.Changed(ctx, "care-plan", nil, map[string]any{"resident": rid, "needs": len(plan.Needs), "dailyCheck": plan.DailyCheck})
	return plan.shown(), nil
}

// overlap finds two needs whose times overlap in the week: one running
// past midnight into the next day's counts there too, Sunday's into
// Monday's.
func overlap(needs []Need) (int, int, bool) {
	const week = 7 * 24 * 60
	type span struct{ from, to int }
	spans := make([][]span, len(needs))
	for i, n := range needs {
		at, _ := clock(n.At)
		for _, d := range n.Weekdays {
			from := (d-1)*24*60 + at
			spans[i] = append(spans[i], span{from, from + n.Minutes})
		}
	}
	meets := func(a, b span) bool {
		for _, shift := range []int{-week, 0, week} {
			if a.from < b.to+shift && b.from+shift < a.to {
				return true
			}
		}
		return false
	}
	for i := range needs {
		for j := i + 1; j < len(needs); j++ {
			for _, a := range spans[i] {
				for _, b := range spans[j] {
					if meets(a, b) {
						return i, j, true
					}
				}
			}
		}
	}
	return 0, 0, false
}

// PlanOf is a person's plan: staff of their community, or the person.
func (s *Service) PlanOf(ctx context.Context, p auth.Principal, rid string) (Plan, error) {
	if p.Has(manifest.RoleResident) && p.ResidentID == rid {
		pl, err := s.Store.CarePlan(ctx, p.ResidentCommunityID, rid)
		return pl.shown(), err
	}
	h, _, err := s.person(ctx, p, rid)
	if err != nil {
		return Plan{}, err
	}
	pl, err := s.Store.CarePlan(ctx, h.CommunityID, rid)
	return pl.shown(), err
}

// Remove deletes a plan: staff of the person's community, or the person.
func (s *Service) Remove(ctx context.Context, p auth.Principal, rid string) error {
	cid := p.ResidentCommunityID
	if !(p.Has(manifest.RoleResident) && p.ResidentID == rid) {
		h, _, err := s.person(ctx, p, rid)
		if err != nil {
			return err
		}
		cid = h.CommunityID
	}
	gone, err := s.Store.DeleteCarePlan(ctx, cid, rid)
	if err != nil {
		return err
	}
	if !gone {
		return ErrNotFound
	}
	audit.Changed(ctx, "care-plan", map[string]any{"resident": rid}, nil)
	return nil
}

func (p Plan) shown() Plan {
	p.UpdatedAt = chinatime.In(p.UpdatedAt)
	return p
}

// streetHospitals are the hospitals of a community's street.
func (s *Service) streetHospitals(ctx context.Context, cid string) ([]Hospital, error) {
	sid, err := s.Store.StreetOf(ctx, cid)
	if err != nil {
		return nil, err
	}
	return s.Store.Hospitals(ctx, sid)
}

// Board is a community's care board for a day.
type Board struct {
	Day string `json:"day"`
	// CareTrips are the next day's, in time order.
	Trips []Trip `json:"trips"`
	// DueSoon are due dates within 14 days of the day.
	DueSoon []Plan `json:"dueSoon"`
	// CareChecks are the day's daily checks, one a person asked for them.
	Checks []BoardCheck `json:"checks"`
	// LeftBehind are those transfers left at home until their people
	// come back.
	LeftBehind []LeftBehind `json:"leftBehind"`
	Hospitals  []Hospital   `json:"hospitals"`
}

// BoardCheck is one person's daily check on the board.
type BoardCheck struct {
	Check
	Name  string `json:"name"`
	Door  string `json:"door"`
	Phone string `json:"phone,omitempty"`
}

// BoardOf is a community's care board for a day (today by default).
func (s *Service) BoardOf(ctx context.Context, p auth.Principal, cid, day string) (Board, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Board{}, err
	}
	if day == "" {
		day = chinatime.In(s.Now()).Format(time.DateOnly)
	}
	d, err := time.ParseInLocation(time.DateOnly, day, chinatime.Zone)
	if err != nil {
		return Board{}, apperr.Validation.WithFields(apperr.FieldError{Field: "day", Reason: "YYYY-MM-DD"})
	}
	plans, err := s.Store.CarePlans(ctx, cid)
	if err != nil {
		return Board{}, err
	}
	tomorrow := d.AddDate(0, 0, 1)
	trips, err := s.tripsOn(ctx, cid, plans, tomorrow)
	if err != nil {
		return Board{}, err
	}
	checks, err := s.Store.CareChecks(ctx, cid, day)
	if err != nil {
		return Board{}, err
	}
	out := Board{Day: day, Trips: trips, DueSoon: []Plan{}, Checks: []BoardCheck{}}
	byResident := map[string]Check{}
	for _, c := range checks {
		byResident[c.ResidentID] = c
	}
	for _, pl := range plans {
		if pl.DueDate != "" {
			due, _ := time.ParseInLocation(time.DateOnly, pl.DueDate, chinatime.Zone)
			if !due.Before(d) && due.Before(d.AddDate(0, 0, dueWithin+1)) {
				out.DueSoon = append(out.DueSoon, pl.shown())
			}
		}
		if pl.DailyCheck {
			c, ok := byResident[pl.ResidentID]
			if !ok {
				c = Check{ResidentID: pl.ResidentID, Day: day}
			}
			out.Checks = append(out.Checks, BoardCheck{Check: c.shown(), Name: pl.Name, Door: pl.Door, Phone: pl.Phone})
		}
	}
	sort.Slice(out.DueSoon, func(i, j int) bool { return out.DueSoon[i].DueDate < out.DueSoon[j].DueDate })
	sort.Slice(out.Checks, func(i, j int) bool { return out.Checks[i].Door < out.Checks[j].Door })
	if out.LeftBehind, err = s.Dependants.LeftBehind(ctx, cid); err != nil {
		return Board{}, err
	}
	if out.LeftBehind == nil {
		out.LeftBehind = []LeftBehind{}
	}
	if out.Hospitals, err = s.streetHospitals(ctx, cid); err != nil {
		return Board{}, err
	}
	if out.Hospitals == nil {
		out.Hospitals = []Hospital{}
	}
	audit.Counted(ctx, len(out.Trips)+len(out.Checks))
	return out, nil
}

// tripsOn are the trips of a day from the plans, with their cars.
func (s *Service) tripsOn(ctx context.Context, cid string, plans []Plan, d time.Time) ([]Trip, error) {
	day := d.Format(time.DateOnly)
	weekday := int(d.Weekday())
	if weekday == 0 {
		weekday = 7
	}
	given, err := s.Store.CareTrips(ctx, cid, day)
	if err != nil {
		return nil, err
	}
	out := []Trip{}
	for _, pl := range plans {
		for i, n := range pl.Needs {
			if !slices.Contains(n.Weekdays, weekday) {
				continue
			}
			t := Trip{ResidentID: pl.ResidentID, Name: pl.Name, Door: pl.Door, Day: day, Need: i, Kind: n.Kind, At: n.At, Place: n.Place, NeedsCar: n.NeedsCar}
			for _, g := range given {
				// A car or request given to another need of this place in
				// the plan (changed since) is not this one's.
				if g.ResidentID == t.ResidentID && g.Need == i && g.Given == t.What() {
					t.Car, t.HelpID = g.Car, g.HelpID
				}
			}
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At+out[i].Door < out[j].At+out[j].Door })
	return out, nil
}

// CarInput gives a trip its car.
type CarInput struct {
	ResidentID string `json:"residentId"`
	Day        string `json:"day"`
	Need       int    `json:"need"`
	Car
}

// GiveCar gives a day's trip its car (a driver with a phone, a plate).
func (s *Service) GiveCar(ctx context.Context, p auth.Principal, cid string, in CarInput) (Trip, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Trip{}, err
	}
	var fields []apperr.FieldError
	driver, prob := safetext.Line(in.Driver, 16, true)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "driver", Reason: string(prob)})
	}
	ph, err := phone.Normalize(in.Phone)
	if err != nil {
		fields = append(fields, apperr.FieldError{Field: "phone", Reason: "a mainland mobile number"})
	}
	plate, prob := safetext.Line(in.Plate, 10, false)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "plate", Reason: string(prob)})
	}
	d, err := time.ParseInLocation(time.DateOnly, in.Day, chinatime.Zone)
	if today := chinatime.Midnight(s.Now()); err != nil || d.Before(today.AddDate(0, 0, -1)) || d.After(today.AddDate(0, 0, 14)) {
		fields = append(fields, apperr.FieldError{Field: "day", Reason: "a day from yesterday to 14 days ahead"})
	}
	if !registry.ValidID(in.ResidentID) {
		fields = append(fields, apperr.FieldError{Field: "residentId", Reason: "a resident with a care plan"})
	}
	if len(fields) > 0 {
		return Trip{}, apperr.Validation.WithFields(fields...)
	}
	pl, err := s.Store.CarePlan(ctx, cid, in.ResidentID)
	if errors.Is(err, ErrNotFound) {
		return Trip{}, ErrNoTrip
	}
	if err != nil {
		return Trip{}, err
	}
	trips, err := s.tripsOn(ctx, cid, []Plan{pl}, d)
	if err != nil {
		return Trip{}, err
	}
	i := slices.IndexFunc(trips, func(t Trip) bool { return t.Need == in.Need })
	if i < 0 {
		return Trip{}, ErrNoTrip.WithFields(apperr.FieldError{Field: "need", Reason: "a need of the plan on that day"})
	}
	t := trips[i]
	t.Car = &Car{Driver: driver, Phone: ph, Plate: plate}
	if err := s.Store.SetCareCar(ctx, cid, t); err != nil {
		return Trip{}, err
	}
	if t.HelpID != "" {
		// The request the missing car raised says it has one now; staff
		// close it.
		text := fmt.Sprintf("已派车：%s %s，%s", driver, plate, dayWords(d)+t.At+needWords[t.Kind])
		if err := s.Helpers.Note(ctx, p, t.HelpID, text); err != nil {
			logging.From(ctx).Warn("a car's note not added to its help request", "help", t.HelpID, "err", err)
		}
	}
	audit.Changed(ctx, "care-trip", nil, map[string]any{"resident": t.ResidentID, "day": t.Day, "need": t.Need})
	return t, nil
}

// AnswerCheck records the caller's own answer to today's daily check (the
// app, or an SMS 是); ErrNoCheck when none waits.
func (s *Service) AnswerCheck(ctx context.Context, p auth.Principal, by string) (Check, error) {
	if !p.Has(manifest.RoleResident) {
		return Check{}, apperr.Forbidden
	}
	now := s.Now()
	c := Check{ResidentID: p.ResidentID, Day: chinatime.In(now).Format(time.DateOnly), AnsweredAt: &now, By: by}
	ok, err := s.Store.AnswerCare(ctx, p.ResidentCommunityID, c)
	if err != nil {
		return Check{}, err
	}
	if !ok {
		return Check{}, ErrNoCheck
	}
	return c.shown(), nil
}

func (c Check) shown() Check {
	for _, t := range []**time.Time{&c.AskedAt, &c.AnsweredAt} {
		if *t != nil {
			v := chinatime.In(**t)
			*t = &v
		}
	}
	return c
}

// Minute is what a run of the care jobs did.
type Minute struct {
	Asked, Unanswered, NoCar int
}

// Run does the care jobs of now, each once a day however often it runs:
// from 08:00 to 20:00 each daily check is asked (a text: one not asked by
// then is not asked that day); from noon an unanswered
// one is a help request; from 18:00 each of tomorrow's trips that needs a
// car and has none is a help request.
func (s *Service) Run(ctx context.Context, now time.Time) (Minute, error) {
	var m Minute
	local := chinatime.In(now)
	if local.Hour() < askHour {
		return m, nil
	}
	plans, err := s.Store.AllCarePlans(ctx)
	if err != nil {
		return m, err
	}
	day := local.Format(time.DateOnly)
	byCommunity := map[string][]Plan{}
	for _, pl := range plans {
		byCommunity[pl.CommunityID] = append(byCommunity[pl.CommunityID], pl)
	}
	var errs []error
	for cid, pls := range byCommunity {
		checks, err := s.Store.CareChecks(ctx, cid, day)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		have := map[string]Check{}
		for _, c := range checks {
			have[c.ResidentID] = c
		}
		staff := auth.Principal{UserID: "system", Role: manifest.RoleStaff, CommunityID: cid}.Normalized()
		for _, pl := range pls {
			if !pl.DailyCheck {
				continue
			}
			c, asked := have[pl.ResidentID]
			if !asked && local.Hour() >= askUntilHour {
				continue
			}
			if !asked {
				to := pl.Phone
				if to == "" && pl.Contact != nil {
					to = pl.Contact.Phone
				}
				msg, err := sms.CareCheck(pl.Name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				pending := dispatch.PendingTexts(ctx, now, pl.CommunityID, []dispatch.Text{dispatch.TextOf("care-check:"+day+":"+pl.ResidentID, to, msg)})
				ok, err := s.Store.AskCare(ctx, cid, Check{ResidentID: pl.ResidentID, Day: day, AskedAt: &now}, pending)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if ok {
					s.Outbox.Flush(ctx, pending)
					m.Asked++
				}
				continue
			}
			// An hour to answer at least: a check asked late (the jobs
			// were down in the morning) is not a help request a minute on.
			if local.Hour() >= answerByHour && c.AnsweredAt == nil && c.HelpID == "" && c.AskedAt != nil && now.Sub(*c.AskedAt) >= answerWithin {
				note := fmt.Sprintf("%s（%s）%s未报平安", pl.Name, pl.Door, dayWords(local))
				if pl.Contact != nil {
					note += "，联系人" + pl.Contact.Name + pl.Contact.Phone
				}
				claim, stale := claimOf(now)
				mine, err := s.Store.ClaimCareCheckHelp(ctx, cid, day, pl.ResidentID, claim, stale)
				if err != nil || !mine {
					errs = append(errs, err)
					continue
				}
				id, err := s.Helpers.Raise(ctx, staff, pl.ResidentID, "other", note)
				if err != nil {
					errs = append(errs, err, s.Store.ReleaseCareCheckHelp(ctx, cid, day, pl.ResidentID, claim))
					continue
				}
				if ok, err := s.Store.RecordCareCheckHelp(ctx, cid, day, pl.ResidentID, claim, id); err != nil {
					errs = append(errs, err)
				} else if ok {
					m.Unanswered++
				}
			}
		}
		if local.Hour() < carByHour {
			continue
		}
		trips, err := s.tripsOn(ctx, cid, pls, chinatime.Midnight(now).AddDate(0, 0, 1))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, t := range trips {
			if !t.NeedsCar || t.Car != nil || t.HelpID != "" {
				continue
			}
			kind := "medical_visit"
			if t.Kind == "dialysis" {
				kind = "dialysis"
			}
			claim, stale := claimOf(now)
			mine, err := s.Store.ClaimCareTripHelp(ctx, cid, t, claim, stale)
			if err != nil || !mine {
				errs = append(errs, err)
				continue
			}
			tomorrow := chinatime.Midnight(now).AddDate(0, 0, 1)
			note := fmt.Sprintf("%s（%s）%s%s%s（%s）尚未安排车辆", t.Name, t.Door, dayWords(tomorrow), t.At, needWords[t.Kind], t.Place)
			id, err := s.Helpers.Raise(ctx, staff, t.ResidentID, kind, note)
			if err != nil {
				errs = append(errs, err, s.Store.ReleaseCareTripHelp(ctx, cid, t, claim))
				continue
			}
			t.HelpID = id
			if ok, err := s.Store.RecordCareTripHelp(ctx, cid, t, claim); err != nil {
				errs = append(errs, err)
			} else if ok {
				m.NoCar++
			}
		}
	}
	return m, errors.Join(errs...)
}

// claimOf is a run's claim at now, and the claims older than which are
// stale: a run that raised nothing in five minutes died.
func claimOf(now time.Time) (claim, stale string) {
	return fmt.Sprintf("%s%010d:%s", ClaimPrefix, now.Unix(), registry.NewID("")),
		fmt.Sprintf("%s%010d", ClaimPrefix, now.Add(-5*time.Minute).Unix())
}

// dayWords is a day as a note says it: 12月8日.
func dayWords(d time.Time) string {
	d = chinatime.In(d)
	return fmt.Sprintf("%d月%d日", int(d.Month()), d.Day())
}

// HospitalInput adds a street's designated hospital.
type HospitalInput struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Note  string `json:"note"`
}

// AddHospital adds a designated hospital to a street (its admins).
func (s *Service) AddHospital(ctx context.Context, p auth.Principal, sid string, in HospitalInput) (Hospital, error) {
	if !p.Has(manifest.RoleAdmin) || p.StreetID != sid {
		return Hospital{}, apperr.Forbidden
	}
	var fields []apperr.FieldError
	name, prob := safetext.Line(in.Name, 32, true)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "name", Reason: string(prob)})
	}
	ph := strings.TrimSpace(in.Phone)
	if !publicPhone(ph) {
		fields = append(fields, apperr.FieldError{Field: "phone", Reason: "a 24-hour phone: 3 to 16 digits and dashes, a dash only between digits"})
	}
	note, prob := safetext.Line(in.Note, 64, false)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "note", Reason: string(prob)})
	}
	if len(fields) > 0 {
		return Hospital{}, apperr.Validation.WithFields(fields...)
	}
	h := Hospital{ID: registry.NewID("hp"), StreetID: sid, Name: name, Phone: ph, Note: note}
	if err := s.Store.SaveHospital(ctx, h); err != nil {
		return Hospital{}, err
	}
	audit.Changed(ctx, "hospital", nil, map[string]any{"hospital": h.ID})
	return h, nil
}

// RemoveHospital takes a designated hospital off the street's list (its
// admins). Plans that named it keep its name as their place; help texts
// name another of the street's.
func (s *Service) RemoveHospital(ctx context.Context, p auth.Principal, sid, id string) error {
	if !p.Has(manifest.RoleAdmin) || p.StreetID != sid {
		return apperr.Forbidden
	}
	if !registry.ValidID(id) {
		return ErrNoHospital
	}
	gone, err := s.Store.DeleteHospital(ctx, sid, id)
	if err != nil {
		return err
	}
	if !gone {
		return ErrNoHospital
	}
	audit.Changed(ctx, "hospital", map[string]any{"hospital": id}, nil)
	return nil
}

// publicPhone says whether a hospital's phone is one a text may carry
// (the SMS catalogue's PublicPhone): 120, 0931-8625200, 400-123-4567.
func publicPhone(ph string) bool {
	if len(ph) < 3 || len(ph) > 16 || strings.Trim(ph, "0123456789-") != "" || strings.Contains(ph, "--") {
		return false
	}
	return ph[0] != '-' && ph[len(ph)-1] != '-'
}

// HospitalsOf are a street's designated hospitals: its admins and the
// staff of its communities.
func (s *Service) HospitalsOf(ctx context.Context, p auth.Principal, sid string) ([]Hospital, error) {
	if err := auth.RequireStreetMember(ctx, p, sid, s.Store); err != nil {
		return nil, err
	}
	hs, err := s.Store.Hospitals(ctx, sid)
	if hs == nil {
		hs = []Hospital{}
	}
	return hs, err
}

// helpNeeds are the plan needs a help request's kind is about: a dialysis
// request is the dialysis need's, a medicine one the medicine need's; a
// birth or a medical visit is any need's.
var helpNeeds = map[string]string{"dialysis": "dialysis", "chronic_medicine": "medicine"}

// HospitalFor is the designated hospital of a person's medical help
// request: the hospital of their plan's need of that kind (or any need
// with a hospital), else the street's first by name. ok is false when the
// street has none.
func (s *Service) HospitalFor(ctx context.Context, cid, rid, helpKind string) (Hospital, bool, error) {
	hospitals, err := s.streetHospitals(ctx, cid)
	if err != nil || len(hospitals) == 0 {
		return Hospital{}, false, err
	}
	slices.SortStableFunc(hospitals, func(a, b Hospital) int {
		if registry.NaturalLess(a.Name, b.Name) {
			return -1
		}
		if registry.NaturalLess(b.Name, a.Name) {
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	plan, err := s.Store.CarePlan(ctx, cid, rid)
	if err != nil && apperr.As(err).Code != ErrNotFound.Code {
		return Hospital{}, false, err
	}
	pick := ""
	for _, n := range plan.Needs {
		if n.HospitalID == "" {
			continue
		}
		if want := helpNeeds[helpKind]; want == "" || n.Kind == want {
			pick = n.HospitalID
			break
		}
		if pick == "" {
			pick = n.HospitalID
		}
	}
	for _, h := range hospitals {
		if h.ID == pick {
			return h, true, nil
		}
	}
	return hospitals[0], true, nil
}

// TripsOn are a household's care plan trips on day d, each by its
// minutes (the gate lets it out once a trip, for that long and the way
// there and back).
func (s *Service) TripsOn(ctx context.Context, cid, hid string, d time.Time) ([]int, error) {
	plans, err := s.Store.CarePlans(ctx, cid)
	if err != nil {
		return nil, err
	}
	weekday := int(d.Weekday())
	if weekday == 0 {
		weekday = 7
	}
	var out []int
	for _, pl := range plans {
		if pl.HouseholdID != hid {
			continue
		}
		for _, need := range pl.Needs {
			if slices.Contains(need.Weekdays, weekday) {
				m := need.Minutes
				if m == 0 {
					m = defaultMinutes
				}
				out = append(out, m)
			}
		}
	}
	return out, nil
}
