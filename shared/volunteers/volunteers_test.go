package volunteers_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// clock is a time the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

type fixture struct {
	st       *store.Store
	svc      *volunteers.Service
	signIn   *auth.SignIn
	outbox   *sms.Outbox
	queue    *queue.Local
	dispatch *dispatch.Consumer
	clock    *clock
	staff    auth.Principal
	// link is c1's sign-up link token.
	link string
}

const staffPhone = "13900000001"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	csv := "building,unit,room,name,phone\n3号楼,1,101,李居民,13700000001\n"
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(csv)); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "工作人员", Phone: staffPhone, CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	priv, _, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now().Truncate(time.Minute)}
	f := &fixture{st: st, outbox: &sms.Outbox{Signature: "防线", Now: time.Now}, clock: c, queue: queue.NewLocal(5, 10, time.Millisecond),
		staff: auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()}
	root := app.Local(st, f.queue, f.outbox, c.Now)
	root.Params = secrets.Static{root.Config.Parameters[manifest.JWTPrivateKeyParameter]: priv}
	f.signIn, f.svc, f.dispatch = root.SignIn(), root.Volunteers(), root.Consumer()
	f.link = auth.NewSignupToken()
	if err := st.ReplaceSignupLink(ctx, "c1", &registry.SignupLink{CommunityID: "c1", Token: f.link, CreatedAt: time.Now(), CreatedBy: "u-s"}, ""); err != nil {
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

// signup signs a phone up with the code texted to it.
func (f *fixture) signup(t *testing.T, phone, name, category string) volunteers.Volunteer {
	t.Helper()
	ctx := context.Background()
	// Each from an address of its own: an address has a few sign-ups an hour.
	if err := f.signIn.SendSignupCode(ctx, phone, "203.0.113."+phone[len(phone)-2:], f.link); err != nil {
		t.Fatal(err)
	}
	msgs := f.outbox.To(phone)
	v, err := f.svc.Signup(ctx, f.signIn, "c1", volunteers.SignupInput{Name: name, Phone: phone, Code: msgs[len(msgs)-1].Params["code"],
		Category: category, Skills: []string{"registration"}}, "203.0.113.1")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// approved signs up and approves a volunteer, answering their principal.
func (f *fixture) approved(t *testing.T, phone, name string) (volunteers.Volunteer, auth.Principal) {
	t.Helper()
	v := f.signup(t, phone, name, "individual")
	v, err := f.svc.Decide(context.Background(), f.staff, v.ID, volunteers.StatusApproved)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := f.st.AccountByPhone(context.Background(), phone)
	if err != nil {
		t.Fatal(err)
	}
	return v, acct.Principal
}

// post makes a post with one shift under way for the next four hours.
func (f *fixture) post(t *testing.T, need int) volunteers.Post {
	t.Helper()
	now := f.clock.Now()
	p, err := f.svc.CreatePost(context.Background(), f.staff, "c1", volunteers.PostInput{Kind: "checkpoint", Name: "东门卡口", Place: "东门",
		Skills: []string{"registration"}, Shifts: []volunteers.ShiftInput{{StartsAt: now.Add(-10 * time.Minute), EndsAt: now.Add(4 * time.Hour), Need: need}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) assign(t *testing.T, post volunteers.Post, vid, role string, leader bool) {
	t.Helper()
	if _, err := f.svc.Assign(context.Background(), f.staff, post.ID, volunteers.AssignInput{VolunteerID: vid, ShiftID: "s1", Role: role, SquadLeader: leader}); err != nil {
		t.Fatal(err)
	}
}

// texts drains the dispatch queue and counts the SMS of a template by phone.
func (f *fixture) texts(template string) map[string]int {
	f.queue.Drain(context.Background(), f.dispatch.Handle)
	n := map[string]int{}
	for _, m := range f.outbox.All() {
		if m.Template == template {
			n[m.To]++
		}
	}
	return n
}

// TestSignupAndRoles: an unknown phone proves itself by its code and
// waits for approval; approval gives it a volunteer sign-in; a resident who
// volunteers keeps their household; deactivation takes only the volunteer
// role away.
func TestSignupAndRoles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.signIn.SendSignupCode(ctx, "13600000001", "203.0.113.1", f.link); err != nil {
		t.Fatal(err)
	}
	in := volunteers.SignupInput{Name: "王志愿", Phone: "13600000001", Code: "000000", Category: "veteran", Skills: []string{"driving"},
		Availability: []volunteers.Window{{Day: 1, From: "08:00", To: "12:00"}}}
	if _, err := f.svc.Signup(ctx, f.signIn, "c1", in, "203.0.113.1"); code(err) != "OTP_INVALID" {
		t.Fatalf("a wrong code: %v", err)
	}
	if _, err := f.st.AccountByPhone(ctx, "13600000001"); err == nil {
		t.Fatal("a pending volunteer can sign in")
	}
	msgs := f.outbox.To("13600000001")
	in.Code = msgs[len(msgs)-1].Params["code"]
	v, err := f.svc.Signup(ctx, f.signIn, "c1", in, "203.0.113.1")
	if err != nil || v.Status != volunteers.StatusPending {
		t.Fatalf("sign-up: %+v %v", v, err)
	}
	if _, err := f.svc.Signup(ctx, f.signIn, "c1", in, "203.0.113.1"); code(err) != "OTP_INVALID" {
		t.Fatalf("the same code twice: %v", err)
	}
	f.clock.add(2 * time.Minute)
	if _, err := f.svc.Signup(ctx, f.signIn, "c1", func() volunteers.SignupInput {
		_ = f.signIn.SendSignupCode(ctx, "13600000001", "203.0.113.1", f.link)
		m := f.outbox.To("13600000001")
		in.Code = m[len(m)-1].Params["code"]
		return in
	}(), "203.0.113.1"); code(err) != "ALREADY_SIGNED_UP" {
		t.Fatalf("signing up twice: %v", err)
	}
	if _, err := f.svc.Decide(ctx, f.staff, v.ID, volunteers.StatusApproved); err != nil {
		t.Fatal(err)
	}
	f.queue.Drain(ctx, f.dispatch.Handle)
	if got := f.outbox.To("13600000001"); got[len(got)-1].Template != "volunteer_approved" {
		t.Errorf("the approved volunteer was not told: %+v", got[len(got)-1])
	}
	acct, err := f.st.AccountByPhone(ctx, "13600000001")
	if err != nil || !acct.Has(manifest.RoleVolunteer) || acct.VolunteerCommunityID != "c1" {
		t.Fatalf("approved account %+v %v", acct, err)
	}
	if _, err := f.svc.Decide(ctx, f.staff, v.ID, volunteers.StatusRejected); code(err) != "VOLUNTEER_CHANGED" {
		t.Fatalf("rejecting an approved volunteer: %v", err)
	}

	// A resident volunteers: one sign-in, both roles.
	res := f.signup(t, "13700000001", "李居民", "party_member")
	if res.BuildingID == "" {
		t.Error("a resident's sign-up does not know their building")
	}
	if _, err := f.svc.Decide(ctx, f.staff, res.ID, volunteers.StatusApproved); err != nil {
		t.Fatal(err)
	}
	both, err := f.st.AccountByPhone(ctx, "13700000001")
	if err != nil || !both.Has(manifest.RoleResident) || !both.Has(manifest.RoleVolunteer) || both.HouseholdID == "" {
		t.Fatalf("resident and volunteer: %+v %v", both.Principal, err)
	}
	if _, err := f.svc.Decide(ctx, f.staff, res.ID, volunteers.StatusInactive); err != nil {
		t.Fatal(err)
	}
	after, err := f.st.AccountByPhone(ctx, "13700000001")
	if err != nil || after.Has(manifest.RoleVolunteer) || !after.Has(manifest.RoleResident) || after.UserID != both.ResidentID {
		t.Fatalf("after deactivation: %+v %v", after.Principal, err)
	}
	// Staff of another community cannot decide.
	other := auth.Principal{UserID: "u-x", Role: manifest.RoleStaff, CommunityID: "c9"}.Normalized()
	if _, err := f.svc.Decide(ctx, other, v.ID, volunteers.StatusInactive); code(err) != "FORBIDDEN" {
		t.Fatalf("foreign staff: %v", err)
	}
}

// TestShiftRolesHoldUnderConcurrency: 12 A assignments at once to a shift
// needing 2 make exactly 2.
func TestShiftRolesHoldUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	post := f.post(t, 2)
	var ids []string
	for i := 0; i < 12; i++ {
		v, _ := f.approved(t, fmt.Sprintf("1360000%04d", i), fmt.Sprintf("志愿者%d", i))
		ids = append(ids, v.ID)
		f.clock.add(2 * time.Minute) // the per-IP code pace
	}
	var ok, full atomic.Int32
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Assign(context.Background(), f.staff, post.ID, volunteers.AssignInput{VolunteerID: id, ShiftID: "s1", Role: "A"})
			switch code(err) {
			case "":
				ok.Add(1)
			case "SHIFT_FULL":
				full.Add(1)
			default:
				t.Errorf("assign: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 2 || full.Load() != 10 {
		t.Fatalf("%d assigned, %d refused; want 2 and 10", ok.Load(), full.Load())
	}
	if _, err := f.svc.Assign(context.Background(), f.staff, post.ID, volunteers.AssignInput{VolunteerID: ids[0], ShiftID: "s1", Role: "B"}); code(err) != "ALREADY_ASSIGNED" && code(err) != "" {
		t.Fatalf("B after A: %v", err)
	}
}

// TestActivationCallsBackups: the A who declines is replaced by the B at
// the next run of the job, the B accepts; on a second post nobody answers,
// there is no B, and the squad leader and staff are told once, however
// often the job runs.
func TestActivationCallsBackups(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, aP := f.approved(t, "13600000001", "甲")
	f.clock.add(2 * time.Minute)
	b, bP := f.approved(t, "13600000002", "乙")
	f.clock.add(2 * time.Minute)
	c, _ := f.approved(t, "13600000003", "丙")
	f.clock.add(2 * time.Minute)
	leader, _ := f.approved(t, "13600000004", "丁")
	first, second := f.post(t, 1), f.post(t, 1)
	f.assign(t, first, a.ID, "A", false)
	f.assign(t, first, b.ID, "B", false)
	f.assign(t, second, c.ID, "A", false)
	f.assign(t, second, leader.ID, "B", true) // the squad leader, B on the same shift
	act, err := f.svc.Activate(ctx, f.staff, "c1", volunteers.ActivationInput{Scope: volunteers.Scope{PostIDs: []string{first.ID}}, Minutes: ptr(5)})
	if err != nil || act.Asked != 1 {
		t.Fatalf("activate: %+v %v", act, err)
	}
	if got := f.texts("volunteer_call"); len(got) != 1 || got["13600000001"] != 1 {
		t.Fatalf("calls %v, want the A only", got)
	}
	if _, err := f.svc.Respond(ctx, bP, act.ID, "accept"); code(err) != "NOT_ASKED" {
		t.Fatalf("the B answering before being asked: %v", err)
	}
	if _, err := f.svc.Respond(ctx, aP, act.ID, "decline"); err != nil {
		t.Fatal(err)
	}
	// Two instances of the job at the same minute.
	var called atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, _, err := f.svc.Backups(ctx, f.clock.Now())
			if err != nil {
				t.Error(err)
			}
			called.Add(int32(n))
		}()
	}
	wg.Wait()
	if called.Load() != 1 {
		t.Fatalf("%d backups called, want 1", called.Load())
	}
	if got := f.texts("volunteer_backup"); len(got) != 1 || got["13600000002"] != 1 {
		t.Fatalf("backup calls %v", got)
	}
	if _, err := f.svc.Respond(ctx, bP, act.ID, "accept"); err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.View(ctx, f.staff, act.ID)
	if err != nil || v.Accepted != 1 || v.Declined != 1 || v.BackupsCalled != 1 || v.Unfilled != 0 {
		t.Fatalf("view %+v %v", v, err)
	}

	// The second post: its A stays silent; its B (the squad leader) too.
	act2, err := f.svc.Activate(ctx, f.staff, "c1", volunteers.ActivationInput{Scope: volunteers.Scope{PostIDs: []string{second.ID}}, Minutes: ptr(5)})
	if err != nil {
		t.Fatal(err)
	}
	for i, step := range []struct {
		after          time.Duration
		called, report int
	}{{4 * time.Minute, 0, 0}, {2 * time.Minute, 1, 0}, {time.Minute, 0, 0}, {5 * time.Minute, 0, 1}, {10 * time.Minute, 0, 0}} {
		n, u, err := f.svc.Backups(ctx, f.clock.add(step.after))
		if err != nil || n != step.called || u != step.report {
			t.Fatalf("step %d: %d called, %d unfilled, %v; want %d, %d", i, n, u, err, step.called, step.report)
		}
	}
	unfilled := f.texts("shift_unfilled")
	if unfilled[staffPhone] != 1 || unfilled["13600000004"] != 1 || len(unfilled) != 2 {
		t.Fatalf("unfilled told %v, want the staff and the squad leader once", unfilled)
	}
	v2, err := f.svc.View(ctx, f.staff, act2.ID)
	if err != nil || v2.Silent != 2 || v2.Unfilled != 1 || !v2.Shifts[0].Unfilled {
		t.Fatalf("view %+v %v", v2, err)
	}
	// Late, the A still comes: accepted counts.
	cP, _ := f.st.AccountByPhone(ctx, "13600000003")
	if asks, err := f.svc.Respond(ctx, cP.Principal, act2.ID, "accept"); err != nil || len(asks) != 1 {
		t.Fatalf("late accept %v %v", asks, err)
	}
}

// TestCheckInAtThePost: the device's code lets a volunteer of the shift in
// and out; a forged, expired or other post's code, a volunteer not on the
// shift, and a second check-in are refused; the hours show in the month.
func TestCheckInAtThePost(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, aP := f.approved(t, "13600000001", "甲")
	f.clock.add(2 * time.Minute)
	_, strangerP := f.approved(t, "13600000002", "乙")
	post, other := f.post(t, 1), f.post(t, 1)
	f.assign(t, post, a.ID, "A", false)
	qr, err := f.svc.Code(ctx, f.staff, post.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Code(ctx, aP, post.ID); code(err) != "FORBIDDEN" {
		t.Fatalf("a volunteer who does not lead the post asks for its code: %v", err)
	}
	otherQR, _ := f.svc.Code(ctx, f.staff, other.ID)
	forged := qr.Token[:len(qr.Token)-2] + "AA"
	if forged == qr.Token {
		forged = qr.Token[:len(qr.Token)-2] + "BB"
	}
	refusals := []struct {
		name  string
		who   auth.Principal
		token string
		want  string
	}{
		{"forged", aP, forged, "CHECKIN_CODE_INVALID"},
		{"another post's code", aP, otherQR.Token, "CHECKIN_CODE_INVALID"},
		{"garbage", aP, strings.Repeat("x", 100), "CHECKIN_CODE_INVALID"},
		{"not on the shift", strangerP, qr.Token, "NOT_ON_SHIFT"},
	}
	for _, r := range refusals {
		if _, err := f.svc.CheckIn(ctx, r.who, post.ID, r.token); code(err) != r.want {
			t.Errorf("%s: %v, want %s", r.name, err, r.want)
		}
	}
	f.clock.add(90 * time.Second) // still good: the code's window and the next
	in, err := f.svc.CheckIn(ctx, aP, post.ID, qr.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckIn(ctx, aP, post.ID, qr.Token); code(err) != "ALREADY_CHECKED_IN" {
		t.Fatalf("checking in twice: %v", err)
	}
	// The office's board: 甲 at the first post; the second post, whose
	// shift is under way, has nobody and is short.
	board, err := f.svc.Duty(ctx, f.staff, "c1")
	if err != nil || board.OnDuty != 1 || board.Unfilled != 1 || len(board.Shifts) != 2 {
		t.Fatalf("duty board %+v %v", board, err)
	}
	for _, sh := range board.Shifts {
		want := sh.PostID == post.ID
		if (len(sh.Here) == 1) != want || sh.Unfilled == want || !sh.UnderWay || len(sh.Absent) != 0 {
			t.Fatalf("duty row %+v", sh)
		}
	}
	if _, err := f.svc.Duty(ctx, aP, "c1"); code(err) != "FORBIDDEN" {
		t.Fatalf("a volunteer reads the duty board: %v", err)
	}
	f.clock.add(3 * time.Hour)
	if _, err := f.svc.CheckOut(ctx, aP, post.ID, qr.Token); code(err) != "CHECKIN_CODE_INVALID" {
		t.Fatalf("an expired code: %v", err)
	}
	fresh, _ := f.svc.Code(ctx, f.staff, post.ID)
	out, err := f.svc.CheckOut(ctx, aP, post.ID, fresh.Token)
	if err != nil || out.Minutes != 180 {
		t.Fatalf("check-out %+v %v, want 180 minutes", out, err)
	}
	if _, err := f.svc.CheckOut(ctx, aP, post.ID, fresh.Token); code(err) != "NOT_CHECKED_IN" {
		t.Fatalf("checking out twice: %v", err)
	}
	month := in.In.Format("2006-01")
	h, err := f.svc.Hours(ctx, f.staff, "c1", month)
	if err != nil || len(h.Volunteers) != 1 || h.Volunteers[0].Hours != 3 || h.Categories[0].Volunteers != 1 {
		t.Fatalf("hours %+v %v", h, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSignupNeedsTheCommunitysLink: a sign-up code is texted only with a
// community's live link; a rotated or revoked link stops at once; a code
// asked with one community's link does not sign up in another; sign-up
// codes have their own words and budgets, and using them up leaves
// sign-in's whole.
func TestSignupNeedsTheCommunitysLink(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, token := range []string{"", "nope", auth.NewSignupToken()} {
		if err := f.signIn.SendSignupCode(ctx, "13600000001", "203.0.113.1", token); code(err) != "SIGNUP_LINK_INVALID" {
			t.Errorf("a sign-up code with link %q: %v", token, err)
		}
	}
	if n := len(f.outbox.To("13600000001")); n != 0 {
		t.Fatalf("%d SMS without a link", n)
	}
	// c2's link: its code does not sign up in c1.
	if err := f.st.CreateCommunity(ctx, registry.Community{ID: "c2", StreetID: "s1", Name: "c2"}); err != nil {
		t.Fatal(err)
	}
	other := auth.NewSignupToken()
	if err := f.st.ReplaceSignupLink(ctx, "c2", &registry.SignupLink{CommunityID: "c2", Token: other, CreatedAt: time.Now()}, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.signIn.SendSignupCode(ctx, "13600000001", "203.0.113.1", other); err != nil {
		t.Fatal(err)
	}
	sent := f.outbox.To("13600000001")
	if sent[0].Template != "signup_code" {
		t.Errorf("a sign-up code in the words of %s", sent[0].Template)
	}
	in := volunteers.SignupInput{Name: "王志愿", Phone: "13600000001", Code: sent[0].Params["code"], Category: "veteran"}
	if _, err := f.svc.Signup(ctx, f.signIn, "c1", in, "203.0.113.1"); code(err) != "SIGNUP_LINK_INVALID" {
		t.Errorf("c2's code signing up in c1: %v", err)
	}
	// Rotated: the old token stops, the new one works.
	next := auth.NewSignupToken()
	if err := f.st.ReplaceSignupLink(ctx, "c1", &registry.SignupLink{CommunityID: "c1", Token: next, CreatedAt: time.Now()}, f.link); err != nil {
		t.Fatal(err)
	}
	if err := f.signIn.SendSignupCode(ctx, "13600000002", "203.0.113.1", f.link); code(err) != "SIGNUP_LINK_INVALID" {
		t.Errorf("a rotated-out link: %v", err)
	}
	if err := f.st.ReplaceSignupLink(ctx, "c1", nil, f.link); !errors.Is(err, registry.ErrSignupLinkChanged) {
		t.Errorf("revoking a link that is not the live one: %v", err)
	}
	if err := f.st.ReplaceSignupLink(ctx, "c1", nil, next); err != nil {
		t.Fatal(err)
	}
	if err := f.signIn.SendSignupCode(ctx, "13600000002", "203.0.113.1", next); code(err) != "SIGNUP_LINK_INVALID" {
		t.Errorf("a revoked link: %v", err)
	}
	// c2's budget of sign-up codes, used up from many addresses, refuses
	// sign-ups; sign-in codes go on.
	limit := auth.DefaultSignupCodesPerCommunityPerHour - 1 // one was sent above
	refused := 0
	for i := 0; i < limit+5; i++ {
		err := f.signIn.SendSignupCode(ctx, fmt.Sprintf("135%08d", i), fmt.Sprintf("198.51.100.%d", i%250), other)
		switch code(err) {
		case "":
		case "SIGNUP_RATE_LIMITED":
			refused++
		default:
			t.Fatalf("sign-up %d: %v", i, err)
		}
	}
	if refused != 5 {
		t.Errorf("%d of %d sign-up codes refused over a budget of %d, want 5", refused, limit+5, limit)
	}
	if err := f.signIn.SendCode(ctx, staffPhone, "198.51.100.1"); err != nil {
		t.Errorf("sign-in after the sign-up budget was used up: %v", err)
	}
}

// TestSignupCodesTellNobodyApart: a sign-up code and then a sign-in code,
// at once, are answered alike for a registered phone and an unknown one.
func TestSignupCodesTellNobodyApart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, ph := range []string{"13700000001", "13611110001"} {
		if err := f.signIn.SendSignupCode(ctx, ph, "203.0.113.7", f.link); err != nil {
			t.Fatalf("%s sign-up code: %v", ph, err)
		}
		if err := f.signIn.SendCode(ctx, ph, "203.0.113.7"); err != nil {
			t.Fatalf("%s sign-in code right after: %v", ph, err)
		}
	}
}

// TestDeactivatedVolunteersAreNotCalled: deactivation frees the shift and
// an activation calls nobody who is not approved; a second click on the
// same scope calls nobody twice.
func TestDeactivatedVolunteersAreNotCalled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, _ := f.approved(t, "13600000001", "甲")
	f.clock.add(2 * time.Minute)
	b, _ := f.approved(t, "13600000002", "乙")
	post := f.post(t, 1)
	f.assign(t, post, a.ID, "A", false)
	if _, err := f.svc.Decide(ctx, f.staff, a.ID, volunteers.StatusInactive); err != nil {
		t.Fatal(err)
	}
	f.assign(t, post, b.ID, "A", false) // the freed place
	act, err := f.svc.Activate(ctx, f.staff, "c1", volunteers.ActivationInput{Scope: volunteers.Scope{All: true}})
	if err != nil || act.Asked != 1 || act.Shifts[0].Asks[0].VolunteerID != b.ID {
		t.Fatalf("activation %+v %v", act, err)
	}
	if _, err := f.svc.Activate(ctx, f.staff, "c1", volunteers.ActivationInput{Scope: volunteers.Scope{All: true}}); code(err) != "ALREADY_CALLED" {
		t.Fatalf("a second click: %v", err)
	}
	if _, err := f.svc.Activate(ctx, f.staff, "c1", volunteers.ActivationInput{Scope: volunteers.Scope{All: true}, Minutes: ptr(0)}); code(err) != "VALIDATION_FAILED" {
		t.Fatalf("minutes 0: %v", err)
	}
	if _, err := f.svc.CreatePost(ctx, f.staff, "c1", volunteers.PostInput{Kind: "other", Name: "远", Shifts: []volunteers.ShiftInput{
		{StartsAt: time.Date(9999, 12, 31, 20, 0, 0, 0, time.UTC), EndsAt: time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), Need: 1}}}); code(err) != "VALIDATION_FAILED" {
		t.Fatalf("a shift in the year 9999: %v", err)
	}
}

// TestSmallThingsAnAttackerFound: a post refuses another community's
// building; a volunteer checking in twice during one shift served one
// shift; another community's activation is answered as an unknown one.
func TestSmallThingsAnAttackerFound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, f.st, "s2", "c2", "13900000020")
	csv := "building,unit,room,name,phone\n9号楼,1,101,外社区,13700000099\n"
	if _, err := (&registry.Importer{Store: f.st, Now: time.Now}).Import(ctx, "c2", []byte(csv)); err != nil {
		t.Fatal(err)
	}
	foreign, _, err := f.st.Buildings(ctx, "c2", "", 10)
	if err != nil || len(foreign) != 1 {
		t.Fatalf("c2's buildings %v %v", foreign, err)
	}
	now := f.clock.Now()
	_, err = f.svc.CreatePost(ctx, f.staff, "c1", volunteers.PostInput{Kind: "checkpoint", Name: "卡口", BuildingID: foreign[0].ID,
		Shifts: []volunteers.ShiftInput{{StartsAt: now, EndsAt: now.Add(time.Hour), Need: 1}}})
	if code(err) != "VALIDATION_FAILED" {
		t.Errorf("a post at another community's building: %v", err)
	}
	// Two check-ins in one shift (a break): one shift, both times summed.
	a, aP := f.approved(t, "13600000001", "甲")
	post := f.post(t, 1)
	f.assign(t, post, a.ID, "A", false)
	for _, minutes := range []time.Duration{60, 30} {
		qr, _ := f.svc.Code(ctx, f.staff, post.ID)
		if _, err := f.svc.CheckIn(ctx, aP, post.ID, qr.Token); err != nil {
			t.Fatal(err)
		}
		f.clock.add(minutes * time.Minute)
		qr, _ = f.svc.Code(ctx, f.staff, post.ID)
		if _, err := f.svc.CheckOut(ctx, aP, post.ID, qr.Token); err != nil {
			t.Fatal(err)
		}
		f.clock.add(5 * time.Minute)
	}
	h, err := f.svc.Hours(ctx, f.staff, "c1", now.In(chinatime.Zone).Format("2006-01"))
	if err != nil || len(h.Volunteers) != 1 || h.Volunteers[0].Shifts != 1 || h.Volunteers[0].Minutes != 90 || h.Categories[0].Shifts != 1 {
		t.Errorf("hours %+v %v, want one shift of 90 minutes", h, err)
	}
	// c2's activation, answered by c1's volunteer: as unknown as a made-up id.
	if err := f.st.CreateActivation(ctx, volunteers.Activation{ID: "a-c2", CommunityID: "c2", Scope: volunteers.Scope{All: true},
		CreatedAt: now}, nil, "all", now.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a-c2", "a-nope"} {
		if _, err := f.svc.Respond(ctx, aP, id, "accept"); code(err) != "ACTIVATION_NOT_FOUND" {
			t.Errorf("answering activation %s of no community of theirs: %v", id, err)
		}
	}
}
