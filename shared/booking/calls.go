package booking

import (
	"context"
	"sort"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
)

// Call is a building called down to a site (叫楼): its people not yet
// sampled are texted to come now.
type Call struct {
	ID         string    `json:"id"`
	RoundID    string    `json:"roundId"`
	BuildingID string    `json:"buildingId"`
	Building   string    `json:"building"`
	SiteID     string    `json:"siteId"`
	Site       string    `json:"site"`
	At         time.Time `json:"at"`
	By         string    `json:"by"`
	// Households are those with someone left to sample; Texted those of
	// them texted (one text a household; some have no phone).
	Households int `json:"households"`
	Texted     int `json:"texted"`
	// Came counts the building's residents sampled within CameWithin of
	// the call (read, not stored).
	Came int `json:"came"`
}

// CallCooldown keeps a building from being called twice within it: a
// second call is a second text to every phone.
const CallCooldown = 15 * time.Minute

// CameWithin is how long after a call a sample counts as the call's.
const CameWithin = 30 * time.Minute

// ErrCalledRecently refuses a call within CallCooldown of the last.
var ErrCalledRecently = apperr.New(apperr.KindConflict, "CALLED_RECENTLY", "该楼栋刚刚通知过下楼，请稍后再试", "This building was called down a moment ago")

// ErrNoOpenSite refuses a call when no site is open to go to.
var ErrNoOpenSite = apperr.New(apperr.KindConflict, "NO_OPEN_SITE", "没有开放的采样点", "No site is open")

// CallInput names the site to go to (the building's window's by default).
type CallInput struct {
	SiteID string `json:"siteId"`
}

// CallBuilding calls a building's people not yet sampled down to a site:
// each of their households gets one text, written with the call (nothing is
// told twice, nothing lost if the queue is down), once per CallCooldown.
// Staff call any building, a 楼栋长 their own.
func (s *Service) CallBuilding(ctx context.Context, p auth.Principal, roundID, buildingID string, in CallInput) (Call, error) {
	r, f, err := s.fieldRound(ctx, p, roundID)
	if err != nil {
		return Call{}, err
	}
	if !registry.ValidID(buildingID) || registry.BuildingOf(buildingID) != buildingID {
		return Call{}, ErrBuildingNotFound
	}
	if !f.Staff && !f.Buildings[buildingID] {
		return Call{}, ErrNotOnDuty
	}
	ctx = drill.With(ctx, r.Drill)
	households, err := s.Directory.BuildingHouseholds(ctx, buildingID)
	if err != nil {
		return Call{}, err
	}
	if len(households) == 0 || households[0].CommunityID != r.CommunityID {
		return Call{}, ErrBuildingNotFound
	}
	site, err := s.callSite(ctx, r, buildingID, in.SiteID)
	if err != nil {
		return Call{}, err
	}
	residents, err := s.Directory.BuildingResidents(ctx, buildingID)
	if err != nil {
		return Call{}, err
	}
	sampled, err := s.Store.Sampled(ctx, r.ID, buildingID)
	if err != nil {
		return Call{}, err
	}
	reasons, err := s.Store.Reasons(ctx, r.ID, buildingID)
	if err != nil {
		return Call{}, err
	}
	contact := map[string]string{}
	for _, h := range households {
		contact[h.ID] = h.ContactPhone
	}
	now := s.Now()
	c := Call{ID: registry.NewID("call"), RoundID: r.ID, BuildingID: buildingID, Building: households[0].BuildingName, SiteID: site.ID,
		Site: site.Name, At: chinatime.In(now.Truncate(time.Second)), By: p.UserID}
	msg, err := sms.BuildingCalled(c.Building, site.Name)
	if err != nil {
		return Call{}, err
	}
	// One text a household, as a 楼栋长's knock is one a door: to the
	// first member left to sample who has a phone, else the household's.
	told := map[string]bool{}
	phoneOf := map[string]string{}
	var order []string
	for _, res := range residents {
		if _, done := sampled[res.ID]; done || reasons[res.ID] != "" {
			continue // sampled, at their door, away or refused: not called
		}
		if !told[res.HouseholdID] {
			told[res.HouseholdID] = true
			order = append(order, res.HouseholdID)
		}
		if phoneOf[res.HouseholdID] == "" {
			phoneOf[res.HouseholdID] = res.Phone
		}
	}
	phones := map[string]bool{}
	var texts []dispatch.Text
	for _, h := range order {
		phone := phoneOf[h]
		if phone == "" {
			phone = contact[h]
		}
		if phone == "" || phones[phone] {
			continue
		}
		phones[phone] = true
		texts = append(texts, dispatch.TextOf("call:"+c.ID+":"+phone, phone, msg))
	}
	c.Households, c.Texted = len(told), len(texts)
	pending := dispatch.PendingTexts(ctx, now, r.CommunityID, texts)
	if err := s.Work.SaveCall(ctx, c, now.Add(-CallCooldown), pending); err != nil {
		return Call{}, err
	}
	s.Outbox.Flush(ctx, pending)
	return c, nil
}

// callSite is the site a call sends people to: the one asked for, else
// the building's window's while it is open, else the first open one.
func (s *Service) callSite(ctx context.Context, r Round, buildingID, siteID string) (Site, error) {
	sites, err := s.Sites.Sites(ctx, r.ID)
	if err != nil {
		return Site{}, err
	}
	sort.Slice(sites, func(i, j int) bool { return sites[i].ID < sites[j].ID })
	want := siteID
	if want == "" {
		w, found, err := s.window(ctx, r.ID, buildingID)
		if err != nil {
			return Site{}, err
		}
		if found {
			want = w.SiteID
		}
	}
	for _, st := range sites {
		if st.Open() && st.ID == want {
			return st, nil
		}
	}
	if siteID != "" {
		return Site{}, ErrSiteNotFound
	}
	for _, st := range sites {
		if st.Open() {
			return st, nil
		}
	}
	return Site{}, ErrNoOpenSite
}

// Calls lists a round's calls, each with how many came within CameWithin.
func (s *Service) calls(ctx context.Context, roundID string, sampled map[string]time.Time) ([]Call, error) {
	calls, err := s.Work.Calls(ctx, roundID)
	if err != nil {
		return nil, err
	}
	for i, c := range calls {
		// A sample's time is kept to the second: one in the call's own
		// second came after it.
		from := c.At.Truncate(time.Second)
		for id, at := range sampled {
			if registry.BuildingOf(id) == c.BuildingID && !at.Before(from) && at.Before(from.Add(CameWithin)) {
				calls[i].Came++
			}
		}
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].At.Before(calls[j].At) })
	return orEmpty(calls), nil
}
