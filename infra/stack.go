package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/fangxian/fangxian/shared/config"
	"github.com/fangxian/fangxian/shared/help"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/metrics"
	"github.com/fangxian/fangxian/shared/sms"
	"github.com/fangxian/fangxian/shared/store"
)

// StackProps configure the Fangxian stack.
type StackProps struct {
	awscdk.StackProps
	// Stage is "prod" for a real deployment; anything else is disposable.
	Stage string
	// Functions is the declaration to deploy, normally manifest.Functions.
	Functions []manifest.Function
	// AssetDir returns the folder holding the bootstrap binary of a function,
	// relative to the working directory of the synth.
	AssetDir func(function string) string
	// Settings are the stage's choices from the CDK context.
	Settings Settings
	// ConsoleDir is the console's build to serve (empty: no console).
	ConsoleDir string
}

// Settings come from the CDK context (cdk.json or -c key=value).
type Settings struct {
	// Partition is "aws" (global regions) or "aws-cn" (Beijing, Ningxia).
	Partition string
	// SMSProvider is manifest.SMSPinpoint (AWS End User Messaging, global
	// regions only) or manifest.SMSTencent (Tencent Cloud SMS).
	SMSProvider string
	// SMSSignature is the 【signature】 registered with the provider.
	SMSSignature string
	// TencentSMSAppID and TencentSMSRegion name Tencent Cloud's SMS
	// application; SMSTemplateIDs map catalogue templates to its approved
	// template ids (JSON).
	TencentSMSAppID  string
	TencentSMSRegion string
	SMSTemplateIDs   string
	// Domain puts the API on a domain of the operator's (WeChat calls only
	// listed domains; in China only an ICP-filed one is reachable).
	Domain Domain
	// Web is the console's and the API's one domain, on CloudFront.
	Web WebDomain
	// SMSOriginationIdentity is the phone number, sender id or pool to send
	// from, as an ARN to scope the permission to it.
	SMSOriginationIdentity string
	// SMSConfigurationSet names the configuration set for delivery events.
	SMSConfigurationSet string
	// WeChatAppID is the mini-program's app id; empty turns WeChat sign-in off.
	WeChatAppID string
	// SMSPartsPerSecond paces the dispatch function (about 10 by default for
	// an origination identity).
	SMSPartsPerSecond string
	// AlarmEmail, when set, is subscribed to the alarm topic.
	AlarmEmail string
	// FunctionSettings are the values of functions' declared settings, by
	// environment variable name (e.g. OTP_LIMIT_PER_HOUR).
	FunctionSettings map[string]string
}

// Domain is the API's custom domain: a name with an ACM certificate's ARN,
// or a Route 53 hosted zone in which a certificate is issued and the
// record made.
type Domain struct {
	Name           string
	CertificateArn string
	HostedZoneID   string
	HostedZoneName string
}

// Check refuses settings that cannot deploy: AWS's SMS in the China
// partition, an unknown provider, a domain without a certificate, template
// ids that name no template.
func (s Settings) Check() error {
	switch s.Partition {
	case "", "aws", "aws-cn":
	default:
		return fmt.Errorf("partition %q: aws or aws-cn", s.Partition)
	}
	switch s.SMSProvider {
	case manifest.SMSPinpoint:
		if s.Partition == "aws-cn" {
			return fmt.Errorf("AWS End User Messaging SMS is not offered in the China regions: use -c smsProvider=%s", manifest.SMSTencent)
		}
	case manifest.SMSTencent:
	default:
		return fmt.Errorf("smsProvider %q: %s or %s", s.SMSProvider, manifest.SMSPinpoint, manifest.SMSTencent)
	}
	if _, err := sms.ParseTemplateIDs(s.SMSTemplateIDs); err != nil {
		return err
	}
	if err := sms.CheckSignature(s.SMSSignature); err != nil {
		return err
	}
	d := s.Domain
	if d.Name != "" && d.CertificateArn == "" && (d.HostedZoneID == "" || d.HostedZoneName == "") {
		return fmt.Errorf("domainName %q needs certificateArn, or hostedZoneId and hostedZoneName to issue one", d.Name)
	}
	if d.Name == "" && (d.CertificateArn != "" || d.HostedZoneID != "") {
		return fmt.Errorf("a certificate or hosted zone without domainName")
	}
	return s.Web.check(s.Partition)
}

// check refuses a stack that would run unwatched: production's alarms must
// reach someone.
func (p *StackProps) check() error {
	if p.prodLike() && p.Settings.AlarmEmail == "" {
		return fmt.Errorf("stage %s needs -c alarmEmail=… (its alarms would reach nobody); AWS then emails that address a link to confirm the subscription, which someone must click", p.Stage)
	}
	return nil
}

// prodLike says whether the stage keeps its data when the stack goes.
func (p *StackProps) prodLike() bool { return p.Stage == "prod" }

// NewStack defines the whole backend: the table, one Lambda per function, the
// HTTP API with the manifest's routes, and the functions' event triggers.
func NewStack(scope constructs.Construct, id string, props *StackProps) awscdk.Stack {
	if err := props.check(); err != nil {
		panic(err)
	}
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	awscdk.Tags_Of(stack).Add(jsii.String("project"), jsii.String("fangxian"), nil)
	awscdk.Tags_Of(stack).Add(jsii.String("stage"), jsii.String(props.Stage), nil)

	removal := awscdk.RemovalPolicy_DESTROY
	retention := awslogs.RetentionDays_ONE_WEEK
	if props.prodLike() {
		removal = awscdk.RemovalPolicy_RETAIN
		// Long enough to investigate an incident, short enough for PIPL minimisation.
		retention = awslogs.RetentionDays_THREE_MONTHS
	}

	if err := props.Settings.Check(); err != nil {
		panic(err)
	}
	fns := manifest.ForProvider(props.Functions, props.Settings.SMSProvider)
	table := newTable(stack, props.prodLike(), removal)

	accessLogs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: removal,
	})
	apiProps := &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("Fangxian " + props.Stage + " API"),
		CreateDefaultStage: jsii.Bool(true),
	}
	apiURL := newDomain(stack, props.Settings.Domain, apiProps)
	api := awsapigatewayv2.NewHttpApi(stack, jsii.String("Api"), apiProps)
	configureDefaultStage(api, accessLogs)
	if apiURL == nil {
		apiURL = api.ApiEndpoint()
	}
	if missing := sms.MissingTemplateIDs(must(sms.ParseTemplateIDs(props.Settings.SMSTemplateIDs))); props.Settings.SMSProvider == manifest.SMSTencent && len(missing) > 0 {
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("fangxian:templates"), jsii.String(
			"No Tencent Cloud template id for "+strings.Join(missing, ", ")+": those SMS cannot be sent until -c smsTemplateIds='{\"name\":\"id\",…}' names them (go run ./cmd/operator sms-templates lists the texts to register)"), nil)
	}

	alarms := newAlarms(stack, props.Settings.AlarmEmail)
	alarms.watch(stack, "Api5xx", "The API answered 5xx (server errors) 5 times or more in 5 minutes",
		api.MetricServerError(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}), 5)
	newDashboard(stack, props.Stage, api, alarms)

	// Queues first: their URLs are part of the producers' environment,
	// which is checked whole before any function is defined.
	queues := map[string]awssqs.Queue{}
	for _, fn := range fns {
		for _, t := range fn.Triggers {
			if t.Kind == manifest.Queue {
				queues[t.Name] = newQueue(stack, fn, t, alarms)
			}
		}
	}
	var failures awssqs.Queue
	for _, fn := range fns {
		env, err := functionEnv(fn, props, table, queues)
		if err != nil {
			panic(err)
		}
		f := newFunction(stack, fn, props, table, env, retention, removal)
		alarms.watchFunction(stack, fn, f)
		grantSecrets(stack, fn, f, props.Stage)
		if fn.SendsSMS {
			grantSMS(stack, f, props)
		}
		for _, name := range fn.SendsTo {
			queues[name].GrantSendMessages(f)
		}
		if len(fn.Routes) > 0 {
			integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(logicalName(fn.Name)+"Integration"), f, nil)
			for _, r := range fn.Routes {
				api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
					Path:        jsii.String(r.Path),
					Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)},
					Integration: integration,
				})
			}
		}
		for _, t := range fn.Triggers {
			if (t.Kind == manifest.Schedule || t.Kind == manifest.Events) && failures == nil {
				failures = newFailureQueue(stack, alarms)
			}
			topic := addTrigger(stack, fn, f, t, queues, failures)
			if topic != nil {
				awscdk.NewCfnOutput(stack, jsii.String(logicalName(t.Name)+"TopicArn"), &awscdk.CfnOutputProps{
					Value:       topic.TopicArn(),
					Description: jsii.String("The SNS topic of trigger " + t.Name + ": set it as the two-way SMS destination of the origination number"),
				})
			}
		}
	}

	if props.ConsoleDir != "" {
		newWeb(stack, props, props.ConsoleDir, api, removal, retention)
	}
	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Value:       apiURL,
		Description: jsii.String("Base URL of the API: curl $ApiUrl/v1/health"),
	})
	if props.Settings.SMSProvider == manifest.SMSTencent {
		awscdk.NewCfnOutput(stack, jsii.String("SmsCallbackUrls"), &awscdk.CfnOutputProps{
			Value: awscdk.Fn_Join(jsii.String(""), &[]*string{apiURL, jsii.String("/v1/sms/callbacks/SECRET/receipts and …/replies")}),
			Description: jsii.String("Register in Tencent Cloud's SMS console as the status and reply callbacks; SECRET is what " +
				"go run ./cmd/operator rotate-callback-secret prints"),
		})
	}
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Value:       table.TableName(),
		Description: jsii.String("The DynamoDB table, for the operator commands"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{
		Value:       alarms.topic.TopicArn(),
		Description: jsii.String("Every alarm of the stack notifies this topic: subscribe the on-call phone or address"),
	})
	return stack
}

// alarmSet sends every alarm of the stack to one topic.
type alarmSet struct {
	topic  awssns.Topic
	action awscloudwatch.IAlarmAction
}

func newAlarms(stack awscdk.Stack, email string) *alarmSet {
	topic := awssns.NewTopic(stack, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("Fangxian alarms"),
	})
	if email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	return &alarmSet{topic: topic, action: awscloudwatchactions.NewSnsAction(topic)}
}

// watch raises an alarm on the topic when metric reaches threshold in one period.
func (a *alarmSet) watch(stack awscdk.Stack, id, description string, metric awscloudwatch.IMetric, threshold float64) {
	alarm := awscloudwatch.NewAlarm(stack, jsii.String(id+"Alarm"), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(a.action)
	alarm.AddOkAction(a.action)
}

// watchFunction alarms on a function's errors (an unhandled failure, a
// timeout, a crash at init) and throttles (calls Lambda refused).
func (a *alarmSet) watchFunction(stack awscdk.Stack, fn manifest.Function, f awslambda.Function) {
	five := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	name := logicalName(fn.Name)
	a.watch(stack, name+"Errors", fmt.Sprintf("The %s function failed (error, timeout or crash)", fn.Name), f.MetricErrors(five), 1)
	a.watch(stack, name+"Throttles", fmt.Sprintf("Calls of the %s function were throttled", fn.Name), f.MetricThrottles(five), 1)
}

// newFailureQueue keeps the events of scheduled and asynchronous invocations
// that failed after their retries, for an operator to look at and replay.
func newFailureQueue(stack awscdk.Stack, alarms *alarmSet) awssqs.Queue {
	q := awssqs.NewQueue(stack, jsii.String("AsyncFailures"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
	})
	alarms.watch(stack, "AsyncFailures", "A scheduled job failed after its retries (its event is in the AsyncFailures queue)",
		q.MetricApproximateNumberOfMessagesVisible(nil), 1)
	return q
}

func newTable(stack awscdk.Stack, prod bool, removal awscdk.RemovalPolicy) awsdynamodb.Table {
	spec := store.Table
	table := awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(spec.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String(spec.SortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String(spec.TTLAttribute),
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		DeletionProtection:  jsii.Bool(prod),
		RemovalPolicy:       removal,
	})
	for _, ix := range spec.Indexes {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(ix.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
			SortKey:        &awsdynamodb.Attribute{Name: jsii.String(ix.SortKey), Type: awsdynamodb.AttributeType_STRING},
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return table
}

// configureDefaultStage turns on access logs (no source IPs: residents' data
// stays out of logs) and a stage-wide throttle that shields the table from a
// runaway client while leaving room for a whole community booking at once.
func configureDefaultStage(api awsapigatewayv2.HttpApi, logs awslogs.LogGroup) {
	stage := api.DefaultStage().Node().DefaultChild().(awsapigatewayv2.CfnStage)
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format: jsii.String(`{"requestId":"$context.requestId","routeKey":"$context.routeKey","status":"$context.status",` +
			`"latencyMs":"$context.responseLatency","integrationError":"$context.integrationErrorMessage"}`),
	})
	stage.SetDefaultRouteSettings(&awsapigatewayv2.CfnStage_RouteSettingsProperty{
		ThrottlingBurstLimit: jsii.Number(2000),
		ThrottlingRateLimit:  jsii.Number(1000),
	})
}

// functionEnv is the whole environment of fn, checked by the validation
// the function runs at cold start (package config): a stack whose
// functions could not start is refused here, at synth.
func functionEnv(fn manifest.Function, props *StackProps, table awsdynamodb.Table, queues map[string]awssqs.Queue) (map[string]*string, error) {
	s := props.Settings
	env := map[string]*string{
		config.TableName:    table.TableName(),
		config.Stage:        jsii.String(props.Stage),
		config.LogLevel:     jsii.String("info"),
		config.SMSSignature: jsii.String(s.SMSSignature),
	}
	for _, name := range fn.Settings {
		if v := s.FunctionSettings[name]; v != "" {
			env[name] = jsii.String(v)
		}
	}
	for _, secret := range fn.Secrets {
		env[config.SecretVar(secret)] = jsii.String(manifest.ParameterPath(props.Stage, secret))
		if secret == manifest.WeChatSecretParameter {
			env[config.WeChatAppID] = jsii.String(s.WeChatAppID)
			env[config.WeChatBaseURL] = jsii.String(config.DefaultWeChatBaseURL)
		}
	}
	if fn.SendsSMS {
		env[config.SMSProvider] = jsii.String(s.SMSProvider)
		env[config.SMSPartsPerSecond] = jsii.String(s.SMSPartsPerSecond)
		if s.SMSProvider == manifest.SMSTencent {
			env[config.TencentSMSSecretParameter] = jsii.String(manifest.ParameterPath(props.Stage, manifest.TencentSMSSecretParameter))
			env[config.TencentSMSAppID] = jsii.String(s.TencentSMSAppID)
			env[config.TencentSMSRegion] = jsii.String(s.TencentSMSRegion)
			env[config.SMSTemplateIDs] = jsii.String(s.SMSTemplateIDs)
		} else {
			env[config.SMSOriginationIdentity] = jsii.String(s.SMSOriginationIdentity)
			env[config.SMSConfigurationSet] = jsii.String(s.SMSConfigurationSet)
		}
	}
	for _, name := range fn.SendsTo {
		q, ok := queues[name]
		if !ok {
			return nil, fmt.Errorf("function %s sends to queue %q, which no function consumes", fn.Name, name)
		}
		env[config.QueueURL(name)] = q.QueueUrl()
	}
	for _, t := range fn.Triggers {
		if t.Kind == manifest.Queue {
			env[config.QueueMaxConcurrency] = jsii.String(fmt.Sprint(queueConcurrency))
			env[config.QueueMaxReceives] = jsii.String(fmt.Sprint(queueMaxReceives))
		}
	}
	// Lambda sets the region; the check needs to know there will be one.
	get := func(name string) string {
		if name == config.Region {
			return "set-by-lambda"
		}
		if v := env[name]; v != nil {
			return *v
		}
		return ""
	}
	if _, err := config.Load(fn, get); err != nil {
		return nil, fmt.Errorf("synth refused: %w", err)
	}
	return env, nil
}

func newFunction(stack awscdk.Stack, fn manifest.Function, props *StackProps, table awsdynamodb.Table, env map[string]*string,
	retention awslogs.RetentionDays, removal awscdk.RemovalPolicy) awslambda.Function {
	name := logicalName(fn.Name)
	logs := awslogs.NewLogGroup(stack, jsii.String(name+"Logs"), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: removal,
	})
	f := awslambda.NewFunction(stack, jsii.String(name+"Function"), &awslambda.FunctionProps{
		Description:  jsii.String(fn.Description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(props.AssetDir(fn.Name)), nil),
		MemorySize:   jsii.Number(float64(fn.MemoryMB)),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(float64(fn.TimeoutSec))),
		LogGroup:     logs,
		Environment:  &env,
	})
	// What the store's calls need (store.ReadActions, WriteActions), not
	// the CDK's grants, which add Scan and the stream's actions.
	switch fn.Table {
	case manifest.TableRead:
		table.Grant(f, *jsii.Strings(store.ReadActions...)...)
	case manifest.TableReadWrite:
		table.Grant(f, *jsii.Strings(append(slices.Clone(store.ReadActions), store.WriteActions...)...)...)
	}
	return f
}

// grantSecrets lets a function read exactly its own SecureString parameters
// (decrypted with the account's aws/ssm key, whose policy already allows
// it); their names are in its environment (functionEnv).
func grantSecrets(stack awscdk.Stack, fn manifest.Function, f awslambda.Function, stage string) {
	if len(fn.Secrets) > 0 {
		grantParameters(stack, f, stage, fn.Secrets)
	}
}

// grantParameters lets a function read the named parameters of its stage.
func grantParameters(stack awscdk.Stack, f awslambda.Function, stage string, names []string) {
	var arns []*string
	for _, name := range names {
		arns = append(arns, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
			ResourceName: jsii.String(strings.TrimPrefix(manifest.ParameterPath(stage, name), "/")),
		}))
	}
	f.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ssm:GetParameter"),
		Resources: &arns,
	}))
}

// grantSMS lets a function send text messages through the stage's
// provider, and only through it.
func grantSMS(stack awscdk.Stack, f awslambda.Function, props *StackProps) {
	if props.Settings.SMSProvider == manifest.SMSTencent {
		grantParameters(stack, f, props.Stage, []string{manifest.TencentSMSSecretParameter})
		return
	}
	grantPinpoint(stack, f, props.Settings)
}

// grantPinpoint lets a function send through AWS End User Messaging SMS.
// SendTextMessage is authorised against the origination identity and, when
// one is named, the configuration set: both must be allowed. The identity
// is scoped to its ARN when given as one; a phone number, sender id or pool
// given by id (or none, the account's default) can only be allowed by type,
// in this account and region.
func grantPinpoint(stack awscdk.Stack, f awslambda.Function, s Settings) {
	var resources []*string
	if strings.HasPrefix(s.SMSOriginationIdentity, "arn:") {
		resources = append(resources, jsii.String(s.SMSOriginationIdentity))
	} else {
		for _, kind := range []string{"phone-number", "sender-id", "pool"} {
			resources = append(resources, stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("sms-voice"), Resource: jsii.String(kind), ResourceName: jsii.String("*"),
			}))
		}
	}
	if s.SMSConfigurationSet != "" {
		resources = append(resources, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("sms-voice"), Resource: jsii.String("configuration-set"), ResourceName: jsii.String(s.SMSConfigurationSet),
		}))
	}
	f.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sms-voice:SendTextMessage"),
		Resources: &resources,
	}))
}

// newDomain makes the API's custom domain when one is configured, and
// returns its URL (nil without one). The default execute-api endpoint is
// then turned off: clients reach the API on the domain only.
func newDomain(stack awscdk.Stack, d Domain, apiProps *awsapigatewayv2.HttpApiProps) *string {
	if d.Name == "" {
		return nil
	}
	var cert awscertificatemanager.ICertificate
	var zone awsroute53.IHostedZone
	if d.HostedZoneID != "" {
		zone = awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String(d.HostedZoneID), ZoneName: jsii.String(d.HostedZoneName),
		})
	}
	if d.CertificateArn != "" {
		cert = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Certificate"), jsii.String(d.CertificateArn))
	} else {
		cert = awscertificatemanager.NewCertificate(stack, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
			DomainName: jsii.String(d.Name),
			Validation: awscertificatemanager.CertificateValidation_FromDns(zone),
		})
	}
	dn := awsapigatewayv2.NewDomainName(stack, jsii.String("ApiDomain"), &awsapigatewayv2.DomainNameProps{
		DomainName: jsii.String(d.Name), Certificate: cert,
	})
	apiProps.DefaultDomainMapping = &awsapigatewayv2.DomainMappingOptions{DomainName: dn}
	apiProps.DisableExecuteApiEndpoint = jsii.Bool(true)
	if zone != nil {
		awsroute53.NewARecord(stack, jsii.String("ApiRecord"), &awsroute53.ARecordProps{
			Zone: zone, RecordName: jsii.String(d.Name),
			Target: awsroute53.RecordTarget_FromAlias(awsroute53targets.NewApiGatewayv2DomainProperties(dn.RegionalDomainName(), dn.RegionalHostedZoneId())),
		})
	}
	// Without a hosted zone here, the operator points the name at the
	// domain's target in their own DNS: the default endpoint is off, so
	// until they do, nothing reaches the API.
	awscdk.NewCfnOutput(stack, jsii.String("ApiDomainTarget"), &awscdk.CfnOutputProps{
		Value: dn.RegionalDomainName(),
		Description: jsii.String("Point " + d.Name + " here: a CNAME record (or, in Route 53, an alias A record). " +
			"The certificate must be in this stack's region (a regional API), and cover " + d.Name),
	})
	return jsii.String("https://" + d.Name)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// addTrigger attaches a function to its event source; for a queue it
// returns the queue, for producers to be granted.
func addTrigger(stack awscdk.Stack, fn manifest.Function, f awslambda.Function, t manifest.Trigger, queues map[string]awssqs.Queue, failures awssqs.Queue) awssns.Topic {
	id := logicalName(fn.Name) + logicalName(t.Name)
	switch t.Kind {
	case manifest.Events:
		// As a schedule: asynchronous, retried, then in the failure queue.
		// Receipts and replies are idempotent, so a retry counts nothing twice.
		f.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
			OnFailure:     awslambdadestinations.NewSqsDestination(failures),
			RetryAttempts: jsii.Number(2),
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
		})
		pattern := &awsevents.EventPattern{Source: jsii.Strings(t.Source)}
		if len(t.DetailTypes) > 0 {
			pattern.DetailType = jsii.Strings(t.DetailTypes...)
		}
		awsevents.NewRule(stack, jsii.String(id+"Rule"), &awsevents.RuleProps{
			EventPattern: pattern,
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(f, &awseventstargets.LambdaFunctionProps{
				DeadLetterQueue: failures,
				RetryAttempts:   jsii.Number(4),
				MaxEventAge:     awscdk.Duration_Hours(jsii.Number(6)),
			})},
		})
	case manifest.Schedule:
		// EventBridge invokes asynchronously: Lambda retries a failed run
		// twice, then hands the event to the failure queue; EventBridge
		// itself retries a call Lambda refused, then dead-letters it there
		// too. The jobs are idempotent per day and person, so a retry sends
		// nothing twice.
		f.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
			OnFailure:     awslambdadestinations.NewSqsDestination(failures),
			RetryAttempts: jsii.Number(2),
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(1)),
		})
		awsevents.NewRule(stack, jsii.String(id+"Schedule"), &awsevents.RuleProps{
			Schedule: awsevents.Schedule_Expression(jsii.String(t.Expression)),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(f, &awseventstargets.LambdaFunctionProps{
				DeadLetterQueue: failures,
				RetryAttempts:   jsii.Number(4),
				MaxEventAge:     awscdk.Duration_Hours(jsii.Number(1)),
			})},
		})
	case manifest.Queue:
		batch := t.BatchSize
		if batch == 0 {
			batch = 10
		}
		f.AddEventSource(awslambdaeventsources.NewSqsEventSource(queues[t.Name], &awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(float64(batch)),
			ReportBatchItemFailures: jsii.Bool(true),
			// The fewest Lambda allows: a paced consumer divides its rate by it.
			MaxConcurrency: jsii.Number(queueConcurrency),
		}))
	case manifest.Topic:
		topic := awssns.NewTopic(stack, jsii.String(id+"Topic"), &awssns.TopicProps{EnforceSSL: jsii.Bool(true)})
		if t.Publisher != "" {
			// The service publishes on the account's behalf, for this account only.
			topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(t.Publisher), nil)},
				Actions:    jsii.Strings("sns:Publish"),
				Resources:  jsii.Strings(*topic.TopicArn()),
				Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
			}))
		}
		f.AddEventSource(awslambdaeventsources.NewSnsEventSource(topic, nil))
		return topic
	}
	return nil
}

// newQueue is the queue of a consumer's trigger, with its dead letters.
func newQueue(stack awscdk.Stack, fn manifest.Function, t manifest.Trigger, alarms *alarmSet) awssqs.Queue {
	id := logicalName(fn.Name) + logicalName(t.Name)
	dlq := awssqs.NewQueue(stack, jsii.String(id+"DeadLetters"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
	})
	alarms.watch(stack, id+"DeadLetters", fmt.Sprintf("Messages of %s's %s queue are failing into the dead-letter queue", fn.Name, t.Name),
		dlq.MetricApproximateNumberOfMessagesVisible(nil), 1)
	return awssqs.NewQueue(stack, jsii.String(id+"Queue"), &awssqs.QueueProps{
		// Six times the function's timeout, as Lambda's SQS guidance asks,
		// so a message is not handed out again while it is being worked on.
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(float64(6 * fn.TimeoutSec))),
		// SQS's longest: what waits through an outage of the consumer (its
		// provider down over a weekend) is still sent after it.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		DeadLetterQueue: &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(queueMaxReceives)},
	})
}

// queueMaxReceives is how often a message is handed out before it goes to
// the dead letters; the consumer counts a send failed only on the last.
const queueMaxReceives = 5

// queueConcurrency caps how many instances consume a queue at once (2 is
// Lambda's minimum), so SMS pacing per instance adds up to the account's rate.
const queueConcurrency = 2

// logicalName turns "sms-inbound" into "SmsInbound" for construct ids.
func logicalName(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ' ' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// productMetric is one of the figures the functions write (package metrics).
func productMetric(stage, name, statistic string, dims map[string]string, label string) awscloudwatch.Metric {
	d := map[string]*string{"Stage": jsii.String(stage)}
	for k, v := range dims {
		d[k] = jsii.String(v)
	}
	props := &awscloudwatch.MetricProps{Namespace: jsii.String(metrics.Namespace), MetricName: jsii.String(name),
		DimensionsMap: &d, Statistic: jsii.String(statistic), Period: awscdk.Duration_Minutes(jsii.Number(5))}
	if label != "" {
		// A graph's legend; an alarm's metric has none (a label would
		// turn it into a metric query).
		props.Label = jsii.String(label)
	}
	return awscloudwatch.NewMetric(props)
}

// newDashboard is the stage's one page of how the community is doing:
// bookings, orders, notices, SMS parts by purpose, help response times by
// kind, and the API's errors; a help request past its deadline unclaimed,
// or answered later than an hour, raises an alarm on the alarm topic.
func newDashboard(stack awscdk.Stack, stage string, api awsapigatewayv2.HttpApi, alarms *alarmSet) {
	graph := func(title string, ms ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &ms, Width: jsii.Number(12)})
	}
	var parts []awscloudwatch.IMetric
	seen := map[string]bool{}
	for _, t := range sms.Catalogue() {
		if !seen[t.Purpose] {
			seen[t.Purpose] = true
			parts = append(parts, productMetric(stage, metrics.SMSParts, "Sum", map[string]string{"Purpose": t.Purpose}, t.Purpose))
		}
	}
	var responses []awscloudwatch.IMetric
	for _, k := range help.Kinds {
		responses = append(responses, productMetric(stage, metrics.HelpResponse, "Maximum", map[string]string{"Kind": k}, k))
	}
	five := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
	awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String("Fangxian-" + stage),
		Widgets: &[]*[]awscloudwatch.IWidget{
			{graph("Bookings and check-ins", productMetric(stage, metrics.Bookings, "Sum", nil, "residents booked")),
				graph("Supply orders", productMetric(stage, metrics.Orders, "Sum", nil, "placed"),
					productMetric(stage, metrics.OrdersDelivered, "Sum", nil, "delivered"))},
			{graph("Notices and SMS replies", productMetric(stage, metrics.Notices, "Sum", nil, "notices"),
				productMetric(stage, metrics.InboundSMS, "Sum", nil, "SMS received")),
				graph("SMS parts sent, by purpose", parts...)},
			{graph("Help requests: slowest response (s), by kind", responses...),
				graph("API errors", api.MetricServerError(five), api.MetricClientError(five))},
		},
	})
	// A figure written with a second dimension is also published under
	// Stage alone (EMF's dimension sets): all kinds together.
	alarms.watch(stack, "HelpSlow", "A help request waited an hour or more before staff claimed it",
		productMetric(stage, metrics.HelpResponse, "Maximum", nil, ""), 3600)
	// While it waits, not after: a request past its deadline, unclaimed.
	alarms.watch(stack, "HelpOverdue", "A help request passed its deadline and nobody has claimed it (the job texted more staff)",
		productMetric(stage, metrics.HelpOverdue, "Sum", nil, ""), 1)
}
