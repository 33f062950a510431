package playbook

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
)

// Communities lists a street's communities (the registry's).
type Communities interface {
	StreetCommunities(ctx context.Context, streetID string) ([]registry.Community, error)
}

// MaxStreetSwitch is the most communities one street-wide switch moves:
// they switch side by side, each inside the request's 30 seconds.
const MaxStreetSwitch = 20

// StreetModeInput switches several communities of a street at once.
type StreetModeInput struct {
	Communities []string `json:"communities"`
	Mode        string   `json:"mode"`
	Drill       bool     `json:"drill"`
}

// Switched is one community's part of a street-wide switch: its run, or
// the stable code of why it did not switch (the others switch still).
type Switched struct {
	CommunityID string `json:"communityId"`
	Name        string `json:"name"`
	Run         *Run   `json:"run,omitempty"`
	Error       string `json:"error,omitempty"`
	Message     string `json:"message,omitempty"`
}

// StreetSwitch is a street-wide switch's outcome, community by community.
type StreetSwitch struct {
	StreetID string     `json:"streetId"`
	Mode     string     `json:"mode"`
	Drill    bool       `json:"drill"`
	Switched int        `json:"switched"`
	Results  []Switched `json:"results"`
}

// ErrNotInStreet names communities that are not the street's.
var ErrNotInStreet = apperr.New(apperr.KindInvalid, "COMMUNITY_NOT_IN_STREET", "所选社区不属于本街道", "A community named is not of this street")

// SwitchStreet moves several communities of a street (its admins) into
// emergency or back, or starts or ends a drill in each, each with its own
// playbook: one call where it took one a community. Every community is
// checked to be the street's before any switches; then each switches on
// its own, and one that cannot (in that mode already, a drill running)
// says why without holding the others back. Sent again, it switches
// nobody twice: the ones switched answer ALREADY_IN_MODE.
func (s *Service) SwitchStreet(ctx context.Context, p auth.Principal, sid string, in StreetModeInput) (StreetSwitch, error) {
	if !p.Has(manifest.RoleAdmin) || p.StreetID != sid {
		return StreetSwitch{}, apperr.Forbidden
	}
	var fields []apperr.FieldError
	if in.Mode != ModeNormal && in.Mode != ModeEmergency {
		fields = append(fields, apperr.FieldError{Field: "mode", Reason: "emergency or normal"})
	}
	ids := slices.Clone(in.Communities)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 || len(ids) > MaxStreetSwitch || len(ids) != len(in.Communities) {
		fields = append(fields, apperr.FieldError{Field: "communities", Reason: "1 to 20 distinct communities of the street"})
	}
	if len(fields) > 0 {
		return StreetSwitch{}, apperr.Validation.WithFields(fields...)
	}
	all, err := s.Communities.StreetCommunities(ctx, sid)
	if err != nil {
		return StreetSwitch{}, err
	}
	names := map[string]string{}
	for _, c := range all {
		names[c.ID] = c.Name
	}
	var foreign []apperr.FieldError
	for i, id := range in.Communities {
		if _, ok := names[id]; !ok {
			foreign = append(foreign, apperr.FieldError{Field: fmt.Sprintf("communities[%d]", i), Reason: "a community of this street"})
		}
	}
	if len(foreign) > 0 {
		return StreetSwitch{}, ErrNotInStreet.WithFields(foreign...)
	}
	out := StreetSwitch{StreetID: sid, Mode: in.Mode, Drill: in.Drill, Results: make([]Switched, len(ids))}
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := Switched{CommunityID: id, Name: names[id]}
			run, err := s.Switch(ctx, p, id, ModeInput{Mode: in.Mode, Drill: in.Drill})
			if err != nil {
				e := apperr.As(err)
				res.Error, res.Message = e.Code, e.MessageZH
			} else {
				res.Run = &run
			}
			out.Results[i] = res
		}()
	}
	wg.Wait()
	for _, r := range out.Results {
		if r.Run != nil {
			out.Switched++
		}
	}
	return out, nil
}

// StreetRun is a community's latest run, for the street's list.
type StreetRun struct {
	CommunityID string `json:"communityId"`
	Name        string `json:"name"`
	State
	// Run is the latest run (a drill's while one runs), with its steps.
	Run *Run `json:"run,omitempty"`
	// Steps, Done and Failed count the run's steps.
	Steps  int `json:"steps"`
	Done   int `json:"done"`
	Failed int `json:"failed"`
	Late   int `json:"late"`
}

// StreetRuns lists every community of the street with its mode and its
// latest run's progress (its admins).
func (s *Service) StreetRuns(ctx context.Context, p auth.Principal, sid string) ([]StreetRun, error) {
	if !p.Has(manifest.RoleAdmin) || p.StreetID != sid {
		return nil, apperr.Forbidden
	}
	all, err := s.Communities.StreetCommunities(ctx, sid)
	if err != nil {
		return nil, err
	}
	out := make([]StreetRun, len(all))
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	now := s.Now()
	for i, c := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sr := StreetRun{CommunityID: c.ID, Name: c.Name}
			if sr.State, errs[i] = s.Store.Mode(ctx, c.ID); errs[i] != nil {
				return
			}
			runs, err := s.Store.Runs(ctx, c.ID, 1)
			if errs[i] = err; err != nil || len(runs) == 0 {
				out[i] = sr
				return
			}
			run := runs[0]
			run.marked(now)
			sr.Run = &run
			for _, st := range run.Steps {
				sr.Steps++
				switch st.Status {
				case StepDone:
					sr.Done++
				case StepFailed:
					sr.Failed++
				}
				if st.Late && st.Status != StepDone {
					sr.Late++
				}
			}
			out[i] = sr
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return registry.NaturalLess(out[i].Name, out[j].Name) })
	return out, nil
}
