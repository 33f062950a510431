package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
)

var thingTaken = apperr.New(apperr.KindConflict, "THING_TAKEN", "已被占用", "Already taken")

var testRoutes = []manifest.Route{
	{Method: "GET", Path: "/v1/things/{id}", Op: "getThing", Access: manifest.Anyone},
	{Method: "POST", Path: "/v1/things", Op: "addThing", Access: manifest.Anyone},
	{Method: "POST", Path: "/v1/conflict", Op: "conflict", Access: manifest.Anyone},
	{Method: "GET", Path: "/v1/panic", Op: "panic", Access: manifest.Anyone},
	{Method: "GET", Path: "/v1/private", Op: "private", Access: manifest.Only(manifest.RoleStaff)},
}

func testHandlers() httpapi.Handlers {
	return httpapi.Handlers{
		"getThing": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var cookies []string
			for _, c := range r.Cookies() {
				cookies = append(cookies, c.Name+"="+c.Value)
			}
			http.SetCookie(w, &http.Cookie{Name: "seen", Value: "1"})
			http.SetCookie(w, &http.Cookie{Name: "lang", Value: "en"})
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{
				"id":      r.PathValue("id"),
				"q":       r.URL.Query().Get("q"),
				"tags":    r.URL.Query()["tag"],
				"cookies": cookies,
				"trace":   strings.Join(r.Header.Values("X-Fangxian-Trace"), ","),
				"lang":    httpapi.Language(r),
			})
		}),
		"addThing": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			var in struct {
				Name  string `json:"name"`
				Count int    `json:"count"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return err
			}
			httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"id": "t1", "name": in.Name, "count": in.Count})
			return nil
		}),
		"conflict": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			return thingTaken.Wrap(errors.New("row version 7 != 6, phone 13812345678"))
		}),
		"panic": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic("nil map in the 13812345678 branch")
		}),
		"private": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
	}
}

func newEntry(t *testing.T) (func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), *strings.Builder) {
	t.Helper()
	logs := &strings.Builder{}
	log := logging.New(logs, slog.LevelInfo)
	h, err := httpapi.NewRouter(testRoutes, testHandlers(), httpapi.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return httpapi.LambdaHandler(h, log), logs
}

func loadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

func withPath(ev events.APIGatewayV2HTTPRequest, method, path string) events.APIGatewayV2HTTPRequest {
	ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method = path, path, method
	return ev
}

func decodeBody(t *testing.T, resp events.APIGatewayV2HTTPResponse) map[string]any {
	t.Helper()
	body := resp.Body
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body is not JSON: %q", body)
	}
	return m
}

func errorCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestPayloadV2PathQueryHeadersCookies(t *testing.T) {
	entry, _ := newEntry(t)
	resp, err := entry(context.Background(), loadEvent(t, "get-path-query-cookies.json"))
	if err != nil {
		t.Fatalf("entry point returned a Go error: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	got := decodeBody(t, resp)
	want := map[string]any{
		"id":      "b/12-3", // an encoded slash stays inside the one path value
		"q":       "防线",
		"tags":    []any{"a", "b"},
		"cookies": []any{"session=abc", "lang=zh"},
		"trace":   "one,two",
		"lang":    "en",
	}
	for k, v := range want {
		if g, _ := json.Marshal(got[k]); string(g) != mustJSON(v) {
			t.Errorf("%s = %s, want %s", k, g, mustJSON(v))
		}
	}
	if resp.Headers["X-Request-Id"] != "JKJaXmPLvHcESHA=" {
		t.Errorf("X-Request-Id %q, want API Gateway's request id", resp.Headers["X-Request-Id"])
	}
	if len(resp.Cookies) != 2 || !strings.HasPrefix(resp.Cookies[0], "seen=1") {
		t.Errorf("response cookies %v", resp.Cookies)
	}
}

func TestPayloadV2Base64Body(t *testing.T) {
	entry, _ := newEntry(t)
	resp, err := entry(context.Background(), loadEvent(t, "post-base64-json.json"))
	if err != nil {
		t.Fatalf("entry point returned a Go error: %v", err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	got := decodeBody(t, resp)
	if got["name"] != "第4轮核酸" || got["count"] != 3.0 {
		t.Errorf("decoded body %v", got)
	}
}

func TestPayloadV2ErrorsBecomeJSON(t *testing.T) {
	post := loadEvent(t, "post-base64-json.json")
	get := loadEvent(t, "get-path-query-cookies.json")
	badJSON := post
	badJSON.IsBase64Encoded, badJSON.Body = false, `{"name":`
	unknownField := post
	unknownField.IsBase64Encoded, unknownField.Body = false, `{"nmae":"x"}`
	wrongType := post
	wrongType.IsBase64Encoded, wrongType.Body = false, `{"count":"three"}`
	textBody := post
	textBody.Headers = map[string]string{"content-type": "text/plain"}
	bigBody := post
	bigBody.IsBase64Encoded, bigBody.Body = false, `{"name":"`+strings.Repeat("x", int(manifest.DefaultMaxBodyBytes))+`"}`

	cases := []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		status int
		code   string
	}{
		{"domain error", withPath(post, "POST", "/v1/conflict"), 409, "THING_TAKEN"},
		{"panic", withPath(get, "GET", "/v1/panic"), 500, "INTERNAL"},
		{"no route", withPath(get, "GET", "/v1/nothing"), 404, "NOT_FOUND"},
		{"wrong method", withPath(get, "DELETE", "/v1/things"), 405, "METHOD_NOT_ALLOWED"},
		{"malformed JSON", badJSON, 400, "INVALID_JSON"},
		{"unknown field", unknownField, 400, "VALIDATION_FAILED"},
		{"wrong type", wrongType, 400, "VALIDATION_FAILED"},
		{"not JSON", textBody, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"too large", bigBody, 413, "BODY_TOO_LARGE"},
		{"no token", withPath(get, "GET", "/v1/private"), 401, "UNAUTHENTICATED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			entry, logs := newEntry(t)
			resp, err := entry(context.Background(), c.ev)
			if err != nil {
				t.Fatalf("entry point returned a Go error (a bare 502 behind API Gateway): %v", err)
			}
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, resp.Body)
			}
			if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type %q", ct)
			}
			body := decodeBody(t, resp)
			if code := errorCode(body); code != c.code {
				t.Errorf("code %q, want %q", code, c.code)
			}
			msg := body["error"].(map[string]any)["message"].(string)
			if msg == "" || strings.Contains(msg, "13812345678") || strings.Contains(msg, "row version") || strings.Contains(msg, "nil map") {
				t.Errorf("message %q leaks internals or is empty", msg)
			}
			if strings.Contains(logs.String(), "13812345678") {
				t.Errorf("a full phone number reached the logs")
			}
			if c.name == "unknown field" && !strings.Contains(resp.Body, `"nmae"`) {
				t.Errorf("the unknown field is not named: %s", resp.Body)
			}
		})
	}
}

func TestEnglishMessages(t *testing.T) {
	entry, _ := newEntry(t)
	ev := withPath(loadEvent(t, "get-path-query-cookies.json"), "GET", "/v1/nothing")
	resp, _ := entry(context.Background(), ev)
	if msg := decodeBody(t, resp)["error"].(map[string]any)["message"]; msg != "Not found" {
		t.Errorf("message %q with Accept-Language en", msg)
	}
}

// TestAdapterFailureIsNotAGoError feeds an event the adapter cannot turn into
// a request: the answer must still be a JSON 500, not an error.
func TestAdapterFailureIsNotAGoError(t *testing.T) {
	entry, _ := newEntry(t)
	ev := loadEvent(t, "post-base64-json.json")
	ev.Body = "%%% not base64 %%%"
	resp, err := entry(context.Background(), ev)
	if err != nil {
		t.Fatalf("entry point returned a Go error: %v", err)
	}
	if resp.StatusCode != 500 || errorCode(decodeBody(t, resp)) != "INTERNAL" {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
}

func TestRouterRefusesDrift(t *testing.T) {
	h := testHandlers()
	delete(h, "panic")
	if _, err := httpapi.NewRouter(testRoutes, h, httpapi.Options{}); err == nil {
		t.Error("a route without a handler was accepted")
	}
	h = testHandlers()
	h["extra"] = http.NotFoundHandler()
	if _, err := httpapi.NewRouter(testRoutes, h, httpapi.Options{}); err == nil {
		t.Error("a handler without a route was accepted")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
