package screening_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
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
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/screening"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

// BenchmarkUpload uploads the largest list (5,000 rows) against the demo
// street's register: half the rows found by phone, the rest by name at a
// door written in Chinese numerals, one in fifty nowhere. Beside it, in the
// same run, the floor: as many items put bare, 16 in flight, as the upload
// writes. A list must be read, matched and written inside API Gateway's
// 30 s.
func BenchmarkUpload(b *testing.B) {
	ctx := context.Background()
	raw, table := dynamolocal.NewTable(b)
	db := &dynamolocal.Counting{DB: raw}
	st := &store.Store{DB: db, Table: table}
	if _, _, err := demo.Seed(ctx, app.Local(st, nil, &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now), time.Now()); err != nil {
		b.Fatal(err)
	}
	svc := app.Local(st, nil, &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now).Screening()
	admin := auth.Principal{UserID: "u-demo-admin", Role: manifest.RoleAdmin, StreetID: demo.StreetID}.Normalized()
	data, _ := demo.CSV(time.Now().Year())
	people, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	people = people[1:]
	digits := []rune("零一二三四五六七八九")
	spell := func(s string) string {
		var out strings.Builder
		for _, r := range s {
			out.WriteRune(digits[r-'0'])
		}
		return out.String()
	}
	for i := range b.N {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{"序号", "姓名", "证件号码", "手机号", "现住址", "类别", "截止时间"})
		for n := range screening.MaxRows {
			p := people[(n*7+i)%len(people)]
			name, phone, addr := p[3], "", fmt.Sprintf("杨家园%s号楼%s单元%s", spell(strings.TrimSuffix(p[0], "号楼")), spell(p[1]), spell(p[2]))
			switch {
			case n%50 == 49:
				name, addr = fmt.Sprintf("外来人员%d", n), "外地"
			case n%2 == 0:
				phone = p[4] // a child has none: found by the door
			}
			_ = w.Write([]string{fmt.Sprint(n + 1), name, "", phone, addr, "密接", ""})
		}
		w.Flush()
		db.Reset()
		start := time.Now()
		sum, err := svc.Upload(ctx, admin, demo.StreetID, buf.Bytes(), screening.UploadInput{Name: fmt.Sprintf("基准%d", i)})
		took := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		requests := db.Total()
		floor := barePuts(b, raw, table, screening.MaxRows+1)
		found := sum.MatchedBy["phone"] + sum.MatchedBy["name_address"]
		b.ReportMetric(float64(sum.MatchedBy["phone"]), "by-phone")
		b.ReportMetric(float64(sum.MatchedBy["name_address"]), "by-door")
		b.ReportMetric(float64(found), "rows-found")
		b.ReportMetric(float64(len(sum.Unplaced)), "rows-unplaced")
		b.ReportMetric(float64(requests)/float64(screening.MaxRows), "requests/row")
		b.ReportMetric(took.Seconds(), "upload-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(took.Seconds()/floor.Seconds(), "upload/floor")
	}
}

// barePuts writes n small items with PutItem, 16 in flight: what writing
// a list's rows costs at the least.
func barePuts(b *testing.B, db store.DB, table string, n int) time.Duration {
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: fmt.Sprintf("BENCH#%d", time.Now().UnixNano())}, "SK": &types.AttributeValueMemberS{Value: fmt.Sprint(i)},
				"cells": &types.AttributeValueMemberS{Value: strings.Repeat("x", 200)}}})
			if err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}
