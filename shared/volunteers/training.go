package volunteers

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
)

// Training (培训): "谁来都是一套标准，谁干都是同样规程". A street's trainings
// qualify volunteers for kinds of post; a kind may require one, so that
// suggestions put the trained first and an assignment of someone untrained
// says so. A volunteer's record lists their trainings, the shifts they
// served, the calls they declined and the shifts they did not come to
// (激励与约束).

// Training is one session of the street's.
type Training struct {
	ID        string    `json:"id"`
	StreetID  string    `json:"streetId"`
	Title     string    `json:"title"`
	Day       string    `json:"day"`
	PostKinds []string  `json:"postKinds"`
	Trainer   string    `json:"trainer"`
	Attended  int       `json:"attended"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
}

// Attendance is a volunteer's attendance of a training.
type Attendance struct {
	TrainingID  string    `json:"trainingId"`
	StreetID    string    `json:"streetId"`
	Title       string    `json:"title"`
	Day         string    `json:"day"`
	PostKinds   []string  `json:"postKinds"`
	VolunteerID string    `json:"volunteerId"`
	Name        string    `json:"name"`
	At          time.Time `json:"at"`
	By          string    `json:"by"`
}

// TrainingRules are the post kinds of a street that require a training.
type TrainingRules struct {
	StreetID string   `json:"streetId"`
	Required []string `json:"required"`
}

// TrainingStore keeps trainings, attendances and rules.
type TrainingStore interface {
	CreateTraining(ctx context.Context, t Training) error
	Training(ctx context.Context, id string) (Training, error)
	Trainings(ctx context.Context, streetID string) ([]Training, error)
	// Attend records attendances (one a volunteer, once): it answers how
	// many were new.
	Attend(ctx context.Context, as []Attendance) (int, error)
	// Attended lists a volunteer's trainings.
	Attended(ctx context.Context, volunteerID string) ([]Attendance, error)
	TrainingRules(ctx context.Context, streetID string) (TrainingRules, error)
	PutTrainingRules(ctx context.Context, r TrainingRules) error
	// Served lists a volunteer's check-ins, newest first.
	Served(ctx context.Context, volunteerID string) ([]Checkin, error)
}

// ErrTrainingNotFound is a training that is not there (or of another
// street).
var ErrTrainingNotFound = apperr.New(apperr.KindNotFound, "TRAINING_NOT_FOUND", "培训不存在", "No such training")

// ErrTrainingAhead is attendance of a training whose day has not come.
var ErrTrainingAhead = apperr.New(apperr.KindConflict, "TRAINING_NOT_HELD", "培训尚未举行，不能记录参训", "The training's day has not come: attendance is recorded on or after it")

// TrainingInput records a training.
type TrainingInput struct {
	Title     string   `json:"title"`
	Day       string   `json:"day"`
	PostKinds []string `json:"postKinds"`
	Trainer   string   `json:"trainer"`
}

// CreateTraining records a training of the street (its admins and its
// communities' staff).
func (s *Service) CreateTraining(ctx context.Context, p auth.Principal, sid string, in TrainingInput) (Training, error) {
	if err := auth.RequireStreetMember(ctx, p, sid, s.Directory); err != nil {
		return Training{}, err
	}
	var fields []apperr.FieldError
	title, prob := safetext.Line(in.Title, 40, true)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "title", Reason: string(prob)})
	}
	trainer, prob := safetext.Line(in.Trainer, 32, true)
	if prob != "" {
		fields = append(fields, apperr.FieldError{Field: "trainer", Reason: string(prob)})
	}
	today := chinatime.Midnight(s.Now())
	d, err := time.ParseInLocation(time.DateOnly, in.Day, chinatime.Zone)
	if err != nil || d.Before(today.AddDate(-2, 0, 0)) || d.After(today.AddDate(0, 6, 0)) {
		fields = append(fields, apperr.FieldError{Field: "day", Reason: "a date from two years ago to six months ahead"})
	}
	kinds := slices.Clone(in.PostKinds)
	slices.Sort(kinds)
	if len(kinds) == 0 || len(slices.Compact(kinds)) != len(in.PostKinds) || slices.ContainsFunc(kinds, func(k string) bool { return !slices.Contains(PostKinds, k) }) {
		fields = append(fields, apperr.FieldError{Field: "postKinds", Reason: fmt.Sprint("kinds of post it qualifies for, each once: ", PostKinds)})
	}
	if len(fields) > 0 {
		return Training{}, apperr.Validation.WithFields(fields...)
	}
	t := Training{ID: registry.NewID("tr"), StreetID: sid, Title: title, Day: in.Day, PostKinds: kinds, Trainer: trainer,
		CreatedAt: chinatime.In(s.Now()), CreatedBy: p.UserID}
	if err := s.Trainings.CreateTraining(ctx, t); err != nil {
		return Training{}, err
	}
	audit.Changed(ctx, "training", nil, map[string]any{"training": t.ID})
	return t, nil
}

// TrainingsOf lists the street's trainings, the latest first.
func (s *Service) TrainingsOf(ctx context.Context, p auth.Principal, sid string) ([]Training, error) {
	if err := auth.RequireStreetMember(ctx, p, sid, s.Directory); err != nil {
		return nil, err
	}
	ts, err := s.Trainings.Trainings(ctx, sid)
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Day > ts[j].Day })
	return ts, err
}

// AttendInput names who attended.
type AttendInput struct {
	VolunteerIDs []string `json:"volunteerIds"`
}

// Attend records who attended a training: approved volunteers of the
// street's communities; each once however often sent.
func (s *Service) Attend(ctx context.Context, p auth.Principal, id string, in AttendInput) (Training, error) {
	if !registry.ValidID(id) {
		return Training{}, ErrTrainingNotFound
	}
	t, err := s.Trainings.Training(ctx, id)
	if err != nil {
		return Training{}, err
	}
	if err := auth.RequireStreetMember(ctx, p, t.StreetID, s.Directory); err != nil {
		return Training{}, err
	}
	if t.Day > chinatime.In(s.Now()).Format(time.DateOnly) {
		return Training{}, ErrTrainingAhead
	}
	ids := slices.Clone(in.VolunteerIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 || len(ids) > 200 {
		return Training{}, apperr.Validation.WithFields(apperr.FieldError{Field: "volunteerIds", Reason: "1 to 200 volunteers of the street"})
	}
	now := chinatime.In(s.Now())
	var as []Attendance
	var fields []apperr.FieldError
	for _, vid := range ids {
		v, err := s.Store.Volunteer(ctx, vid)
		if apperr.As(err).Code == ErrVolunteerNotFound.Code || (err == nil && v.Status != StatusApproved) {
			fields = append(fields, apperr.FieldError{Field: "volunteerIds", Reason: "an approved volunteer of the street: " + safeID(vid)})
			continue
		}
		if err != nil {
			return Training{}, err
		}
		if sid, err := s.Directory.StreetOf(ctx, v.CommunityID); err != nil || sid != t.StreetID {
			fields = append(fields, apperr.FieldError{Field: "volunteerIds", Reason: "an approved volunteer of the street: " + safeID(vid)})
			continue
		}
		as = append(as, Attendance{TrainingID: t.ID, StreetID: t.StreetID, Title: t.Title, Day: t.Day, PostKinds: t.PostKinds,
			VolunteerID: v.ID, Name: v.Name, At: now, By: p.UserID})
	}
	if len(fields) > 0 {
		return Training{}, apperr.Validation.WithFields(fields...)
	}
	n, err := s.Trainings.Attend(ctx, as)
	if err != nil {
		return Training{}, err
	}
	t.Attended += n
	audit.Changed(ctx, "training", nil, map[string]any{"training": t.ID, "attended": n})
	return t, nil
}

// safeID is an id as an error names it: what is not an id is not echoed.
func safeID(id string) string {
	if registry.ValidID(id) {
		return id
	}
	return "(not an id)"
}

// RulesOf are the street's post kinds that require a training.
func (s *Service) RulesOf(ctx context.Context, p auth.Principal, sid string) (TrainingRules, error) {
	if err := auth.RequireStreetMember(ctx, p, sid, s.Directory); err != nil {
		return TrainingRules{}, err
	}
	return s.Trainings.TrainingRules(ctx, sid)
}

// SetRules sets which post kinds of the street require a training (its
// admins).
func (s *Service) SetRules(ctx context.Context, p auth.Principal, sid string, in TrainingRules) (TrainingRules, error) {
	if !p.Has(manifest.RoleAdmin) || p.StreetID != sid {
		return TrainingRules{}, apperr.Forbidden
	}
	kinds := slices.Clone(in.Required)
	slices.Sort(kinds)
	if len(slices.Compact(kinds)) != len(in.Required) || slices.ContainsFunc(kinds, func(k string) bool { return !slices.Contains(PostKinds, k) }) {
		return TrainingRules{}, apperr.Validation.WithFields(apperr.FieldError{Field: "required", Reason: fmt.Sprint("kinds of post, each once: ", PostKinds)})
	}
	r := TrainingRules{StreetID: sid, Required: kinds}
	if r.Required == nil {
		r.Required = []string{}
	}
	if err := s.Trainings.PutTrainingRules(ctx, r); err != nil {
		return TrainingRules{}, err
	}
	audit.Changed(ctx, "trainingRules", nil, map[string]any{"required": len(kinds)})
	return r, nil
}

// trained says, for a post of a community, whether its kind requires a
// training, and of volunteers, who attended one that qualifies for it.
func (s *Service) trained(ctx context.Context, post Post, vids []string) (bool, map[string]bool, error) {
	sid, err := s.Directory.StreetOf(ctx, post.CommunityID)
	if err != nil {
		return false, nil, err
	}
	rules, err := s.Trainings.TrainingRules(ctx, sid)
	if err != nil || !slices.Contains(rules.Required, post.Kind) {
		return false, nil, err
	}
	out := map[string]bool{}
	today := chinatime.In(s.Now()).Format(time.DateOnly)
	for _, vid := range vids {
		as, err := s.Trainings.Attended(ctx, vid)
		if err != nil {
			return false, nil, err
		}
		// Only a training held counts.
		out[vid] = slices.ContainsFunc(as, func(a Attendance) bool { return a.Day <= today && slices.Contains(a.PostKinds, post.Kind) })
	}
	return true, out, nil
}

// VolunteerRecord is what a volunteer did (激励与约束): trainings, shifts
// served with hours, calls declined and unanswered, shifts not come to.
type VolunteerRecord struct {
	VolunteerID     string       `json:"volunteerId"`
	Name            string       `json:"name"`
	HomeCommunityID string       `json:"homeCommunityId"`
	Trainings       []Attendance `json:"trainings"`
	Shifts          int          `json:"shifts"`
	Hours           float64      `json:"hours"`
	Declined        int          `json:"declined"`
	Unanswered      int          `json:"unanswered"`
	NoShows         int          `json:"noShows"`
}

// RecordOf is a volunteer's record (staff of their home community, or of
// a community they were lent to; the street's admins).
func (s *Service) RecordOf(ctx context.Context, p auth.Principal, vid string) (VolunteerRecord, error) {
	if !registry.ValidID(vid) {
		return VolunteerRecord{}, ErrVolunteerNotFound
	}
	v, err := s.Store.Volunteer(ctx, vid)
	if err != nil {
		return VolunteerRecord{}, err
	}
	// Their home community's staff, those of a community they were lent
	// to, the street's admins.
	may := auth.RequireCommunity(ctx, p, v.CommunityID, s.Directory) == nil
	if !may && p.Has(manifest.RoleStaff) {
		to, err := s.Loans.LoansTo(ctx, p.StaffCommunityID)
		if err != nil {
			return VolunteerRecord{}, err
		}
		may = slices.ContainsFunc(to, func(l Loan) bool { return l.VolunteerID == v.ID && l.Status == LoanApproved })
	}
	if !may {
		return VolunteerRecord{}, apperr.Forbidden
	}
	return s.record(ctx, v)
}

func (s *Service) record(ctx context.Context, v Volunteer) (VolunteerRecord, error) {
	out := VolunteerRecord{VolunteerID: v.ID, Name: v.Name, HomeCommunityID: v.CommunityID}
	var err error
	if out.Trainings, err = s.Trainings.Attended(ctx, v.ID); err != nil {
		return out, err
	}
	served, err := s.Trainings.Served(ctx, v.ID)
	if err != nil {
		return out, err
	}
	came := map[[2]string]bool{}
	minutes := 0
	for _, c := range served {
		if !came[[2]string{c.PostID, c.ShiftID}] {
			came[[2]string{c.PostID, c.ShiftID}] = true
			out.Shifts++
		}
		minutes += c.Minutes
	}
	out.Hours = hours(minutes)
	asks, err := s.Store.VolunteerAsks(ctx, v.ID, time.Time{})
	if err != nil {
		return out, err
	}
	for _, a := range asks {
		if a.Drill != "" {
			continue
		}
		switch a.Status {
		case AskDeclined:
			out.Declined++
		case AskSilent:
			out.Unanswered++
		}
	}
	theirs, err := s.Store.VolunteerAssignments(ctx, v.ID)
	if err != nil {
		return out, err
	}
	now := s.Now()
	for _, a := range theirs {
		if a.Role == RoleA && a.EndsAt.Before(now) && !came[[2]string{a.PostID, a.ShiftID}] {
			out.NoShows++
		}
	}
	if out.Trainings == nil {
		out.Trainings = []Attendance{}
	}
	return out, nil
}

// RankBy are the orders of the ranking: hours served (the default),
// calls declined, shifts not come to.
var RankBy = []string{"hours", "declined", "noShows"}

// Ranking lists the street's approved volunteers by what they did, most
// first: hours served, or calls declined, or shifts not come to (its
// admins).
func (s *Service) Ranking(ctx context.Context, p auth.Principal, sid, by string) ([]VolunteerRecord, error) {
	if !p.Has(manifest.RoleAdmin) || p.StreetID != sid {
		return nil, apperr.Forbidden
	}
	if by == "" {
		by = "hours"
	}
	if !slices.Contains(RankBy, by) {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "by", Reason: "one of hours, declined, noShows"})
	}
	all, err := s.Directory.StreetCommunities(ctx, sid)
	if err != nil {
		return nil, err
	}
	var vols []Volunteer
	for _, c := range all {
		vs, err := s.Store.Volunteers(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if v.Status == StatusApproved {
				vols = append(vols, v)
			}
		}
	}
	out := make([]VolunteerRecord, len(vols))
	errs := make([]error, len(vols))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, v := range vols {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = s.record(ctx, v)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	key := func(r VolunteerRecord) float64 {
		switch by {
		case "declined":
			return float64(r.Declined + r.Unanswered)
		case "noShows":
			return float64(r.NoShows)
		}
		return r.Hours
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ki, kj := key(out[i]), key(out[j]); ki != kj {
			return ki > kj
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
