// Package scenario plays a day of the outbreak of the seed report against a
// running stack, through its public API and the local SMS outbox only: a
// case is found at 07:00, the community switches to emergency (its
// playbook seals two buildings, tells them, opens a testing round and calls
// the volunteers), residents book — most in the app, some by SMS — with the
// rush of an opening, a site closes mid-round, residents are sampled,
// volunteers decline and backups are called, sealed households order and
// get their deliveries, a childbirth help request is claimed, temperatures
// come in with a few fevers, and the unsampled go to the door-to-door list.
// The scenario's clock runs Speed times faster than the wall clock. It
// reports what a party secretary asks afterwards, and the invariants that
// must hold: a broken one fails the run.
package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
)

// Config is a run.
type Config struct {
	Base string
	// Speed is scenario seconds per wall-clock second.
	Speed float64
	// Drill plays the day as a drill (演练): no SMS may reach a phone.
	Drill bool
	// Households limits the residents who take part (0: all).
	Households int
	Clients    int
	// SMSShare is the share of households that book by SMS only.
	SMSShare float64
	// Remote plays a deployed stack: no /dev routes, staff's and the street
	// admin's tokens given, every household booked by staff, and a drill
	// only. A base that is not this machine is remote.
	Remote     bool
	StaffToken string
	AdminToken string
	// SMSPriceUSD prices an SMS part in the report's costs (0: not priced).
	SMSPriceUSD float64
	Seed        uint64
	Progress    io.Writer
}

// household is one flat of the demo community.
type household struct {
	id, building string
	buildingName string
	residents    []string
	phones       []string // members' own phones, in the import's order
	byPhone      map[string]string
	sms          bool // books by SMS only (no app)
	token        string
	sealed       bool
}

// runner is a run's state.
type runner struct {
	c       Config
	api     *apiclient.Client
	staff   string
	admin   string
	rng     *rand.Rand
	randMu  sync.Mutex
	hs      []*household
	rep     *Report
	st      *state
	errMu   sync.Mutex
	fieldMu sync.Mutex
	started time.Time
}

// Run plays the day and answers its report; an error is a run that could
// not be played. Broken invariants are in the report (Report.Broken).
func Run(ctx context.Context, c Config) (*Report, error) {
	if c.Speed <= 0 {
		c.Speed = 60
	}
	if c.Clients <= 0 {
		c.Clients = 32
	}
	if c.SMSShare == 0 {
		c.SMSShare = 0.15
	}
	if !apiclient.Local(c.Base) {
		c.Remote = true
	}
	if c.Remote && (!c.Drill || c.StaffToken == "" || c.AdminToken == "") {
		return nil, errors.New("a deployed stack is played as a drill, with a staff and a street admin token: -drill -staff-token … -admin-token …")
	}
	r := &runner{c: c, api: apiclient.New(c.Base, c.Clients), rng: rand.New(rand.NewPCG(c.Seed, 2022)),
		rep: &Report{Speed: c.Speed, Drill: c.Drill, Community: demo.CommunityID, Errors: map[string]int{}, SMSByPurpose: map[string]Parts{}, DrillSMSByPurpose: map[string]Parts{}}}
	r.rep.StartedAt = time.Now()
	r.started = time.Now()
	steps := []struct {
		name string
		do   func(context.Context) error
	}{
		{"prepare", r.prepare},
		{"07:00 case found: switch to emergency", r.switchOn},
		{"sealed households told", r.told},
		{"booking opens", r.book},
		{"residents sampled", r.sample},
		{"volunteers answer", r.volunteers},
		{"the neighbour lends two volunteers for the rush", r.loans},
		{"supplies ordered and delivered", r.supplies},
		{"childbirth help request", r.help},
		{"temperatures reported", r.temperatures},
		{"door-to-door list", r.unsampled},
		{"evening: results and a pooled-positive trace", r.evening},
		{"night: the register corrected at the door", r.register},
		{"night: the district's screening list verified door by door", r.screening},
		{"night: people under watch report morning and evening", r.watchChecks},
		{"night: three people transferred to central quarantine", r.transfers},
		{"the care board: a dialysis trip and a daily check", r.care},
		{"the way out: passes at the gate", r.gates},
		{"the street's daily report: confirmed, rolled up as .xlsx", r.streetDaily},
		{"invariants", r.invariants},
		{"switch back", r.switchOff},
		{"costs", r.costs},
	}
	for _, s := range steps {
		t := time.Now()
		err := s.do(ctx)
		ph := Phase{Name: s.name, Seconds: time.Since(t).Seconds(), Counts: r.rep.counts}
		r.rep.counts = nil
		r.rep.Phases = append(r.rep.Phases, ph)
		r.line(ph)
		if err != nil {
			return r.rep, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	r.rep.FinishedAt = time.Now()
	return r.rep, nil
}

// float, intn and exp draw from the run's seeded source, one goroutine at
// a time.
func (r *runner) float() float64 {
	r.randMu.Lock()
	defer r.randMu.Unlock()
	return r.rng.Float64()
}

func (r *runner) intn(n int) int {
	r.randMu.Lock()
	defer r.randMu.Unlock()
	return r.rng.IntN(n)
}

func (r *runner) exp() float64 {
	r.randMu.Lock()
	defer r.randMu.Unlock()
	return r.rng.ExpFloat64()
}

// count adds to the current phase's counts.
func (r *runner) count(name string, n int) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if r.rep.counts == nil {
		r.rep.counts = map[string]int{}
	}
	r.rep.counts[name] += n
}

func (r *runner) line(p Phase) {
	if r.c.Progress == nil {
		return
	}
	var parts []string
	keys := make([]string, 0, len(p.Counts))
	for k := range p.Counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, p.Counts[k]))
	}
	fmt.Fprintf(r.c.Progress, "%-40s %6.1fs  %s\n", p.Name, p.Seconds, strings.Join(parts, ", "))
}

// fail records an API error by code; it answers whether there was one.
func (r *runner) fail(err error) bool {
	if err == nil {
		return false
	}
	code := apiclient.CodeOf(err)
	if code == "" {
		code = "TRANSPORT"
	}
	var e *apiclient.Error
	if errors.As(err, &e) && e.Status >= 500 {
		code = fmt.Sprintf("%d %s", e.Status, code)
	}
	r.errMu.Lock()
	r.rep.Errors[code]++
	r.errMu.Unlock()
	return true
}

// wait sleeps a scenario duration on the compressed clock.
func (r *runner) wait(ctx context.Context, scenario time.Duration) {
	select {
	case <-time.After(time.Duration(float64(scenario) / r.c.Speed)):
	case <-ctx.Done():
	}
}

// parallel runs fn for 0..n-1 on the clients.
func (r *runner) parallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(r.c.Clients, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

func (r *runner) call(ctx context.Context, method, path, token string, in, out any) error {
	return r.api.Call(ctx, method, path, token, in, out)
}

func (r *runner) do(ctx context.Context, method, path, token string, headers map[string]string, in, out any) error {
	_, err := r.api.Do(ctx, method, path, token, headers, in, out)
	return err
}

// texts sends an SMS from a phone, as its provider would deliver it.
func (r *runner) texts(ctx context.Context, from, body string) error {
	return r.call(ctx, "POST", "/dev/sms", "", map[string]string{"from": from, "body": body}, nil)
}

// households reads the demo community's flats from its import file.
func (r *runner) households() error {
	data, _ := demo.CSV(time.Now().Year())
	rows, _, err := registry.ParseCSV(data, time.Now().Year())
	if err != nil {
		return err
	}
	index := map[string]*household{}
	for _, row := range rows {
		bid := registry.BuildingID(demo.CommunityID, row.Building)
		hid := registry.HouseholdID(bid, row.Unit, row.Room)
		h, ok := index[hid]
		if !ok {
			h = &household{id: hid, building: bid, buildingName: row.Building, byPhone: map[string]string{}}
			index[hid] = h
			r.hs = append(r.hs, h)
		}
		rid := registry.ResidentID(hid, row.Name)
		h.residents = append(h.residents, rid)
		if row.Phone != "" && h.byPhone[row.Phone] == "" {
			h.phones = append(h.phones, row.Phone)
			h.byPhone[row.Phone] = rid
		}
	}
	// Households without any phone are reached by staff, not in this run.
	r.hs = slices.DeleteFunc(r.hs, func(h *household) bool { return len(h.phones) == 0 })
	if r.c.Households > 0 && len(r.hs) > r.c.Households {
		r.rng.Shuffle(len(r.hs), func(i, j int) { r.hs[i], r.hs[j] = r.hs[j], r.hs[i] })
		r.hs = r.hs[:r.c.Households]
	}
	for _, h := range r.hs {
		h.sms = r.float() < r.c.SMSShare
	}
	return nil
}

// percentile of sorted values.
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	// Nearest rank: the smallest value with at least q of them at or below.
	return s[max(0, min(len(s)-1, int(math.Ceil(q*float64(len(s))))-1))]
}

// outbox reads the local outbox, all of it.
func (r *runner) outbox(ctx context.Context) ([]apiclient.SMS, error) {
	return r.api.Outbox(ctx, "")
}

// purposeOf names a template's purpose from the catalogue.
func purposeOf(template string) string {
	if t, ok := sms.Lookup(template); ok {
		return t.Purpose
	}
	return template
}
