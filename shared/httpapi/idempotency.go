package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"strings"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/logging"
)

// IdempotencyStore keeps the answers to requests made with an
// Idempotency-Key, for a day.
type IdempotencyStore interface {
	// Begin reserves key for a request with this body hash. It returns the
	// stored answer when the key was used before (done), ErrIdempotencyBusy
	// while the first request is still running.
	Begin(ctx context.Context, key string, bodyHash []byte) (prior *StoredResponse, err error)
	// Finish stores the answer; Abandon frees the key after a server error,
	// so a retry may run the request again.
	Finish(ctx context.Context, key string, resp StoredResponse) error
	Abandon(ctx context.Context, key string) error
}

// StoredResponse is an answer kept for replay.
type StoredResponse struct {
	BodyHash    []byte
	Status      int
	ContentType string
	Body        []byte
}

// Errors of idempotent requests.
var (
	ErrIdempotencyBusy   = apperr.New(apperr.KindConflict, "IDEMPOTENCY_IN_PROGRESS", "相同请求正在处理，请稍后重试", "The same request is still being processed, retry shortly")
	ErrIdempotencyReused = apperr.New(apperr.KindIdempotencyMismatch, "IDEMPOTENCY_KEY_REUSED", "该请求标识已用于另一个请求", "This Idempotency-Key was used for another request")
	errBadKey            = apperr.Validation.WithFields(apperr.FieldError{Field: "Idempotency-Key", Reason: "8 to 128 letters, digits or _.:-"})
)

// ValidIdempotencyKey bounds what a client may send: 8 to 128 of
// A-Z a-z 0-9 _ . : - (a UUID fits).
func ValidIdempotencyKey(k string) bool {
	if len(k) < 8 || len(k) > 128 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_.:-", c)) {
			return false
		}
	}
	return true
}

// idempotent answers a repeated request (same caller, key, method, path and
// body) with the first answer, and the key with another request with 422.
// Keys are per caller: scope says whose key it is (the user id, or "" for
// public routes, where the client's key alone is used).
func idempotent(store IdempotencyStore, scope func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" || store == nil {
			next.ServeHTTP(w, r)
			return
		}
		if !ValidIdempotencyKey(key) {
			WriteError(w, r, errBadKey)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			WriteError(w, r, decodeError(err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		h.Write([]byte(r.Method + " " + r.URL.Path + "\x00"))
		h.Write(body)
		hash := h.Sum(nil)
		full := scope(r) + "#" + key
		prior, err := store.Begin(r.Context(), full, hash)
		switch {
		case err != nil:
			WriteError(w, r, err)
			return
		case prior != nil && !bytes.Equal(prior.BodyHash, hash):
			WriteError(w, r, ErrIdempotencyReused)
			return
		case prior != nil:
			w.Header().Set("Content-Type", prior.ContentType)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(prior.Status)
			_, _ = w.Write(prior.Body)
			return
		}
		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if rec.status >= 500 {
			_ = store.Abandon(r.Context(), full) // let a retry run it again
		} else if err := store.Finish(r.Context(), full, StoredResponse{BodyHash: hash, Status: rec.status,
			ContentType: rec.header.Get("Content-Type"), Body: rec.body.Bytes()}); err != nil {
			// The work is done; only the replay record is missing: answer anyway.
			logging.From(r.Context()).Warn("idempotency record not stored", "err", err)
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
	})
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
