package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/sms"
)

// drainQueue runs the local dispatch queue until nothing is left.
func (w *world) drainQueue() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for w.d.queue.Len() > 0 && ctx.Err() == nil {
		w.d.queue.Drain(ctx, w.d.dispatch.Handle)
	}
	if ctx.Err() != nil {
		w.t.Fatal("the dispatch queue did not drain")
	}
}

func (w *world) delivery(noticeID string) notices.Delivery {
	w.t.Helper()
	code, _, body := w.call("GET", "/v1/notices/"+noticeID+"/delivery", "staffA", "", "")
	var d notices.Delivery
	if err := json.Unmarshal([]byte(body), &d); code != 200 || err != nil {
		w.t.Fatalf("delivery: %d %s", code, body)
	}
	return d
}

// TestNoticePreviewShowsTheSMSAndItsCost: staff see the exact SMS, its
// parts and the parts for the audience before they send; a title a carrier
// would refuse is refused before anything is recorded.
func TestNoticePreviewShowsTheSMSAndItsCost(t *testing.T) {
	w := newWorld(t)
	code, _, body := w.json("POST", "/v1/communities/ca/notices/preview", "staffA",
		`{"title":"明日停水通知","body":"明日9点至12点停水，请提前储水。","audience":{"all":true},"channels":["app","sms"]}`)
	var pv notices.Preview
	if err := json.Unmarshal([]byte(body), &pv); code != 200 || err != nil {
		t.Fatalf("preview: %d %s", code, body)
	}
	if pv.Buildings != 1 || pv.Households != 2 || pv.Phones != 2 || pv.SMS == nil {
		t.Fatalf("preview %+v", pv)
	}
	if pv.SMS.Template != "notice" || pv.SMS.Text != "【防线】社区通知：明日停水通知。详情请在小程序通知栏查看或咨询社区。" ||
		pv.SMS.Parts != 1 || pv.SMS.TotalParts != 2 || pv.SMS.Characters != len([]rune(pv.SMS.Text)) {
		t.Errorf("sms %+v", *pv.SMS)
	}
	// A phone that replied TD is counted apart and costs nothing.
	if err := w.st.SetOptOut(context.Background(), "13700000002", time.Now()); err != nil {
		t.Fatal(err)
	}
	_, _, body = w.json("POST", "/v1/communities/ca/notices/preview", "staffA",
		`{"title":"明日停水通知","body":"明日9点至12点停水，请提前储水。","audience":{"all":true},"channels":["sms"]}`)
	if err := json.Unmarshal([]byte(body), &pv); err != nil || pv.Phones != 1 || pv.OptedOut != 1 || pv.SMS == nil || pv.SMS.TotalParts != 1 {
		t.Errorf("preview with one phone opted out: %s", body)
	}
	if code, errCode, body := w.json("POST", "/v1/communities/ca/notices/preview", "staffA",
		`{"title":"详见 www.example.cn","body":"x","audience":{"all":true},"channels":["sms"]}`); code != 400 || errCode != "VALIDATION_FAILED" || !strings.Contains(body, "title") {
		t.Errorf("a title with a link, by SMS: %d %s", code, body)
	}
	for _, path := range []string{"/v1/communities/ca/notices/preview", "/v1/communities/ca/notices"} {
		if code, _, body := w.json("POST", path, "staffA",
			`{"title":"详见 www.example.cn","body":"x","audience":{"all":true},"channels":["sms"]}`); code != 400 {
			t.Errorf("%s: a title no carrier takes was taken: %d %s", path, code, body)
		}
	}
	code, _, body = w.json("POST", "/v1/communities/ca/notices/preview", "staffA",
		`{"title":"详见 www.example.cn","body":"x","audience":{"all":true},"channels":["app"]}`)
	if code != 200 || !strings.Contains(body, `"sms":null`) {
		t.Errorf("the same title in the app only: %d %s", code, body)
	}
	if code, _, _ := w.json("POST", "/v1/communities/cb/notices/preview", "staffA",
		`{"title":"t","body":"x","audience":{"all":true},"channels":["sms"]}`); code != 403 {
		t.Errorf("another community's preview: %d", code)
	}
}

// TestCallbacksCountReceiptsAndHonourOptOut drives Tencent Cloud's two
// callbacks through the router: receipts move a notice's SMS to delivered or
// failed once, however often they come; TD stops SMS to a phone, 订阅
// resumes them; a wrong secret is a path that does not exist.
func TestCallbacksCountReceiptsAndHonourOptOut(t *testing.T) {
	w := newWorld(t)
	notice := func(title string) string {
		code, _, body := w.json("POST", "/v1/communities/ca/notices", "staffA",
			`{"title":"`+title+`","body":"请居家。","audience":{"all":true},"channels":["sms"]}`)
		var n notices.Notice
		if err := json.Unmarshal([]byte(body), &n); code != 201 || err != nil {
			t.Fatalf("notice: %d %s", code, body)
		}
		w.drainQueue()
		return n.ID
	}
	first := notice("封控通知")
	id1 := w.d.outbox.To("13700000001")[0].ID
	id2 := w.d.outbox.To("13700000002")[0].ID
	callbacks := "/v1/sms/callbacks/" + localCallbackSecret

	receipts := fmt.Sprintf(`[{"user_receive_time":"2026-11-30 08:03:04","nationcode":"86","mobile":"13700000001","report_status":"SUCCESS","errmsg":"DELIVRD","description":"用户短信送达成功","sid":%q},`+
		`{"user_receive_time":"2026-11-30 08:03:05","nationcode":"86","mobile":"13700000002","report_status":"FAIL","errmsg":"MK:0001","description":"用户关机","sid":%q},`+
		`{"user_receive_time":"2026-11-30 08:03:05","nationcode":"86","mobile":"13700000003","report_status":"SUCCESS","errmsg":"DELIVRD","description":"","sid":"a-sign-in-code"}]`, id1, id2)
	for _, wrong := range []string{"/v1/sms/callbacks/" + strings.Repeat("x", 40), "/v1/sms/callbacks/" + localCallbackSecret[:32]} {
		if code, errCode, _ := w.json("POST", wrong+"/receipts", "", receipts); code != 404 || errCode != "NOT_FOUND" {
			t.Errorf("receipts with a wrong secret: %d %s", code, errCode)
		}
	}
	if d := w.delivery(first); d.Delivered != 0 || d.Sent != 2 {
		t.Fatalf("receipts with a wrong secret counted: %+v", d)
	}
	for i := 0; i < 2; i++ { // the provider retries: counted once
		if code, _, body := w.json("POST", callbacks+"/receipts", "", receipts); code != 200 || body != `{"errmsg":"OK","result":0}` {
			t.Fatalf("receipts: %d %q", code, body)
		}
	}
	if d := w.delivery(first); d.Queued != 2 || d.Sent != 1 || d.Delivered != 1 || d.Failed != 1 {
		t.Fatalf("after the receipts: %+v", d)
	}
	// A receipt that cannot be read is passed over, not allowed to drop the
	// good one beside it; a field Tencent Cloud adds later is passed over.
	second := notice("核酸通知")
	id3 := w.d.outbox.To("13700000001")[1].ID
	mixed := fmt.Sprintf(`[{"sid":"x","report_status":"MAYBE"},{"sid":%q,"report_status":"success","carrier":"CMCC"}]`, id3)
	if code, _, body := w.json("POST", callbacks+"/receipts", "", mixed); code != 200 {
		t.Errorf("receipts with one unreadable: %d %s", code, body)
	}
	if d := w.delivery(second); d.Delivered != 1 {
		t.Errorf("the readable receipt beside an unreadable one: %+v", d)
	}

	reply := func(text string, at int64, nation string) {
		t.Helper()
		body := fmt.Sprintf(`{"extend":"","mobile":"13700000001","nationcode":%q,"sign":"防线","text":%q,"time":%d}`, nation, text, at)
		if code, _, out := w.json("POST", callbacks+"/replies", "", body); code != 200 {
			t.Fatalf("reply %q: %d %s", text, code, out)
		}
	}
	now := time.Now().Unix()
	reply(" td ", now, "86")
	reply(" td ", now, "86") // delivered twice
	notice("第二次通知")
	if got := len(w.d.outbox.To("13700000001")); got != 2 {
		t.Errorf("after TD the phone got %d SMS in all, want the two before it", got)
	}
	reply("订阅", now+60, "86")
	reply("TD", now+120, "1") // not a mainland number: nothing to do
	notice("第三次通知")
	// The third notice, and the confirmation that SMS resumed.
	if got := w.d.outbox.To("13700000001"); len(got) != 4 || !slices.ContainsFunc(got, func(m sms.Sent) bool { return m.Template == "reply_started" }) {
		t.Errorf("after 订阅 the phone got %d SMS in all, want 4 with reply_started", len(got))
	}
	if got := len(w.d.outbox.To("13700000002")); got != 4 {
		t.Errorf("the other phone got %d SMS, want 4", got)
	}
	if code, errCode, _ := w.json("POST", callbacks+"/replies", "", `{"mobile":"13700000001","text":"查询","time":99999999999999}`); code != 400 || errCode != "VALIDATION_FAILED" {
		t.Errorf("a reply from the year 3 million: %d %s", code, errCode)
	}
	if code, errCode, _ := w.json("POST", callbacks+"/replies", "", `{"mobile":"12345","text":"TD","time":1}`); code != 400 || errCode != "VALIDATION_FAILED" {
		t.Errorf("a reply from a malformed number: %d %s", code, errCode)
	}
}
