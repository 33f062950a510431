// Command supplies is the Lambda behind supply orders for sealed homes
// (catalogue, orders, purchase and pick lists, delivery) and help requests.
package main

import (
	"time"

	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/sms/provider"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/supplies"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	verifier := lambdaenv.Must(auth.VerifierFromEnv(st))
	cfg := lambdaenv.AWSConfig(false)
	sender := lambdaenv.Must(provider.FromEnv(cfg, secrets.SSM{Config: cfg}, st, log))
	// Order news is staff-caused: not to a phone that opted out, a daily
	// share per phone. Help alerts go to staff on duty as they are.
	guarded := sms.Guarded{Sender: sender, OptOuts: st, Limiter: st, PerPhonePerDay: sms.PerPhonePerDay, Now: time.Now}
	orders := &supplies.Service{Store: st, Directory: st, Accounts: st, SMS: guarded, Now: time.Now}
	helps := &help.Service{Store: st, People: st, Directory: st, Once: st, SMS: sender, OptOuts: st, Now: time.Now}
	httpapi.ServeFunction("supplies", httpapi.Merge(orders.Handlers(), helps.Handlers()),
		httpapi.Options{Logger: log, Auth: verifier, Idempotency: st, Audit: &audit.Recorder{Store: st, Streets: st, Now: time.Now}})
}
