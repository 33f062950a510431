package reserve_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/reserve"
	"github.com/fangxian/fangxian/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

func code(err error) string {
	if err == nil {
		return ""
	}
	return apperr.As(err).Code
}

func s(v string) *string { return &v }
func n(v int) *int       { return &v }

// TestTheReserve: items with their minimum, receipts (donations named)
// and issues never past zero however many at once; below the minimum
// shows; names are the community's own.
func TestTheReserve(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	dynamolocal.SeedCommunity(t, st, "s2", "c2", "13900000100")
	svc := &reserve.Service{Store: st, Now: time.Now}
	staff := auth.Principal{UserID: "u-1", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	other := auth.Principal{UserID: "u-2", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()

	masks, err := svc.Create(ctx, staff, "c1", reserve.ItemInput{Name: s("N95 口罩"), Unit: s("个"), Category: s("protective"), Minimum: n(200)})
	if err != nil || masks.Quantity != 0 || !masks.Below {
		t.Fatalf("create: %+v %v", masks, err)
	}
	for _, c := range []struct {
		name string
		in   reserve.ItemInput
		want string
	}{
		{"the same name, spaced and cased otherwise", reserve.ItemInput{Name: s("n95口罩"), Unit: s("个"), Category: s("protective")}, "RESERVE_ITEM_EXISTS"},
		{"no unit", reserve.ItemInput{Name: s("消毒液"), Category: s("disinfectant")}, "VALIDATION_FAILED"},
		{"an unknown category", reserve.ItemInput{Name: s("消毒液"), Unit: s("瓶"), Category: s("weapons")}, "VALIDATION_FAILED"},
		{"a negative minimum", reserve.ItemInput{Name: s("消毒液"), Unit: s("瓶"), Category: s("disinfectant"), Minimum: n(-1)}, "VALIDATION_FAILED"},
		{"a control character", reserve.ItemInput{Name: s("消毒\x00液"), Unit: s("瓶"), Category: s("disinfectant")}, "VALIDATION_FAILED"},
	} {
		if _, err := svc.Create(ctx, staff, "c1", c.in); code(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	if _, err := svc.Create(ctx, other, "c1", reserve.ItemInput{Name: s("消毒液"), Unit: s("瓶"), Category: s("disinfectant")}); code(err) != "FORBIDDEN" {
		t.Errorf("another community's staff: %v", err)
	}
	if _, err := svc.Move(ctx, other, "c1", masks.ID, reserve.MovementInput{Kind: reserve.Receipt, Quantity: 5}); code(err) != "FORBIDDEN" {
		t.Errorf("another community's staff moved: %v", err)
	}
	// A donation, then ten issues of 30 at once from 100: three taken.
	m, err := svc.Move(ctx, staff, "c1", masks.ID, reserve.MovementInput{Kind: reserve.Receipt, Quantity: 100, Donor: "兰州某企业", Note: "捐赠"})
	if err != nil || m.After != 100 || m.Donor != "兰州某企业" {
		t.Fatalf("receipt: %+v %v", m, err)
	}
	var taken, short atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Move(ctx, staff, "c1", masks.ID, reserve.MovementInput{Kind: reserve.Issue, Quantity: 30, Note: "核酸采样点"})
			switch code(err) {
			case "":
				taken.Add(1)
			case "RESERVE_SHORT":
				short.Add(1)
			default:
				t.Errorf("issue: %v", err)
			}
		}()
	}
	wg.Wait()
	if taken.Load() != 3 || short.Load() != 7 {
		t.Errorf("issues taken %d, short %d; want 3 and 7", taken.Load(), short.Load())
	}
	for _, c := range []struct {
		name string
		in   reserve.MovementInput
		want string
	}{
		{"more than is left", reserve.MovementInput{Kind: reserve.Issue, Quantity: 11}, "RESERVE_SHORT"},
		{"nothing", reserve.MovementInput{Kind: reserve.Issue, Quantity: 0}, "VALIDATION_FAILED"},
		{"a donor on an issue", reserve.MovementInput{Kind: reserve.Issue, Quantity: 1, Donor: "某人"}, "VALIDATION_FAILED"},
		{"an unknown kind", reserve.MovementInput{Kind: "theft", Quantity: 1}, "VALIDATION_FAILED"},
		{"a billion", reserve.MovementInput{Kind: reserve.Receipt, Quantity: 1_000_000_000}, "VALIDATION_FAILED"},
	} {
		if _, err := svc.Move(ctx, staff, "c1", masks.ID, c.in); code(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	if _, err := svc.Move(ctx, staff, "c1", "rvnone", reserve.MovementInput{Kind: reserve.Receipt, Quantity: 1}); code(err) != "RESERVE_ITEM_NOT_FOUND" {
		t.Errorf("no such item: %v", err)
	}
	short10, err := svc.Short(ctx, "c1")
	if err != nil || len(short10) != 1 || short10[0].Quantity != 10 || !short10[0].Below {
		t.Errorf("short: %+v %v", short10, err)
	}
	// The history, newest first, in the order they happened.
	ms, err := svc.History(ctx, staff, "c1", masks.ID)
	var afters []int
	for _, m := range ms {
		afters = append(afters, m.After)
	}
	if err != nil || !slices.Equal(afters, []int{10, 40, 70, 100}) || ms[3].Kind != reserve.Receipt {
		t.Errorf("history: %v %v", afters, err)
	}
	// Twenty receipts at once on one item all take their turn.
	var failed atomic.Int32
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.Move(ctx, staff, "c1", masks.ID, reserve.MovementInput{Kind: reserve.Receipt, Quantity: 1}); err != nil {
				failed.Add(1)
				t.Errorf("a receipt among twenty: %v", err)
			}
		}()
	}
	wg.Wait()
	if it, err := st.ReserveItem(ctx, "c1", masks.ID); err != nil || it.Quantity != 30 || failed.Load() != 0 {
		t.Errorf("after twenty receipts: %+v %v", it, err)
	}
	if _, err := svc.Move(ctx, staff, "c1", masks.ID, reserve.MovementInput{Kind: reserve.Receipt, Quantity: reserve.MaxQuantity}); code(err) != "VALIDATION_FAILED" {
		t.Errorf("past the most an item holds: %v", err)
	}
	if _, err := svc.Move(ctx, staff, "c1", masks.ID, reserve.MovementInput{Kind: reserve.Issue, Quantity: 20}); err != nil {
		t.Fatal(err)
	}
	// A lower minimum takes it off the short list; a rename onto another
	// item's name is refused.
	if it, err := svc.Update(ctx, staff, "c1", masks.ID, reserve.ItemInput{Minimum: n(10)}); err != nil || it.Below || it.Quantity != 10 {
		t.Errorf("minimum lowered: %+v %v", it, err)
	}
	gel, err := svc.Create(ctx, staff, "c1", reserve.ItemInput{Name: s("消毒液"), Unit: s("瓶"), Category: s("disinfectant"), Minimum: n(5)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, staff, "c1", gel.ID, reserve.ItemInput{Name: s("N95口罩")}); code(err) != "RESERVE_ITEM_EXISTS" {
		t.Errorf("renamed onto another: %v", err)
	}
	if it, err := svc.Update(ctx, staff, "c1", gel.ID, reserve.ItemInput{Name: s("84消毒液")}); err != nil || it.Name != "84消毒液" {
		t.Errorf("renamed: %+v %v", it, err)
	}
	if _, err := svc.Create(ctx, staff, "c1", reserve.ItemInput{Name: s("消毒液"), Unit: s("瓶"), Category: s("disinfectant")}); err != nil {
		t.Errorf("the old name is free again: %v", err)
	}
	if _, err := svc.Create(ctx, staff, "c1", reserve.ItemInput{Name: s("Ｎ９５口罩"), Unit: s("个"), Category: s("protective")}); code(err) != "RESERVE_ITEM_EXISTS" {
		t.Errorf("the same name in full-width forms: %v", err)
	}
	items, err := svc.List(ctx, staff, "c1")
	if err != nil || len(items) != 3 || !items[0].Below {
		t.Errorf("list (short first): %+v %v", items, err)
	}
}

// TestTheLimitHoldsWhenManyAreMadeAtOnce: 20 items made at once with room
// for 5: 5 are made.
func TestTheLimitHoldsWhenManyAreMadeAtOnce(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	dynamolocal.SeedCommunity(t, st, "s1", "c1", "13900000000")
	svc := &reserve.Service{Store: st, Now: time.Now}
	staff := auth.Principal{UserID: "u-1", Role: manifest.RoleStaff, CommunityID: "c1"}.Normalized()
	for i := range reserve.MaxItems - 5 {
		if _, err := svc.Create(ctx, staff, "c1", reserve.ItemInput{Name: s(fmt.Sprint("物资", i)), Unit: s("个"), Category: s("other")}); err != nil {
			t.Fatal(err)
		}
	}
	var made, full atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Create(ctx, staff, "c1", reserve.ItemInput{Name: s(fmt.Sprint("新物资", i)), Unit: s("个"), Category: s("other")})
			switch code(err) {
			case "":
				made.Add(1)
			case "RESERVE_FULL":
				full.Add(1)
			default:
				t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	items, err := svc.List(ctx, staff, "c1")
	if err != nil || made.Load() != 5 || full.Load() != 15 || len(items) != reserve.MaxItems {
		t.Errorf("made %d, full %d, items %d (%v)", made.Load(), full.Load(), len(items), err)
	}
}
