// Package pinpoint sends catalogue messages through AWS End User Messaging
// SMS (the pinpointsmsvoicev2 API), in AWS's global regions.
package pinpoint

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/sms"
)

// Sender sends from one origination identity, under one configuration set
// (which holds the delivery-event destinations and the spend limit).
type Sender struct {
	Client              *pinpointsmsvoicev2.Client
	OriginationIdentity string
	ConfigurationSet    string
	Signature           string
}

// Send sends one transactional message.
func (p *Sender) Send(ctx context.Context, to string, m sms.Message) error {
	_, err := p.send(ctx, to, m)
	return err
}

// MaxBatch is 1: the API takes one destination a call, and the dispatcher
// paces each call.
func (p *Sender) MaxBatch() int { return 1 }

// SendBatch sends to each phone in turn; any failure fails the call, so the
// queue's retry covers it (the claims of phones already sent keep them from
// a second message).
func (p *Sender) SendBatch(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error) {
	out := make([]sms.Result, 0, len(to))
	for _, phone := range to {
		id, err := p.send(ctx, phone, m)
		if err != nil {
			return nil, err
		}
		out = append(out, sms.Result{To: phone, ID: id})
	}
	return out, nil
}

func (p *Sender) send(ctx context.Context, to string, m sms.Message) (string, error) {
	if m.IsZero() {
		return "", errors.New("pinpoint: not a catalogue message")
	}
	in := &pinpointsmsvoicev2.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(phone.E164(to)),
		MessageBody:            aws.String(m.Render(p.Signature)),
		MessageType:            types.MessageTypeTransactional,
		Context:                map[string]string{"template": m.Template().Name},
	}
	if p.OriginationIdentity != "" {
		in.OriginationIdentity = aws.String(p.OriginationIdentity)
	}
	if p.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(p.ConfigurationSet)
	}
	out, err := p.Client.SendTextMessage(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.MessageId), nil
}
