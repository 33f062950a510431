package notices_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

// virtualClock lets the pacer's waits pass at once while real work still
// takes its real time: now = start + real time elapsed + all waits so far.
type virtualClock struct {
	mu    sync.Mutex
	start time.Time
	slept time.Duration
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(time.Since(c.start) + c.slept)
}

func (c *virtualClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	c.slept += d
	c.mu.Unlock()
	return nil
}

// batchSender is the outbox taking at most batch phones a call, counting
// the calls: batch 1 is End User Messaging's SendTextMessage, 200 Tencent
// Cloud's SendSms.
type batchSender struct {
	*sms.Outbox
	batch int

	mu    sync.Mutex
	calls int
}

func (s *batchSender) MaxBatch() int { return s.batch }

func (s *batchSender) SendBatch(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	return s.Outbox.SendBatch(ctx, to, m)
}

// fanoutRun is one notice sent to every demo phone with a sender of a batch.
type fanoutRun struct {
	answered, enqueued, wall, fanout time.Duration
	recipients, queueMessages        int
	sqsCalls, providerCalls, parts   int
}

func runFanout(b *testing.B, st *store.Store, batch int, rate float64) fanoutRun {
	ctx := context.Background()
	staff := auth.Principal{UserID: "u-demo-staff", Role: manifest.RoleStaff, CommunityID: demo.CommunityID}.Normalized()
	// Two queues so the phases can be timed apart: the notice's fan-out job,
	// then the send messages it queues (one queue in the stack).
	jobs, sends := queue.NewLocal(5, 10, time.Second), queue.NewLocal(5, 10, time.Second)
	sender := &batchSender{Outbox: &sms.Outbox{Signature: "防线", Now: time.Now}, batch: batch}
	clock := &virtualClock{}
	svc := app.Local(st, jobs, sender, time.Now).Notices()
	consumer := app.Local(st, sends, sender, time.Now)
	consumer.Texter().Pacer = &dispatch.Pacer{PartsPerSecond: rate, Now: clock.Now, Sleep: clock.Sleep}
	d := consumer.Consumer()
	in := notices.NoticeInput{Title: "全员核酸检测通知", Urgent: true, Channels: []string{"app", "sms"}, Audience: notices.Audience{All: true},
		Body: "明日8:00至12:00全员核酸检测，请按楼栋时段到指定采样点，佩戴口罩、保持一米距离，携带手机以便扫码登记。"}

	var r fanoutRun
	t0 := time.Now()
	n, err := svc.Create(ctx, staff, demo.CommunityID, in)
	if err != nil {
		b.Fatal(err)
	}
	r.answered = time.Since(t0)
	t1 := time.Now()
	jobs.Drain(ctx, d.Handle)
	r.enqueued = time.Since(t1)
	r.queueMessages, r.sqsCalls = sends.Len(), sends.Calls()

	clock.start = time.Now()
	t2 := time.Now()
	sends.Drain(ctx, d.Handle)
	r.wall, r.fanout = time.Since(t2), clock.Now().Sub(clock.start)

	rep, err := svc.Delivery(ctx, staff, n.ID)
	if err != nil {
		b.Fatal(err)
	}
	r.recipients, r.providerCalls = rep.Queued, sender.calls
	if rep.Sent != rep.Queued || len(sends.Dead()) != 0 || len(sender.All()) != rep.Queued {
		b.Fatalf("batch %d: sent %d of %d (outbox %d, dead %d)", batch, rep.Sent, rep.Queued, len(sender.All()), len(sends.Dead()))
	}
	msg, err := sms.Notice(in.Title, in.Urgent)
	if err != nil {
		b.Fatal(err)
	}
	r.parts = msg.Parts("防线")
	return r
}

// BenchmarkFanout sends a notice by SMS to all demo residents (about 6,700
// phones in 40 buildings) through the real queue consumer and store, twice
// side by side: with a sender that takes one phone a call (AWS End User
// Messaging) and one that takes 200 (Tencent Cloud), both held to 10
// message parts per second. The pacer runs on a virtual clock (its waits
// pass at once, real work still counts), so the 10-part/s fan-out, over 11
// minutes of wall time, is measured in well under one.
//
//	go test -run '^$' -bench Fanout -benchtime 1x ./shared/notices/
func BenchmarkFanout(b *testing.B) {
	ctx := context.Background()
	db, table := dynamolocal.NewTable(b)
	st := &store.Store{DB: db, Table: table}
	if _, _, err := demo.Seed(ctx, app.Local(st, nil, &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now), time.Now()); err != nil {
		b.Fatal(err)
	}
	const rate = 10.0
	for range b.N {
		one := runFanout(b, st, 1, rate)
		many := runFanout(b, st, 200, rate)
		floor := time.Duration(float64(many.recipients*many.parts) / rate * float64(time.Second))
		b.ReportMetric(many.answered.Seconds()*1000, "create-answer-ms")
		b.ReportMetric(float64(many.recipients), "recipients")
		b.ReportMetric(float64(many.parts), "parts/message")
		b.ReportMetric(many.enqueued.Seconds(), "enqueue-s")
		b.ReportMetric(float64(one.queueMessages), "queue-messages@batch1")
		b.ReportMetric(float64(many.queueMessages), "queue-messages@batch200")
		b.ReportMetric(float64(one.providerCalls), "provider-calls@batch1")
		b.ReportMetric(float64(many.providerCalls), "provider-calls@batch200")
		b.ReportMetric(float64(one.providerCalls)/float64(many.providerCalls), "calls-batch1/batch200")
		b.ReportMetric(one.wall.Seconds(), "send-work-s@batch1")
		b.ReportMetric(many.wall.Seconds(), "send-work-s@batch200")
		b.ReportMetric(one.wall.Seconds()/many.wall.Seconds(), "work-batch1/batch200")
		b.ReportMetric(many.fanout.Seconds(), "fanout-s@10parts/s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(one.fanout.Seconds()/floor.Seconds(), "fanout/floor@batch1")
		b.ReportMetric(many.fanout.Seconds()/floor.Seconds(), "fanout/floor@batch200")
	}
}
