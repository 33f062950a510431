package supplies_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/internal/demo"
	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/supplies"
)

// benchWorld is the demo community (3,000 households in 40 buildings), all
// sealed, with one merchant, on a counted client.
type benchWorld struct {
	db     *dynamolocal.Counting
	st     *store.Store
	svc    *supplies.Service
	staff  auth.Principal
	homes  []auth.Principal // one resident of each household, building by building
	bldgs  []string
	seller supplies.Merchant
}

func newBenchWorld(b *testing.B) *benchWorld {
	ctx := context.Background()
	raw, table := dynamolocal.NewTable(b)
	db := &dynamolocal.Counting{DB: raw}
	st := &store.Store{DB: db, Table: table}
	if _, _, err := demo.Seed(ctx, app.Local(st, nil, &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now), time.Now()); err != nil {
		b.Fatal(err)
	}
	w := &benchWorld{db: db, st: st, staff: auth.Principal{UserID: "u-demo-staff", Role: manifest.RoleStaff, CommunityID: demo.CommunityID}.Normalized()}
	root := app.Local(st, queue.NewLocal(5, 10, time.Millisecond), &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now)
	w.svc = root.Supplies()
	bs, _, err := st.Buildings(ctx, demo.CommunityID, "", 100)
	if err != nil {
		b.Fatal(err)
	}
	for _, bl := range bs {
		w.bldgs = append(w.bldgs, bl.ID)
	}
	zones := root.Notices()
	if _, err := zones.SetZones(ctx, w.staff, demo.CommunityID, notices.Buildings(w.bldgs...), notices.LevelSealed); err != nil {
		b.Fatal(err)
	}
	for _, bid := range w.bldgs {
		hs, err := st.BuildingHouseholds(ctx, bid)
		if err != nil {
			b.Fatal(err)
		}
		for _, h := range hs {
			// Every household, with a phone or not: staff-entered orders
			// for the phoneless are the same transaction.
			_, members, err := st.Household(ctx, h.ID)
			if err != nil || len(members) == 0 {
				b.Fatalf("household %s: %d members, %v", h.ID, len(members), err)
			}
			w.homes = append(w.homes, auth.Principal{UserID: members[0].ID, Role: manifest.RoleResident, CommunityID: demo.CommunityID,
				ResidentCommunityID: demo.CommunityID, HouseholdID: h.ID}.Normalized())
		}
	}
	if w.seller, err = w.svc.CreateMerchant(ctx, w.staff, demo.CommunityID, supplies.MerchantInput{Name: "平价超市", Phone: "0931-8888888"}); err != nil {
		b.Fatal(err)
	}
	return w
}

func (w *benchWorld) item(b *testing.B, name string, stock, limit int) supplies.Item {
	it, err := w.svc.CreateItem(context.Background(), w.staff, demo.CommunityID, supplies.ItemInput{Name: &name, Unit: ptr("份"),
		PriceFen: ptr(1000), MerchantID: &w.seller.ID, Stock: &stock, LimitPerHousehold: &limit})
	if err != nil {
		b.Fatal(err)
	}
	return it
}

// bareOrder sends, written by hand, the transaction PlaceOrder sends for
// one line of a limited item: the zone check, the order put, the stock
// taken at the item's version, the household's counter of the day.
func (w *benchWorld) bareOrder(ctx context.Context, p auth.Principal, it supplies.Item, seq int64) error {
	key := func(k store.Key) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{store.Table.PartitionKey: &types.AttributeValueMemberS{Value: k.PK},
			store.Table.SortKey: &types.AttributeValueMemberS{Value: k.SK}}
	}
	now := time.Now()
	id := fmt.Sprintf("bare%d", seq)
	bid := registry.BuildingOf(p.HouseholdID)
	o := supplies.Order{ID: id, CommunityID: demo.CommunityID, HouseholdID: p.HouseholdID, BuildingID: bid, PlacedBy: p.UserID,
		Lines:    []supplies.Line{{ItemID: it.ID, MerchantID: it.MerchantID, Name: it.Name, Unit: it.Unit, PriceFen: it.PriceFen, Quantity: 1}},
		TotalFen: it.PriceFen, Status: supplies.StatusPlaced, CreatedAt: now, Day: now.Format("2006-01-02"), DoorCode: "1234",
		History: []supplies.Change{{Status: supplies.StatusPlaced, At: now, By: p.UserID}}}
	item, err := attributevalue.MarshalMap(o)
	if err != nil {
		return err
	}
	for k, v := range key(store.OrderKey(id)) {
		item[k] = v
	}
	ix, hx := store.OrderStatusIndex(demo.CommunityID, o.Status, bid, now, id), store.HouseholdOrdersIndex(p.HouseholdID, now, id)
	for k, v := range map[string]string{"GSI1PK": ix.PK, "GSI1SK": ix.SK, "GSI2PK": hx.PK, "GSI2SK": hx.SK} {
		item[k] = &types.AttributeValueMemberS{Value: v}
	}
	num := func(n int64) types.AttributeValue { return &types.AttributeValueMemberN{Value: fmt.Sprint(n)} }
	str := func(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
	table := aws.String(w.st.Table)
	_, err = w.db.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: table, Key: key(store.ZoneKey(demo.CommunityID, bid)),
			ConditionExpression:       aws.String("#l IN (:sealed, :controlled)"),
			ExpressionAttributeNames:  map[string]string{"#l": "level"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":sealed": str("sealed"), ":controlled": str("controlled")}}},
		{Put: &types.Put{TableName: table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Update: &types.Update{TableName: table, Key: key(store.ItemKey(it.ID)), UpdateExpression: aws.String("ADD stock :take"),
			ConditionExpression: aws.String("communityId = :cid AND version = :v AND paused = :no AND stock >= :q"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":take": num(-1), ":cid": str(demo.CommunityID),
				":v": num(int64(it.Version)), ":no": &types.AttributeValueMemberBOOL{Value: false}, ":q": num(1)}}},
		{Update: &types.Update{TableName: table, Key: key(store.LimitKey(p.HouseholdID, o.Day, it.ID)),
			UpdateExpression:         aws.String("ADD #c :q SET expiresAt = :exp, #t = :type"),
			ConditionExpression:      aws.String("attribute_not_exists(#c) OR #c <= :max"),
			ExpressionAttributeNames: map[string]string{"#c": "count", "#t": "type"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":q": num(1), ":max": num(int64(it.LimitPerHousehold - 1)),
				":exp": num(now.Add(72 * time.Hour).Unix()), ":type": str("limit")}}},
	}})
	return err
}

// BenchmarkOrders measures what issue 11 asks of ordering:
//
//   - 64 households at once order 1 of an item with 100 in stock until it is
//     gone: sold, refused, oversold (sold beyond 100 or stock below 0);
//
//   - 64 households each send 5 orders at once of an item limited to 3 a
//     day: any household past 3 is a bypassed limit;
//
//   - throughput of PlaceOrder against the same TransactWriteItems sent bare
//     by the same 64 clients, alternated, in the same run; and the DynamoDB
//     requests each order took;
//
//   - the purchase list over 3,000 accepted orders, and one building's pick
//     list: requests, time, and that they query (the port has no Scan).
//
//     go test -run '^$' -bench Orders -benchtime 1x -timeout 30m ./shared/supplies/
func BenchmarkOrders(b *testing.B) {
	ctx := context.Background()
	w := newBenchWorld(b)
	if len(w.homes) < 3000 {
		b.Fatalf("%d households, want 3,000", len(w.homes))
	}
	const clients = 64
	for range b.N {
		// 1. No oversell.
		scarce := w.item(b, fmt.Sprintf("口罩%d", time.Now().UnixNano()%1000), 100, 0)
		var sold, refused atomic.Int64
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					_, err := w.svc.PlaceOrder(ctx, w.homes[c], demo.CommunityID, order(scarce.ID, 1), "")
					if err == nil {
						sold.Add(1)
						continue
					}
					if code(err) == "OUT_OF_STOCK" {
						refused.Add(1)
						return
					}
					b.Errorf("order: %v", err)
					return
				}
			}()
		}
		wg.Wait()
		left, err := w.st.Item(ctx, scarce.ID)
		if err != nil {
			b.Fatal(err)
		}
		oversold := max(sold.Load()-100, 0) + int64(max(-left.Stock, 0))
		if sold.Load() != 100 || left.Stock != 0 {
			b.Errorf("sold %d, stock left %d: want 100 and 0", sold.Load(), left.Stock)
		}

		// 2. No limit bypassed.
		limited := w.item(b, fmt.Sprintf("大米%d", time.Now().UnixNano()%1000), 100000, 3)
		perHome := make([]atomic.Int64, clients)
		for c := 0; c < clients; c++ {
			for range 5 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := w.svc.PlaceOrder(ctx, w.homes[100+c], demo.CommunityID, order(limited.ID, 1), "")
					switch code(err) {
					case "":
						perHome[c].Add(1)
					case "LIMIT_EXCEEDED":
					default:
						b.Errorf("limited order: %v", err)
					}
				}()
			}
		}
		wg.Wait()
		bypassed := 0
		for c := range perHome {
			if perHome[c].Load() > 3 {
				bypassed++
			}
			if perHome[c].Load() != 3 {
				b.Errorf("household %d got %d of an item limited to 3", c, perHome[c].Load())
			}
		}

		// 3. Throughput, side by side: 64 clients, 20 orders each, for
		// each way, alternated over 3 rounds.
		plenty := w.item(b, fmt.Sprintf("蔬菜包%d", time.Now().UnixNano()%1000), 1000000, 1000)
		if _, err := w.svc.PlaceOrder(ctx, w.homes[2999], demo.CommunityID, order(plenty.ID, 1), ""); err != nil {
			b.Fatal(err) // warms the item cache, as a running function's is
		}
		fresh, err := w.st.Item(ctx, plenty.ID)
		if err != nil {
			b.Fatal(err)
		}
		const perClient = 20
		var seq atomic.Int64
		var svcTime, bareTime time.Duration
		var svcRequests int64
		next := 200
		for round := 0; round < 3; round++ {
			homes := w.homes[next : next+clients]
			next += clients
			w.db.Reset()
			t0 := time.Now()
			for _, h := range homes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range perClient {
						if _, err := w.svc.PlaceOrder(ctx, h, demo.CommunityID, order(plenty.ID, 1), ""); err != nil {
							b.Errorf("order: %v", err)
							return
						}
					}
				}()
			}
			wg.Wait()
			svcTime += time.Since(t0)
			svcRequests += w.db.Total()

			homes = w.homes[next : next+clients]
			next += clients
			t1 := time.Now()
			for _, h := range homes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range perClient {
						if err := w.bareOrder(ctx, h, fresh, seq.Add(1)); err != nil {
							b.Errorf("bare: %v", err)
							return
						}
					}
				}()
			}
			wg.Wait()
			bareTime += time.Since(t1)
		}
		orders := float64(3 * clients * perClient)
		svcRate, bareRate := orders/svcTime.Seconds(), orders/bareTime.Seconds()

		// 4. The lists over 3,000 accepted orders: one order per household,
		// every one accepted.
		basket := w.item(b, fmt.Sprintf("生活包%d", time.Now().UnixNano()%1000), 10000, 0)
		sem := make(chan struct{}, 16)
		for _, h := range w.homes[:3000] {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				o, err := w.svc.PlaceOrder(ctx, h, demo.CommunityID, order(basket.ID, 2), "")
				if err == nil {
					_, err = w.svc.SetStatus(ctx, w.staff, o.ID, supplies.StatusInput{Status: supplies.StatusAccepted})
				}
				if err != nil {
					b.Errorf("order to accept: %v", err)
				}
			}()
		}
		wg.Wait()
		// Accepted orders of the earlier phases are on the list too.
		w.db.Reset()
		t2 := time.Now()
		list, err := w.svc.Purchases(ctx, w.staff, demo.CommunityID)
		purchaseTime := time.Since(t2)
		purchaseRequests := w.db.Total()
		if err != nil {
			b.Fatal(err)
		}
		if list.Orders != 3000 {
			b.Errorf("purchase list over %d orders, want 3,000", list.Orders)
		}
		w.db.Reset()
		t3 := time.Now()
		picks, err := w.svc.Picks(ctx, w.staff, demo.CommunityID, w.bldgs[0])
		pickTime := time.Since(t3)
		pickRequests := w.db.Total()
		if err != nil {
			b.Fatal(err)
		}

		b.ReportMetric(float64(sold.Load()), "sold-of-100")
		b.ReportMetric(float64(refused.Load()), "refused")
		b.ReportMetric(float64(oversold), "oversold")
		b.ReportMetric(float64(bypassed), "limits-bypassed")
		b.ReportMetric(svcRate, "orders/s")
		b.ReportMetric(bareRate, "bare-tx/s")
		b.ReportMetric(svcRate/bareRate, "orders/bare")
		b.ReportMetric(float64(svcRequests)/orders, "requests/order")
		b.ReportMetric(float64(purchaseRequests), "purchase-list-requests")
		b.ReportMetric(purchaseTime.Seconds()*1000, "purchase-list-ms")
		b.ReportMetric(float64(len(picks.Picks)), "pick-list-households")
		b.ReportMetric(float64(pickRequests), "pick-list-requests")
		b.ReportMetric(pickTime.Seconds()*1000, "pick-list-ms")
	}
}
