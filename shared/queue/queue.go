// Package queue moves work between functions: SQS in the cloud, an
// in-process queue on a developer machine that hands its consumer the same
// events.SQSEvent Lambda would, with receive counts, partial batch failures,
// redelivery and a dead-letter list.
package queue

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fangxian/fangxian/shared/awsjson"
	"github.com/fangxian/fangxian/shared/dispatch"
)

// Open is the SQS queue at url: the adapter of app.Adapters.Queue.
func Open(cfg aws.Config, url string) dispatch.Queue {
	return &SQS{Service: awsjson.Service{Config: cfg, Name: "sqs", Version: "1.0", Prefix: "AmazonSQS"}, URL: url}
}

// SQS sends to one queue with SendMessageBatch, one call of SQS's JSON
// protocol (package awsjson: not the SQS client, whose tables would cost
// every function that queues about a millisecond of each cold start).
type SQS struct {
	Service awsjson.Service
	URL     string
}

// SendBatch sends up to dispatch.MaxBatch bodies in one call; entries SQS
// refuses are reported as an error.
func (q *SQS) SendBatch(ctx context.Context, bodies []string) error {
	type entry struct {
		ID          string `json:"Id"`
		MessageBody string `json:"MessageBody"`
	}
	in := struct {
		QueueURL string  `json:"QueueUrl"`
		Entries  []entry `json:"Entries"`
	}{QueueURL: q.URL}
	for i, b := range bodies {
		in.Entries = append(in.Entries, entry{ID: strconv.Itoa(i), MessageBody: b})
	}
	var out struct {
		Failed []struct {
			ID      string `json:"Id"`
			Code    string `json:"Code"`
			Message string `json:"Message"`
		} `json:"Failed"`
	}
	if err := q.Service.Call(ctx, "SendMessageBatch", in, &out); err != nil {
		return fmt.Errorf("sqs: %w", err)
	}
	if len(out.Failed) > 0 {
		return fmt.Errorf("sqs: %d of %d messages refused: %s %s", len(out.Failed), len(bodies), out.Failed[0].Code, out.Failed[0].Message)
	}
	return nil
}

// Handler consumes a batch the way the Lambda does.
type Handler func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)

// Local is the in-process queue of the local runner and the tests.
type Local struct {
	// MaxReceives moves a message to Dead after this many failed receives.
	MaxReceives int
	// BatchSize is how many messages one call of the handler gets.
	BatchSize int
	// Retry is the pause before a failed message comes back (the
	// visibility timeout).
	Retry time.Duration

	mu      sync.Mutex
	pending []events.SQSMessage
	dead    []events.SQSMessage
	seq     int
	wake    chan struct{}
	calls   int
}

// NewLocal returns an empty local queue.
func NewLocal(maxReceives, batchSize int, retry time.Duration) *Local {
	return &Local{MaxReceives: maxReceives, BatchSize: batchSize, Retry: retry, wake: make(chan struct{}, 1)}
}

// SendBatch queues bodies.
func (l *Local) SendBatch(_ context.Context, bodies []string) error {
	l.mu.Lock()
	l.calls++
	for _, b := range bodies {
		l.seq++
		l.pending = append(l.pending, events.SQSMessage{MessageId: "m-" + strconv.Itoa(l.seq), Body: b,
			Attributes: map[string]string{"ApproximateReceiveCount": "0"}})
	}
	l.mu.Unlock()
	l.poke()
	return nil
}

// Redeliver puts a message back as SQS may (at-least-once delivery).
func (l *Local) Redeliver(m events.SQSMessage) {
	l.mu.Lock()
	l.pending = append(l.pending, m)
	l.mu.Unlock()
	l.poke()
}

func (l *Local) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Calls counts SendBatch calls, as SQS would bill them.
func (l *Local) Calls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls
}

// Dead lists the messages that failed MaxReceives times.
func (l *Local) Dead() []events.SQSMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]events.SQSMessage(nil), l.dead...)
}

// Len is how many messages wait.
func (l *Local) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending)
}

// Drain delivers batches to h until the queue is empty (failed messages
// come back after Retry until they go dead). It is what Run does, once.
func (l *Local) Drain(ctx context.Context, h Handler) {
	for ctx.Err() == nil {
		l.mu.Lock()
		n := min(l.BatchSize, len(l.pending))
		batch := append([]events.SQSMessage(nil), l.pending[:n]...)
		l.pending = l.pending[n:]
		l.mu.Unlock()
		if n == 0 {
			return
		}
		for i := range batch {
			c, _ := strconv.Atoi(batch[i].Attributes["ApproximateReceiveCount"])
			batch[i].Attributes = map[string]string{"ApproximateReceiveCount": strconv.Itoa(c + 1)}
		}
		resp, err := h(ctx, events.SQSEvent{Records: batch})
		failed := map[string]bool{}
		if err != nil { // the whole batch failed
			for _, m := range batch {
				failed[m.MessageId] = true
			}
		}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, m := range batch {
			if !failed[m.MessageId] {
				continue
			}
			c, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
			l.mu.Lock()
			if c >= l.MaxReceives {
				l.dead = append(l.dead, m)
				l.mu.Unlock()
				continue
			}
			l.mu.Unlock()
			time.AfterFunc(l.Retry, func() { l.Redeliver(m) })
		}
	}
}

// Run delivers batches to h as messages arrive, until ctx ends.
func (l *Local) Run(ctx context.Context, h Handler) {
	for {
		l.Drain(ctx, h)
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		}
	}
}

// Discard takes messages and drops them: what the demo's seeding causes is
// sent to nobody.
type Discard struct{}

// SendBatch drops bodies.
func (Discard) SendBatch(context.Context, []string) error { return nil }
