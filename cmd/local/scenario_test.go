package main

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/scenario"
)

// TestScenarioDay plays the outbreak's day (cmd/scenario) against the local
// runner with the demo seeded, small and fast, once for real and once as a
// drill: every phase runs, every invariant holds.
func TestScenarioDay(t *testing.T) {
	t.Parallel() // its own table: it runs beside the others
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := startLocal(t, ctx, config{Addr: "127.0.0.1:0", Table: "scenario-test", Endpoint: os.Getenv("DYNAMODB_ENDPOINT"), LogLevel: slog.LevelError}, 2*time.Minute)
	api := apiclient.New(base, 1)
	staff, err := api.SignIn(ctx, demo.StaffPhone)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := api.SignIn(ctx, demo.AdminPhone)
	if err != nil {
		t.Fatal(err)
	}
	// As a deployed stack is played: a drill, staff's tokens, no /dev routes.
	remote, err := scenario.Run(ctx, scenario.Config{Base: base, Speed: 3600, Households: 60, Clients: 16, Drill: true, Remote: true,
		StaffToken: staff.Token, AdminToken: admin.Token, Seed: 7})
	if err != nil {
		t.Fatalf("remote: %v", err)
	}
	for _, b := range remote.Broken() {
		t.Errorf("remote: broken: %s (%s)", b.Name, b.Detail)
	}
	if remote.Booking.Booked == 0 || remote.Booking.Sampled == 0 || remote.Told.Sent == 0 || len(remote.DrillSMSByPurpose) == 0 {
		t.Errorf("remote: a drill where nothing happened: %+v", remote)
	}
	for _, drill := range []bool{true, false} {
		rep, err := scenario.Run(ctx, scenario.Config{Base: base, Speed: 3600, Households: 120, Clients: 16, Drill: drill, Seed: 7,
			StaffToken: staff.Token, AdminToken: admin.Token})
		if err != nil {
			t.Fatalf("drill %v: %v", drill, err)
		}
		for _, b := range rep.Broken() {
			t.Errorf("drill %v: broken: %s (%s)", drill, b.Name, b.Detail)
		}
		if rep.Booking.Booked == 0 || rep.Booking.Sampled == 0 || rep.Told.Sent == 0 || rep.Volunteers.BackupsCalled == 0 || len(rep.Invariants) < 5 {
			t.Errorf("drill %v: a day where nothing happened: %+v", drill, rep)
		}
		if !drill && (rep.Orders.Delivered == 0 || rep.Help.Seconds == 0 || rep.Temperatures.Reports == 0 || rep.Cost == nil || rep.Screening.Verified == 0) {
			t.Errorf("a real day without orders, help, temperatures, costs or a screening list: %+v %+v %+v %+v", rep.Orders, rep.Help, rep.Temperatures, rep.Screening)
		}
	}
	cancel()
	<-done
}
