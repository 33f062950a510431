// Package apperr is Fangxian's one error taxonomy: every error a client can see
// has a Kind (which decides the HTTP status, in package httpapi) and a stable
// upper-snake Code, with messages in Simplified Chinese and English.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the transport; the HTTP mapping lives in httpapi.
type Kind uint8

// The kinds, each a distinct answer a client can act on.
const (
	KindInternal            Kind = iota // something broke on our side
	KindInvalid                         // the request is malformed or fails validation
	KindUnauthenticated                 // no valid token
	KindForbidden                       // a valid token that may not do this
	KindNotFound                        // no such thing, or not visible to the caller
	KindMethodNotAllowed                // the path exists, the method does not
	KindConflict                        // the state of the thing forbids it (full, taken, closed)
	KindIdempotencyMismatch             // an Idempotency-Key reused with another body
	KindTooLarge                        // the body is over the route's limit
	KindUnsupportedMedia                // the body is not of a type the route takes
	KindRateLimited                     // too many requests; try later
	KindUnavailable                     // a dependency is down; try later
)

// FieldError says what is wrong with one field of the input.
type FieldError struct {
	// Line is the 1-based line of an uploaded file, 0 for a JSON body.
	Line   int    `json:"line,omitempty"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is an error a client may see. Only Code, the message and Fields reach
// the client; Cause is for the logs.
type Error struct {
	Kind      Kind
	Code      string
	MessageZH string
	MessageEN string
	Fields    []FieldError
	// RetryAfter, when set, is how long the client should wait before trying
	// again: the Retry-After header of a 429 or 503.
	RetryAfter time.Duration
	// Alternatives are ids the client may use instead (a full slot's
	// refusal names slots with room), nearest first.
	Alternatives []string
	Cause        error
}

// New declares an error of the catalogue. Call it at package level.
func New(kind Kind, code, zh, en string) *Error {
	return &Error{Kind: kind, Code: code, MessageZH: zh, MessageEN: en}
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %v", e.Code, e.Cause)
	}
	return e.Code
}

// Unwrap gives the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Cause }

// Is makes errors.Is match any error of the same code, so a sentinel of the
// catalogue matches its wrapped copies.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Message is the client-facing message in the language asked for ("en" or "zh").
func (e *Error) Message(lang string) string {
	if lang == "en" && e.MessageEN != "" {
		return e.MessageEN
	}
	return e.MessageZH
}

// Wrap returns a copy of e that carries cause for the logs.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// WithFields returns a copy of e that tells the client which fields are wrong.
func (e *Error) WithFields(fields ...FieldError) *Error {
	c := *e
	c.Fields = append(append([]FieldError(nil), e.Fields...), fields...)
	return &c
}

// WithAlternatives returns a copy of e that names ids to try instead.
func (e *Error) WithAlternatives(ids ...string) *Error {
	c := *e
	c.Alternatives = ids
	return &c
}

// WithRetryAfter returns a copy of e that tells the client to wait d.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	c := *e
	c.RetryAfter = d
	return &c
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up (0 when unset).
func (e *Error) RetryAfterSeconds() int {
	if e.RetryAfter <= 0 {
		return 0
	}
	return int((e.RetryAfter + time.Second - 1) / time.Second)
}

// As finds the *Error in err's chain; anything else is an internal error that
// keeps err as its cause.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal.Wrap(err)
}

// Errors shared by every capability. Capability packages declare their own
// codes next to the logic that raises them.
var (
	Internal         = New(KindInternal, "INTERNAL", "服务内部错误，请稍后重试", "Internal error, please try again later")
	InvalidJSON      = New(KindInvalid, "INVALID_JSON", "请求体不是有效的 JSON", "The request body is not valid JSON")
	Validation       = New(KindInvalid, "VALIDATION_FAILED", "请求参数有误", "Some fields are invalid")
	NotFound         = New(KindNotFound, "NOT_FOUND", "资源不存在", "Not found")
	MethodNotAllowed = New(KindMethodNotAllowed, "METHOD_NOT_ALLOWED", "不支持该请求方法", "Method not allowed")
	BodyTooLarge     = New(KindTooLarge, "BODY_TOO_LARGE", "请求体过大", "The request body is too large")
	UnsupportedMedia = New(KindUnsupportedMedia, "UNSUPPORTED_MEDIA_TYPE", "不支持的内容类型", "Unsupported content type")
	Unauthenticated  = New(KindUnauthenticated, "UNAUTHENTICATED", "请先登录", "Sign in first")
	Forbidden        = New(KindForbidden, "FORBIDDEN", "无权执行此操作", "You may not do this")
	RateLimited      = New(KindRateLimited, "RATE_LIMITED", "操作过于频繁，请稍后再试", "Too many requests, try again later")
	StoreUnavailable = New(KindUnavailable, "STORE_UNAVAILABLE", "数据服务暂不可用，请稍后重试", "The data store is unavailable, try again later").WithRetryAfter(2 * time.Second)
	Starting         = New(KindUnavailable, "STARTING", "系统正在启动", "The system is starting")
	// BadCursor is a page cursor that is not one a listing gave.
	BadCursor = New(KindInvalid, "INVALID_CURSOR", "分页游标无效", "The cursor is not valid")
)
