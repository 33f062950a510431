// Package phone validates and normalises mainland China mobile numbers, the
// identity of residents, staff and volunteers.
package phone

import (
	"errors"
	"strings"
)

// ErrInvalid is returned for anything that is not a mainland mobile number.
var ErrInvalid = errors.New("not a mainland China mobile number")

// Normalize accepts the ways people write a mobile number (spaces, dashes,
// +86 or 86 or 0086 in front) and returns the 11 digits, e.g. "13812345678".
func Normalize(s string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')':
		default:
			return "", ErrInvalid
		}
	}
	d := b.String()
	// A number written with + names its country: only +86 is the mainland
	// (+1 425 555 0182 has 11 digits that look like a mainland mobile).
	if strings.HasPrefix(strings.TrimSpace(s), "+") && !strings.HasPrefix(d, "86") {
		return "", ErrInvalid
	}
	for _, prefix := range []string{"0086", "86"} {
		if len(d) == 11+len(prefix) && strings.HasPrefix(d, prefix) {
			d = d[len(prefix):]
			break
		}
	}
	if len(d) != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9' {
		return "", ErrInvalid
	}
	return d, nil
}

// E164 is the number as SMS services want it, e.g. "+8613812345678".
func E164(normalized string) string { return "+86" + normalized }
