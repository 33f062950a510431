package surge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/internal/surge"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// requestCounter counts every DynamoDB HTTP request, SDK retries included,
// by operation.
type requestCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *requestCounter) add(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("countRequests",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				c.n[awsmiddleware.GetOperationName(ctx)]++
				c.mu.Unlock()
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

// capacityCounter adds up the write units of TransactWriteItems as
// DynamoDB Local reports them, and counts the transactions it cancelled:
// it reports no units for those, while DynamoDB bills a failed condition
// its write units, so they are priced at a successful one's.
type capacityCounter struct {
	mu                   sync.Mutex
	units                float64
	succeeded, cancelled int
}

func (c *capacityCounter) add(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countCapacity",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				t, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
				if !ok {
					return next.HandleInitialize(ctx, in)
				}
				t.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
				out, md, err := next.HandleInitialize(ctx, in)
				c.mu.Lock()
				defer c.mu.Unlock()
				var tce *types.TransactionCanceledException
				switch {
				case errors.As(err, &tce):
					c.cancelled++
				case err == nil:
					c.succeeded++
					if r, ok := out.Result.(*dynamodb.TransactWriteItemsOutput); ok {
						for _, cc := range r.ConsumedCapacity {
							if cc.CapacityUnits != nil {
								c.units += *cc.CapacityUnits
							}
						}
					}
				}
				return out, md, err
			}), middleware.Before)
	})
}

// take answers the counts so far and starts again.
func (c *capacityCounter) take() (units float64, succeeded, cancelled int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	units, succeeded, cancelled = c.units, c.succeeded, c.cancelled
	c.units, c.succeeded, c.cancelled = 0, 0, 0
	return
}

func (c *requestCounter) reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.n
	c.n = map[string]int{}
	return old
}

const clients = 64

// BenchmarkSurge books the demo community's residents, each for themselves,
// into a round with fewer places than residents, through the real HTTP
// handlers, with 64 concurrent clients against DynamoDB Local — twice, each
// into a round of its own: clients that try the slots in their own random
// order, then clients that follow the refusals' steering (the
// mini-program). It fails on any oversell. In the same run it measures bare
// TransactWriteItems of the same shape at the same concurrency: all
// succeeding (the old floor), and with the share the surge's requests were
// refused (like for like).
//
//	go test -run '^$' -bench Surge -benchtime 1x ./internal/surge/
func BenchmarkSurge(b *testing.B) {
	ctx := context.Background()
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	counter := &requestCounter{n: map[string]int{}}
	units := &capacityCounter{}
	_, table := dynamolocal.NewTable(b)
	db := store.NewClient(store.Config{TableName: table, Endpoint: endpoint}, counter.add, units.add)
	st := &store.Store{DB: db, Table: table}
	if _, _, err := demo.Seed(ctx, app.Local(st, nil, &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now), time.Now()); err != nil {
		b.Fatal(err)
	}
	priv, _, _ := auth.GenerateKey()
	keys, _ := auth.StaticKeys(priv, auth.Audience("test"), time.Now)
	issuer, _ := keys.Issuer(ctx)
	if err := st.PublishSigningKey(ctx, issuer.PublicKey()); err != nil {
		b.Fatal(err)
	}
	verifier := auth.NewVerifier(auth.Audience("test"), st, time.Now)
	residents := demoResidents(b)
	var households []surge.Household
	for _, r := range residents {
		tok, _, err := issuer.Issue(auth.Principal{UserID: r.ID, Role: manifest.RoleResident, CommunityID: demo.CommunityID, HouseholdID: r.HouseholdID}.Normalized())
		if err != nil {
			b.Fatal(err)
		}
		households = append(households, surge.Household{Token: tok, ResidentIDs: []string{r.ID}})
	}
	// Metrics are reported once both surges ran: ResetTimer drops what
	// was reported before it.
	metrics := map[string]float64{}
	defer func() {
		for unit, v := range metrics {
			b.ReportMetric(v, unit)
		}
	}()
	for range b.N {
		// The floor is measured before and after the surges and averaged:
		// the JVM under DynamoDB Local warms up over the run.
		bareBefore := bareTransactions(b, endpoint, 15000, 0)
		for _, follow := range []bool{false, true} {
			name := map[bool]string{false: "random", true: "steered"}[follow]
			// A function instance of its own for each surge: what one
			// learned of the other's round does not help it.
			root := app.Local(st, queue.NewLocal(5, 10, time.Millisecond), sms.Discard{}, time.Now)
			svc := root.Booking()
			opts := root.HTTPOptions()
			opts.Logger, opts.Auth = logging.New(io.Discard, slog.LevelError), verifier
			fn, _ := manifest.Lookup("booking")
			h, err := httpapi.NewRouter(fn.Routes, svc.Handlers(), opts)
			if err != nil {
				b.Fatal(err)
			}
			server := httptest.NewServer(h)
			staff := auth.Principal{UserID: "u-demo-staff", Role: manifest.RoleStaff, CommunityID: demo.CommunityID}.Normalized()
			now := time.Now()
			round, err := svc.CreateRound(ctx, staff, demo.CommunityID, booking.RoundInput{Name: "surge", StartsAt: now.Add(-time.Minute), EndsAt: now.Add(3 * time.Hour), SlotMinutes: 30, AllowPastStart: true})
			if err != nil {
				b.Fatal(err)
			}
			var slotIDs []string
			capacity := 0
			for _, site := range []string{"东门", "西门"} {
				// 2 sites × 6 slots × 500 places = 6,000 places for about 7,900 residents.
				_, slots, err := svc.AddSite(ctx, staff, round.ID, booking.SiteInput{Name: site, Lanes: 10, PerLanePerSlot: 50})
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range slots {
					slotIDs = append(slotIDs, s.ID)
					capacity += s.Capacity
				}
			}
			counter.reset()
			units.take()
			b.ResetTimer()
			res, err := surge.Run(ctx, surge.Config{BaseURL: server.URL, RoundID: round.ID, SlotIDs: slotIDs, Households: households, Clients: clients, FollowSteering: follow})
			b.StopTimer()
			server.Close()
			if err != nil {
				b.Fatal(err)
			}
			requests := counter.reset()
			wcu, succeeded, cancelled := units.take()
			checkNoOversell(b, st, db, table, round.ID, capacity, len(residents), res)

			// Like for like: as many bare transactions as the surge had
			// booking requests, as many of them failing their slot's
			// condition as requests were refused.
			refused := float64(res.Requests-res.Booked) / float64(res.Requests)
			like := bareTransactions(b, endpoint, res.Requests, refused)
			bareAfter := bareTransactions(b, endpoint, res.Requests, 0)
			bare := (bareBefore + bareAfter) / 2
			ddb := 0
			for _, n := range requests {
				ddb += n
			}
			placed := float64(res.Booked)
			own := wcu / float64(max(succeeded, 1)) // a successful booking's units
			handlerRate := float64(res.Requests) / res.Elapsed.Seconds()
			report := func(v float64, unit string) { metrics[name+"-"+unit] = v }
			report(float64(res.Residents), "booked")
			report(float64(res.Quantile(0.5))/1e6, "p50-ms")
			report(float64(res.Quantile(0.99))/1e6, "p99-ms")
			report(float64(res.Requests)/placed, "requests/placed")
			report(float64(requests["TransactWriteItems"])/placed, "transactions/placed")
			report(float64(cancelled), "cancelled-transactions")
			report(float64(ddb)/float64(res.Requests), "ddb-requests/booking-request")
			report(own, "wcu/booking-own")
			report((wcu+float64(cancelled)*own)/placed, "wcu/placed")
			report(handlerRate, "booking-requests/s")
			report(like, "like-for-like-floor/s")
			report(handlerRate/bare, "throughput-ratio-old-floor")
			report(handlerRate/like, "throughput-ratio-like-for-like")
			b.Logf("%s: DynamoDB requests %v; errors %v; %d transactions cancelled; refused share %.2f; bare before %.0f/s, after %.0f/s",
				name, requests, res.Errors, cancelled, refused, bareBefore, bareAfter)
		}
	}
}

// TestSmallSurgeNeverOversells runs a small surge through the real handlers:
// 40 residents, 16 clients, 24 places.
func TestSmallSurgeNeverOversells(t *testing.T) {
	ctx := context.Background()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	csv := "building,unit,room,name\n"
	for i := 0; i < 40; i++ {
		csv += fmt.Sprintf("%d号楼,1,%d,居民%d\n", i%4+1, 100+i/2, i)
	}
	if _, err := (&registry.Importer{Store: st, Now: time.Now}).Import(ctx, "c1", []byte(csv)); err != nil {
		t.Fatal(err)
	}
	priv, _, _ := auth.GenerateKey()
	keys, _ := auth.StaticKeys(priv, auth.Audience("test"), time.Now)
	issuer, _ := keys.Issuer(ctx)
	if err := st.PublishSigningKey(ctx, issuer.PublicKey()); err != nil {
		t.Fatal(err)
	}
	verifier := auth.NewVerifier(auth.Audience("test"), st, time.Now)
	root := app.Local(st, queue.NewLocal(5, 10, time.Millisecond), sms.Discard{}, time.Now)
	svc := root.Booking()
	opts := root.HTTPOptions()
	opts.Logger, opts.Auth = logging.New(io.Discard, slog.LevelError), verifier
	fn, _ := manifest.Lookup("booking")
	h, err := httpapi.NewRouter(fn.Routes, svc.Handlers(), opts)
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(h)
	defer server.Close()
	staff := auth.Principal{UserID: "u-s", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	now := time.Now()
	round, err := svc.CreateRound(ctx, staff, "c1", booking.RoundInput{Name: "r", StartsAt: now.Add(-time.Minute), EndsAt: now.Add(2 * time.Hour), SlotMinutes: 30, AllowPastStart: true})
	if err != nil {
		t.Fatal(err)
	}
	_, slots, err := svc.AddSite(ctx, staff, round.ID, booking.SiteInput{Name: "东门", Lanes: 2, PerLanePerSlot: 3})
	if err != nil {
		t.Fatal(err)
	}
	var slotIDs []string
	capacity := 0
	for _, s := range slots {
		slotIDs = append(slotIDs, s.ID)
		capacity += s.Capacity
	}
	rows, _, _ := registry.ParseCSV([]byte(csv), now.Year())
	var households []surge.Household
	for _, r := range rows {
		hid := registry.HouseholdID(registry.BuildingID("c1", r.Building), r.Unit, r.Room)
		rid := registry.ResidentID(hid, r.Name)
		tok, _, _ := issuer.Issue(auth.Principal{UserID: rid, Role: manifest.RoleResident, CommunityID: "c1", HouseholdID: hid}.Normalized())
		households = append(households, surge.Household{Token: tok, ResidentIDs: []string{rid}})
	}
	res, err := surge.Run(ctx, surge.Config{BaseURL: server.URL, RoundID: round.ID, SlotIDs: slotIDs, Households: households, Clients: 16})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 0 || res.Full != len(households)-capacity {
		t.Fatalf("result %+v", res)
	}
	checkNoOversell(t, st, db, table, round.ID, capacity, len(households), res)
}

// demoResidents are the demo community's residents, their ids rebuilt from
// the demo file the way the import builds them.
func demoResidents(b *testing.B) []registry.Resident {
	data, _ := demo.CSV(time.Now().Year())
	rows, _, err := registry.ParseCSV(data, time.Now().Year())
	if err != nil {
		b.Fatal(err)
	}
	var out []registry.Resident
	for _, r := range rows {
		hid := registry.HouseholdID(registry.BuildingID(demo.CommunityID, r.Building), r.Unit, r.Room)
		out = append(out, registry.Resident{ID: registry.ResidentID(hid, r.Name), HouseholdID: hid})
	}
	return out
}

// checkNoOversell reads back every slot and every booking: for each slot the
// places taken equal its live bookings and stay within capacity, and the
// total is min(capacity, demand).
func checkNoOversell(b testing.TB, st *store.Store, db *dynamodb.Client, table, roundID string, capacity, demand int, res surge.Result) {
	b.Helper()
	ctx := context.Background()
	slots, err := st.Slots(ctx, roundID)
	if err != nil {
		b.Fatal(err)
	}
	perSlot := map[string]int{}
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{
		TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: store.RoundKey(roundID).PK}, ":sk": &types.AttributeValueMemberS{Value: "BOOKING#"},
		},
	})
	bookings := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, it := range page.Items {
			if it["status"].(*types.AttributeValueMemberS).Value == booking.StatusBooked {
				perSlot[it["slotId"].(*types.AttributeValueMemberS).Value]++
				bookings++
			}
		}
	}
	total := 0
	for _, s := range slots {
		if s.Booked != perSlot[s.ID] || s.Booked > s.Capacity {
			b.Fatalf("slot %s: counter %d, bookings %d, capacity %d", s.ID, s.Booked, perSlot[s.ID], s.Capacity)
		}
		total += s.Booked
	}
	if want := min(capacity, demand); total != want || bookings != want || res.Residents != want {
		b.Fatalf("booked %d (bookings %d, clients saw %d), want min(capacity %d, demand %d) = %d", total, bookings, res.Residents, capacity, demand, want)
	}
}

// bareTransactions runs n TransactWriteItems shaped like a one-resident
// booking (round check, slot update with its condition, booking and code
// puts, resident check, progress update) on 64 workers, in a table of their
// own, and returns transactions per second.
func bareTransactions(b *testing.B, endpoint string, n int, failShare float64) float64 {
	b.Helper()
	raw, table := dynamolocal.NewTable(b)
	ctx := context.Background()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	num := func(v int) types.AttributeValue { return &types.AttributeValueMemberN{Value: fmt.Sprint(v)} }
	put := func(item map[string]types.AttributeValue) {
		if _, err := raw.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			b.Fatal(err)
		}
	}
	put(map[string]types.AttributeValue{"PK": s("ROUND#bare"), "SK": s("ROUND"), "status": s("open")})
	for i := 0; i < 12; i++ {
		put(map[string]types.AttributeValue{"PK": s("ROUND#bare"), "SK": s(fmt.Sprintf("SLOT#%d", i)), "remaining": num(1 << 30)})
		put(map[string]types.AttributeValue{"PK": s("ROUND#bare"), "SK": s(fmt.Sprintf("SLOT#full%d", i)), "remaining": num(0)})
	}
	put(map[string]types.AttributeValue{"PK": s("BUILDING#b"), "SK": s("HH#r"), "communityId": s("c")})
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				// Spread evenly: the i-th fails when the failing count
				// up to it grows.
				slot := fmt.Sprintf("SLOT#%d", i%12)
				if int(float64(i+1)*failShare) > int(float64(i)*failShare) {
					slot = fmt.Sprintf("SLOT#full%d", i%12)
				}
				_, err := raw.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
					{ConditionCheck: &types.ConditionCheck{TableName: aws.String(table), Key: map[string]types.AttributeValue{"PK": s("ROUND#bare"), "SK": s("ROUND")},
						ConditionExpression: aws.String("#s = :open"), ExpressionAttributeNames: map[string]string{"#s": "status"},
						ExpressionAttributeValues: map[string]types.AttributeValue{":open": s("open")}}},
					{Update: &types.Update{TableName: aws.String(table), Key: map[string]types.AttributeValue{"PK": s("ROUND#bare"), "SK": s(slot)},
						UpdateExpression: aws.String("SET remaining = remaining - :n"), ConditionExpression: aws.String("remaining >= :n"),
						ExpressionAttributeValues: map[string]types.AttributeValue{":n": num(1)}}},
					{Put: &types.Put{TableName: aws.String(table), ConditionExpression: aws.String("attribute_not_exists(PK)"),
						Item: map[string]types.AttributeValue{"PK": s("ROUND#bare"), "SK": s(fmt.Sprintf("BOOKING#%d", i)), "GSI1PK": s(fmt.Sprintf("HOUSEHOLD#%d", i/3)), "GSI1SK": s(fmt.Sprintf("BOOKING#%d", i)), "status": s("booked")}}},
					{Put: &types.Put{TableName: aws.String(table), ConditionExpression: aws.String("attribute_not_exists(PK)"),
						Item: map[string]types.AttributeValue{"PK": s("ROUND#bare"), "SK": s(fmt.Sprintf("CODE#%d", i))}}},
					{ConditionCheck: &types.ConditionCheck{TableName: aws.String(table), Key: map[string]types.AttributeValue{"PK": s("BUILDING#b"), "SK": s("HH#r")},
						ConditionExpression: aws.String("communityId = :c"), ExpressionAttributeValues: map[string]types.AttributeValue{":c": s("c")}}},
					{Update: &types.Update{TableName: aws.String(table), Key: map[string]types.AttributeValue{"PK": s("ROUND#bare"), "SK": s(fmt.Sprintf("PROGRESS#%d", i%40))},
						UpdateExpression: aws.String("ADD booked :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1)}}},
				}})
				var tce *types.TransactionCanceledException
				if err != nil && !errors.As(err, &tce) {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}
