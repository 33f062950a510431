package booking

import (
	"context"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
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
	RoundID  string    `json:"roundId"`
	Tube     string    `json:"tube"`
	TubeID   string    `json:"tubeId"`
	Result   string    `json:"result"`
	OpenedAt time.Time `json:"openedAt"`
	DueAt    time.Time `json:"dueAt"`
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
}

// TraceHousehold is a door of a trace.
type TraceHousehold struct {
	HouseholdID string        `json:"householdId"`
	Door        string        `json:"door"`
	People      []TracePerson `json:"people"`
}

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
	SetResultAndTrace(ctx context.Context, roundID, code, result string, at time.Time, by string, t *Trace, pending *dispatch.Pending) (bool, error)
	Traces(ctx context.Context, roundID string) ([]Trace, error)
	Trace(ctx context.Context, roundID, tube string) (Trace, error)
	// SaveSingle writes a single sample and its one-swab tube:
	// ErrAlreadySingle when the person has one in the trace, ErrTubeInUse
	// when the tube exists.
	SaveSingle(ctx context.Context, s Single) error
	Singles(ctx context.Context, roundID string) ([]Single, error)
	// CloseTrace moves an open trace to released or escalated with the
	// texts that say so: false when it was closed already.
	CloseTrace(ctx context.Context, roundID, tube, status string, at time.Time, pending *dispatch.Pending) (bool, error)
}

// Errors of traces.
var (
	ErrNotTraced     = apperr.New(apperr.KindConflict, "NOT_TRACED", "此人不在待单采复核的名单中", "This person is not in an open trace of the round")
	ErrAlreadySingle = apperr.New(apperr.KindConflict, "ALREADY_SINGLE_SAMPLED", "此人已单采", "This person was sampled singly for this trace already")
	ErrTubeInUse     = apperr.New(apperr.KindConflict, "TUBE_IN_USE", "该试管码已用过，请换新试管", "This tube code is in use: take a new tube")
)

// openTrace builds the trace of a pooled-positive tube and the texts to its
// households: one a household, to the first phone among its people, else
// the household's contact.
func (s *Service) openTrace(ctx context.Context, r Round, code, result string, now time.Time) (*Trace, []dispatch.Text, error) {
	view, err := s.tubeView(ctx, r, code)
	if err != nil {
		return nil, nil, err
	}
	phoneOf, err := s.householdPhones(ctx, r.CommunityID)
	if err != nil {
		return nil, nil, err
	}
	at := chinatime.In(now)
	t := &Trace{RoundID: r.ID, Tube: code, TubeID: TubeID(r.ID, code), Result: result, OpenedAt: at, DueAt: at.Add(TraceWithin), Status: TraceOpen,
		Households: []TraceHousehold{}}
	var texts []dispatch.Text
	for _, h := range view.Households {
		door := h.Building + h.Unit + "单元" + h.Room
		th := TraceHousehold{HouseholdID: h.HouseholdID, Door: door, People: []TracePerson{}}
		for _, m := range view.Members {
			if m.HouseholdID == h.HouseholdID {
				th.People = append(th.People, TracePerson{ResidentID: m.ResidentID, Name: m.Name})
			}
		}
		t.Households = append(t.Households, th)
		if phone := phoneOf[h.HouseholdID]; phone != "" {
			msg, err := sms.TraceHold(door)
			if err != nil {
				return nil, nil, err
			}
			texts = append(texts, dispatch.TextOf("trace:"+r.ID+":"+code+":"+h.HouseholdID, phone, msg))
		}
	}
	t.Texted = len(texts)
	return t, texts, nil
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
				if err := s.Trace.SaveSingle(ctx, sg); err != nil {
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
		var texts []dispatch.Text
		if status == TraceReleased {
			phones, err := s.householdPhones(ctx, r.CommunityID)
			if err != nil {
				return err
			}
			for _, h := range t.Households {
				if phone := phones[h.HouseholdID]; phone != "" {
					msg, err := sms.TraceReleased(h.Door)
					if err != nil {
						return err
					}
					texts = append(texts, dispatch.TextOf("trace-released:"+roundID+":"+t.Tube+":"+h.HouseholdID, phone, msg))
				}
			}
		}
		pending := dispatch.PendingTexts(ctx, now, texts)
		closed, err := s.Trace.CloseTrace(ctx, roundID, t.Tube, status, chinatime.In(now), pending)
		if err != nil {
			return err
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
