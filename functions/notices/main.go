// Command notices is the Lambda behind lockdown zones and notices.
package main

import (
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.FromEnv()
	st, err := store.FromEnv()
	if err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	verifier, err := auth.VerifierFromEnv()
	if err != nil {
		log.Error("bad JWT_PUBLIC_KEY", "err", err)
		os.Exit(1)
	}
	env, err := lambdaenv.Require("QUEUE_URL_DISPATCH")
	if err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	q := &queue.SQS{Client: sqs.NewFromConfig(lambdaenv.AWSConfig(false)), URL: env["QUEUE_URL_DISPATCH"]}
	svc := &notices.Service{Store: st, Readings: st, Directory: st, Queue: q, Now: time.Now}
	httpapi.ServeFunction("notices", svc.Handlers(), httpapi.Options{Logger: log, Auth: verifier, Idempotency: st})
}
