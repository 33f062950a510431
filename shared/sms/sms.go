// Package sms sends text messages: through AWS End User Messaging
// (pinpointsmsvoicev2) in the cloud, into an in-memory outbox on a developer
// machine. Every message starts with the configured 【signature】, which
// mainland carriers require.
package sms

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/fangxian/fangxian/shared/phone"
)

// Sign puts the signature in front of body, e.g. "【防线】…".
func Sign(signature, body string) string {
	signature = strings.Trim(signature, "【】 ")
	if signature == "" {
		return body
	}
	return "【" + signature + "】" + body
}

// Message is one sent SMS as the outbox keeps it.
type Message struct {
	To     string    `json:"to"`
	Body   string    `json:"body"`
	SentAt time.Time `json:"sentAt"`
}

// Outbox keeps the messages sent on a developer machine, for GET /dev/sms and
// for tests. Nothing reaches a phone.
type Outbox struct {
	Signature string
	Now       func() time.Time

	mu   sync.Mutex
	sent []Message
}

// Send records the message.
func (o *Outbox) Send(_ context.Context, to, body string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, Message{To: to, Body: Sign(o.Signature, body), SentAt: o.Now().UTC()})
	return nil
}

// To lists the messages sent to a phone, oldest first.
func (o *Outbox) To(to string) []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []Message{}
	for _, m := range o.sent {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// All lists every message sent, oldest first.
func (o *Outbox) All() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Message{}, o.sent...)
}

// PinpointSender sends through the pinpointsmsvoicev2 API from one
// origination identity, under one configuration set (which holds the
// delivery-event destinations and the spend limit).
type PinpointSender struct {
	Client              *pinpointsmsvoicev2.Client
	OriginationIdentity string
	ConfigurationSet    string
	Signature           string
}

// Send sends one transactional message.
func (p *PinpointSender) Send(ctx context.Context, to, body string) error {
	in := &pinpointsmsvoicev2.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(phone.E164(to)),
		MessageBody:            aws.String(Sign(p.Signature, body)),
		MessageType:            types.MessageTypeTransactional,
	}
	if p.OriginationIdentity != "" {
		in.OriginationIdentity = aws.String(p.OriginationIdentity)
	}
	if p.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(p.ConfigurationSet)
	}
	_, err := p.Client.SendTextMessage(ctx, in)
	return err
}
