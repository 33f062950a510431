// Package provider picks a function's SMS sender from its environment, as
// the CDK stack sets it per stage: AWS End User Messaging SMS in AWS's
// global regions, Tencent Cloud SMS in the China regions (where AWS offers
// no SMS).
package provider

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"

	"github.com/fangxian/fangxian/shared/drill"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/metrics"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/sms/pinpoint"
	"github.com/fangxian/fangxian/shared/sms/tencent"
)

// Sender is every adapter: one message, or one message to many phones.
type Sender interface {
	Send(ctx context.Context, to string, m sms.Message) error
	SendBatch(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error)
	MaxBatch() int
}

// Parameters reads a SecureString parameter.
type Parameters interface {
	Get(ctx context.Context, name string) ([]byte, error)
}

// FromEnv builds the sender the environment names, under the drill guard:
// what a drill sends goes to drills, never to the provider. Nothing is read from
// Parameter Store here: Tencent Cloud's key pair is read on the first send,
// so a missing parameter fails that send (and shows in the alarms) instead
// of every cold start.
func FromEnv(cfg aws.Config, params Parameters, drills drill.Outbox, log *slog.Logger) (Sender, error) {
	signature := os.Getenv("SMS_SIGNATURE")
	if err := sms.CheckSignature(signature); err != nil {
		return nil, err
	}
	real, err := fromEnv(cfg, params, signature, log)
	if err != nil {
		return nil, err
	}
	return drill.Guarded(real, drills, signature), nil
}

func fromEnv(cfg aws.Config, params Parameters, signature string, log *slog.Logger) (Sender, error) {
	switch p := os.Getenv("SMS_PROVIDER"); p {
	case "", manifest.SMSPinpoint:
		return counted{Sender: &pinpoint.Sender{
			Client:              pinpointsmsvoicev2.NewFromConfig(cfg),
			OriginationIdentity: os.Getenv("SMS_ORIGINATION_IDENTITY"),
			ConfigurationSet:    os.Getenv("SMS_CONFIGURATION_SET"),
			Signature:           signature,
		}, signature: signature}, nil
	case manifest.SMSTencent:
		ids, err := sms.ParseTemplateIDs(os.Getenv("SMS_TEMPLATE_IDS"))
		if err != nil {
			return nil, err
		}
		parameter := os.Getenv("TENCENT_SMS_SECRET_PARAMETER")
		s, err := tencent.New(tencent.Config{
			AppID: os.Getenv("TENCENT_SMS_APP_ID"), Region: os.Getenv("TENCENT_SMS_REGION"),
			Signature: signature, TemplateIDs: ids,
			Credentials: func(ctx context.Context) (string, string, error) {
				b, err := params.Get(ctx, parameter)
				if err != nil {
					return "", "", err
				}
				return tencent.ParseCredentials(b)
			},
		})
		if err != nil {
			return nil, err
		}
		if missing := s.MissingTemplates(); len(missing) > 0 {
			log.Warn("SMS templates without a Tencent Cloud template id cannot be sent", "templates", missing)
		}
		return counted{Sender: s, signature: signature}, nil
	default:
		return nil, fmt.Errorf("SMS_PROVIDER %q: %s or %s", p, manifest.SMSPinpoint, manifest.SMSTencent)
	}
}

// counted records what the provider took: messages and their billed parts,
// by the template's purpose (metrics.SMS, metrics.SMSParts).
type counted struct {
	Sender
	signature string
}

func (c counted) Send(ctx context.Context, to string, m sms.Message) error {
	err := c.Sender.Send(ctx, to, m)
	if err == nil {
		c.count(m, 1)
	}
	return err
}

func (c counted) SendBatch(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error) {
	res, err := c.Sender.SendBatch(ctx, to, m)
	taken := 0
	for _, r := range res {
		if r.Err == nil {
			taken++
		}
	}
	c.count(m, taken)
	return res, err
}

func (c counted) count(m sms.Message, n int) {
	if n == 0 {
		return
	}
	purpose := m.Template().Purpose
	metrics.Count(metrics.SMS, float64(n), "Purpose", purpose)
	metrics.Count(metrics.SMSParts, float64(n*m.Parts(c.signature)), "Purpose", purpose)
}
