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
	if m.IsZero() {
		return errors.New("pinpoint: not a catalogue message")
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
	_, err := p.Client.SendTextMessage(ctx, in)
	return err
}
