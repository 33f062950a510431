package scenario

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Report is what a run found.
type Report struct {
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Speed      float64   `json:"speed"`
	Drill      bool      `json:"drill"`
	Community  string    `json:"community"`
	RunID      string    `json:"runId"`
	Phases     []Phase   `json:"phases"`
	// Told is the time from the switch to every sealed household's phone
	// texted.
	Told         Told              `json:"told"`
	Booking      Booking           `json:"booking"`
	Buildings    []BuildingShare   `json:"buildings"`
	Queues       []SlotQueue       `json:"longestQueues"`
	SiteClosed   SiteClosed        `json:"siteClosed"`
	Volunteers   VolunteerCounts   `json:"volunteers"`
	Orders       OrderCounts       `json:"orders"`
	Help         HelpResponse      `json:"help"`
	Temperatures TemperatureCounts `json:"temperatures"`
	DoorToDoor   int               `json:"doorToDoor"`
	Field        Field             `json:"field"`
	Opening      Opening           `json:"opening"`
	Steps        []StepTime        `json:"steps"`
	// SMSByPurpose is what reached the (local) outbox; DrillSMSByPurpose
	// the drill's outbox.
	SMSByPurpose      map[string]Parts `json:"smsByPurpose"`
	DrillSMSByPurpose map[string]Parts `json:"drillSmsByPurpose,omitempty"`
	SMSParts          int              `json:"smsParts"`
	Errors            map[string]int   `json:"errorsByCode"`
	Invariants        []Invariant      `json:"invariants"`
	Cost              *Cost            `json:"cost,omitempty"`

	counts map[string]int
}

// Phase is one line of the progress.
type Phase struct {
	Name    string         `json:"name"`
	Seconds float64        `json:"seconds"`
	Counts  map[string]int `json:"counts"`
}

// Opening is what the opening rush's app bookings cost in DynamoDB: all
// transactions of the phase (the SMS flows' included), and those cancelled.
type Opening struct {
	Placed              int     `json:"placed"`
	Refused             int     `json:"refusedHouseholds"`
	Transactions        int     `json:"transactions"`
	Cancelled           int     `json:"cancelledTransactions"`
	WriteUnits          float64 `json:"writeUnits"`
	CancelledWriteUnits float64 `json:"cancelledWriteUnits"`
}

// Told is the first notice's reach.
type Told struct {
	Seconds         float64 `json:"seconds"`
	ScenarioMinutes float64 `json:"scenarioMinutes"`
	Households      int     `json:"households"`
	Phones          int     `json:"phones"`
	Sent            int     `json:"sent"`
	Skipped         int     `json:"skipped"`
	Failed          int     `json:"failed"`
}

// Booking is the round's take-up.
type Booking struct {
	Residents    int     `json:"residents"`
	Booked       int     `json:"booked"`
	Sampled      int     `json:"sampled"`
	AppResidents int     `json:"appResidents"`
	SMSResidents int     `json:"smsResidents"`
	SMSTexts     int     `json:"smsTexts"`
	Seconds      float64 `json:"seconds"`
	P50ms        float64 `json:"p50ms"`
	P99ms        float64 `json:"p99ms"`
}

// BuildingShare is a building's progress.
type BuildingShare struct {
	BuildingID   string  `json:"buildingId"`
	Name         string  `json:"name"`
	Residents    int     `json:"residents"`
	Booked       int     `json:"booked"`
	Sampled      int     `json:"sampled"`
	BookedShare  float64 `json:"bookedShare"`
	SampledShare float64 `json:"sampledShare"`
}

// SlotQueue is the longest queue of a slot's time.
type SlotQueue struct {
	Starts   string `json:"starts"`
	Site     string `json:"site"`
	Booked   int    `json:"booked"`
	Capacity int    `json:"capacity"`
	at       time.Time
}

func sortQueues(q []SlotQueue) { sort.Slice(q, func(i, j int) bool { return q[i].at.Before(q[j].at) }) }

// SiteClosed is the site closed mid-round.
type SiteClosed struct {
	Site       string `json:"site"`
	AtScenario string `json:"at"`
	Moved      int    `json:"moved"`
	Cancelled  int    `json:"cancelled"`
	Notified   int    `json:"notified"`
	// Seconds is how long the closure took to answer (API Gateway cuts a
	// request at 30).
	Seconds float64 `json:"seconds"`
}

// VolunteerCounts is the activation's outcome.
type VolunteerCounts struct {
	Asked, Accepted, Declined, BackupsCalled, Unfilled int
}

// OrderCounts is the supplies' outcome.
type OrderCounts struct {
	Placed     int     `json:"placed"`
	Delivered  int     `json:"delivered"`
	Confirmed  int     `json:"confirmed"`
	P50Seconds float64 `json:"p50SecondsToDoor"`
	MaxSeconds float64 `json:"maxSecondsToDoor"`
}

// HelpResponse is the help request's response time.
type HelpResponse struct {
	Kind            string  `json:"kind"`
	Seconds         float64 `json:"seconds"`
	ScenarioMinutes float64 `json:"scenarioMinutes"`
}

// TemperatureCounts is the day's reports.
type TemperatureCounts struct {
	Reports int `json:"reports"`
	Fevers  int `json:"fevers"`
}

// StepTime is a playbook step's time from the switch.
type StepTime struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Seconds *int   `json:"secondsFromSwitch"`
	Late    bool   `json:"late"`
}

// Parts counts SMS.
type Parts struct {
	Messages int `json:"messages"`
	Parts    int `json:"parts"`
}

// Invariant is a rule checked.
type Invariant struct {
	Name   string `json:"name"`
	Held   bool   `json:"held"`
	Detail string `json:"detail"`
}

func (r *Report) hold(name string, held bool, detail string) {
	r.Invariants = append(r.Invariants, Invariant{Name: name, Held: held, Detail: detail})
}

// brake records a broken rule found along the way.
func (r *Report) brake(name, detail string) { r.hold(name, false, detail) }

// Broken lists the invariants that did not hold.
func (r *Report) Broken() []Invariant {
	var out []Invariant
	for _, i := range r.Invariants {
		if !i.Held {
			out = append(out, i)
		}
	}
	return out
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// Markdown writes the report for people.
func (r *Report) Markdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	mode := "emergency"
	if r.Drill {
		mode = "drill (演练)"
	}
	p("# A day of the outbreak, replayed\n\n")
	p("Community `%s`, %s, clock ×%.0f (a scenario hour in %.0f s), run `%s`, %s → %s (%.0f s).\n\n", r.Community, mode, r.Speed, 3600/r.Speed,
		r.RunID, r.StartedAt.Format(time.RFC3339), r.FinishedAt.Format("15:04:05"), r.FinishedAt.Sub(r.StartedAt).Seconds())
	p("## What the party secretary asks\n\n")
	p("| question | answer |\n| --- | --- |\n")
	p("| from the case to every sealed household told | %.1f s (%.1f scenario minutes): %d households, %d phones, %d sent, %d opted out, %d failed |\n",
		r.Told.Seconds, r.Told.ScenarioMinutes, r.Told.Households, r.Told.Phones, r.Told.Sent, r.Told.Skipped, r.Told.Failed)
	b := r.Booking
	share := func(n int) string {
		if b.Residents == 0 {
			return "-"
		}
		return pct(float64(n) / float64(b.Residents))
	}
	p("| residents booked (at the end) | %d of %d (%s); %d booked in the app, %d by SMS (%d texts) |\n", b.Booked, b.Residents, share(b.Booked), b.AppResidents, b.SMSResidents, b.SMSTexts)
	p("| residents sampled (walk-ins included) | %d (%s) |\n", b.Sampled, share(b.Sampled))
	p("| the opening | %.1f s for every household's booking; app booking p50 %.0f ms, p99 %.0f ms |\n", b.Seconds, b.P50ms, b.P99ms)
	if o := r.Opening; o.Transactions > o.Cancelled {
		placed := o.Transactions - o.Cancelled // each a booking (app or SMS) or a closure's move
		p("| what the opening's bookings cost | %d transactions for %d bookings and moves placed (%.2f a placed one), %d cancelled for a full slot; %.0f write units written (%.1f a placed one) and %.0f billed for the cancelled (%.1f%%) |\n",
			o.Transactions, placed, float64(o.Transactions)/float64(placed), o.Cancelled, o.WriteUnits, o.WriteUnits/float64(placed),
			o.CancelledWriteUnits, 100*o.CancelledWriteUnits/max(o.WriteUnits, 1))
	}
	p("| site closed mid-round | %s at %s: %d bookings moved, %d cancelled, %d people told, in %.1f s |\n", r.SiteClosed.Site, r.SiteClosed.AtScenario,
		r.SiteClosed.Moved, r.SiteClosed.Cancelled, r.SiteClosed.Notified, r.SiteClosed.Seconds)
	v := r.Volunteers
	p("| volunteers | %d asked, %d declined, %d backups called, %d accepted, %d shifts unfilled |\n", v.Asked, v.Declined, v.BackupsCalled, v.Accepted, v.Unfilled)
	o := r.Orders
	p("| orders | %d placed, %d delivered, %d confirmed; to the door p50 %.1f s, max %.1f s |\n", o.Placed, o.Delivered, o.Confirmed, o.P50Seconds, o.MaxSeconds)
	p("| childbirth help request claimed after | %.1f s (%.1f scenario minutes) |\n", r.Help.Seconds, r.Help.ScenarioMinutes)
	p("| temperature reports | %d, %d fevers (staff alerted) |\n", r.Temperatures.Reports, r.Temperatures.Fevers)
	fd := r.Field
	p("| sampled or accounted for at the round's end (全员核酸，一个不漏) | %d of %d residents of the households that took part (%s): %d at the lanes (%d walk-ins), %d at their doors, %d came down after a knock, %s given a reason |\n",
		fd.Done, fd.Residents, pct(fd.DoneShare), fd.AtLanes, fd.WalkIns, fd.AtDoors, fd.Knocked, reasonsText(fd.Reasons))
	p("| time to 95 %% and 99 %% (scenario minutes from the first call) | %s and %s |\n", minutes(fd.To95), minutes(fd.To99))
	p("| call-downs (叫楼) | %d buildings called (%d by their 楼栋长), %d phones texted, %d residents came within 30 minutes |\n", fd.Calls, fd.LeadCalls, fd.Texted, fd.CameWithin30)
	if fd.Remedy != nil {
		p("| the closure's shortfall answered | %d people short; %s raised to %d lanes; short after: %d |\n", fd.Remedy.ShortBefore, fd.Remedy.Site, fd.Remedy.Lanes, fd.Remedy.ShortAfter)
	}
	p("| left for the door-to-door check (not sampled, no reason) | %d residents |\n", r.DoorToDoor)
	p("| SMS parts | %d |\n\n", r.SMSParts)

	if len(r.Field.Sites) > 0 {
		p("## Sites (from the night's review)\n\n| site | lanes | closed | sampled | walk-ins | busiest hour | per lane in it |\n| --- | --- | --- | --- | --- | --- | --- |\n")
		for _, st := range r.Field.Sites {
			closed := "no"
			if st.Closed {
				closed = "yes"
			}
			p("| %s | %d | %s | %d | %d | %d | %.0f |\n", st.Site, st.Lanes, closed, st.Sampled, st.WalkIns, st.PeakPerHour, st.PerLanePerHour)
		}
		p("\n")
	}
	p("## Invariants\n\n| rule | held | detail |\n| --- | --- | --- |\n")
	for _, i := range r.Invariants {
		held := "yes"
		if !i.Held {
			held = "**NO**"
		}
		p("| %s | %s | %s |\n", i.Name, held, i.Detail)
	}
	p("\n## Progress\n\n| phase | seconds | counts |\n| --- | --- | --- |\n")
	for _, ph := range r.Phases {
		keys := make([]string, 0, len(ph.Counts))
		for k := range ph.Counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, ph.Counts[k]))
		}
		p("| %s | %.1f | %s |\n", ph.Name, ph.Seconds, strings.Join(parts, ", "))
	}
	p("\n## Playbook steps, from the switch\n\n| step | status | seconds | late |\n| --- | --- | --- | --- |\n")
	for _, s := range r.Steps {
		secs := "-"
		if s.Seconds != nil {
			secs = fmt.Sprint(*s.Seconds)
		}
		p("| %s | %s | %s | %v |\n", s.ID, s.Status, secs, s.Late)
	}
	p("\n## By building\n\n| building | residents | booked | sampled |\n| --- | --- | --- | --- |\n")
	for _, bs := range r.Buildings {
		p("| %s | %d | %d (%s) | %d (%s) |\n", bs.Name, bs.Residents, bs.Booked, pct(bs.BookedShare), bs.Sampled, pct(bs.SampledShare))
	}
	p("\n## Longest queue at a site, per slot\n\n| slot | site | booked | capacity |\n| --- | --- | --- | --- |\n")
	for _, q := range r.Queues {
		p("| %s | %s | %d | %d |\n", q.Starts, q.Site, q.Booked, q.Capacity)
	}
	p("\n## SMS by purpose\n\n| purpose | messages | parts |\n| --- | --- | --- |\n")
	for _, k := range sortedKeys(r.SMSByPurpose) {
		p("| %s | %d | %d |\n", k, r.SMSByPurpose[k].Messages, r.SMSByPurpose[k].Parts)
	}
	if len(r.DrillSMSByPurpose) > 0 {
		p("\nIn the drill's outbox (never sent):\n\n| purpose | messages | parts |\n| --- | --- | --- |\n")
		for _, k := range sortedKeys(r.DrillSMSByPurpose) {
			p("| %s | %d | %d |\n", k, r.DrillSMSByPurpose[k].Messages, r.DrillSMSByPurpose[k].Parts)
		}
	}
	p("\n## Errors by code\n\n")
	if len(r.Errors) == 0 {
		p("None.\n")
	}
	for _, k := range sortedKeys(r.Errors) {
		p("- %s: %d\n", k, r.Errors[k])
	}
	if r.Cost != nil {
		r.Cost.markdown(w)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// minutes says a span in scenario minutes, or that it was not reached.
func minutes(m float64) string {
	if m < 0 {
		return "not reached"
	}
	return fmt.Sprintf("%.0f min", m)
}

// reasonsText says the reasons given, most common first.
func reasonsText(rs map[string]int) string {
	if len(rs) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(rs))
	n := 0
	for k, v := range rs {
		keys = append(keys, k)
		n += v
	}
	sort.Slice(keys, func(i, j int) bool {
		return rs[keys[i]] > rs[keys[j]] || rs[keys[i]] == rs[keys[j]] && keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, rs[k]))
	}
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, ", "))
}
