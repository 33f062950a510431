package booking_test

import (
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

type fixture struct {
	st        *store.Store
	outbox    *sms.Outbox
	svc       *booking.Service
	root      *app.Root
	queue     *queue.Local
	db        *dynamolocal.Faults
	staff     auth.Principal
	residents []auth.Principal // one per household
	members   [][]string       // resident ids per household
	round     booking.Round
	slots     []booking.Slot
}

const households = 12

func newFixture(t *testing.T, perLanePerSlot int) *fixture {
	t.Helper()
	raw, table := dynamolocal.NewTable(t)
	db := &dynamolocal.Faults{DB: raw}
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	var csv strings.Builder
	csv.WriteString("building,unit,room,name,phone\n")
	for h := 0; h < households; h++ {
		fmt.Fprintf(&csv, "%d号楼,1,%d01,户主%d,137%08d\n", h%3+1, h, h, h)
		fmt.Fprintf(&csv, "%d号楼,1,%d01,家人%d,\n", h%3+1, h, h)
	}
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(csv.String())); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, outbox: &sms.Outbox{Signature: "防线", Now: time.Now}, staff: auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()}
	for h := 0; h < households; h++ {
		acct, err := st.AccountByPhone(ctx, fmt.Sprintf("137%08d", h))
		if err != nil {
			t.Fatal(err)
		}
		f.residents = append(f.residents, acct.Principal)
		_, members, err := st.Household(ctx, acct.HouseholdID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range members {
			ids = append(ids, m.ID)
		}
		f.members = append(f.members, ids)
	}
	f.st = st
	f.queue = queue.NewLocal(5, 10, time.Millisecond)
	f.root = app.Local(st, f.queue, f.outbox, time.Now)
	f.svc = f.root.Booking()
	now := time.Now()
	var err error
	f.round, err = f.svc.CreateRound(ctx, f.staff, "c1", booking.RoundInput{Name: "第4轮", StartsAt: now.Add(-10 * time.Minute), EndsAt: now.Add(2 * time.Hour), SlotMinutes: 30, AllowPastStart: true})
	if err != nil {
		t.Fatal(err)
	}
	_, f.slots, err = f.svc.AddSite(ctx, f.staff, f.round.ID, booking.SiteInput{Name: "东门", Lanes: 1, PerLanePerSlot: perLanePerSlot})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

func (f *fixture) booked(t *testing.T) map[string]int {
	t.Helper()
	slots, err := f.svc.Slots(context.Background(), f.staff, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, s := range slots {
		out[s.ID] = s.Booked
		if s.Booked > s.Capacity {
			t.Fatalf("slot %s oversold: %d of %d", s.ID, s.Booked, s.Capacity)
		}
	}
	return out
}

func TestNoSlotIsOversold(t *testing.T) {
	f := newFixture(t, 7) // 12 households of 2 want 7 places
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make(chan string, households)
	for h := range households {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Two members each: a household needs 2 of the 7 places.
			_, err := f.svc.Book(ctx, f.residents[h], f.round.ID, f.slots[0].ID, f.members[h], "")
			results <- code(err)
		}()
	}
	wg.Wait()
	close(results)
	n := map[string]int{}
	for c := range results {
		n[c]++
	}
	if n[""] != 3 || n["SLOT_FULL"] != households-3 {
		t.Fatalf("outcomes %v: want 3 households in, the rest SLOT_FULL", n)
	}
	if got := f.booked(t)[f.slots[0].ID]; got != 6 {
		t.Fatalf("booked %d, want 6", got)
	}
}

func TestOneBookingPerResidentAndRound(t *testing.T) {
	f := newFixture(t, 50)
	ctx := context.Background()
	var wg sync.WaitGroup
	var ok atomic.Int32
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slot := f.slots[i%len(f.slots)].ID
			if _, err := f.svc.Book(ctx, f.residents[0], f.round.ID, slot, f.members[0][:1], ""); err == nil {
				ok.Add(1)
			} else if code(err) != "ALREADY_BOOKED" {
				t.Errorf("unexpected %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d bookings for one resident", ok.Load())
	}
	total := 0
	for _, b := range f.booked(t) {
		total += b
	}
	if total != 1 {
		t.Fatalf("%d places taken for one booking", total)
	}
}

func TestResidentsBookOnlyTheirHousehold(t *testing.T) {
	f := newFixture(t, 50)
	ctx := context.Background()
	_, err := f.svc.Book(ctx, f.residents[0], f.round.ID, f.slots[0].ID, f.members[1], "")
	if code(err) != "FORBIDDEN" {
		t.Fatalf("booking another household: %v", err)
	}
	fake := f.members[0][0][:len(f.members[0][0])-2] + "zz" // right household, nobody
	if _, err := f.svc.Book(ctx, f.residents[0], f.round.ID, f.slots[0].ID, []string{fake}, ""); code(err) != "UNKNOWN_RESIDENT" {
		t.Fatalf("a made-up resident: %v", err)
	}
	other := auth.Principal{UserID: "u-x", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()
	if _, err := f.svc.Book(ctx, other, f.round.ID, f.slots[0].ID, f.members[0], ""); code(err) != "FORBIDDEN" {
		t.Fatalf("staff of another community: %v", err)
	}
	// Staff book anyone of their community, several households at once.
	out, err := f.svc.Book(ctx, f.staff, f.round.ID, f.slots[0].ID, append(f.members[1], f.members[2]...), "")
	if err != nil || len(out) != 4 {
		t.Fatalf("staff booking: %v %v", out, err)
	}
	if _, err := f.svc.Book(ctx, f.staff, f.round.ID, "nope-t001", f.members[3], ""); code(err) != "SLOT_UNAVAILABLE" {
		t.Fatalf("a slot of another round: %v", err)
	}
}

func TestCancelReturnsThePlaceOnce(t *testing.T) {
	f := newFixture(t, 50)
	ctx := context.Background()
	out, err := f.svc.Book(ctx, f.residents[0], f.round.ID, f.slots[0].ID, f.members[0], "")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.svc.Cancel(ctx, f.residents[0], out[0].ID); err == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d cancels succeeded", ok.Load())
	}
	if got := f.booked(t)[f.slots[0].ID]; got != 1 {
		t.Fatalf("booked %d after one of two cancelled", got)
	}
	// The cancelled resident can book again, elsewhere.
	if _, err := f.svc.Book(ctx, f.residents[0], f.round.ID, f.slots[1].ID, f.members[0][:1], ""); err != nil {
		t.Fatalf("rebooking after cancel: %v", err)
	}
}

func TestConflictsAndThrottlingAreRetried(t *testing.T) {
	f := newFixture(t, 50)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f.db.Conflicts.Store(3)
	f.db.Throttles.Store(2)
	before := f.db.Calls.Load()
	out, err := f.svc.Book(ctx, f.residents[0], f.round.ID, f.slots[0].ID, f.members[0], "")
	if err != nil || len(out) != 2 {
		t.Fatalf("%v %v", out, err)
	}
	if calls := f.db.Calls.Load() - before; calls != 6 {
		t.Errorf("%d transaction calls, want 5 failures and 1 success", calls)
	}
	if got := f.booked(t)[f.slots[0].ID]; got != 2 {
		t.Fatalf("booked %d", got)
	}
	// Past the deadline the failure is answered as unavailable, not a 500.
	f.db.Conflicts.Store(1000)
	short, cancel2 := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel2()
	_, err = f.svc.Book(short, f.residents[1], f.round.ID, f.slots[0].ID, f.members[1], "")
	if e := apperr.As(err); e.Kind != apperr.KindUnavailable {
		t.Fatalf("endless conflicts: %v (%s)", err, e.Code)
	}
	f.db.Conflicts.Store(0)
	if got := f.booked(t)[f.slots[0].ID]; got != 2 {
		t.Fatalf("a failed booking took places: %d", got)
	}
}

func TestIdempotentReplays(t *testing.T) {
	f := newFixture(t, 50)
	ctx := context.Background()
	for h := 0; h < 4; h++ {
		key := fmt.Sprintf("booking-key-%d", h)
		replays := 2 + h // 2 to 5 tries of the same request
		var first []booking.Booking
		for try := 0; try < replays; try++ {
			if try == 0 && h%2 == 1 {
				f.db.DropAfter.Store(1) // the first answer is lost after the commit
				if _, err := f.svc.Book(ctx, f.residents[h], f.round.ID, f.slots[0].ID, f.members[h], key); err == nil {
					t.Fatal("the dropped answer arrived")
				}
				continue
			}
			out, err := f.svc.Book(ctx, f.residents[h], f.round.ID, f.slots[0].ID, f.members[h], key)
			if err != nil {
				t.Fatalf("household %d try %d: %v", h, try, err)
			}
			if first == nil {
				first = out
			} else if !reflect.DeepEqual(out, first) {
				t.Fatalf("household %d try %d answered %+v, first %+v", h, try, out, first)
			}
		}
	}
	if got := f.booked(t)[f.slots[0].ID]; got != 8 {
		t.Fatalf("booked %d, want 8 (4 households of 2, once each)", got)
	}
	// The same key with another request is refused.
	_, err := f.svc.Book(ctx, f.residents[0], f.round.ID, f.slots[1].ID, f.members[0], "booking-key-0")
	if code(err) != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("reused key: %v", err)
	}
	// Without the key, a repeat is a conflict.
	if _, err := f.svc.Book(ctx, f.residents[0], f.round.ID, f.slots[0].ID, f.members[0], ""); code(err) != "ALREADY_BOOKED" {
		t.Fatalf("repeat without a key: %v", err)
	}
}

func TestCheckInProgressAndUnsampled(t *testing.T) {
	f := newFixture(t, 50)
	ctx := context.Background()
	out, err := f.svc.Book(ctx, f.residents[0], f.round.ID, f.slots[0].ID, f.members[0], "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{Code: strings.ToLower(out[0].Code)})
	if err != nil || res.ResidentID != out[0].ResidentID || res.WalkIn {
		t.Fatalf("check-in by code: %+v %v", res, err)
	}
	if _, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{ResidentID: out[0].ResidentID}); code(err) != "ALREADY_SAMPLED" {
		t.Fatalf("second check-in: %v", err)
	}
	walk, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{ResidentID: f.members[1][0]})
	if err != nil || !walk.WalkIn {
		t.Fatalf("walk-in: %+v %v", walk, err)
	}
	if _, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{Code: "ZZZZZZ"}); code(err) != "UNKNOWN_CODE" {
		t.Fatalf("unknown code: %v", err)
	}
	report, err := f.svc.Progress(ctx, f.staff, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	progress := report.Buildings
	if report.Total.Sampled != 2 || report.Total.Residents != 2*households || report.Capacity.Sampled != 2 {
		t.Errorf("round totals %+v, capacity %+v", report.Total, report.Capacity)
	}
	totals := booking.Counts{}
	residents := 0
	for _, p := range progress {
		totals.Booked += p.Booked
		totals.Sampled += p.Sampled
		residents += p.Residents
	}
	if totals.Booked != 2 || totals.Sampled != 2 || residents != 2*households || progress[0].Name != "1号楼" {
		t.Fatalf("progress %+v", progress)
	}
	if err := f.svc.SetReason(ctx, f.staff, f.round.ID, f.members[2][0], "bedridden"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetReason(ctx, f.staff, f.round.ID, f.members[2][0], "lazy"); code(err) != "VALIDATION_FAILED" {
		t.Fatalf("bad reason: %v", err)
	}
	list, err := f.svc.UnsampledList(ctx, f.staff, f.round.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2*households-2 {
		t.Fatalf("%d unsampled, want %d", len(list), 2*households-2)
	}
	reasons := 0
	for _, u := range list {
		if u.ResidentID == out[0].ResidentID || u.ResidentID == f.members[1][0] {
			t.Fatalf("a sampled resident is listed: %+v", u)
		}
		if u.Reason == "bedridden" {
			reasons++
		}
	}
	if reasons != 1 {
		t.Fatalf("%d reasons shown", reasons)
	}
	// The CSV export opens in Excel: UTF-8 with a BOM.
	h := f.svc.Handlers()["listUnsampled"]
	req := httptest.NewRequest("GET", "/v1/rounds/"+f.round.ID+"/unsampled?format=csv", nil)
	req.SetPathValue("roundId", f.round.ID)
	req = req.WithContext(auth.WithPrincipal(req.Context(), f.staff))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	if !strings.HasPrefix(body, "\ufeff楼栋,单元,房号,姓名") || !strings.Contains(body, "卧床") || strings.Count(body, "\r\n") != len(list)+1 {
		t.Fatalf("csv: %q", body[:min(200, len(body))])
	}
}

func TestPlanSteersResidents(t *testing.T) {
	f := newFixture(t, 4) // 4 places a slot; buildings of 8 residents need 2 slots
	ctx := context.Background()
	plan, err := f.svc.PlanRound(ctx, f.staff, f.round.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Windows) == 0 {
		t.Fatalf("plan %+v", plan)
	}
	b := registry.BuildingOf(f.members[0][0])
	var w booking.Window
	for _, x := range plan.Windows {
		if x.BuildingID == b {
			w = x
		}
	}
	if w.BuildingID == "" {
		t.Fatalf("no window for the first household's building in %+v", plan)
	}
	var outside string
	for _, s := range f.slots {
		if !slices.Contains(w.SlotIDs, s.ID) {
			outside = s.ID
		}
	}
	if _, err := f.svc.BookSteered(ctx, f.residents[0], f.round.ID, outside, f.members[0], ""); code(err) != "OUTSIDE_BUILDING_WINDOW" {
		t.Fatalf("outside the window: %v", err)
	}
	res, err := f.svc.BookSteered(ctx, f.residents[0], f.round.ID, w.SlotIDs[0], f.members[0], "")
	st := res.Steering
	if err != nil || !st.InWindow || st.Window == nil {
		t.Fatalf("inside the window: %+v %v", st, err)
	}
	// Staff may book outside the window; the answer says so.
	res, err = f.svc.BookSteered(ctx, f.staff, f.round.ID, outside, f.members[3], "")
	st = res.Steering
	if err != nil || st.InWindow {
		t.Fatalf("staff outside the window: %+v %v", st, err)
	}
}

func TestClosingASiteMovesOrCancelsAndTells(t *testing.T) {
	f := newFixture(t, 4) // site A: 4 places a slot
	ctx := context.Background()
	_, slotsB, err := f.svc.AddSite(ctx, f.staff, f.round.ID, booking.SiteInput{Name: "西门", Lanes: 1, PerLanePerSlot: 2})
	if err != nil {
		t.Fatal(err)
	}
	a0 := f.slots[0].ID
	// Three households of two in A's first slot (4 places: two fit), one in A's last.
	for h := 0; h < 2; h++ {
		if _, err := f.svc.Book(ctx, f.staff, f.round.ID, a0, f.members[h], ""); err != nil {
			t.Fatal(err)
		}
	}
	last := f.slots[len(f.slots)-1].ID
	if _, err := f.svc.Book(ctx, f.staff, f.round.ID, last, f.members[2], ""); err != nil {
		t.Fatal(err)
	}
	// B's last slot is full already: the household in A's last slot has nowhere to go.
	if _, err := f.svc.Book(ctx, f.staff, f.round.ID, slotsB[len(slotsB)-1].ID, f.members[3], ""); err != nil {
		t.Fatal(err)
	}

	// Two would be left without a place: the closure is refused with the
	// count and what would hold them, before anything moves.
	before := f.booked(t)
	_, err = f.svc.CloseSite(ctx, f.staff, booking.SiteOf(a0), false, "")
	if code(err) != "WOULD_STRAND_BOOKINGS" || !strings.Contains(apperr.As(err).Fields[0].Reason, "2 booked people") {
		t.Fatalf("closing with too little room elsewhere: %v", err)
	}
	if after := f.booked(t); !maps.Equal(before, after) {
		t.Fatalf("a refused closure moved bookings: %v → %v", before, after)
	}
	// Confirmed, it goes on. A closed site's texts go through the dispatch
	// queue, as deployed.
	c, err := f.svc.CloseSite(ctx, f.staff, booking.SiteOf(a0), true, "")
	if err != nil {
		t.Fatal(err)
	}
	f.queue.Drain(ctx, f.root.Consumer().Handle)
	if len(c.Moved) != 4 || len(c.Cancelled) != 2 {
		t.Fatalf("moved %d, cancelled %d: %+v", len(c.Moved), len(c.Cancelled), c)
	}
	// The first household takes B's first slot (2 places); the second the next one.
	if c.Moved[0].ToSlotID != slotsB[0].ID || c.Moved[2].ToSlotID != slotsB[1].ID {
		t.Errorf("moves %+v", c.Moved)
	}
	for _, m := range c.Moved {
		if m.StartsAt.Before(f.slots[0].StartsAt) {
			t.Errorf("moved earlier than booked: %+v", m)
		}
	}
	if c.Notified != 6 {
		t.Errorf("%d residents told, want each of the 6 (two a household, sharing its phone)", c.Notified)
	}
	// Staff booked these households, so each member had a confirmation with
	// their own code; the closure then tells each household once.
	if msgs := f.texts(fmt.Sprintf("137%08d", 0), "booking_confirmed"); len(msgs) != 2 || msgs[0].Params["code"] == msgs[1].Params["code"] {
		t.Errorf("confirmations %+v", msgs)
	}
	// Each member is told with their name and their own code, on the
	// household's one phone.
	msgs := f.texts(fmt.Sprintf("137%08d", 0), "booking_moved")
	if len(msgs) != 2 || msgs[0].Params["name"] == msgs[1].Params["name"] || msgs[0].Params["code"] == msgs[1].Params["code"] ||
		!strings.Contains(msgs[0].Body, "东门") || !strings.HasPrefix(msgs[0].Body, "【防线】") {
		t.Errorf("SMS %+v", msgs)
	}
	if msgs := f.texts(fmt.Sprintf("137%08d", 2), "booking_cancelled"); len(msgs) != 2 || !strings.Contains(msgs[0].Body, "取消") {
		t.Errorf("cancel SMS %+v", msgs)
	}
	// The closed site's slots are gone from the list and take no bookings.
	booked := f.booked(t)
	if _, listed := booked[a0]; listed {
		t.Error("a closed slot is still listed")
	}
	if booked[slotsB[0].ID] != 2 || booked[slotsB[1].ID] != 2 {
		t.Errorf("B's slots %v", booked)
	}
	if _, err := f.svc.Book(ctx, f.staff, f.round.ID, f.slots[1].ID, f.members[5], ""); code(err) != "SLOT_UNAVAILABLE" {
		t.Errorf("booking a closed slot: %v", err)
	}
	if _, err := f.svc.CloseSite(ctx, f.staff, booking.SiteOf(a0), true, ""); code(err) != "SITE_NOT_FOUND" {
		t.Errorf("closing twice: %v", err)
	}
	// The moved keep their code and can check in with it.
	mine, err := f.svc.HouseholdBookings(ctx, f.residents[0])
	if err != nil || len(mine) != 2 || mine[0].SlotID != slotsB[0].ID {
		t.Fatalf("after the move: %+v %v", mine, err)
	}
	if _, err := f.svc.CheckIn(ctx, f.staff, f.round.ID, booking.CheckInInput{Code: mine[0].Code}); err != nil {
		t.Fatalf("check-in after the move: %v", err)
	}
}

func TestRescheduleReturnsThePlaceOnce(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	out, err := f.svc.Book(ctx, f.residents[0], f.round.ID, f.slots[0].ID, f.members[0][:1], "")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var moved atomic.Int32
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Everyone tries to move it to slot 1 or 2 at the same time.
			if _, err := f.svc.Reschedule(ctx, f.residents[0], out[0].ID, f.slots[1+i%2].ID); err == nil {
				moved.Add(1)
			}
		}()
	}
	wg.Wait()
	booked := f.booked(t)
	if booked[f.slots[0].ID] != 0 || booked[f.slots[1].ID]+booked[f.slots[2].ID] != 1 {
		t.Fatalf("after concurrent moves: %v (%d succeeded)", booked, moved.Load())
	}
	if _, err := f.svc.Reschedule(ctx, f.residents[1], out[0].ID, f.slots[0].ID); code(err) != "FORBIDDEN" {
		t.Fatalf("another household's booking: %v", err)
	}
}

func TestRoundsAreListedByCommunity(t *testing.T) {
	f := newFixture(t, 5)
	ctx := context.Background()
	second, err := f.svc.CreateRound(ctx, f.staff, "c1", booking.RoundInput{Name: "第5轮", StartsAt: time.Now().Add(24 * time.Hour), EndsAt: time.Now().Add(26 * time.Hour), SlotMinutes: 30, AllowPastStart: true})
	if err != nil {
		t.Fatal(err)
	}
	rounds, err := f.svc.Rounds(ctx, f.residents[0], "c1")
	if err != nil || len(rounds) != 2 {
		t.Fatalf("rounds %+v %v", rounds, err)
	}
	if rounds[0].ID != second.ID && rounds[1].ID != second.ID {
		t.Fatalf("the new round is not listed: %+v", rounds)
	}
	if _, err := f.svc.Rounds(ctx, f.residents[0], "c2"); code(err) != "FORBIDDEN" {
		t.Fatalf("another community's rounds: %v", err)
	}
}

// texts are the messages of one template the outbox holds for a phone.
func (f *fixture) texts(phone, template string) []sms.Sent {
	var out []sms.Sent
	for _, m := range f.outbox.To(phone) {
		if m.Template == template {
			out = append(out, m)
		}
	}
	return out
}

// TestStaffBookingsAreConfirmedBySMS: staff book for people the app does not
// reach, so each resident they book is texted a confirmation with their own
// code (to the household's phone when they have none); residents booking in
// the app are not texted.
func TestStaffBookingsAreConfirmedBySMS(t *testing.T) {
	f := newFixture(t, 10)
	ctx := context.Background()
	res, err := f.svc.BookSteered(ctx, f.residents[1], f.round.ID, f.slots[0].ID, f.members[1], "")
	if err != nil || res.Notified != 0 {
		t.Fatalf("a resident's own booking: %+v %v", res, err)
	}
	if got := f.texts(fmt.Sprintf("137%08d", 1), "booking_confirmed"); len(got) != 0 {
		t.Errorf("a resident booking in the app was texted: %+v", got)
	}
	res, err = f.svc.BookSteered(ctx, f.staff, f.round.ID, f.slots[1].ID, f.members[4], "")
	if err != nil || res.Notified != 2 {
		t.Fatalf("a staff booking: notified %d, %v", res.Notified, err)
	}
	got := f.texts(fmt.Sprintf("137%08d", 4), "booking_confirmed")
	codes := map[string]bool{}
	for _, b := range res.Bookings {
		codes[b.Code] = true
	}
	for _, m := range got {
		if !codes[m.Params["code"]] || m.Params["site"] != "东门" || m.Parts != 1 {
			t.Errorf("confirmation %+v", m)
		}
		delete(codes, m.Params["code"])
	}
	if len(got) != 2 || len(codes) != 0 {
		t.Errorf("%d confirmations, codes not texted %v", len(got), codes)
	}

	// The same request again (a staff tool retrying) answers the same.
	first, err := f.svc.BookSteered(ctx, f.staff, f.round.ID, f.slots[1].ID, f.members[5], "staff-retry-0001")
	if err != nil || first.Notified != 2 {
		t.Fatalf("a keyed staff booking: %+v %v", first, err)
	}
	again, err := f.svc.BookSteered(ctx, f.staff, f.round.ID, f.slots[1].ID, f.members[5], "staff-retry-0001")
	if err != nil || !again.Replayed || again.Notified != first.Notified {
		t.Errorf("the replay answers notified %d (replayed %v), the first %d: %v", again.Notified, again.Replayed, first.Notified, err)
	}
	if n := len(f.texts(fmt.Sprintf("137%08d", 5), "booking_confirmed")); n != 2 {
		t.Errorf("the replay texted again: %d confirmations", n)
	}

	// Staff move and cancel: the resident is told; a resident's own change
	// in the app is not texted back.
	b := res.Bookings[0]
	if _, err := f.svc.Reschedule(ctx, f.staff, b.ID, f.slots[2].ID); err != nil {
		t.Fatal(err)
	}
	if changed := f.texts(fmt.Sprintf("137%08d", 4), "booking_changed"); len(changed) != 1 || changed[0].Params["code"] != b.Code {
		t.Errorf("a staff reschedule: %+v", changed)
	}
	if _, err := f.svc.Cancel(ctx, f.staff, b.ID); err != nil {
		t.Fatal(err)
	}
	if gone := f.texts(fmt.Sprintf("137%08d", 4), "booking_withdrawn"); len(gone) != 1 {
		t.Errorf("a staff cancellation: %+v", gone)
	}
	own := f.svc
	if _, err := own.Cancel(ctx, f.residents[1], booking.BookingID(f.round.ID, f.members[1][0])); err != nil {
		t.Fatal(err)
	}
	if n := len(f.texts(fmt.Sprintf("137%08d", 1), "booking_withdrawn")); n != 0 {
		t.Errorf("a resident's own cancellation was texted back")
	}

	// A phone that replied TD gets no confirmation; the answer says so.
	if err := f.st.SetOptOut(ctx, fmt.Sprintf("137%08d", 6), time.Now()); err != nil {
		t.Fatal(err)
	}
	if res, err := f.svc.BookSteered(ctx, f.staff, f.round.ID, f.slots[1].ID, f.members[6], ""); err != nil || res.Notified != 0 {
		t.Errorf("an opted-out household: notified %d, %v", res.Notified, err)
	}
	if n := len(f.texts(fmt.Sprintf("137%08d", 6), "booking_confirmed")); n != 0 {
		t.Errorf("an opted-out phone was texted %d confirmations", n)
	}
}
