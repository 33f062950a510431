package notices

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/aws/aws-lambda-go/events"

	"github.com/fangxian/fangxian/shared/logging"
)

// Message kinds on the dispatch queue.
const (
	// KindFanout resolves a notice's recipients into KindSend messages.
	KindFanout = "fanout"
	// KindSend texts a notice to one phone.
	KindSend = "send"
	// KindFever alerts a community's staff to a fever.
	KindFever = "fever"
	// KindReminder reminds a household to report temperatures.
	KindReminder = "reminder"
)

// Message is one queue message.
type Message struct {
	Kind        string  `json:"kind"`
	NoticeID    string  `json:"noticeId,omitempty"`
	Phone       string  `json:"phone,omitempty"`
	CommunityID string  `json:"communityId,omitempty"`
	ResidentID  string  `json:"residentId,omitempty"`
	Celsius     float64 `json:"celsius,omitempty"`
	Day         string  `json:"day,omitempty"`
}

// StaffPhones lists who is alerted in a community.
type StaffPhones interface {
	StaffPhones(ctx context.Context, communityID string) ([]string, error)
}

// Sender sends one SMS; the body is the text after the signature.
type Sender interface {
	Send(ctx context.Context, to, body string) error
}

// Dispatcher consumes the dispatch queue.
type Dispatcher struct {
	Store     Store
	Directory Directory
	Queue     Enqueuer
	Sender    Sender
	// Signature is counted in every message's length.
	Signature string
	Pacer     *Pacer
	Staff     StaffPhones
}

// Handle processes a batch and reports the messages that failed, so SQS
// retries only those (and moves a poison message to the DLQ after its
// receives). It never fails the batch as a whole.
func (d *Dispatcher) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		if err := d.handle(ctx, rec.Body); err != nil {
			logging.From(ctx).Warn("dispatch message failed", "messageId", rec.MessageId,
				"receives", rec.Attributes["ApproximateReceiveCount"], "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

func (d *Dispatcher) handle(ctx context.Context, body string) error {
	var m Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return fmt.Errorf("not a dispatch message: %w", err)
	}
	switch m.Kind {
	case KindFanout:
		return d.fanout(ctx, m.NoticeID)
	case KindSend:
		return d.send(ctx, m.NoticeID, m.Phone)
	case KindFever:
		return d.fever(ctx, m)
	case KindReminder:
		return d.text(ctx, m.Phone, "请今日完成体温报备：回复“体温 36.5”或在小程序中填报。")
	}
	return fmt.Errorf("unknown message kind %q", m.Kind)
}

// fanout puts one KindSend message per distinct phone of the notice's
// buildings on the queue, ten a call. Run twice (a redelivered fan-out), it
// queues the phones twice, and ClaimSend keeps each to one SMS.
func (d *Dispatcher) fanout(ctx context.Context, noticeID string) error {
	n, _, err := d.Store.Notice(ctx, noticeID)
	if err != nil {
		return err
	}
	var phones []string
	for _, bid := range n.BuildingIDs {
		rs, err := d.Directory.BuildingResidents(ctx, bid)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Phone != "" {
				phones = append(phones, r.Phone)
			}
		}
	}
	phones = dedupe(phones)
	for start := 0; start < len(phones); start += 10 {
		var bodies []string
		for _, p := range phones[start:min(start+10, len(phones))] {
			b, _ := json.Marshal(Message{Kind: KindSend, NoticeID: noticeID, Phone: p})
			bodies = append(bodies, string(b))
		}
		if err := d.Queue.SendBatch(ctx, bodies); err != nil {
			return err
		}
		if err := d.Store.CountQueued(ctx, noticeID, len(bodies)); err != nil {
			return err
		}
	}
	return nil
}

// send texts the notice to one phone at most once.
func (d *Dispatcher) send(ctx context.Context, noticeID, phone string) error {
	n, _, err := d.Store.Notice(ctx, noticeID)
	if err != nil {
		return err
	}
	first, err := d.Store.ClaimSend(ctx, noticeID, phone)
	if err != nil || !first {
		return err // a second delivery: already sent (or being sent)
	}
	if out, err := d.Store.OptedOut(ctx, phone); err != nil {
		return errors.Join(err, d.Store.FinishSend(ctx, noticeID, phone, "retry"))
	} else if out {
		return d.Store.FinishSend(ctx, noticeID, phone, "skipped")
	}
	text := "【通知】" + n.Title + "：" + n.Body
	if n.Urgent {
		text = "【紧急通知】" + n.Title + "：" + n.Body
	}
	if err := d.Pacer.Wait(ctx, Parts(d.Signature+text)); err != nil {
		return errors.Join(err, d.Store.FinishSend(ctx, noticeID, phone, "retry"))
	}
	if err := d.Sender.Send(ctx, phone, text); err != nil {
		return errors.Join(err, d.Store.FinishSend(ctx, noticeID, phone, "retry"))
	}
	return d.Store.FinishSend(ctx, noticeID, phone, "sent")
}

// fever texts every staff member of the community. A redelivered alert may
// text them twice; for a fever that is the right side to err on.
func (d *Dispatcher) fever(ctx context.Context, m Message) error {
	phones, err := d.Staff.StaffPhones(ctx, m.CommunityID)
	if err != nil {
		return err
	}
	body := fmt.Sprintf("【发热预警】居民%s报备体温%.1f℃，请及时处置。", m.ResidentID, m.Celsius)
	for _, p := range phones {
		if err := d.text(ctx, p, body); err != nil {
			return err
		}
	}
	return nil
}

// text sends one paced message, unless the phone opted out.
func (d *Dispatcher) text(ctx context.Context, phone, body string) error {
	if out, err := d.Store.OptedOut(ctx, phone); err != nil || out {
		return err
	}
	if err := d.Pacer.Wait(ctx, Parts(d.Signature+body)); err != nil {
		return err
	}
	return d.Sender.Send(ctx, phone, body)
}

// Parts counts the SMS parts of a text as carriers bill them: GSM 7-bit
// text is 160 characters in one part and 153 a part when split; anything
// else (Chinese) is UCS-2, 70 in one part and 67 a part when split.
func Parts(text string) int {
	units, limit, split := 0, 160, 153
	for _, r := range text {
		if r > 0x7e || (r < 0x20 && r != '\n' && r != '\r') {
			limit, split = 70, 67
		}
	}
	if limit == 70 {
		units = len(utf16.Encode([]rune(text)))
	} else {
		units = len([]rune(text))
	}
	if units <= limit {
		return 1
	}
	return (units + split - 1) / split
}

// Pacer holds sending to a number of message parts per second across the
// goroutines of one function instance.
type Pacer struct {
	PartsPerSecond float64
	Now            func() time.Time
	Sleep          func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next time.Time
}

// NewPacer paces at rate parts per second.
func NewPacer(rate float64) *Pacer {
	return &Pacer{PartsPerSecond: rate, Now: time.Now, Sleep: func(ctx context.Context, d time.Duration) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
}

// Wait returns when parts more may be sent.
func (p *Pacer) Wait(ctx context.Context, parts int) error {
	p.mu.Lock()
	now := p.Now()
	start := p.next
	if start.Before(now) {
		start = now
	}
	p.next = start.Add(time.Duration(float64(parts) / p.PartsPerSecond * float64(time.Second)))
	p.mu.Unlock()
	if d := start.Sub(now); d > 0 {
		return p.Sleep(ctx, d)
	}
	return nil
}
