// Command dispatch consumes the dispatch queue: it fans notices out to phones
// and sends their SMS at the configured pace, reporting partial batch
// failures; and it acts on the SMS phones send (the keyword flows), through
// the same services as the app.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/sms/provider"
	"github.com/fangxian/fangxian/shared/smsflow"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/supplies"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	env := lambdaenv.Must(lambdaenv.Require("SMS_SIGNATURE", "QUEUE_URL_DISPATCH", "SMS_PARTS_PER_SECOND", "QUEUE_MAX_CONCURRENCY", "QUEUE_MAX_RECEIVES"))
	rate := lambdaenv.Must(strconv.ParseFloat(env["SMS_PARTS_PER_SECOND"], 64))
	instances := lambdaenv.Must(strconv.Atoi(env["QUEUE_MAX_CONCURRENCY"]))
	receives := lambdaenv.Must(strconv.Atoi(env["QUEUE_MAX_RECEIVES"]))
	if rate <= 0 || instances < 1 {
		lambdaenv.Must(0, fmt.Errorf("SMS_PARTS_PER_SECOND %v and QUEUE_MAX_CONCURRENCY %d must be positive", rate, instances))
	}
	cfg := lambdaenv.AWSConfig(false)
	q := &queue.SQS{Client: sqs.NewFromConfig(cfg), URL: env["QUEUE_URL_DISPATCH"]}
	sender := lambdaenv.Must(provider.FromEnv(cfg, secrets.SSM{Config: cfg}, st, log))
	guarded := sms.Guarded{Sender: sender, OptOuts: st, Limiter: st, PerPhonePerDay: sms.PerPhonePerDay, Now: time.Now}
	flow := &smsflow.Flow{Accounts: st, Households: st, Menus: st, Queue: q, Limiter: st, Once: st, Now: time.Now,
		Bookings:   &booking.Service{Store: st, Directory: st, Idempotency: st, Plans: st, Sites: st, SMS: guarded, Now: time.Now},
		Temps:      &notices.Service{Store: st, Readings: st, Directory: st, Queue: q, Now: time.Now, Signature: env["SMS_SIGNATURE"]},
		Supplies:   &supplies.Service{Store: st, Directory: st, Accounts: st, SMS: guarded, Now: time.Now},
		Helps:      &help.Service{Store: st, People: st, Directory: st, Once: st, SMS: sender, OptOuts: st, Now: time.Now},
		Volunteers: &volunteers.Service{Store: st, Accounts: st, Directory: st, Limiter: st, Queue: q, SMS: guarded, Now: time.Now},
	}
	if n, err := strconv.Atoi(os.Getenv("SMS_REPLIES_PER_HOUR")); err == nil {
		flow.RepliesPerHour = n
	}
	d := &notices.Dispatcher{
		Store: st, Directory: st, Staff: st, Once: st, Inbound: flow,
		Queue:     q,
		Sender:    sender,
		Signature: env["SMS_SIGNATURE"],
		// Up to that many instances send at once: each keeps its share.
		Pacer:       notices.NewPacer(rate / float64(instances)),
		MaxReceives: receives,
	}
	lambda.Start(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return d.Handle(logging.WithLogger(ctx, log), ev)
	})
}
