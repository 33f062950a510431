package booking

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/registry"
)

// Feed entry kinds: a building's published window, a call-down, and a
// trace's word to one of its households (stay in place, or released).
const (
	FeedWindow = "round_window"
	FeedCall   = "call_down"
	FeedTrace  = "trace"
)

// traceFeedFor is how long after a round ends its traces still speak in
// the feed: results come back the evening after, singles the next day.
const traceFeedFor = 72 * time.Hour

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
func (s *Service) FeedFor(ctx context.Context, communityID, householdID string) ([]FeedEntry, error) {
	buildingID := registry.BuildingOf(householdID)
	rounds, err := s.Store.Rounds(ctx, communityID, feedRounds)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := []FeedEntry{}
	for _, r := range rounds {
		if now.Sub(r.EndsAt) < traceFeedFor {
			entries, err := s.traceFeed(ctx, r, householdID)
			if err != nil {
				return nil, err
			}
			out = append(out, entries...)
		}
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

// traceFeed is what a round's traces tell one household in the app: to
// stay in place for the door team, then that it is released, or to stay
// at home while the office follows up a positive.
func (s *Service) traceFeed(ctx context.Context, r Round, householdID string) ([]FeedEntry, error) {
	traces, err := s.Trace.Traces(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	var out []FeedEntry
	for _, t := range traces {
		i := slices.IndexFunc(t.Households, func(h TraceHousehold) bool { return h.HouseholdID == householdID })
		if i < 0 {
			continue
		}
		h := t.Households[i]
		id := "trace-" + TubeID(r.ID, t.Tube)
		out = append(out, FeedEntry{ID: id, Kind: FeedTrace, Title: "请原地居家，等待上门单采", Urgent: true, At: t.OpenedAt, Drill: r.Drill,
			Body: h.Door + "住户：您家有人所在的混管检测异常。请全家原地居家、不要外出，工作人员将于" +
				chinatime.In(t.DueAt).Format("1月2日 15:04") + "前上门单采复核，请保持电话畅通。"})
		if t.ClosedAt == nil {
			continue
		}
		switch h.Outcome {
		case DoorReleased:
			out = append(out, FeedEntry{ID: id + "-released", Kind: FeedTrace, Title: "单采复核均为阴性，已解除原地居家", At: *t.ClosedAt, Drill: r.Drill,
				Body: h.Door + "住户：您家单采复核结果均为阴性，原地居家要求解除，感谢配合。"})
		case DoorKept:
			out = append(out, FeedEntry{ID: id + "-kept", Kind: FeedTrace, Title: "单采复核均为阴性", At: *t.ClosedAt, Drill: r.Drill,
				Body: h.Door + "住户：您家单采复核结果均为阴性；您家所在区域仍在封控或管控中，请继续按社区要求居家。"})
		case DoorSealed:
			out = append(out, FeedEntry{ID: id + "-sealed", Kind: FeedTrace, Title: "请继续居家，社区将与您联系", Urgent: true, At: *t.ClosedAt, Drill: r.Drill,
				Body: h.Door + "住户：请全家继续居家、不要外出，社区工作人员将尽快与您联系，安排后续事宜。"})
		}
	}
	return out, nil
}
