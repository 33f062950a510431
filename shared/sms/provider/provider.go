// Package provider builds a function's SMS sender from its configuration,
// as the CDK stack sets it per stage: AWS End User Messaging SMS in AWS's
// global regions, Tencent Cloud SMS in the China regions (where AWS offers
// no SMS). Only functions that send SMS link it.
package provider

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fangxian/fangxian/shared/config"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/metrics"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/sms/pinpoint"
	"github.com/fangxian/fangxian/shared/sms/tencent"
)

// Open builds the sender c names. Nothing is read from Parameter Store here:
// Tencent Cloud's key pair is read on the first send, so a missing
// parameter fails that send (and shows in the alarms) instead of every
// cold start.
func Open(cfg aws.Config, c config.SMS, params secrets.Parameters, log *slog.Logger) (sms.Provider, error) {
	switch c.Provider {
	case manifest.SMSPinpoint:
		return counted{Provider: pinpoint.New(cfg, c.OriginationIdentity, c.ConfigurationSet, c.Signature), signature: c.Signature}, nil
	case manifest.SMSTencent:
		t := c.Tencent
		s, err := tencent.New(tencent.Config{
			AppID: t.AppID, Region: t.Region, Signature: c.Signature, TemplateIDs: t.TemplateIDs,
			Credentials: func(ctx context.Context) (string, string, error) {
				b, err := params.Get(ctx, t.SecretParameter)
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
		return counted{Provider: s, signature: c.Signature}, nil
	}
	return nil, fmt.Errorf("SMS provider %q: %s or %s", c.Provider, manifest.SMSPinpoint, manifest.SMSTencent)
}

// counted records what the provider took: messages and their billed parts,
// by the template's purpose (metrics.SMS, metrics.SMSParts).
type counted struct {
	sms.Provider
	signature string
}

func (c counted) Send(ctx context.Context, to string, m sms.Message) error {
	err := c.Provider.Send(ctx, to, m)
	if err == nil {
		c.count(m, 1)
	}
	return err
}

func (c counted) SendBatch(ctx context.Context, to []string, m sms.Message) ([]sms.Result, error) {
	res, err := c.Provider.SendBatch(ctx, to, m)
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
