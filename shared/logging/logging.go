// Package logging builds the structured JSON logger every function uses and
// keeps residents' phone numbers out of the logs (PIPL): any value that looks
// like a mainland mobile number is written as 138****1234.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
)

// phonePattern finds mainland mobile numbers, with or without +86, not inside
// longer digit runs (ids, timestamps). It is compiled on first use, not at
// cold start.
var phonePattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(^|[^0-9])((?:\+?86)?1[3-9][0-9])([0-9]{4})([0-9]{4})($|[^0-9])`)
})

// MaskPhones replaces every mobile number in s by its masked form.
func MaskPhones(s string) string {
	if len(s) < 11 {
		return s
	}
	// Two passes: adjacent numbers share the separator the pattern consumes.
	for range 2 {
		s = phonePattern().ReplaceAllString(s, "$1$2****$4$5")
	}
	return s
}

// MaskPhone masks one phone number, whatever its shape.
func MaskPhone(phone string) string {
	if len(phone) < 7 {
		return strings.Repeat("*", len(phone))
	}
	return phone[:len(phone)-8] + "****" + phone[len(phone)-4:]
}

// New returns a JSON logger writing to w at level, masking phones in every
// string and error value.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       level,
		ReplaceAttr: maskAttr,
	}))
}

// FromEnv returns the logger for a function: JSON on stdout (Lambda sends it to
// CloudWatch), level from LOG_LEVEL (debug, info, warn, error; default info).
func FromEnv() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	return New(os.Stdout, level)
}

// Init makes the function's logger (see FromEnv) the process default, so
// that anything logged through the standard library's log package (the
// Lambda runtime's own messages among them) is JSON with phones masked too.
func Init() *slog.Logger {
	l := FromEnv()
	slog.SetDefault(l)
	return l
}

func maskAttr(_ []string, a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, MaskPhones(v.String()))
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, MaskPhones(err.Error()))
		}
	}
	return a
}

type ctxKey struct{}

// WithLogger stores l in ctx for the handlers below.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the request's logger, or the default logger outside a request.
func From(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(ctxKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
