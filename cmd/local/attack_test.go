package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/attack"
)

// TestAttacksAreRefusedEveryRun plays cmd/attack three times in a row
// against one fresh stack: every attack is refused every time, and the
// verdicts are the same each run (what one run leaves in the hour's windows
// does not change the next one's).
func TestAttacksAreRefusedEveryRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := startLocal(t, ctx, config{Addr: "127.0.0.1:0", Table: "attack-test", Endpoint: os.Getenv("DYNAMODB_ENDPOINT"), LogLevel: slog.LevelError}, 2*time.Minute)
	var first []bool
	for run := 1; run <= 3; run++ {
		rs, err := attack.Run(ctx, attack.Defaults(base), io.Discard)
		if err != nil {
			for _, r := range rs {
				if !r.Refused {
					t.Errorf("run %d: got through: %s %s — %s", run, r.Item, r.Attack, r.Outcome)
				}
			}
			t.Fatalf("run %d: %v", run, err)
		}
		verdicts := make([]bool, len(rs))
		for i, r := range rs {
			verdicts[i] = r.Refused
		}
		if first == nil {
			first = verdicts
		} else if !slices.Equal(first, verdicts) {
			t.Fatalf("run %d's verdicts %v differ from the first's %v", run, verdicts, first)
		}
	}
	cancel()
	<-done
}
