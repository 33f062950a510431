package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/fangxian/fangxian/shared/config"
	"github.com/fangxian/fangxian/shared/manifest"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// base is what every function of a stack gets.
func base() map[string]string {
	return map[string]string{config.TableName: "t", config.Stage: "prod", config.Region: "cn-northwest-1", config.SMSSignature: "防线"}
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestLoad(t *testing.T) {
	dispatch, _ := manifest.Lookup("dispatch")
	auth, _ := manifest.Lookup("auth")
	system, _ := manifest.Lookup("system")
	sender := with(base(), config.SMSProvider, "pinpoint", config.SMSPartsPerSecond, "10",
		config.QueueURL("dispatch"), "https://sqs.cn-northwest-1.amazonaws.com.cn/1/dispatch",
		config.QueueMaxConcurrency, "2", config.QueueMaxReceives, "5")
	tencent := with(sender, config.SMSProvider, "tencent", config.TencentSMSAppID, "1400006666", config.TencentSMSRegion, "ap-guangzhou",
		config.TencentSMSSecretParameter, "/fangxian/prod/tencent-sms-secret")
	cases := []struct {
		name string
		fn   manifest.Function
		vars map[string]string
		// problems are what the error must name, every one; none: no error.
		problems []string
	}{
		{"a reader with its table", system, base(), nil},
		{"nothing set", system, map[string]string{}, []string{"TABLE_NAME", "STAGE", "AWS_REGION", "SMS_SIGNATURE"}},
		{"a bad signature", system, with(base(), config.SMSSignature, "【】"), []string{"signature"}},
		{"a bad log level", system, with(base(), config.LogLevel, "loud"), []string{"LOG_LEVEL"}},
		{"DynamoDB Local needs no region", system, with(base(), config.Region, "", config.DynamoDBEndpoint, "http://127.0.0.1:8000"), nil},
		{"the consumer, whole", dispatch, sender, nil},
		{"the consumer without its queue's settings", dispatch, with(sender, config.QueueMaxReceives, "", config.QueueMaxConcurrency, "0"),
			[]string{"QUEUE_MAX_RECEIVES", "QUEUE_MAX_CONCURRENCY"}},
		{"a sender without its provider", dispatch, with(sender, config.SMSProvider, ""), []string{"SMS_PROVIDER"}},
		{"an unknown provider", dispatch, with(sender, config.SMSProvider, "carrier-pigeon"), []string{"SMS_PROVIDER"}},
		{"a pace of nothing", dispatch, with(sender, config.SMSPartsPerSecond, "0"), []string{"SMS_PARTS_PER_SECOND"}},
		{"a queue URL that is none", dispatch, with(sender, config.QueueURL("dispatch"), "dispatch"), []string{"QUEUE_URL_DISPATCH"}},
		{"Tencent Cloud, whole", dispatch, tencent, nil},
		// What `make synth` once deployed to China: every sender would
		// have died at cold start.
		{"Tencent Cloud without its app", dispatch, with(tencent, config.TencentSMSAppID, ""), []string{"TENCENT_SMS_APP_ID"}},
		{"Tencent Cloud with a wrong app id", dispatch, with(tencent, config.TencentSMSAppID, "app-1"), []string{"TENCENT_SMS_APP_ID"}},
		{"Tencent Cloud's unknown template", dispatch, with(tencent, config.SMSTemplateIDs, `{"no_such":"1"}`), []string{"no_such"}},
		{"a setting of a bad value is refused, not ignored", dispatch, with(sender, config.SMSRepliesPerHour, "lots"), []string{"SMS_REPLIES_PER_HOUR"}},
		{"auth without its key's parameter", auth, with(sender, config.SMSProvider, "pinpoint"), []string{"JWT_PRIVATE_KEY_PARAMETER"}},
		{"auth's limits", auth, with(sender, config.SecretVar(manifest.JWTPrivateKeyParameter), "/fangxian/prod/jwt-private-key",
			config.OTPLimitPerHour, "-5"), []string{"OTP_LIMIT_PER_HOUR"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load(c.fn, env(c.vars))
			if len(c.problems) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var p *config.Problems
			if !errors.As(err, &p) {
				t.Fatalf("want problems naming %v, got %v", c.problems, err)
			}
			for _, want := range c.problems {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not name %s: %v", want, err)
				}
			}
			if len(p.List) < len(c.problems) {
				t.Errorf("%d problems listed, want every one of %v: %v", len(p.List), c.problems, p.List)
			}
		})
	}
}

func TestLoadReadsValues(t *testing.T) {
	dispatch, _ := manifest.Lookup("dispatch")
	c, err := config.Load(dispatch, env(with(base(), config.SMSProvider, "pinpoint", config.SMSPartsPerSecond, "12.5",
		config.QueueURL("dispatch"), "https://sqs/1/dispatch", config.QueueMaxConcurrency, "2", config.QueueMaxReceives, "5",
		config.SMSRepliesPerHour, "7", config.LogLevel, "debug")))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMS.PartsPerSecond != 12.5 || c.Consumer.MaxConcurrency != 2 || c.Consumer.MaxReceives != 5 ||
		c.Limits.SMSRepliesPerHour != 7 || c.QueueURLs["dispatch"] != "https://sqs/1/dispatch" || c.LogLevel.String() != "DEBUG" {
		t.Fatalf("read %+v", c)
	}
	// Settings a function does not declare keep their defaults.
	if c.Limits.OTPPerHour != config.DefaultOTPPerHour {
		t.Errorf("OTP limit of dispatch %d", c.Limits.OTPPerHour)
	}
}

func TestLoadLocal(t *testing.T) {
	c, err := config.LoadLocal(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Stage != config.LocalStage || c.SMS.PartsPerSecond != 200 || c.Consumer.MaxReceives != 5 || c.Limits.SMSRepliesPerHour != 10 ||
		c.Parameters[manifest.JWTPrivateKeyParameter] == "" {
		t.Fatalf("local defaults %+v", c)
	}
	if _, err := config.LoadLocal(env(map[string]string{config.SMSRepliesPerHour: "0", config.SMSPartsPerSecond: "fast"})); err == nil ||
		!strings.Contains(err.Error(), config.SMSRepliesPerHour) || !strings.Contains(err.Error(), config.SMSPartsPerSecond) {
		t.Fatalf("bad local settings: %v", err)
	}
}
