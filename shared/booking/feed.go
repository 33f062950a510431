package booking

import (
	"context"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/chinatime"
)

// Feed entry kinds: a building's published window, and a call-down.
const (
	FeedWindow = "round_window"
	FeedCall   = "call_down"
)

// FeedEntry is what a round tells a household's app: its building's
// window once the plan is published, and each call of its building down.
type FeedEntry struct {
	ID     string
	Kind   string
	Title  string
	Body   string
	At     time.Time
	Urgent bool
	Drill  string
}

// feedRounds is how many of a community's latest rounds the feed looks at.
const feedRounds = 5

// FeedFor lists the entries of a community's rounds not yet ended for one
// building, newest first, drills' marked (shown only to those who see
// drills). The window is the current one (a closure's new plan shows at
// once).
func (s *Service) FeedFor(ctx context.Context, communityID, buildingID string) ([]FeedEntry, error) {
	rounds, err := s.Store.Rounds(ctx, communityID, feedRounds)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := []FeedEntry{}
	for _, r := range rounds {
		if !r.EndsAt.After(now) {
			continue
		}
		// Calls before the window: a call in the second the plan was
		// published is the newer news.
		calls, err := s.Work.Calls(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range calls {
			if c.BuildingID != buildingID {
				continue
			}
			out = append(out, FeedEntry{ID: c.ID, Kind: FeedCall, Title: "请现在下楼核酸",
				Body: c.Building + "居民请现在下楼到" + c.Site + "采样点做核酸，请戴好口罩、保持间距，带好手机或预约码。",
				At:   c.At, Urgent: true, Drill: r.Drill})
		}
		if r.PublishedAt != nil {
			w, found, err := s.window(ctx, r.ID, buildingID)
			if err != nil {
				return nil, err
			}
			if found {
				site := s.siteName(ctx, r.ID, w.SiteID)
				out = append(out, FeedEntry{ID: "window-" + r.ID + "-" + buildingID, Kind: FeedWindow, Title: "本楼核酸时间",
					Body: r.Name + "：" + w.Building + "居民请于" + chinatime.In(w.StartsAt).Format("1月2日 15:04") + "至" + chinatime.In(w.EndsAt).Format("15:04") +
						"到" + site + "采样点做核酸，轮到本楼时楼栋长会叫楼；已预约的按预约时间前往。",
					At: *r.PublishedAt, Drill: r.Drill})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out, nil
}
