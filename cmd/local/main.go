// Command local runs the whole Fangxian stack on one machine: DynamoDB Local
// (unless DYNAMODB_ENDPOINT names a running one), the table built from the
// same definition as the CDK stack, and every HTTP function of the manifest
// on http://localhost:8080 (PORT changes it). `make run` starts it; Ctrl-C
// stops everything it started.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/health"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/openapi"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, configFromEnv(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

type config struct {
	Addr     string
	Table    string
	Endpoint string // empty: start DynamoDB Local
	DataDir  string // empty: in memory
	LogLevel slog.Level
}

func configFromEnv() config {
	c := config{
		Addr:     "127.0.0.1:" + envOr("PORT", "8080"),
		Table:    envOr("TABLE_NAME", "fangxian-local"),
		Endpoint: os.Getenv("DYNAMODB_ENDPOINT"),
		DataDir:  os.Getenv("FANGXIAN_DATA_DIR"),
		LogLevel: slog.LevelWarn,
	}
	_ = c.LogLevel.UnmarshalText([]byte(os.Getenv("LOG_LEVEL")))
	return c
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// run serves until ctx ends, then stops what it started.
func run(ctx context.Context, c config, out *os.File) error {
	log := logging.New(os.Stderr, c.LogLevel)
	endpoint := c.Endpoint
	if endpoint == "" {
		fmt.Fprintln(out, "starting DynamoDB Local …")
		srv, err := dynamolocal.Start(ctx, dynamolocal.Options{DataDir: c.DataDir})
		if err != nil {
			return err
		}
		defer func() {
			srv.Stop()
			fmt.Fprintln(out, "DynamoDB Local stopped")
		}()
		endpoint = srv.Endpoint
	}
	db := store.NewClient(store.Config{TableName: c.Table, Region: "cn-northwest-1", Endpoint: endpoint})
	if err := store.CreateTable(ctx, db, c.Table); err != nil {
		return err
	}

	var ready atomic.Bool
	deps := deps{
		pinger: store.Pinger{DB: db, Table: c.Table},
		ready: func() error {
			if !ready.Load() {
				return errors.New("still seeding")
			}
			return nil
		},
	}
	handlers := httpapi.Handlers{}
	for _, fn := range manifest.Functions {
		h, err := functionHandlers(fn.Name, deps)
		if err != nil {
			return err
		}
		handlers = httpapi.Merge(handlers, h)
	}
	api, err := httpapi.NewRouter(manifest.Routes(manifest.Functions), handlers, httpapi.Options{Logger: log})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set PORT to use another port)", c.Addr, err)
	}
	server := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()

	ready.Store(true)
	printBanner(out, ln.Addr().String(), endpoint, c)

	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	fmt.Fprintln(out, "\nstopping …")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return server.Shutdown(shutdown)
}

// deps are what the functions' handlers need, built once for all of them.
type deps struct {
	pinger health.Pinger
	ready  health.ReadyFunc
}

// functionHandlers wires each function the way its functions/<name>/main.go does.
func functionHandlers(name string, d deps) (httpapi.Handlers, error) {
	switch name {
	case "system":
		return httpapi.Merge(health.Handlers(d.pinger, d.ready), openapi.Handlers()), nil
	}
	return nil, fmt.Errorf("function %q of the manifest is not wired in cmd/local", name)
}

func printBanner(out *os.File, addr, endpoint string, c config) {
	base := "http://" + strings.Replace(addr, "127.0.0.1", "localhost", 1)
	storage := "in memory (gone when this stops; set FANGXIAN_DATA_DIR to keep it)"
	if c.DataDir != "" {
		storage = "kept in " + c.DataDir
	}
	fmt.Fprintf(out, `
Fangxian is running on %s
  DynamoDB   %s, table %s, %s
  functions  %d, routes %d

Try:
  curl %s/v1/health
  curl %s/v1/openapi.json

Ctrl-C stops everything.
`, base, endpoint, c.Table, storage, len(manifest.Functions), len(manifest.Routes(manifest.Functions)), base, base)
}
