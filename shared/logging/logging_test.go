package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestMaskPhones(t *testing.T) {
	cases := []struct{ in, want string }{
		{"13812341234", "138****1234"},
		{"+8613812341234", "+86138****1234"},
		{"call 13812341234 now", "call 138****1234 now"},
		{"13812341234,13900000001", "138****1234,139****0001"},
		{"order 1381234123456 id", "order 1381234123456 id"}, // 13 digits: not a phone
		{"12812341234", "12812341234"},                       // no mobile starts 12
		{"短信发往13812341234。", "短信发往138****1234。"},
		{"", ""},
	}
	for _, c := range cases {
		if got := MaskPhones(c.in); got != c.want {
			t.Errorf("MaskPhones(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	cases := []struct{ in, want string }{
		{"13812341234", "138****1234"},
		{"+8613812341234", "+86138****1234"},
		{"12345", "*****"},
	}
	for _, c := range cases {
		if got := MaskPhone(c.in); got != c.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLoggerMasksStringsAndErrors(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, slog.LevelInfo)
	l.Info("otp sent to 13912345678", "phone", "13912345678", "err", errors.New("send to 13912345678 failed"),
		slog.Group("user", "phone", "+8613912345678"))
	out := buf.String()
	if strings.Contains(out, "12345678") {
		t.Fatalf("log line holds a full phone number: %s", out)
	}
	if got := strings.Count(out, "139****5678"); got != 4 {
		t.Fatalf("want 4 masked phones, got %d in %s", got, out)
	}
}
