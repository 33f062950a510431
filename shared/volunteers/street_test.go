package volunteers_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/volunteers"
)

// TestAVolunteerLentForTheRush: c2 asks for a volunteer of c1 for the
// afternoon; c2 cannot approve its own request, c1's staff do; c2 puts
// them on a shift inside the loan (not one outside it), they check in
// and out at c2's post, and c2's service record has them with c1 as
// home. A loan while they are on a shift at home, a loan overlapping an
// approved one, a volunteer of another street: refused. The pool shows
// every community's volunteers, another community's phones masked.
func TestAVolunteerLentForTheRush(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []registry.Community{{ID: "c2", StreetID: "s1", Name: "二社区"}, {ID: "c3", StreetID: "s1", Name: "三社区"}} {
		if err := f.st.CreateCommunity(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	dynamolocal.SeedCommunity(t, f.st, "s9", "c9", "13900000099")
	staff2 := auth.Principal{UserID: "u-2", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized()
	staff3 := auth.Principal{UserID: "u-3", Role: manifest.RoleStaff, CommunityID: "c3"}.Normalized()
	staff9 := auth.Principal{UserID: "u-9", Role: manifest.RoleStaff, CommunityID: "c9"}.Normalized()
	v, vp := f.approved(t, "13600000001", "王志愿")
	now := f.clock.Now()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

	// At home, v has a shift in two days' time.
	home, err := f.svc.CreatePost(ctx, f.staff, "c1", volunteers.PostInput{Kind: "checkpoint", Name: "本社区卡口", Place: "东门",
		Shifts: []volunteers.ShiftInput{{StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(50 * time.Hour), Need: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	f.assign(t, home, v.ID, "A", false)
	for _, c := range []struct {
		name string
		p    auth.Principal
		cid  string
		in   volunteers.LoanInput
		code string
	}{
		{"over a shift at home", staff2, "c2", volunteers.LoanInput{VolunteerID: v.ID, From: at(47 * time.Hour), To: at(49 * time.Hour)}, "VOLUNTEER_ON_SHIFT"},
		{"from another street", staff9, "c9", volunteers.LoanInput{VolunteerID: v.ID, From: at(0), To: at(4 * time.Hour)}, "NOT_IN_STREET"},
		{"their own community's", f.staff, "c1", volunteers.LoanInput{VolunteerID: v.ID, From: at(0), To: at(4 * time.Hour)}, "VALIDATION_FAILED"},
		{"ending before it starts", staff2, "c2", volunteers.LoanInput{VolunteerID: v.ID, From: at(4 * time.Hour), To: at(0)}, "VALIDATION_FAILED"},
		{"for 40 days", staff2, "c2", volunteers.LoanInput{VolunteerID: v.ID, From: at(0), To: at(40 * 24 * time.Hour)}, "VALIDATION_FAILED"},
		{"for nobody", staff2, "c2", volunteers.LoanInput{VolunteerID: "vnobody00000", From: at(0), To: at(4 * time.Hour)}, "VALIDATION_FAILED"},
	} {
		if _, err := f.svc.RequestLoan(ctx, c.p, c.cid, c.in); code(err) != c.code {
			t.Errorf("a loan %s: %v, want %s", c.name, err, c.code)
		}
	}
	loan, err := f.svc.RequestLoan(ctx, staff2, "c2", volunteers.LoanInput{VolunteerID: v.ID, From: at(-30 * time.Minute), To: at(6 * time.Hour), Note: "采样高峰"})
	if err != nil || loan.Status != volunteers.LoanRequested || loan.HomeCommunityID != "c1" {
		t.Fatalf("the loan: %+v %v", loan, err)
	}
	rival, err := f.svc.RequestLoan(ctx, staff3, "c3", volunteers.LoanInput{VolunteerID: v.ID, From: at(2 * time.Hour), To: at(8 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.DecideLoan(ctx, staff2, loan.ID, true); code(err) != "FORBIDDEN" {
		t.Errorf("the borrower approved its own request: %v", err)
	}
	if loan, err = f.svc.DecideLoan(ctx, f.staff, loan.ID, true); err != nil || loan.Status != volunteers.LoanApproved {
		t.Fatalf("approval: %+v %v", loan, err)
	}
	if _, err := f.svc.DecideLoan(ctx, f.staff, loan.ID, false); code(err) != "LOAN_DECIDED" {
		t.Errorf("decided twice: %v", err)
	}
	if _, err := f.svc.DecideLoan(ctx, f.staff, rival.ID, true); code(err) != "VOLUNTEER_LENT" {
		t.Errorf("an overlapping loan approved: %v", err)
	}

	// c2's post: a shift inside the loan takes v, one after it does not.
	post, err := f.svc.CreatePost(ctx, staff2, "c2", volunteers.PostInput{Kind: "queue_marshal", Name: "排队引导", Place: "西门采样点",
		Shifts: []volunteers.ShiftInput{{StartsAt: now.Add(-5 * time.Minute), EndsAt: now.Add(3 * time.Hour), Need: 1},
			{StartsAt: now.Add(7 * time.Hour), EndsAt: now.Add(9 * time.Hour), Need: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Assign(ctx, staff2, post.ID, volunteers.AssignInput{VolunteerID: v.ID, ShiftID: "s2", Role: "A"}); code(err) != "VALIDATION_FAILED" {
		t.Errorf("a shift after the loan: %v", err)
	}
	if _, err := f.svc.Assign(ctx, staff3, post.ID, volunteers.AssignInput{VolunteerID: v.ID, ShiftID: "s1", Role: "A"}); code(err) != "FORBIDDEN" {
		t.Errorf("another community assigned on c2's post: %v", err)
	}
	sugg, err := f.svc.Suggest(ctx, staff2, post.ID, "s1")
	if err != nil || len(sugg) != 1 || sugg[0].VolunteerID != v.ID {
		t.Errorf("suggestions for c2's shift: %+v %v", sugg, err)
	}
	if _, err := f.svc.Assign(ctx, staff2, post.ID, volunteers.AssignInput{VolunteerID: v.ID, ShiftID: "s1", Role: "A"}); err != nil {
		t.Fatal(err)
	}
	qr, err := f.svc.Code(ctx, staff2, post.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckIn(ctx, vp, post.ID, qr.Token); err != nil {
		t.Fatal(err)
	}
	f.clock.add(2 * time.Hour)
	qr, _ = f.svc.Code(ctx, staff2, post.ID)
	if _, err := f.svc.CheckOut(ctx, vp, post.ID, qr.Token); err != nil {
		t.Fatal(err)
	}
	recs, err := f.svc.Records(ctx, staff2, "c2", now.Format("2006-01"))
	if err != nil || len(recs) != 1 {
		t.Fatalf("c2's records: %+v %v", recs, err)
	}
	if r := recs[0]; r.Name != "王志愿" || r.Home != "c1" || r.Recorder != "二社区" || !strings.Contains(r.Place, "西门采样点") || r.Hours < 1.9 || !strings.Contains(r.Content, "排队引导") {
		t.Errorf("the record: %+v", r)
	}

	pool, err := f.svc.Pool(ctx, staff2, "s1")
	if err != nil || len(pool) != 1 || pool[0].HomeCommunityID != "c1" || pool[0].Phone != "136****0001" || pool[0].LentTo != "c2" {
		t.Errorf("the pool as c2 sees it: %+v %v", pool, err)
	}
	if pool, _ := f.svc.Pool(ctx, f.staff, "s1"); len(pool) != 1 || pool[0].Phone != "13600000001" {
		t.Errorf("the pool as c1 sees it: %+v", pool)
	}
	if _, err := f.svc.Pool(ctx, staff9, "s1"); code(err) != "FORBIDDEN" {
		t.Errorf("another street's pool: %v", err)
	}
	loans, err := f.svc.LoansOf(ctx, f.staff, "c1")
	if err != nil || len(loans) != 2 {
		t.Errorf("c1's loans: %+v %v", loans, err)
	}
	// Lent to c2, their home may not put them on a shift then.
	homeNow, err := f.svc.CreatePost(ctx, f.staff, "c1", volunteers.PostInput{Kind: "checkpoint", Name: "北门", Place: "北门",
		Shifts: []volunteers.ShiftInput{{StartsAt: now.Add(3 * time.Hour), EndsAt: now.Add(4 * time.Hour), Need: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Assign(ctx, f.staff, homeNow.ID, volunteers.AssignInput{VolunteerID: v.ID, ShiftID: "s1", Role: "A"}); code(err) != "VOLUNTEER_LENT" {
		t.Errorf("their home took them during the loan: %v", err)
	}
	// Their record: the borrower's staff and their home's may read it, a
	// third community's may not.
	if _, err := f.svc.RecordOf(ctx, staff2, v.ID); err != nil {
		t.Errorf("the borrower's read of the record: %v", err)
	}
	if _, err := f.svc.RecordOf(ctx, staff3, v.ID); code(err) != "FORBIDDEN" {
		t.Errorf("a third community read the record: %v", err)
	}
}

// TestTwoOverlappingLoansApprovedAtOnce: five volunteers each asked for
// by two communities for overlapping times; both approvals of each sent
// at once: one of each stands, the other is refused.
func TestTwoOverlappingLoansApprovedAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []registry.Community{{ID: "c2", StreetID: "s1", Name: "二社区"}, {ID: "c3", StreetID: "s1", Name: "三社区"}} {
		if err := f.st.CreateCommunity(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	staff := map[string]auth.Principal{
		"c2": auth.Principal{UserID: "u-2", Role: manifest.RoleStaff, CommunityID: "c2"}.Normalized(),
		"c3": auth.Principal{UserID: "u-3", Role: manifest.RoleStaff, CommunityID: "c3"}.Normalized(),
	}
	now := f.clock.Now()
	var loans [][2]string
	for i := 0; i < 5; i++ {
		v, _ := f.approved(t, fmt.Sprintf("1360000003%d", i), fmt.Sprintf("志愿者%d", i))
		var pair [2]string
		for j, cid := range []string{"c2", "c3"} {
			l, err := f.svc.RequestLoan(ctx, staff[cid], cid, volunteers.LoanInput{VolunteerID: v.ID,
				From: now.Add(time.Duration(j) * time.Hour).Format(time.RFC3339), To: now.Add(time.Duration(j+4) * time.Hour).Format(time.RFC3339)})
			if err != nil {
				t.Fatal(err)
			}
			pair[j] = l.ID
		}
		loans = append(loans, pair)
	}
	var wg sync.WaitGroup
	results := make([][2]string, len(loans))
	for i, pair := range loans {
		for j, id := range pair {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.DecideLoan(ctx, f.staff, id, true)
				results[i][j] = code(err)
			}()
		}
	}
	wg.Wait()
	for i, r := range results {
		ok := 0
		for _, c := range r {
			if c == "" {
				ok++
			} else if c != "VOLUNTEER_LENT" && c != "LOAN_DECIDED" {
				t.Errorf("volunteer %d: %q", i, c)
			}
		}
		if ok != 1 {
			t.Errorf("volunteer %d: %d of two overlapping loans approved (%v)", i, ok, r)
		}
	}
}

// TestTrainingQualifiesAndTheRecordCounts: the street requires a training
// for checkpoints; one volunteer attends one (twice sent, counted once);
// the checkpoint's suggestions put them first; assigning the other says
// untrained; their records list the training, the shift served and the
// shift not come to; the ranking puts who served first.
func TestTrainingQualifiesAndTheRecordCounts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := auth.Principal{UserID: "admin-s1", Role: manifest.RoleAdmin, StreetID: "s1"}.Normalized()
	trained, tp := f.approved(t, "13600000011", "甲")
	other, _ := f.approved(t, "13600000012", "乙")
	if _, err := f.svc.SetRules(ctx, f.staff, "s1", volunteers.TrainingRules{Required: []string{"checkpoint"}}); code(err) != "FORBIDDEN" {
		t.Errorf("staff set the street's rules: %v", err)
	}
	if _, err := f.svc.SetRules(ctx, admin, "s1", volunteers.TrainingRules{Required: []string{"checkpoint", "checkpoint"}}); code(err) != "VALIDATION_FAILED" {
		t.Errorf("a kind twice: %v", err)
	}
	if _, err := f.svc.SetRules(ctx, admin, "s1", volunteers.TrainingRules{Required: []string{"checkpoint"}}); err != nil {
		t.Fatal(err)
	}
	day := f.clock.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if _, err := f.svc.CreateTraining(ctx, f.staff, "s1", volunteers.TrainingInput{Title: "卡口", Day: day, PostKinds: []string{"gate"}, Trainer: "街道"}); code(err) != "VALIDATION_FAILED" {
		t.Errorf("a kind that is none: %v", err)
	}
	ahead, err := f.svc.CreateTraining(ctx, f.staff, "s1", volunteers.TrainingInput{Title: "下月培训", Day: f.clock.Now().AddDate(0, 1, 0).Format(time.DateOnly),
		PostKinds: []string{"checkpoint"}, Trainer: "街道"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Attend(ctx, f.staff, ahead.ID, volunteers.AttendInput{VolunteerIDs: []string{other.ID}}); code(err) != "TRAINING_NOT_HELD" {
		t.Errorf("attendance of a training to come: %v", err)
	}
	tr, err := f.svc.CreateTraining(ctx, f.staff, "s1", volunteers.TrainingInput{Title: "卡口登记规程", Day: day, PostKinds: []string{"checkpoint"}, Trainer: "街道应急办"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if tr, err = f.svc.Attend(ctx, f.staff, tr.ID, volunteers.AttendInput{VolunteerIDs: []string{trained.ID}}); err != nil || tr.Attended != 1 {
			t.Fatalf("attendance %d: %+v %v", i, tr, err)
		}
	}
	if _, err := f.svc.Attend(ctx, f.staff, tr.ID, volunteers.AttendInput{VolunteerIDs: []string{"vnobody00000"}}); code(err) != "VALIDATION_FAILED" {
		t.Errorf("attendance of nobody: %v", err)
	}
	post := f.post(t, 2) // a checkpoint under way
	sugg, err := f.svc.Suggest(ctx, f.staff, post.ID, "s1")
	if err != nil || len(sugg) != 2 || sugg[0].VolunteerID != trained.ID || sugg[0].Trained == nil || !*sugg[0].Trained || *sugg[1].Trained {
		t.Fatalf("suggestions: %+v %v", sugg, err)
	}
	a, err := f.svc.Assign(ctx, f.staff, post.ID, volunteers.AssignInput{VolunteerID: other.ID, ShiftID: "s1", Role: "A"})
	if err != nil || !a.Untrained {
		t.Errorf("the untrained's assignment: %+v %v", a, err)
	}
	if a, err = f.svc.Assign(ctx, f.staff, post.ID, volunteers.AssignInput{VolunteerID: trained.ID, ShiftID: "s1", Role: "A"}); err != nil || a.Untrained {
		t.Errorf("the trained's assignment: %+v %v", a, err)
	}
	// 甲 serves the shift; 乙 does not come.
	qr, err := f.svc.Code(ctx, f.staff, post.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckIn(ctx, tp, post.ID, qr.Token); err != nil {
		t.Fatal(err)
	}
	f.clock.add(5 * time.Hour)
	qr, _ = f.svc.Code(ctx, f.staff, post.ID)
	if _, err := f.svc.CheckOut(ctx, tp, post.ID, qr.Token); code(err) != "" && code(err) != "NOT_CHECKED_IN" {
		t.Fatal(err)
	}
	rec, err := f.svc.RecordOf(ctx, admin, trained.ID)
	if err != nil || len(rec.Trainings) != 1 || rec.Shifts != 1 || rec.NoShows != 0 {
		t.Errorf("甲's record: %+v %v", rec, err)
	}
	rec, err = f.svc.RecordOf(ctx, f.staff, other.ID)
	if err != nil || len(rec.Trainings) != 0 || rec.Shifts != 0 || rec.NoShows != 1 {
		t.Errorf("乙's record: %+v %v", rec, err)
	}
	rank, err := f.svc.Ranking(ctx, admin, "s1", "")
	if err != nil || len(rank) != 2 || rank[0].VolunteerID != trained.ID {
		t.Errorf("the ranking: %+v %v", rank, err)
	}
	if rank, err = f.svc.Ranking(ctx, admin, "s1", "noShows"); err != nil || rank[0].VolunteerID != other.ID {
		t.Errorf("the ranking by no-shows: %+v %v", rank, err)
	}
	if _, err := f.svc.Ranking(ctx, admin, "s1", "bogus"); code(err) != "VALIDATION_FAILED" {
		t.Errorf("a ranking by nothing: %v", err)
	}
	if _, err := f.svc.Ranking(ctx, f.staff, "s1", ""); code(err) != "FORBIDDEN" {
		t.Errorf("staff read the ranking: %v", err)
	}
}

// TestOneActivationAcrossTheStreet: the street's admin calls two
// communities at once; the one with a shift calls its A, the other says
// it has nothing to call; a community of another street is refused.
func TestOneActivationAcrossTheStreet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.CreateCommunity(ctx, registry.Community{ID: "c2", StreetID: "s1", Name: "二社区"}); err != nil {
		t.Fatal(err)
	}
	dynamolocal.SeedCommunity(t, f.st, "s9", "c9", "13900000099")
	admin := auth.Principal{UserID: "admin-s1", Role: manifest.RoleAdmin, StreetID: "s1"}.Normalized()
	v, _ := f.approved(t, "13600000021", "丙")
	post := f.post(t, 1)
	f.assign(t, post, v.ID, "A", false)
	if _, err := f.svc.ActivateStreet(ctx, admin, "s1", volunteers.StreetActivationInput{Communities: []string{"c1", "c9"}, All: true}); code(err) != "VALIDATION_FAILED" {
		t.Errorf("another street's community: %v", err)
	}
	if _, err := f.svc.ActivateStreet(ctx, f.staff, "s1", volunteers.StreetActivationInput{Communities: []string{"c1"}, All: true}); code(err) != "FORBIDDEN" {
		t.Errorf("staff called the street: %v", err)
	}
	res, err := f.svc.ActivateStreet(ctx, admin, "s1", volunteers.StreetActivationInput{Communities: []string{"c2", "c1"}, All: true})
	if err != nil || len(res) != 2 {
		t.Fatalf("the street's activation: %+v %v", res, err)
	}
	if res[0].CommunityID != "c1" || res[0].Activation == nil || res[0].Activation.Asked != 1 {
		t.Errorf("c1: %+v", res[0])
	}
	if res[1].CommunityID != "c2" || res[1].Error != "NOTHING_TO_ACTIVATE" {
		t.Errorf("c2: %+v", res[1])
	}
}
