package sms

import (
	"context"
	"time"

	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/logging"
)

type communityKey struct{}

// ForCommunity marks ctx's sends as spent for a community: the daily
// report counts each community's SMS parts, which the street pays for.
func ForCommunity(ctx context.Context, communityID string) context.Context {
	if communityID == "" {
		return ctx
	}
	return context.WithValue(ctx, communityKey{}, communityID)
}

// CommunityOf is the community ctx's sends are spent for ("" for none: a
// sign-in code, an answer to an unknown phone).
func CommunityOf(ctx context.Context) string {
	id, _ := ctx.Value(communityKey{}).(string)
	return id
}

// Ledger adds up what each community spent in a Beijing day.
type Ledger interface {
	AddSMSSpend(ctx context.Context, communityID, day string, messages, parts int) error
}

// Spending is a provider that adds what it sent to the ledger, for the
// community of the send's context. A failed entry is logged, never the
// send's failure: the text went, and sending it again would cost twice.
type Spending struct {
	Provider
	Ledger    Ledger
	Signature string
	Now       func() time.Time
}

// Send sends and counts one message.
func (s Spending) Send(ctx context.Context, to string, m Message) error {
	if err := s.Provider.Send(ctx, to, m); err != nil {
		return err
	}
	s.add(ctx, m, 1)
	return nil
}

// SendBatch sends and counts the messages the provider took.
func (s Spending) SendBatch(ctx context.Context, to []string, m Message) ([]Result, error) {
	res, err := s.Provider.SendBatch(ctx, to, m)
	taken := 0
	for _, r := range res {
		if r.Err == nil {
			taken++
		}
	}
	s.add(ctx, m, taken)
	return res, err
}

func (s Spending) add(ctx context.Context, m Message, n int) {
	cid := CommunityOf(ctx)
	if cid == "" || n == 0 {
		return
	}
	day := chinatime.In(s.Now()).Format(time.DateOnly)
	if err := s.Ledger.AddSMSSpend(ctx, cid, day, n, n*m.Parts(s.Signature)); err != nil {
		logging.From(ctx).Warn("SMS spend not counted", "community", cid, "messages", n, "err", err)
	}
}
