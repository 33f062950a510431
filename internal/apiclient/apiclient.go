// Package apiclient is the small HTTP client of the tools that drive a
// running Fangxian through its public API (the surge, the attacker script,
// the scenario): JSON calls with the error envelope decoded, sign-in through
// the local outbox, and, against a stack on this machine, many client
// addresses, since real residents do not share one.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// Error is a non-2xx answer.
type Error struct {
	Method, Path string
	Status       int
	Code         string
	RetryAfter   int
	// Alternatives are the ids the refusal names to try instead.
	Alternatives []string
	Body         string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Code)
}

// AlternativesOf are the ids a refusal named to try instead.
func AlternativesOf(err error) []string {
	var e *Error
	if errors.As(err, &e) {
		return e.Alternatives
	}
	return nil
}

// CodeOf is the API error code of err ("" for success, "TRANSPORT" for a
// failure to get an answer).
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "TRANSPORT"
}

// Client calls one Fangxian.
type Client struct {
	Base string
	HTTP *http.Client
}

// New is a client of base with a connection pool for workers.
func New(base string, workers int) *Client {
	return &Client{Base: base, HTTP: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: max(workers, 2)}}}
}

// Local says whether base is this machine, where the tools may spread their
// requests over loopback addresses.
func Local(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// From is a client whose requests come from source, a loopback address of
// this machine (Linux routes all of 127.0.0.0/8 to the loopback interface),
// so a stack on this machine sees them as different clients, as API Gateway
// sees residents on different networks.
func (c *Client) From(source net.IP) *Client {
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: source}}
	return &Client{Base: c.Base, HTTP: &http.Client{Timeout: c.HTTP.Timeout,
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			// The stack listens on IPv4 loopback; "localhost" may resolve to ::1 first.
			host, port, _ := net.SplitHostPort(addr)
			if host == "localhost" {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return d.DialContext(ctx, "tcp4", addr)
		}, MaxIdleConnsPerHost: 4}}}
}

// LoopbackAddr is the i-th loopback source address: 127.1.x.y for the
// first 62,500, then 127.2.x.y and on (up to 15 million), away from
// 127.0.0.1 where the stack itself listens.
func LoopbackAddr(i int) net.IP {
	return net.IPv4(127, byte(1+i/62500), byte(i/250%250), byte(i%250+1))
}

// Call sends in as JSON (nil: no body) and decodes the answer into out.
func (c *Client) Call(ctx context.Context, method, path, token string, in, out any) error {
	_, err := c.Do(ctx, method, path, token, nil, in, out)
	return err
}

// Raw is a body sent as it is (a CSV file), not as JSON.
type Raw struct {
	ContentType string
	Body        []byte
}

// Do is Call with extra headers, answering the response headers too. An
// out of type *[]byte takes the body as it is.
func (c *Client) Do(ctx context.Context, method, path, token string, headers map[string]string, in, out any) (http.Header, error) {
	var body io.Reader
	contentType := "application/json"
	if raw, ok := in.(Raw); ok {
		body, contentType = bytes.NewReader(raw.Body), raw.ContentType
	} else if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode >= 300 {
		var env struct {
			Error struct {
				Code         string
				Alternatives []string
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &env)
		e := &Error{Method: method, Path: path, Status: resp.StatusCode, Code: env.Error.Code, Alternatives: env.Error.Alternatives, Body: string(raw)}
		if e.Code == "" {
			e.Code = "HTTP_" + strconv.Itoa(resp.StatusCode)
		}
		e.RetryAfter, _ = strconv.Atoi(resp.Header.Get("Retry-After"))
		return resp.Header, e
	}
	if b, ok := out.(*[]byte); ok {
		*b = raw // a file (CSV), as it came
		return resp.Header, nil
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.Header, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

// SMS is one message of the local outbox.
type SMS struct {
	To       string            `json:"to"`
	Template string            `json:"template"`
	Params   map[string]string `json:"params"`
	Body     string            `json:"body"`
	Parts    int               `json:"parts"`
	SentAt   time.Time         `json:"sentAt"`
}

// Outbox reads the local outbox for phone ("" for every message).
func (c *Client) Outbox(ctx context.Context, phone string) ([]SMS, error) {
	path := "/dev/sms"
	if phone != "" {
		path += "?to=" + url.QueryEscape(phone)
	}
	var box struct{ Messages []SMS }
	if err := c.Call(ctx, "GET", path, "", nil, &box); err != nil {
		return nil, fmt.Errorf("%w (only `make run` has /dev/sms)", err)
	}
	return box.Messages, nil
}

var sixDigits = regexp.MustCompile(`\d{6}`)

// Session is a signed-in caller.
type Session struct {
	Token string `json:"token"`
	User  struct {
		ID          string   `json:"id"`
		Role        string   `json:"role"`
		Roles       []string `json:"roles"`
		CommunityID string   `json:"communityId"`
		HouseholdID string   `json:"householdId"`
		ResidentID  string   `json:"residentId"`
		VolunteerID string   `json:"volunteerId"`
	} `json:"user"`
}

// SignIn signs phone in with the code the local outbox receives.
func (c *Client) SignIn(ctx context.Context, phone string) (Session, error) {
	before, err := c.Outbox(ctx, phone)
	if err != nil {
		return Session{}, err
	}
	err = c.Call(ctx, "POST", "/v1/auth/otp", "", map[string]string{"phone": phone}, nil)
	var e *Error
	if errors.As(err, &e) && e.Code == "OTP_RATE_LIMITED" && e.RetryAfter > 0 && e.RetryAfter <= 120 {
		// The phone had a code moments ago (another tool, a second run):
		// wait as told, once.
		select {
		case <-time.After(time.Duration(e.RetryAfter) * time.Second):
		case <-ctx.Done():
			return Session{}, ctx.Err()
		}
		err = c.Call(ctx, "POST", "/v1/auth/otp", "", map[string]string{"phone": phone}, nil)
	}
	if err != nil {
		return Session{}, err
	}
	after, err := c.Outbox(ctx, phone)
	if err != nil {
		return Session{}, err
	}
	code := ""
	for _, m := range after[len(before):] {
		if m.Template == "signin_code" {
			code = m.Params["code"]
		}
	}
	if code == "" && len(after) > 0 {
		code = sixDigits.FindString(after[len(after)-1].Body)
	}
	if code == "" {
		return Session{}, fmt.Errorf("no code for %s in the outbox", phone)
	}
	var s Session
	err = c.Call(ctx, "POST", "/v1/auth/token", "", map[string]string{"phone": phone, "code": code}, &s)
	return s, err
}
