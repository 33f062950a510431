package dispatch_test

import (
	"context"
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
