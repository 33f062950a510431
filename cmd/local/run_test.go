package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"testing"
	"time"
)

// TestRunServesAndStops starts the local runner on a free port against the
// test's DynamoDB Local, waits for health, and stops it with its context, as
// Ctrl-C does.
func TestRunServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := startLocal(t, ctx, config{Addr: "127.0.0.1:0", Table: "run-test", Endpoint: os.Getenv("DYNAMODB_ENDPOINT"), NoSeed: true, LogLevel: slog.LevelError}, 30*time.Second)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	if _, err := http.Get(base + "/v1/health"); err == nil {
		t.Fatal("still serving after stop")
	}
}

// startLocal runs the local runner with c until ctx ends, and answers
// where it serves once /v1/health says 200 (within wait), and the channel
// run's end arrives on.
func startLocal(t *testing.T, ctx context.Context, c config, wait time.Duration) (string, chan error) {
	t.Helper()
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, c, w)
		w.Close()
	}()
	base := ""
	lines := bufio.NewScanner(r)
	serving := regexp.MustCompile(`serving on (http://\S+);`)
	for lines.Scan() {
		if m := serving.FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatal("the runner never said where it serves")
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	deadline := time.Now().Add(wait)
	for {
		resp, err := http.Get(base + "/v1/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, done
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 200 from %s/v1/health: %v", base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
