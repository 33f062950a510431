package booking

import (
	"cmp"
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
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/zone"
)

// TraceWithin is how long the door team has to take the single samples of
// a pooled-positive tube's people (单采复核) before the trace is overdue.
const TraceWithin = 2 * time.Hour

// A trace's states: open until every single sample's result is back;
// then released (all negative) or escalated (a positive).
const (
	TraceOpen      = "open"
	TraceReleased  = "released"
	TraceEscalated = "escalated"
)

// Trace is the community's answer to a pooled-positive tube (混管阳性): its
// households held in place and told, and its people sampled singly at their
// doors.
type Trace struct {
	RoundID     string    `json:"roundId"`
	CommunityID string    `json:"communityId"`
	Tube        string    `json:"tube"`
	TubeID      string    `json:"tubeId"`
	Result      string    `json:"result"`
	OpenedAt    time.Time `json:"openedAt"`
	DueAt       time.Time `json:"dueAt"`
	// Texted are the households' SMS written with the result.
	Texted     int              `json:"texted"`
	Households []TraceHousehold `json:"households"`
	Status     string           `json:"status"`
	ClosedAt   *time.Time       `json:"closedAt,omitempty"`
	// Overdue: open past DueAt with single samples still to take.
	Overdue bool `json:"overdue"`
	// Proposal is what the office should decide when a single sample came
	// back positive: the playbook's emergency switch, for staff to confirm.
	Proposal string `json:"proposal,omitempty"`
	// CloseContacts are every member of a household with a positive
	// single sample, from the register (those at home, not only the
	// tube's): the list the office reports and watches.
	CloseContacts []TracePerson `json:"closeContacts,omitempty"`
	// Level is how far an overdue trace was escalated: 1 staff on duty, 2
	// every staff member and the street's admins.
	Level int `json:"escalationLevel,omitempty"`
}

// TraceHousehold is a door of a trace.
type TraceHousehold struct {
	HouseholdID string        `json:"householdId"`
	Door        string        `json:"door"`
	Building    string        `json:"building"`
	Unit        string        `json:"unit"`
	Room        string        `json:"room"`
	People      []TracePerson `json:"people"`
	// Controlled: the trace put the household under control (管控, reason
	// pooled_positive) until its single samples release it. False where a
	// stricter household zone was there already, or the round is a drill's.
	Controlled bool `json:"controlled"`
	// Before is the household's own zone level the control replaced,
	// restored on release ("" for none).
	Before string `json:"-"`
	// Outcome is what the closed trace did to the door: released, kept
	// (by another zone), held (by another open trace) or sealed (a
	// positive single sample).
	Outcome string `json:"outcome,omitempty"`
}

// Outcomes of a trace's door: released from the trace's control; sealed
// (a positive); held, by another open trace of the round.
const (
	DoorReleased = "released"
	DoorSealed   = "sealed"
	DoorHeld     = "held"
	// DoorKept: released from the trace, at home still by another zone
	// (its building's, its unit's, or one staff set).
	DoorKept = "kept"
)

// ReasonPositive marks a household sealed by a positive single sample.
const ReasonPositive = "positive"

// TracePerson is one person of the pooled tube, and their single sample.
type TracePerson struct {
	ResidentID   string     `json:"residentId"`
	Name         string     `json:"name"`
	SingleTube   string     `json:"singleTube,omitempty"`
	SingleAt     *time.Time `json:"singleAt,omitempty"`
	SingleResult string     `json:"singleResult,omitempty"`
}

// Single is a single sample taken at the door for a trace.
type Single struct {
	RoundID    string    `json:"roundId"`
	TraceTube  string    `json:"traceTube"`
	ResidentID string    `json:"residentId"`
	Tube       string    `json:"tube"`
	At         time.Time `json:"at"`
	By         string    `json:"by"`
}

// TraceStore keeps traces and their single samples.
type TraceStore interface {
	// SetResultAndTrace records a tube's result, and with it the trace it
	// opens and the texts to its households, in one transaction: false
	// when the tube had this result already (nothing written).
	// The trace's household controls (zones) are written with it.
	SetResultAndTrace(ctx context.Context, roundID, code, result string, at time.Time, by string, t *Trace, zones []zone.Zone, pending *dispatch.Pending) (bool, error)
	Traces(ctx context.Context, roundID string) ([]Trace, error)
	Trace(ctx context.Context, roundID, tube string) (Trace, error)
	// SaveSingle writes a single sample and its one-swab tube:
	// ErrAlreadySingle when the person has one in the trace (other than
	// the one in tube replaces, when given: a retake), ErrTubeInUse when
	// the tube exists.
	SaveSingle(ctx context.Context, s Single, replaces string) error
	Singles(ctx context.Context, roundID string) ([]Single, error)
	// CloseTrace moves an open trace to released or escalated with its
	// doors' outcomes, their zones and the texts that say so: false when
	// it was closed already. A release writes a household's zone only
	// while it is still a trace's control: ErrZonesChanged, with nothing
	// written, where staff changed it meanwhile.
	CloseTrace(ctx context.Context, t Trace, at time.Time, zones []zone.Zone, pending *dispatch.Pending) (bool, error)
	// DueTraces lists open traces due an escalation at now.
	DueTraces(ctx context.Context, now time.Time) ([]Trace, error)
	// TraceEscalated moves an open trace from one level to the next with
	// its alert: false when it moved meanwhile (or closed).
	TraceEscalated(ctx context.Context, roundID, tube string, from, to int, next *time.Time, pending *dispatch.Pending) (bool, error)
}

// Errors of traces.
var (
	ErrNotTraced     = apperr.New(apperr.KindConflict, "NOT_TRACED", "此人不在待单采复核的名单中", "This person is not in an open trace of the round")
	ErrAlreadySingle = apperr.New(apperr.KindConflict, "ALREADY_SINGLE_SAMPLED", "此人已单采", "This person was sampled singly for this trace already")
	ErrTubeInUse     = apperr.New(apperr.KindConflict, "TUBE_IN_USE", "该试管码已用过，请换新试管", "This tube code is in use: take a new tube")
)

// openTrace builds the trace of a pooled-positive tube, the control of its
// households (a household zone, controlled, reason pooled_positive) and
// the texts to them: one a household, to the first phone among its people,
// else the household's contact.
func (s *Service) openTrace(ctx context.Context, r Round, code, result string, now time.Time, by string) (*Trace, []zone.Zone, []dispatch.Text, error) {
	view, err := s.tubeView(ctx, r, code)
	if err != nil {
		return nil, nil, nil, err
	}
	phoneOf, err := s.householdPhones(ctx, r.CommunityID)
	if err != nil {
		return nil, nil, nil, err
	}
	var zones []zone.Zone
	own := map[string]zone.Zone{} // each household's own zone, where it has one
	for _, bid := range distinctBuildings(view.Households) {
		zs, err := s.Zones.BuildingZones(ctx, r.CommunityID, bid)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, z := range zs {
			if z.HouseholdID != "" {
				own[z.HouseholdID] = z
			}
		}
	}
	at := chinatime.In(now)
	t := &Trace{RoundID: r.ID, CommunityID: r.CommunityID, Tube: code, TubeID: TubeID(r.ID, code), Result: result, OpenedAt: at, DueAt: at.Add(TraceWithin), Status: TraceOpen,
		Households: []TraceHousehold{}}
	var texts []dispatch.Text
	for _, h := range view.Households {
		door := registry.Household{BuildingName: h.Building, Unit: h.Unit, Room: h.Room}.Address()
		th := TraceHousehold{HouseholdID: h.HouseholdID, Door: door, Building: h.Building, Unit: h.Unit, Room: h.Room, People: []TracePerson{}}
		// A drill's trace controls on paper; a household sealed or
		// controlled on its own already keeps its zone.
		if before := own[h.HouseholdID]; r.Drill == "" && !zone.Restricted(before.Level) {
			th.Controlled, th.Before = true, before.Level
			bid := registry.BuildingOf(h.HouseholdID)
			zones = append(zones, zone.Zone{BuildingID: bid, Building: h.Building, UnitID: registry.UnitID(bid, h.Unit), Unit: h.Unit,
				HouseholdID: h.HouseholdID, Room: h.Room, Level: zone.LevelControlled, Since: at, By: by, Reason: zone.ReasonPooledPositive})
		}
		for _, m := range view.Members {
			if m.HouseholdID == h.HouseholdID {
				th.People = append(th.People, TracePerson{ResidentID: m.ResidentID, Name: m.Name})
			}
		}
		t.Households = append(t.Households, th)
		if phone := phoneOf[h.HouseholdID]; phone != "" {
			msg, err := sms.TraceHold(door)
			if err != nil {
				return nil, nil, nil, err
			}
			texts = append(texts, dispatch.TextOf("trace:"+r.ID+":"+code+":"+h.HouseholdID, phone, msg))
		}
	}
	t.Texted = len(texts)
	return t, zones, texts, nil
}

// distinctBuildings are the buildings of a tube's households, once each.
func distinctBuildings(hs []TubeHousehold) []string {
	var ids []string
	for _, h := range hs {
		ids = append(ids, registry.BuildingOf(h.HouseholdID))
	}
	return registry.Distinct(ids)
}

// Traces lists a round's traces with their single samples, newest first,
// for staff and the door team.
func (s *Service) Traces(ctx context.Context, p auth.Principal, roundID string) ([]Trace, error) {
	_, f, err := s.fieldRound(ctx, p, roundID)
	if err != nil {
		return nil, err
	}
	if !f.Staff && !f.Door {
		return nil, ErrNotOnDuty
	}
	traces, err := s.Trace.Traces(ctx, roundID)
	if err != nil {
		return nil, err
	}
	singles, err := s.Trace.Singles(ctx, roundID)
	if err != nil {
		return nil, err
	}
	tubes, err := s.Tubes.Tubes(ctx, roundID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	for i := range traces {
		fillSingles(&traces[i], singles, tubes, now)
	}
	sort.Slice(traces, func(i, j int) bool { return traces[i].OpenedAt.After(traces[j].OpenedAt) })
	return traces, nil
}

// fillSingles puts each person's single sample and its result on a trace.
func fillSingles(t *Trace, singles []Single, tubes map[string]Tube, now time.Time) {
	missing := false
	for hi := range t.Households {
		for pi := range t.Households[hi].People {
			person := &t.Households[hi].People[pi]
			for _, sg := range singles {
				if sg.TraceTube == t.Tube && sg.ResidentID == person.ResidentID {
					at := sg.At
					person.SingleTube, person.SingleAt, person.SingleResult = sg.Tube, &at, tubes[sg.Tube].Result
				}
			}
			if person.SingleTube == "" {
				missing = true
			}
		}
	}
	t.Overdue = t.Status == TraceOpen && missing && now.After(t.DueAt)
	if t.Status == TraceEscalated {
		t.Proposal = "单采复核有阳性：请核实后按预案转入应急状态（POST /v1/communities/{communityId}/mode）"
	}
}

// SingleInput is a single sample taken at a traced person's door.
type SingleInput struct {
	ResidentID string `json:"residentId"`
	Tube       string `json:"tube"`
}

// TakeSingle records a single sample (单采) of a person of an open trace,
// into a new one-swab tube, by staff or the door team.
func (s *Service) TakeSingle(ctx context.Context, p auth.Principal, roundID string, in SingleInput) (Single, error) {
	_, f, err := s.fieldRound(ctx, p, roundID)
	if err != nil {
		return Single{}, err
	}
	if !f.Staff && !f.Door {
		return Single{}, ErrNotOnDuty
	}
	code, ok := TubeCode(in.Tube)
	if !ok {
		return Single{}, apperr.Validation.WithFields(apperr.FieldError{Field: "tube", Reason: "the 4 to 32 letters and digits of a tube code"})
	}
	if !registry.ValidID(in.ResidentID) {
		return Single{}, ErrNotTraced
	}
	traces, err := s.Trace.Traces(ctx, roundID)
	if err != nil {
		return Single{}, err
	}
	for _, t := range traces {
		if t.Status != TraceOpen {
			continue
		}
		for _, h := range t.Households {
			for _, person := range h.People {
				if person.ResidentID != in.ResidentID {
					continue
				}
				sg := Single{RoundID: roundID, TraceTube: t.Tube, ResidentID: in.ResidentID, Tube: code, At: chinatime.In(s.Now()), By: p.UserID}
				err := s.Trace.SaveSingle(ctx, sg, "")
				if errors.Is(err, ErrAlreadySingle) {
					// A single the lab found invalid is taken again.
					err = s.retake(ctx, sg, err)
				}
				if err != nil {
					return Single{}, err
				}
				audit.Changed(ctx, "single sample", nil, sg)
				return sg, nil
			}
		}
	}
	return Single{}, ErrNotTraced
}

// settleTraces closes the open traces whose single samples are all back:
// all negative releases the households (and tells them); a positive
// escalates, for staff to decide on the playbook's switch.
func (s *Service) settleTraces(ctx context.Context, r Round) error {
	roundID := r.ID
	traces, err := s.Trace.Traces(ctx, roundID)
	if err != nil {
		return err
	}
	singles, err := s.Trace.Singles(ctx, roundID)
	if err != nil {
		return err
	}
	tubes, err := s.Tubes.Tubes(ctx, roundID)
	if err != nil {
		return err
	}
	now := s.Now()
	for _, t := range traces {
		if t.Status != TraceOpen {
			continue
		}
		fillSingles(&t, singles, tubes, now)
		status, done := TraceReleased, true
		for _, h := range t.Households {
			for _, person := range h.People {
				switch person.SingleResult {
				case ResultNegative:
				case ResultPositive, ResultPooledPositive:
					status = TraceEscalated
				default:
					done = false // not taken, pending, or invalid (to take again)
				}
			}
		}
		if !done {
			continue
		}
		t.Status = status
		// Doors staff changed meanwhile are decided again from what they
		// set: a few tries.
		var closed bool
		var pending *dispatch.Pending
		for try := 0; ; try++ {
			c := t
			c.Households = slices.Clone(t.Households)
			zones, texts, err := s.closeDoors(ctx, r, &c, traces, chinatime.In(now))
			if err != nil {
				return err
			}
			pending = dispatch.PendingTexts(ctx, now, r.CommunityID, texts)
			closed, err = s.Trace.CloseTrace(ctx, c, chinatime.In(now), zones, pending)
			if errors.Is(err, ErrZonesChanged) && try < 2 {
				continue
			}
			if err != nil {
				return err
			}
			break
		}
		if closed {
			s.Outbox.Flush(ctx, pending)
		}
	}
	return nil
}

// householdPhones gives each household of a community the phone a trace's
// texts go to: the first of its people with one (from the cached register).
func (s *Service) householdPhones(ctx context.Context, communityID string) (map[string]string, error) {
	_, residents, err := s.register(ctx, communityID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, rs := range residents {
		for _, res := range rs {
			if res.Phone != "" && out[res.HouseholdID] == "" {
				out[res.HouseholdID] = res.Phone
			}
		}
	}
	return out, nil
}

// ErrZonesChanged: a door's zone changed since it was read (staff set it
// meanwhile): the trace's close is decided again.
var ErrZonesChanged = errors.New("booking: a household's zone changed meanwhile")

// closeDoors decides each door of a trace whose single samples are all
// back: a household with a positive is sealed (reason positive) and its
// members, all of them, are close contacts. Every other door leaves the
// trace's control — unless another open trace of the round holds it too
// (its own singles decide) — back to the level it had; it is told it is
// released only if nothing else keeps it at home (its building's or unit's
// zone, or staff's own).
func (s *Service) closeDoors(ctx context.Context, r Round, t *Trace, all []Trace, at time.Time) ([]zone.Zone, []dispatch.Text, error) {
	phones, err := s.householdPhones(ctx, r.CommunityID)
	if err != nil {
		return nil, nil, err
	}
	buildings, residents, err := s.register(ctx, r.CommunityID)
	if err != nil {
		return nil, nil, err
	}
	peopleOf := func(bid string) []registry.Resident {
		if i := slices.IndexFunc(buildings, func(b registry.Building) bool { return b.ID == bid }); i >= 0 {
			return residents[i]
		}
		return nil
	}
	zonesOf := map[string][]zone.Zone{}
	for _, h := range t.Households {
		bid := registry.BuildingOf(h.HouseholdID)
		if _, read := zonesOf[bid]; !read && r.Drill == "" {
			if zonesOf[bid], err = s.Zones.BuildingZones(ctx, r.CommunityID, bid); err != nil {
				return nil, nil, err
			}
		}
	}
	heldElsewhere := func(hid string) bool {
		return slices.ContainsFunc(all, func(o Trace) bool {
			return o.Tube != t.Tube && o.Status == TraceOpen && slices.ContainsFunc(o.Households, func(h TraceHousehold) bool { return h.HouseholdID == hid })
		})
	}
	var zones []zone.Zone
	var texts []dispatch.Text
	for i := range t.Households {
		h := &t.Households[i]
		positive := slices.ContainsFunc(h.People, func(p TracePerson) bool {
			return p.SingleResult == ResultPositive || p.SingleResult == ResultPooledPositive
		})
		bid := registry.BuildingOf(h.HouseholdID)
		z := zone.Zone{BuildingID: bid, Building: h.Building, UnitID: registry.UnitID(bid, h.Unit), Unit: h.Unit,
			HouseholdID: h.HouseholdID, Room: h.Room, Since: at, By: "system"}
		if positive {
			h.Outcome = DoorSealed
			for _, res := range peopleOf(bid) {
				if res.HouseholdID == h.HouseholdID {
					t.CloseContacts = append(t.CloseContacts, TracePerson{ResidentID: res.ID, Name: res.Name})
				}
			}
			if r.Drill == "" {
				z.Level, z.Reason = zone.LevelSealed, ReasonPositive
				zones = append(zones, z)
			}
			continue
		}
		// The household's own zone, and what covers it otherwise.
		var own zone.Zone
		var rest []zone.Zone
		for _, bz := range zonesOf[bid] {
			if bz.HouseholdID == h.HouseholdID {
				own = bz
			} else {
				rest = append(rest, bz)
			}
		}
		door := registry.Household{ID: h.HouseholdID, BuildingID: bid, Unit: h.Unit}
		after := rest
		switch {
		case r.Drill != "":
			// A drill controlled on paper: released on paper.
		case own.Reason == zone.ReasonPooledPositive && heldElsewhere(h.HouseholdID):
			h.Outcome = DoorHeld
			continue
		case own.Reason == zone.ReasonPooledPositive:
			z.Level = zone.LevelNone
			if h.Controlled {
				z.Level = cmp.Or(h.Before, zone.LevelNone)
			}
			zones = append(zones, z)
			after = append(after, z)
		default:
			after = append(after, own) // staff's, kept
		}
		h.Outcome = DoorReleased
		if kept, ok := zone.Strictest(after, door); ok && zone.Restricted(kept.Level) {
			h.Outcome = DoorKept // at home still, by another zone: no word of release
			continue
		}
		if phone := phones[h.HouseholdID]; phone != "" {
			msg, err := sms.TraceReleased(h.Door)
			if err != nil {
				return nil, nil, err
			}
			texts = append(texts, dispatch.TextOf("trace-released:"+r.ID+":"+t.Tube+":"+h.HouseholdID, phone, msg))
		}
	}
	return zones, texts, nil
}

// Alarm gives the phones an overdue trace texts (help.Service): the
// community's staff on duty first, then every staff member and the
// street's admins, as an overdue help request does.
type Alarm interface {
	OnDutyPhones(ctx context.Context, communityID string) ([]string, error)
	EveryonePhones(ctx context.Context, communityID string) ([]string, error)
}

// EscalateTraces runs the escalation of door lists as of now: an open
// trace past its deadline with single samples still to take texts the
// staff on duty (level 1); one deadline later, every staff member and the
// street's admins (level 2). A trace whose samples are all taken leaves
// the index without a text. Run twice, or by two instances, it texts
// nobody twice. It answers how many traces went up.
func (s *Service) EscalateTraces(ctx context.Context, now time.Time) (int, error) {
	due, err := s.Trace.DueTraces(ctx, now)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, t := range due {
		up, err := s.escalateTrace(ctx, t, now)
		if err != nil {
			errs = append(errs, err) // the next run tries again
			continue
		}
		if up {
			n++
		}
	}
	return n, errors.Join(errs...)
}

func (s *Service) escalateTrace(ctx context.Context, t Trace, now time.Time) (bool, error) {
	if t.Status != TraceOpen || t.Level >= 2 {
		return false, nil
	}
	singles, err := s.Trace.Singles(ctx, t.RoundID)
	if err != nil {
		return false, err
	}
	taken := map[string]bool{}
	for _, sg := range singles {
		if sg.TraceTube == t.Tube {
			taken[sg.ResidentID] = true
		}
	}
	households, people, first := 0, 0, ""
	for _, h := range t.Households {
		waiting := 0
		for _, p := range h.People {
			if !taken[p.ResidentID] {
				waiting++
			}
		}
		if waiting > 0 {
			households, people = households+1, people+waiting
			if first == "" {
				first = h.Door
			}
		}
	}
	if people == 0 {
		// Every door sampled: nothing to chase; off the index.
		_, err := s.Trace.TraceEscalated(ctx, t.RoundID, t.Tube, t.Level, 2, nil, nil)
		return false, err
	}
	// A drill's trace alarms into the drill's outbox, as its texts went.
	r, err := s.Store.Round(ctx, t.RoundID)
	if err != nil {
		return false, err
	}
	ctx = drill.With(ctx, r.Drill)
	level := t.Level + 1
	var phones []string
	var next *time.Time
	if level == 1 {
		phones, err = s.Alarm.OnDutyPhones(ctx, t.CommunityID)
		at := t.DueAt.Add(TraceWithin)
		next = &at
	} else {
		phones, err = s.Alarm.EveryonePhones(ctx, t.CommunityID)
	}
	if err != nil {
		return false, err
	}
	msg, err := sms.TraceOverdue(first, households, people, int(now.Sub(t.DueAt).Minutes()))
	if err != nil {
		return false, err
	}
	var texts []dispatch.Text
	for _, ph := range registry.Distinct(phones) {
		texts = append(texts, dispatch.AlertOf(fmt.Sprintf("trace-overdue:%s:%s:%d", t.RoundID, t.Tube, level), ph, msg))
	}
	pending := dispatch.PendingTexts(ctx, now, t.CommunityID, texts)
	up, err := s.Trace.TraceEscalated(ctx, t.RoundID, t.Tube, t.Level, level, next, pending)
	if err != nil || !up {
		return false, err
	}
	s.Outbox.Flush(ctx, pending)
	return true, nil
}

// retake writes a single sample over the person's earlier one when the
// lab found that one invalid; else it answers refused, the refusal of the
// first try.
func (s *Service) retake(ctx context.Context, sg Single, refused error) error {
	singles, err := s.Trace.Singles(ctx, sg.RoundID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(singles, func(o Single) bool { return o.TraceTube == sg.TraceTube && o.ResidentID == sg.ResidentID })
	if i < 0 {
		return refused
	}
	old, _, err := s.Tubes.Tube(ctx, sg.RoundID, singles[i].Tube)
	if err != nil {
		return err
	}
	if old.Result != ResultInvalid {
		return refused
	}
	return s.Trace.SaveSingle(ctx, sg, singles[i].Tube)
}
