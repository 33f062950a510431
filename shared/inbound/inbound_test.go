package inbound_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/inbound"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

func newHandler(t *testing.T) (*inbound.Handler, *store.Store) {
	t.Helper()
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	return app.Local(st, queue.NewLocal(5, 10, time.Millisecond), &sms.Outbox{Signature: "防线", Now: time.Now}, time.Now).Inbound(), st
}

func TestReplyKeywords(t *testing.T) {
	h, st := newHandler(t)
	ctx := context.Background()
	cases := []struct {
		text, want string
		optedOut   bool
	}{
		{"TD", inbound.ActionOptOut, true},
		{" ｔｄ。", inbound.ActionOptOut, true},
		{"退订", inbound.ActionOptOut, true},
		{"订阅", inbound.ActionOptIn, false},
		{"Stop!", inbound.ActionOptOut, true},
		{"start", inbound.ActionOptIn, false},
		// Anything else goes to the keyword flows, which answer it.
		{"体温 36.5", inbound.ActionForwarded, false},
		{"TD~", inbound.ActionOptOut, true},
		{"订阅", inbound.ActionOptIn, false},
		{"TD 谢谢", inbound.ActionOptOut, true},
		{"订阅", inbound.ActionOptIn, false},
		{"回复TD退订", inbound.ActionOptOut, true},
		{"订阅", inbound.ActionOptIn, false},
		{"我要N95口罩两个", inbound.ActionForwarded, false},
		{"STUDENT", inbound.ActionForwarded, false},
	}
	start := time.Now().Add(-time.Hour)
	for i, c := range cases {
		at := start.Add(time.Duration(i) * time.Second)
		got, err := h.Reply(ctx, inbound.Reply{From: "13700000001", Text: c.text, At: at, Key: fmt.Sprint("k", i)})
		if err != nil || got != c.want {
			t.Errorf("%q: %q %v, want %q", c.text, got, err, c.want)
		}
		if out, _ := st.OptedOut(ctx, "13700000001"); out != c.optedOut {
			t.Errorf("after %q opted out = %v", c.text, out)
		}
	}
	// A reply delivered again is handled once: a later 订阅 is not undone
	// by a retried TD.
	if got, _ := h.Reply(ctx, inbound.Reply{From: "13700000001", Text: "TD", Key: "k0"}); got != inbound.ActionDuplicate {
		t.Errorf("a retried reply: %q", got)
	}
	if out, _ := st.OptedOut(ctx, "13700000001"); out {
		t.Error("a retried TD opted the phone out again")
	}
	// A TD written before the last 订阅 but delivered after it (under
	// another key) does not undo it: the latest word wins.
	if got, _ := h.Reply(ctx, inbound.Reply{From: "13700000001", Text: "TD", At: start.Add(-time.Minute), Key: "late"}); got != inbound.ActionOptOut {
		t.Errorf("a late TD: %q", got)
	}
	if out, _ := st.OptedOut(ctx, "13700000001"); out {
		t.Error("a late, older TD undid a newer 订阅")
	}
	// A TD dated a year ahead (a provider's clock, or a forged callback)
	// counts as said now: the phone's 订阅 a minute later still counts.
	if _, err := h.Reply(ctx, inbound.Reply{From: "13700000002", Text: "TD", At: time.Now().AddDate(1, 0, 0), Key: "future"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the stored time has whole seconds
	if got, _ := h.Reply(ctx, inbound.Reply{From: "13700000002", Text: "订阅", At: time.Now(), Key: "after"}); got != inbound.ActionOptIn {
		t.Errorf("订阅 after a future-dated TD: %q", got)
	}
	if out, _ := st.OptedOut(ctx, "13700000002"); out {
		t.Error("a TD dated in the future opted the phone out for good")
	}
}

// snsEvent wraps a two-way SMS payload as SNS delivers it to Lambda.
func snsEvent(payload string) json.RawMessage {
	msg, _ := json.Marshal(payload)
	return json.RawMessage(`{"Records":[{"EventSource":"aws:sns","EventVersion":"1.0","Sns":{"Type":"Notification",` +
		`"MessageId":"95df01b4-ee98-5cb9-9903-4c221d41eb5e","TopicArn":"arn:aws:sns:ap-east-1:123456789012:sms-inbound",` +
		`"Timestamp":"2026-11-30T02:00:00.000Z","Message":` + string(msg) + `}}]}`)
}

func deliveryEvent(messageID, status string, final bool) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"version":"0","id":"5c0fa4f8-e4ba-ed02-6101-c795472fccd0","detail-type":"Text Message Delivery Status Updated",`+
		`"source":"aws.sms-voice","account":"123456789012","time":"2026-11-30T02:00:41Z","region":"ap-east-1","resources":[],`+
		`"detail":{"eventType":"TEXT_%s","eventVersion":"1.0","eventTimestamp":1764468041377,"isFinal":%v,"destinationPhoneNumber":"+8613700000001",`+
		`"messageId":%q,"messageType":"TRANSACTIONAL","messageStatus":%q,"totalMessageParts":1}}`, status, final, messageID, status))
}

func TestAWSEvents(t *testing.T) {
	h, st := newHandler(t)
	ctx := context.Background()
	reply := snsEvent(`{"originationNumber":"+8613700000001","destinationNumber":"+85230001234","messageKeyword":"TD","messageBody":"TD","inboundMessageId":"cae173d2-66b9-564c-8309-21f858e9fb84"}`)
	for i := 0; i < 2; i++ {
		if err := h.HandleAWS(ctx, reply); err != nil {
			t.Fatal(err)
		}
	}
	if out, _ := st.OptedOut(ctx, "13700000001"); !out {
		t.Error("a TD through the SNS topic did not opt the phone out")
	}
	// From abroad, or not a two-way payload: dropped, not failed.
	for _, payload := range []string{`{"originationNumber":"+14255550182","messageBody":"TD","inboundMessageId":"x1"}`, `not json`} {
		if err := h.HandleAWS(ctx, snsEvent(payload)); err != nil {
			t.Errorf("%s: %v", payload, err)
		}
	}
	if out, _ := st.OptedOut(ctx, "14255550182"); out {
		t.Error("a foreign number was recorded")
	}

	// Delivery events count against the notice that sent the message.
	if err := st.CreateNotice(ctx, notices.Notice{ID: "n1", CommunityID: "c1", Title: "t", Body: "b", Channels: []string{"sms"},
		BuildingIDs: []string{}, CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{"13700000001", "13700000002", "13700000003"} {
		if _, err := st.ClaimSend(ctx, "n1", p); err != nil {
			t.Fatal(err)
		}
		if err := st.FinishSend(ctx, "n1", p, "sent", fmt.Sprint("msg-", i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range []json.RawMessage{
		deliveryEvent("msg-0", "PENDING", false),
		deliveryEvent("msg-0", "DELIVERED", true),
		deliveryEvent("msg-0", "DELIVERED", true),
		deliveryEvent("msg-1", "CARRIER_UNREACHABLE", true),
		deliveryEvent("msg-2", "UNKNOWN", true),
		deliveryEvent("msg-other", "DELIVERED", true),
	} {
		if err := h.HandleAWS(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	_, d, err := st.Notice(ctx, "n1")
	if err != nil || d.Sent != 2 || d.Delivered != 1 || d.Failed != 1 {
		t.Fatalf("after the events: %+v %v", d, err)
	}
	if err := h.HandleAWS(ctx, json.RawMessage(`{"something":"else"}`)); err == nil {
		t.Error("an event of neither kind was taken")
	}
}

func TestCallbackSecrets(t *testing.T) {
	current, previous := strings.Repeat("a", 43), strings.Repeat("b", 43)
	value := current + "\n" + previous + "\n"
	loads := 0
	s := &inbound.Secrets{TTL: time.Hour, Load: func(context.Context) ([]byte, error) { loads++; return []byte(value), nil }}
	for given, want := range map[string]bool{current: true, previous: true, strings.Repeat("c", 43): false, "": false, current[:40]: false} {
		if ok, err := s.Check(context.Background(), given); err != nil || ok != want {
			t.Errorf("%q: %v %v", given, ok, err)
		}
	}
	if loads != 1 {
		t.Errorf("the parameter was read %d times inside its TTL", loads)
	}
	for _, bad := range []string{"", "short", current + "\nshort"} {
		if _, err := inbound.ParseSecrets([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
