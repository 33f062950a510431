// Command playbooks is the Lambda behind the peace/war switch: playbooks,
// mode switches and their runs, drills and their removal, and the
// retention report.
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
	"github.com/fangxian/fangxian/shared/notices"
	"github.com/fangxian/fangxian/shared/playbook"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/retention"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	verifier := lambdaenv.Must(auth.VerifierFromEnv(st))
	env := lambdaenv.Must(lambdaenv.Require("QUEUE_URL_DISPATCH", "SMS_SIGNATURE"))
	q := &queue.SQS{Client: sqs.NewFromConfig(lambdaenv.AWSConfig(false)), URL: env["QUEUE_URL_DISPATCH"]}
	trail := &audit.Recorder{Store: st, Streets: st, Now: time.Now}
	// The actions' SMS all go through the dispatch queue, whose consumer
	// sends under the drill guard; this function sends none itself.
	keep := &retention.Service{Store: st, People: st, Playbooks: st, Directory: st, Now: time.Now}
	svc := &playbook.Service{Store: st, Directory: st, Audit: trail, Expiry: keep, Now: time.Now,
		Rounds:      &booking.Service{Store: st, Directory: st, Idempotency: st, Plans: st, Sites: st, Now: time.Now, Drills: st},
		Notices:     &notices.Service{Store: st, Readings: st, Directory: st, Queue: q, Now: time.Now, Signature: env["SMS_SIGNATURE"], Drills: st},
		Activations: &volunteers.Service{Store: st, Accounts: st, Directory: st, Limiter: st, Now: time.Now, Queue: q},
	}
	httpapi.ServeFunction("playbooks", httpapi.Merge(svc.Handlers(), keep.Handlers()), httpapi.Options{Logger: log, Auth: verifier, Idempotency: st, Audit: trail})
}
