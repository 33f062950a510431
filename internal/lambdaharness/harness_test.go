package lambdaharness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/internal/lambdabuild"
	"github.com/fangxian/fangxian/internal/lambdaharness"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/store"
)

const module = "github.com/fangxian/fangxian/"

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

// buildHost builds pkg for this machine, with the deployment's flags.
func buildHost(t testing.TB, pkg string) string {
	t.Helper()
	bin, err := lambdabuild.Build(module+pkg, filepath.Join(t.TempDir(), filepath.Base(pkg)), runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func httpEvent(method, path string) []byte {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: path,
		Headers: map[string]string{"accept": "application/json", "accept-language": "en"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "abc123.execute-api.cn-northwest-1.amazonaws.com.cn",
			RequestID:  "harness-" + strings.ReplaceAll(path, "/", "-"),
			Stage:      "$default",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1"},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// TestSystemBootstrapServesEvents runs the real system binary against the
// harness's Runtime API and DynamoDB Local, as Lambda would.
func TestSystemBootstrapServesEvents(t *testing.T) {
	_, table := dynamolocal.NewTable(t)
	bin := buildHost(t, "functions/system")
	p, err := lambdaharness.Start(bin, "TABLE_NAME="+table, "DYNAMODB_ENDPOINT="+os.Getenv("DYNAMODB_ENDPOINT"), "STAGE=test", "SMS_SIGNATURE=防线")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "/v1/health", 200, `"dynamodb":"reachable"`},
		{"GET", "/v1/openapi.json", 200, `"openapi"`},
		{"GET", "/v1/nothing", 404, `"code":"NOT_FOUND"`},
		{"POST", "/v1/health", 405, `"code":"METHOD_NOT_ALLOWED"`},
	}
	for _, c := range cases {
		res, err := p.Invoke(ctx, httpEvent(c.method, c.path))
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		if res.Err != nil {
			t.Fatalf("%s %s: the function returned an error, API Gateway would answer 502: %s", c.method, c.path, res.Err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(res.Payload, &resp); err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		if resp.StatusCode != c.status || !strings.Contains(resp.Body, c.contains) {
			t.Errorf("%s %s: %d %s, want %d with %s", c.method, c.path, resp.StatusCode, resp.Body, c.status, c.contains)
		}
	}
}

// TestSystemBootstrapStopsWithoutConfig checks a misconfigured function fails
// its cold start instead of serving errors.
func TestSystemBootstrapStopsWithoutConfig(t *testing.T) {
	bin := buildHost(t, "functions/system")
	p, err := lambdaharness.Start(bin) // no TABLE_NAME
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.WaitReady(ctx); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("want the binary to exit at init, got %v", err)
	}
}

func jsonEvent(method, path, body, token string) []byte {
	var ev events.APIGatewayV2HTTPRequest
	_ = json.Unmarshal(httpEvent(method, path), &ev)
	ev.Body = body
	ev.Headers["content-type"] = "application/json"
	if token != "" {
		ev.Headers["authorization"] = "Bearer " + token
	}
	b, _ := json.Marshal(ev)
	return b
}

func invoke(t *testing.T, p *lambdaharness.Process, event []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.Invoke(ctx, event)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatalf("the function returned an error, API Gateway would answer 502: %s", res.Err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func startBinary(t *testing.T, pkg string, env ...string) *lambdaharness.Process {
	t.Helper()
	p, err := lambdaharness.Start(buildHost(t, pkg), env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSignInThroughTheBinaries signs a staff member in through the real auth
// binary (its SMS caught by a fake of the SMS API) and reads /v1/me through
// the real registry binary with the token it issued.
func TestSignInThroughTheBinaries(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	if err := st.CreateStreetWithAdmin(ctx, registry.Street{ID: "s1", Name: "s"}, registry.Staff{ID: "u-a", Name: "管理员", Phone: "13900000000"}, false, false); err != nil {
		t.Fatal(err)
	}
	aws := fakeDeployment(t, st)
	env := append(functionEnv(aws), "TABLE_NAME="+table, "DYNAMODB_ENDPOINT="+os.Getenv("DYNAMODB_ENDPOINT"))
	authFn := startBinary(t, "functions/auth", env...)
	registryFn := startBinary(t, "functions/registry", env...)

	if resp := invoke(t, authFn, jsonEvent("POST", "/v1/auth/otp", `{"phone":"139 0000 0000"}`, "")); resp.StatusCode != 202 {
		t.Fatalf("otp: %d %s\n%s", resp.StatusCode, resp.Body, authFn.Output())
	}
	sent := aws.sent()
	if len(sent) != 1 || sent[0]["DestinationPhoneNumber"] != "+8613900000000" {
		t.Fatalf("SMS sent: %v", sent)
	}
	body, _ := sent[0]["MessageBody"].(string)
	m := regexp.MustCompile(`^【防线】.*验证码为(\d{6})`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("SMS body %q", body)
	}
	resp := invoke(t, authFn, jsonEvent("POST", "/v1/auth/token", `{"phone":"13900000000","code":"`+m[1]+`"}`, ""))
	var sess struct {
		Token string `json:"token"`
		User  struct{ Role string }
	}
	if err := json.Unmarshal([]byte(resp.Body), &sess); err != nil || resp.StatusCode != 200 || sess.User.Role != "admin" {
		t.Fatalf("token: %d %s", resp.StatusCode, resp.Body)
	}
	me := invoke(t, registryFn, jsonEvent("GET", "/v1/me", "", sess.Token))
	if me.StatusCode != 200 || !strings.Contains(me.Body, `"name":"管理员"`) {
		t.Fatalf("me: %d %s", me.StatusCode, me.Body)
	}
	if denied := invoke(t, registryFn, jsonEvent("GET", "/v1/me", "", sess.Token+"x")); denied.StatusCode != 401 {
		t.Fatalf("a broken token: %d %s", denied.StatusCode, denied.Body)
	}
}

// TestDispatchLogsAreJSONWithPhonesMasked runs the real dispatch binary on a
// batch whose send fails with the provider naming the phone, and reads what
// it wrote: every line JSON, no phone in full.
func TestDispatchLogsAreJSONWithPhonesMasked(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	aws := fakeDeployment(t, st)
	env := append(functionEnv(aws), "TABLE_NAME="+table, "DYNAMODB_ENDPOINT="+os.Getenv("DYNAMODB_ENDPOINT"), "LOG_LEVEL=debug")
	fn := startBinary(t, "functions/dispatch", env...)
	batch, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", Body: `{"kind":"reminder","phone":"13812349999","day":"2026-11-30"}`, Attributes: map[string]string{"ApproximateReceiveCount": "1"}},
		{MessageId: "m2", Body: `not json 13812345678`, Attributes: map[string]string{"ApproximateReceiveCount": "1"}},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := fn.Invoke(ctx, batch)
	if err != nil || res.Err != nil {
		t.Fatalf("invoke: %v %s", err, res.Err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil || len(resp.BatchItemFailures) != 2 {
		t.Fatalf("answer %s: %v", res.Payload, err)
	}
	// The binary's output reaches us through a pipe: give it a moment.
	var out string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if out = fn.Output(); strings.Count(out, "dispatch message failed") >= 2 {
			break
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 {
		t.Fatalf("the function logged %q", out)
	}
	for _, line := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("not JSON: %q", line)
		}
	}
	if regexp.MustCompile(`1381234\d{4}`).MatchString(out) {
		t.Errorf("a phone in full in the logs:\n%s", out)
	}
	if !strings.Contains(out, "138****9999") {
		t.Errorf("the failed send is not logged (masked):\n%s", out)
	}
}

// TestSMSRepliesThroughTheBinaries sends Tencent Cloud's callbacks to the real
// inbound binary (its secret read from the fake SSM) and End User Messaging's
// events to the real smsevents binary: a wrong secret is a 404, the current
// and the previous secret work, and TD by either way stops SMS to the phone.
func TestSMSRepliesThroughTheBinaries(t *testing.T) {
	db, table := dynamolocal.NewTable(t)
	st := &store.Store{DB: db, Table: table}
	ctx := context.Background()
	aws := fakeDeployment(t, st)
	env := append(functionEnv(aws), "TABLE_NAME="+table, "DYNAMODB_ENDPOINT="+os.Getenv("DYNAMODB_ENDPOINT"))
	inboundFn := startBinary(t, "functions/inbound", env...)
	reply := func(secret, phone string) int {
		t.Helper()
		body := fmt.Sprintf(`{"mobile":%q,"nationcode":"86","sign":"防线","text":"TD","time":%d}`, phone, time.Now().Unix())
		resp := invoke(t, inboundFn, jsonEvent("POST", "/v1/sms/callbacks/"+secret+"/replies", body, ""))
		return resp.StatusCode
	}
	if code := reply("cb-secret-wrong-0123456789-0123456789-0123", "13700000001"); code != 404 {
		t.Fatalf("a wrong secret: %d\n%s", code, inboundFn.Output())
	}
	if code := reply(callbackSecret, "13700000001"); code != 200 {
		t.Fatalf("the current secret: %d\n%s", code, inboundFn.Output())
	}
	if code := reply(previousCallbackSecret, "13700000002"); code != 200 {
		t.Fatalf("the previous secret: %d", code)
	}
	for _, p := range []string{"13700000001", "13700000002"} {
		if out, err := st.OptedOut(ctx, p); err != nil || !out {
			t.Errorf("%s after TD: opted out %v %v", p, out, err)
		}
	}

	eventsFn := startBinary(t, "functions/smsevents", env...)
	msg, _ := json.Marshal(`{"originationNumber":"+8613700000003","destinationNumber":"+85230001234","messageBody":"退订","inboundMessageId":"in-1"}`)
	sns := []byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"s-1","Timestamp":"2026-11-30T02:00:00Z","Message":` + string(msg) + `}}]}`)
	delivery := []byte(`{"id":"e-1","detail-type":"Text Message Delivery Status Updated","source":"aws.sms-voice","detail":{"messageId":"m-unknown","messageStatus":"DELIVERED","isFinal":true}}`)
	for _, ev := range [][]byte{sns, delivery} {
		ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
		res, err := eventsFn.Invoke(ictx, ev)
		cancel()
		if err != nil || res.Err != nil {
			t.Fatalf("smsevents: %v %s\n%s", err, res.Err, eventsFn.Output())
		}
	}
	if out, _ := st.OptedOut(ctx, "13700000003"); !out {
		t.Error("退订 through SNS did not opt the phone out")
	}
}
