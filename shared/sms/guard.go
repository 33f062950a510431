package sms

import (
	"context"
	"errors"
	"time"
)

// PerPhonePerDay is the daily share of staff-caused messages a phone gets:
// a household that orders, is booked and rebooked in one day stays well
// inside it.
const PerPhonePerDay = 10

// ErrOptedOut is a message not sent because its phone asked for no SMS (TD).
var ErrOptedOut = errors.New("sms: the phone opted out")

// ErrPhoneCapped is a message not sent because its phone had its share of
// such messages today.
var ErrPhoneCapped = errors.New("sms: the phone's daily share is used")

// Guarded sends the messages that staff's actions cause (booking
// confirmations and changes, order news): not to a phone that opted out,
// and no more than PerPhonePerDay to one phone, so that a slip or a loop in
// a staff tool cannot flood a resident. Sign-in codes and alerts to staff
// do not go through it.
type Guarded struct {
	Sender interface {
		Send(ctx context.Context, to string, m Message) error
	}
	OptOuts interface {
		OptedOut(ctx context.Context, phone string) (bool, error)
	}
	// Limiter counts per phone in a day's window; nil counts nothing.
	Limiter interface {
		Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error)
	}
	PerPhonePerDay int
	Now            func() time.Time
	// essential marks the share of messages a household must get to act
	// (a door code, a cancellation): counted apart from routine news, so
	// that routine news cannot use up the day before them.
	essential bool
}

// Essential is g for the messages a household needs in order to act (the
// door code of an order on its way, why an order was cancelled): they
// honour opt-outs and have a share of their own, three times the routine
// one, so routine news earlier in the day never crowds them out.
func (g Guarded) Essential() Guarded {
	g.essential = true
	return g
}

// Send sends m to to, unless to opted out or had its share today.
func (g Guarded) Send(ctx context.Context, to string, m Message) error {
	out, err := g.OptOuts.OptedOut(ctx, to)
	if err != nil {
		return err
	}
	if out {
		return ErrOptedOut
	}
	if g.Limiter != nil && g.PerPhonePerDay > 0 {
		key, share := "sms-staff:"+to, g.PerPhonePerDay
		if g.essential {
			key, share = "sms-essential:"+to, 3*g.PerPhonePerDay
		}
		wait, err := g.Limiter.Take(ctx, key, share, 24*time.Hour, g.Now())
		if err != nil {
			return err
		}
		if wait > 0 {
			return ErrPhoneCapped
		}
	}
	return g.Sender.Send(ctx, to, m)
}

// Skipped says whether err is a message deliberately not sent (opted out,
// capped): not a failure to report.
func Skipped(err error) bool { return errors.Is(err, ErrOptedOut) || errors.Is(err, ErrPhoneCapped) }
