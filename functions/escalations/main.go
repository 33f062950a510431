// Command escalations runs every minute: help requests nobody claimed by
// their deadline are escalated by SMS, to the staff on duty, then to every
// staff member and the street.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms/provider"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	cfg := lambdaenv.AWSConfig(false)
	sender := lambdaenv.Must(provider.FromEnv(cfg, secrets.SSM{Config: cfg}, log))
	svc := &help.Service{Store: st, People: st, Directory: st, Once: st, SMS: sender, Now: time.Now}
	lambda.Start(func(ctx context.Context, ev events.CloudWatchEvent) error {
		// A run that fails is retried by Lambda; what it texted is not again.
		n, err := svc.Escalate(logging.WithLogger(ctx, log), time.Now())
		log.Info("help escalations", "escalated", n, "err", err)
		return err
	})
}
