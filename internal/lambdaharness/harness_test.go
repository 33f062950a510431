package lambdaharness_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/fangxian/fangxian/internal/dynamolocal"
	"github.com/fangxian/fangxian/internal/lambdabuild"
	"github.com/fangxian/fangxian/internal/lambdaharness"
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
	p, err := lambdaharness.Start(bin, "TABLE_NAME="+table, "DYNAMODB_ENDPOINT="+os.Getenv("DYNAMODB_ENDPOINT"))
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
