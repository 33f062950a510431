package smsflow_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

// BenchmarkInbound opens a round by SMS: 2,000 households of the demo
// community text 预约 1 (for the phone's own person: a household phone
// with members who have none is asked which, and a third of the demo's
// are) at once (16 at a time, as the dispatch queue's
// consumers would take them) into a round with fewer places than that,
// through the keyword flow, the real services and store. It reports the
// handler's time per message, the DynamoDB requests each keyword takes,
// and checks that no slot took more than its capacity.
//
//	go test -run '^$' -bench Inbound -benchtime 1x -timeout 30m ./shared/smsflow/
func BenchmarkInbound(b *testing.B) {
	ctx := context.Background()
	raw, table := dynamolocal.NewTable(b)
	db := &dynamolocal.Counting{DB: raw}
	st := &store.Store{DB: db, Table: table}
	if _, _, err := demo.Seed(ctx, app.Local(st, nil, &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now), time.Now()); err != nil {
		b.Fatal(err)
	}
	staff := auth.Principal{UserID: "u-demo-staff", Role: manifest.RoleStaff, CommunityID: demo.CommunityID}.Normalized()
	q := queue.NewLocal(5, 10, time.Millisecond)
	outbox := &sms.Outbox{Signature: "防线", Now: time.Now}
	root := app.Local(st, q, outbox, time.Now)
	bookings, flow := root.Booking(), root.Flow()
	now := time.Now()
	round, err := bookings.CreateRound(ctx, staff, demo.CommunityID, booking.RoundInput{Name: "短信开约", StartsAt: now.Add(time.Hour),
		EndsAt: now.Add(5 * time.Hour), SlotMinutes: 30})
	if err != nil {
		b.Fatal(err)
	}
	capacity := 0
	for _, site := range []string{"东门", "西门"} {
		_, slots, err := bookings.AddSite(ctx, staff, round.ID, booking.SiteInput{Name: site, Lanes: 2, PerLanePerSlot: 50})
		if err != nil {
			b.Fatal(err)
		}
		for _, sl := range slots {
			capacity += sl.Capacity
		}
	}
	// 2,000 household phones.
	var phones []string
	bs, _, err := st.Buildings(ctx, demo.CommunityID, "", 100)
	if err != nil {
		b.Fatal(err)
	}
	for _, bl := range bs {
		hs, err := st.BuildingHouseholds(ctx, bl.ID)
		if err != nil {
			b.Fatal(err)
		}
		for _, h := range hs {
			if h.ContactPhone != "" && len(phones) < 2000 {
				phones = append(phones, h.ContactPhone)
			}
		}
	}
	const workers = 16
	for range b.N {
		db.Reset()
		durations := make([]time.Duration, len(phones))
		var wg sync.WaitGroup
		next := make(chan int)
		t0 := time.Now()
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					s := time.Now()
					err := flow.Handle(ctx, dispatch.InboundSMS{From: phones[i], Text: "预约 1", Key: fmt.Sprintf("bench-%d", i), At: s})
					durations[i] = time.Since(s)
					if err != nil {
						b.Errorf("%s: %v", phones[i], err)
					}
				}
			}()
		}
		for i := range phones {
			next <- i
		}
		close(next)
		wg.Wait()
		wall := time.Since(t0)
		bookRequests := float64(db.Total()) / float64(len(phones))

		slots, err := st.Slots(ctx, round.ID)
		if err != nil {
			b.Fatal(err)
		}
		booked, oversold := 0, 0
		for _, sl := range slots {
			booked += sl.Booked
			if sl.Booked > sl.Capacity {
				oversold += sl.Booked - sl.Capacity
			}
		}
		sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
		// Every message was answered: a booking or the reason there is none.
		root.Texter().Pacer = dispatch.NewPacer(1e6)
		q.Drain(ctx, root.Consumer().Handle)
		answers := map[string]int{}
		for _, m := range outbox.All() {
			answers[m.Template+" "+m.Params["reason"]]++
		}
		b.Logf("answers: %v", answers)

		// Requests of the other keywords, 50 messages each.
		per := map[string]float64{}
		for _, kw := range []string{"查询", "体温 36.5", "订", "取消", "你好"} {
			db.Reset()
			for i := 0; i < 50; i++ {
				if err := flow.Handle(ctx, dispatch.InboundSMS{From: phones[i], Text: kw, Key: fmt.Sprintf("bench-%s-%d", kw, i), At: time.Now()}); err != nil {
					b.Fatal(err)
				}
			}
			per[kw] = float64(db.Total()) / 50
		}

		b.ReportMetric(float64(len(phones)), "messages")
		b.ReportMetric(float64(capacity), "places")
		b.ReportMetric(float64(booked), "booked")
		b.ReportMetric(float64(oversold), "oversold")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(durations[len(durations)/2].Milliseconds()), "handle-p50-ms")
		b.ReportMetric(float64(durations[len(durations)*99/100].Milliseconds()), "handle-p99-ms")
		b.ReportMetric(bookRequests, "requests/预约")
		b.ReportMetric(per["查询"], "requests/查询")
		b.ReportMetric(per["体温 36.5"], "requests/体温")
		b.ReportMetric(per["订"], "requests/订(menu)")
		b.ReportMetric(per["取消"], "requests/取消")
		b.ReportMetric(per["你好"], "requests/other")
		if booked != min(capacity, len(phones)) || oversold != 0 {
			b.Errorf("booked %d of %d places for %d messages, %d oversold", booked, capacity, len(phones), oversold)
		}
	}
}
