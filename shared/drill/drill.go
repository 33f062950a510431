// Package drill marks the work of a drill (演练). Whatever a drill run does
// carries the run's id in its context — and in the queue messages and items
// it leaves — and every SMS sent under such a context goes to the run's
// drill outbox, never to a phone. The guard sits under every sender a
// function builds, so no path of the product can text a real phone in a
// drill, however it got there.
package drill

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/sms"
)

type runKey struct{}

// With marks ctx as the work of drill run runID; an empty runID leaves ctx
// as it is (real work).
func With(ctx context.Context, runID string) context.Context {
	if runID == "" {
		return ctx
	}
	return context.WithValue(ctx, runKey{}, runID)
}

// RunOf is the drill run ctx works for, or "" for real work.
func RunOf(ctx context.Context) string {
	id, _ := ctx.Value(runKey{}).(string)
	return id
}

// Sent is one message of a drill as its outbox keeps it: the phone masked
// (staff see who would have been texted, not the number), the text whole.
type Sent struct {
	RunID    string    `json:"runId"`
	ID       string    `json:"id"`
	To       string    `json:"to"`
	Template string    `json:"template"`
	Purpose  string    `json:"purpose"`
	Body     string    `json:"body"`
	Parts    int       `json:"parts"`
	At       time.Time `json:"at"`
}

// Outbox keeps the messages of drills.
type Outbox interface {
	AppendDrillSMS(ctx context.Context, sent []Sent) error
	// DrillRemoved says whether a drill's data was removed: what its queue
	// still holds is dropped, not kept.
	DrillRemoved(ctx context.Context, tag string) (bool, error)
}

// Sender is what the guard wraps and is: a provider's adapter.
type Sender interface {
	Send(ctx context.Context, to string, m sms.Message) error
	SendBatch(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error)
	MaxBatch() int
}

// Guard sends real work's messages through Real and puts a drill's into
// the drill outbox.
type Guard struct {
	Real      Sender
	Outbox    Outbox
	Signature string
	Now       func() time.Time
}

// Guarded wraps real so that drills never reach a phone.
func Guarded(real Sender, out Outbox, signature string) *Guard {
	return &Guard{Real: real, Outbox: out, Signature: signature, Now: time.Now}
}

var seq atomic.Int64

// Send texts to, or keeps the message in the drill's outbox.
func (g *Guard) Send(ctx context.Context, to string, m sms.Message) error {
	if RunOf(ctx) == "" {
		return g.Real.Send(ctx, to, m)
	}
	_, err := g.keep(ctx, []string{to}, m)
	return err
}

// SendBatch texts the phones, or keeps the message once per phone in the
// drill's outbox.
func (g *Guard) SendBatch(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error) {
	if RunOf(ctx) == "" {
		return g.Real.SendBatch(ctx, to, m)
	}
	return g.keep(ctx, to, m)
}

// MaxBatch is the real sender's: a drill batches as the real thing does.
func (g *Guard) MaxBatch() int { return g.Real.MaxBatch() }

func (g *Guard) keep(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error) {
	if m.IsZero() {
		return nil, errors.New("drill: not a catalogue message")
	}
	run := RunOf(ctx)
	removed, err := g.Outbox.DrillRemoved(ctx, run)
	if err != nil {
		return nil, fmt.Errorf("drill outbox: %w", err)
	}
	at := chinatime.In(g.Now())
	sent := make([]Sent, len(to))
	res := make([]sms.Result, len(to))
	for i, phone := range to {
		id := fmt.Sprintf("drill-%s-%s", strconv.FormatInt(at.UnixMilli(), 36), strconv.FormatInt(seq.Add(1), 36))
		sent[i] = Sent{RunID: run, ID: id, To: logging.MaskPhone(phone), Template: m.Template().Name, Purpose: m.Template().Purpose,
			Body: m.Render(g.Signature), Parts: m.Parts(g.Signature), At: at}
		res[i] = sms.Result{To: phone, ID: id}
	}
	if removed {
		logging.From(ctx).Info("a removed drill's SMS dropped", "run", run, "messages", len(sent))
		return res, nil
	}
	if err := g.Outbox.AppendDrillSMS(ctx, sent); err != nil {
		return nil, fmt.Errorf("drill outbox: %w", err)
	}
	return res, nil
}
