package dispatch_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/dispatch"
)

func TestPacerHoldsTheRate(t *testing.T) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	var slept time.Duration
	p := &dispatch.Pacer{PartsPerSecond: 10, Now: func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error { slept = d; return nil }}
	// 25 messages of 2 parts at 10 parts/s: the last may start after 4.8 s.
	for range 25 {
		if err := p.Wait(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
	}
	if slept != 4800*time.Millisecond {
		t.Fatalf("the 25th message waited %v, want 4.8s", slept)
	}
}

type recorded struct{ bodies []string }

func (r *recorded) SendBatch(_ context.Context, bodies []string) error {
	r.bodies = append(r.bodies, bodies...)
	return nil
}

type nothingPending struct{ dispatch.PendingStore }

func (nothingPending) DonePending(context.Context, []dispatch.Pending) error { return nil }

// TestFlushKeepsEachCommunitysTexts: texts of two communities flushed
// together are packed into full messages again, but never into one
// message: each is spent for its own community.
func TestFlushKeepsEachCommunitysTexts(t *testing.T) {
	ctx, now := context.Background(), time.Now()
	texts := func(n int) []dispatch.Text {
		out := make([]dispatch.Text, n)
		for i := range out {
			out[i] = dispatch.Text{Key: "k", Phone: "13700000001", Template: "t"}
		}
		return out
	}
	q := &recorded{}
	o := &dispatch.Outbox{Queue: q, Store: nothingPending{}}
	if n := o.Flush(ctx, dispatch.PendingTexts(ctx, now, "c1", texts(3)), dispatch.PendingTexts(ctx, now, "c2", texts(30)),
		dispatch.PendingTexts(ctx, now, "c1", texts(4))); n != 3 {
		t.Fatalf("flushed %d records", n)
	}
	got := map[string][]int{}
	for _, b := range q.bodies {
		var m dispatch.Message
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			t.Fatal(err)
		}
		got[m.CommunityID] = append(got[m.CommunityID], len(m.Texts))
	}
	want := map[string][]int{"c1": {7}, "c2": {dispatch.TextsPerMessage, 30 - dispatch.TextsPerMessage}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("messages by community %v, want %v", got, want)
	}
}
