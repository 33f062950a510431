package notices

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
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
)

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
	// KindTexts sends catalogue messages of other capabilities (volunteer
	// calls), each to its phone once per key.
	KindTexts = "texts"
	// KindInbound is an SMS a phone sent, for the keyword flows.
	KindInbound = "inbound"
)

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

// InboundQueue puts inbound SMS on the dispatch queue: the functions that
// receive them answer their provider at once, and the dispatcher acts on
// them with the queue's retries.
type InboundQueue struct{ Queue Enqueuer }

// Forward queues one inbound SMS.
func (q InboundQueue) Forward(ctx context.Context, m InboundSMS) error {
	b, err := json.Marshal(Message{Kind: KindInbound, Inbound: &m})
	if err != nil {
		return err
	}
	return q.Queue.SendBatch(ctx, []string{string(b)})
}

// Text is one catalogue SMS to one phone, sent at most once per Key however
// often its queue message arrives.
type Text struct {
	Key      string   `json:"key"`
	Phone    string   `json:"phone"`
	Template string   `json:"template"`
	Values   []string `json:"values"`
}

// TextOf is the queue form of msg to phone, once per key.
func TextOf(key, phone string, msg sms.Message) Text {
	return Text{Key: key, Phone: phone, Template: msg.Template().Name, Values: msg.Values()}
}

// TextsPerMessage is how many texts one queue message carries: a few
// seconds of sending at the pace, so a message finishes well inside the
// queue's visibility timeout.
const TextsPerMessage = 25

// EnqueueTexts puts texts on the dispatch queue, TextsPerMessage to a
// message and ten messages to a call. It answers the calls it made.
func EnqueueTexts(ctx context.Context, q Enqueuer, texts []Text) (int, error) {
	var bodies []string
	for start := 0; start < len(texts); start += TextsPerMessage {
		b, err := json.Marshal(Message{Kind: KindTexts, Texts: texts[start:min(start+TextsPerMessage, len(texts))], Drill: drill.RunOf(ctx)})
		if err != nil {
			return 0, err
		}
		bodies = append(bodies, string(b))
	}
	calls := 0
	for start := 0; start < len(bodies); start += 10 {
		calls++
		if err := q.SendBatch(ctx, bodies[start:min(start+10, len(bodies))]); err != nil {
			return calls, err
		}
	}
	return calls, nil
}

// Message is one queue message.
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
	// Inbound is a KindInbound's SMS.
	Inbound *InboundSMS `json:"inbound,omitempty"`
	// Drill is the drill run the message works for: what it sends goes to
	// the drill's outbox.
	Drill string `json:"drill,omitempty"`
}

// StaffPhones lists who is alerted in a community.
type StaffPhones interface {
	StaffPhones(ctx context.Context, communityID string) ([]string, error)
}

// Sender sends catalogue SMS: one, or one message to a batch of phones in a
// provider call (Tencent Cloud takes 200).
type Sender interface {
	Send(ctx context.Context, to string, m sms.Message) error
	// SendBatch fails as a whole (nothing sent) or answers each phone.
	SendBatch(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error)
	MaxBatch() int
}

// Once keeps a message to one send per key and phone, however often its job
// runs or its queue message arrives: reminders per day and phone, fever
// alerts per resident, day and staff phone.
type Once interface {
	// ClaimOnce takes key for phone; false when it was taken before.
	ClaimOnce(ctx context.Context, key, phone string) (bool, error)
	// ReleaseOnce gives key back after a failed send, so a retry may send.
	ReleaseOnce(ctx context.Context, key, phone string) error
}

// Dispatcher consumes the dispatch queue.
type Dispatcher struct {
	Store     Store
	Directory Directory
	Queue     Enqueuer
	Sender    Sender
	Once      Once
	// Signature is counted in every message's length.
	Signature string
	Pacer     *Pacer
	Staff     StaffPhones
	// MaxReceives is the queue's receives before the dead letters: a send
	// that fails on the last one is counted failed, earlier ones are retried.
	MaxReceives int
	// Inbound acts on SMS phones sent; nil drops them (logged).
	Inbound InboundHandler
}

// Handle processes a batch and reports the messages that failed, so SQS
// retries only those (and moves a poison message to the DLQ after its
// receives). It never fails the batch as a whole.
func (d *Dispatcher) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		receives, _ := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
		last := d.MaxReceives > 0 && receives >= d.MaxReceives
		if err := d.handle(ctx, rec.Body, last); err != nil {
			logging.From(ctx).Warn("dispatch message failed", "messageId", rec.MessageId,
				"receives", rec.Attributes["ApproximateReceiveCount"], "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

func (d *Dispatcher) handle(ctx context.Context, body string, last bool) error {
	var m Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return fmt.Errorf("not a dispatch message: %w", err)
	}
	ctx = drill.With(ctx, m.Drill)
	switch m.Kind {
	case KindFanout:
		return d.fanout(ctx, m.NoticeID)
	case KindSend:
		phones := m.Phones
		if m.Phone != "" { // a message queued before batches
			phones = append(phones, m.Phone)
		}
		return d.send(ctx, m.NoticeID, phones, last)
	case KindFever:
		return d.fever(ctx, m)
	case KindReminder:
		msg, err := sms.TemperatureReminder()
		if err != nil {
			return err
		}
		return d.textOnce(ctx, "reminder:"+m.Day, m.Phone, msg)
	case KindInbound:
		if m.Inbound == nil {
			return nil
		}
		if d.Inbound == nil {
			logging.From(ctx).Warn("inbound SMS dropped: no keyword flows here", "from", logging.MaskPhone(m.Inbound.From))
			return nil
		}
		return d.Inbound.Handle(ctx, *m.Inbound)
	case KindTexts:
		var errs []error
		for _, t := range m.Texts {
			msg, err := sms.Rebuild(t.Template, t.Values)
			if err != nil {
				// A message the catalogue refuses now never will: drop it
				// rather than retry it into the dead letters.
				logging.From(ctx).Warn("queued text refused", "template", t.Template, "err", err)
				continue
			}
			errs = append(errs, d.textOnce(ctx, t.Key, t.Phone, msg))
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("unknown message kind %q", m.Kind)
}

// fanout puts the notice's distinct phones on the queue in KindSend
// batches, ten messages a call. Run twice (a redelivered fan-out), it queues
// the phones twice, and ClaimSend keeps each to one SMS.
func (d *Dispatcher) fanout(ctx context.Context, noticeID string) error {
	n, _, err := d.Store.Notice(ctx, noticeID)
	if errors.Is(err, ErrNotFound) {
		return nil // removed meanwhile (a drill's): nothing to send
	}
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
	per := d.phonesPerMessage()
	var bodies []string
	queued := 0
	flush := func() error {
		if len(bodies) == 0 {
			return nil
		}
		if err := d.Queue.SendBatch(ctx, bodies); err != nil {
			return err
		}
		if err := d.Store.CountQueued(ctx, noticeID, queued); err != nil {
			return err
		}
		bodies, queued = nil, 0
		return nil
	}
	for start := 0; start < len(phones); start += per {
		batch := phones[start:min(start+per, len(phones))]
		b, _ := json.Marshal(Message{Kind: KindSend, NoticeID: noticeID, Phones: batch, Drill: drill.RunOf(ctx)})
		bodies = append(bodies, string(b))
		queued += len(batch)
		if len(bodies) == 10 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// sendSeconds is about how long one KindSend message may take at the pace:
// ten of them (a queue batch) stay well inside the function's timeout.
const sendSeconds = 4

// phonesPerMessage is the batch of a KindSend: what one provider call takes,
// and no more than the pace sends in sendSeconds.
func (d *Dispatcher) phonesPerMessage() int {
	per := d.Sender.MaxBatch()
	if d.Pacer != nil && d.Pacer.PartsPerSecond > 0 {
		per = min(per, int(d.Pacer.PartsPerSecond*sendSeconds))
	}
	return max(per, 1)
}

// send texts the notice to a batch of phones, each at most once. Phones
// claimed here and not sent are given back for the queue's retry when the
// provider call fails as a whole, or counted failed when no retry is left
// (last); a phone the provider refuses is counted failed at once.
func (d *Dispatcher) send(ctx context.Context, noticeID string, phones []string, last bool) error {
	n, _, err := d.Store.Notice(ctx, noticeID)
	if errors.Is(err, ErrNotFound) {
		return nil // removed meanwhile (a drill's): nothing to send
	}
	if err != nil {
		return err
	}
	// The notice's own mark too, should a message have lost its own.
	ctx = drill.With(ctx, n.Drill)
	msg, err := sms.Notice(n.Title, n.Urgent)
	if err != nil {
		return err
	}
	failure := "retry"
	if last {
		failure = "failed"
	}
	var pending []string
	giveBack := func(err error) error {
		for _, p := range pending {
			err = errors.Join(err, d.Store.FinishSend(ctx, noticeID, p, failure, ""))
		}
		return err
	}
	for _, p := range phones {
		first, err := d.Store.ClaimSend(ctx, noticeID, p)
		if err != nil {
			return giveBack(err)
		}
		if first { // otherwise a second delivery: already sent (or being sent)
			pending = append(pending, p)
		}
	}
	var to []string
	for i, p := range pending {
		out, err := d.Store.OptedOut(ctx, p)
		if err != nil {
			pending = append(to, pending[i:]...)
			return giveBack(err)
		}
		if out {
			if err := d.Store.FinishSend(ctx, noticeID, p, "skipped", ""); err != nil {
				pending = append(to, pending[i:]...)
				return giveBack(err)
			}
			continue
		}
		to = append(to, p)
	}
	pending = to
	if len(to) == 0 {
		return nil
	}
	if err := d.Pacer.Wait(ctx, msg.Parts(d.Signature)*len(to)); err != nil {
		return giveBack(err)
	}
	results, err := d.Sender.SendBatch(ctx, to, msg)
	if err != nil {
		return giveBack(err)
	}
	var errs []error
	for _, r := range results {
		outcome := "sent"
		if r.Err != nil {
			outcome = "failed"
			logging.From(ctx).Warn("the provider refused a notice SMS", "notice", noticeID, "phone", r.To, "err", r.Err)
		}
		id := r.ID
		if drill.RunOf(ctx) != "" {
			id = "" // no carrier will send a receipt for it
		}
		errs = append(errs, d.Store.FinishSend(ctx, noticeID, r.To, outcome, id))
	}
	return errors.Join(errs...)
}

// fever texts every staff member of the community, once per resident, day
// and staff phone: the alert names the resident, where they live and their
// masked phone.
func (d *Dispatcher) fever(ctx context.Context, m Message) error {
	h, members, err := d.Directory.Household(ctx, registry.HouseholdOf(m.ResidentID))
	if err != nil {
		return err
	}
	var who registry.Resident
	for _, r := range members {
		if r.ID == m.ResidentID {
			who = r
		}
	}
	contact := who.Phone
	if contact == "" {
		contact = h.ContactPhone
	}
	msg, err := sms.FeverAlert(who.Name, Address(h), m.Celsius, contact)
	if err != nil {
		return err
	}
	phones, err := d.Staff.StaffPhones(ctx, m.CommunityID)
	if err != nil {
		return err
	}
	for _, p := range phones {
		// Staff are alerted whatever their opt-outs: an alert is work.
		if err := d.sendOnce(ctx, "fever:"+m.Day+":"+m.ResidentID, p, msg); err != nil {
			return err
		}
	}
	return nil
}

// Address is where a household lives, as staff say it: 3号楼2单元101.
func Address(h registry.Household) string {
	unit := h.Unit
	if unit != "" {
		unit += "单元"
	}
	return h.BuildingName + unit + h.Room
}

// textOnce sends one paced message to phone, once per key, unless the phone
// opted out.
func (d *Dispatcher) textOnce(ctx context.Context, key, phone string, msg sms.Message) error {
	if out, err := d.Store.OptedOut(ctx, phone); err != nil || out {
		return err
	}
	return d.sendOnce(ctx, key, phone, msg)
}

// sendOnce sends one paced message to phone, once per key.
func (d *Dispatcher) sendOnce(ctx context.Context, key, phone string, msg sms.Message) error {
	first, err := d.Once.ClaimOnce(ctx, key, phone)
	if err != nil || !first {
		return err
	}
	if err := d.Pacer.Wait(ctx, msg.Parts(d.Signature)); err != nil {
		return errors.Join(err, d.Once.ReleaseOnce(ctx, key, phone))
	}
	if err := d.Sender.Send(ctx, phone, msg); err != nil {
		return errors.Join(err, d.Once.ReleaseOnce(ctx, key, phone))
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
