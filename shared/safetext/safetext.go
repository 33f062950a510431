// Package safetext holds the rules for text that people type into Fangxian
// (names of sites, rounds, communities, notice titles, people): text that
// ends up on other people's screens and in SMS. Control characters, bidi
// overrides, zero-width characters and line breaks can make a name say
// something else where it is shown ("东门\n【紧急】…"), so they are refused,
// not cleaned away.
package safetext

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem says what is wrong with a text, as a field reason ("" when nothing is).
type Problem string

// Line checks one line of text: a name or a title. It is trimmed first; the
// result is what to store.
func Line(s string, maxRunes int, required bool) (string, Problem) {
	return check(strings.TrimSpace(s), maxRunes, required, false)
}

// Text checks a longer text that may have line breaks (a notice's body).
func Text(s string, maxRunes int, required bool) (string, Problem) {
	return check(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")), maxRunes, required, true)
}

func check(s string, maxRunes int, required, newlines bool) (string, Problem) {
	switch {
	case s == "" && required:
		return s, "required"
	case !utf8.ValidString(s):
		return s, "not valid UTF-8"
	case utf8.RuneCountInString(s) > maxRunes:
		return s, Problem(fmt.Sprintf("at most %d characters", maxRunes))
	}
	if r, bad := firstUnsafe(s, newlines); bad {
		return s, Problem(fmt.Sprintf("has an invisible or control character (U+%04X)", r))
	}
	return s, ""
}

// Unsafe reports whether s holds a character Line refuses.
func Unsafe(s string) bool {
	_, bad := firstUnsafe(s, false)
	return bad || !utf8.ValidString(s)
}

// firstUnsafe finds the first character that is not printable (a letter,
// mark, number, punctuation, symbol or space): controls (Cc), format
// characters (Cf: bidi controls, zero-width spaces and joiners, the BOM),
// private-use, unassigned, line and paragraph separators. Newlines pass when
// allowed. strconv's compact tables are used, not unicode's large ones: they
// are linked in every binary already.
func firstUnsafe(s string, newlines bool) (rune, bool) {
	for _, r := range s {
		if r == '\n' && newlines {
			continue
		}
		if r == utf8.RuneError || !(strconv.IsPrint(r) || unicode.Is(unicode.Zs, r)) || unicode.Is(unicode.Cf, r) {
			return r, true
		}
	}
	return 0, false
}
