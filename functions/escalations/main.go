// Command escalations runs every minute: help requests nobody claimed by
// their deadline are escalated by SMS, to the staff on duty, then to every
// staff member and the street; and the B of every shift whose A declined or
// did not answer an activation is called.
package main

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/retention"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms/provider"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	cfg := lambdaenv.AWSConfig(false)
	sender := lambdaenv.Must(provider.FromEnv(cfg, secrets.SSM{Config: cfg}, st, log))
	env := lambdaenv.Must(lambdaenv.Require("QUEUE_URL_DISPATCH"))
	svc := &help.Service{Store: st, People: st, Directory: st, Once: st, SMS: sender, OptOuts: st, Now: time.Now}
	vols := &volunteers.Service{Store: st, Accounts: st, Directory: st, Now: time.Now,
		Queue: &queue.SQS{Client: sqs.NewFromConfig(cfg), URL: env["QUEUE_URL_DISPATCH"]}}
	keep := &retention.Service{Store: st, People: st, Playbooks: st, Directory: st, Now: time.Now}
	lambda.Start(func(ctx context.Context, ev events.CloudWatchEvent) error {
		// A run that fails is retried by Lambda; what it texted or called
		// is not again.
		ctx = logging.WithLogger(ctx, log)
		now := time.Now()
		n, err := svc.Escalate(ctx, now)
		log.Info("help escalations", "escalated", n, "err", err)
		called, unfilled, berr := vols.Backups(ctx, now)
		log.Info("activation backups", "called", called, "unfilled", unfilled, "err", berr)
		marked, xerr := keep.Continue(ctx, retention.Budget)
		log.Info("personal data expiry", "marked", marked, "err", xerr)
		return errors.Join(err, berr, xerr)
	})
}
