// Command dispatch consumes the dispatch queue: it fans notices out to phones
// and sends their SMS at the configured pace, reporting partial batch failures.
package main

import (
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.FromEnv()
	st, err := store.FromEnv()
	if err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	env, err := lambdaenv.Require("QUEUE_URL_DISPATCH", "SMS_PARTS_PER_SECOND", "QUEUE_MAX_CONCURRENCY")
	if err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	rate, err := strconv.ParseFloat(env["SMS_PARTS_PER_SECOND"], 64)
	instances, err2 := strconv.Atoi(env["QUEUE_MAX_CONCURRENCY"])
	if err != nil || err2 != nil || rate <= 0 || instances < 1 {
		log.Error("bad SMS_PARTS_PER_SECOND or QUEUE_MAX_CONCURRENCY")
		os.Exit(1)
	}
	// Up to that many instances send at once: each keeps its share.
	rate /= float64(instances)
	cfg := lambdaenv.AWSConfig(false)
	d := &notices.Dispatcher{
		Store: st, Directory: st, Staff: st,
		Queue: &queue.SQS{Client: sqs.NewFromConfig(cfg), URL: env["QUEUE_URL_DISPATCH"]},
		Sender: &sms.PinpointSender{
			Client:              pinpointsmsvoicev2.NewFromConfig(cfg),
			OriginationIdentity: os.Getenv("SMS_ORIGINATION_IDENTITY"),
			ConfigurationSet:    os.Getenv("SMS_CONFIGURATION_SET"),
			Signature:           os.Getenv("SMS_SIGNATURE"),
		},
		Signature: os.Getenv("SMS_SIGNATURE"),
		Pacer:     notices.NewPacer(rate),
	}
	lambda.Start(d.Handle)
}
