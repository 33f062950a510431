package gate

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/registry"
)

// Evening is when a household still out is on the late list whatever its
// time allowed: nobody out of a controlled area stays out the night.
const Evening = 20

// Late is one outing on the staff's late list.
type Late struct {
	Outing
	// Minutes are how late: back after ReturnBy, or still out now.
	Minutes int  `json:"minutes"`
	Out     bool `json:"stillOut"`
}

// LateList is a day's late outings: back late, or not back.
type LateList struct {
	Day     string `json:"day"`
	Outings int    `json:"outings"`
	Late    []Late `json:"late"`
}

// day parses a Beijing day, today by default.
func (s *Service) day(v string) (time.Time, error) {
	now := chinatime.In(s.Now())
	if v == "" {
		return chinatime.Midnight(now), nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, chinatime.Zone)
	if err != nil || d.After(now) || now.Sub(d) > 60*24*time.Hour {
		return time.Time{}, field("day", "a day (YYYY-MM-DD) of the last 60, not after today")
	}
	return d, nil
}

// LateOf lists a day's outings that came back after their time, or have
// not come back and are past it (or past the evening).
func (s *Service) LateOf(ctx context.Context, p auth.Principal, cid, day string) (LateList, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return LateList{}, err
	}
	d, err := s.day(day)
	if err != nil {
		return LateList{}, err
	}
	outs, err := s.Store.Outings(ctx, cid, d.Format(time.DateOnly))
	if err != nil {
		return LateList{}, err
	}
	now := chinatime.In(s.Now())
	evening := d.Add(Evening * time.Hour)
	out := LateList{Day: d.Format(time.DateOnly), Outings: len(outs), Late: []Late{}}
	for _, o := range outs {
		if l, ok := lateness(o, now, evening); ok {
			out.Late = append(out.Late, l)
		}
	}
	sort.Slice(out.Late, func(i, j int) bool { return out.Late[i].At.Before(out.Late[j].At) })
	audit.Counted(ctx, len(out.Late))
	return out, nil
}

// lateness says whether an outing is late as of now: back after its time,
// or out past its time or the evening.
func lateness(o Outing, now, evening time.Time) (Late, bool) {
	due := evening
	if o.ReturnBy != nil && o.ReturnBy.Before(due) {
		due = *o.ReturnBy
	}
	if o.BackAt != nil {
		if o.ReturnBy == nil || !o.BackAt.After(*o.ReturnBy) {
			return Late{}, false
		}
		return Late{Outing: o, Minutes: int(o.BackAt.Sub(*o.ReturnBy).Minutes())}, true
	}
	if !now.After(due) {
		return Late{}, false
	}
	return Late{Outing: o, Minutes: int(now.Sub(due).Minutes()), Out: true}, true
}

// HourCount is a post's counts of one hour.
type HourCount struct {
	PostID string         `json:"postId"`
	Hour   int            `json:"hour"`
	Counts map[string]int `json:"counts"`
}

// Counts is a day's gate counts: by post and hour, and the day's totals,
// refusals by reason.
type Counts struct {
	Day    string         `json:"day"`
	Hours  []HourCount    `json:"hours"`
	Totals map[string]int `json:"totals"`
}

// Total sums the counts of one kind: "out", "in", "visitor" (in and out),
// "courier", "refused" (every reason).
func (c Counts) Total(kind string) int {
	n := 0
	for k, v := range c.Totals {
		if k == kind || strings.HasPrefix(k, kind+"_") {
			n += v
		}
	}
	return n
}

// CountsOf is a community's gate counts of a day (one post's with postID).
func (s *Service) CountsOf(ctx context.Context, p auth.Principal, cid, postID, day string) (Counts, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Counts{}, err
	}
	d, err := s.day(day)
	if err != nil {
		return Counts{}, err
	}
	if postID != "" {
		if !registry.ValidID(postID) {
			return Counts{}, ErrPostNotFound
		}
		post, err := s.Posts.Post(ctx, postID)
		if err != nil {
			return Counts{}, err
		}
		if post.CommunityID != cid {
			return Counts{}, ErrPostNotFound
		}
		if post.Kind != "checkpoint" {
			return Counts{}, ErrNotCheckpoint
		}
	}
	return s.counts(ctx, cid, postID, d.Format(time.DateOnly))
}

func (s *Service) counts(ctx context.Context, cid, postID, day string) (Counts, error) {
	hours, err := s.Store.Counts(ctx, cid, day)
	if err != nil {
		return Counts{}, err
	}
	out := Counts{Day: day, Hours: []HourCount{}, Totals: map[string]int{}}
	for _, h := range hours {
		if postID != "" && h.PostID != postID {
			continue
		}
		out.Hours = append(out.Hours, h)
		for k, v := range h.Counts {
			out.Totals[k] += v
		}
	}
	sort.Slice(out.Hours, func(i, j int) bool {
		if out.Hours[i].Hour != out.Hours[j].Hour {
			return out.Hours[i].Hour < out.Hours[j].Hour
		}
		return out.Hours[i].PostID < out.Hours[j].PostID
	})
	return out, nil
}

// DayFigures are a day's gate figures for the daily report.
type DayFigures struct {
	Out, In, Refused, Visitors, Couriers, Late int
}

// Figures are a community's gate figures of a day as of asOf (the daily
// report's read; no caller check: the report checks its caller).
func (s *Service) Figures(ctx context.Context, cid string, d, asOf time.Time) (DayFigures, error) {
	day := d.Format(time.DateOnly)
	c, err := s.counts(ctx, cid, "", day)
	if err != nil {
		return DayFigures{}, err
	}
	outs, err := s.Store.Outings(ctx, cid, day)
	if err != nil {
		return DayFigures{}, err
	}
	late := 0
	for _, o := range outs {
		if _, ok := lateness(o, asOf, d.Add(Evening*time.Hour)); ok {
			late++
		}
	}
	return DayFigures{Out: c.Totals["out"], In: c.Totals["in"], Refused: c.Total("refused"), Visitors: c.Total("visitor"),
		Couriers: c.Totals["courier"], Late: late}, nil
}

// MarkBack closes a household's outing under way by staff's word (a call,
// a visit: it came home without a scan), as of now.
func (s *Service) MarkBack(ctx context.Context, p auth.Principal, cid, hid string) (Outing, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Outing{}, err
	}
	if _, err := s.householdOf(ctx, cid, hid); err != nil {
		return Outing{}, err
	}
	for range 5 {
		st, err := s.Store.GateState(ctx, hid)
		if err != nil {
			return Outing{}, err
		}
		if st.Open == nil {
			return Outing{}, ErrNotOut
		}
		now := chinatime.In(s.Now()).Truncate(time.Second)
		o := *st.Open
		o.BackAt, o.BackBy = &now, p.UserID
		next := st
		next.Open, next.LastIn = nil, latest(st.LastIn, now)
		ok, err := s.Store.CloseOuting(ctx, st, next, o)
		if err != nil || ok {
			return o, err
		}
	}
	return Outing{}, ErrChanged
}
