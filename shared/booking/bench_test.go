package booking_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

// BenchmarkResults takes the lab's results for the demo community's round
// (7,928 residents; every one with a phone or a name of their own sampled
// by the export, ten a tube): all but 21 tubes negative in one upload; then
// one tube pooled positive; then 20 at once. It reports DynamoDB requests a
// tube and the upload's time against the floor measured in the same run —
// the tubes' result updates sent bare, eight at a time, as the upload
// writes them — and, for the pooled positives, the time from the upload to
// every affected household's SMS on the queue (the upload's answer: the
// texts are written with the result and queued before it returns).
//
//	go test -run '^$' -bench Results -benchtime 1x -timeout 30m ./shared/booking/
func BenchmarkResults(b *testing.B) {
	ctx := context.Background()
	raw, table := dynamolocal.NewTable(b)
	db := &dynamolocal.Counting{DB: raw}
	st := &store.Store{DB: db, Table: table}
	if _, _, err := demo.Seed(ctx, app.Local(st, nil, &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now), time.Now()); err != nil {
		b.Fatal(err)
	}
	q := queue.NewLocal(5, 10, time.Millisecond)
	svc := app.Local(st, q, &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now).Booking()
	staff := auth.Principal{UserID: "u-demo-staff", Role: manifest.RoleStaff, CommunityID: demo.CommunityID}.Normalized()
	for range b.N {
		now := time.Now()
		r, err := svc.CreateRound(ctx, staff, demo.CommunityID, booking.RoundInput{Name: fmt.Sprintf("第%d轮", now.UnixNano()%1000),
			StartsAt: now.Add(-10 * time.Minute), EndsAt: now.Add(8 * time.Hour), SlotMinutes: 30, AllowPastStart: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := svc.AddSite(ctx, staff, r.ID, booking.SiteInput{Name: "东门", Lanes: 4, PerLanePerSlot: 100}); err != nil {
			b.Fatal(err)
		}
		tubes, residents := bindTubes(b, st, svc, staff, r.ID)

		// All but 21 tubes negative, in one upload.
		var rows []booking.ResultRow
		for _, t := range tubes[21:] {
			rows = append(rows, booking.ResultRow{Tube: t, Result: "阴性"})
		}
		db.Reset()
		start := time.Now()
		rep, err := svc.RecordResults(ctx, staff, r.ID, rows, nil)
		took := time.Since(start)
		if err != nil || rep.Applied != len(rows) {
			b.Fatalf("the negatives: %+v %v", rep, err)
		}
		perTube := float64(db.Total()) / float64(len(rows))
		floor := bareResults(b, raw, table, r.ID, tubes[21:])

		// One pooled positive, then 20 at once: the time to every
		// household's text on the queue.
		one, oneTexts := traced(b, svc, staff, r.ID, tubes[:1], q)
		twenty, twentyTexts := traced(b, svc, staff, r.ID, tubes[1:21], q)

		b.ReportMetric(float64(residents), "residents-in-tubes")
		b.ReportMetric(float64(len(tubes)), "tubes")
		b.ReportMetric(perTube, "requests/tube")
		b.ReportMetric(took.Seconds(), "upload-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(took.Seconds()/floor.Seconds(), "upload/floor")
		b.ReportMetric(one.Seconds(), "1-traced-s")
		b.ReportMetric(float64(oneTexts), "1-traced-texts")
		b.ReportMetric(twenty.Seconds(), "20-traced-s")
		b.ReportMetric(float64(twentyTexts), "20-traced-texts")
	}
}

// bindTubes imports a sampling export of every resident with a phone or a
// name no one else of the community has, ten a tube building by building,
// and answers the tubes and the people bound.
func bindTubes(b *testing.B, st *store.Store, svc *booking.Service, staff auth.Principal, roundID string) ([]string, int) {
	ctx := context.Background()
	bs, _, err := st.Buildings(ctx, demo.CommunityID, "", 100)
	if err != nil {
		b.Fatal(err)
	}
	names := map[string]int{}
	var all [][]string
	for _, bl := range bs {
		rs, err := st.BuildingResidents(ctx, bl.ID)
		if err != nil {
			b.Fatal(err)
		}
		for _, res := range rs {
			names[res.Name]++
			all = append(all, []string{bl.ID, res.Name, res.Phone})
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"姓名", "证件号码", "手机号", "采集时间", "采样点", "试管码"})
	var tubes []string
	inTube, building := 10, ""
	for _, p := range all {
		if p[2] == "" && names[p[1]] > 1 {
			continue // no phone, and a name others have: the export cannot say who
		}
		if inTube == 10 || p[0] != building {
			tubes = append(tubes, fmt.Sprintf("BT%06d", len(tubes)+1))
			inTube, building = 0, p[0]
		}
		inTube++
		_ = w.Write([]string{p[1], "620102********0000", p[2], "", "", tubes[len(tubes)-1]})
	}
	w.Flush()
	rows, err := booking.ParseSamplesCSV(buf.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	rep, err := svc.ImportSamples(ctx, staff, roundID, rows)
	if err != nil || len(rep.Conflicting) > 0 {
		b.Fatalf("the export: %d matched, %d conflicting, %v", rep.Matched, len(rep.Conflicting), err)
	}
	return tubes, rep.Matched
}

// bareResults sends the tubes' result updates alone, eight at a time:
// the floor of an upload.
func bareResults(b *testing.B, db store.DB, table, roundID string, tubes []string) time.Duration {
	ctx := context.Background()
	work := make(chan string)
	var wg sync.WaitGroup
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for code := range work {
				k := store.TubeKey(roundID, code)
				_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
					Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: k.PK}, "SK": &types.AttributeValueMemberS{Value: k.SK}},
					UpdateExpression:          aws.String("SET bareResult = :r"),
					ConditionExpression:       aws.String("attribute_exists(PK)"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":r": &types.AttributeValueMemberS{Value: "negative"}}})
				if err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for _, t := range tubes {
		work <- t
	}
	close(work)
	wg.Wait()
	return time.Since(start)
}

// traced uploads tubes pooled positive and answers how long until the
// upload returned (its households' texts on the queue) and how many texts.
func traced(b *testing.B, svc *booking.Service, staff auth.Principal, roundID string, tubes []string, q *queue.Local) (time.Duration, int) {
	var rows []booking.ResultRow
	for _, t := range tubes {
		rows = append(rows, booking.ResultRow{Tube: t, Result: "混管阳性"})
	}
	before := q.Len()
	start := time.Now()
	rep, err := svc.RecordResults(context.Background(), staff, roundID, rows, nil)
	took := time.Since(start)
	if err != nil || len(rep.PooledPositive) != len(tubes) || rep.Traced == 0 {
		b.Fatalf("pooled positives: %+v %v", rep, err)
	}
	if q.Len()-before < 1 {
		b.Fatalf("no text on the queue after %d traced tubes", len(tubes))
	}
	return took, rep.Traced
}
