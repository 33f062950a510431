package playbook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/reserve"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/volunteers"
)

// Store keeps playbooks, modes and runs.
type Store interface {
	Playbook(ctx context.Context, cid string) (Playbook, bool, error)
	// PutPlaybook saves pb if the stored one is still at version prev
	// (0: none); ErrChanged otherwise.
	PutPlaybook(ctx context.Context, pb Playbook, prev int) error
	// Mode is a community's state; a community never switched is normal.
	Mode(ctx context.Context, cid string) (State, error)
	// StartRun writes run and the new state together, if the state is still
	// at version prev; ErrChanged otherwise.
	StartRun(ctx context.Context, st State, prev int, run Run) error
	// SetMode writes the state alone, if still at version prev.
	SetMode(ctx context.Context, st State, prev int) error
	Run(ctx context.Context, id string) (Run, error)
	// SaveRun writes run if the stored one is still at version prev.
	SaveRun(ctx context.Context, run Run, prev int) error
	Runs(ctx context.Context, cid string, limit int) ([]Run, error)
	DrillOutbox(ctx context.Context, tag string) ([]drill.Sent, error)
	// RemoveDrillData deletes what a drill created and its outbox; it
	// answers the items deleted.
	RemoveDrillData(ctx context.Context, tag string, c Created) (int, error)
}

// Rounds opens testing rounds (booking.Service).
type Rounds interface {
	CreateRound(ctx context.Context, p auth.Principal, cid string, in booking.RoundInput) (booking.Round, error)
	AddSite(ctx context.Context, p auth.Principal, roundID string, in booking.SiteInput) (booking.Site, []booking.Slot, error)
	PlanRound(ctx context.Context, p auth.Principal, roundID string, publish bool) (booking.Plan, error)
	OpenSpare(ctx context.Context, p auth.Principal, roundID, name string) (booking.SiteChange, error)
}

// Notices seals buildings and sends notices (notices.Service).
type Notices interface {
	SetZones(ctx context.Context, p auth.Principal, cid string, t notices.ZoneTargets, level string) ([]notices.Zone, error)
	PlanZones(ctx context.Context, p auth.Principal, cid string, t notices.ZoneTargets, level string) ([]notices.Zone, error)
	Create(ctx context.Context, p auth.Principal, cid string, in notices.NoticeInput) (notices.Notice, error)
	Preview(ctx context.Context, p auth.Principal, cid string, in notices.NoticeInput) (notices.Preview, error)
}

// Activations calls volunteers (volunteers.Service).
type Activations interface {
	Activate(ctx context.Context, p auth.Principal, cid string, in volunteers.ActivationInput) (volunteers.ActivationView, error)
}

// Auditor records each action a run takes, as the audit log records
// requests: no entry, no action.
type Auditor interface {
	Action(ctx context.Context, p auth.Principal, communityID, op string, ids map[string]string) (func(status int), error)
}

// Expiry starts personal data's expiry when an emergency that began at
// from ends at endedAt (retention.Service).
type Expiry interface {
	ScheduleExpiry(ctx context.Context, cid string, from, endedAt time.Time, days int) error
}

// Service runs playbooks.
type Service struct {
	Store       Store
	Directory   auth.StreetResolver
	Communities Communities
	Templates   TemplateStore
	Rounds      Rounds
	Notices     Notices
	Activations Activations
	Audit       Auditor
	// Expiry is told when a real emergency ends.
	Expiry Expiry
	// Reserves says which reserve items are below their minimum.
	Reserves Reserves
	Now      func() time.Time
}

// Reserves reads a community's reserve items below their minimum.
type Reserves interface {
	Short(ctx context.Context, cid string) ([]reserve.Item, error)
}

// staleRunning is how long a step may show running before it is taken to
// have died with its request (API Gateway cuts requests at 30 s).
const staleRunning = 2 * time.Minute

// Get is a community's playbook; one never saved is empty.
func (s *Service) Get(ctx context.Context, p auth.Principal, cid string) (Playbook, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Playbook{}, err
	}
	pb, ok, err := s.Store.Playbook(ctx, cid)
	if err != nil {
		return Playbook{}, err
	}
	if !ok {
		pb = Playbook{CommunityID: cid, Emergency: []Step{}, Normal: []Step{}, RetentionDays: DefaultRetention}
	}
	pb.TemplateChanges = pb.changes()
	return pb, nil
}

// Put saves a community's playbook. in.Version is the version the editor
// read (0 for a first); a save over someone else's is refused.
func (s *Service) Put(ctx context.Context, p auth.Principal, cid string, in Playbook) (Playbook, error) {
	return s.put(ctx, p, cid, in, nil)
}

// put saves a playbook; base, when given, is the template it is a copy of
// (otherwise the stored playbook's template stays).
func (s *Service) put(ctx context.Context, p auth.Principal, cid string, in Playbook, base *Base) (Playbook, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Playbook{}, err
	}
	in.CommunityID = cid
	if in.Emergency == nil {
		in.Emergency = []Step{}
	}
	if in.Normal == nil {
		in.Normal = []Step{}
	}
	if fields := in.check(); len(fields) > 0 {
		return Playbook{}, apperr.Validation.WithFields(fields...)
	}
	if fields, err := s.checkData(ctx, p, cid, in); err != nil || len(fields) > 0 {
		if err != nil {
			return Playbook{}, err
		}
		return Playbook{}, apperr.Validation.WithFields(fields...)
	}
	stored, err := s.Get(ctx, p, cid)
	if err != nil {
		return Playbook{}, err
	}
	if auth.RequireStreetAdmin(ctx, p, cid, s.Directory) != nil {
		if fields := adminOnly(stored, in); len(fields) > 0 {
			return Playbook{}, ErrAdminOnly.WithFields(fields...)
		}
	}
	in.Template, in.TemplateChanges = stored.Template, nil
	if base != nil {
		in.Template = base
	}
	prev := in.Version
	now := chinatime.In(s.Now())
	in.UpdatedAt, in.UpdatedBy, in.Version = &now, p.UserID, prev+1
	if err := s.Store.PutPlaybook(ctx, in, prev); err != nil {
		return Playbook{}, err
	}
	audit.Changed(ctx, "playbook", stored, in)
	in.TemplateChanges = in.changes()
	return in, nil
}

// checkData checks what needs the community: its buildings and the
// notices' texts, by the same rules as when they run.
func (s *Service) checkData(ctx context.Context, p auth.Principal, cid string, pb Playbook) ([]apperr.FieldError, error) {
	var fields []apperr.FieldError
	for _, list := range []struct {
		name  string
		steps []Step
	}{{"emergency", pb.Emergency}, {"normal", pb.Normal}} {
		for i, st := range list.steps {
			if st.Action == nil {
				continue
			}
			at := fmt.Sprintf("%s[%d].action", list.name, i)
			a := st.Action
			var err error
			switch {
			case len(a.BuildingIDs) > 0:
				_, err = s.Notices.PlanZones(ctx, p, cid, notices.Buildings(a.BuildingIDs...), notices.LevelSealed)
			case a.Notice != nil:
				// toSealed's buildings are known when it runs: the text and
				// channels are checked against the whole community now.
				in := a.Notice.input(nil)
				if a.Notice.ToSealed {
					in.Audience = notices.Audience{All: true}
				}
				_, err = s.Notices.Preview(ctx, p, cid, in)
				at += ".notice"
			}
			if err != nil {
				e := apperr.As(err)
				if e.Kind != apperr.KindInvalid {
					return nil, err
				}
				for _, f := range e.Fields {
					fields = append(fields, apperr.FieldError{Field: at + "." + f.Field, Reason: f.Reason})
				}
				if len(e.Fields) == 0 {
					fields = append(fields, apperr.FieldError{Field: at, Reason: e.MessageEN})
				}
			}
		}
	}
	return fields, nil
}

// ModeInput is the body of a switch.
type ModeInput struct {
	Mode  string `json:"mode"`
	Drill bool   `json:"drill"`
}

// ModeView is a community's mode and its latest runs.
type ModeView struct {
	State
	Runs []Run `json:"runs"`
}

// Mode is a community's state and its latest runs.
func (s *Service) Mode(ctx context.Context, p auth.Principal, cid string) (ModeView, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return ModeView{}, err
	}
	st, err := s.Store.Mode(ctx, cid)
	if err != nil {
		return ModeView{}, err
	}
	runs, err := s.Store.Runs(ctx, cid, 20)
	if err != nil {
		return ModeView{}, err
	}
	now := s.Now()
	for i := range runs {
		runs[i].marked(now)
	}
	return ModeView{State: st, Runs: runs}, nil
}

// Switch changes a community's mode, or starts or ends a drill, and runs
// the playbook's list for it: its actions at once, in order.
func (s *Service) Switch(ctx context.Context, p auth.Principal, cid string, in ModeInput) (Run, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Run{}, err
	}
	if in.Mode != ModeNormal && in.Mode != ModeEmergency {
		return Run{}, apperr.Validation.WithFields(apperr.FieldError{Field: "mode", Reason: "emergency or normal"})
	}
	pb, _, err := s.Store.Playbook(ctx, cid)
	if err != nil {
		return Run{}, err
	}
	st, err := s.Store.Mode(ctx, cid)
	if err != nil {
		return Run{}, err
	}
	now := chinatime.In(s.Now())
	run := Run{ID: registry.NewID("run"), CommunityID: cid, Mode: in.Mode, Drill: in.Drill, StartedAt: now, StartedBy: p.UserID, Version: 1}
	steps := pb.Emergency
	if in.Mode == ModeNormal {
		steps = pb.Normal
	}
	for _, step := range steps {
		run.Steps = append(run.Steps, RunStep{Step: step, Status: StepPending})
	}
	if run.Steps == nil {
		run.Steps = []RunStep{}
	}
	next := st
	switch {
	case in.Drill && in.Mode == ModeEmergency:
		if st.DrillRunID != "" {
			return Run{}, ErrDrillRunning
		}
		next.DrillRunID = run.ID
	case in.Drill:
		if st.DrillRunID == "" {
			return Run{}, ErrNoDrill
		}
		run.Ends, next.DrillRunID = st.DrillRunID, ""
	case st.Mode == in.Mode:
		return Run{}, ErrAlreadyInMode
	default:
		if in.Mode == ModeNormal {
			run.Ends = st.RunID
		}
		next.Mode, next.Since, next.RunID = in.Mode, &now, run.ID
	}
	next.CommunityID, next.Version = cid, st.Version+1
	if err := s.Store.StartRun(ctx, next, st.Version, run); err != nil {
		return Run{}, err
	}
	if run.Ends != "" {
		s.linkEnd(ctx, run)
	}
	if !in.Drill && in.Mode == ModeNormal {
		// A playbook saved before the floor may hold less: the floor holds.
		days := max(pb.RetentionDays, MinRetention)
		from := now
		if st.Since != nil {
			from = *st.Since
		}
		if err := s.Expiry.ScheduleExpiry(ctx, cid, from, now, days); err != nil {
			// The switch stands; the retention report shows expiry not set.
			logging.From(ctx).Error("personal data expiry not scheduled", "community", cid, "err", err)
		}
	}
	for i := range run.Steps {
		if a := run.Steps[i].Action; a == nil || a.Kind == ActionOpenSite {
			// A spare opens when staff tick its step: when a site falls
			// out or the queue grows, not at the switch.
			continue
		}
		if run, err = s.act(ctx, p, run, run.Steps[i].ID); err != nil {
			return Run{}, err
		}
	}
	run.marked(s.Now())
	return run, nil
}

// linkEnd marks the run an ending run ends, so the emergency's view says
// how it ended.
func (s *Service) linkEnd(ctx context.Context, end Run) {
	for attempt := 0; attempt < 3; attempt++ {
		r, err := s.Store.Run(ctx, end.Ends)
		if err != nil {
			return
		}
		prev := r.Version
		r.EndedBy, r.Version = end.ID, prev+1
		if err := s.Store.SaveRun(ctx, r, prev); !errors.Is(err, ErrChanged) {
			return
		}
	}
}

// act runs a step's action and records how it went. Only a failure to
// record is an error: a failed action is a failed step, with its code.
func (s *Service) act(ctx context.Context, p auth.Principal, run Run, stepID string) (Run, error) {
	step, err := run.step(stepID)
	if err != nil {
		return run, err
	}
	now := chinatime.In(s.Now())
	if step.Status == StepRunning && step.StartedAt != nil && now.Sub(*step.StartedAt) < staleRunning {
		return run, ErrStepRunning
	}
	step.Status, step.StartedAt, step.Error = StepRunning, &now, ""
	if run, err = s.save(ctx, run); err != nil {
		return run, err
	}
	step, _ = run.step(stepID)
	result, err := s.do(ctx, p, &run, *step)
	step, _ = run.step(stepID)
	done := chinatime.In(s.Now())
	if err != nil {
		e := apperr.As(err)
		step.Status, step.Error, step.Result = StepFailed, e.Code, e.MessageZH
		if e.Kind == apperr.KindInternal || e.Kind == apperr.KindUnavailable {
			logging.From(ctx).Error("playbook action failed", "run", run.ID, "step", stepID, "err", err)
		}
	} else {
		step.Status, step.Result, step.DoneAt, step.DoneBy = StepDone, result, &done, p.UserID
	}
	return s.save(ctx, run)
}

// save writes run over the version it was read at and answers it at its
// new version.
func (s *Service) save(ctx context.Context, run Run) (Run, error) {
	prev := run.Version
	run.Version = prev + 1
	if err := s.Store.SaveRun(context.WithoutCancel(ctx), run, prev); err != nil {
		return run, err
	}
	return run, nil
}

// do runs one action under the caller's rights, with its audit entry; a
// drill's runs marked as the drill's work.
func (s *Service) do(ctx context.Context, p auth.Principal, run *Run, step RunStep) (string, error) {
	a := step.Action
	finish, err := s.Audit.Action(ctx, p, run.CommunityID, "playbook."+a.Kind, map[string]string{"runId": run.ID, "stepId": step.ID})
	if err != nil {
		return "", err
	}
	ctx = drill.With(ctx, run.DrillTag())
	result, err := s.action(ctx, p, run, a)
	status := http.StatusOK
	if err != nil {
		status = httpapi.StatusOf(err)
	}
	finish(status)
	return result, err
}

func (s *Service) action(ctx context.Context, p auth.Principal, run *Run, a *Action) (string, error) {
	cid := run.CommunityID
	switch a.Kind {
	case ActionSealBuildings, ActionReleaseBuildings:
		level, ids := a.Level, a.BuildingIDs
		if a.Kind == ActionReleaseBuildings {
			level = notices.LevelNone
			if len(ids) == 0 {
				ids = s.sealedBy(ctx, run.Ends)
			}
			if len(ids) == 0 {
				return "没有需要解封的楼栋", nil
			}
		}
		if level == "" {
			level = notices.LevelSealed
		}
		var zones []notices.Zone
		var err error
		if run.Drill {
			zones, err = s.Notices.PlanZones(ctx, p, cid, notices.Buildings(ids...), level)
		} else {
			zones, err = s.Notices.SetZones(ctx, p, cid, notices.Buildings(ids...), level)
		}
		if err != nil {
			return "", err
		}
		names := make([]string, 0, len(zones))
		for _, z := range zones {
			names = append(names, z.Building)

			if level != notices.LevelNone && !slices.Contains(run.Sealed, z.BuildingID) {
				run.Sealed = append(run.Sealed, z.BuildingID)
			}
		}
		if run.Drill {
			run.Zones = append(run.Zones, zones...)
		}
		return fmt.Sprintf("%s %d 栋：%s", levelNames[level], len(zones), strings.Join(names, "、")), nil
	case ActionOpenRound:
		t := a.Round
		start := chinatime.In(s.Now()).Add(time.Duration(t.StartInMinutes) * time.Minute).Truncate(time.Minute)
		r, err := s.Rounds.CreateRound(ctx, p, cid, booking.RoundInput{Name: t.Name, StartsAt: start,
			EndsAt: start.Add(time.Duration(t.Hours) * time.Hour), SlotMinutes: t.SlotMinutes, AllowPastStart: true})
		if err != nil {
			return "", err
		}
		run.Created.Rounds = append(run.Created.Rounds, r.ID)
		for _, site := range t.Sites {
			if _, _, err := s.Rounds.AddSite(ctx, p, r.ID, site); err != nil {
				return "", err
			}
		}
		plan, err := s.Rounds.PlanRound(ctx, p, r.ID, false)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("检测轮次 %s：%d 个采样点，%d 栋楼已排时段", r.ID, len(t.Sites), len(plan.Windows)), nil
	case ActionOpenSite:
		if len(run.Created.Rounds) == 0 {
			return "", ErrNoRound
		}
		change, err := s.Rounds.OpenSpare(ctx, p, run.Created.Rounds[len(run.Created.Rounds)-1], a.Site)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("备用点 %s 已开放：%d 个时段，还缺 %d 个位置", change.Site.Name, len(change.Slots), change.Capacity.ShortBy), nil
	case ActionActivatePosts:
		v, err := s.Activations.Activate(ctx, p, cid, a.Activation.input())
		if err != nil {
			return "", err
		}
		run.Created.Activations = append(run.Created.Activations, v.ID)
		return fmt.Sprintf("志愿者启动 %s：呼叫 %d 人", v.ID, v.Asked), nil
	case ActionCheckReserves:
		short, err := s.Reserves.Short(ctx, cid)
		if err != nil {
			return "", err
		}
		return reservesText(short), nil
	case ActionSendNotice:
		n, err := s.Notices.Create(ctx, p, cid, a.Notice.input(s.sealedSoFar(ctx, *run)))
		if err != nil {
			return "", err
		}
		run.Created.Notices = append(run.Created.Notices, n.ID)
		return fmt.Sprintf("通知 %s：%d 栋楼", n.ID, len(n.BuildingIDs)), nil
	}
	return "", fmt.Errorf("playbook: unknown action %q", a.Kind)
}

var levelNames = map[string]string{notices.LevelSealed: "封控", notices.LevelControlled: "管控", notices.LevelNone: "解封"}

// sealedSoFar is what the run sealed, or, for a run that ends an
// emergency, what that emergency sealed.
func (s *Service) sealedSoFar(ctx context.Context, run Run) []string {
	if len(run.Sealed) > 0 || run.Ends == "" {
		return run.Sealed
	}
	return s.sealedBy(ctx, run.Ends)
}

func (s *Service) sealedBy(ctx context.Context, runID string) []string {
	if runID == "" {
		return nil
	}
	r, err := s.Store.Run(ctx, runID)
	if err != nil {
		return nil
	}
	return r.Sealed
}

// Run is one run, with lateness worked out now.
func (s *Service) Run(ctx context.Context, p auth.Principal, id string) (Run, error) {
	if !registry.ValidID(id) {
		return Run{}, ErrRunNotFound
	}
	r, err := s.Store.Run(ctx, id)
	if err != nil {
		return Run{}, err
	}
	if err := auth.RequireCommunity(ctx, p, r.CommunityID, s.Directory); err != nil {
		return Run{}, err
	}
	r.marked(s.Now())
	return r, nil
}

// removed says whether run is part of a drill whose data was removed: it
// acts no more.
func (s *Service) removed(ctx context.Context, run Run) (bool, error) {
	if !run.Drill {
		return false, nil
	}
	if run.Ends != "" {
		first, err := s.Store.Run(ctx, run.Ends)
		if err != nil {
			return false, err
		}
		run = first
	}
	return run.Removed != nil, nil
}

// TickInput is the optional body of a tick.
type TickInput struct {
	Note string `json:"note"`
}

// Tick marks a step done. A step with an action not yet done runs it (again,
// after a failure); a step done already is answered as it is.
func (s *Service) Tick(ctx context.Context, p auth.Principal, runID, stepID string, in TickInput) (Run, error) {
	note, problem := safetext.Line(in.Note, 200, false)
	if problem != "" {
		return Run{}, apperr.Validation.WithFields(apperr.FieldError{Field: "note", Reason: string(problem)})
	}
	for attempt := 0; ; attempt++ {
		run, err := s.Run(ctx, p, runID)
		if err != nil {
			return Run{}, err
		}
		step, err := run.step(stepID)
		if err != nil {
			return Run{}, err
		}
		if removed, err := s.removed(ctx, run); err != nil || removed {
			return Run{}, errors.Join(err, ErrDrillRemoved)
		}
		admin := auth.RequireStreetAdmin(ctx, p, run.CommunityID, s.Directory) == nil
		if done, err := mayTick(*step, admin); err != nil || done {
			return run, err
		}
		if step.Action != nil {
			run, err = s.act(ctx, p, run, stepID)
		} else {
			now := chinatime.In(s.Now())
			step.Status, step.DoneAt, step.DoneBy, step.Note = StepDone, &now, p.UserID, note
			run, err = s.save(ctx, run)
		}
		if errors.Is(err, ErrChanged) && attempt < 3 {
			continue
		}
		if err != nil {
			return Run{}, err
		}
		run.marked(s.Now())
		return run, nil
	}
}

// mayTick decides whether the caller may tick step: a street admin's step
// only by an admin of the community's street; a step done already is
// answered as it is (done).
func mayTick(step RunStep, streetAdmin bool) (done bool, err error) {
	if step.Owner == string(manifest.RoleAdmin) && !streetAdmin {
		return false, ErrNotOwner
	}
	return step.Status == StepDone, nil
}

// Report is a run's after-action review (复盘): each step's time from the
// switch, and what a drill sent.
type Report struct {
	Run Run `json:"run"`
	// SMS is what the run's drill outbox holds (drills only).
	SMS *SMSSummary `json:"sms,omitempty"`
	// ReservesShort are the reserve items below their minimum now.
	ReservesShort []reserve.Item `json:"reservesShort"`
}

// reservesText is a check of the reserve as a step's result says it.
func reservesText(short []reserve.Item) string {
	if len(short) == 0 {
		return "储备物资均不低于下限"
	}
	// A step's result is short: the first ten, and how many in all.
	var parts []string
	for _, it := range short[:min(len(short), 10)] {
		parts = append(parts, fmt.Sprintf("%s %d/%d%s", it.Name, it.Quantity, it.Minimum, it.Unit))
	}
	text := "储备低于下限：" + strings.Join(parts, "；")
	if len(short) > 10 {
		text += fmt.Sprintf("等%d项", len(short))
	}
	return text
}

// SMSSummary counts a drill's messages.
type SMSSummary struct {
	Messages   int            `json:"messages"`
	Parts      int            `json:"parts"`
	ByTemplate map[string]int `json:"byTemplate"`
}

// Report is a run's report.
func (s *Service) Report(ctx context.Context, p auth.Principal, runID string) (Report, error) {
	run, err := s.Run(ctx, p, runID)
	if err != nil {
		return Report{}, err
	}
	out := Report{Run: run, ReservesShort: []reserve.Item{}}
	short, err := s.Reserves.Short(ctx, run.CommunityID)
	if err != nil {
		return Report{}, err
	}
	if short != nil {
		out.ReservesShort = short
	}
	if tag := run.DrillTag(); tag != "" {
		sent, err := s.Store.DrillOutbox(ctx, tag)
		if err != nil {
			return Report{}, err
		}
		sum := &SMSSummary{ByTemplate: map[string]int{}}
		for _, m := range sent {
			sum.Messages++
			sum.Parts += m.Parts
			sum.ByTemplate[m.Template]++
		}
		out.SMS = sum
	}
	return out, nil
}

// OutboxView is a drill's outbox.
type OutboxView struct {
	RunID    string       `json:"runId"`
	Messages []drill.Sent `json:"messages"`
}

// Outbox is what a drill sent, oldest first.
func (s *Service) Outbox(ctx context.Context, p auth.Principal, runID string) (OutboxView, error) {
	run, err := s.Run(ctx, p, runID)
	if err != nil {
		return OutboxView{}, err
	}
	if run.DrillTag() == "" {
		return OutboxView{}, ErrNotADrill
	}
	sent, err := s.Store.DrillOutbox(ctx, run.DrillTag())
	if err != nil {
		return OutboxView{}, err
	}
	if sent == nil {
		sent = []drill.Sent{}
	}
	return OutboxView{RunID: run.DrillTag(), Messages: sent}, nil
}

// RemoveDrillData deletes what a drill created — its rounds with their
// bookings, its notices, its activations, its outbox — and ends the drill
// if it was still under way. The runs and the audit log stay, for the
// after-action review. A second call answers the first's removal.
func (s *Service) RemoveDrillData(ctx context.Context, p auth.Principal, runID string) (Run, error) {
	run, err := s.Run(ctx, p, runID)
	if err != nil {
		return Run{}, err
	}
	if !run.Drill {
		return Run{}, ErrNotADrill
	}
	if run.Ends != "" { // the run that ended the drill: the drill is its first run
		if run, err = s.Run(ctx, p, run.Ends); err != nil {
			return Run{}, err
		}
	}
	if run.Removed != nil {
		return run, nil
	}
	created := run.Created
	if run.EndedBy != "" {
		end, err := s.Store.Run(ctx, run.EndedBy)
		if err != nil {
			return Run{}, err
		}
		created.Rounds = append(created.Rounds, end.Created.Rounds...)
		created.Notices = append(created.Notices, end.Created.Notices...)
		created.Activations = append(created.Activations, end.Created.Activations...)
	}
	items, err := s.Store.RemoveDrillData(ctx, run.ID, created)
	if err != nil {
		return Run{}, err
	}
	for attempt := 0; ; attempt++ {
		st, err := s.Store.Mode(ctx, run.CommunityID)
		if err != nil {
			return Run{}, err
		}
		if st.DrillRunID != run.ID {
			break
		}
		next := st
		next.DrillRunID, next.Version = "", st.Version+1
		if err := s.Store.SetMode(ctx, next, st.Version); err == nil || !errors.Is(err, ErrChanged) || attempt >= 3 {
			if err != nil {
				return Run{}, err
			}
			break
		}
	}
	for attempt := 0; ; attempt++ {
		now := chinatime.In(s.Now())
		run.Removed = &DrillRemoval{At: now, By: p.UserID, Items: items}
		saved, err := s.save(ctx, run)
		if errors.Is(err, ErrChanged) && attempt < 3 {
			if run, err = s.Store.Run(ctx, run.ID); err != nil {
				return Run{}, err
			}
			continue
		}
		if err != nil {
			return Run{}, err
		}
		saved.marked(s.Now())
		return saved, nil
	}
}
