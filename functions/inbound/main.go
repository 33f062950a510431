// Command inbound is the Lambda behind Tencent Cloud SMS's callbacks:
// residents' replies and carriers' delivery receipts, on URLs that carry a
// secret (POST /v1/sms/callbacks/{secret}/replies and …/receipts).
package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/inbound"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	env := lambdaenv.Must(lambdaenv.Require("SMS_CALLBACK_SECRET_PARAMETER", "QUEUE_URL_DISPATCH"))
	params := secrets.SSM{Config: lambdaenv.AWSConfig(false)}
	secret := &inbound.Secrets{TTL: time.Minute, Load: func(ctx context.Context) ([]byte, error) {
		return params.Get(ctx, env["SMS_CALLBACK_SECRET_PARAMETER"])
	}}
	// Replies other than TD go to the keyword flows, on the dispatch queue.
	q := &queue.SQS{Client: sqs.NewFromConfig(lambdaenv.AWSConfig(false)), URL: env["QUEUE_URL_DISPATCH"]}
	h := &inbound.Handler{Receipts: st, OptOuts: st, Once: st, Keywords: notices.InboundQueue{Queue: q}, Now: time.Now}
	httpapi.ServeFunction("inbound", h.TencentCallbacks(secret), httpapi.Options{Logger: log})
}
