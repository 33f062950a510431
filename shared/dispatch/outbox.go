package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/fangxian/fangxian/shared/logging"
)

// Pending are queue messages a change causes, written in the same
// transaction as the change: the change cannot commit without them, and
// once it has they are sent — at once by Flush, or, when the queue failed
// then, by the sweep of the jobs of every minute. The consumer acts on each
// message once per key, so a message sent twice (the queue took it, its
// record was not deleted yet) acts once.
type Pending struct {
	ID       string
	At       time.Time
	Messages []Message
}

// NewPending is a record of msgs made at now (nil when there are none).
func NewPending(now time.Time, msgs ...Message) *Pending {
	if len(msgs) == 0 {
		return nil
	}
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return &Pending{ID: hex.EncodeToString(b), At: now, Messages: msgs}
}

// PendingTexts is a record of texts, packed into messages, marked with the
// drill of ctx (nil when there are none).
func PendingTexts(ctx context.Context, now time.Time, texts []Text) *Pending {
	return NewPending(now, TextMessages(ctx, texts)...)
}

// PendingStore keeps the pending records.
type PendingStore interface {
	// DuePending lists records written before before, oldest first, at
	// most limit of them.
	DuePending(ctx context.Context, before time.Time, limit int) ([]Pending, error)
	// DonePending deletes a record whose messages the queue took.
	DonePending(ctx context.Context, p Pending) error
	// KeepPending writes a record on its own, for the sweep.
	KeepPending(ctx context.Context, p Pending) error
}

// Outbox sends what committed changes left pending.
type Outbox struct {
	Queue Queue
	Store PendingStore
}

// SweepAfter is how long a record waits for Flush before the sweep takes it:
// well past a request's life, so the sweep does not race a Flush that is
// still sending.
const SweepAfter = 45 * time.Second

// Flush sends the records and deletes them. What cannot be sent now is
// left for the sweep (and logged): the change stands, and the caller's
// answer is not an error. It answers how many records went to the queue.
func (o *Outbox) Flush(ctx context.Context, ps ...*Pending) int {
	sent := 0
	for _, p := range ps {
		if p == nil {
			continue
		}
		if err := o.send(ctx, *p); err != nil {
			logging.From(ctx).Warn("queued messages left for the sweep", "pending", p.ID, "messages", len(p.Messages), "err", err)
			continue
		}
		sent++
	}
	return sent
}

// Deliver queues msgs of a change that is not one transaction (a keyword
// flow's answer, after what the SMS asked is done): at once, or, when the
// queue fails, as a record the sweep sends. It fails only when neither the
// queue nor the table took them.
func (o *Outbox) Deliver(ctx context.Context, now time.Time, msgs ...Message) error {
	p := NewPending(now, msgs...)
	if p == nil {
		return nil
	}
	_, qerr := Send(ctx, o.Queue, p.Messages)
	if qerr == nil {
		return nil
	}
	if err := o.Store.KeepPending(ctx, *p); err != nil {
		return errors.Join(qerr, err)
	}
	logging.From(ctx).Warn("queued messages left for the sweep", "pending", p.ID, "messages", len(p.Messages), "err", qerr)
	return nil
}

func (o *Outbox) send(ctx context.Context, p Pending) error {
	if _, err := Send(ctx, o.Queue, p.Messages); err != nil {
		return err
	}
	// Sent: a failure to forget it now means it is sent again, once more,
	// which the consumer takes once.
	if err := o.Store.DonePending(ctx, p); err != nil {
		logging.From(ctx).Warn("a sent record was not deleted; it will be sent again", "pending", p.ID, "err", err)
	}
	return nil
}

// SweepBatch is how many records one sweep looks at.
const SweepBatch = 200

// Sweep sends the records Flush left: those older than SweepAfter. Run
// twice at once, both may send a record; the consumer acts on it once.
func (o *Outbox) Sweep(ctx context.Context, now time.Time) (int, error) {
	due, err := o.Store.DuePending(ctx, now.Add(-SweepAfter), SweepBatch)
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for _, p := range due {
		if err := o.send(ctx, p); err != nil {
			errs = append(errs, err)
			continue
		}
		sent++
	}
	return sent, errors.Join(errs...)
}
