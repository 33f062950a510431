package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/sms"
)

// Handler acts on one message of its kind. last says the queue will not
// hand the message out again: a send that fails now is counted failed, not
// left for a retry.
type Handler func(ctx context.Context, m Message, last bool) error

// Consumer reads the dispatch queue and hands each message to the handler
// of its kind.
type Consumer struct {
	Handlers map[string]Handler
	// MaxReceives is the queue's receives before the dead letters.
	MaxReceives int
}

// Handle processes a batch and reports the messages that failed, so SQS
// retries only those (and moves a poison message to the dead letters after
// its receives). It never fails the batch as a whole.
func (c *Consumer) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		receives, _ := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
		last := c.MaxReceives > 0 && receives >= c.MaxReceives
		if err := c.handle(ctx, rec.Body, last); err != nil {
			logging.From(ctx).Warn("dispatch message failed", "messageId", rec.MessageId,
				"receives", rec.Attributes["ApproximateReceiveCount"], "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

func (c *Consumer) handle(ctx context.Context, body string, last bool) error {
	var m Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return fmt.Errorf("not a dispatch message: %w", err)
	}
	h, ok := c.Handlers[m.Kind]
	if !ok {
		return fmt.Errorf("unknown message kind %q", m.Kind)
	}
	return h(sms.ForCommunity(drill.With(ctx, m.Drill), m.CommunityID), m, last)
}

// Inbound is the handler of KindInbound: the keyword flows act on the SMS.
func Inbound(flows InboundHandler) Handler {
	return func(ctx context.Context, m Message, _ bool) error {
		if m.Inbound == nil {
			return nil
		}
		return flows.Handle(ctx, *m.Inbound)
	}
}

// Once keeps a message to one send per key and phone, however often its job
// runs or its queue message arrives.
type Once interface {
	// ClaimOnce takes key for phone; false when it was taken before.
	ClaimOnce(ctx context.Context, key, phone string) (bool, error)
	// ReleaseOnce gives key back after a failed send, so a retry may send.
	ReleaseOnce(ctx context.Context, key, phone string) error
}

// OptOuts says who asked for no SMS.
type OptOuts interface {
	OptedOut(ctx context.Context, phone string) (bool, error)
}

// Texter sends single catalogue messages from the queue: paced, once per
// key and phone.
type Texter struct {
	Sender interface {
		Send(ctx context.Context, to string, m sms.Message) error
	}
	// Told sends what staff's actions cause within a phone's daily share.
	Told    sms.Guarded
	Once    Once
	OptOuts OptOuts
	Pacer   *Pacer
	// Signature is counted in every message's length.
	Signature string
}

// Texts is the handler of KindTexts.
func (t *Texter) Texts(ctx context.Context, m Message, _ bool) error {
	var errs []error
	for _, tx := range m.Texts {
		msg, err := sms.Rebuild(tx.Template, tx.Values)
		if err != nil {
			// A message the catalogue refuses now never will: drop it
			// rather than retry it into the dead letters.
			logging.From(ctx).Warn("queued text refused", "template", tx.Template, "err", err)
			continue
		}
		switch {
		case tx.Alert:
			errs = append(errs, t.SendOnce(ctx, tx.Key, tx.Phone, msg))
		case tx.Share != "":
			errs = append(errs, t.sharedOnce(ctx, tx, msg))
		default:
			errs = append(errs, t.TextOnce(ctx, tx.Key, tx.Phone, msg))
		}
	}
	return errors.Join(errs...)
}

// sharedOnce sends one paced message within the phone's daily share, once
// per key: a phone that opted out or had its share is skipped (logged), as
// a direct send would be.
func (t *Texter) sharedOnce(ctx context.Context, tx Text, msg sms.Message) error {
	first, err := t.Once.ClaimOnce(ctx, tx.Key, tx.Phone)
	if err != nil || !first {
		return err
	}
	if err := t.Pacer.Wait(ctx, msg.Parts(t.Signature)); err != nil {
		return errors.Join(err, t.Once.ReleaseOnce(ctx, tx.Key, tx.Phone))
	}
	told := t.Told
	if tx.Share == ShareEssential {
		told = told.Essential()
	}
	err = told.Send(ctx, tx.Phone, msg)
	if sms.Skipped(err) {
		logging.From(ctx).Info("a text not sent", "template", tx.Template, "to", logging.MaskPhone(tx.Phone), "why", err)
		return nil
	}
	if err != nil {
		return errors.Join(err, t.Once.ReleaseOnce(ctx, tx.Key, tx.Phone))
	}
	return nil
}

// TextOnce sends one paced message to phone, once per key, unless the phone
// opted out.
func (t *Texter) TextOnce(ctx context.Context, key, phone string, msg sms.Message) error {
	if out, err := t.OptOuts.OptedOut(ctx, phone); err != nil || out {
		return err
	}
	return t.SendOnce(ctx, key, phone, msg)
}

// SendOnce sends one paced message to phone, once per key, whatever its
// opt-outs: alerts to staff are work, not news.
func (t *Texter) SendOnce(ctx context.Context, key, phone string, msg sms.Message) error {
	first, err := t.Once.ClaimOnce(ctx, key, phone)
	if err != nil || !first {
		return err
	}
	if err := t.Pacer.Wait(ctx, msg.Parts(t.Signature)); err != nil {
		return errors.Join(err, t.Once.ReleaseOnce(ctx, key, phone))
	}
	if err := t.Sender.Send(ctx, phone, msg); err != nil {
		return errors.Join(err, t.Once.ReleaseOnce(ctx, key, phone))
	}
	return nil
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
