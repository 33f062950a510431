package notices_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

type fixture struct {
	st        *store.Store
	svc       *notices.Service
	root      *app.Root
	dispatch  *dispatch.Consumer
	queue     *queue.Local
	outbox    *sms.Outbox
	staff     auth.Principal
	buildings map[string]string // name → id
}

// Four buildings of three households; in each household two members share
// one phone and a child has none.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	var csv strings.Builder
	csv.WriteString("building,unit,room,name,phone\n")
	for b := 1; b <= 4; b++ {
		for h := 1; h <= 3; h++ {
			p := fmt.Sprintf("1370000%02d%02d", b, h)
			fmt.Fprintf(&csv, "%d号楼,1,%d01,户主%d%d,%s\n%d号楼,1,%d01,配偶%d%d,%s\n%d号楼,1,%d01,孩子%d%d,\n", b, h, b, h, p, b, h, b, h, p, b, h, b, h)
		}
	}
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(csv.String())); err != nil {
		t.Fatal(err)
	}
	bs, _, err := st.Buildings(ctx, "c1", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, buildings: map[string]string{}, staff: auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()}
	for _, b := range bs {
		f.buildings[b.Name] = b.ID
	}
	f.queue = queue.NewLocal(3, 10, 10*time.Millisecond)
	f.outbox = &sms.Outbox{Signature: "防线", Now: time.Now}
	f.root = app.Local(st, f.queue, f.outbox, time.Now)
	f.svc, f.dispatch = f.root.Notices(), f.root.Consumer()
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "s", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

// drain runs the queue until it is empty and nothing comes back.
func (f *fixture) drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		f.queue.Drain(ctx, f.dispatch.Handle)
		time.Sleep(50 * time.Millisecond) // failed messages come back after Retry
		if f.queue.Len() == 0 {
			time.Sleep(50 * time.Millisecond)
			if f.queue.Len() == 0 {
				return
			}
		}
	}
	t.Fatal("the queue did not drain")
}

func phone(b, h int) string { return fmt.Sprintf("1370000%02d%02d", b, h) }

func TestSealedBuildingsGetOneSMSPerPhone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SetZones(ctx, f.staff, "c1", notices.Buildings(f.buildings["1号楼"], f.buildings["3号楼"]), notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetOptOut(ctx, phone(3, 3), time.Now()); err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.Create(ctx, f.staff, "c1", notices.NoticeInput{Title: "封控通知", Body: "本楼即日起封控管理，请居家，物资送货到府。",
		Audience: notices.Audience{ZoneLevels: []string{notices.LevelSealed}}, Channels: []string{"app", "sms"}, Urgent: true})
	if err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	for b := 1; b <= 4; b++ {
		for h := 1; h <= 3; h++ {
			got := len(f.outbox.To(phone(b, h)))
			want := 0
			if (b == 1 || b == 3) && !(b == 3 && h == 3) {
				want = 1
			}
			if got != want {
				t.Errorf("building %d household %d: %d SMS, want %d", b, h, got, want)
			}
		}
	}
	// The SMS carries the title and points to the full text: a notice's free
	// text is never sent.
	sent := f.outbox.To(phone(1, 1))[0]
	if sent.Template != "notice_urgent" || sent.Params["title"] != "封控通知" || !strings.HasPrefix(sent.Body, "【防线】紧急通知：封控通知。") || strings.Contains(sent.Body, "送货到府") {
		t.Errorf("SMS %+v", sent)
	}
	rep, err := f.svc.Delivery(ctx, f.staff, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queued != 6 || rep.Sent != 5 || rep.Skipped != 1 || rep.Failed != 0 || rep.Households != 6 || len(rep.Unacknowledged) != 6 {
		t.Fatalf("delivery %+v", rep)
	}

	// A message delivered twice sends nothing more.
	before := len(f.outbox.To(phone(1, 1)))
	f.queue.Redeliver(events.SQSMessage{MessageId: "dup", Body: fmt.Sprintf(`{"kind":"send","noticeId":%q,"phone":%q}`, n.ID, phone(1, 1)),
		Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	f.queue.Redeliver(events.SQSMessage{MessageId: "dup-fanout", Body: fmt.Sprintf(`{"kind":"fanout","noticeId":%q}`, n.ID),
		Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	f.drain(t)
	if got := len(f.outbox.To(phone(1, 1))); got != before {
		t.Fatalf("a redelivered message sent again: %d SMS", got)
	}

	// Residents see it in their feed and acknowledge once per household.
	resident, err := f.st.AccountByPhone(ctx, phone(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	p := resident.Principal
	feed, err := f.svc.Feed(ctx, p)
	if err != nil || len(feed) != 1 || feed[0].Acknowledged {
		t.Fatalf("feed %+v %v", feed, err)
	}
	if first, err := f.svc.Acknowledge(ctx, p, n.ID); err != nil || !first {
		t.Fatalf("ack: %v %v", first, err)
	}
	if first, err := f.svc.Acknowledge(ctx, p, n.ID); err != nil || first {
		t.Fatalf("second ack: %v %v", first, err)
	}
	outsider, _ := f.st.AccountByPhone(ctx, phone(2, 1))
	if _, err := f.svc.Acknowledge(ctx, outsider.Principal, n.ID); apperr.As(err).Code != "NOTICE_NOT_FOUND" {
		t.Fatalf("ack by a household outside the audience: %v", err)
	}
	rep, _ = f.svc.Delivery(ctx, f.staff, n.ID)
	if rep.Acknowledged != 1 || len(rep.Unacknowledged) != 5 {
		t.Fatalf("after one ack: %+v", rep)
	}
	for _, u := range rep.Unacknowledged {
		if u.HouseholdID == p.HouseholdID {
			t.Fatal("the household that acknowledged is on the door-knock list")
		}
	}
}

func TestPoisonMessageGoesDead(t *testing.T) {
	f := newFixture(t)
	if err := f.queue.SendBatch(context.Background(), []string{"not json", `{"kind":"send","noticeId":"nnope","phone":"13700000101"}`}); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	// A message for a notice that is not there (removed with its drill)
	// is dropped: it can never be sent, and retrying it would only fill
	// the dead letters.
	dead := f.queue.Dead()
	if len(dead) != 1 || dead[0].Body != "not json" {
		t.Fatalf("%d dead letters, want the one that is not JSON: %+v", len(dead), dead)
	}
	for _, m := range dead {
		if m.Attributes["ApproximateReceiveCount"] != "3" {
			t.Errorf("dead after %s receives, want 3", m.Attributes["ApproximateReceiveCount"])
		}
	}
}

func TestZonesAndValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SetZones(ctx, f.staff, "c1", notices.Buildings(f.buildings["2号楼"]), notices.LevelControlled); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetZones(ctx, f.staff, "c1", notices.Buildings(f.buildings["2号楼"]), notices.LevelNone); err != nil {
		t.Fatal(err)
	}
	zones, err := f.svc.Zones(ctx, f.staff, "c1")
	if err != nil || len(zones) != 0 {
		t.Fatalf("released building still zoned: %+v %v", zones, err)
	}
	cases := []struct {
		name string
		in   notices.NoticeInput
	}{
		{"no audience", notices.NoticeInput{Title: "t", Body: "b", Channels: []string{"app"}}},
		{"two audiences", notices.NoticeInput{Title: "t", Body: "b", Channels: []string{"app"}, Audience: notices.Audience{All: true, ZoneLevels: []string{"sealed"}}}},
		{"bad channel", notices.NoticeInput{Title: "t", Body: "b", Channels: []string{"fax"}, Audience: notices.Audience{All: true}}},
		{"unknown building", notices.NoticeInput{Title: "t", Body: "b", Channels: []string{"app"}, Audience: notices.Audience{BuildingIDs: []string{"bnope"}}}},
		{"no title", notices.NoticeInput{Body: "b", Channels: []string{"app"}, Audience: notices.Audience{All: true}}},
	}
	for _, c := range cases {
		if _, err := f.svc.Create(ctx, f.staff, "c1", c.in); apperr.As(err).Code != "VALIDATION_FAILED" {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	other := auth.Principal{UserID: "x", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()
	if _, err := f.svc.SetZones(ctx, other, "c1", notices.Buildings(f.buildings["2号楼"]), notices.LevelSealed); apperr.As(err).Code != "FORBIDDEN" {
		t.Errorf("staff of another community: %v", err)
	}
}

func TestTemperatures(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SetZones(ctx, f.staff, "c1", notices.Buildings(f.buildings["1号楼"]), notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	holder, _ := f.st.AccountByPhone(ctx, phone(1, 1))
	p := holder.Principal
	for _, c := range []float64{33.9, 43.1} {
		if _, err := f.svc.Report(ctx, p, "", c, nil); apperr.As(err).Code != "IMPLAUSIBLE_TEMPERATURE" {
			t.Errorf("%.1f: %v", c, err)
		}
	}
	if _, err := f.svc.Report(ctx, p, "", 36.6, nil); err != nil {
		t.Fatal(err)
	}
	// The holder reports for the child too: 37.3 is a fever.
	_, members, _ := f.st.Household(ctx, p.HouseholdID)
	var child string
	for _, m := range members {
		if m.Phone == "" {
			child = m.ID
		}
	}
	r, err := f.svc.Report(ctx, p, child, 37.3, nil)
	if err != nil || !r.Fever {
		t.Fatalf("fever report: %+v %v", r, err)
	}
	other, _ := f.st.AccountByPhone(ctx, phone(2, 1))
	if _, err := f.svc.Report(ctx, p, other.ResidentID, 36.5, nil); apperr.As(err).Code != "NOT_A_HOUSEHOLD_MEMBER" {
		t.Errorf("reporting for another household: %v", err)
	}
	// An id that looks like a member's but is nobody's.
	invented := p.HouseholdID + "-rzzzzzz"
	if _, err := f.svc.Report(ctx, p, invented, 39.0, nil); apperr.As(err).Code != "NOT_A_HOUSEHOLD_MEMBER" {
		t.Errorf("an invented member: %v", err)
	}
	// More fever readings of the child the same day: the list changes, the
	// staff's phones do not ring again.
	for _, c := range []float64{38.0, 38.4} {
		if _, err := f.svc.Report(ctx, p, child, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Report(ctx, p, child, 40.5, nil); apperr.As(err).Code != "IMPLAUSIBLE_TEMPERATURE_CHANGE" {
		t.Errorf("a jump of 2.1 °C: %v", err)
	}
	// 37.25 rounds to 37.3, stored and alerted alike.
	r, err = f.svc.Report(ctx, p, "", 37.25, nil)
	if err != nil || r.Celsius != 37.3 || !r.Fever {
		t.Fatalf("37.25: %+v %v", r, err)
	}
	f.drain(t)
	alerts := f.outbox.To("13900000001")
	if len(alerts) != 2 {
		t.Fatalf("staff alerts %+v", alerts)
	}
	var childName string
	for _, m := range members {
		if m.ID == child {
			childName = m.Name
		}
	}
	first := alerts[0]
	if first.Template != "fever_alert" || first.Params["name"] != childName || first.Params["celsius"] != "37.3" ||
		first.Params["address"] != "1号楼1单元101" || first.Params["phone"] != phone(1, 1)[:3]+"****"+phone(1, 1)[7:] {
		t.Errorf("the alert does not say who and where: %+v", first)
	}
	if strings.Contains(first.Body, child) || strings.Contains(first.Body, phone(1, 1)) {
		t.Errorf("the alert shows an id or a full phone: %s", first.Body)
	}
	day, err := f.svc.Temperatures(ctx, f.staff, "c1", "")
	if err != nil {
		t.Fatal(err)
	}
	// 1号楼 has 9 residents: the holder and the child reported.
	if day.Reported != 2 || len(day.Missing) != 7 || len(day.Fevers) != 2 {
		t.Fatalf("day %+v", day)
	}
	for _, fv := range day.Fevers {
		if fv.ResidentID == child && (fv.Celsius != 38.4 || fv.Peak != 38.4 || fv.FeverAt == nil) {
			t.Errorf("the child's fever %+v", fv)
		}
	}
	// The reminder texts each phone with a member missing, once: households
	// 1 (the spouse), 2 and 3 of 1号楼.
	n, err := f.svc.Remind(ctx)
	if err != nil || n != 3 {
		t.Fatalf("reminders queued %d, %v", n, err)
	}
	// The job runs again the same day (a retry, a second schedule): nobody
	// gets a second reminder.
	if _, err := f.svc.Remind(ctx); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	for h := 1; h <= 3; h++ {
		if msgs := f.outbox.To(phone(1, h)); len(msgs) != 1 || !strings.Contains(msgs[0].Body, "体温") {
			t.Errorf("household %d reminders %+v", h, msgs)
		}
	}
	if msgs := f.outbox.To(phone(2, 1)); len(msgs) != 0 {
		t.Errorf("a building outside the zones was reminded: %+v", msgs)
	}
}

// flakySender stands in for a provider that takes few phones a call, fails
// its first call as a whole and refuses one phone.
type flakySender struct {
	*sms.Outbox
	batch  int
	refuse string

	mu      sync.Mutex
	calls   []int // phones per call
	failed1 bool
}

func (s *flakySender) MaxBatch() int { return s.batch }

func (s *flakySender) SendBatch(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error) {
	s.mu.Lock()
	s.calls = append(s.calls, len(to))
	first := !s.failed1
	s.failed1 = true
	s.mu.Unlock()
	if len(to) > s.batch {
		return nil, fmt.Errorf("%d phones, at most %d", len(to), s.batch)
	}
	if first {
		return nil, errors.New("the provider is down")
	}
	var keep []string
	for _, p := range to {
		if p != s.refuse {
			keep = append(keep, p)
		}
	}
	res, err := s.Outbox.SendBatch(ctx, keep, m)
	if err != nil {
		return nil, err
	}
	if len(keep) < len(to) {
		res = append(res, sms.Result{To: s.refuse, Err: errors.New("InvalidParameterValue.IncorrectPhoneNumber")})
	}
	return res, nil
}

func TestBatchesRetriesRefusalsAndReceipts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sender := &flakySender{Outbox: f.outbox, batch: 4, refuse: phone(2, 2)}
	f.root.SMS().Real = sender
	n, err := f.svc.Create(ctx, f.staff, "c1", notices.NoticeInput{Title: "全员核酸", Body: "今晚八点起全员核酸。",
		Audience: notices.Audience{All: true}, Channels: []string{"sms"}})
	if err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	// 12 phones in batches of at most 4: three calls, and the first again
	// after it failed as a whole.
	if len(sender.calls) != 4 {
		t.Errorf("provider calls %v, want 4", sender.calls)
	}
	for _, c := range sender.calls {
		if c > 4 || c < 1 {
			t.Errorf("a call with %d phones", c)
		}
	}
	for b := 1; b <= 4; b++ {
		for h := 1; h <= 3; h++ {
			want := 1
			if b == 2 && h == 2 {
				want = 0
			}
			if got := len(f.outbox.To(phone(b, h))); got != want {
				t.Errorf("%s: %d SMS, want %d", phone(b, h), got, want)
			}
		}
	}
	rep, _ := f.svc.Delivery(ctx, f.staff, n.ID)
	if rep.Queued != 12 || rep.Sent != 11 || rep.Failed != 1 || rep.Delivered != 0 {
		t.Fatalf("after sending: %+v", rep.Delivery)
	}

	// Carriers' receipts: one delivered (twice: counted once), one not
	// delivered, and one for an id no notice sent.
	delivered, undelivered := f.outbox.To(phone(1, 1))[0].ID, f.outbox.To(phone(3, 3))[0].ID
	for _, c := range []struct {
		id        string
		delivered bool
		want      bool
	}{{delivered, true, true}, {delivered, true, false}, {undelivered, false, true}, {undelivered, true, false}, {"local-nope", true, false}} {
		got, err := f.st.RecordReceipt(ctx, c.id, c.delivered)
		if err != nil || got != c.want {
			t.Errorf("receipt %s delivered=%v: %v %v, want %v", c.id, c.delivered, got, err, c.want)
		}
	}
	rep, _ = f.svc.Delivery(ctx, f.staff, n.ID)
	if rep.Queued != 12 || rep.Sent != 10 || rep.Delivered != 1 || rep.Failed != 2 {
		t.Fatalf("after receipts: %+v", rep.Delivery)
	}
}
