// Command booking is the Lambda behind testing rounds: sites, slots,
// bookings, check-in, progress and the unsampled list.
package main

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/sms/provider"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	verifier := lambdaenv.Must(auth.VerifierFromEnv(st))
	cfg := lambdaenv.AWSConfig(false)
	sender := lambdaenv.Must(provider.FromEnv(cfg, secrets.SSM{Config: cfg}, st, log))
	guarded := sms.Guarded{Sender: sender, OptOuts: st, Limiter: st, PerPhonePerDay: sms.PerPhonePerDay, Now: time.Now}
	env := lambdaenv.Must(lambdaenv.Require("QUEUE_URL_DISPATCH"))
	svc := &booking.Service{Store: st, Directory: st, Idempotency: st, Plans: st, Sites: st, SMS: guarded, Now: time.Now, Drills: st,
		Queue: &queue.SQS{Client: sqs.NewFromConfig(cfg), URL: env["QUEUE_URL_DISPATCH"]}}
	httpapi.ServeFunction("booking", svc.Handlers(), httpapi.Options{Logger: log, Auth: verifier, Idempotency: st, Audit: &audit.Recorder{Store: st, Streets: st, Now: time.Now}})
}
