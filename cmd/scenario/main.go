// Command scenario plays a day of the outbreak against a running stack and
// reports it (Markdown and JSON); it fails when an invariant broke:
//
//	go run ./cmd/scenario -base http://localhost:8080          # against make run
//	go run ./cmd/scenario -speed 120 -households 600 -drill    # faster, smaller, as a drill
//	go run ./cmd/scenario -base https://… -drill -staff-token … -admin-token …   # a deployed stack: a drill, staff book for everyone
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/fangxian/fangxian/internal/scenario"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scenario:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var c scenario.Config
	var dir string
	fs := flag.NewFlagSet("scenario", flag.ContinueOnError)
	fs.StringVar(&c.Base, "base", "http://localhost:8080", "base URL of the API (make run)")
	fs.Float64Var(&c.Speed, "speed", 60, "scenario seconds per second: 60 plays an hour in a minute")
	fs.BoolVar(&c.Drill, "drill", false, "play the day as a drill (演练): no SMS may reach a phone")
	fs.IntVar(&c.Households, "households", 0, "households that take part (0: every one with a phone)")
	fs.IntVar(&c.Clients, "clients", 32, "concurrent clients")
	fs.Float64Var(&c.SMSShare, "sms-share", 0.15, "share of households that book by SMS only")
	fs.Float64Var(&c.SMSPriceUSD, "sms-price-usd", 0, "price of an SMS part, for the costs (0: not priced)")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of the day's randomness")
	fs.StringVar(&dir, "out", filepath.Join(".cache", "scenario"), "directory for scenario.md and scenario.json (docs/ holds the committed one: give -out docs to replace it)")
	fs.StringVar(&c.StaffToken, "staff-token", "", "a staff token of the demo community (a deployed stack)")
	fs.StringVar(&c.AdminToken, "admin-token", "", "a token of its street's admin (a deployed stack)")
	fs.BoolVar(&c.Remote, "remote", false, "play the base as a deployed stack, without /dev routes (implied by a base not on this machine)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.Progress = out
	rep, err := scenario.Run(ctx, c)
	if rep != nil {
		if werr := write(dir, rep); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "report: %s (English: %s), %s\n", filepath.Join(dir, "scenario.md"), filepath.Join(dir, "scenario.en.md"), filepath.Join(dir, "scenario.json"))
	if broken := rep.Broken(); len(broken) > 0 {
		for _, b := range broken {
			fmt.Fprintf(out, "BROKEN: %s (%s)\n", b.Name, b.Detail)
		}
		return fmt.Errorf("%d invariants broken", len(broken))
	}
	return nil
}

func write(dir string, rep *scenario.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The committee's report in Chinese, an English copy beside it.
	for name, lang := range map[string]string{"scenario.md": scenario.Chinese, "scenario.en.md": scenario.English} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		rep.Markdown(f, lang)
		if err := f.Close(); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "scenario.json"), append(b, '\n'), 0o644)
}
