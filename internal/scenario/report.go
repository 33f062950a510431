package scenario

import (
	"fmt"
	"sort"
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
	Evening           Evening          `json:"evening"`
	Register          Register         `json:"register"`
	Screening         Screening        `json:"screening"`
	WatchChecks       WatchChecks      `json:"watchChecks"`
	Transfers         Transfers        `json:"transfers"`
	Care              Care             `json:"care"`
	Gates             Gates            `json:"gates"`
	Daily             Daily            `json:"daily"`
	Loans             Loans            `json:"loans"`
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
	SiteID     string `json:"siteId"`
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

// Invariant is a rule checked, said in English and in Chinese.
type Invariant struct {
	Name     string `json:"name"`
	NameZH   string `json:"nameZh"`
	Held     bool   `json:"held"`
	Detail   string `json:"detail"`
	DetailZH string `json:"detailZh"`
}

func (r *Report) hold(name, nameZH string, held bool, detail, detailZH string) {
	r.Invariants = append(r.Invariants, Invariant{Name: name, NameZH: nameZH, Held: held, Detail: detail, DetailZH: detailZH})
}

// brake records a broken rule found along the way.
func (r *Report) brake(name, nameZH, detail, detailZH string) {
	r.hold(name, nameZH, false, detail, detailZH)
}

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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
