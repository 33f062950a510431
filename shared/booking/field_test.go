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

	view, err := f.svc.BuildingView(ctx, lead, f.round.ID, b1, "", "")
	if err != nil || view.Residents != 8 || len(view.Doors) != 4 {
		t.Fatalf("the 楼栋长's building: %+v %v", view, err)
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
	in, err := f.svc.CheckIn(ctx, lane, f.round.ID, booking.CheckInInput{ResidentID: walkIn, SiteID: east.SiteID})
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
	if _, err := f.svc.Review(ctx, lead, f.round.ID); err == nil {
		t.Fatal("a 楼栋长 read the review")
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
	if err := f.st.ResizeSite(ctx, site, stale); err != nil {
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
	if err := f.st.ResizeSite(ctx, site, stale); err != booking.ErrConflict {
		t.Fatalf("shrinking under a booking the read did not see: %v", err)
	}
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
