// Command surge is the booking load generator: it opens a testing round in a
// community and lets its residents book at once, many clients in parallel,
// like the first minutes after a round opens. Point it at `make run`:
//
//	go run ./cmd/surge                                  # the demo community on localhost:8080
//	go run ./cmd/surge -base https://… -staff-token … -as staff
//
// Residents are read from the community's import file (the demo's by
// default); their sign-in codes come from /dev/sms, which only `make run`
// has, so against a deployed stack use -as staff with a staff token.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fangxian/fangxian/internal/apiclient"
	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/surge"
	"github.com/fangxian/fangxian/shared/registry"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "surge:", err)
		os.Exit(1)
	}
}

type options struct {
	base, community, staffPhone, staffToken, csvPath, as string
	clients, sites, lanes, perLane, slotMinutes, limit   int
	hours                                                float64
	follow                                               bool
}

func run(ctx context.Context, args []string, out, progress io.Writer) error {
	var o options
	fs := flag.NewFlagSet("surge", flag.ContinueOnError)
	fs.StringVar(&o.base, "base", "http://localhost:8080", "base URL of the API")
	fs.StringVar(&o.community, "community", demo.CommunityID, "community id")
	fs.StringVar(&o.staffPhone, "staff-phone", demo.StaffPhone, "staff phone to sign in with (code from /dev/sms)")
	fs.StringVar(&o.staffToken, "staff-token", "", "a staff token instead of signing in")
	fs.StringVar(&o.csvPath, "csv", "", "the community's import file (default: the demo community's)")
	fs.StringVar(&o.as, "as", "resident", "who books: resident (each household signs in by SMS code) or staff")
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients")
	fs.BoolVar(&o.follow, "follow", true, "on SLOT_FULL try the slot the refusal names (as the mini-program does); false: every slot in a random order")
	fs.IntVar(&o.sites, "sites", 2, "sites to open")
	fs.IntVar(&o.lanes, "lanes", 10, "lanes per site")
	fs.IntVar(&o.perLane, "per-lane", 50, "people per lane per slot")
	fs.IntVar(&o.slotMinutes, "slot-minutes", 30, "slot length")
	fs.Float64Var(&o.hours, "hours", 3, "round length in hours, starting now")
	fs.IntVar(&o.limit, "households", 0, "book for at most this many households (0: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	api := apiclient.New(o.base, o.clients)

	staff := o.staffToken
	if staff == "" {
		sess, err := api.SignIn(ctx, o.staffPhone)
		if err != nil {
			return fmt.Errorf("staff sign-in: %w", err)
		}
		staff = sess.Token
	}
	households, err := readHouseholds(o)
	if err != nil {
		return err
	}
	now := time.Now()
	var round struct{ ID string }
	if err := api.Call(ctx, "POST", "/v1/communities/"+o.community+"/rounds", staff, map[string]any{
		"name": "surge " + now.Format("15:04:05"), "startsAt": now.Add(-time.Minute), "endsAt": now.Add(time.Duration(o.hours * float64(time.Hour))), "slotMinutes": o.slotMinutes, "allowPastStart": true,
	}, &round); err != nil {
		return fmt.Errorf("create round: %w", err)
	}
	var slotIDs []string
	capacity := 0
	for i := 0; i < o.sites; i++ {
		var site struct {
			Slots []struct {
				ID       string
				Capacity int
			}
		}
		if err := api.Call(ctx, "POST", "/v1/rounds/"+round.ID+"/sites", staff, map[string]any{"name": fmt.Sprintf("采样点%d", i+1), "lanes": o.lanes, "perLanePerSlot": o.perLane}, &site); err != nil {
			return fmt.Errorf("add site: %w", err)
		}
		for _, s := range site.Slots {
			slotIDs = append(slotIDs, s.ID)
			capacity += s.Capacity
		}
	}
	demand := 0
	for _, h := range households {
		demand += len(h.residentIDs)
	}
	fmt.Fprintf(out, "round %s: %d slots, %d places; %d households, %d residents\n", round.ID, len(slotIDs), capacity, len(households), demand)

	var clients []surge.Household
	if o.as == "staff" {
		for _, h := range households {
			clients = append(clients, surge.Household{Token: staff, ResidentIDs: h.residentIDs})
		}
	} else {
		fmt.Fprintln(out, "signing the households in (codes from /dev/sms) …")
		if clients, err = signInAll(ctx, api, households, o.clients, surge.Bar(progress)); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "booking with %d clients …\n", o.clients)
	res, err := surge.Run(ctx, surge.Config{BaseURL: o.base, RoundID: round.ID, SlotIDs: slotIDs, Households: clients, Clients: o.clients, Progress: surge.Bar(progress), HTTP: api.HTTP, FollowSteering: o.follow})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "booked %d residents (%d households) of %d wanting, %d places; %d households found every slot full\n",
		res.Residents, res.Booked, demand, capacity, res.Full)
	fmt.Fprintf(out, "%d booking requests in %.1fs: %.0f/s, p50 %.0f ms, p99 %.0f ms\n", res.Requests, res.Elapsed.Seconds(),
		float64(res.Requests)/res.Elapsed.Seconds(), float64(res.Quantile(0.5))/1e6, float64(res.Quantile(0.99))/1e6)
	if len(res.Errors) > 0 {
		fmt.Fprintf(out, "errors: %v\n", res.Errors)
	}
	// Read the slots back: every slot within capacity.
	var slots struct {
		Slots []struct {
			ID               string
			Capacity, Booked int
		}
	}
	if err := api.Call(ctx, "GET", "/v1/rounds/"+round.ID+"/slots", staff, nil, &slots); err != nil {
		return err
	}
	total := 0
	for _, s := range slots.Slots {
		if s.Booked > s.Capacity {
			return fmt.Errorf("slot %s oversold: %d of %d", s.ID, s.Booked, s.Capacity)
		}
		total += s.Booked
	}
	fmt.Fprintf(out, "slots read back: %d places taken, none over capacity; min(capacity, demand) = %d\n", total, min(capacity, demand))
	return nil
}

type household struct {
	phone       string // who signs in for it
	residentIDs []string
}

// readHouseholds rebuilds residents' ids from the import file the way the
// import does, grouped by household.
func readHouseholds(o options) ([]household, error) {
	data, _ := demo.CSV(time.Now().Year())
	if o.csvPath != "" {
		var err error
		if data, err = os.ReadFile(o.csvPath); err != nil {
			return nil, err
		}
	}
	rows, _, err := registry.ParseCSV(data, time.Now().Year())
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	var out []household
	for _, r := range rows {
		hid := registry.HouseholdID(registry.BuildingID(o.community, r.Building), r.Unit, r.Room)
		i, ok := index[hid]
		if !ok {
			i = len(out)
			index[hid] = i
			out = append(out, household{})
		}
		out[i].residentIDs = append(out[i].residentIDs, registry.ResidentID(hid, r.Name))
		if out[i].phone == "" {
			out[i].phone = r.Phone
		}
	}
	var ok []household
	for _, h := range out {
		if h.phone != "" || o.as == "staff" {
			ok = append(ok, h)
		}
	}
	if o.limit > 0 && len(ok) > o.limit {
		ok = ok[:o.limit]
	}
	return ok, nil
}

// signInAll signs the households in, workers at a time. Against a stack on
// this machine each comes from a loopback address of its own group of
// perAddress households: one address would be one client to the sign-in
// limits, and 3,000 households are not one client.
func signInAll(ctx context.Context, api *apiclient.Client, hs []household, workers int, progress func(done, total int)) ([]surge.Household, error) {
	const perAddress = 20
	out := make([]surge.Household, len(hs))
	var next, done atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	local := apiclient.Local(api.Base)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(hs) {
					return
				}
				c := api
				if local {
					c = api.From(apiclient.LoopbackAddr(i / perAddress))
				}
				sess, err := c.SignIn(ctx, hs[i].phone)
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, fmt.Errorf("household %d: %w", i, err))
					mu.Unlock()
					return
				}
				out[i] = surge.Household{Token: sess.Token, ResidentIDs: hs[i].residentIDs}
				progress(int(done.Add(1)), len(hs))
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}
