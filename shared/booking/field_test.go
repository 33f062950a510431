package booking_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/volunteers"
)

// volunteerOn makes an approved volunteer on shift now at a post of kind,
// at building or site, and answers their principal.
func (f *fixture) volunteerOn(t *testing.T, n int, kind, buildingID, siteID string) auth.Principal {
	t.Helper()
	ctx := context.Background()
	vid := fmt.Sprintf("v-%s-%d", kind, n)
	if err := f.st.CreateVolunteer(ctx, volunteers.Volunteer{ID: vid, CommunityID: "c1", Name: fmt.Sprintf("志愿者%d", n),
		Phone: fmt.Sprintf("1360000%04d", n), Category: "individual", Skills: []string{}, Availability: []volunteers.Window{},
		Status: volunteers.StatusApproved, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	vs := f.root.Volunteers()
	now := time.Now()
	post, err := vs.CreatePost(ctx, f.staff, "c1", volunteers.PostInput{Kind: kind, Name: "岗位" + fmt.Sprint(n), BuildingID: buildingID, SiteID: siteID,
		Shifts: []volunteers.ShiftInput{{StartsAt: now.Add(-10 * time.Minute), EndsAt: now.Add(4 * time.Hour), Need: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vs.Assign(ctx, f.staff, post.ID, volunteers.AssignInput{VolunteerID: vid, ShiftID: "s1", Role: volunteers.RoleA}); err != nil {
		t.Fatal(err)
	}
	return auth.Principal{UserID: vid, Role: manifest.RoleVolunteer, VolunteerID: vid, VolunteerCommunityID: "c1"}.Normalized()
}

// TestTheRoundRunsToTheLastDoor: capacity short is said with its remedy,
// a site grows under way without losing a booking, a building is called
// down once, a 楼栋长 sees their building and no phone, a site volunteer
// checks in at their site only, the bed-bound are on the door list, and
// the review holds the night's note.
func TestTheRoundRunsToTheLastDoor(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()

	// 24 residents, one lane of 2 a slot for four or five slots: short.
	plan, err := f.svc.PlanRound(ctx, f.staff, f.round.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	c := plan.Capacity
	if c == nil || c.Demand != 2*households || c.ShortBy != c.ToPlace-c.PlacesLeft || c.ShortBy <= 0 || c.Coverage >= 1 || len(c.Remedies) < 2 {
		t.Fatalf("capacity %+v", c)
	}
	east := c.Remedies[0]
	if east.SiteID != booking.SiteOf(f.slots[0].ID) || !strings.Contains(east.Text, "东门") {
		t.Fatalf("remedy %+v", east)
	}

	// A household books the first slot full; the site then shrinks: refused
	// without confirm, and with it the booked keep their places.
	if _, err := f.svc.Book(ctx, f.staff, f.round.ID, f.slots[0].ID, f.members[0], ""); err != nil {
		t.Fatal(err)
	}
	one := 1
	if _, err := f.svc.PatchSite(ctx, f.staff, east.SiteID, booking.SitePatch{PerLanePerSlot: &one}, false); code(err) != "WOULD_STRAND_BOOKINGS" {
		t.Fatalf("shrinking under bookings: %v", err)
	}
	small, err := f.svc.PatchSite(ctx, f.staff, east.SiteID, booking.SitePatch{PerLanePerSlot: &one}, true)
	if err != nil || small.KeptOver != 1 || small.Slots[0].Capacity != 2 || small.Slots[0].Booked != 2 {
		t.Fatalf("shrunk with confirm: %+v %v", small, err)
	}
	// The remedy's lanes, taken, cover the round; nobody booked is lost.
	two := 2
	grown, err := f.svc.PatchSite(ctx, f.staff, east.SiteID, booking.SitePatch{Lanes: &east.Lanes, PerLanePerSlot: &two}, false)
	if err != nil || grown.Capacity.ShortBy != 0 || grown.Capacity.Coverage != 1 {
		t.Fatalf("grown by the remedy: %+v %v", grown.Capacity, err)
	}
	if booked := f.booked(t); booked[f.slots[0].ID] != 2 {
		t.Fatalf("the first slot's bookings after resizing: %v", booked)
	}
	for _, sl := range grown.Slots {
		if sl.Capacity != east.Lanes*2 || sl.Booked > sl.Capacity {
			t.Fatalf("slot after growing %+v (lanes %d)", sl, east.Lanes)
		}
	}

	// A second site, a 楼栋长 of building 1, a volunteer at the east site.
	west, _, err := f.svc.AddSite(ctx, f.staff, f.round.ID, booking.SiteInput{Name: "西门", Lanes: 1, PerLanePerSlot: 5})
	if err != nil {
		t.Fatal(err)
	}
	b1, b2 := registry.BuildingOf(f.members[0][0]), registry.BuildingOf(f.members[1][0])
	lead := f.volunteerOn(t, 1, booking.DutyBuildingLead, b1, "")
	lane := f.volunteerOn(t, 2, "site_assistant", "", east.SiteID)

	// The building is sealed and told: the 楼栋长 sees who has not
	// acknowledged and who has no temperature today; a lane does not.
	ns := f.root.Notices()
	if _, err := ns.SetZones(ctx, f.staff, "c1", notices.Buildings(b1), notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Create(ctx, f.staff, "c1", notices.NoticeInput{Title: "封控通知", Body: "请居家", Audience: notices.Audience{BuildingIDs: []string{b1}}, Channels: []string{"app"}}); err != nil {
		t.Fatal(err)
	}
	feed, err := ns.Feed(ctx, f.residents[0])
	if err != nil || len(feed) == 0 {
		t.Fatalf("feed %v %v", feed, err)
	}
	if _, err := ns.Acknowledge(ctx, f.residents[0], feed[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Report(ctx, f.residents[0], f.members[0][0], 36.6, nil); err != nil {
		t.Fatal(err)
	}
	view, err := f.svc.BuildingView(ctx, lead, f.round.ID, b1, "", "")
	if err != nil || view.Residents != 8 || len(view.Doors) != 4 {
		t.Fatalf("the 楼栋长's building: %+v %v", view, err)
	}
	unacked, noTemp := 0, 0
	for _, d := range view.Doors {
		if d.HouseholdID == f.residents[0].HouseholdID != (len(d.Unacknowledged) == 0) {
			t.Errorf("door %s (acknowledged: %v): unacknowledged %v", d.HouseholdID, d.HouseholdID == f.residents[0].HouseholdID, d.Unacknowledged)
		}
		unacked += len(d.Unacknowledged)
		for _, m := range d.Members {
			if m.NoTemperature == (m.ResidentID == f.members[0][0]) {
				t.Errorf("%s: no temperature %v", m.ResidentID, m.NoTemperature)
			}
			if m.NoTemperature {
				noTemp++
			}
		}
	}
	if unacked != 3 || noTemp != 7 {
		t.Fatalf("the 楼栋长 follows %d unacknowledged households and %d without a temperature, want 3 and 7", unacked, noTemp)
	}
	if laneView, err := f.svc.BuildingView(ctx, lane, f.round.ID, b1, "", ""); err != nil || strings.Contains(fmt.Sprint(laneView), "封控通知") {
		t.Fatalf("a lane's view of the building: %+v %v", laneView, err)
	}
	if js, _ := json.Marshal(view); strings.Contains(string(js), "137") || strings.Contains(string(js), "phone") || strings.Contains(string(js), "flags") {
		t.Fatalf("a volunteer's view holds a phone or a flag: %s", js)
	}
	if _, err := f.svc.BuildingView(ctx, lead, f.round.ID, b2, "", ""); code(err) != "NOT_ON_DUTY" {
		t.Fatalf("a 楼栋长 reading another building: %v", err)
	}

	// The lane's picker: building → unit → room; then the walk-in.
	door := view.Doors[1]
	picked, err := f.svc.BuildingView(ctx, lane, f.round.ID, b1, door.Unit, door.Room)
	if err != nil || len(picked.Doors) != 1 || len(picked.Doors[0].Members) != 2 {
		t.Fatalf("picker: %+v %v", picked, err)
	}
	walkIn := picked.Doors[0].Members[0].ResidentID
	if _, err := f.svc.CheckIn(ctx, lane, f.round.ID, booking.CheckInInput{ResidentID: walkIn, SiteID: west.ID}); code(err) != "NOT_YOUR_SITE" {
		t.Fatalf("a site volunteer at another site: %v", err)
	}
	if _, err := f.svc.CheckIn(ctx, lane, f.round.ID, booking.CheckInInput{ResidentID: walkIn}); code(err) != "VALIDATION_FAILED" {
		t.Fatalf("a site volunteer giving no site: %v", err)
	}
	if _, err := f.svc.CheckIn(ctx, lead, f.round.ID, booking.CheckInInput{ResidentID: walkIn, SiteID: east.SiteID}); code(err) != "NOT_YOUR_SITE" {
		t.Fatalf("a 楼栋长 checking in at a site: %v", err)
	}
	if _, err := f.svc.CheckIn(ctx, lane, f.round.ID, booking.CheckInInput{ResidentID: walkIn, Lane: 2}); code(err) != "VALIDATION_FAILED" {
		t.Fatalf("a lane without its site: %v", err)
	}
	in, err := f.svc.CheckIn(ctx, lane, f.round.ID, booking.CheckInInput{ResidentID: walkIn, SiteID: east.SiteID, Lane: 2})
	if err != nil || !in.WalkIn || in.SiteID != east.SiteID {
		t.Fatalf("walk-in at the lane: %+v %v", in, err)
	}

	// Call-down: building 1's unsampled phones are texted once; a second
	// call within the cooldown is refused, and a 楼栋长 cannot call another.
	call, err := f.svc.CallBuilding(ctx, lead, f.round.ID, b1, booking.CallInput{})
	if err != nil || call.Households != 4 || call.Texted != 4 {
		t.Fatalf("call-down: %+v %v", call, err)
	}
	if _, err := f.svc.CallBuilding(ctx, f.staff, f.round.ID, b1, booking.CallInput{}); code(err) != "CALLED_RECENTLY" {
		t.Fatalf("a second call at once: %v", err)
	}
	if _, err := f.svc.CallBuilding(ctx, lead, f.round.ID, b2, booking.CallInput{}); code(err) != "NOT_ON_DUTY" {
		t.Fatalf("a 楼栋长 calling another building: %v", err)
	}
	f.queue.Drain(ctx, f.root.Consumer().Handle)
	called := 0
	for h := 0; h < households; h++ {
		called += len(f.texts(fmt.Sprintf("137%08d", h), "building_called"))
	}
	if called != 4 {
		t.Fatalf("%d call-down texts, want one for each of building 1's 4 phones", called)
	}

	// The bed-bound go on the door list, and the door team samples them.
	if err := f.svc.SetReason(ctx, f.staff, f.round.ID, f.members[2][1], booking.ReasonBedridden); err != nil {
		t.Fatal(err)
	}
	team := f.volunteerOn(t, 3, booking.DutyDoorSampling, "", "")
	list, err := f.svc.DoorList(ctx, team, f.round.ID)
	if err != nil || len(list) != 1 || list[0].ResidentID != f.members[2][1] || list[0].SampledAt != nil {
		t.Fatalf("door list %+v %v", list, err)
	}
	if _, err := f.svc.CheckIn(ctx, team, f.round.ID, booking.CheckInInput{ResidentID: f.members[2][1], AtDoor: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.DoorList(ctx, lane, f.round.ID); code(err) != "NOT_ON_DUTY" {
		t.Fatalf("the door list read by a lane volunteer: %v", err)
	}

	// The review: the lane's sample at its site, the call, the note.
	if _, err := f.svc.SaveNote(ctx, f.staff, f.round.ID, "东门加一个采样台\n西门早开半小时"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SaveNote(ctx, f.staff, f.round.ID, "bad\u202etext"); code(err) != "VALIDATION_FAILED" {
		t.Fatalf("a note with a bidi override: %v", err)
	}
	rv, err := f.svc.Review(ctx, f.staff, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	var eastReview booking.SiteReview
	for _, s := range rv.Sites {
		if s.SiteID == east.SiteID {
			eastReview = s
		}
	}
	if eastReview.Sampled != 1 || eastReview.WalkIns != 1 || eastReview.PeakPerHour != 1 || len(rv.Calls) != 1 || rv.Calls[0].Came != 1 ||
		rv.DoorDone != 1 || rv.Note == nil || !strings.HasPrefix(rv.Note.Text, "东门加一个采样台") {
		t.Fatalf("review %+v", rv)
	}
	if len(eastReview.ByLane) != 1 || eastReview.ByLane[0] != (booking.LaneCount{Lane: 2, Sampled: 1, PeakPerHour: 1}) {
		t.Fatalf("the review by lane: %+v", eastReview.ByLane)
	}
	if _, err := f.svc.Review(ctx, lead, f.round.ID); err == nil {
		t.Fatal("a 楼栋长 read the review")
	}
	// The office's pace by site: the east lane's walk-in counts at east,
	// the door sample at no site.
	prog, err := f.svc.Progress(ctx, f.staff, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	bySite := map[string]booking.SitePace{}
	atSites := 0
	for _, sp := range prog.Sites {
		bySite[sp.SiteID] = sp
		atSites += sp.Sampled
	}
	if e := bySite[east.SiteID]; e.Sampled != 1 || e.LastAt == nil || e.Site == "" || bySite[west.ID].Sampled != 0 || bySite[west.ID].LastAt != nil {
		t.Fatalf("pace by site %+v", prog.Sites)
	}
	if atSites != prog.Total.Sampled-1 {
		t.Fatalf("%d samples at sites, want all %d but the door's", atSites, prog.Total.Sampled)
	}
}

// TestASiteGrowsWhileItIsBooked: bookings taken between the read of a
// site's slots and their resize do not stop the site from growing (at an
// opening's rush they come every few milliseconds), and are kept.
func TestASiteGrowsWhileItIsBooked(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	stale, err := f.st.Slots(ctx, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Book(ctx, f.staff, f.round.ID, f.slots[0].ID, f.members[0], ""); err != nil {
		t.Fatal(err)
	}
	site := booking.Site{ID: booking.SiteOf(f.slots[0].ID), RoundID: f.round.ID, Name: "东门", Lanes: 3, PerLanePerSlot: 2}
	if err := f.st.ReshapeSite(ctx, site, resized(stale, site)); err != nil {
		t.Fatalf("growing over a booking taken meanwhile: %v", err)
	}
	after := f.booked(t)
	slots, err := f.svc.Slots(ctx, f.staff, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, sl := range slots {
		if sl.Capacity != 6 || sl.Booked != after[sl.ID] {
			t.Fatalf("slot after growing %+v", sl)
		}
	}
	if after[f.slots[0].ID] != 2 {
		t.Fatalf("the booking taken meanwhile: %v", after)
	}
	// A shrink below what was booked meanwhile is read again, not lost.
	site.Lanes, site.PerLanePerSlot = 1, 1
	if err := f.st.ReshapeSite(ctx, site, resized(stale, site)); err != booking.ErrConflict {
		t.Fatalf("shrinking under a booking the read did not see: %v", err)
	}
}

// resized is what resizing site changes of the slots read: each takes the
// site's new size, or what was booked when more.
func resized(read []booking.Slot, site booking.Site) []booking.SlotChange {
	var out []booking.SlotChange
	for _, sl := range read {
		if booking.SiteOf(sl.ID) == site.ID {
			out = append(out, booking.SlotChange{Was: sl, Capacity: max(site.Lanes*site.PerLanePerSlot, sl.Booked), Open: true})
		}
	}
	return out
}

// TestFullSlotsAreRefusedWithoutAWrite: once a transaction found a slot
// full, the instance refuses it without one for PlacesFor, naming the
// slots with room nearest it; a place a cancellation frees is bookable
// again within PlacesFor.
func TestFullSlotsAreRefusedWithoutAWrite(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	first := f.slots[0].ID
	if _, err := f.svc.Book(ctx, f.staff, f.round.ID, first, f.members[0], ""); err != nil {
		t.Fatal(err)
	}
	before := f.db.Calls.Load()
	_, err := f.svc.Book(ctx, f.staff, f.round.ID, first, f.members[1][:1], "")
	if code(err) != "SLOT_FULL" || f.db.Calls.Load()-before != 1 {
		t.Fatalf("the first refusal: %v after %d transactions, want SLOT_FULL after 1", err, f.db.Calls.Load()-before)
	}
	before = f.db.Calls.Load()
	_, err = f.svc.Book(ctx, f.staff, f.round.ID, first, f.members[1][:1], "")
	if code(err) != "SLOT_FULL" || f.db.Calls.Load() != before {
		t.Fatalf("a slot known full: %v after %d transactions, want SLOT_FULL after none", err, f.db.Calls.Load()-before)
	}
	alt := apperr.As(err).Alternatives
	if len(alt) == 0 || alt[0] != f.slots[1].ID || len(alt) > booking.MaxAlternatives {
		t.Fatalf("alternatives %v, want the next slot first", alt)
	}
	// The refusal's first alternative books.
	if _, err := f.svc.Book(ctx, f.staff, f.round.ID, alt[0], f.members[1][:1], ""); err != nil {
		t.Fatalf("booking the alternative: %v", err)
	}
	// A cancellation frees a place: bookable within PlacesFor.
	if _, err := f.svc.Cancel(ctx, f.staff, booking.BookingID(f.round.ID, f.members[0][0])); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	for {
		_, err := f.svc.Book(ctx, f.staff, f.round.ID, first, f.members[2][:1], "")
		if err == nil {
			break
		}
		if code(err) != "SLOT_FULL" || time.Since(freed) > booking.PlacesFor+500*time.Millisecond {
			t.Fatalf("%v after %v: a freed place is not bookable within %v", err, time.Since(freed), booking.PlacesFor)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if booked := f.booked(t); booked[first] != 2 {
		t.Fatalf("the slot after all: %v", booked)
	}
}

// TestTheSeriesListsWhoMissedTwoRoundsInARow: the residents sampled in
// neither of the two latest rounds, with the reasons given in each.
func TestTheSeriesListsWhoMissedTwoRoundsInARow(t *testing.T) {
	f := newFixture(t, 5)
	ctx := context.Background()
	if m, err := f.svc.Missed(ctx, f.staff, "c1"); err != nil || len(m.Rounds) != 1 || len(m.Residents) != 0 {
		t.Fatalf("one round: %+v %v", m, err)
	}
	now := time.Now()
	second, err := f.svc.CreateRound(ctx, f.staff, "c1", booking.RoundInput{Name: "第5轮", StartsAt: now.Add(-time.Minute),
		EndsAt: now.Add(2 * time.Hour), SlotMinutes: 30, AllowPastStart: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{ResidentID: f.members[0][0]}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckIn(ctx, f.staff, second.ID, booking.CheckInInput{ResidentID: f.members[0][1]}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetReason(ctx, f.staff, second.ID, f.members[1][0], "away"); err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.Missed(ctx, f.staff, "c1")
	if err != nil || len(m.Rounds) != 2 || m.Rounds[0].ID != second.ID || len(m.Residents) != 2*households-2 {
		t.Fatalf("two rounds: %d rounds, %d residents, %v", len(m.Rounds), len(m.Residents), err)
	}
	for _, r := range m.Residents {
		if r.ResidentID == f.members[0][0] || r.ResidentID == f.members[0][1] {
			t.Fatalf("%s was sampled in one of them", r.ResidentID)
		}
		if r.ResidentID == f.members[1][0] && (r.Reasons[0] != "away" || r.Reasons[1] != "") {
			t.Fatalf("reasons %v", r.Reasons)
		}
		if r.Room == "" {
			t.Fatalf("no room: %+v", r)
		}
	}
	outsider := auth.Principal{UserID: "u-x", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()
	if _, err := f.svc.Missed(ctx, outsider, "c1"); code(err) != "FORBIDDEN" {
		t.Fatalf("another community's staff: %v", err)
	}
}

// TestOptionalBookingIsNotHeldToTheWindow: a round created with booking
// optional plans windows, and a resident may reserve outside theirs.
func TestOptionalBookingIsNotHeldToTheWindow(t *testing.T) {
	f := newFixture(t, 4)
	ctx := context.Background()
	optional := false
	now := time.Now()
	r, err := f.svc.CreateRound(ctx, f.staff, "c1", booking.RoundInput{Name: "第6轮", StartsAt: now.Add(-time.Minute), EndsAt: now.Add(2 * time.Hour),
		SlotMinutes: 30, AllowPastStart: true, BookingRequired: &optional})
	if err != nil || r.BookingRequired {
		t.Fatalf("round %+v %v", r, err)
	}
	if got, err := f.svc.GetRound(ctx, f.staff, r.ID); err != nil || got.BookingRequired {
		t.Fatalf("read back %+v %v", got, err)
	}
	if f.round.BookingRequired != true {
		t.Fatal("a round is booking-required by default")
	}
	_, slots, err := f.svc.AddSite(ctx, f.staff, r.ID, booking.SiteInput{Name: "东门", Lanes: 1, PerLanePerSlot: 4})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := f.svc.PlanRound(ctx, f.staff, r.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	b := registry.BuildingOf(f.members[0][0])
	var window []string
	for _, w := range plan.Windows {
		if w.BuildingID == b {
			window = w.SlotIDs
		}
	}
	outside := ""
	for _, s := range slots {
		if !slices.Contains(window, s.ID) {
			outside = s.ID
		}
	}
	if len(window) == 0 || outside == "" {
		t.Fatalf("window %v, slots %d", window, len(slots))
	}
	res, err := f.svc.BookSteered(ctx, f.residents[0], r.ID, outside, f.members[0], "")
	if err != nil || res.Steering.InWindow {
		t.Fatalf("reserving outside the window of an optional round: %+v %v", res, err)
	}
}

// TestACallDownRacedIsMadeOnce: the same building called eight times at
// once is called once; the others are refused, and one set of texts goes.
func TestACallDownRacedIsMadeOnce(t *testing.T) {
	f := newFixture(t, 5)
	ctx := context.Background()
	b := registry.BuildingOf(f.members[0][0])
	var wg sync.WaitGroup
	var made, refused atomic.Int32
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.CallBuilding(ctx, f.staff, f.round.ID, b, booking.CallInput{})
			switch code(err) {
			case "":
				made.Add(1)
			case "CALLED_RECENTLY":
				refused.Add(1)
			default:
				t.Errorf("a raced call: %v", err)
			}
		}()
	}
	wg.Wait()
	if made.Load() != 1 || refused.Load() != 7 {
		t.Fatalf("%d calls made, %d refused; want 1 and 7", made.Load(), refused.Load())
	}
	f.queue.Drain(ctx, f.root.Consumer().Handle)
	texts := 0
	for h := 0; h < households; h++ {
		texts += len(f.texts(fmt.Sprintf("137%08d", h), "building_called"))
	}
	if texts != 4 {
		t.Fatalf("%d texts, want one for each of the building's 4 households", texts)
	}
}

// TestASiteChangesItsHoursAndASpareAnswersAClosure: hours that leave a
// booked slot out move its household to a slot with room (told), and are
// refused when nothing could hold them; hours given back reopen the slot;
// a spare site counts in nothing but the remedies until it opens with a
// closure, which moves the closed site's people to it in the same call.
func TestASiteChangesItsHoursAndASpareAnswersAClosure(t *testing.T) {
	f := newFixture(t, 4)
	ctx := context.Background()
	east := booking.SiteOf(f.slots[0].ID)
	_, west, err := f.svc.AddSite(ctx, f.staff, f.round.ID, booking.SiteInput{Name: "西门", Lanes: 1, PerLanePerSlot: 4})
	if err != nil {
		t.Fatal(err)
	}
	last := f.slots[len(f.slots)-1]
	if _, err := f.svc.Book(ctx, f.staff, f.round.ID, last.ID, f.members[0], ""); err != nil {
		t.Fatal(err)
	}
	// Off the slot grid, or closing before it opens: refused, nothing done.
	off := last.StartsAt.Add(7 * time.Minute)
	if _, err := f.svc.PatchSite(ctx, f.staff, east, booking.SitePatch{ClosesAt: &off}, false); code(err) != "VALIDATION_FAILED" {
		t.Fatalf("hours off the grid: %v", err)
	}
	// 东门 closes before its last slot: the household goes to 西门 then.
	closes := last.StartsAt
	change, err := f.svc.PatchSite(ctx, f.staff, east, booking.SitePatch{ClosesAt: &closes}, false)
	if err != nil {
		t.Fatal(err)
	}
	westLast := west[len(west)-1]
	if len(change.Moved) != 2 || change.Moved[0].ToSlotID != westLast.ID || change.Notified != 2 || len(change.Cancelled) != 0 {
		t.Fatalf("moved %+v cancelled %+v notified %d", change.Moved, change.Cancelled, change.Notified)
	}
	if change.Site.ClosesAt == nil || !change.Site.ClosesAt.Equal(closes) || len(change.Slots) != len(f.slots)-1 || change.Plan == nil {
		t.Fatalf("site %+v, %d slots open, plan %v", change.Site, len(change.Slots), change.Plan)
	}
	booked := f.booked(t)
	if _, open := booked[last.ID]; open || booked[westLast.ID] != 2 {
		t.Fatalf("after the hours: %v", booked)
	}
	// 西门 closing early too would leave the household nowhere: refused,
	// with what would hold them, and nothing changed.
	if _, err := f.svc.PatchSite(ctx, f.staff, booking.SiteOf(westLast.ID), booking.SitePatch{ClosesAt: &closes}, false); code(err) != "WOULD_STRAND_BOOKINGS" ||
		!strings.Contains(apperr.As(err).Fields[0].Reason, "2 booked people") {
		t.Fatalf("stranding hours: %v", err)
	}
	if after := f.booked(t); after[westLast.ID] != 2 {
		t.Fatalf("a refused change moved people: %v", after)
	}
	// The round's own end given back reopens 东门's last slot, empty.
	end := f.round.EndsAt
	if change, err = f.svc.PatchSite(ctx, f.staff, east, booking.SitePatch{ClosesAt: &end, Lanes: ptr(2)}, false); err != nil || change.Site.ClosesAt != nil {
		t.Fatalf("reopening: %+v %v", change.Site, err)
	}
	if booked := f.booked(t); booked[last.ID] != 0 {
		t.Fatalf("reopened slot: %v", booked)
	}
	slots, err := f.svc.Slots(ctx, f.staff, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, sl := range slots {
		if sl.ID == last.ID && sl.Capacity != 8 {
			t.Fatalf("the reopened slot takes the site's size now: %+v", sl)
		}
	}

	// A spare is defined closed and counts in no capacity.
	before, err := f.svc.Progress(ctx, f.staff, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	spare, open, err := f.svc.AddSite(ctx, f.staff, f.round.ID, booking.SiteInput{Name: "备用点", Lanes: 2, PerLanePerSlot: 4, Spare: true})
	if err != nil || len(open) != 0 || !spare.Spare {
		t.Fatalf("spare %+v, open slots %d, %v", spare, len(open), err)
	}
	after, err := f.svc.Progress(ctx, f.staff, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Capacity.PlacesLeft != before.Capacity.PlacesLeft {
		t.Fatalf("a spare counted: %d places before, %d after", before.Capacity.PlacesLeft, after.Capacity.PlacesLeft)
	}
	// 西门 closes with the spare opened in the same call: its household
	// may go to the spare, and it did not need confirm.
	c, err := f.svc.CloseSite(ctx, f.staff, booking.SiteOf(westLast.ID), false, spare.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Opened == nil || c.Opened.Spare || len(c.Moved) != 2 || len(c.Cancelled) != 0 {
		t.Fatalf("closure with the spare: opened %+v, moved %+v", c.Opened, c.Moved)
	}
	if _, err := f.svc.CloseSite(ctx, f.staff, east, false, east); code(err) != "NOT_A_SPARE_SITE" {
		t.Fatalf("opening the closing site: %v", err)
	}
	// Opening it again answers it as it is.
	if again, err := f.svc.OpenSite(ctx, f.staff, spare.ID); err != nil || again.Site.Spare || len(again.Moved) != 0 {
		t.Fatalf("open again: %+v %v", again, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestThePlanReachesEveryHousehold: publishing tells a household that uses
// the app in its feed and texts the others; a call-down shows in the feed
// of its building only, newest first.
func TestThePlanReachesEveryHousehold(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	if err := f.st.RecordAppSession(ctx, f.residents[0].HouseholdID, time.Now()); err != nil {
		t.Fatal(err)
	}
	plan, err := f.svc.PlanRound(ctx, f.staff, f.round.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if plan.InApp == nil || *plan.InApp != 1 || *plan.Published != households-1 {
		t.Fatalf("published %v, in the app %v", plan.Published, plan.InApp)
	}
	feed := func(p auth.Principal) []string {
		t.Helper()
		items, err := f.root.Notices().Feed(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, it := range items {
			kinds = append(kinds, it.Kind)
			if it.Kind == "round_window" && !strings.Contains(it.Body, "东门采样点") {
				t.Errorf("window %q", it.Body)
			}
		}
		return kinds
	}
	if got := feed(f.residents[0]); !slices.Equal(got, []string{"round_window"}) {
		t.Fatalf("feed after publishing: %v", got)
	}
	b := registry.BuildingOf(f.members[0][0])
	if _, err := f.svc.CallBuilding(ctx, f.staff, f.round.ID, b, booking.CallInput{}); err != nil {
		t.Fatal(err)
	}
	if got := feed(f.residents[0]); !slices.Equal(got, []string{"call_down", "round_window"}) {
		t.Fatalf("feed after the call: %v", got)
	}
	for i, p := range f.residents {
		if registry.BuildingOf(f.members[i][0]) != b && slices.Contains(feed(p), "call_down") {
			t.Fatalf("another building's resident sees its call")
		}
	}
}
