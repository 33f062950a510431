// Command auth is the Lambda behind sign-in: POST /v1/auth/otp, /v1/auth/token
// and /v1/auth/wechat; and a volunteer's sign-up, which proves the phone by
// its code.
package main

import (
	"context"
	"os"
	"time"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms/provider"
	"github.com/fangxian/fangxian/shared/store"
	"github.com/fangxian/fangxian/shared/volunteers"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	env := lambdaenv.Must(lambdaenv.Require("STAGE", "JWT_PRIVATE_KEY_PARAMETER", "SMS_SIGNATURE"))
	limits := lambdaenv.Must(auth.LimitsFromEnv())
	aws := lambdaenv.AWSConfig(false)
	params := secrets.SSM{Config: aws}
	// Read on first use, not here: see auth.Keys.
	keys := &auth.Keys{Audience: auth.Audience(env["STAGE"]), Now: time.Now, Load: func(ctx context.Context) ([]byte, error) {
		return params.Get(ctx, env["JWT_PRIVATE_KEY_PARAMETER"])
	}}
	var wechat auth.OpenIDExchanger
	if name, appID := os.Getenv("WECHAT_SECRET_PARAMETER"), os.Getenv("WECHAT_APP_ID"); name != "" && appID != "" {
		// The secret is read when the first WeChat sign-in needs it: a missing
		// parameter turns WeChat sign-in off, never SMS sign-in.
		if c := auth.NewWeChatClient(auth.WeChatConfig{BaseURL: os.Getenv("WECHAT_BASE_URL"), AppID: appID,
			LoadSecret: func(ctx context.Context) (string, error) {
				b, err := params.Get(ctx, name)
				return string(b), err
			}}); c != nil {
			wechat = c
		}
	}
	sender := lambdaenv.Must(provider.FromEnv(aws, params, st, log))
	signIn := &auth.SignIn{
		Accounts: st, Challenges: st, Limiter: st, Limits: limits, Keys: keys, Now: time.Now, Sender: sender,
	}
	signup := &volunteers.Service{Store: st, Accounts: st, Directory: st, Phones: signIn, Now: time.Now}
	httpapi.ServeFunction("auth", httpapi.Merge(auth.Handlers(signIn, &auth.WeChatSignIn{SignIn: signIn, WeChat: wechat, Bindings: st}),
		signup.SignupHandlers()), httpapi.Options{Logger: log})
}
