package demo_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// TestDemoCommunityShape keeps the demo close to the seed report's community.
func TestDemoCommunityShape(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	report, samples, err := demo.Seed(context.Background(), app.Local(st, nil, &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Errors) != 0 {
		t.Fatalf("the demo file has bad lines: %v", report.Errors[:min(5, len(report.Errors))])
	}
	if report.Buildings.Created != demo.Buildings || report.Households.Created != 3000 || report.Imported < 7500 || report.Imported > 8500 {
		t.Fatalf("shape %+v", report)
	}
	if len(samples) == 0 {
		t.Fatal("no sample phones")
	}
	for _, p := range samples {
		if _, err := st.AccountByPhone(context.Background(), p); err != nil {
			t.Errorf("sample phone %s cannot sign in: %v", p, err)
		}
	}
}

// BenchmarkImport imports the demo community (about 8,000 residents) into a
// fresh table of DynamoDB Local, imports it again (which must write nothing),
// and, in the same run, writes the same number of items of the same shape
// (residents with their two index entries, households, one account per
// phone) with bare BatchWriteItem on as many workers: the floor any import
// has to pay.
//
//	go test -run '^$' -bench Import -benchtime 3x ./internal/demo/
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	now := time.Now()
	data, _ := demo.CSV(now.Year())
	var first, again, floor time.Duration
	residents, items := 0, 0
	for range b.N {
		db, table := dynamolocal.NewTable(b)
		st := &store.Store{DB: db, Table: table}
		if err := st.CreateStreetWithAdmin(ctx, registry.Street{ID: demo.StreetID, Name: "s"}, registry.Staff{ID: "u", Name: "a", Phone: demo.AdminPhone}, false, false); err != nil {
			b.Fatal(err)
		}
		if err := st.CreateCommunity(ctx, registry.Community{ID: demo.CommunityID, StreetID: demo.StreetID, Name: "c"}); err != nil {
			b.Fatal(err)
		}
		im := &registry.Importer{Store: st, Now: func() time.Time { return now }}
		start := time.Now()
		report, err := im.Import(ctx, demo.CommunityID, data)
		if err != nil {
			b.Fatal(err)
		}
		first += time.Since(start)
		residents = report.Imported
		items = report.Buildings.Created + report.Households.Created + report.Residents.Created + phones(b, data)

		start = time.Now()
		report, err = im.Import(ctx, demo.CommunityID, data)
		if err != nil || report.Residents.Created+report.Residents.Updated != 0 {
			b.Fatalf("second import: %+v %v", report, err)
		}
		again += time.Since(start)

		start = time.Now()
		if err := rawWrite(ctx, db, table, items, report.Residents.Unchanged); err != nil {
			b.Fatal(err)
		}
		floor += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(first.Seconds()/n, "import-s")
	b.ReportMetric(float64(residents)/(first.Seconds()/n), "residents/s")
	b.ReportMetric(again.Seconds()/n, "reimport-s")
	b.ReportMetric(floor.Seconds()/n, "bare-write-s")
	b.ReportMetric(first.Seconds()/floor.Seconds(), "import/bare-write")
	b.ReportMetric(float64(residents), "residents")
}

// phones counts the distinct phones of an import file: one account each.
func phones(b *testing.B, data []byte) int {
	rows, _, err := registry.ParseCSV(data, time.Now().Year())
	if err != nil {
		b.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Phone != "" {
			seen[r.Phone] = true
		}
	}
	return len(seen)
}

// rawWrite puts n items with BatchWriteItem, 25 a call on 8 workers; the
// first indexed of them carry both index keys, as residents do.
func rawWrite(ctx context.Context, db *dynamodb.Client, table string, n, indexed int) error {
	work := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range work {
				var reqs []types.WriteRequest
				for i := start; i < min(start+25, n); i++ {
					item := map[string]types.AttributeValue{
						"PK":   &types.AttributeValueMemberS{Value: fmt.Sprintf("BARE#%d", i%40)},
						"SK":   &types.AttributeValueMemberS{Value: fmt.Sprintf("HH#%06d", i)},
						"name": &types.AttributeValueMemberS{Value: "居民"},
					}
					if i < indexed {
						item["GSI1PK"] = &types.AttributeValueMemberS{Value: "NAMES#bare"}
						item["GSI1SK"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("居民#%06d", i)}
						item["GSI2PK"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("PHONE#bare#%06d", i)}
						item["GSI2SK"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("%06d", i)}
					}
					reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
				}
				for len(reqs) > 0 {
					out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
					if err != nil {
						errs <- err
						return
					}
					reqs = out.UnprocessedItems[table]
				}
			}
		}()
	}
	for start := 0; start < n; start += 25 {
		work <- start
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}
