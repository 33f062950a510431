package watch_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/watch"
)

type failingCarers struct{}

func (failingCarers) Raise(context.Context, auth.Principal, string, string) (string, error) {
	return "", errors.New("help is down")
}

// TestTransfers: a batch texts its people and tracks them forward only;
// the parent left behind becomes a help request (raised later by the
// minute's job when the batch's own call could not); a person is in one
// open batch at a time; the return trip takes those who arrived.
func TestTransfers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.CreateStaff(ctx, registry.Staff{ID: "u-1", Name: "工作人员", Phone: "13900000001", CommunityID: "c1"}, manifest.RoleStaff, nil); err != nil {
		t.Fatal(err)
	}
	wangAcct, err := f.st.AccountByPhone(ctx, "13700000001")
	if err != nil {
		t.Fatal(err)
	}
	leeAcct, err := f.st.AccountByPhone(ctx, "13700000002")
	if err != nil {
		t.Fatal(err)
	}
	wang, lee := wangAcct.Principal.ResidentID, leeAcct.Principal.ResidentID
	granny := f.ids[0]
	if granny == wang {
		granny = f.ids[1]
	}
	zhao, err := f.st.AccountByPhone(ctx, "13700000009")
	if err != nil {
		t.Fatal(err)
	}
	at := f.clock.Now().Add(5 * time.Hour).Format(time.RFC3339)
	in := func(ids ...string) watch.TransferInput {
		return watch.TransferInput{ResidentIDs: ids, Pickup: "东门", At: at, Destination: "兰州市集中隔离点"}
	}
	for _, c := range []struct {
		name string
		in   watch.TransferInput
		want string
	}{
		{"another community's resident", in(zhao.Principal.ResidentID), "VALIDATION_FAILED"},
		{"nobody", in(), "VALIDATION_FAILED"},
		{"twice the same", in(wang, wang), "VALIDATION_FAILED"},
		{"in the past", watch.TransferInput{ResidentIDs: []string{wang}, Pickup: "东门", At: f.clock.Now().Add(-2 * time.Hour).Format(time.RFC3339), Destination: "隔离点"}, "VALIDATION_FAILED"},
		{"no pickup", watch.TransferInput{ResidentIDs: []string{wang}, At: at, Destination: "隔离点"}, "VALIDATION_FAILED"},
		{"a control character", watch.TransferInput{ResidentIDs: []string{wang}, Pickup: "东\x07门", At: at, Destination: "隔离点"}, "VALIDATION_FAILED"},
		{"left behind of no household taken", watch.TransferInput{ResidentIDs: []string{lee}, Pickup: "东门", At: at, Destination: "隔离点",
			LeftBehind: []watch.DependantInput{{Kind: "elderly", ResidentID: granny}}}, "VALIDATION_FAILED"},
		{"left behind but taken", watch.TransferInput{ResidentIDs: []string{wang, granny}, Pickup: "东门", At: at, Destination: "隔离点",
			LeftBehind: []watch.DependantInput{{Kind: "elderly", ResidentID: granny}}}, "VALIDATION_FAILED"},
		{"a resident and another household", watch.TransferInput{ResidentIDs: []string{wang}, Pickup: "东门", At: at, Destination: "隔离点",
			LeftBehind: []watch.DependantInput{{Kind: "elderly", ResidentID: granny, HouseholdID: registry.HouseholdOf(lee)}}}, "VALIDATION_FAILED"},
		{"an unknown kind", watch.TransferInput{ResidentIDs: []string{wang}, Pickup: "东门", At: at, Destination: "隔离点",
			LeftBehind: []watch.DependantInput{{Kind: "plant", HouseholdID: f.hid}}}, "VALIDATION_FAILED"},
	} {
		if _, err := f.svc.CreateTransfer(ctx, f.staff, "c1", c.in); code(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	if _, err := f.svc.CreateTransfer(ctx, f.other, "c1", in(wang)); code(err) != "FORBIDDEN" {
		t.Errorf("another community's staff: %v", err)
	}

	// Help is down when the batch is made: the batch stands, its parent
	// left behind waits for the minute's job.
	carers := f.svc.Carers
	f.svc.Carers = failingCarers{}
	batch := in(wang, lee)
	batch.LeftBehind = []watch.DependantInput{{Kind: "elderly", ResidentID: granny, Note: "行动不便"}, {Kind: "pet", HouseholdID: f.hid, Note: "猫一只"}}
	// Two staff make the same batch at once: one batch.
	var wg sync.WaitGroup
	results := make([]error, 2)
	var tr watch.Transfer
	var mu sync.Mutex
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x, err := f.svc.CreateTransfer(ctx, f.staff, "c1", batch)
			results[i] = err
			if err == nil {
				mu.Lock()
				tr = x
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if (results[0] == nil) == (results[1] == nil) || (code(results[0]) != "ALREADY_IN_TRANSFER" && code(results[1]) != "ALREADY_IN_TRANSFER") {
		t.Fatalf("two batches at once: %v, %v", results[0], results[1])
	}
	f.svc.Carers = carers
	if len(tr.LeftBehind) != 2 || tr.LeftBehind[0].HelpID != "" || tr.LeftBehind[0].Name == "" {
		t.Fatalf("left behind: %+v", tr.LeftBehind)
	}
	if n := f.texts("transfer_notice"); n != 2 {
		t.Errorf("%d transfer texts, want 2 (one a person)", n)
	}
	// Not within the minute of the batch's making; then raised, once.
	if n, err := f.svc.RaiseCare(ctx); err != nil || n != 0 {
		t.Errorf("within the minute: raised %d (%v)", n, err)
	}
	f.clock.set(f.clock.Now().Add(2 * time.Minute))
	for i, want := range []int{2, 0} {
		if n, err := f.svc.RaiseCare(ctx); err != nil || n != want {
			t.Errorf("run %d raised %d (%v), want %d", i, n, err, want)
		}
	}
	// One request for the household (one of a kind open at a time): the
	// grandmother and the cat both in its note.
	helps, err := f.root.Help().List(ctx, f.staff, "c1")
	if err != nil || len(helps) != 1 || helps[0].Note != "转运后留守需照料：老人王奶奶（行动不便）、宠物（猫一只）" {
		t.Fatalf("help requests: %+v %v", helps, err)
	}
	tr, err = f.svc.TransferOf(ctx, f.staff, "c1", tr.ID)
	if err != nil || tr.LeftBehind[0].HelpID != helps[0].ID || tr.LeftBehind[1].HelpID != helps[0].ID {
		t.Fatalf("recorded: %+v %v", tr.LeftBehind, err)
	}

	// Forward only; exempted with a reason; the same step twice is fine.
	steps := []struct {
		who, status, reason, want string
	}{
		{wang, "ready", "", ""},
		{wang, "ready", "", ""},
		{wang, "boarded", "", ""},
		{wang, "ready", "", "TRANSFER_STATUS_BACKWARDS"},
		{wang, "arrived", "", ""},
		{wang, "exempted", "生病", "TRANSFER_STATUS_BACKWARDS"},
		{lee, "exempted", "", "VALIDATION_FAILED"},
		{lee, "exempted", "孕晚期，居家隔离", ""},
		{lee, "boarded", "", "TRANSFER_STATUS_BACKWARDS"},
		{granny, "ready", "", "NOT_IN_TRANSFER"},
		{wang, "flying", "", "VALIDATION_FAILED"},
	}
	for _, s := range steps {
		if _, err := f.svc.SetStatus(ctx, f.staff, "c1", tr.ID, s.who, watch.StatusChange{Status: s.status, Reason: s.reason}); code(err) != s.want {
			t.Errorf("%s → %s: %v, want %q", s.who, s.status, err, s.want)
		}
	}
	tr, _ = f.svc.TransferOf(ctx, f.staff, "c1", tr.ID)
	if tr.Open() {
		t.Errorf("everyone arrived or exempted, still open: %+v", tr.People)
	}
	header, rows := tr.Sheet()
	if len(header) != 9 || len(rows) != 4 || rows[0][7] != "已送达" || rows[1][7] != "免于转运" || rows[2][0] != "留守" {
		t.Errorf("the sheet: %q", rows)
	}
	// The return trip takes who arrived; it frees them, so it can be made.
	back, err := f.svc.Return(ctx, f.staff, "c1", tr.ID, watch.ReturnInput{At: at})
	if err != nil || back.Leg != watch.LegBack || back.ReturnOf != tr.ID || len(back.People) != 1 || back.People[0].ResidentID != wang || back.Pickup != "兰州市集中隔离点" {
		t.Fatalf("return: %+v %v", back, err)
	}
	if _, err := f.svc.Return(ctx, f.staff, "c1", back.ID, watch.ReturnInput{At: at}); code(err) != "NONE_ARRIVED" {
		t.Errorf("a return of a return: %v", err)
	}
	if _, err := f.svc.CreateTransfer(ctx, f.staff, "c1", in(wang)); code(err) != "ALREADY_IN_TRANSFER" {
		t.Errorf("in the return trip and another batch: %v", err)
	}
	if n := f.texts("transfer_notice"); n != 3 {
		t.Errorf("%d transfer texts, want 3 (the return told too)", n)
	}
	// The grandmother and the cat are on the care board until the return
	// trip has brought everyone back.
	board, err := f.root.Care().BoardOf(ctx, f.staff, "c1", "")
	if err != nil || len(board.LeftBehind) != 2 || board.LeftBehind[0].TransferID != tr.ID || board.LeftBehind[0].HelpID == "" {
		t.Fatalf("the care board while away: %+v %v", board.LeftBehind, err)
	}
	if _, err := f.svc.SetStatus(ctx, f.staff, "c1", back.ID, wang, watch.StatusChange{Status: "arrived"}); err != nil {
		t.Fatal(err)
	}
	if board, err = f.root.Care().BoardOf(ctx, f.staff, "c1", ""); err != nil || len(board.LeftBehind) != 0 {
		t.Errorf("the care board once back: %+v %v", board.LeftBehind, err)
	}
}
