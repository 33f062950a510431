package watch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/symptom"
)

// Windows of the twice-daily check: a reading before 14:00 (Beijing) is
// the morning's, after it the evening's. Lanzhou's notice of October 2021
// asked home-isolated people for a reading morning and evening.
const (
	WindowMorning = "am"
	WindowEvening = "pm"
)

// windowSplit is the hour a reading stops counting as the morning's;
// deadlines are when a window without a reading is missed.
const (
	windowSplit     = 14
	morningDeadline = 12
	eveningDeadline = 21
)

// FeverCelsius and above alerts staff (as the daily temperature list does).
const FeverCelsius = 37.3

// Sources of a check.
const (
	BySelf  = "self"
	ByStaff = "staff"
)

// Check is one person's reading of one window of a day under watch. A
// window that closed without one is kept as missed: the door is on that
// day's list, even when a reading came later.
type Check struct {
	WatchID    string     `json:"watchId"`
	ResidentID string     `json:"residentId"`
	Day        string     `json:"day"`
	Window     string     `json:"window"`
	Celsius    float64    `json:"celsius,omitempty"`
	Symptoms   []string   `json:"symptoms,omitempty"`
	At         *time.Time `json:"at,omitempty"`
	By         string     `json:"by,omitempty"`
	// Missed says the window closed without a reading.
	Missed bool `json:"missed,omitempty"`
	// Alerted says staff were alerted to a fever or symptom in this window
	// (once a person and window).
	Alerted bool `json:"alerted,omitempty"`
}

// Reported says the check has a reading.
func (c Check) Reported() bool { return c.At != nil }

// Alarming says the reading is a fever or names a symptom.
func (c Check) Alarming() bool {
	if !c.Reported() {
		return false
	}
	return c.Celsius >= FeverCelsius || symptom.Any(c.Symptoms)
}

// CheckStore keeps the checks of watches.
type CheckStore interface {
	// UnderWatch is the id of the watch a resident is under ("" for none).
	UnderWatch(ctx context.Context, cid, rid string) (string, error)
	// Check reads one check (ErrNoCheck without one).
	Check(ctx context.Context, cid, day, window, rid string) (Check, error)
	// SaveCheck writes c if the stored check is still prev (the zero Check:
	// none), with the alert's texts; ErrCheckBusy otherwise.
	SaveCheck(ctx context.Context, cid string, c, prev Check, pending *dispatch.Pending) error
	// MarkMissed writes c as missed where no check of its window exists;
	// false when one does.
	MarkMissed(ctx context.Context, cid string, c Check) (bool, error)
	// Checks are a community's checks of a day.
	Checks(ctx context.Context, cid, day string) ([]Check, error)
	// ActiveWatches are every community's active watches.
	ActiveWatches(ctx context.Context) ([]Watch, error)
	// SaveTestResult writes a test day's result where the person has none
	// for that day (the one there stands).
	SaveTestResult(ctx context.Context, cid string, r TestResult) error
	// TestResults are a watch's results; every watch's of the community
	// when watchID is "".
	TestResults(ctx context.Context, cid, watchID string) ([]TestResult, error)
	StaffPhones(ctx context.Context, cid string) ([]string, error)
}

// Errors of checks.
var (
	ErrNoCheck      = errors.New("watch: no check")
	ErrCheckBusy    = apperr.New(apperr.KindConflict, "CHECK_IN_PROGRESS", "该居民的报告正在保存，请稍后重试", "A check for this person is being saved, try again")
	ErrOutsideWatch = apperr.New(apperr.KindInvalid, "CHECK_OUTSIDE_WATCH", "该日期不在此人的隔离/监测期内", "That day is outside the person's watch")
	ErrNotWatched   = apperr.New(apperr.KindInvalid, "NOT_UNDER_WATCH", "此人不在这条隔离/监测记录中", "The person is not under this watch")
	ErrImplausible  = apperr.New(apperr.KindInvalid, "IMPLAUSIBLE_TEMPERATURE", "体温数值不合理，请重新测量", "That temperature is implausible, measure again")
)

// Reading is a check as it is reported.
type Reading struct {
	ResidentID string   `json:"residentId"`
	Celsius    *float64 `json:"celsius"`
	Symptoms   []string `json:"symptoms"`
	// Day and Window place a reading staff took earlier (default: now's).
	Day    string `json:"day"`
	Window string `json:"window"`
}

// WindowOf is the window a reading at t counts for.
func WindowOf(t time.Time) string {
	if chinatime.In(t).Hour() < windowSplit {
		return WindowMorning
	}
	return WindowEvening
}

// closes is when a window of a day is missed without a reading.
func closes(day, window string) time.Time {
	d, _ := time.ParseInLocation(time.DateOnly, day, chinatime.Zone)
	if window == WindowMorning {
		return d.Add(morningDeadline * time.Hour)
	}
	return d.Add(eveningDeadline * time.Hour)
}

// Observe records a person's own reading (the app, or an SMS) as their
// watch's check of the window, when they are under a watch that covers
// today; false when they are not. The first fever or symptom of a window
// alerts the community's staff, once.
func (s *Service) Observe(ctx context.Context, cid, rid string, celsius float64, symptoms []string) (bool, error) {
	wid, err := s.Checks.UnderWatch(ctx, cid, rid)
	if err != nil || wid == "" {
		return false, err
	}
	w, err := s.Store.Watch(ctx, cid, wid)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	now := s.Now()
	day := chinatime.In(now).Format(time.DateOnly)
	if w.Status != StatusActive || !w.covers(day) {
		return false, nil
	}
	codes, err := symptom.Clean(symptoms)
	if err != nil {
		return false, err
	}
	_, err = s.record(ctx, w, Check{WatchID: w.ID, ResidentID: rid, Day: day, Window: WindowOf(now), Celsius: celsius, Symptoms: codes, At: &now, By: BySelf})
	return err == nil, err
}

// covers says day is one of the watch's days.
func (w Watch) covers(day string) bool {
	end := chinatime.In(w.EndsAt).Format(time.DateOnly)
	return day >= w.StartsOn && day < end
}

// Enter records a reading staff took at the door, for now's window or an
// earlier one of the watch's days.
func (s *Service) Enter(ctx context.Context, p auth.Principal, cid, id string, in Reading) (Check, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Check{}, err
	}
	var fields []apperr.FieldError
	if in.Celsius == nil {
		fields = append(fields, apperr.FieldError{Field: "celsius", Reason: "required"})
	} else if math.IsNaN(*in.Celsius) || *in.Celsius < 34 || *in.Celsius > 43 {
		return Check{}, ErrImplausible.WithFields(apperr.FieldError{Field: "celsius", Reason: "from 34 to 43 °C"})
	}
	now := s.Now()
	day, window := in.Day, in.Window
	if day == "" {
		day = chinatime.In(now).Format(time.DateOnly)
	}
	if window == "" {
		window = WindowOf(now)
	}
	if _, err := time.ParseInLocation(time.DateOnly, day, chinatime.Zone); err != nil {
		fields = append(fields, apperr.FieldError{Field: "day", Reason: "YYYY-MM-DD"})
	}
	if window != WindowMorning && window != WindowEvening {
		fields = append(fields, apperr.FieldError{Field: "window", Reason: "one of am, pm"})
	}
	codes, err := symptom.Clean(in.Symptoms)
	if err != nil {
		return Check{}, err
	}
	if len(fields) > 0 {
		return Check{}, apperr.Validation.WithFields(fields...)
	}
	w, err := s.Store.Watch(ctx, cid, id)
	if err != nil {
		return Check{}, err
	}
	if !slices.Contains(w.ResidentIDs, in.ResidentID) {
		return Check{}, ErrNotWatched.WithFields(apperr.FieldError{Field: "residentId", Reason: "a person of this watch"})
	}
	if w.Status != StatusActive {
		return Check{}, ErrEnded
	}
	// A window is entered once it has begun, within the watch's days.
	today := chinatime.In(now).Format(time.DateOnly)
	if !w.covers(day) || day > today || (day == today && window == WindowEvening && WindowOf(now) == WindowMorning) {
		return Check{}, ErrOutsideWatch.WithFields(apperr.FieldError{Field: "day", Reason: fmt.Sprintf("a window begun, from %s to the watch's end", w.StartsOn)})
	}
	c, err := s.record(ctx, w, Check{WatchID: w.ID, ResidentID: in.ResidentID, Day: day, Window: window, Celsius: math.Round(*in.Celsius*10) / 10,
		Symptoms: codes, At: &now, By: ByStaff})
	if err != nil {
		return Check{}, err
	}
	audit.Changed(ctx, "watch-check", nil, map[string]any{"watch": w.ID, "day": day, "window": window})
	return c.shown(), nil
}

// record writes a check over the window's earlier one (a missed mark
// stays), with staff's alert when it is the window's first fever or
// symptom.
func (s *Service) record(ctx context.Context, w Watch, c Check) (Check, error) {
	c.Celsius = math.Round(c.Celsius*10) / 10
	prev, err := s.Checks.Check(ctx, w.CommunityID, c.Day, c.Window, c.ResidentID)
	if err != nil && !errors.Is(err, ErrNoCheck) {
		return Check{}, err
	}
	if errors.Is(err, ErrNoCheck) {
		prev = Check{}
	}
	c.Missed, c.Alerted = prev.Missed, prev.Alerted
	// The window keeps its worst: a normal reading after a fever (or a
	// symptom) does not take it off the door list, whoever sends it.
	if prev.Reported() {
		c.Celsius = max(c.Celsius, prev.Celsius)
		c.Symptoms = worse(prev.Symptoms, c.Symptoms)
	}
	var pending *dispatch.Pending
	if c.Alarming() && !prev.Alerted {
		c.Alerted = true
		texts, err := s.alert(ctx, w, c)
		if err != nil {
			return Check{}, err
		}
		pending = dispatch.PendingTexts(ctx, *c.At, w.CommunityID, texts)
	}
	if err := s.Checks.SaveCheck(ctx, w.CommunityID, c, prev, pending); err != nil {
		return Check{}, err
	}
	s.Outbox.Flush(ctx, pending)
	return c, nil
}

// worse are the symptoms of two readings of a window together (none only
// when neither names one).
func worse(a, b []string) []string {
	var out []string
	for _, sy := range symptom.All {
		if sy.Code != symptom.None && (slices.Contains(a, sy.Code) || slices.Contains(b, sy.Code)) {
			out = append(out, sy.Code)
		}
	}
	if len(out) == 0 {
		return []string{symptom.None}
	}
	return out
}

// alert is the texts telling the community's staff of a fever or symptom:
// who, which door, the reading (a phone number only masked).
func (s *Service) alert(ctx context.Context, w Watch, c Check) ([]dispatch.Text, error) {
	name := w.name(c.ResidentID)
	words := make([]string, 0, len(c.Symptoms))
	for _, code := range c.Symptoms {
		if code != symptom.None {
			words = append(words, symptom.Word(code))
		}
	}
	said := "无症状"
	if len(words) > 0 {
		said = strings.Join(words, "、")
	}
	msg, err := sms.WatchAlert(name, w.Door, windowWord(c.Window), c.Celsius, said)
	if err != nil {
		return nil, err
	}
	phones, err := s.Checks.StaffPhones(ctx, w.CommunityID)
	if err != nil {
		return nil, err
	}
	key := "watch-alert:" + c.Day + ":" + c.Window + ":" + c.ResidentID
	out := make([]dispatch.Text, 0, len(phones))
	for _, ph := range phones {
		out = append(out, dispatch.TextOf(key, ph, msg))
	}
	return out, nil
}

func windowWord(w string) string {
	if w == WindowMorning {
		return "早间"
	}
	return "晚间"
}

func (c Check) shown() Check {
	if c.At != nil {
		at := chinatime.In(*c.At)
		c.At = &at
	}
	return c
}

// MarkMissed marks each window closed by now without a reading, for every
// person under an active watch that covers the day: their door goes on
// the day's list. A run twice, or late, marks each window once.
func (s *Service) MarkMissed(ctx context.Context, now time.Time) (int, error) {
	ws, err := s.Checks.ActiveWatches(ctx)
	if err != nil {
		return 0, err
	}
	day := chinatime.In(now).Format(time.DateOnly)
	var windows []string
	for _, win := range []string{WindowMorning, WindowEvening} {
		if !now.Before(closes(day, win)) {
			windows = append(windows, win)
		}
	}
	if len(windows) == 0 {
		return 0, nil
	}
	byCommunity := map[string][]Watch{}
	for _, w := range ws {
		if w.covers(day) {
			byCommunity[w.CommunityID] = append(byCommunity[w.CommunityID], w)
		}
	}
	n := 0
	var errs []error
	for cid, ws := range byCommunity {
		checks, err := s.Checks.Checks(ctx, cid, day)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		have := map[string]bool{}
		for _, c := range checks {
			have[c.Window+"#"+c.ResidentID] = true
		}
		for _, w := range ws {
			for _, rid := range w.ResidentIDs {
				for _, win := range windows {
					// A window that began before the watch was opened is
					// not the person's to have missed.
					if have[win+"#"+rid] || w.CreatedAt.After(closes(day, win)) {
						continue
					}
					marked, err := s.Checks.MarkMissed(ctx, cid, Check{WatchID: w.ID, ResidentID: rid, Day: day, Window: win, Missed: true})
					if err != nil {
						errs = append(errs, err)
						continue
					}
					if marked {
						n++
					}
				}
			}
		}
	}
	return n, errors.Join(errs...)
}

// Visit is one door's reasons to be visited on a day: windows its people
// missed, fevers and symptoms they reported, and a test day's sample to
// take at the door.
type Visit struct {
	WatchID     string   `json:"watchId"`
	HouseholdID string   `json:"householdId"`
	Door        string   `json:"door"`
	Kind        string   `json:"kind"`
	Missed      []Miss   `json:"missed"`
	Alerts      []Check  `json:"alerts"`
	TestDay     int      `json:"testDay,omitempty"`
	Sample      []string `json:"sample,omitempty"`
}

// Miss is a window a person let close without a reading.
type Miss struct {
	ResidentID string `json:"residentId"`
	Name       string `json:"name"`
	Window     string `json:"window"`
	// ReportedLater says a reading came after the window closed.
	ReportedLater bool `json:"reportedLater"`
}

// DoorList is a day's doors to visit among a community's watches.
type DoorList struct {
	Day    string  `json:"day"`
	Visits []Visit `json:"visits"`
}

// Doors is the day's door list: each watched door with a missed window, a
// fever or symptom, or a test day, in door order.
func (s *Service) Doors(ctx context.Context, p auth.Principal, cid, day string) (DoorList, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return DoorList{}, err
	}
	if day == "" {
		day = chinatime.In(s.Now()).Format(time.DateOnly)
	} else if _, err := time.ParseInLocation(time.DateOnly, day, chinatime.Zone); err != nil {
		return DoorList{}, apperr.Validation.WithFields(apperr.FieldError{Field: "day", Reason: "YYYY-MM-DD"})
	}
	ws, err := s.Store.Watches(ctx, cid)
	if err != nil {
		return DoorList{}, err
	}
	checks, err := s.Checks.Checks(ctx, cid, day)
	if err != nil {
		return DoorList{}, err
	}
	byWatch := map[string][]Check{}
	for _, c := range checks {
		byWatch[c.WatchID] = append(byWatch[c.WatchID], c)
	}
	out := DoorList{Day: day, Visits: []Visit{}}
	for _, w := range ws {
		if !w.covers(day) || (w.EndedAt != nil && chinatime.In(*w.EndedAt).Format(time.DateOnly) < day) {
			continue
		}
		v := Visit{WatchID: w.ID, HouseholdID: w.HouseholdID, Door: w.Door, Kind: w.Kind, Missed: []Miss{}, Alerts: []Check{}}
		for _, c := range byWatch[w.ID] {
			if c.Missed {
				v.Missed = append(v.Missed, Miss{ResidentID: c.ResidentID, Name: w.name(c.ResidentID), Window: c.Window, ReportedLater: c.Reported()})
			}
			if c.Alarming() {
				v.Alerts = append(v.Alerts, c.shown())
			}
		}
		if n := w.dayNumber(day); slices.Contains(w.TestDays, n) {
			v.TestDay, v.Sample = n, w.ResidentIDs
		}
		if len(v.Missed)+len(v.Alerts) > 0 || v.TestDay > 0 {
			sort.Slice(v.Missed, func(i, j int) bool {
				return v.Missed[i].Window+v.Missed[i].ResidentID < v.Missed[j].Window+v.Missed[j].ResidentID
			})
			out.Visits = append(out.Visits, v)
		}
	}
	sort.Slice(out.Visits, func(i, j int) bool { return out.Visits[i].Door < out.Visits[j].Door })
	audit.Counted(ctx, len(out.Visits))
	return out, nil
}

// dayNumber is day's place in the watch: its first day is 1.
func (w Watch) dayNumber(day string) int {
	start, err1 := time.ParseInLocation(time.DateOnly, w.StartsOn, chinatime.Zone)
	d, err2 := time.ParseInLocation(time.DateOnly, day, chinatime.Zone)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(d.Sub(start).Hours()/24+0.5) + 1
}

func (w Watch) name(rid string) string {
	for i, id := range w.ResidentIDs {
		if id == rid && i < len(w.Names) {
			return w.Names[i]
		}
	}
	return ""
}

// Results of a test day's sample.
const (
	ResultNegative = "negative"
	ResultPositive = "positive"
)

// TestResult is one person's result of one of the watch's test days.
type TestResult struct {
	WatchID    string    `json:"watchId"`
	ResidentID string    `json:"residentId"`
	TestDay    int       `json:"testDay"`
	Result     string    `json:"result"`
	At         time.Time `json:"at"`
	By         string    `json:"by"`
}

// TestInput records a test day's result.
type TestInput struct {
	ResidentID string `json:"residentId"`
	TestDay    int    `json:"testDay"`
	Result     string `json:"result"`
}

// ErrResultRecorded is a test day's result recorded already as another.
var ErrResultRecorded = apperr.New(apperr.KindConflict, "TEST_RESULT_RECORDED", "该检测日的结果已录入，不能改为其他结果", "That test day's result is recorded already as another")

// ErrNotTestDay is a result for a day that is not one of the watch's
// test days, or has not come.
var ErrNotTestDay = apperr.New(apperr.KindInvalid, "NOT_A_TEST_DAY", "该日不是此人的检测日，或检测日未到", "Not one of the watch's test days, or not yet")

// RecordTest records a test day's result for a person under watch. Where
// results are kept, a watch ends on its date only once every person's
// result of its last test day is in and negative: the result that
// completes them, recorded after the date, ends it at once.
func (s *Service) RecordTest(ctx context.Context, p auth.Principal, cid, id string, in TestInput) (Watch, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Watch{}, err
	}
	if in.Result != ResultNegative && in.Result != ResultPositive {
		return Watch{}, apperr.Validation.WithFields(apperr.FieldError{Field: "result", Reason: "one of negative, positive"})
	}
	w, err := s.Store.Watch(ctx, cid, id)
	if err != nil {
		return Watch{}, err
	}
	if !slices.Contains(w.ResidentIDs, in.ResidentID) {
		return Watch{}, ErrNotWatched.WithFields(apperr.FieldError{Field: "residentId", Reason: "a person of this watch"})
	}
	if w.Status != StatusActive {
		return Watch{}, ErrEnded
	}
	now := s.Now()
	today := w.dayNumber(chinatime.In(now).Format(time.DateOnly))
	if !slices.Contains(w.TestDays, in.TestDay) || in.TestDay > today {
		return Watch{}, ErrNotTestDay.WithFields(apperr.FieldError{Field: "testDay", Reason: "one of the watch's test days, today or before"})
	}
	r := TestResult{WatchID: w.ID, ResidentID: in.ResidentID, TestDay: in.TestDay, Result: in.Result, At: now, By: p.UserID}
	if err := s.Checks.SaveTestResult(ctx, cid, r); err != nil {
		return Watch{}, err
	}
	// A result stands as recorded: the same again changes nothing, another
	// is refused (a positive quietly turned negative would end the watch).
	results, err := s.Checks.TestResults(ctx, cid, w.ID)
	if err != nil {
		return Watch{}, err
	}
	for _, x := range results {
		if x.ResidentID == r.ResidentID && x.TestDay == r.TestDay && x.Result != r.Result {
			return Watch{}, ErrResultRecorded.WithFields(apperr.FieldError{Field: "result", Reason: "recorded already as " + x.Result})
		}
	}
	audit.Changed(ctx, "watch-test", nil, map[string]any{"watch": w.ID, "testDay": in.TestDay, "result": in.Result})
	w.Tests = results
	if !now.Before(w.EndsAt) && cleared(w, results) {
		ended, err := s.end(ctx, w, now, p.UserID)
		if err != nil {
			return Watch{}, err
		}
		if ended {
			w.Status, w.EndedAt, w.EndedBy = StatusEnded, &now, p.UserID
		}
	}
	w.AwaitingResults = w.Status == StatusActive && !now.Before(w.EndsAt)
	return w.shown(), nil
}

// cleared says a watch may end on its date: no results kept, or every
// person's result of its last test day in and negative.
func cleared(w Watch, results []TestResult) bool {
	if len(results) == 0 || len(w.TestDays) == 0 {
		return true
	}
	last := w.TestDays[len(w.TestDays)-1]
	for _, rid := range w.ResidentIDs {
		if !slices.ContainsFunc(results, func(r TestResult) bool {
			return r.ResidentID == rid && r.TestDay == last && r.Result == ResultNegative
		}) {
			return false
		}
	}
	return true
}
