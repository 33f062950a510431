// Package smsflow is everything a resident or volunteer can do by SMS (短信
// 流程): a reply's keyword is parsed here, acted on through the same
// services as the app, and answered with a catalogue SMS through the
// dispatch queue.
package smsflow

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/symptom"
)

// Kinds of command a reply can be.
const (
	Unknown = ""
	Book    = sms.FlowBook
	Cancel  = sms.FlowCancel
	Query   = sms.FlowQuery
	Temp    = sms.FlowTemp
	Order   = sms.FlowOrder
	Help    = sms.FlowHelp
	Yes     = sms.FlowYes
	No      = sms.FlowNo
	CheckIn = sms.FlowCheckIn
	// CheckOut is 离岗/CHECKOUT with the post's code.
	CheckOut = sms.FlowCheckOut
	// Keywords is the bare English HELP: what to reply, not a request.
	Keywords = "keywords"
	// Start is 订阅/START: SMS resume (the opt-out list is the inbound
	// package's; this only answers it).
	Start = sms.FlowStart
	// Pass is 通行证/PASS: the household's gate code.
	Pass = sms.FlowPass
)

// Line is one item of an SMS order: the menu's number and how many.
type Line struct {
	Item     int
	Quantity int
}

// Command is a reply understood.
type Command struct {
	Kind string
	// Member is the household member meant, by the number a reply listed
	// (1-based); 0 when none was given.
	Member int
	// Celsius is a temperature report's reading.
	Celsius float64
	// Symptoms are a temperature report's symptoms, by their codes (none
	// when it names none).
	Symptoms []string
	// Lines are an order's items; none asks for the menu.
	Lines []Line
	// Text is a help request's words, as typed (cleaned).
	Text string
	// Code is the post's check-in code.
	Code string
}

// decimalComma is a comma between a temperature's digits (compiled on
// first use, not at cold start).
var decimalComma = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([34][0-9]),([0-9])\b`) })

// MaxLines bounds an SMS order.
const MaxLines = 10

// Parse reads a reply. It is tolerant of full-width and half-width digits
// and punctuation, extra spaces and case; what it does not understand is
// Unknown.
func Parse(text string) Command {
	norm := Normalize(text)
	for _, k := range sms.Keywords {
		after, ok := cutPrefix(norm, k.Word)
		if !ok {
			continue
		}
		// An English keyword is a word: BOOKS or YESTERDAY are not.
		if isASCIILetter(k.Word[0]) && after != "" && isASCIILetter(after[0]) {
			continue
		}
		return parseArgs(k.Flow, strings.TrimSpace(after))
	}
	return Command{}
}

// cutPrefix is what follows word at the start of s, compared rune by rune
// without regard to case.
func cutPrefix(s, word string) (string, bool) {
	for _, w := range word {
		r, size := utf8.DecodeRuneInString(s)
		if size == 0 || unicode.ToUpper(r) != w {
			return "", false
		}
		s = s[size:]
	}
	return s, true
}

func isASCIILetter(b byte) bool { return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') }

func parseArgs(kind, rest string) Command {
	c := Command{Kind: kind}
	words := fields(rest)
	switch kind {
	case Book, Cancel, Query:
		if len(words) > 1 {
			return Command{}
		}
		if len(words) == 1 {
			n, ok := member(words[0])
			if !ok {
				return Command{}
			}
			c.Member = n
		}
	case Temp:
		// 38,2 is 38.2 as people type it; ℃, 度 and °C are the unit.
		rest = decimalComma().ReplaceAllString(rest, "$1.$2")
		rest = strings.NewReplacer("℃", " ", "°C", " ", "°c", " ", "度", " ", "°", " ").Replace(rest)
		words = fields(apartDigits(rest))
		for _, w := range words {
			if syms, ok := symptomWords(w); ok {
				c.Symptoms = append(c.Symptoms, syms...)
				continue
			}
			v, err := strconv.ParseFloat(w, 64)
			switch {
			case err != nil || v != v:
				return Command{}
			case v >= 30 && c.Celsius == 0:
				c.Celsius = v
			case v == float64(int(v)) && v >= 1 && v <= 9 && c.Member == 0:
				c.Member = int(v)
			default:
				return Command{}
			}
		}
		if c.Celsius == 0 {
			return Command{}
		}
	case Order:
		for _, w := range words {
			item, qty, ok := orderLine(w)
			if !ok || len(c.Lines) == MaxLines {
				return Command{}
			}
			c.Lines = append(c.Lines, Line{Item: item, Quantity: qty})
		}
	case Help:
		c.Text = rest
		if c.Text == "" {
			c.Kind = Keywords // HELP alone asks what to reply
		}
	case CheckIn, CheckOut:
		if len(words) != 1 || !allDigits(words[0]) || len(words[0]) != 6 {
			return Command{}
		}
		c.Code = words[0]
	case Start, Pass:
		if rest != "" {
			return Command{}
		}
	case Yes, No:
		// 是的, 否 谢谢: what follows does not change the answer.
	}
	return c
}

// member reads a member's number, 1 to 9.
func member(w string) (int, bool) {
	if len(w) != 1 || w[0] < '1' || w[0] > '9' {
		return 0, false
	}
	return int(w[0] - '0'), true
}

// orderLine reads "3", "3x2", "3*2", "3×2": the menu's number and how many.
func orderLine(w string) (int, int, bool) {
	item, qty := w, "1"
	for _, sep := range []string{"X", "x", "*", "×"} {
		if i := strings.Index(w, sep); i > 0 {
			item, qty = w[:i], w[i+len(sep):]
			break
		}
	}
	if !allDigits(item) || !allDigits(qty) || len(item) > 2 || len(qty) > 2 {
		return 0, 0, false
	}
	a, _ := strconv.Atoi(item)
	b, _ := strconv.Atoi(qty)
	if a < 1 || b < 1 {
		return 0, 0, false
	}
	return a, b, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// fields splits on spaces and the separators people type between numbers.
// apartDigits puts a space between a number and the words beside it:
// 体温37.8咳嗽 is 37.8 and 咳嗽.
func apartDigits(s string) string {
	var b strings.Builder
	prev := 0 // 1 a digit or point, 2 anything else
	for _, r := range s {
		kind := 2
		if (r >= '0' && r <= '9') || r == '.' {
			kind = 1
		}
		if unicode.IsSpace(r) {
			kind = 0
		}
		if prev != 0 && kind != 0 && kind != prev {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		prev = kind
	}
	return b.String()
}

// symptomWords reads a word of symptoms written together (咳嗽乏力), the
// longest known word first; false when any of it is not one.
func symptomWords(w string) ([]string, bool) {
	var out []string
	for w != "" {
		found := false
		for n := min(len(w), 15); n > 0; n-- {
			if !utf8.ValidString(w[:n]) {
				continue
			}
			if code, ok := symptom.Of(w[:n]); ok && w[:n] != code {
				out, w, found = append(out, code), w[n:], true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, len(out) > 0
}

func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' || r == ':' || r == '、' })
}

// Normalize makes full-width forms half-width (digits, letters and
// punctuation; the ideographic space; 。 between digits is a decimal point),
// drops invisible and control characters and collapses spaces.
func Normalize(text string) string {
	text = strings.ToValidUTF8(text, " ")
	var b strings.Builder
	runes := []rune(text)
	for i, r := range runes {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		case r == '。' && i > 0 && i < len(runes)-1 && isDigit(runes[i-1]) && isDigit(fullToHalf(runes[i+1])):
			r = '.'
		case r == '，':
			r = ','
		case r == '；':
			r = ';'
		case unicode.Is(unicode.Cf, r):
			continue // zero-width and bidi marks: as if absent (预\u200b约 is 预约)
		case unicode.IsControl(r):
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func fullToHalf(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}

func isDigit(r rune) bool { r = fullToHalf(r); return r >= '0' && r <= '9' }

// Clip cuts text to n runes, for a message parameter.
func Clip(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	return string([]rune(text)[:n])
}
