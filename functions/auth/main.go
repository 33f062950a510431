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
	log := logging.FromEnv()
	ctx := context.Background()
	fail := func(msg string, err error) {
		log.Error(msg, "err", err)
		os.Exit(1)
	}
	cfg, err := store.ConfigFromEnv()
	if err != nil {
		fail("bad configuration", err)
	}
	env, err := lambdaenv.Require("JWT_PRIVATE_KEY_PARAMETER", "SMS_SIGNATURE")
	if err != nil {
		fail("bad configuration", err)
	}
	aws := lambdaenv.AWSConfig(false)
	params := secrets.SSM{Client: ssm.NewFromConfig(aws)}
	keys := &auth.Keys{Now: time.Now, Load: func(ctx context.Context) ([]byte, error) {
		return params.Get(ctx, env["JWT_PRIVATE_KEY_PARAMETER"])
	}}

	var wechat auth.OpenIDExchanger
	if name := os.Getenv("WECHAT_SECRET_PARAMETER"); name != "" && os.Getenv("WECHAT_APP_ID") != "" {
		secret, err := params.Get(ctx, name)
		if err != nil {
			fail("cannot read the WeChat app secret", err)
		}
		if c := auth.NewWeChatClient(auth.WeChatConfig{BaseURL: os.Getenv("WECHAT_BASE_URL"), AppID: os.Getenv("WECHAT_APP_ID"), Secret: string(secret)}); c != nil {
			wechat = c
		}
	}

	st := &store.Store{DB: store.NewClient(cfg), Table: cfg.TableName}
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
		httpapi.Options{Logger: log})
}
