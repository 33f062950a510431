// Package httpapi is the HTTP plumbing every function shares: a router built
// from the manifest's routes, request ids, access logs with masked phones,
// panic recovery, body limits, the JSON error envelope, and the adapter that
// serves the same net/http handlers behind API Gateway HTTP API payload 2.0.
package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
)

// Caller is who a request comes from, as far as routing needs to know.
type Caller struct {
	// ID is the person's user id: it scopes their Idempotency-Keys.
	ID string
	// Roles are every role the person holds; a route allows any of them.
	Roles []manifest.Role
}

// Authenticator checks a request's bearer token.
type Authenticator interface {
	// Authenticate returns a context that carries the caller, and the caller.
	Authenticate(r *http.Request) (context.Context, Caller, error)
}

type callerKey struct{}

// CallerID is the signed-in caller's user id, "" on a public route.
func CallerID(ctx context.Context) string {
	id, _ := ctx.Value(callerKey{}).(string)
	return id
}

// Options configure a router.
type Options struct {
	Logger *slog.Logger
	// Auth guards every route that is not public; without it such routes answer 401.
	Auth Authenticator
	// Idempotency keeps answers for the routes marked Idempotent.
	Idempotency IdempotencyStore
	// Audit records the requests of staff and admins that may change data
	// (package audit); a function that serves such routes must have one.
	Audit Auditor
}

// Auditor records a request before it runs and its outcome after.
type Auditor interface {
	// Begin records a request about to run, when it is one to record, and
	// returns the request to serve (its context may carry what the entry
	// is to note of the action) and how to record its outcome; an error
	// refuses the request, so nothing changes that the log does not show.
	Begin(r *http.Request, route manifest.Route, caller Caller) (next *http.Request, done func(status int), err error)
}

// Handlers maps a route's Op to the handler that serves it.
type Handlers map[string]http.Handler

type router struct {
	mux *http.ServeMux
	log *slog.Logger
}

// NewRouter serves exactly the given routes with the given handlers. It fails
// when a route has no handler or a handler no route, so a function cannot drift
// from the manifest.
func NewRouter(routes []manifest.Route, handlers Handlers, opts Options) (http.Handler, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	used := map[string]bool{}
	for _, rt := range routes {
		h, ok := handlers[rt.Op]
		if !ok {
			return nil, fmt.Errorf("httpapi: route %s (op %q) has no handler", rt.Pattern(), rt.Op)
		}
		used[rt.Op] = true
		if rt.Idempotent {
			h = idempotent(opts.Idempotency, callerScope, h)
		}
		mux.Handle(rt.Pattern(), &guard{route: rt, next: h, auth: opts.Auth, audit: opts.Audit})
	}
	for op := range handlers {
		if !used[op] {
			return nil, fmt.Errorf("httpapi: handler %q has no route in the manifest", op)
		}
	}
	return &router{mux: mux, log: log}, nil
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestIDOf(r)
	log := rt.log.With("requestId", id)
	r = r.WithContext(logging.WithLogger(context.WithValue(r.Context(), requestIDKey{}, id), log))
	w.Header().Set("X-Request-Id", id)
	sw := &statusWriter{ResponseWriter: w}

	h, pattern := rt.mux.Handler(r)
	if p := r.URL.Path; p == "" || p[0] != '/' || path.Clean(p) != p {
		// ServeMux answers a path that is not in its clean form ("//x",
		// "/a/./b") with a redirect, pattern and all: an API answers what
		// was asked, and a path no route has is not found.
		pattern, h = "", http.NotFoundHandler()
	}
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if sw.status == 0 {
				WriteError(sw, r, apperr.Internal.Wrap(fmt.Errorf("panic: %v", p)))
			}
		}
		// The query is left out on purpose: it may carry phone numbers.
		log.Info("request", "method", r.Method, "route", pattern, "status", sw.status,
			"ms", time.Since(start).Milliseconds())
	}()
	if pattern == "" {
		rt.unmatched(sw, r, h)
		return
	}
	rt.mux.ServeHTTP(sw, r) // sets the path values that Handler does not
}

// unmatched turns ServeMux's plain-text 404 and 405 into the JSON envelope.
func (rt *router) unmatched(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		WriteError(w, r, apperr.MethodNotAllowed)
	default:
		// Not found, or a path ServeMux would redirect to its cleaned form
		// ("/v1/rounds/../x"): an API answers what was asked, not a redirect.
		WriteError(w, r, apperr.NotFound)
	}
}

// guard applies a route's body limit and access rule before its handler.
type guard struct {
	route manifest.Route
	next  http.Handler
	auth  Authenticator
	audit Auditor
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	limit := g.route.BodyLimit()
	if r.ContentLength > limit {
		WriteError(w, r, apperr.BodyTooLarge)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if !g.route.Access.Public {
		if g.auth == nil {
			WriteError(w, r, apperr.Unauthenticated.Wrap(errors.New("no authenticator configured")))
			return
		}
		ctx, caller, err := g.auth.Authenticate(r)
		if err != nil {
			WriteError(w, r, err)
			return
		}
		if !g.route.Access.Allows(caller.Roles...) {
			WriteError(w, r, apperr.Forbidden.Wrap(fmt.Errorf("roles %v on %s", caller.Roles, g.route.Pattern())))
			return
		}
		r = r.WithContext(context.WithValue(ctx, callerKey{}, caller.ID))
		if g.audit != nil {
			next, done, err := g.audit.Begin(r, g.route, caller)
			if err != nil {
				WriteError(w, r, err)
				return
			}
			r = next
			sw := &statusWriter{ResponseWriter: w}
			g.next.ServeHTTP(sw, r)
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			done(sw.status)
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// callerScope keeps one person's Idempotency-Keys apart from another's: it
// is their user id, so the same person retrying with a new sign-in or a
// differently spelt header is still the same caller. Public routes have no
// caller; their keys are scoped by the client address.
func callerScope(r *http.Request) string {
	if id := CallerID(r.Context()); id != "" {
		return "u:" + id
	}
	sum := sha256.Sum256([]byte(SourceIP(r)))
	return "ip:" + hex.EncodeToString(sum[:12])
}

// statusWriter remembers the status for the access log and panic recovery.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }
func (h *headerRecorder) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}
func (h *headerRecorder) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return len(b), nil
}

// HandlerFunc is a handler that returns its error instead of writing it, so
// every failure goes through WriteError.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		WriteError(w, r, err)
	}
}

// Merge joins the handler sets of the packages one function serves.
func Merge(sets ...Handlers) Handlers {
	out := Handlers{}
	for _, s := range sets {
		for op, h := range s {
			out[op] = h
		}
	}
	return out
}
