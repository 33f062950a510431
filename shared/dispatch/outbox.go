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
	// Batch, when set, names the many records one request writes (a
	// closure's households): once their messages are sent, one mark says
	// so for all, and the sweep deletes them later, out of the request.
	Batch string
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

// PendingTexts is a record of texts sent for a community, packed into
// messages, marked with the drill of ctx (nil when there are none).
func PendingTexts(ctx context.Context, now time.Time, community string, texts []Text) *Pending {
	return NewPending(now, TextMessages(ctx, community, texts)...)
}

// PendingStore keeps the pending records.
type PendingStore interface {
	// DuePending lists records written before before, oldest first, at
	// most limit of them.
	DuePending(ctx context.Context, before time.Time, limit int) ([]Pending, error)
	// DonePending deletes records whose messages the queue took.
	DonePending(ctx context.Context, ps []Pending) error
	// KeepPending writes a record on its own, for the sweep.
	KeepPending(ctx context.Context, p Pending) error
	// MarkBatchSent says the records of a batch were sent; BatchSent
	// reads it.
	MarkBatchSent(ctx context.Context, batch string, at time.Time) error
	BatchSent(ctx context.Context, batch string) (bool, error)
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
	var live []Pending
	for _, p := range ps {
		if p != nil {
			live = append(live, *p)
		}
	}
	if err := o.send(ctx, live); err != nil {
		logging.From(ctx).Warn("queued messages left for the sweep", "records", len(live), "err", err)
		return 0
	}
	return len(live)
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

// send puts the records' messages on the queue, as few as they fit in (a
// closure's households' texts share messages again), then deletes the
// records. Sent but not deleted, a record is sent again by the sweep, which
// the consumer takes once (each text once per key).
func (o *Outbox) send(ctx context.Context, ps []Pending) error {
	if len(ps) == 0 {
		return nil
	}
	var msgs []Message
	for _, p := range ps {
		msgs = append(msgs, p.Messages...)
	}
	if _, err := Send(ctx, o.Queue, repack(msgs)); err != nil {
		return err
	}
	// Records of a batch are marked sent with one write (the sweep deletes
	// them); the others are deleted now.
	var single []Pending
	batches := map[string]bool{}
	for _, p := range ps {
		if p.Batch == "" {
			single = append(single, p)
		} else {
			batches[p.Batch] = true
		}
	}
	var errs []error
	for b := range batches {
		errs = append(errs, o.Store.MarkBatchSent(ctx, b, ps[0].At))
	}
	if len(single) > 0 {
		errs = append(errs, o.Store.DonePending(ctx, single))
	}
	if err := errors.Join(errs...); err != nil {
		logging.From(ctx).Warn("sent records not marked; they will be sent again", "records", len(ps), "err", err)
	}
	return nil
}

// repack merges KindTexts messages of one drill (or none) and one
// community into full ones, TextsPerMessage texts each; other kinds stay as
// they are, in order.
func repack(msgs []Message) []Message {
	type group struct{ drill, community string }
	var out []Message
	texts := map[group][]Text{}
	var groups []group
	for _, m := range msgs {
		if m.Kind != KindTexts {
			out = append(out, m)
			continue
		}
		g := group{m.Drill, m.CommunityID}
		if _, ok := texts[g]; !ok {
			groups = append(groups, g)
		}
		texts[g] = append(texts[g], m.Texts...)
	}
	for _, g := range groups {
		all := texts[g]
		for start := 0; start < len(all); start += TextsPerMessage {
			out = append(out, Message{Kind: KindTexts, Texts: all[start:min(start+TextsPerMessage, len(all))], Drill: g.drill, CommunityID: g.community})
		}
	}
	return out
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
	// A batch marked sent only waits to be deleted.
	var unsent, sent []Pending
	known := map[string]bool{}
	for _, p := range due {
		if p.Batch == "" {
			unsent = append(unsent, p)
			continue
		}
		was, ok := known[p.Batch]
		if !ok {
			if was, err = o.Store.BatchSent(ctx, p.Batch); err != nil {
				return 0, err
			}
			known[p.Batch] = was
		}
		if was {
			sent = append(sent, p)
		} else {
			unsent = append(unsent, p)
		}
	}
	if len(sent) > 0 {
		if err := o.Store.DonePending(ctx, sent); err != nil {
			return 0, err
		}
	}
	for i := range unsent {
		unsent[i].Batch = "" // sent now, deleted now
	}
	if err := o.send(ctx, unsent); err != nil {
		return 0, err
	}
	return len(unsent), nil
}
