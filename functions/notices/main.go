// Command notices is the Lambda behind lockdown zones, notices and
// temperature reports.
package main

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	verifier := lambdaenv.Must(auth.VerifierFromEnv(st))
	env := lambdaenv.Must(lambdaenv.Require("QUEUE_URL_DISPATCH", "SMS_SIGNATURE"))
	q := &queue.SQS{Client: sqs.NewFromConfig(lambdaenv.AWSConfig(false)), URL: env["QUEUE_URL_DISPATCH"]}
	svc := &notices.Service{Store: st, Readings: st, Directory: st, Queue: q, Now: time.Now, Signature: env["SMS_SIGNATURE"], Drills: st}
	httpapi.ServeFunction("notices", svc.Handlers(), httpapi.Options{Logger: log, Auth: verifier, Idempotency: st, Audit: &audit.Recorder{Store: st, Streets: st, Now: time.Now}})
}
