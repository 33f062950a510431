// Command reminders runs on a schedule: it texts the households of sealed and
// controlled buildings whose members have not reported today's temperature.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	env := lambdaenv.Must(lambdaenv.Require("QUEUE_URL_DISPATCH"))
	svc := &notices.Service{Store: st, Readings: st, Directory: st, Now: time.Now,
		Queue: &queue.SQS{Client: sqs.NewFromConfig(lambdaenv.AWSConfig(false)), URL: env["QUEUE_URL_DISPATCH"]}}
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) error {
		// A second run of the same day (EventBridge or Lambda retrying) queues
		// the reminders again; the dispatcher sends each phone one a day.
		n, err := svc.Remind(logging.WithLogger(ctx, log))
		log.Info("temperature reminders queued", "count", n, "err", err)
		return err
	})
}
