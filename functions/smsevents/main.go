// Command smsevents takes what AWS End User Messaging SMS reports: replies
// published to the two-way SMS topic, and delivery status events from the
// default event bus.
package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/inbound"
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
	// Replies other than TD go to the keyword flows, on the dispatch queue.
	q := &queue.SQS{Client: sqs.NewFromConfig(lambdaenv.AWSConfig(false)), URL: env["QUEUE_URL_DISPATCH"]}
	h := &inbound.Handler{Receipts: st, OptOuts: st, Once: st, Keywords: notices.InboundQueue{Queue: q}, Now: time.Now}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) error {
		return h.HandleAWS(logging.WithLogger(ctx, log), raw)
	})
}
