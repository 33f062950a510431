// Package dispatch is the dispatch queue: the envelope of its messages, the
// helpers that put them on it, the pace at which its consumer sends SMS,
// and the consumer itself, which hands each kind of message to the
// capability that knows it (notices' fan-out, catalogue texts of any
// capability, SMS that phones sent for the keyword flows).
package dispatch

import (
	"context"
	"encoding/json"
	"time"

	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/sms"
)

// Queue puts message bodies on the dispatch queue, at most MaxBatch a call.
type Queue interface {
	SendBatch(ctx context.Context, bodies []string) error
}

// MaxBatch is how many messages one SendBatch takes (SQS's limit).
const MaxBatch = 10

// Message kinds on the dispatch queue.
const (
	// KindFanout resolves a notice's recipients into KindSend messages.
	KindFanout = "fanout"
	// KindSend texts a notice to a batch of phones.
	KindSend = "send"
	// KindFever alerts a community's staff to a fever.
	KindFever = "fever"
	// KindReminder reminds a household to report temperatures.
	KindReminder = "reminder"
	// KindTexts sends catalogue messages of any capability, each to its
	// phone once per key.
	KindTexts = "texts"
	// KindInbound is an SMS a phone sent, for the keyword flows.
	KindInbound = "inbound"
	// KindCalls texts the volunteers an activation asked (their asks are
	// too many to carry in the message).
	KindCalls = "calls"
)

// Message is one queue message. Its JSON is the queue's wire format:
// messages queued by an earlier version still read.
type Message struct {
	Kind     string `json:"kind"`
	NoticeID string `json:"noticeId,omitempty"`
	Phone    string `json:"phone,omitempty"`
	// Phones are a KindSend's batch: as many as one provider call takes
	// and the pace lets one message send in a few seconds.
	Phones      []string `json:"phones,omitempty"`
	CommunityID string   `json:"communityId,omitempty"`
	ResidentID  string   `json:"residentId,omitempty"`
	Celsius     float64  `json:"celsius,omitempty"`
	Day         string   `json:"day,omitempty"`
	Texts       []Text   `json:"texts,omitempty"`
	// ActivationID is a KindCalls' activation.
	ActivationID string `json:"activationId,omitempty"`
	// Inbound is a KindInbound's SMS.
	Inbound *InboundSMS `json:"inbound,omitempty"`
	// Drill is the drill run the message works for: what it sends goes to
	// the drill's outbox.
	Drill string `json:"drill,omitempty"`
}

// Body is m as a queue message body.
func (m Message) Body() string {
	b, _ := json.Marshal(m) // a struct of strings, numbers and slices of them
	return string(b)
}

// Send puts messages on q, MaxBatch to a call. It answers how many calls it
// made.
func Send(ctx context.Context, q Queue, msgs []Message) (int, error) {
	bodies := make([]string, len(msgs))
	for i, m := range msgs {
		bodies[i] = m.Body()
	}
	calls := 0
	for start := 0; start < len(bodies); start += MaxBatch {
		calls++
		if err := q.SendBatch(ctx, bodies[start:min(start+MaxBatch, len(bodies))]); err != nil {
			return calls, err
		}
	}
	return calls, nil
}

// Text is one catalogue SMS to one phone, sent at most once per Key however
// often its queue message arrives.
type Text struct {
	Key      string   `json:"key"`
	Phone    string   `json:"phone"`
	Template string   `json:"template"`
	Values   []string `json:"values"`
	// Alert is sent whatever the phone's opt-outs: work for staff, not
	// news one can unsubscribe from.
	Alert bool `json:"alert,omitempty"`
	// Share counts the text against the phone's daily share of what
	// staff's actions cause (sms.Guarded): ShareRoutine or ShareEssential.
	Share string `json:"share,omitempty"`
}

// The daily shares a text may count against (sms.Guarded).
const (
	ShareRoutine   = "routine"
	ShareEssential = "essential"
)

// TextOf is the queue form of msg to phone, once per key.
func TextOf(key, phone string, msg sms.Message) Text {
	return Text{Key: key, Phone: phone, Template: msg.Template().Name, Values: msg.Values()}
}

// AlertOf is TextOf for an alert to staff: sent whatever their opt-outs.
func AlertOf(key, phone string, msg sms.Message) Text {
	t := TextOf(key, phone, msg)
	t.Alert = true
	return t
}

// SharedOf is TextOf for news staff's actions cause, within the phone's
// daily share (share: ShareRoutine or ShareEssential).
func SharedOf(key, phone, share string, msg sms.Message) Text {
	t := TextOf(key, phone, msg)
	t.Share = share
	return t
}

// TextsPerMessage is how many texts one queue message carries: a few
// seconds of sending at the pace, so a message finishes well inside the
// queue's visibility timeout.
const TextsPerMessage = 25

// TextMessages packs texts into KindTexts messages, TextsPerMessage to one,
// marked with the drill of ctx and the community they are sent for (whose
// daily report counts their parts; "" for none).
func TextMessages(ctx context.Context, community string, texts []Text) []Message {
	var out []Message
	for start := 0; start < len(texts); start += TextsPerMessage {
		out = append(out, Message{Kind: KindTexts, Texts: texts[start:min(start+TextsPerMessage, len(texts))], Drill: drill.RunOf(ctx), CommunityID: community})
	}
	return out
}

// EnqueueTexts puts texts sent for a community on the dispatch queue. It
// answers the calls it made.
func EnqueueTexts(ctx context.Context, q Queue, community string, texts []Text) (int, error) {
	return Send(ctx, q, TextMessages(ctx, community, texts))
}

// InboundSMS is an SMS a phone sent, as the providers' callbacks and topic
// deliver it: parsed, deduplicated by key, not yet acted on.
type InboundSMS struct {
	From string    `json:"from"`
	Text string    `json:"text"`
	Key  string    `json:"key"`
	At   time.Time `json:"at"`
}

// InboundHandler acts on an inbound SMS: the keyword flows (package
// smsflow). It fails only when the message is worth another try.
type InboundHandler interface {
	Handle(ctx context.Context, m InboundSMS) error
}

// Forwarder puts inbound SMS on the dispatch queue: the functions that
// receive them answer their provider at once, and the consumer acts on
// them with the queue's retries.
type Forwarder struct{ Queue Queue }

// Forward queues one inbound SMS.
func (f Forwarder) Forward(ctx context.Context, m InboundSMS) error {
	return f.Queue.SendBatch(ctx, []string{Message{Kind: KindInbound, Inbound: &m}.Body()})
}
