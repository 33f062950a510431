package daily

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/screening"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/volunteers"
	"github.com/fangxian/fangxian/shared/watch"
)

// window is a Beijing day: [from, to), and the moment its state is read
// at (the day's end, or now for today).
type window struct {
	day      string
	from, to time.Time
	asOf     time.Time
}

func (w window) holds(t time.Time) bool { return !t.Before(w.from) && t.Before(w.to) }

// gather reads a community's figures of day d. The parts read side by
// side: each is a Query or a few.
func (s *Service) gather(ctx context.Context, p auth.Principal, cid string, d time.Time) (Report, error) {
	now := chinatime.In(s.Now())
	w := window{day: d.Format(time.DateOnly), from: d, to: d.AddDate(0, 0, 1), asOf: d.AddDate(0, 0, 1)}
	if now.Before(w.asOf) {
		w.asOf = now
	}
	parts := []func(context.Context, map[string]int) error{
		func(ctx context.Context, f map[string]int) error { return s.residents(ctx, cid, f) },
		func(ctx context.Context, f map[string]int) error { return s.sampling(ctx, p, cid, w, f) },
		func(ctx context.Context, f map[string]int) error { return s.watches(ctx, cid, w, f) },
		func(ctx context.Context, f map[string]int) error { return s.transfers(ctx, cid, w, f) },
		func(ctx context.Context, f map[string]int) error { return s.screening(ctx, cid, w, f) },
		func(ctx context.Context, f map[string]int) error { return s.fevers(ctx, cid, w, f) },
		func(ctx context.Context, f map[string]int) error { return s.help(ctx, cid, w, f) },
		func(ctx context.Context, f map[string]int) error { return s.orders(ctx, cid, w, f) },
		func(ctx context.Context, f map[string]int) error { return s.volunteers(ctx, cid, w, f) },
		func(ctx context.Context, f map[string]int) error { return s.reserves(ctx, cid, f) },
		func(ctx context.Context, f map[string]int) error { return s.sms(ctx, cid, w, f) },
		func(ctx context.Context, f map[string]int) error { return s.gates(ctx, cid, w, f) },
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	figures := map[string]int{}
	for _, f := range Figures {
		figures[f.Name] = 0
	}
	errs := make([]error, len(parts))
	for i, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := map[string]int{}
			if errs[i] = part(ctx, mine); errs[i] != nil {
				return
			}
			mu.Lock()
			for k, v := range mine {
				figures[k] = v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Report{}, err
	}
	c, err := s.Store.Community(ctx, cid)
	if err != nil {
		return Report{}, err
	}
	return Report{CommunityID: cid, Name: c.Name, Day: w.day, Figures: figures, At: now}, nil
}

func (s *Service) residents(ctx context.Context, cid string, f map[string]int) error {
	cursor := ""
	for {
		page, next, err := s.Store.Buildings(ctx, cid, cursor, 200)
		if err != nil {
			return err
		}
		for _, b := range page {
			f["residents"] += b.ResidentCount
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// sampling sums the reviews of the real rounds that began that day.
func (s *Service) sampling(ctx context.Context, p auth.Principal, cid string, w window, f map[string]int) error {
	rounds, err := s.Rounds.Rounds(ctx, p, cid)
	if err != nil {
		return err
	}
	for _, r := range rounds {
		if r.Drill != "" || !w.holds(r.StartsAt) {
			continue
		}
		rv, err := s.Rounds.Review(ctx, p, r.ID)
		if err != nil {
			return err
		}
		f["sampled"] += rv.Total.Sampled
		for reason, n := range rv.Unsampled {
			f["not_sampled"] += n
			f["unsampled_"+reason] += n
		}
		f["results_pending"] += rv.Total.Pending
		f["pooled_positive"] += rv.Total.PooledPositive
	}
	return nil
}

func (s *Service) watches(ctx context.Context, cid string, w window, f map[string]int) error {
	all, err := s.Store.Watches(ctx, cid)
	if err != nil {
		return err
	}
	for _, x := range all {
		n := len(x.ResidentIDs)
		if w.holds(x.CreatedAt) {
			f["watch_in"] += n
		}
		if x.EndedAt != nil && w.holds(*x.EndedAt) {
			f["watch_out"] += n
		}
		if !x.CreatedAt.After(w.asOf) && (x.EndedAt == nil || x.EndedAt.After(w.asOf)) {
			f["under_watch"] += n
		}
	}
	return nil
}

func (s *Service) transfers(ctx context.Context, cid string, w window, f map[string]int) error {
	all, err := s.Store.Transfers(ctx, cid)
	if err != nil {
		return err
	}
	for _, t := range all {
		if t.Leg != watch.LegOut || !w.holds(t.At) {
			continue
		}
		for _, x := range t.People {
			if x.Status != watch.TransferExempted {
				f["transferred"]++
			}
		}
	}
	return nil
}

func (s *Service) screening(ctx context.Context, cid string, w window, f map[string]int) error {
	all, err := s.Store.CommunityTasks(ctx, cid, "")
	if err != nil {
		return err
	}
	for _, t := range all {
		done := t.Status == screening.StatusDone && t.VerifiedAt != nil
		if done && w.holds(*t.VerifiedAt) {
			f["screening_done"]++
		}
		doneBy := done && t.VerifiedAt.Before(w.asOf)
		if !doneBy && t.Deadline.Before(w.asOf) {
			f["screening_overdue"]++
		}
	}
	return nil
}

// fevers counts people, once each: the day's readings and the readings
// staff took at watched doors.
func (s *Service) fevers(ctx context.Context, cid string, w window, f map[string]int) error {
	readings, err := s.Store.Readings(ctx, cid, w.day)
	if err != nil {
		return err
	}
	checks, err := s.Store.Checks(ctx, cid, w.day)
	if err != nil {
		return err
	}
	hot := map[string]bool{}
	for rid, r := range readings {
		if r.Peak >= notices.FeverCelsius {
			hot[rid] = true
		}
	}
	for _, c := range checks {
		if c.Celsius >= notices.FeverCelsius {
			hot[c.ResidentID] = true
		}
	}
	f["fevers"] = len(hot)
	return nil
}

func (s *Service) help(ctx context.Context, cid string, w window, f map[string]int) error {
	all, err := s.Store.HelpCreated(ctx, cid, w.from, w.to)
	if err != nil {
		return err
	}
	var minutes, claimed int
	for _, r := range all {
		f["help_requests"]++
		f["help_"+r.Kind]++
		switch {
		case r.ClaimedAt != nil:
			claimed++
			minutes += int(r.ClaimedAt.Sub(r.CreatedAt).Round(time.Minute) / time.Minute)
			if r.ClaimedAt.After(r.DeadlineAt) {
				f["help_late"]++
			}
		case r.Status != help.StatusClosed && r.DeadlineAt.Before(w.asOf):
			f["help_late"]++
		}
	}
	if claimed > 0 {
		f["help_response_minutes"] = (minutes + claimed/2) / claimed
	}
	return nil
}

// orders counts the orders whose delivery fell on the day: delivered, or
// confirmed by the household (a hand-over may skip delivered).
func (s *Service) orders(ctx context.Context, cid string, w window, f map[string]int) error {
	for _, status := range []string{supplies.StatusDelivered, supplies.StatusConfirmed} {
		all, err := s.Store.OrdersByStatus(ctx, cid, status, "")
		if err != nil {
			return err
		}
		for _, o := range all {
			var at *time.Time
			for _, c := range o.History {
				if c.Status == supplies.StatusDelivered || (c.Status == supplies.StatusConfirmed && at == nil) {
					at = &c.At
				}
			}
			if at != nil && w.holds(*at) {
				f["orders_delivered"]++
			}
		}
	}
	return nil
}

// volunteers counts who checked in that day, and the A-role shifts of the
// day begun (by the day's end, or now) with nobody of theirs checked in.
func (s *Service) volunteers(ctx context.Context, cid string, w window, f map[string]int) error {
	served, err := s.Store.Hours(ctx, cid, w.day[:7])
	if err != nil {
		return err
	}
	posts, err := s.Store.Posts(ctx, cid)
	if err != nil {
		return err
	}
	var due []volunteers.Assignment
	for _, p := range posts {
		as, err := s.Store.Assignments(ctx, p.ID)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.Role == volunteers.RoleA && w.holds(a.StartsAt) && a.StartsAt.Before(w.asOf) {
				due = append(due, a)
			}
		}
	}
	ids := map[string]bool{}
	for _, a := range due {
		ids[a.VolunteerID] = true
	}
	var vids []string
	for id := range ids {
		vids = append(vids, id)
	}
	open, err := s.Store.OpenCheckins(ctx, vids)
	if err != nil {
		return err
	}
	came := map[[3]string]bool{}
	onDuty := map[string]bool{}
	for _, c := range append(served, open...) {
		if c.CommunityID == cid && w.holds(c.In) {
			onDuty[c.VolunteerID] = true
			came[[3]string{c.VolunteerID, c.PostID, c.ShiftID}] = true
		}
	}
	for _, a := range due {
		if !came[[3]string{a.VolunteerID, a.PostID, a.ShiftID}] {
			f["volunteer_no_shows"]++
		}
	}
	f["volunteers_on_duty"] = len(onDuty)
	return nil
}

func (s *Service) reserves(ctx context.Context, cid string, f map[string]int) error {
	short, err := s.Reserves.Short(ctx, cid)
	f["reserves_below"] = len(short)
	return err
}

func (s *Service) sms(ctx context.Context, cid string, w window, f map[string]int) error {
	messages, parts, err := s.Store.SMSSpend(ctx, cid, w.day)
	f["sms_messages"], f["sms_parts"] = messages, parts
	return err
}

func (s *Service) gates(ctx context.Context, cid string, w window, f map[string]int) error {
	g, err := s.Gates.Figures(ctx, cid, w.from, w.asOf)
	f["gate_out"], f["gate_in"], f["gate_refused"] = g.Out, g.In, g.Refused
	f["gate_visitors"], f["gate_couriers"], f["gate_late"] = g.Visitors, g.Couriers, g.Late
	return err
}
