// Command volunteers is the Lambda behind volunteering: approval, posts and
// their A/B shifts, one-click activation and response, check-in at the
// post, and the hours served. Signing up is the auth function's (it proves
// the phone by its code).
package main

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/sms/provider"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	verifier := lambdaenv.Must(auth.VerifierFromEnv(st))
	env := lambdaenv.Must(lambdaenv.Require("QUEUE_URL_DISPATCH"))
	cfg := lambdaenv.AWSConfig(false)
	sender := lambdaenv.Must(provider.FromEnv(cfg, secrets.SSM{Config: cfg}, st, log))
	svc := &volunteers.Service{Store: st, Accounts: st, Directory: st, Limiter: st, Now: time.Now,
		Queue: &queue.SQS{Client: sqs.NewFromConfig(cfg), URL: env["QUEUE_URL_DISPATCH"]},
		SMS:   sms.Guarded{Sender: sender, OptOuts: st, Limiter: st, PerPhonePerDay: sms.PerPhonePerDay, Now: time.Now}}
	httpapi.ServeFunction("volunteers", svc.Handlers(), httpapi.Options{Logger: log, Auth: verifier, Idempotency: st, Audit: &audit.Recorder{Store: st, Streets: st, Now: time.Now}})
}
