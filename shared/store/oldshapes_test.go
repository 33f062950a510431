package store_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/retention"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

// The shapes an earlier version wrote, put in the table as it wrote them:
// domain values under their JSON names with times to the nanosecond in
// Beijing time; nested values under their Go field names; sign-in's and
// locks' times in epoch seconds. Every one must read as it meant.

// oldJSONItem is what the earlier jsonItem wrote: v under its JSON names
// beside its keys.
func oldJSONItem(t *testing.T, k store.Key, typ string, v any, extra map[string]types.AttributeValue) map[string]types.AttributeValue {
	t.Helper()
	item, err := attributevalue.MarshalMapWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
	if err != nil {
		t.Fatal(err)
	}
	item["PK"], item["SK"], item["type"] = s(k.PK), s(k.SK), s(typ)
	for name, av := range extra {
		item[name] = av
	}
	return item
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func put(t *testing.T, db store.DB, table string, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

func sameMoment(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || got.Location() != chinatime.Zone {
		t.Errorf("%s: %v (%v), want %v in Beijing time", what, got, got.Location(), want)
	}
}

func TestItemsOfAnEarlierVersionRead(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	// Beijing time with nanoseconds, as the earlier version kept it.
	at := time.Date(2026, 11, 30, 15, 4, 5, 123456789, chinatime.Zone)
	decided := at.Add(time.Minute)

	// A volunteer, a post with its secret beside it, an assignment.
	v := volunteers.Volunteer{ID: "v1", CommunityID: "c1", Name: "张卫国", Phone: "13500000001", Category: "individual",
		Skills: []string{"driving"}, Availability: []volunteers.Window{{Day: 1, From: "08:00", To: "12:00"}},
		Status: volunteers.StatusApproved, CreatedAt: at, DecidedAt: &decided, DecidedBy: "u-s"}
	ix := store.VolunteersIndex("c1", "v1")
	put(t, db, table, oldJSONItem(t, store.VolunteerKey("v1"), "volunteer", v, map[string]types.AttributeValue{"GSI1PK": s(ix.PK), "GSI1SK": s(ix.SK)}))
	got, err := st.Volunteer(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	sameMoment(t, "volunteer.createdAt", got.CreatedAt, at)
	if got.DecidedAt == nil || !got.DecidedAt.Equal(decided) || got.Availability[0].From != "08:00" || got.Skills[0] != "driving" {
		t.Errorf("volunteer %+v", got)
	}
	post := volunteers.Post{ID: "p1", CommunityID: "c1", Kind: "checkpoint", Name: "卡口", Place: "东门", Skills: []string{},
		Shifts: []volunteers.Shift{{ID: "s1", StartsAt: at, EndsAt: at.Add(4 * time.Hour), Need: 2}}, CreatedAt: at}
	put(t, db, table, oldJSONItem(t, store.PostKey("p1"), "post", post,
		map[string]types.AttributeValue{"codeSecret": &types.AttributeValueMemberB{Value: []byte("secret")}}))
	p, err := st.Post(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	sameMoment(t, "post.shifts[0].startsAt", p.Shifts[0].StartsAt, at)
	if string(p.CodeSecret) != "secret" || p.Shifts[0].Need != 2 {
		t.Errorf("post %+v", p)
	}

	// An activation with an ask on the backup job's index; an old lock of
	// the same scope, in epoch seconds and over: a new call takes it.
	act := volunteers.Activation{ID: "a1", CommunityID: "c1", Scope: volunteers.Scope{PostIDs: []string{"p1"}}, Minutes: 10, CreatedAt: at, CreatedBy: "u-s"}
	put(t, db, table, oldJSONItem(t, store.ActivationKey("a1"), "activation", act, nil))
	ask := volunteers.Ask{ActivationID: "a1", CommunityID: "c1", PostID: "p1", Post: "卡口", ShiftID: "s1", StartsAt: at, Need: 2,
		VolunteerID: "v1", Name: "张卫国", Role: "A", Status: volunteers.AskAsked, AskedAt: at, DeadlineAt: at.Add(10 * time.Minute), Minutes: 10}
	due := store.AskDueIndex(ask.DeadlineAt, "a1", "v1", "p1", "s1")
	put(t, db, table, oldJSONItem(t, store.AskKey("a1", "v1", "p1", "s1"), "ask", ask,
		map[string]types.AttributeValue{"GSI2PK": s(due.PK), "GSI2SK": s(due.SK)}))
	a, asks, err := st.Activation(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Scope.PostIDs[0] != "p1" || len(asks) != 1 || !asks[0].BackupDue || !asks[0].DeadlineAt.Equal(ask.DeadlineAt) {
		t.Errorf("activation %+v, asks %+v", a, asks)
	}
	lock := store.ActivationLockKey("c1", "posts:p1")
	put(t, db, table, map[string]types.AttributeValue{"PK": s(lock.PK), "SK": s(lock.SK), "type": s("activationLock"),
		"activationId": s("a0"), "until": num(at.Add(-time.Hour).Unix()), "expiresAt": num(at.Unix())})
	next := volunteers.Activation{ID: "a2", CommunityID: "c1", Scope: act.Scope, Minutes: 10, CreatedAt: at, CreatedBy: "u-s"}
	if err := st.CreateActivation(ctx, next, nil, "posts:p1", at.Add(10*time.Minute), nil); err != nil {
		t.Errorf("an old lock that is over held a new call: %v", err)
	}
	if err := st.CreateActivation(ctx, volunteers.Activation{ID: "a3", CommunityID: "c1", Scope: act.Scope, CreatedAt: at}, nil, "posts:p1", at, nil); !errors.Is(err, volunteers.ErrAlreadyCalled) {
		t.Errorf("the new lock did not hold: %v", err)
	}

	// A check-in opened by the earlier version is checked out by this one,
	// once.
	in := volunteers.Checkin{VolunteerID: "v1", CommunityID: "c1", Name: "张卫国", Category: "individual", PostID: "p1", Post: "卡口",
		ShiftID: "s1", In: at, ShiftEnds: at.Add(4 * time.Hour)}
	put(t, db, table, oldJSONItem(t, store.OpenCheckinKey("v1"), "checkin", in, nil))
	open, err := st.Serving(ctx, "v1")
	if err != nil {
		t.Fatal(err)
	}
	sameMoment(t, "checkin.checkedInAt", open.In, at)
	out := at.Add(2 * time.Hour)
	open.Out, open.Minutes = &out, 120
	if err := st.StopServing(ctx, open); err != nil {
		t.Fatalf("checking out an old check-in: %v", err)
	}
	if err := st.StopServing(ctx, open); !errors.Is(err, volunteers.ErrNotCheckedIn) {
		t.Errorf("a second check-out: %v", err)
	}
	hours, err := st.Hours(ctx, "c1", "2026-11")
	if err != nil || len(hours) != 1 || hours[0].Minutes != 120 {
		t.Errorf("hours %+v %v", hours, err)
	}

	// The mode, a retention record, a drill's message, a phone's menu.
	since := at
	put(t, db, table, oldJSONItem(t, store.ModeKey("c1"), "mode", playbook.State{CommunityID: "c1", Mode: playbook.ModeEmergency,
		Since: &since, RunID: "r1", Version: 3}, nil))
	mode, err := st.Mode(ctx, "c1")
	if err != nil || mode.Mode != playbook.ModeEmergency || mode.Version != 3 || mode.Since == nil || !mode.Since.Equal(at) {
		t.Errorf("mode %+v %v", mode, err)
	}
	rec := retention.Record{CommunityID: "c1", From: at, EndedAt: at.Add(time.Hour), Days: 30, ExpiresAt: at.Add(30 * 24 * time.Hour),
		Status: retention.StatusMarking, Marked: map[string]int{"bookings": 4}, Done: []string{"temperatures"}, UpdatedAt: at}
	put(t, db, table, oldJSONItem(t, store.RetentionKey("c1"), "retention", rec, nil))
	r, ok, err := st.Retention(ctx, "c1")
	if err != nil || !ok || !r.ExpiresAt.Equal(rec.ExpiresAt) || r.Marked["bookings"] != 4 || r.Done[0] != "temperatures" {
		t.Errorf("retention %+v %v", r, err)
	}
	lease := store.RetentionLeaseKey("c1")
	put(t, db, table, map[string]types.AttributeValue{"PK": s(lease.PK), "SK": s(lease.SK), "type": s("retentionLease"),
		"until": num(at.Add(time.Minute).Unix()), "expiresAt": num(at.Add(time.Hour).Unix())})
	if got, err := st.LeaseRetention(ctx, "c1", at.Add(2*time.Minute), at); err != nil || got {
		t.Errorf("an old lease still held was taken: %v %v", got, err)
	}
	if got, err := st.LeaseRetention(ctx, "c1", at.Add(5*time.Minute), at.Add(2*time.Minute)); err != nil || !got {
		t.Errorf("an old lease that ended was not taken: %v %v", got, err)
	}
	sent := drill.Sent{RunID: "r1", ID: "d1", To: "13700000001", Template: "notice", Purpose: "notice", Body: "【防线】…", Parts: 1, At: at}
	put(t, db, table, oldJSONItem(t, store.DrillSMSKey("r1", at, "d1"), "drillSms", sent, nil))
	box, err := st.DrillOutbox(ctx, "r1")
	if err != nil || len(box) != 1 || box[0].To != sent.To || !box[0].At.Equal(at) {
		t.Errorf("drill outbox %+v %v", box, err)
	}
	menu := store.MenuKey("13700000001")
	put(t, db, table, oldJSONItem(t, menu, "smsMenu", struct {
		Items []map[string]any `json:"items"`
	}{[]map[string]any{{"itemId": "i1", "name": "大米", "priceFen": 5000}}},
		map[string]types.AttributeValue{"expiresAt": num(at.Add(time.Hour).Unix())}))
	items, err := st.Menu(ctx, "13700000001", at)
	if err != nil || len(items) != 1 || items[0].Name != "大米" || items[0].PriceFen != 5000 {
		t.Errorf("menu %+v %v", items, err)
	}

	// Sign-in's times in epoch seconds: a live code is still tried, a
	// revocation still voids, a published key still verifies.
	sub := auth.ChallengeSubject{Phone: "13700000001"}
	ck := store.ChallengeKey("13700000001")
	now := time.Now()
	put(t, db, table, map[string]types.AttributeValue{"PK": s(ck.PK), "SK": s(ck.SK), "type": s("otp"), "sends": num(1),
		"lastSentAt": num(now.Add(-time.Minute).Unix()), "nextSendAt": num(now.Add(time.Minute).Unix()),
		"codeHash": &types.AttributeValueMemberB{Value: []byte("hash")}, "codeExpiresAt": num(now.Add(4 * time.Minute).Unix()),
		"attempts": num(0), "version": num(1), "expiresAt": num(now.Add(3 * time.Hour).Unix())})
	c, err := st.Challenge(ctx, sub)
	if err != nil || c.Version != 1 || c.NextSendAt.Unix() != now.Add(time.Minute).Unix() {
		t.Errorf("challenge %+v %v", c, err)
	}
	if hash, _, err := st.Attempt(ctx, sub, now); err != nil || string(hash) != "hash" {
		t.Errorf("a live code written in epoch seconds was not tried: %q %v", hash, err)
	}
	if _, _, err := st.Attempt(ctx, sub, now.Add(10*time.Minute)); !errors.Is(err, auth.ErrNoChallenge) {
		t.Errorf("an expired code written in epoch seconds: %v", err)
	}
	rk := store.RevocationKey("u1")
	put(t, db, table, map[string]types.AttributeValue{"PK": s(rk.PK), "SK": s(rk.SK), "type": s("revocation"), "userId": s("u1"),
		"revokedAt": num(now.Unix()), "expiresAt": num(now.Add(time.Hour).Unix())})
	kk := store.SigningKeyKey("k1")
	put(t, db, table, map[string]types.AttributeValue{"PK": s(kk.PK), "SK": s(kk.SK), "type": s("signing-key"), "kid": s("k1"),
		"pem": s("-----BEGIN PUBLIC KEY-----"), "createdAt": s(at.UTC().Format(time.RFC3339Nano))})
	ts, err := st.TokenState(ctx)
	if err != nil || ts.Revoked["u1"].Unix() != now.Unix() || len(ts.Keys) != 1 || ts.Keys[0].ID != "k1" || !ts.Keys[0].CreatedAt.Equal(at) {
		t.Errorf("token state %+v %v", ts, err)
	}

	// A help request's actions and an order's lines and history under
	// their Go field names.
	hk := store.HelpKey("h1")
	put(t, db, table, map[string]types.AttributeValue{"PK": s(hk.PK), "SK": s(hk.SK), "type": s("help"), "id": s("h1"),
		"communityId": s("c1"), "householdId": s("b1-h1"), "residentId": s("b1-h1-r1"), "kind": s("medical_visit"), "note": s(""),
		"status": s("claimed"), "name": s("王伯"), "address": s("1号楼1单元101"), "phone": s("13700000001"),
		"createdAt": s("2026-11-30T07:04:05Z"), "deadlineAt": s("2026-11-30T08:04:05Z"), "level": num(0),
		"actions": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"At": s(at.Format(time.RFC3339Nano)), "By": s("u-s"), "Text": s("已联系医院")}}}}})
	h, err := st.Help(ctx, "h1")
	if err != nil || len(h.Actions) != 1 || h.Actions[0].Text != "已联系医院" || !h.Actions[0].At.Equal(at) {
		t.Errorf("help %+v %v", h, err)
	}
	ok2 := store.OrderKey("o1")
	put(t, db, table, map[string]types.AttributeValue{"PK": s(ok2.PK), "SK": s(ok2.SK), "type": s("order"), "id": s("o1"),
		"communityId": s("c1"), "householdId": s("b1-h1"), "buildingId": s("b1"), "placedBy": s("b1-h1-r1"), "totalFen": num(10000),
		"note": s(""), "status": s("placed"), "createdAt": s("2026-11-30T07:04:05Z"), "day": s("2026-11-30"), "doorCode": s("1234"),
		"codeTries": num(0),
		"lines": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"ItemID": s("i1"), "MerchantID": s("m1"), "Name": s("大米"), "Unit": s("袋"), "PriceFen": num(5000), "Quantity": num(2)}}}},
		"history": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"Status": s("placed"), "At": s(at.Format(time.RFC3339Nano)), "By": s("b1-h1-r1"), "Reason": s("")}}}}})
	o, err := st.Order(ctx, "o1")
	if err != nil || len(o.Lines) != 1 || o.Lines[0].Quantity != 2 || o.Lines[0].Name != "大米" || len(o.History) != 1 || !o.History[0].At.Equal(at) {
		t.Errorf("order %+v %v", o, err)
	}
}
