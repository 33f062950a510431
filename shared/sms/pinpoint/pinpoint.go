// Package pinpoint sends catalogue messages through AWS End User Messaging
// SMS (the pinpointsmsvoicev2 API), in AWS's global regions: one
// SendTextMessage call of its JSON protocol per message (package awsjson:
// not the service's SDK client, whose tables would cost every function
// that sends SMS a part of each cold start).
package pinpoint

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fangxian/fangxian/shared/awsjson"
	"github.com/fangxian/fangxian/shared/phone"
	"github.com/fangxian/fangxian/shared/sms"
)

// Sender sends from one origination identity, under one configuration set
// (which holds the delivery-event destinations and the spend limit).
type Sender struct {
	Service             awsjson.Service
	OriginationIdentity string
	ConfigurationSet    string
	Signature           string
}

// New is the sender of End User Messaging SMS in cfg's region.
func New(cfg aws.Config, originationIdentity, configurationSet, signature string) *Sender {
	return &Sender{Service: awsjson.Service{Config: cfg, Name: "sms-voice", Version: "1.0", Prefix: "PinpointSMSVoiceV2"},
		OriginationIdentity: originationIdentity, ConfigurationSet: configurationSet, Signature: signature}
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

// sendTextMessage is the body of SendTextMessage, as the API names it.
type sendTextMessage struct {
	DestinationPhoneNumber string            `json:"DestinationPhoneNumber"`
	MessageBody            string            `json:"MessageBody"`
	MessageType            string            `json:"MessageType"`
	Context                map[string]string `json:"Context"`
	OriginationIdentity    string            `json:"OriginationIdentity,omitempty"`
	ConfigurationSetName   string            `json:"ConfigurationSetName,omitempty"`
}

func (p *Sender) send(ctx context.Context, to string, m sms.Message) (string, error) {
	if m.IsZero() {
		return "", errors.New("pinpoint: not a catalogue message")
	}
	in := sendTextMessage{DestinationPhoneNumber: phone.E164(to), MessageBody: m.Render(p.Signature), MessageType: "TRANSACTIONAL",
		Context: map[string]string{"template": m.Template().Name}, OriginationIdentity: p.OriginationIdentity,
		ConfigurationSetName: p.ConfigurationSet}
	var out struct {
		MessageID string `json:"MessageId"`
	}
	if err := p.Service.Call(ctx, "SendTextMessage", in, &out); err != nil {
		return "", err
	}
	return out.MessageID, nil
}
