package volunteers_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

// BenchmarkActivation activates 500 A volunteers (50 posts, one shift of
// 10 each, a B for every A) through the real service, store and queue:
//
//   - the time until every first call is on the queue (the activation
//     answers after queuing them), the queue calls and messages it took,
//     and the work of sending them all (the dispatcher, paced at 1,000
//     parts a second so the figure is the work, not the pace);
//
//   - backup precision: nobody answers; the backup job runs on the minute,
//     as EventBridge's rate(1 minute) does, from an activation at :37 past;
//     each B is asked at the first run after its A's deadline. The figure
//     is how late after the deadline, including the run's own time for 500
//     backups (target: within one scheduler period, 60 s).
//
//     go test -run '^$' -bench Activation -benchtime 1x ./shared/volunteers/
func BenchmarkActivation(b *testing.B) {
	ctx := context.Background()
	db, table := dynamolocal.NewTable(b)
	st := &store.Store{DB: db, Table: table}
	dynamolocal.SeedCommunity(b, st, "s1", "c1", "13900000000")
	if err := st.CreateStaff(ctx, registry.Staff{ID: "u-s", Name: "工作人员", Phone: staffPhone, CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		b.Fatal(err)
	}
	staff := auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	start := time.Date(2026, 12, 1, 7, 0, 37, 0, time.UTC)
	c := &clock{t: start}
	q := queue.NewLocal(5, 10, time.Millisecond)
	outbox := &sms.Outbox{Signature: "防线", Now: time.Now}
	root := app.Local(st, q, outbox, c.Now)
	svc, dispatch := root.Volunteers(), root.Consumer()
	const posts, need = 50, 10
	n := 0
	for p := 0; p < posts; p++ {
		post, err := svc.CreatePost(ctx, staff, "c1", volunteers.PostInput{Kind: "checkpoint", Name: fmt.Sprintf("%d号卡口", p+1),
			Shifts: []volunteers.ShiftInput{{StartsAt: start.Add(time.Hour), EndsAt: start.Add(5 * time.Hour), Need: need}}})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 2*need; i++ {
			v := volunteers.Volunteer{ID: fmt.Sprintf("v%04d", n), CommunityID: "c1", Name: fmt.Sprintf("志愿者%d", n), Phone: fmt.Sprintf("1360%07d", n),
				Category: "individual", Skills: []string{}, Availability: []volunteers.Window{}, Status: volunteers.StatusPending, CreatedAt: start}
			n++
			if err := st.CreateVolunteer(ctx, v); err != nil {
				b.Fatal(err)
			}
			if _, err := svc.Decide(ctx, staff, v.ID, volunteers.StatusApproved); err != nil {
				b.Fatal(err)
			}
			role := volunteers.RoleA
			if i >= need {
				role = volunteers.RoleB
			}
			if _, err := svc.Assign(ctx, staff, post.ID, volunteers.AssignInput{VolunteerID: v.ID, ShiftID: "s1", Role: role}); err != nil {
				b.Fatal(err)
			}
		}
	}
	q.Drain(ctx, dispatch.Handle) // the approvals' SMS went straight out; nothing queued yet
	callsBefore := q.Calls()
	for range b.N {
		t0 := time.Now()
		act, err := svc.Activate(ctx, staff, "c1", volunteers.ActivationInput{Scope: volunteers.Scope{All: true}})
		queued := time.Since(t0)
		if err != nil || act.Asked != posts*need {
			b.Fatalf("activate: %d asked, %v", act.Asked, err)
		}
		messages, calls := q.Len(), q.Calls()-callsBefore
		t1 := time.Now()
		q.Drain(ctx, dispatch.Handle)
		sendWork := time.Since(t1)
		sent := 0
		for _, m := range outbox.All() {
			if m.Template == "volunteer_call" {
				sent++
			}
		}
		if sent != posts*need {
			b.Fatalf("%d calls sent, want %d", sent, posts*need)
		}

		// Nobody answers: the job runs on the minute.
		deadline := act.CreatedAt.Add(time.Duration(act.Minutes) * time.Minute)
		var lags []time.Duration
		var runWork time.Duration
		tick := start.Truncate(time.Minute).Add(time.Minute)
		for called := 0; called < posts*need; tick = tick.Add(time.Minute) {
			c.t = tick
			r0 := time.Now()
			got, _, err := svc.Backups(ctx, tick)
			took := time.Since(r0)
			if err != nil {
				b.Fatal(err)
			}
			if got > 0 {
				runWork = took
				for i := 0; i < got; i++ {
					lags = append(lags, tick.Sub(deadline)+took)
				}
			}
			called += got
			if tick.Sub(start) > time.Hour {
				b.Fatalf("only %d backups called after an hour", called)
			}
		}
		sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
		b.ReportMetric(float64(act.Asked), "asked")
		b.ReportMetric(queued.Seconds()*1000, "all-queued-ms")
		b.ReportMetric(float64(calls), "queue-calls")
		b.ReportMetric(float64(messages), "queue-messages")
		b.ReportMetric(sendWork.Seconds()*1000, "send-work-ms")
		b.ReportMetric(runWork.Seconds()*1000, "backup-run-ms")
		b.ReportMetric(lags[0].Seconds(), "backup-lag-min-s")
		b.ReportMetric(lags[len(lags)-1].Seconds(), "backup-lag-max-s")
		b.ReportMetric(lags[len(lags)-1].Seconds()/60, "lag/period")
	}
}
