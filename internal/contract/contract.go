// Package contract holds the API to its document: a middleware that checks
// every request a test sends through the router and every answer it gets
// against shared/openapi/openapi.json, with kin-openapi's validator. A
// request the document forbids must be refused (4xx); every answer must be
// one the document lists for the route, with its schema, content type and
// headers. Test packages record through it and fail when anything broke the
// contract; nothing is exempt.
package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/fangxian/fangxian/shared/openapi"
)

// Checker validates exchanges against the document and remembers what broke it.
type Checker struct {
	doc    *openapi3.T
	router routers.Router

	mu       sync.Mutex
	failures []string
	checked  map[string]map[int]bool // operation id → statuses seen
}

// New loads the document the API serves.
func New() (*Checker, error) { return NewFrom(openapi.Document()) }

// NewFrom loads a document (one fetched from a running stack).
func NewFrom(document []byte) (*Checker, error) {
	// The reference page and its script are documented as strings.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.PlainBodyDecoder)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	// Requests in tests name no server; route by path alone.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &Checker{doc: doc, router: router, checked: map[string]map[int]bool{}}, nil
}

// Middleware checks each request and answer that passes through next.
func (c *Checker) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/dev/") {
			next.ServeHTTP(w, r) // developer routes are not part of the API
			return
		}
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		c.Check(r, body, rec.Code, rec.Header(), rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// ValidRequest says whether the document takes r with reqBody.
func (c *Checker) ValidRequest(r *http.Request, reqBody []byte) bool {
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, pathParams, err := c.router.FindRoute(req)
	if err != nil {
		return false
	}
	// The document says JSON is UTF-8 (RFC 8259); kin-openapi matches media
	// types without their parameters, so another charset is judged here.
	if _, params, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err == nil {
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return false
		}
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }}}) == nil
}

// Check validates one exchange, recording what breaks the contract.
func (c *Checker) Check(r *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) {
	what := r.Method + " " + r.URL.RequestURI()
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, pathParams, err := c.router.FindRoute(req)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return // no such route: 404 and 405 are the contract's answer
		}
		c.fail("%s → %d: the route is not in the document", what, status)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
		}}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	if reqErr != nil && status < 400 {
		c.fail("%s → %d: the server took a request the document forbids: %v", what, status, short(reqErr))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.fail("%s → %d %s: the answer is not the document's: %v", what, status, snippet(respBody), short(err))
	}
	if status >= 400 && header.Get("Content-Type") != "" && !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		c.fail("%s → %d: an error that is not the JSON envelope", what, status)
	}
	if status >= 400 && !strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "en") {
		for _, reason := range untranslated(respBody) {
			c.fail("%s → %d: a field reason in English in a Chinese answer: %q (add it to shared/apperr/reasons.go)", what, status, reason)
		}
	}
	if header.Get("X-Request-Id") == "" {
		c.fail("%s → %d: no X-Request-Id", what, status)
	}
	if (status == 429) && header.Get("Retry-After") == "" {
		c.fail("%s → %d: no Retry-After", what, status)
	}
	c.mu.Lock()
	opID := route.Operation.OperationID
	if c.checked[opID] == nil {
		c.checked[opID] = map[int]bool{}
	}
	c.checked[opID][status] = true
	c.mu.Unlock()
}

func (c *Checker) fail(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	if len(c.failures) < 200 && !slices.Contains(c.failures, msg) {
		c.failures = append(c.failures, msg)
	}
}

// Failures lists what broke the contract so far.
func (c *Checker) Failures() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.failures...)
}

// Checked lists the operations exchanges were checked for, with statuses.
func (c *Checker) Checked() map[string][]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]int{}
	for op, ss := range c.checked {
		for s := range ss {
			out[op] = append(out[op], s)
		}
		sort.Ints(out[op])
	}
	return out
}

// Operations lists every operation id of the document.
func (c *Checker) Operations() []string {
	var out []string
	for _, item := range c.doc.Paths.Map() {
		for _, op := range item.Operations() {
			out = append(out, op.OperationID)
		}
	}
	sort.Strings(out)
	return out
}

// RunTests is a TestMain body for packages whose tests go through the
// router: after the tests, any breach of the contract fails the package.
func RunTests(c *Checker, run func() int) int {
	code := run()
	if f := c.Failures(); len(f) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d exchanges broke the API's document (shared/openapi/openapi.json):\n", len(f))
		for _, line := range f {
			fmt.Fprintln(os.Stderr, "  "+line)
		}
		return 1
	}
	return code
}

// untranslated lists the field reasons of an error envelope that have no
// Chinese in them.
func untranslated(body []byte) []string {
	var env struct {
		Error struct {
			Fields []struct{ Reason string } `json:"fields"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &env)
	var out []string
	for _, f := range env.Error.Fields {
		if !strings.ContainsFunc(f.Reason, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			out = append(out, f.Reason)
		}
	}
	return out
}

func short(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " | ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

func snippet(b []byte) string {
	s := strings.ReplaceAll(string(b), "\n", " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
