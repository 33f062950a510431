// Package inbound takes what comes back from phones through the SMS
// providers: the replies residents send, and the carriers' delivery
// receipts. Each provider's way of delivering them (Tencent Cloud's HTTPS
// callbacks; AWS End User Messaging's SNS topic and EventBridge events) is
// parsed here into one Reply or Receipt, and one Handler acts on them.
package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/sms"
)

// Reply is a text a phone sent to the deployment's SMS number.
type Reply struct {
	// From is the mainland mobile number, normalised (11 digits).
	From string
	Text string
	At   time.Time
	// Key identifies the reply across a provider's retries.
	Key string
}

// Receipt is a carrier's final word on one message.
type Receipt struct {
	// ProviderID is the id the provider answered the send with.
	ProviderID string
	Delivered  bool
}

// Receipts counts receipts against the notices that sent the messages.
type Receipts interface {
	// RecordReceipt reports false for an id no notice sent, or one seen before.
	RecordReceipt(ctx context.Context, providerID string, delivered bool) (bool, error)
}

// OptOuts keeps the phones that asked for no more SMS.
type OptOuts interface {
	// Each records the phone's word as of at: the latest word wins.
	SetOptOut(ctx context.Context, phone string, at time.Time) error
	ClearOptOut(ctx context.Context, phone string, at time.Time) error
}

// Once keeps a reply to one handling however often a provider delivers it.
type Once interface {
	ClaimOnce(ctx context.Context, key, phone string) (bool, error)
	ReleaseOnce(ctx context.Context, key, phone string) error
}

// Keywords takes the replies that are not TD: the keyword flows, through
// the dispatch queue (dispatch.Forwarder).
type Keywords interface {
	Forward(ctx context.Context, m dispatch.InboundSMS) error
}

// Handler acts on replies and receipts.
type Handler struct {
	Receipts Receipts
	OptOuts  OptOuts
	Once     Once
	// Keywords gets every reply but an opt-out.
	Keywords Keywords
	Now      func() time.Time
}

// What a reply did, for the log and the tests.
const (
	ActionOptOut    = "opt-out"
	ActionOptIn     = "opt-in"
	ActionDuplicate = "duplicate"
	ActionForwarded = "forwarded"
)

// Keywords a resident replies to stop or resume SMS. Mainland carriers'
// convention is TD (退订); the others are what people type.
var (
	// optOutWords stop SMS when they are the whole reply.
	// 取消 and N are keywords of their own (cancel a booking, no to a call).
	optOutWords = []string{"TD", "T", "STOP", "UNSUBSCRIBE", "退订", "退", "取消订阅", "不要再发", "别发了"}
	// optOutAnywhere stop SMS wherever they are in a reply (回复TD退订, TD 谢谢).
	optOutAnywhere = []string{"退订", "取消订阅", "不要再发"}
	// optOutTokens stop SMS as a word of their own among others.
	optOutTokens = []string{"TD", "STOP", "UNSUBSCRIBE"}
	optInWords   = []string{"START", "订阅", "恢复", "恢复订阅"}
)

// commands start a reply that asks for something (the keyword flows'):
// such a reply is never read as an opt-out, whatever words follow.
var commands = sms.Requests()

// optsOut says whether a reply asks for no more SMS.
func optsOut(text string) bool {
	k := keyword(text)
	for _, c := range commands {
		if strings.HasPrefix(k, c) && !strings.HasPrefix(k, "订阅") {
			return false
		}
	}
	if slices.Contains(optOutWords, k) {
		return true
	}
	for _, w := range optOutAnywhere {
		if strings.Contains(k, w) {
			return true
		}
	}
	words := strings.FieldsFunc(strings.ToUpper(width(text)), func(r rune) bool { return !(r >= 'A' && r <= 'Z') })
	for _, w := range words {
		if slices.Contains(optOutTokens, w) {
			return true
		}
	}
	return false
}

// MaxReplyRunes bounds what a reply may hold; a longer one is cut.
const MaxReplyRunes = 500

// Reply acts on one reply, once: an opt-out takes effect at once and is
// not answered; an opt-in takes effect and, like every other reply, goes on
// to the keyword flows, which answer it. A failure gives the reply back, so
// that the provider's retry acts on it.
func (h *Handler) Reply(ctx context.Context, r Reply) (string, error) {
	first, err := h.Once.ClaimOnce(ctx, "reply:"+r.Key, r.From)
	if err != nil {
		return "", err
	}
	if !first {
		return ActionDuplicate, nil
	}
	action, err := h.reply(ctx, r)
	if err != nil {
		return "", errors.Join(err, h.Once.ReleaseOnce(ctx, "reply:"+r.Key, r.From))
	}
	return action, nil
}

func (h *Handler) reply(ctx context.Context, r Reply) (string, error) {
	// The provider's time orders a phone's words (a late retry of an old
	// TD does not undo a newer 订阅), but never past now: a reply dated in
	// the future would outrank every word the phone says until then.
	at, now := r.At, h.Now()
	if at.IsZero() || at.After(now) {
		at = now
	}
	action := ActionForwarded
	switch {
	case optsOut(r.Text):
		return ActionOptOut, h.OptOuts.SetOptOut(ctx, r.From, at)
	case slices.Contains(optInWords, keyword(r.Text)):
		if err := h.OptOuts.ClearOptOut(ctx, r.From, at); err != nil {
			return "", err
		}
		action = ActionOptIn
	}
	if err := h.Keywords.Forward(ctx, dispatch.InboundSMS{From: r.From, Text: r.Text, Key: r.Key, At: at}); err != nil {
		return "", err
	}
	return action, nil
}

// Receipt counts one receipt; a receipt for a message no notice sent is
// dropped, and one seen before counts nothing.
func (h *Handler) Receipt(ctx context.Context, r Receipt) error {
	_, err := h.Receipts.RecordReceipt(ctx, r.ProviderID, r.Delivered)
	return err
}

// keyword is a reply as a keyword: trimmed of spaces, punctuation,
// symbols and invisible characters, upper-cased, full-width letters made
// ASCII.
func keyword(text string) string {
	var b strings.Builder
	for _, r := range width(text) {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || safetext.Unsafe(string(r)) {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// width makes full-width ASCII letters half-width.
func width(text string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'Ａ' && r <= 'Ｚ':
			return r - 'Ａ' + 'A'
		case r >= 'ａ' && r <= 'ｚ':
			return r - 'ａ' + 'a'
		}
		return r
	}, text)
}

// cleanText keeps a reply's text printable and bounded: control and
// invisible characters become spaces, the rest is cut at MaxReplyRunes.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, " ")
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == MaxReplyRunes {
			break
		}
		if safetext.Unsafe(string(r)) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// replyKey identifies a reply that a provider gives no id: its phone, time
// and text.
func replyKey(from string, at time.Time, text string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%d|%s", from, at.Unix(), text)))
	return hex.EncodeToString(sum[:12])
}
