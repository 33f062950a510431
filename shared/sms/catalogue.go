// Package sms is the catalogue of every text message Fangxian sends, and the
// outbox that stands in for a provider on a developer machine. Mainland
// carriers take application SMS only as a registered 【signature】 plus a
// pre-approved template whose variables are filled in, so a Message can only
// be made by a template's constructor below, from typed, checked parameters:
// no free text can reach a phone. The providers' adapters (sms/pinpoint,
// sms/tencent) send Messages and nothing else.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/safetext"
)

// Kind is what a template parameter may hold.
type Kind int

// Parameter kinds, each checked the way mainland providers check template
// variables: digits only for codes and counts, no links or phone numbers in
// text, nothing invisible.
const (
	// Digits are 0-9 only.
	Digits Kind = iota
	// Code is upper-case letters and digits (booking codes, post codes).
	Code
	// Decimal is digits with at most one point (a temperature).
	Decimal
	// Clock is a Beijing time as "11月30日12:00", made by the constructor.
	Clock
	// Text is a short plain text: a name or a title.
	Text
	// MaskedPhone is a phone with its middle hidden: 138****1234.
	MaskedPhone
	// PublicPhone is an institution's number to dial, digits and dashes
	// (0931-8888888): a designated hospital's 24-hour line, never a
	// person's.
	PublicPhone
)

// Param is one variable of a template.
type Param struct {
	Name string
	Kind Kind
	// Max is the most characters the variable may hold; Text longer than
	// that is cut with "…" by the constructors, anything else is refused.
	Max int
}

// Template is one approved message.
type Template struct {
	// Name identifies the template; the provider's template id is looked up
	// by it in the configuration (SMS_TEMPLATE_IDS).
	Name string
	// Purpose groups messages in reports (sign-in, booking, notice, …).
	Purpose string
	// Text is the body after the signature; {name} marks a parameter.
	Text string
	// Params are the variables in the order they appear in Text: the order
	// a provider that numbers them ({1}, {2}, …) receives them in.
	Params []Param
	// MaxParts is the most SMS parts the message takes at its longest
	// parameters with a signature of up to MaxSignatureRunes characters.
	MaxParts int
}

// MaxSignatureRunes bounds the configured 【signature】: mainland providers
// register signatures of a few characters, and every part count here is
// tested with one this long.
const MaxSignatureRunes = 8

// Message is one filled template, ready for a sender. Its fields are
// unexported so that only the constructors of this package make one.
type Message struct {
	t      *Template
	values []string
}

// Template is the message's template.
func (m Message) Template() *Template { return m.t }

// Values are the parameter values, in the template's order.
func (m Message) Values() []string { return slices.Clone(m.values) }

// Named returns the parameters by name, for the outbox and logs.
func (m Message) Named() map[string]string {
	out := map[string]string{}
	for i, p := range m.t.Params {
		out[p.Name] = m.values[i]
	}
	return out
}

// IsZero reports whether m was not made by a constructor.
func (m Message) IsZero() bool { return m.t == nil }

// Body is the text after the signature.
func (m Message) Body() string {
	s := m.t.Text
	for i, p := range m.t.Params {
		s = strings.Replace(s, "{"+p.Name+"}", m.values[i], 1)
	}
	return s
}

// Render is the whole text a phone shows: 【signature】 and body.
func (m Message) Render(signature string) string { return Sign(signature, m.Body()) }

// Parts is how many SMS parts the message takes with signature.
func (m Message) Parts(signature string) int { return Parts(m.Render(signature)) }

// Sign puts the signature in front of body, e.g. "【防线】…".
func Sign(signature, body string) string {
	signature = strings.Trim(signature, "【】 ")
	if signature == "" {
		return body
	}
	return "【" + signature + "】" + body
}

// CheckSignature refuses a signature that the part counts do not cover, or
// that could change what a message says.
func CheckSignature(signature string) error {
	s := strings.Trim(signature, "【】 ")
	if s == "" || utf8.RuneCountInString(s) > MaxSignatureRunes || safetext.Unsafe(s) || strings.ContainsAny(s, "【】[]{}") {
		return fmt.Errorf("sms: signature %q: 1 to %d visible characters without brackets", signature, MaxSignatureRunes)
	}
	return nil
}

// Parts counts the SMS parts of a text as carriers bill them: GSM 7-bit
// text is 160 characters in one part and 153 a part when split; anything
// else (Chinese) is UCS-2, 70 in one part and 67 a part when split.
func Parts(text string) int {
	limit, split := 160, 153
	for _, r := range text {
		if r > 0x7e || (r < 0x20 && r != '\n' && r != '\r') {
			limit, split = 70, 67
			break
		}
	}
	units := utf8.RuneCountInString(text)
	if limit == 70 {
		units = len(utf16.Encode([]rune(text)))
	}
	if units <= limit {
		return 1
	}
	return (units + split - 1) / split
}

// ErrParam is a parameter that breaks its template's rules.
var ErrParam = errors.New("sms: parameter refused")

// fill checks values against t's parameters and makes the message. Text is
// cut to its maximum; anything else that does not fit is refused.
func fill(t *Template, values ...string) (Message, error) {
	if len(values) != len(t.Params) {
		return Message{}, fmt.Errorf("%w: %s takes %d parameters, got %d", ErrParam, t.Name, len(t.Params), len(values))
	}
	out := make([]string, len(values))
	for i, p := range t.Params {
		v, err := check(p, values[i])
		if err != nil {
			return Message{}, fmt.Errorf("%w: %s.%s: %v", ErrParam, t.Name, p.Name, err)
		}
		out[i] = v
	}
	return Message{t: t, values: out}, nil
}

func check(p Param, v string) (string, error) {
	if p.Kind == Text {
		v = strings.TrimSpace(v)
		if utf8.RuneCountInString(v) > p.Max {
			v = string([]rune(v)[:p.Max-1]) + "…"
		}
	}
	if v == "" {
		return "", errors.New("empty")
	}
	if utf8.RuneCountInString(v) > p.Max {
		return "", fmt.Errorf("longer than %d", p.Max)
	}
	ok := true
	switch p.Kind {
	case Digits:
		ok = onlyRunes(v, "0123456789")
	case Code:
		ok = onlyRunes(v, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	case Decimal:
		ok = onlyRunes(v, "0123456789.") && strings.Count(v, ".") <= 1 && v[0] != '.' && v[len(v)-1] != '.'
	case Clock:
		_, err := time.ParseInLocation("1月2日15:04", v, chinatime.Zone)
		ok = err == nil
	case MaskedPhone:
		ok = len(v) == 11 && onlyRunes(v[:3]+v[7:], "0123456789") && v[3:7] == "****"
	case PublicPhone:
		ok = len(v) >= 3 && onlyRunes(v, "0123456789-") && v[0] != '-' && v[len(v)-1] != '-' && !strings.Contains(v, "--")
	case Text:
		ok = plainText(v)
	default:
		ok = false
	}
	if !ok {
		return "", fmt.Errorf("%q is not allowed here", v)
	}
	return v, nil
}

func onlyRunes(s, allowed string) bool {
	for _, r := range s {
		if !strings.ContainsRune(allowed, r) {
			return false
		}
	}
	return true
}

// refusedSymbols are what mainland providers refuse in a template or a
// variable because handsets garble them or they pass for something else
// (Tencent Cloud's template rules name ¥, ★ and typed symbol combinations
// such as ^_^, &, ☞, ✓ and ※), in half and full width; other symbols
// (emoji, ☑, ★) are refused by their Unicode category.
const refusedSymbols = "【】[]{}<>¥￥^&※√［］｛｝＜＞＆〖〗〔〕"

// linkPattern finds what reads as an address: a name, a dot (any width),
// letters, as in example.org, bit.ly/x or example．com. It is compiled on
// first use, not at cold start.
var linkPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(https?|www|://)|[a-z0-9-]+\s*[.．。·]\s*[a-z]{2,}`)
})

// digitSeparators may stand between the digits of a number as people
// write it: 138 0013 8000, 138-0013-8000.
const digitSeparators = " -－—.·"

// plainText refuses what providers refuse in a variable, and what could make
// a message say something else: invisible characters, brackets that look
// like a signature, braces that look like a variable, symbols handsets
// garble (and every emoji), links, and runs of digits that could be a phone
// number however they are spaced.
func plainText(v string) bool {
	if safetext.Unsafe(v) || strings.ContainsAny(v, refusedSymbols) {
		return false
	}
	for _, r := range v {
		if unicode.Is(unicode.So, r) || r > 0xFFFF {
			return false
		}
	}
	if linkPattern().MatchString(v) {
		return false
	}
	run := 0
	for _, r := range v {
		switch {
		case (r >= '0' && r <= '9') || (r >= '０' && r <= '９'):
			run++
			if run >= 7 {
				return false
			}
		case run > 0 && strings.ContainsRune(digitSeparators, r):
		default:
			run = 0
		}
	}
	return true
}

// PlainText says whether text typed now (a title, a site's name) can be a
// text variable of an SMS as it is: what carriers refuse is refused where
// it is typed, not found when the message fails to go out.
func PlainText(v string) bool { return plainText(v) }

// Soften makes text that people typed long ago (a name, an address in the
// registry) fit a template's text variable: what plainText refuses becomes
// a space, so that an alert about a person still goes out.
func Soften(v string) string {
	var b strings.Builder
	for _, r := range v {
		if strings.ContainsRune(refusedSymbols, r) || unicode.Is(unicode.So, r) || r > 0xFFFF || safetext.Unsafe(string(r)) {
			r = ' '
		}
		b.WriteRune(r)
	}
	out := linkPattern().ReplaceAllString(b.String(), " ")
	if !plainText(out) { // a digit run: keep the letters only
		out = strings.Map(func(r rune) rune {
			if (r >= '0' && r <= '9') || (r >= '０' && r <= '９') {
				return -1
			}
			return r
		}, out)
	}
	var words []string
	for _, w := range strings.Fields(out) {
		if strings.IndexFunc(w, func(r rune) bool { return !unicode.IsPunct(r) }) >= 0 {
			words = append(words, w) // a word left of only dots and commas goes
		}
	}
	out = strings.Join(words, " ")
	if out == "" {
		return "住户"
	}
	return out
}

// clock formats t for a Clock parameter.
func clock(t time.Time) string { return t.In(chinatime.Zone).Format("1月2日15:04") }

// maskPhone hides the middle of a mainland mobile number.
func maskPhone(phone string) string {
	if len(phone) != 11 {
		return ""
	}
	return phone[:3] + "****" + phone[7:]
}

// NumberedText is the template as providers that number their variables
// register it: {1}, {2}, … in the order of Params.
func (t *Template) NumberedText() string {
	s := t.Text
	for i, p := range t.Params {
		s = strings.Replace(s, "{"+p.Name+"}", "{"+strconv.Itoa(i+1)+"}", 1)
	}
	return s
}

// Result is what a provider answered for one phone of a send: the id it
// gave the message (for delivery receipts), or why it refused that phone.
type Result struct {
	To  string
	ID  string
	Err error
}

// Provider is a provider's adapter (or the local outbox): one message to a
// phone, or one message to a batch of phones in a call.
type Provider interface {
	Send(ctx context.Context, to string, m Message) error
	// SendBatch fails as a whole (nothing sent) or answers each phone.
	SendBatch(ctx context.Context, to []string, m Message) ([]Result, error)
	// MaxBatch is how many phones one SendBatch takes.
	MaxBatch() int
}

// ParseTemplateIDs reads the providers' template ids from configuration:
// a JSON object from catalogue names to ids, e.g. {"signin_code":"1234567"}.
// A name that is not in the catalogue, or an id that is not digits and
// letters, is refused, so a typo is found at deploy time and not at 3 a.m.
func ParseTemplateIDs(s string) (map[string]string, error) {
	ids := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return ids, nil
	}
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, fmt.Errorf("sms: template ids: a JSON object of template name to id: %w", err)
	}
	for name, id := range ids {
		if _, ok := Lookup(name); !ok {
			return nil, fmt.Errorf("sms: template ids: no template %q in the catalogue", name)
		}
		if id == "" || len(id) > 32 || !onlyRunes(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-") {
			return nil, fmt.Errorf("sms: template ids: %q for %s is not an id", id, name)
		}
	}
	return ids, nil
}

// MissingTemplateIDs names the catalogue's templates that ids has no id for.
func MissingTemplateIDs(ids map[string]string) []string {
	var out []string
	for _, t := range catalogue {
		if ids[t.Name] == "" {
			out = append(out, t.Name)
		}
	}
	return out
}

// Catalogue lists every template, for the tests, the outbox and the
// operator's list of templates to register with a provider.
func Catalogue() []*Template { return slices.Clone(catalogue) }

// Lookup finds a template by name.
func Lookup(name string) (*Template, bool) {
	for _, t := range catalogue {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}

func itoa(n int) string { return strconv.Itoa(n) }
