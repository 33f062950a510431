// Command infra is the CDK app: `npx cdk synth` and `npx cdk deploy` run it
// (see cdk.json). It builds each function's bootstrap binary for Lambda's
// arm64 runtime first, so deploying needs no other command.
package main

import (
	"context"
	"fmt"
	"os"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/fangxian/fangxian/internal/console"
	"github.com/fangxian/fangxian/shared/manifest"
)

// stagePattern keeps stage names usable in stack names and tags.
var stagePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,15}$`)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)

	stage := contextString(app, "stage", "dev")
	if !stagePattern.MatchString(stage) {
		fail(fmt.Errorf("stage %q: use lowercase letters, digits and dashes, e.g. -c stage=prod", stage))
	}
	if err := manifest.Validate(manifest.Functions); err != nil {
		fail(err)
	}

	partition := contextString(app, "partition", "aws")
	provider := manifest.SMSPinpoint
	region := contextString(app, "region", "")
	if partition == "aws-cn" {
		// AWS offers no SMS in China: a mainland provider sends.
		provider = manifest.SMSTencent
		if region == "" {
			region = "cn-northwest-1"
		}
		if region != "cn-north-1" && region != "cn-northwest-1" {
			fail(fmt.Errorf("region %q is not in the aws-cn partition: cn-north-1 (Beijing) or cn-northwest-1 (Ningxia)", region))
		}
	}
	settings := Settings{
		Partition:        partition,
		SMSProvider:      contextString(app, "smsProvider", provider),
		TencentSMSAppID:  contextString(app, "tencentSmsAppId", ""),
		TencentSMSRegion: contextString(app, "tencentSmsRegion", "ap-guangzhou"),
		SMSTemplateIDs:   contextString(app, "smsTemplateIds", ""),
		Domain: Domain{
			Name:           contextString(app, "domainName", ""),
			CertificateArn: contextString(app, "certificateArn", ""),
			HostedZoneID:   contextString(app, "hostedZoneId", ""),
			HostedZoneName: contextString(app, "hostedZoneName", ""),
		},
		SMSSignature:           contextString(app, "smsSignature", "防线"),
		SMSOriginationIdentity: contextString(app, "smsOriginationIdentity", ""),
		SMSConfigurationSet:    contextString(app, "smsConfigurationSet", ""),
		Web: WebDomain{
			Name:             contextString(app, "webDomainName", ""),
			CertificateArn:   contextString(app, "webCertificateArn", ""),
			IAMCertificateID: contextString(app, "webIamCertificateId", ""),
		},
		WeChatAppID:       contextString(app, "wechatAppId", ""),
		SMSPartsPerSecond: contextString(app, "smsPartsPerSecond", "10"),
		AlarmEmail:        contextString(app, "alarmEmail", ""),
		FunctionSettings: map[string]string{
			"OTP_LIMIT_PER_IP_PER_HOUR":           contextString(app, "otpLimitPerIpPerHour", ""),
			"OTP_LIMIT_PER_STREET_PER_HOUR":       contextString(app, "otpLimitPerStreetPerHour", ""),
			"OTP_LIMIT_PER_HOUR":                  contextString(app, "otpLimitPerHour", ""),
			"TOKEN_FAILURES_PER_IP_PER_HOUR":      contextString(app, "tokenFailuresPerIpPerHour", ""),
			"SIGNUP_LIMIT_PER_IP_PER_HOUR":        contextString(app, "signupLimitPerIpPerHour", ""),
			"SIGNUP_LIMIT_PER_COMMUNITY_PER_HOUR": contextString(app, "signupLimitPerCommunityPerHour", ""),
			"SIGNUP_LIMIT_PER_HOUR":               contextString(app, "signupLimitPerHour", ""),
			"SMS_REPLIES_PER_HOUR":                contextString(app, "smsRepliesPerHour", ""),
		},
	}
	if err := settings.Check(); err != nil {
		fail(err)
	}
	assets, err := buildBootstraps(manifest.ForProvider(manifest.Functions, settings.SMSProvider), ".cache/lambda")
	if err != nil {
		fail(err)
	}
	// The console is built as make run builds it (once per change of its
	// sources) and deployed beside the API.
	web, err := console.Build(context.Background(), ".", os.Stderr)
	if err != nil {
		fail(err)
	}
	// A stack for one region when one is named (always in China, so that its
	// ARNs say aws-cn); otherwise account and region come from the
	// operator's AWS profile at deploy time, and synth needs neither.
	var env *awscdk.Environment
	if region != "" {
		env = &awscdk.Environment{Region: jsii.String(region)}
	}
	// A stack whose functions could not start panics with why (functionEnv).
	defer func() {
		if r := recover(); r != nil {
			fail(fmt.Errorf("%v", r))
		}
	}()
	NewStack(app, "Fangxian-"+stage, &StackProps{
		StackProps: awscdk.StackProps{
			Description: jsii.String("Fangxian (防线) community epidemic-response backend, stage " + stage),
			Env:         env,
		},
		Stage:      stage,
		Functions:  manifest.Functions,
		AssetDir:   func(name string) string { return assets[name] },
		Settings:   settings,
		ConsoleDir: web,
	})
	app.Synth(nil)
}

// contextString reads a string from the CDK context (cdk.json or -c key=value).
func contextString(app awscdk.App, key, def string) string {
	if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
		return v
	}
	return def
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "infra:", err)
	os.Exit(1)
}
