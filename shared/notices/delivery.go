package notices

import (
	"context"
	"errors"
	"slices"

	"github.com/fangxian/fangxian/shared/dispatch"
	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/sms"
)

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

// Deliverer takes notices and temperature alerts from the dispatch queue
// to phones.
type Deliverer struct {
	Store     Store
	Directory Directory
	Staff     StaffPhones
	Queue     dispatch.Queue
	// Sender sends a notice to a batch of phones in one provider call.
	Sender Sender
	// Texter sends single messages once per key (reminders, alerts).
	Texter *dispatch.Texter
}

// Handlers are the dispatch queue's handlers of notices' kinds.
func (d *Deliverer) Handlers() map[string]dispatch.Handler {
	return map[string]dispatch.Handler{
		dispatch.KindFanout: func(ctx context.Context, m dispatch.Message, _ bool) error { return d.fanout(ctx, m.NoticeID) },
		dispatch.KindSend: func(ctx context.Context, m dispatch.Message, last bool) error {
			phones := m.Phones
			if m.Phone != "" { // a message queued before batches
				phones = append(phones, m.Phone)
			}
			return d.send(ctx, m.NoticeID, phones, last)
		},
		dispatch.KindFever: d.fever,
		dispatch.KindReminder: func(ctx context.Context, m dispatch.Message, _ bool) error {
			msg, err := sms.TemperatureReminder()
			if err != nil {
				return err
			}
			return d.Texter.TextOnce(ctx, "reminder:"+m.Day, m.Phone, msg)
		},
	}
}

// fanout puts the notice's distinct phones on the queue in KindSend
// batches, ten messages a call. Run twice (a redelivered fan-out), it queues
// the phones twice, and ClaimSend keeps each to one SMS.
func (d *Deliverer) fanout(ctx context.Context, noticeID string) error {
	n, _, err := d.Store.Notice(ctx, noticeID)
	if errors.Is(err, ErrNotFound) {
		return nil // removed meanwhile (a drill's): nothing to send
	}
	if err != nil {
		return err
	}
	var phones []string
	for _, id := range slices.Concat(n.BuildingIDs, n.HouseholdIDs) {
		var rs []registry.Resident
		if registry.BuildingOf(id) == id {
			rs, err = d.Directory.BuildingResidents(ctx, id)
		} else if _, rs, err = d.Directory.Household(ctx, id); errors.Is(err, registry.ErrNotFound) {
			err = nil // moved out of the register since
		}
		if err != nil {
			return err
		}

		for _, r := range rs {
			if r.Phone != "" {
				phones = append(phones, r.Phone)
			}
		}
	}
	phones = registry.Distinct(phones)
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
		bodies = append(bodies, dispatch.Message{Kind: dispatch.KindSend, NoticeID: noticeID, Phones: batch, Drill: drill.RunOf(ctx), CommunityID: n.CommunityID}.Body())
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
func (d *Deliverer) phonesPerMessage() int {
	per := d.Sender.MaxBatch()
	if p := d.Texter.Pacer; p != nil && p.PartsPerSecond > 0 {
		per = min(per, int(p.PartsPerSecond*sendSeconds))
	}
	return max(per, 1)
}

// send texts the notice to a batch of phones, each at most once. Phones
// claimed here and not sent are given back for the queue's retry when the
// provider call fails as a whole, or counted failed when no retry is left
// (last); a phone the provider refuses is counted failed at once.
func (d *Deliverer) send(ctx context.Context, noticeID string, phones []string, last bool) error {
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
	if err := d.Texter.Pacer.Wait(ctx, msg.Parts(d.Texter.Signature)*len(to)); err != nil {
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
func (d *Deliverer) fever(ctx context.Context, m dispatch.Message, _ bool) error {
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
	msg, err := sms.FeverAlert(who.Name, h.Address(), m.Celsius, contact)
	if err != nil {
		return err
	}
	phones, err := d.Staff.StaffPhones(ctx, m.CommunityID)
	if err != nil {
		return err
	}
	for _, p := range phones {
		// Staff are alerted whatever their opt-outs: an alert is work.
		if err := d.Texter.SendOnce(ctx, "fever:"+m.Day+":"+m.ResidentID, p, msg); err != nil {
			return err
		}
	}
	return nil
}
