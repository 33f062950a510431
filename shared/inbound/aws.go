package inbound

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/phone"
)

// HandleAWS takes the function's events as they come: SNS notifications of
// the inbound topic, or EventBridge events of delivery status.
func (h *Handler) HandleAWS(ctx context.Context, raw json.RawMessage) error {
	var probe struct {
		Records    []json.RawMessage `json:"Records"`
		DetailType string            `json:"detail-type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return fmt.Errorf("inbound: not an event: %w", err)
	}
	switch {
	case len(probe.Records) > 0:
		var ev events.SNSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return err
		}
		return h.HandleSNS(ctx, ev)
	case probe.DetailType != "":
		var ev events.CloudWatchEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return err
		}
		return h.HandleDeliveryEvent(ctx, ev)
	}
	return errors.New("inbound: neither an SNS notification nor an EventBridge event")
}

// twoWayMessage is what AWS End User Messaging SMS publishes to the SNS
// topic of a number with two-way SMS on.
type twoWayMessage struct {
	OriginationNumber string `json:"originationNumber"`
	DestinationNumber string `json:"destinationNumber"`
	MessageKeyword    string `json:"messageKeyword"`
	MessageBody       string `json:"messageBody"`
	InboundMessageID  string `json:"inboundMessageId"`
}

// HandleSNS acts on replies that AWS End User Messaging SMS publishes to the
// inbound topic. A reply from outside the mainland is dropped; a failure
// fails the invocation, and Lambda's retries of the SNS delivery are kept to
// one handling each by the reply's id.
func (h *Handler) HandleSNS(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for _, rec := range ev.Records {
		var m twoWayMessage
		if err := json.Unmarshal([]byte(rec.SNS.Message), &m); err != nil || m.InboundMessageID == "" {
			logging.From(ctx).Warn("not a two-way SMS message", "snsMessageId", rec.SNS.MessageID)
			continue
		}
		from, err := phone.Normalize(m.OriginationNumber)
		if err != nil {
			continue
		}
		action, err := h.Reply(ctx, Reply{From: from, Text: cleanText(m.MessageBody), At: rec.SNS.Timestamp, Key: m.InboundMessageID})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		logging.From(ctx).Info("SMS reply", "from", from, "action", action)
	}
	return errors.Join(errs...)
}

// deliveryEvent is the detail of AWS End User Messaging SMS's "Text Message
// Delivery Status Updated" event on the default event bus.
type deliveryEvent struct {
	MessageID     string `json:"messageId"`
	MessageStatus string `json:"messageStatus"`
	IsFinal       bool   `json:"isFinal"`
}

// notReached are final statuses that say a message did not reach the phone.
// SUCCESSFUL (taken by the carrier, no receipt) and UNKNOWN (no word after
// 72 hours) say neither way and leave it sent.
var notReached = []string{"FAILED", "BLOCKED", "CARRIER_BLOCKED", "CARRIER_UNREACHABLE", "INVALID", "INVALID_MESSAGE",
	"TTL_EXPIRED", "UNREACHABLE", "SPAM", "OPTED_OUT", "MAX_PRICE_EXCEEDED", "PROTECT_BLOCKED"}

// HandleDeliveryEvent counts a final delivery status as a receipt.
func (h *Handler) HandleDeliveryEvent(ctx context.Context, ev events.CloudWatchEvent) error {
	var d deliveryEvent
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return fmt.Errorf("inbound: event %s: %w", ev.ID, err)
	}
	if !d.IsFinal || d.MessageID == "" {
		return nil
	}
	switch {
	case d.MessageStatus == "DELIVERED":
		return h.Receipt(ctx, Receipt{ProviderID: d.MessageID, Delivered: true})
	case slices.Contains(notReached, d.MessageStatus):
		return h.Receipt(ctx, Receipt{ProviderID: d.MessageID, Delivered: false})
	}
	return nil
}

// LocalSNSEvent is an SMS from phone as AWS End User Messaging's two-way
// topic delivers it: for the local runner's POST /dev/sms and the tests.
func LocalSNSEvent(from, body string, at time.Time) (json.RawMessage, error) {
	ph, err := phone.Normalize(from)
	if err != nil {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "from", Reason: "11-digit mainland mobile number"})
	}
	if len([]rune(body)) > MaxReplyRunes || !utf8.ValidString(body) {
		return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "body", Reason: fmt.Sprintf("at most %d characters", MaxReplyRunes)})
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	msg, err := json.Marshal(twoWayMessage{OriginationNumber: "+86" + ph, DestinationNumber: "+8610690000", MessageKeyword: "KEYWORD_LOCAL",
		MessageBody: body, InboundMessageID: hex.EncodeToString(id[:])})
	if err != nil {
		return nil, err
	}
	return json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", EventVersion: "1.0",
		SNS: events.SNSEntity{MessageID: hex.EncodeToString(id[:]), Type: "Notification", Message: string(msg), Timestamp: at.UTC(),
			TopicArn: "arn:aws:sns:local:000000000000:sms-inbound"}}}})
}
