package smsflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/inbound"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/smsflow"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// world is a community whose 1号楼 is sealed: 王伯 (13700000001) holds the
// household's phone, 王婆 has none; a testing round is open with one site;
// the catalogue has rice; one volunteer is on a post's shift.
type world struct {
	st       *store.Store
	q        *queue.Local
	outbox   *sms.Outbox
	inbound  *inbound.Handler
	dispatch *dispatch.Consumer
	flow     *smsflow.Flow
	vols     *volunteers.Service
	staff    auth.Principal
	post     volunteers.Post
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	csv := "building,unit,room,name,phone\n1号楼,1,101,王伯,13700000001\n1号楼,1,101,王婆,\n2号楼,1,101,李四,13700000002\n"
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(csv)); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "工作人员", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, q: queue.NewLocal(5, 10, time.Millisecond), outbox: &sms.Outbox{Signature: "防线", Now: time.Now},
		staff: auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()}
	root := app.Local(st, w.q, w.outbox, time.Now)
	root.Config.Limits.SMSRepliesPerHour = 30
	bookings, orders, temps := root.Booking(), root.Supplies(), root.Notices()
	w.vols, w.flow, w.dispatch, w.inbound = root.Volunteers(), root.Flow(), root.Consumer(), root.Inbound()

	now := time.Now()
	round, err := bookings.CreateRound(ctx, w.staff, "c1", booking.RoundInput{Name: "第1轮", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(6 * time.Hour),
		SlotMinutes: 30, AllowPastStart: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bookings.AddSite(ctx, w.staff, round.ID, booking.SiteInput{Name: "东门", Lanes: 1, PerLanePerSlot: 5}); err != nil {
		t.Fatal(err)
	}
	bs, _, err := st.Buildings(ctx, "c1", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var b1 string
	for _, b := range bs {
		if b.Name == "1号楼" {
			b1 = b.ID
		}
	}
	if _, err := temps.SetZones(ctx, w.staff, "c1", notices.Buildings(b1), notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	m, err := orders.CreateMerchant(ctx, w.staff, "c1", supplies.MerchantInput{Name: "超市", Phone: "0931-8888888"})
	if err != nil {
		t.Fatal(err)
	}
	name, unit, price, stock, limit := "大米", "袋", 5000, 10, 0
	if _, err := orders.CreateItem(ctx, w.staff, "c1", supplies.ItemInput{Name: &name, Unit: &unit, PriceFen: &price, MerchantID: &m.ID,
		Stock: &stock, LimitPerHousehold: &limit}); err != nil {
		t.Fatal(err)
	}
	// A volunteer (no resident) on a shift under way.
	v := volunteers.Volunteer{ID: "v1", CommunityID: "c1", Name: "张志愿", Phone: "13600000001", Category: "individual",
		Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusPending, CreatedAt: now}
	if err := st.CreateVolunteer(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := w.vols.Decide(ctx, w.staff, "v1", volunteers.StatusApproved); err != nil {
		t.Fatal(err)
	}
	w.q.Drain(ctx, w.dispatch.Handle) // the approval's text
	if w.post, err = w.vols.CreatePost(ctx, w.staff, "c1", volunteers.PostInput{Kind: "checkpoint", Name: "东门卡口",
		Shifts: []volunteers.ShiftInput{{StartsAt: now.Add(-10 * time.Minute), EndsAt: now.Add(3 * time.Hour), Need: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.vols.Assign(ctx, w.staff, w.post.ID, volunteers.AssignInput{VolunteerID: "v1", ShiftID: "s1", Role: "A"}); err != nil {
		t.Fatal(err)
	}
	return w
}

// text sends an SMS from phone as the two-way topic would, runs the queue
// dry, and answers the replies phone got since.
func (w *world) text(t *testing.T, from, body string) []sms.Sent {
	t.Helper()
	before := len(w.outbox.To(from))
	ev, err := inbound.LocalSNSEvent(from, body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.inbound.HandleAWS(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	w.q.Drain(context.Background(), w.dispatch.Handle)
	return w.outbox.To(from)[before:]
}

func only(t *testing.T, got []sms.Sent, template string, contains ...string) sms.Sent {
	t.Helper()
	if len(got) != 1 || got[0].Template != template {
		t.Fatalf("replies %+v, want one %s", got, template)
	}
	for _, c := range contains {
		if !strings.Contains(got[0].Body, c) {
			t.Fatalf("reply %q does not say %q", got[0].Body, c)
		}
	}
	if got[0].Parts > 1 && template != "reply_menu" && template != "reply_status" {
		t.Fatalf("reply %q takes %d parts", got[0].Body, got[0].Parts)
	}
	return got[0]
}

// TestAResidentWithoutTheApp does by SMS alone what the app does: books,
// for the member without a phone too, queries, cancels, reports, orders
// from the menu and asks for help.
func TestAResidentWithoutTheApp(t *testing.T) {
	w := newWorld(t)
	only(t, w.text(t, "13700000001", "预约"), "reply_choose", "1王伯", "2王婆")
	booked := only(t, w.text(t, "13700000001", "预约 1"), "reply_booked", "王伯", "东门")
	only(t, w.text(t, "13700000001", "预约１"), "reply_booked", booked.Params["code"])
	only(t, w.text(t, "13700000001", "ｂｏｏｋ  2"), "reply_booked", "王婆")
	both := only(t, w.text(t, "13700000001", "查询"), "reply_status", booked.Params["code"])
	if strings.Count(both.Body, "码") != 2 {
		t.Fatalf("the household's two bookings are not both in %q", both.Body)
	}
	only(t, w.text(t, "13700000001", "取消 2"), "reply_cancelled", "王婆")
	only(t, w.text(t, "13700000001", "取消 2"), "reply_refused", "没有可取消的预约")
	only(t, w.text(t, "13700000001", "体温 36.6 1"), "reply_temperature", "36.6")
	only(t, w.text(t, "13700000001", "体温 38.5 2"), "reply_temperature", "王婆", "社区将联系")
	only(t, w.text(t, "13700000001", "订"), "reply_menu", "1大米50元")
	ordered := only(t, w.text(t, "13700000001", "订 1x2"), "reply_ordered", "大米×2", "100.00")
	if len(ordered.Params["code"]) != 4 {
		t.Fatalf("no door code in %q", ordered.Body)
	}
	only(t, w.text(t, "13700000001", "订 9"), "reply_refused", "没有这个序号")
	only(t, w.text(t, "13700000002", "订 1"), "reply_menu") // no menu texted yet: the menu first
	only(t, w.text(t, "13700000002", "订 1"), "reply_refused", "您家不在封控、管控区")
	only(t, w.text(t, "13700000001", "求助 老伴需要透析"), "reply_help", "30分钟")
	// Words that would opt out elsewhere do not swallow a help request.
	only(t, w.text(t, "13700000001", "求助 血止不住 stop"), "reply_help", "60分钟")
	only(t, w.text(t, "13700000001", "你好"), "reply_keywords")
	staff := 0
	for _, m := range w.outbox.To("13900000001") {
		if m.Template == "help_new" || m.Template == "fever_alert" {
			staff++
		}
	}
	// One a kind of request: the dialysis and the medical visit each.
	if staff != 3 {
		t.Fatalf("staff got %d alerts, want the fever and one for each kind of the household's two help requests", staff)
	}
}

// TestStopStartUnknownAndLimits: STOP ends every later SMS, START brings
// them back; an unknown phone gets one polite reply a day and no data; a
// message delivered twice is acted on once; replies stop at the hourly cap.
func TestStopStartUnknownAndLimits(t *testing.T) {
	w := newWorld(t)
	if got := w.text(t, "13700000002", "TD"); len(got) != 0 {
		t.Fatalf("a TD was answered: %+v", got)
	}
	if got := w.text(t, "13700000002", "查询"); len(got) != 0 {
		t.Fatalf("an opted-out phone got %+v", got)
	}
	only(t, w.text(t, "13700000002", "订阅"), "reply_started")
	only(t, w.text(t, "13700000002", "查询"), "reply_status")

	only(t, w.text(t, "13800000009", "预约"), "reply_unknown")
	if got := w.text(t, "13800000009", "查询"); len(got) != 0 {
		t.Fatalf("an unknown phone got a second reply: %+v", got)
	}

	// The same SNS delivery twice books once and answers once.
	ev, err := inbound.LocalSNSEvent("13700000002", "预约", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := w.inbound.HandleAWS(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		w.q.Drain(context.Background(), w.dispatch.Handle)
	}
	n := 0
	for _, m := range w.outbox.To("13700000002") {
		if m.Template == "reply_booked" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("a twice-delivered 预约 answered %d times", n)
	}

	// An auto-responder's loop ends at the cap.
	w.flow.RepliesPerHour = 3
	got := 0
	for i := 0; i < 6; i++ {
		got += len(w.text(t, "13700000001", "自动回复：我正在开会"))
	}
	if got > 3 {
		t.Fatalf("%d replies in a loop, want at most 3", got)
	}
}

// TestAVolunteerBySMS answers a call and checks in with the post's code.
func TestAVolunteerBySMS(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	only(t, w.text(t, "13600000001", "是"), "reply_refused", "没有待回复的召集")
	if _, err := w.vols.Activate(ctx, w.staff, "c1", volunteers.ActivationInput{Scope: volunteers.Scope{All: true}}); err != nil {
		t.Fatal(err)
	}
	w.q.Drain(ctx, w.dispatch.Handle) // the call itself
	only(t, w.text(t, "13600000001", "YES"), "reply_answer", "到岗")
	qr, err := w.vols.Code(ctx, w.staff, w.post.ID)
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if qr.Code == wrong {
		wrong = "000001"
	}
	only(t, w.text(t, "13600000001", "到岗 "+wrong), "reply_refused", "到岗码错误")
	for i := 0; i < 2; i++ {
		only(t, w.text(t, "13600000001", fmt.Sprintf("到岗 %06d", (i+1)*111111%1000000)), "reply_refused")
	}
	only(t, w.text(t, "13600000001", "到岗 "+qr.Code), "reply_checked_in", "东门卡口")
	only(t, w.text(t, "13600000001", "离岗 "+wrong), "reply_refused", "到岗码错误")
	only(t, w.text(t, "13600000001", "离岗 "+qr.Code), "reply_checked_out", "东门卡口", "分钟")
	// Five wrong codes in the hour, and even the right one is refused.
	only(t, w.text(t, "13600000001", "到岗 "+wrong), "reply_refused", "到岗码错误")
	only(t, w.text(t, "13600000001", "到岗 "+qr.Code), "reply_refused", "错误次数过多")
	only(t, w.text(t, "13700000001", "到岗 "+qr.Code), "reply_refused", "不是志愿者")
}

// FuzzInboundEvent: whatever the topic delivers, the handler neither
// panics nor fails on what it cannot use.
func FuzzInboundEvent(f *testing.F) {
	for _, seed := range []string{
		`{"originationNumber":"+8613700000001","destinationNumber":"+8610690000","messageKeyword":"K","messageBody":"预约","inboundMessageId":"a1"}`,
		`{"originationNumber":"+14255550182","messageBody":"TD","inboundMessageId":"x1"}`,
		`{"originationNumber":"+8613700000001","messageBody":"\u0000\u202e体温 36.5","inboundMessageId":"b2"}`,
		`not json`, `{}`, `{"inboundMessageId":""}`,
	} {
		f.Add(seed)
	}
	h := &inbound.Handler{Receipts: nopReceipts{}, OptOuts: nopOptOuts{}, Once: &memOnce{seen: map[string]bool{}},
		Keywords: forwardCheck{}, Now: time.Now}
	f.Fuzz(func(t *testing.T, message string) {
		raw, err := json.Marshal(map[string]any{"Records": []map[string]any{{"EventSource": "aws:sns",
			"Sns": map[string]any{"MessageId": "m", "Message": message, "Timestamp": "2026-11-30T08:00:00Z"}}}})
		if err != nil {
			t.Skip()
		}
		if err := h.HandleAWS(context.Background(), raw); err != nil {
			t.Fatalf("%q: %v", message, err)
		}
	})
}

type nopReceipts struct{}

func (nopReceipts) RecordReceipt(context.Context, string, bool) (bool, error) { return false, nil }

type nopOptOuts struct{}

func (nopOptOuts) SetOptOut(context.Context, string, time.Time) error   { return nil }
func (nopOptOuts) ClearOptOut(context.Context, string, time.Time) error { return nil }

// memOnce stands in for the table's once-keys in the fuzz target, where a
// round trip to DynamoDB Local per input would starve the fuzzer; the
// flows' tests above use the table.
type memOnce struct{ seen map[string]bool }

func (m *memOnce) ClaimOnce(_ context.Context, key, phone string) (bool, error) {
	if m.seen[key+phone] {
		return false, nil
	}
	m.seen[key+phone] = true
	return true, nil
}
func (m *memOnce) ReleaseOnce(_ context.Context, key, phone string) error {
	delete(m.seen, key+phone)
	return nil
}

// forwardCheck checks what the handler forwards: a mainland phone and
// text that parses without panicking.
type forwardCheck struct{}

func (forwardCheck) Forward(_ context.Context, m dispatch.InboundSMS) error {
	if len(m.From) != 11 || m.Key == "" {
		panic("forwarded " + m.From + " with key " + m.Key)
	}
	smsflow.Parse(m.Text)
	return nil
}

// TestMenuNumbersHold: "订 1" means the first item of the menu the phone
// read; sold out since, it is refused, not replaced by the next item.
func TestMenuNumbersHold(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	only(t, w.text(t, "13700000001", "订"), "reply_menu", "1大米")
	// Someone else buys all the rice.
	staff := w.staff
	items, err := w.flow.Supplies.Items(ctx, staff, "c1")
	if err != nil {
		t.Fatal(err)
	}
	svc := w.flow.Supplies.(*supplies.Service)
	if _, err := svc.UpdateItem(ctx, staff, items[0].ID, supplies.ItemInput{Paused: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	only(t, w.text(t, "13700000001", "订 1"), "reply_refused", "售罄或暂停")
}

func ptr[T any](v T) *T { return &v }

// TestEveryReasonCanBeSent: each refusal's words go out in the catalogue's
// refusal template, and a wrapped refusal finds its words.
func TestEveryReasonCanBeSent(t *testing.T) {
	seen := map[string]string{}
	for _, r := range smsflow.Reasons {
		if r.Err == nil || r.Err.Code == "" {
			t.Fatalf("a reason without its error: %+v", r)
		}
		if w, ok := seen[r.Err.Code]; ok && w != r.Words {
			t.Errorf("%s is said two ways: %q and %q", r.Err.Code, w, r.Words)
		}
		seen[r.Err.Code] = r.Words
		if _, err := sms.ReplyRefused(r.Words); err != nil {
			t.Errorf("%s: %q cannot be sent: %v", r.Err.Code, r.Words, err)
		}
	}
}
