package notices_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/auth"
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

// BenchmarkFanout sends a notice by SMS to all demo residents (about 6,800
// phones in 40 buildings) through the real queue consumer and store, with a
// sender held to 10 message parts per second. The pacer runs on a virtual
// clock (its waits pass at once, real work still counts), so the 10-part/s
// fan-out, over 20 minutes of wall time, is measured in well under one.
//
//	go test -run '^$' -bench Fanout -benchtime 1x ./shared/notices/
func BenchmarkFanout(b *testing.B) {
	ctx := context.Background()
	db, table := dynamolocal.NewTable(b)
	st := &store.Store{DB: db, Table: table}
	if _, _, err := demo.Seed(ctx, st, time.Now()); err != nil {
		b.Fatal(err)
	}
	staff := auth.Principal{UserID: "u-demo-staff", Role: manifest.RoleStaff, CommunityID: demo.CommunityID}.Normalized()
	const rate = 10.0
	for range b.N {
		// Two queues so the phases can be timed apart: the notice's fan-out
		// job, then the per-phone messages it queues (one queue in the stack).
		jobs, sends := queue.NewLocal(5, 10, time.Second), queue.NewLocal(5, 10, time.Second)
		outbox := &sms.Outbox{Signature: "防线", Now: time.Now}
		clock := &virtualClock{}
		pacer := &notices.Pacer{PartsPerSecond: rate, Now: clock.Now, Sleep: clock.Sleep}
		svc := &notices.Service{Store: st, Readings: st, Directory: st, Queue: jobs, Now: time.Now}
		d := &notices.Dispatcher{Store: st, Directory: st, Staff: st, Queue: sends, Sender: outbox, Signature: "防线", Pacer: pacer}
		in := notices.NoticeInput{Title: "全员核酸检测通知", Urgent: true, Channels: []string{"app", "sms"}, Audience: notices.Audience{All: true},
			Body: "明日8:00至12:00全员核酸检测，请按楼栋时段到指定采样点，佩戴口罩、保持一米距离，携带手机以便扫码登记。"}

		t0 := time.Now()
		n, err := svc.Create(ctx, staff, demo.CommunityID, in)
		if err != nil {
			b.Fatal(err)
		}
		answered := time.Since(t0)
		t1 := time.Now()
		jobs.Drain(ctx, d.Handle)
		enqueued := time.Since(t1)
		recipients := sends.Len()

		clock.start = time.Now()
		sends.Drain(ctx, d.Handle)
		fanout := clock.Now().Sub(clock.start)

		rep, err := svc.Delivery(ctx, staff, n.ID)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Sent != recipients || len(sends.Dead()) != 0 || len(outbox.All()) != recipients {
			b.Fatalf("sent %d of %d (outbox %d, dead %d)", rep.Sent, recipients, len(outbox.All()), len(sends.Dead()))
		}
		msg, err := sms.Notice(in.Title, in.Urgent)
		if err != nil {
			b.Fatal(err)
		}
		parts := msg.Parts(outbox.Signature)
		floor := time.Duration(float64(recipients*parts) / rate * float64(time.Second))
		b.ReportMetric(answered.Seconds()*1000, "create-answer-ms")
		b.ReportMetric(enqueued.Seconds(), "enqueue-s")
		b.ReportMetric(float64(sends.Calls()), "sqs-send-calls")
		b.ReportMetric(float64(recipients), "recipients")
		b.ReportMetric(float64(parts), "parts/message")
		b.ReportMetric(fanout.Seconds(), "fanout-s@10parts/s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(fanout.Seconds()/floor.Seconds(), "fanout/floor")
	}
}
