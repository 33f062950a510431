package volunteers

import (
	"context"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
)

// DutyAhead is how far ahead the duty board looks: a shift starting in
// that time is one the office still has time to fill.
const DutyAhead = 2 * time.Hour

// Duty is the office's board of the shifts under way or coming soon: who
// is at their post, who is not yet, and what is short.
type Duty struct {
	At     time.Time   `json:"at"`
	Shifts []DutyShift `json:"shifts"`
	// OnDuty counts the volunteers checked in now; Unfilled the shifts
	// with fewer A roles assigned than they need.
	OnDuty   int `json:"onDuty"`
	Unfilled int `json:"unfilled"`
}

// DutyShift is one shift of a post on the board.
type DutyShift struct {
	PostID   string    `json:"postId"`
	Post     string    `json:"post"`
	Kind     string    `json:"kind"`
	Place    string    `json:"place"`
	ShiftID  string    `json:"shiftId"`
	StartsAt time.Time `json:"startsAt"`
	EndsAt   time.Time `json:"endsAt"`
	Need     int       `json:"need"`
	// A and B are the volunteers assigned in each role.
	A int `json:"a"`
	B int `json:"b"`
	// Here are those checked in; Absent the A roles not checked in once
	// the shift has started.
	Here     []string `json:"here"`
	Absent   []string `json:"absent"`
	Unfilled bool     `json:"unfilled"`
	UnderWay bool     `json:"underWay"`
}

// Duty reads the board of community cid now, for its staff: each shift
// under way or starting within DutyAhead, earliest first.
func (s *Service) Duty(ctx context.Context, p auth.Principal, cid string) (Duty, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Directory); err != nil {
		return Duty{}, err
	}
	now := s.Now()
	posts, err := s.Store.Posts(ctx, cid)
	if err != nil {
		return Duty{}, err
	}
	type due struct {
		post  Post
		shift Shift
	}
	var dues []due
	for _, post := range posts {
		for _, sh := range post.Shifts {
			if sh.EndsAt.After(now) && sh.StartsAt.Before(now.Add(DutyAhead)) {
				dues = append(dues, due{post, sh})
			}
		}
	}
	// The assignments of each post on the board, read side by side; then
	// the open check-ins of everyone assigned, in one batch.
	postIDs := map[string]bool{}
	for _, d := range dues {
		postIDs[d.post.ID] = true
	}
	lists := make(map[string]*[]Assignment, len(postIDs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for id := range postIDs {
		list := new([]Assignment)
		lists[id] = list
		g.Go(func() error {
			var err error
			*list, err = s.Store.Assignments(gctx, id)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return Duty{}, err
	}
	assigned := map[string][]Assignment{}
	var vids []string
	for id, list := range lists {
		assigned[id] = *list
		for _, a := range *list {
			vids = append(vids, a.VolunteerID)
		}
	}
	open, err := s.Store.OpenCheckins(ctx, vids)
	if err != nil {
		return Duty{}, err
	}
	serving := map[[3]string]bool{} // post, shift, volunteer
	for _, c := range open {
		serving[[3]string{c.PostID, c.ShiftID, c.VolunteerID}] = true
	}
	out := Duty{At: chinatime.In(now), Shifts: []DutyShift{}}
	for _, d := range dues {
		row := DutyShift{PostID: d.post.ID, Post: d.post.Name, Kind: d.post.Kind, Place: d.post.Place, ShiftID: d.shift.ID,
			StartsAt: chinatime.In(d.shift.StartsAt), EndsAt: chinatime.In(d.shift.EndsAt), Need: d.shift.Need,
			Here: []string{}, Absent: []string{}, UnderWay: !d.shift.StartsAt.After(now)}
		for _, a := range assigned[d.post.ID] {
			if a.ShiftID != d.shift.ID {
				continue
			}
			here := serving[[3]string{d.post.ID, d.shift.ID, a.VolunteerID}]
			switch {
			case here:
				row.Here = append(row.Here, a.Name)
			case a.Role == RoleA && row.UnderWay:
				row.Absent = append(row.Absent, a.Name)
			}
			if a.Role == RoleA {
				row.A++
			} else {
				row.B++
			}
		}
		row.Unfilled = row.A < row.Need
		if row.Unfilled {
			out.Unfilled++
		}
		out.OnDuty += len(row.Here)
		out.Shifts = append(out.Shifts, row)
	}
	sort.SliceStable(out.Shifts, func(i, j int) bool {
		if !out.Shifts[i].StartsAt.Equal(out.Shifts[j].StartsAt) {
			return out.Shifts[i].StartsAt.Before(out.Shifts[j].StartsAt)
		}
		return out.Shifts[i].Post < out.Shifts[j].Post
	})
	return out, nil
}
