package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/logging"
)

// StatusOf is the HTTP status err is answered with.
func StatusOf(err error) int { return statusOf(apperr.As(err).Kind) }

// statusOf is the one mapping from error kinds to HTTP statuses.
func statusOf(k apperr.Kind) int {
	switch k {
	case apperr.KindInvalid:
		return http.StatusBadRequest
	case apperr.KindUnauthenticated:
		return http.StatusUnauthorized
	case apperr.KindForbidden:
		return http.StatusForbidden
	case apperr.KindNotFound:
		return http.StatusNotFound
	case apperr.KindMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case apperr.KindConflict:
		return http.StatusConflict
	case apperr.KindIdempotencyMismatch:
		return http.StatusUnprocessableEntity
	case apperr.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.KindUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case apperr.KindRateLimited:
		return http.StatusTooManyRequests
	case apperr.KindUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// errorBody is the envelope of every error: {"error":{"code","message","requestId","fields"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Fields  []apperr.FieldError `json:"fields,omitempty"`
	// Alternatives are ids to try instead (a full slot's: slots with room).
	Alternatives []string `json:"alternatives,omitempty"`
	RequestID    string   `json:"requestId,omitempty"`
}

// WriteError answers with err's envelope and status. What the client sees is
// the code and message only; the cause goes to the log with the request id.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status := statusOf(e.Kind)
	log := logging.From(r.Context())
	switch {
	case e.Code == apperr.Starting.Code:
		log.Debug("not ready yet", "code", e.Code)
	case e.Kind == apperr.KindUnavailable:
		log.Warn("dependency unavailable", "code", e.Code, "err", err)
	case status >= 500:
		log.Error("request failed", "code", e.Code, "err", err)
	case e.Cause != nil:
		log.Info("request refused", "code", e.Code, "err", err)
	}
	if secs := e.RetryAfterSeconds(); secs > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	lang := Language(r)
	fields := make([]apperr.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		f.Reason = apperr.ReasonIn(lang, f.Reason)
		fields[i] = f
	}
	WriteJSON(w, status, errorBody{Error: errorDetail{
		Code:         e.Code,
		Message:      e.Message(lang),
		Fields:       fields,
		Alternatives: e.Alternatives,
		RequestID:    RequestID(r.Context()),
	}})
}

// Language is "en" when the client's first Accept-Language choice is English,
// else "zh": the communities' language is the default.
func Language(r *http.Request) string {
	al := strings.TrimSpace(r.Header.Get("Accept-Language"))
	first, _, _ := strings.Cut(al, ",")
	first, _, _ = strings.Cut(first, ";")
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(first)), "en") {
		return "en"
	}
	return "zh"
}
