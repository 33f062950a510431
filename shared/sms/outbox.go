package sms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/phone"
)

// ErrUnavailable is a provider that did not take a message: a dependency
// down, to be tried again, not a fault of the request.
var ErrUnavailable = apperr.New(apperr.KindUnavailable, "SMS_UNAVAILABLE", "短信服务暂不可用，请稍后重试", "The SMS service is unavailable, try again later")

// Sent is one message as the outbox keeps it: the template and its
// parameters beside the text a phone would show.
type Sent struct {
	// ID is the message's id, as a provider's would be: delivery receipts
	// for it can be posted to the local callback route.
	ID       string            `json:"id"`
	To       string            `json:"to"`
	Template string            `json:"template"`
	Params   map[string]string `json:"params"`
	Body     string            `json:"body"`
	Parts    int               `json:"parts"`
	SentAt   time.Time         `json:"sentAt"`
}

// Outbox keeps the messages sent on a developer machine, for GET /dev/sms and
// for tests. Nothing reaches a phone.
type Outbox struct {
	Signature string
	Now       func() time.Time

	mu   sync.Mutex
	sent []Sent
	// run keeps ids apart across runs that keep their data: a receipt for
	// an id of an earlier run must not count against this run's message.
	run string
}

// Send records the message.
func (o *Outbox) Send(ctx context.Context, to string, m Message) error {
	_, err := o.SendBatch(ctx, []string{to}, m)
	return err
}

// OutboxBatch is how many phones the outbox takes in one call: as many as
// Tencent Cloud's SendSms, so that a local run batches as the cloud does.
const OutboxBatch = 200

// MaxBatch is how many phones SendBatch takes at once.
func (o *Outbox) MaxBatch() int { return OutboxBatch }

// SendBatch records the message once per phone, each with its own id.
func (o *Outbox) SendBatch(_ context.Context, to []string, m Message) ([]Result, error) {
	if m.IsZero() {
		return nil, errors.New("sms: not a catalogue message")
	}
	if len(to) > OutboxBatch {
		return nil, fmt.Errorf("sms: %d phones in one call, at most %d", len(to), OutboxBatch)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.run == "" {
		o.run = strconv.FormatInt(time.Now().Unix()%1e6, 36)
	}
	out := make([]Result, len(to))
	for i, phone := range to {
		id := "local-" + o.run + "-" + strconv.Itoa(len(o.sent)+1)
		o.sent = append(o.sent, Sent{ID: id, To: phone, Template: m.Template().Name, Params: m.Named(), Body: m.Render(o.Signature),
			Parts: m.Parts(o.Signature), SentAt: chinatime.In(o.Now())})
		out[i] = Result{To: phone, ID: id}
	}
	return out, nil
}

// To lists the messages sent to a phone, oldest first.
func (o *Outbox) To(to string) []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []Sent{}
	for _, m := range o.sent {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// All lists every message sent, oldest first.
func (o *Outbox) All() []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Sent{}, o.sent...)
}

// DevHandler serves GET /dev/sms?to=PHONE on a developer machine: the
// messages the outbox holds for that phone, or every message without `to`.
// It is never deployed.
func (o *Outbox) DevHandler() http.Handler {
	return httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if !r.URL.Query().Has("to") {
			httpapi.WriteJSON(w, http.StatusOK, map[string]any{"messages": o.All()})
			return nil
		}
		to, err := phone.Normalize(r.URL.Query().Get("to"))
		if err != nil {
			return apperr.Validation.WithFields(apperr.FieldError{Field: "to", Reason: "11-digit mainland mobile number"})
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"messages": o.To(to)})
		return nil
	})
}

// Discard takes every message and sends none: for made-up data (the demo,
// a test's set-up) that nobody is to be texted about.
type Discard struct{}

// Send drops m.
func (Discard) Send(context.Context, string, Message) error { return nil }

// SendBatch drops m, answering each phone as sent.
func (Discard) SendBatch(_ context.Context, to []string, _ Message) ([]Result, error) {
	out := make([]Result, len(to))
	for i, p := range to {
		out[i] = Result{To: p}
	}
	return out, nil
}

// MaxBatch takes any batch.
func (Discard) MaxBatch() int { return 200 }
