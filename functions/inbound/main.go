// Command inbound is the Lambda behind Tencent Cloud SMS's callbacks:
// residents' replies and carriers' delivery receipts, on URLs that carry a
// secret (POST /v1/sms/callbacks/{secret}/replies and …/receipts).
package main

import (
	"context"
	"time"

	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/inbound"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	env := lambdaenv.Must(lambdaenv.Require("SMS_CALLBACK_SECRET_PARAMETER"))
	params := secrets.SSM{Config: lambdaenv.AWSConfig(false)}
	secret := &inbound.Secrets{TTL: time.Minute, Load: func(ctx context.Context) ([]byte, error) {
		return params.Get(ctx, env["SMS_CALLBACK_SECRET_PARAMETER"])
	}}
	h := &inbound.Handler{Receipts: st, OptOuts: st, Once: st, Now: time.Now}
	httpapi.ServeFunction("inbound", h.TencentCallbacks(secret), httpapi.Options{Logger: log})
}
