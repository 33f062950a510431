// Command dispatch consumes the dispatch queue: it fans notices out to phones
// and sends their SMS at the configured pace, reporting partial batch failures.
package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms/provider"
	"github.com/fangxian/fangxian/shared/store"
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
	d := &notices.Dispatcher{
		Store: st, Directory: st, Staff: st, Once: st,
		Queue:     &queue.SQS{Client: sqs.NewFromConfig(cfg), URL: env["QUEUE_URL_DISPATCH"]},
		Sender:    lambdaenv.Must(provider.FromEnv(cfg, secrets.SSM{Config: cfg}, log)),
		Signature: env["SMS_SIGNATURE"],
		// Up to that many instances send at once: each keeps its share.
		Pacer:       notices.NewPacer(rate / float64(instances)),
		MaxReceives: receives,
	}
	lambda.Start(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return d.Handle(logging.WithLogger(ctx, log), ev)
	})
}
