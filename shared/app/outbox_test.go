package app_test

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// flakyQueue is SQS failing: down, it takes nothing; lost, it takes the
// messages and the answer is lost (the sender sees an error).
type flakyQueue struct {
	*queue.Local
	down, lost atomic.Bool
}

var errQueueDown = errors.New("test: the queue is down")

func (q *flakyQueue) SendBatch(ctx context.Context, bodies []string) error {
	switch {
	case q.down.Load():
		return errQueueDown
	case q.lost.Load():
		_ = q.Local.SendBatch(ctx, bodies)
		return errQueueDown
	}
	return q.Local.SendBatch(ctx, bodies)
}

// sendWorld is a community whose 1号楼 is sealed, where 王伯
// (13700000001) holds his household's phone; a round is open with two
// sites; rice is on the catalogue; 张A and 张B volunteer on a post's shift.
type sendWorld struct {
	root     *app.Root
	q        *flakyQueue
	outbox   *sms.Outbox
	st       *store.Store
	staff    auth.Principal
	resident auth.Principal
}

const (
	staffPhone    = "13900000001"
	residentPhone = "13700000001"
	aPhone        = "13600000001"
	bPhone        = "13600000002"
)

func newSendWorld(t *testing.T) *sendWorld {
	t.Helper()
	ctx := context.Background()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	csv := "building,unit,room,name,phone\n1号楼,1,101,王伯," + residentPhone + "\n1号楼,1,101,王婆,\n"
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(csv)); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "工作人员", Phone: staffPhone, CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	acct, err := st.AccountByPhone(ctx, residentPhone)
	if err != nil {
		t.Fatal(err)
	}
	w := &sendWorld{q: &flakyQueue{Local: queue.NewLocal(5, 10, time.Millisecond)}, outbox: &sms.Outbox{Signature: "防线", Now: time.Now}, st: st,
		staff: auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized(), resident: acct.Principal}
	w.root = app.Local(st, w.q, w.outbox, time.Now)
	bs, _, err := st.Buildings(ctx, "c1", "", 10)
	if err != nil || len(bs) != 1 {
		t.Fatalf("buildings %v %v", bs, err)
	}
	if _, err := w.root.Notices().SetZones(ctx, w.staff, "c1", notices.Buildings(bs[0].ID), notices.LevelSealed); err != nil {
		t.Fatal(err)
	}
	return w
}

// sent counts the SMS of a template phone got, the queue run dry.
func (w *sendWorld) sent(phone, template string) int {
	w.q.Drain(context.Background(), w.root.Consumer().Handle)
	n := 0
	for _, m := range w.outbox.To(phone) {
		if m.Template == template {
			n++
		}
	}
	return n
}

// volunteer signs up and approves a volunteer, assigned to the shift.
func (w *sendWorld) volunteer(t *testing.T, id, phone string) {
	t.Helper()
	ctx := context.Background()
	v := volunteers.Volunteer{ID: id, CommunityID: "c1", Name: "张" + id, Phone: phone, Category: "individual",
		Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusPending, CreatedAt: time.Now()}
	if err := w.st.CreateVolunteer(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := w.root.Volunteers().Decide(ctx, w.staff, id, volunteers.StatusApproved); err != nil {
		t.Fatal(err)
	}
}

// TestNothingIsLostBetweenAWriteAndItsQueue: for every change that causes
// SMS, the queue failing after the change committed (taking nothing, or
// taking the messages and losing the answer) neither fails the change nor
// loses its messages: the jobs of the next minute send them, and each
// reaches its phone exactly once, however often the sweep runs.
func TestNothingIsLostBetweenAWriteAndItsQueue(t *testing.T) {
	ctx := context.Background()
	for _, how := range []string{"down", "lost"} {
		t.Run(how, func(t *testing.T) {
			w := newSendWorld(t)
			var helpID, activationID string
			var aP auth.Principal
			cases := []struct {
				name            string
				phone, template string
				change          func(t *testing.T)
			}{
				{"a notice's fan-out", residentPhone, "notice", func(t *testing.T) {
					_, err := w.root.Notices().Create(ctx, w.staff, "c1", notices.NoticeInput{Title: "停水通知", Body: "明日停水",
						Audience: notices.Audience{All: true}, Channels: []string{"sms"}})
					if err != nil {
						t.Fatal(err)
					}
				}},
				{"a fever", staffPhone, "fever_alert", func(t *testing.T) {
					if _, err := w.root.Notices().Report(ctx, w.resident, "", 38.6, nil); err != nil {
						t.Fatal(err)
					}
				}},
				{"a help request", staffPhone, "help_new", func(t *testing.T) {
					r, err := w.root.Help().Create(ctx, w.resident, help.Input{Kind: help.KindMedicalVisit})
					if err != nil {
						t.Fatal(err)
					}
					helpID = r.ID
				}},
				{"a claim", residentPhone, "help_claimed", func(t *testing.T) {
					if _, err := w.root.Help().Claim(ctx, w.staff, helpID); err != nil {
						t.Fatal(err)
					}
				}},
				{"an order's news", residentPhone, "order_update", func(t *testing.T) {
					s := w.root.Supplies()
					m, err := s.CreateMerchant(ctx, w.staff, "c1", supplies.MerchantInput{Name: "超市", Phone: "0931-8888888"})
					if err != nil {
						t.Fatal(err)
					}
					name, unit, price, stock, limit := "大米", "袋", 5000, 10, 0
					it, err := s.CreateItem(ctx, w.staff, "c1", supplies.ItemInput{Name: &name, Unit: &unit, PriceFen: &price, MerchantID: &m.ID,
						Stock: &stock, LimitPerHousehold: &limit})
					if err != nil {
						t.Fatal(err)
					}
					o, err := s.PlaceOrder(ctx, w.resident, "c1", supplies.OrderInput{Lines: []supplies.OrderLineInput{{ItemID: it.ID, Quantity: 1}}}, "")
					if err != nil {
						t.Fatal(err)
					}
					if _, err := s.SetStatus(ctx, w.staff, o.ID, supplies.StatusInput{Status: supplies.StatusAccepted}); err != nil {
						t.Fatal(err)
					}
				}},
				{"an approval", aPhone, "volunteer_approved", func(t *testing.T) { w.volunteer(t, "va", aPhone) }},
				{"an activation", aPhone, "volunteer_call", func(t *testing.T) {
					w.q.down.Store(false) // the B's approval is not what this case counts
					w.q.lost.Store(false)
					w.volunteer(t, "vb", bPhone)
					w.q.down.Store(how == "down")
					w.q.lost.Store(how == "lost")
					v := w.root.Volunteers()
					now := time.Now()
					post, err := v.CreatePost(ctx, w.staff, "c1", volunteers.PostInput{Kind: "checkpoint", Name: "卡口", Skills: []string{},
						Shifts: []volunteers.ShiftInput{{StartsAt: now.Add(-time.Hour), EndsAt: now.Add(3 * time.Hour), Need: 1}}})
					if err != nil {
						t.Fatal(err)
					}
					for id, role := range map[string]string{"va": "A", "vb": "B"} {
						if _, err := v.Assign(ctx, w.staff, post.ID, volunteers.AssignInput{VolunteerID: id, ShiftID: post.Shifts[0].ID, Role: role}); err != nil {
							t.Fatal(err)
						}
					}
					act, err := v.Activate(ctx, w.staff, "c1", volunteers.ActivationInput{Scope: volunteers.Scope{All: true}})
					if err != nil {
						t.Fatal(err)
					}
					activationID = act.ID
				}},
				{"a backup's call", bPhone, "volunteer_backup", func(t *testing.T) {
					acct, err := w.st.AccountByPhone(ctx, aPhone)
					if err != nil {
						t.Fatal(err)
					}
					aP = acct.Principal
					if _, err := w.root.Volunteers().Respond(ctx, aP, activationID, "decline"); err != nil {
						t.Fatal(err)
					}
					m, err := w.root.EveryMinute(ctx, time.Now())
					if m.Called != 1 {
						t.Fatalf("the job called %d backups (%v), want 1", m.Called, err)
					}
				}},
				{"a keyword's answer", residentPhone, "reply_keywords", func(t *testing.T) {
					in := dispatch.InboundSMS{From: residentPhone, Text: "你好", Key: "sms-" + how, At: time.Now()}
					if err := w.root.Flow().Handle(ctx, in); err != nil {
						t.Fatal(err)
					}
				}},
				{"a closure", residentPhone, "booking_moved", func(t *testing.T) {
					w.q.down.Store(false)
					w.q.lost.Store(false)
					b := w.root.Booking()
					now := time.Now()
					round, err := b.CreateRound(ctx, w.staff, "c1", booking.RoundInput{Name: "第1轮", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(6 * time.Hour),
						SlotMinutes: 30, AllowPastStart: true})
					if err != nil {
						t.Fatal(err)
					}
					east, slots, err := b.AddSite(ctx, w.staff, round.ID, booking.SiteInput{Name: "东门", Lanes: 1, PerLanePerSlot: 5})
					if err != nil {
						t.Fatal(err)
					}
					if _, _, err := b.AddSite(ctx, w.staff, round.ID, booking.SiteInput{Name: "西门", Lanes: 1, PerLanePerSlot: 5}); err != nil {
						t.Fatal(err)
					}
					if _, err := b.Book(ctx, w.resident, round.ID, slots[len(slots)-1].ID, []string{w.resident.ResidentID}, ""); err != nil {
						t.Fatal(err)
					}
					w.q.down.Store(how == "down")
					w.q.lost.Store(how == "lost")
					out, err := b.CloseSite(ctx, w.staff, east.ID, true, "")
					if err != nil || len(out.Moved) != 1 {
						t.Fatalf("closure %+v %v", out, err)
					}
				}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					before := w.sent(c.phone, c.template)
					w.q.down.Store(how == "down")
					w.q.lost.Store(how == "lost")
					c.change(t)
					w.q.down.Store(false)
					w.q.lost.Store(false)
					if how == "down" {
						if n := w.sent(c.phone, c.template) - before; n != 0 {
							t.Fatalf("%d sent while the queue was down", n)
						}
					}
					// The next minute's jobs sweep what the change left, and
					// a second sweep (or a run twice) sends nothing again.
					for i := 1; i <= 2; i++ {
						if _, err := w.root.EveryMinute(ctx, time.Now().Add(time.Duration(i)*time.Minute)); err != nil {
							t.Fatal(err)
						}
						if n := w.sent(c.phone, c.template) - before; n != 1 {
							t.Fatalf("after sweep %d: %s got %d %s, want exactly 1", i, c.phone, n, c.template)
						}
					}
				})
			}
			// The sweeps leave no record behind (a closure's batch, marked
			// sent, is deleted by them too).
			if _, err := w.root.EveryMinute(ctx, time.Now().Add(3*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if left, err := w.st.DuePending(ctx, time.Now().Add(time.Hour), 100); err != nil || len(left) != 0 {
				t.Errorf("%d pending records left after the sweeps (%v)", len(left), err)
			}
		})
	}
}
