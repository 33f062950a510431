package tencent

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/sms"
)

// fakeSMS is a local stand-in for sms.tencentcloudapi.com: it checks each
// request's TC3-HMAC-SHA256 signature as Tencent Cloud's API 3.0 signing
// rules describe it (written here from those rules, not from the SDK), then
// answers SendSms the way the API does.
type fakeSMS struct {
	t         *testing.T
	secretID  string
	secretKey string
	// refuse maps an E.164 number to the per-phone error code to answer.
	refuse map[string]string

	mu       sync.Mutex
	requests []map[string]any
}

func (f *fakeSMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: body: %v", err)
	}
	w.Header().Set("Content-Type", "application/json")
	if code, msg := f.verify(r, body); code != "" {
		json.NewEncoder(w).Encode(map[string]any{"Response": map[string]any{
			"Error": map[string]string{"Code": code, "Message": msg}, "RequestId": "req-denied"}})
		return
	}
	var params map[string]any
	if err := json.Unmarshal(body, &params); err != nil {
		f.t.Errorf("fake: the body is not JSON: %v", err)
	}
	f.mu.Lock()
	f.requests = append(f.requests, params)
	f.mu.Unlock()
	var set []map[string]any
	numbers, _ := params["PhoneNumberSet"].([]any)
	for i, n := range numbers {
		number := n.(string)
		st := map[string]any{"SerialNo": fmt.Sprintf("2433:%d-%s", i, number[len(number)-4:]), "PhoneNumber": number,
			"Fee": 1, "SessionContext": "", "Code": "Ok", "Message": "send success", "IsoCode": "CN"}
		if code, ok := f.refuse[number]; ok {
			st["SerialNo"], st["Fee"], st["Code"], st["Message"] = "", 0, code, "refused by the fake"
		}
		set = append(set, st)
	}
	// Answer in the reverse order: a caller must match by number.
	slices.Reverse(set)
	json.NewEncoder(w).Encode(map[string]any{"Response": map[string]any{"SendStatusSet": set, "RequestId": "req-1"}})
}

// verify returns an API error code when the request is not one Tencent
// Cloud would take.
func (f *fakeSMS) verify(r *http.Request, body []byte) (code, message string) {
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.URL.RawQuery != "" {
		return "InvalidParameter", "POST / only"
	}
	if r.Header.Get("X-TC-Action") != "SendSms" || r.Header.Get("X-TC-Version") != APIVersion || r.Header.Get("X-TC-Region") == "" {
		return "InvalidAction", fmt.Sprintf("action %q version %q region %q", r.Header.Get("X-TC-Action"), r.Header.Get("X-TC-Version"), r.Header.Get("X-TC-Region"))
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return "InvalidParameter", "JSON only"
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return "AuthFailure.SignatureExpire", "timestamp"
	}
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "TC3-HMAC-SHA256 ")
	if !ok {
		return "AuthFailure.InvalidAuthorization", "not TC3-HMAC-SHA256"
	}
	parts := map[string]string{}
	for _, kv := range strings.Split(auth, ", ") {
		k, v, _ := strings.Cut(kv, "=")
		parts[k] = v
	}
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	scope := date + "/sms/tc3_request"
	if parts["Credential"] != f.secretID+"/"+scope {
		return "AuthFailure.SecretIdNotFound", "credential " + parts["Credential"]
	}
	signed := strings.Split(parts["SignedHeaders"], ";")
	if !slices.Contains(signed, "host") || !slices.Contains(signed, "content-type") {
		return "AuthFailure.InvalidAuthorization", "host and content-type must be signed"
	}
	var headers strings.Builder
	for _, name := range signed {
		value := r.Header.Get(name)
		if name == "host" {
			value = r.Host
		}
		headers.WriteString(name + ":" + strings.ToLower(strings.TrimSpace(value)) + "\n")
	}
	canonical := strings.Join([]string{r.Method, "/", "", headers.String(), parts["SignedHeaders"], sha256hex(body)}, "\n")
	toSign := strings.Join([]string{"TC3-HMAC-SHA256", strconv.FormatInt(ts, 10), scope, sha256hex([]byte(canonical))}, "\n")
	key := hmacSHA256([]byte("TC3"+f.secretKey), date)
	key = hmacSHA256(key, "sms")
	key = hmacSHA256(key, "tc3_request")
	if want := hex.EncodeToString(hmacSHA256(key, toSign)); !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		return "AuthFailure.SignatureFailure", "the signature does not match"
	}
	return "", ""
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func newSender(t *testing.T, srv *httptest.Server, key string, loads *int) *Sender {
	t.Helper()
	s, err := New(Config{
		AppID: "1400006666", Region: "ap-guangzhou", Signature: "【防线】",
		TemplateIDs: map[string]string{"booking_moved": "2001234", "signin_code": "2001001"},
		Endpoint:    strings.TrimPrefix(srv.URL, "http://"), Scheme: "HTTP", Timeout: 5 * time.Second,
		Credentials: func(context.Context) (string, string, error) {
			*loads++
			return "AKIDfangxiantest", key, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendBatchSignsAndSendsTheTemplate(t *testing.T) {
	fake := &fakeSMS{t: t, secretID: "AKIDfangxiantest", secretKey: "the-right-key",
		refuse: map[string]string{"+8613700000003": "LimitExceeded.PhoneNumberDailyLimit"}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	loads := 0
	s := newSender(t, srv, "the-right-key", &loads)

	at := time.Date(2026, 11, 30, 14, 30, 0, 0, chinatime.Zone)
	msg, err := sms.BookingMoved("东门", "王伟", "西门广场", at, "A6AHRX")
	if err != nil {
		t.Fatal(err)
	}
	phones := []string{"13700000001", "13700000002", "13700000003"}
	res, err := s.SendBatch(context.Background(), phones, msg)
	if err != nil {
		t.Fatalf("SendBatch: %v", err)
	}
	if len(fake.requests) != 1 {
		t.Fatalf("%d calls for one batch", len(fake.requests))
	}
	got, _ := json.Marshal(fake.requests[0])
	want, _ := json.Marshal(map[string]any{
		"PhoneNumberSet":   []string{"+8613700000001", "+8613700000002", "+8613700000003"},
		"SignName":         "防线",
		"SmsSdkAppId":      "1400006666",
		"TemplateId":       "2001234",
		"TemplateParamSet": []string{"东门", "王伟", "西门广场", "11月30日14:30", "A6AHRX"},
	})
	if string(got) != string(want) {
		t.Errorf("request body\n got %s\nwant %s", got, want)
	}
	for i, r := range res {
		if r.To != phones[i] {
			t.Errorf("result %d is for %s", i, r.To)
		}
	}
	if res[0].ID != "2433:0-0001" || res[1].ID != "2433:1-0002" || res[0].Err != nil || res[1].Err != nil {
		t.Errorf("accepted phones: %+v %+v", res[0], res[1])
	}
	if res[2].Err == nil || !strings.Contains(res[2].Err.Error(), "PhoneNumberDailyLimit") || res[2].ID != "" {
		t.Errorf("refused phone: %+v", res[2])
	}
	// One sign-in code through Send: its own template id.
	code, _ := sms.SignInCode("012345", 5)
	if err := s.Send(context.Background(), "13700000001", code); err != nil {
		t.Fatal(err)
	}
	if id := fake.requests[1]["TemplateId"]; id != "2001001" {
		t.Errorf("sign-in template id %v", id)
	}
	if loads != 1 {
		t.Errorf("credentials read %d times for two sends", loads)
	}
}

func TestAWrongKeyFailsAndIsReadAgain(t *testing.T) {
	fake := &fakeSMS{t: t, secretID: "AKIDfangxiantest", secretKey: "the-right-key"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	loads := 0
	s := newSender(t, srv, "a-stale-key", &loads)
	code, _ := sms.SignInCode("012345", 5)
	err := s.Send(context.Background(), "13700000001", code)
	if err == nil || !strings.Contains(err.Error(), "AuthFailure.SignatureFailure") {
		t.Fatalf("a request signed with the wrong key: %v", err)
	}
	if len(fake.requests) != 0 {
		t.Fatalf("the fake took a request it should have refused")
	}
	_ = s.Send(context.Background(), "13700000001", code)
	if loads != 2 {
		t.Errorf("after an authentication failure the key was read %d times, want 2", loads)
	}
}

func TestRefusedBeforeAnyCall(t *testing.T) {
	fake := &fakeSMS{t: t, secretID: "AKIDfangxiantest", secretKey: "the-right-key"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	loads := 0
	s := newSender(t, srv, "the-right-key", &loads)
	reminder, _ := sms.TemperatureReminder()
	code, _ := sms.SignInCode("012345", 5)
	var zero sms.Message
	many := make([]string, MaxBatch+1)
	for i := range many {
		many[i] = fmt.Sprintf("137%08d", i)
	}
	cases := map[string]struct {
		to  []string
		msg sms.Message
	}{
		"a template without an id": {[]string{"13700000001"}, reminder},
		"not a catalogue message":  {[]string{"13700000001"}, zero},
		"too many phones":          {many, code},
		"no phone":                 {nil, code},
	}
	for name, c := range cases {
		if _, err := s.SendBatch(context.Background(), c.to, c.msg); err == nil {
			t.Errorf("%s: sent", name)
		}
	}
	if _, err := s.SendBatch(context.Background(), []string{"13700000001"}, reminder); !errors.Is(err, ErrNoTemplateID) {
		t.Errorf("missing id: %v", err)
	}
	if len(fake.requests) != 0 || loads != 0 {
		t.Errorf("%d calls, %d key reads for sends that should not be tried", len(fake.requests), loads)
	}
	if missing := s.MissingTemplates(); !slices.Contains(missing, "temperature_reminder") || slices.Contains(missing, "signin_code") {
		t.Errorf("missing templates %v", missing)
	}
}

func TestParseCredentials(t *testing.T) {
	if id, key, err := ParseCredentials([]byte(`{"secretId":"AKID1","secretKey":"k"}`)); err != nil || id != "AKID1" || key != "k" {
		t.Errorf("good: %q %q %v", id, key, err)
	}
	for _, bad := range []string{``, `{}`, `{"secretId":"AKID1"}`, `AKID1:k`} {
		if _, _, err := ParseCredentials([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "AKID1") {
			t.Errorf("the error echoes the parameter: %v", err)
		}
	}
}
