// Package surge is the booking load generator: many households booking a
// round's slots at once through the HTTP API, the way a community does in
// the first minutes after a round opens. cmd/surge points it at any base
// URL; the surge benchmark runs it against the real handlers in-process.
package surge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Household is one client: who books, and for whom.
type Household struct {
	Token       string
	ResidentIDs []string
}

// Config of a surge.
type Config struct {
	BaseURL    string
	RoundID    string
	SlotIDs    []string
	Households []Household
	Clients    int
	// Progress, if set, is called now and then with households done so far.
	Progress func(done, total int)
	HTTP     *http.Client
	// FollowSteering: on SLOT_FULL a client tries the first slot the
	// refusal names as having room, and stops when it names none, as the
	// mini-program does; otherwise it tries every slot in its own random
	// order.
	FollowSteering bool
}

// Result of a surge.
type Result struct {
	Households int
	Booked     int // households that got a booking
	Residents  int // residents booked
	Full       int // households that found every slot full
	Requests   int // booking requests sent
	Errors     map[string]int
	Elapsed    time.Duration
	Latencies  []time.Duration
}

// Quantile returns the q-quantile of the request latencies.
func (r Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// Run lets every household book: each tries the slots in its own random
// order (or, following the steering, the slots each refusal names), moving
// on when one is full, until it is booked or has nothing left to try.
// Each booking request carries an Idempotency-Key.
func Run(ctx context.Context, c Config) (Result, error) {
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c.Clients}}
	}
	res := Result{Households: len(c.Households), Errors: map[string]int{}}
	var mu sync.Mutex
	var next, done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c.Clients; w++ {
		wg.Add(1)
		go func(worker int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(worker), 7))
			for {
				i := int(next.Add(1) - 1)
				if i >= len(c.Households) || ctx.Err() != nil {
					return
				}
				h := c.Households[i]
				order := rng.Perm(len(c.SlotIDs))
				booked, full := false, true
				var lat []time.Duration
				errs := map[string]int{}
				tried := map[string]bool{}
				next := c.SlotIDs[order[0]]
				for attempt := 0; attempt < 2*len(c.SlotIDs) && next != ""; attempt++ {
					slot := next
					tried[slot] = true
					t0 := time.Now()
					status, code, alternatives, err := book(ctx, client, c.BaseURL, c.RoundID, slot, h, fmt.Sprintf("surge-%d-%d", i, attempt))
					lat = append(lat, time.Since(t0))
					if err != nil {
						errs["transport"]++
						full = false
						break
					}
					if status == http.StatusCreated {
						booked = true
						break
					}
					if code != "SLOT_FULL" {
						errs[code]++
						full = false
						break
					}
					next = ""
					if c.FollowSteering {
						for _, a := range alternatives {
							if !tried[a] {
								next = a
								break
							}
						}
						continue // none named: every slot is full
					}
					for _, k := range order {
						if !tried[c.SlotIDs[k]] {
							next = c.SlotIDs[k]
							break
						}
					}
				}
				mu.Lock()
				res.Requests += len(lat)
				res.Latencies = append(res.Latencies, lat...)
				if booked {
					res.Booked++
					res.Residents += len(h.ResidentIDs)
				} else if full {
					res.Full++
				}
				for k, v := range errs {
					res.Errors[k] += v
				}
				mu.Unlock()
				if n := int(done.Add(1)); c.Progress != nil {
					c.Progress(n, len(c.Households))
				}
			}
		}(w)
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, ctx.Err()
}

func book(ctx context.Context, client *http.Client, base, roundID, slotID string, h Household, key string) (int, string, []string, error) {
	body, _ := json.Marshal(map[string]any{"slotId": slotID, "residentIds": h.ResidentIDs})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/rounds/"+roundID+"/bookings", bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.Token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusCreated {
		return resp.StatusCode, "", nil, nil
	}
	var env struct {
		Error struct {
			Code         string
			Alternatives []string
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &env)
	if env.Error.Code == "" {
		env.Error.Code = fmt.Sprintf("HTTP_%d", resp.StatusCode)
	}
	return resp.StatusCode, env.Error.Code, env.Error.Alternatives, nil
}

// Bar draws a progress bar on one terminal line.
func Bar(w io.Writer) func(done, total int) {
	var mu sync.Mutex
	last := time.Time{}
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if done < total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		const width = 40
		filled := width * done / max(total, 1)
		fmt.Fprintf(w, "\r[%s%s] %d/%d households", bytes.Repeat([]byte("#"), filled), bytes.Repeat([]byte("."), width-filled), done, total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}
