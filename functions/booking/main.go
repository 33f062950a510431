// Command booking is the Lambda behind testing rounds: sites, slots,
// bookings, check-in, progress and the unsampled list.
package main

import (
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/sms/pinpoint"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	verifier := lambdaenv.Must(auth.VerifierFromEnv(st))
	sender := &pinpoint.Sender{
		Client:              pinpointsmsvoicev2.NewFromConfig(lambdaenv.AWSConfig(false)),
		OriginationIdentity: os.Getenv("SMS_ORIGINATION_IDENTITY"),
		ConfigurationSet:    os.Getenv("SMS_CONFIGURATION_SET"),
		Signature:           os.Getenv("SMS_SIGNATURE"),
	}
	svc := &booking.Service{Store: st, Directory: st, Idempotency: st, Plans: st, Sites: st, SMS: sender, Now: time.Now}
	httpapi.ServeFunction("booking", svc.Handlers(), httpapi.Options{Logger: log, Auth: verifier, Idempotency: st})
}
