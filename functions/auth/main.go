// Command auth is the Lambda behind sign-in: POST /v1/auth/otp, /v1/auth/token
// and /v1/auth/wechat.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/secrets"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	st := lambdaenv.Must(store.FromEnv())
	env := lambdaenv.Must(lambdaenv.Require("JWT_PRIVATE_KEY_PARAMETER", "SMS_SIGNATURE"))
	aws := lambdaenv.AWSConfig(false)
	params := secrets.SSM{Client: ssm.NewFromConfig(aws)}
	// Read on first use, not here: see auth.Keys.
	keys := &auth.Keys{Now: time.Now, Load: func(ctx context.Context) ([]byte, error) {
		return params.Get(ctx, env["JWT_PRIVATE_KEY_PARAMETER"])
	}}
	var wechat auth.OpenIDExchanger
	if name, appID := os.Getenv("WECHAT_SECRET_PARAMETER"), os.Getenv("WECHAT_APP_ID"); name != "" && appID != "" {
		secret := lambdaenv.Must(params.Get(context.Background(), name))
		if c := auth.NewWeChatClient(auth.WeChatConfig{BaseURL: os.Getenv("WECHAT_BASE_URL"), AppID: appID, Secret: string(secret)}); c != nil {
			wechat = c
		}
	}
	signIn := &auth.SignIn{
		Accounts: st, Challenges: st, Keys: keys, Now: time.Now,
		Sender: &sms.PinpointSender{
			Client:              pinpointsmsvoicev2.NewFromConfig(aws),
			OriginationIdentity: os.Getenv("SMS_ORIGINATION_IDENTITY"),
			ConfigurationSet:    os.Getenv("SMS_CONFIGURATION_SET"),
			Signature:           env["SMS_SIGNATURE"],
		},
	}
	httpapi.ServeFunction("auth", auth.Handlers(signIn, &auth.WeChatSignIn{SignIn: signIn, WeChat: wechat, Bindings: st}),
		httpapi.Options{Logger: logging.FromEnv()})
}
