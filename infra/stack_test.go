package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/fangxian/fangxian/internal/console"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/store"
)

// One jsii runtime for the whole package: each restart costs seconds.
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// cdkContext is the context of cdk.json, feature flags included, so these
// tests build the stack exactly as `cdk synth` does.
func cdkContext(t *testing.T, stage string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	cfg.Context["stage"] = stage
	return cfg.Context
}

// triggerManifest exercises every kind of trigger and table access, beyond
// what the real manifest declares today.
var triggerManifest = []manifest.Function{
	{Name: "reader", MemoryMB: 256, TimeoutSec: 10, Table: manifest.TableRead,
		Routes: []manifest.Route{{Method: "GET", Path: "/v1/things/{id}", Op: "getThing"}}},
	{Name: "writer", MemoryMB: 512, TimeoutSec: 20, Table: manifest.TableReadWrite,
		Routes:   []manifest.Route{{Method: "POST", Path: "/v1/things", Op: "addThing"}},
		Triggers: []manifest.Trigger{{Kind: manifest.Queue, Name: "outbox", BatchSize: 5}}},
	{Name: "producer", MemoryMB: 128, TimeoutSec: 5, SendsTo: []string{"outbox"}},
	{Name: "ticker", MemoryMB: 128, TimeoutSec: 60,
		Triggers: []manifest.Trigger{
			{Kind: manifest.Schedule, Name: "reminders", Expression: "rate(5 minutes)"},
			{Kind: manifest.Topic, Name: "inbound-sms"},
		}},
}

type synthKey struct {
	stage string
	set   string
}

var (
	synthMu   sync.Mutex
	templates = map[synthKey]assertions.Template{}
)

// template synthesises (once per stage and function set) and returns the stack's template.
func template(t *testing.T, stage, set string) assertions.Template {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	key := synthKey{stage, set}
	if tpl, ok := templates[key]; ok {
		return tpl
	}
	fns := manifest.Functions
	if set == "triggers" {
		fns = triggerManifest
	}
	assets := t.TempDir()
	for _, f := range fns {
		dir := filepath.Join(assets, f.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("binary of "+f.Name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx := cdkContext(t, stage)
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	settings := Settings{SMSSignature: "防线", SMSPartsPerSecond: "10", SMSProvider: manifest.SMSPinpoint}
	var env *awscdk.Environment
	switch set {
	case "china":
		settings.Partition, settings.SMSProvider = "aws-cn", manifest.SMSTencent
		settings.Web = WebDomain{Name: "fangxian.example.com.cn", IAMCertificateID: "ASCAEXAMPLEIAMCERT"}
		settings.TencentSMSAppID, settings.TencentSMSRegion = "1400006666", "ap-guangzhou"
		settings.SMSTemplateIDs = `{"signin_code":"2001001","notice":"2001002"}`
		env = &awscdk.Environment{Region: jsii.String("cn-northwest-1")}
	case "domain":
		settings.Domain = Domain{Name: "api.fangxian.example.cn", CertificateArn: "arn:aws:acm:ap-east-1:123456789012:certificate/abc"}
	case "web":
		settings.Web = WebDomain{Name: "www.fangxian.example.org", CertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/web"}
	case "domain-zone":
		settings.Domain = Domain{Name: "api.fangxian.example.org", HostedZoneID: "Z0123456789ABCDEFGHIJ", HostedZoneName: "fangxian.example.org"}
	case "sms-by-id":
		settings.SMSOriginationIdentity = "+8610690000"
		settings.SMSConfigurationSet = "fangxian"
	case "sms-by-arn":
		settings.SMSOriginationIdentity = "arn:aws:sms-voice:ap-southeast-1:123456789012:phone-number/phone-abc"
		settings.SMSConfigurationSet = "fangxian"
	case "operator":
		settings.AlarmEmail = "oncall@example.org"
		settings.FunctionSettings = map[string]string{"OTP_LIMIT_PER_HOUR": "500", "TOKEN_FAILURES_PER_IP_PER_HOUR": ""}
	}
	if stage == "prod" && settings.AlarmEmail == "" {
		settings.AlarmEmail = "oncall@example.org" // production's alarms must reach someone
	}
	// A console build: the page and one asset.
	web := t.TempDir()
	if err := os.MkdirAll(filepath.Join(web, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"index.html": "<!doctype html><title>防线</title>", "assets/index-abc.js": "console.log(1)"} {
		if err := os.WriteFile(filepath.Join(web, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stack := NewStack(app, "Test", &StackProps{
		StackProps: awscdk.StackProps{Env: env},
		Stage:      stage,
		Functions:  fns,
		AssetDir:   func(name string) string { return filepath.Join(assets, name) },
		Settings:   settings,
		ConsoleDir: web,
	})
	tpl := assertions.Template_FromStack(stack, nil)
	templates[key] = tpl
	return tpl
}

// pinpointFunctions are the functions the default (global) stage deploys.
var pinpointFunctions = manifest.ForProvider(manifest.Functions, manifest.SMSPinpoint)

// check turns the panic of a failed CDK assertion into a test failure.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s: %v", what, p)
		}
	}()
	assertion()
}

// functions are the stack's own Lambda functions (the bootstraps), by
// logical id: not the CDK's helpers (the console's deployment, the
// bucket's emptying), which run its own runtimes.
func functions(t *testing.T, tpl assertions.Template) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, f := range resources(t, tpl, "AWS::Lambda::Function") {
		if f["Properties"].(map[string]any)["Runtime"] == "provided.al2023" {
			out[id] = f
		}
	}
	return out
}

// resources returns the template's resources of one type, by logical id.
func resources(t *testing.T, tpl assertions.Template, typ string) map[string]map[string]any {
	t.Helper()
	raw := tpl.FindResources(jsii.String(typ), nil)
	out := map[string]map[string]any{}
	for id, r := range *raw {
		out[id] = *r
	}
	return out
}

func TestTable(t *testing.T) {
	cases := []struct {
		stage      string
		policy     string
		protection bool
	}{
		{"dev", "Delete", false},
		{"prod", "Retain", true},
	}
	for _, c := range cases {
		t.Run(c.stage, func(t *testing.T) {
			tpl := template(t, c.stage, "real")
			check(t, "one table", func() { tpl.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1)) })
			check(t, "table properties", func() {
				tpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
					"BillingMode":                      "PAY_PER_REQUEST",
					"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
					"TimeToLiveSpecification":          map[string]any{"AttributeName": store.Table.TTLAttribute, "Enabled": true},
					"DeletionProtectionEnabled":        c.protection,
					"KeySchema": []any{
						map[string]any{"AttributeName": store.Table.PartitionKey, "KeyType": "HASH"},
						map[string]any{"AttributeName": store.Table.SortKey, "KeyType": "RANGE"},
					},
				})
			})
			check(t, "removal policy", func() {
				tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
					"DeletionPolicy": c.policy, "UpdateReplacePolicy": c.policy,
				})
			})
			for _, table := range resources(t, tpl, "AWS::DynamoDB::Table") {
				props := table["Properties"].(map[string]any)
				var names []string
				for _, g := range props["GlobalSecondaryIndexes"].([]any) {
					names = append(names, g.(map[string]any)["IndexName"].(string))
				}
				var want []string
				for _, ix := range store.Table.Indexes {
					want = append(want, ix.Name)
				}
				if !slices.Equal(names, want) {
					t.Errorf("indexes %v, want %v", names, want)
				}
			}
		})
	}
}

func TestFunctionsFollowTheManifest(t *testing.T) {
	tpl := template(t, "dev", "real")
	if n := len(functions(t, tpl)); n != len(pinpointFunctions) {
		t.Errorf("%d Lambdas of ours, want one per function: %d", n, len(pinpointFunctions))
	}
	for _, fn := range pinpointFunctions {
		check(t, fn.Name, func() {
			tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"MemorySize":    fn.MemoryMB,
				"Timeout":       fn.TimeoutSec,
				"Description":   fn.Description,
				"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
					"TABLE_NAME": assertions.Match_AnyValue(),
					"STAGE":      "dev",
				})},
			})
		})
	}
}

func TestRoutesAreExactlyTheManifests(t *testing.T) {
	tpl := template(t, "dev", "real")
	var got []string
	for _, r := range resources(t, tpl, "AWS::ApiGatewayV2::Route") {
		got = append(got, r["Properties"].(map[string]any)["RouteKey"].(string))
	}
	var want []string
	for _, r := range manifest.Routes(pinpointFunctions) {
		want = append(want, r.Pattern())
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("routes %v, want %v", got, want)
	}
	// The $default stage keeps paths free of a stage prefix, as the handlers expect.
	check(t, "default stage", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"StageName":            "$default",
			"AutoDeploy":           true,
			"AccessLogSettings":    assertions.Match_ObjectLike(&map[string]any{"DestinationArn": assertions.Match_AnyValue()}),
			"DefaultRouteSettings": assertions.Match_ObjectLike(&map[string]any{"ThrottlingRateLimit": 1000}),
		})
	})
}

func TestLogRetention(t *testing.T) {
	for stage, days := range map[string]float64{"dev": 7, "prod": 90} {
		tpl := template(t, stage, "real")
		groups := resources(t, tpl, "AWS::Logs::LogGroup")
		if want := len(pinpointFunctions) + 2; len(groups) != want {
			t.Errorf("%s: %d log groups, want %d (one per function, the API's and the console deployment's)", stage, len(groups), want)
		}
		for id, g := range groups {
			if got := g["Properties"].(map[string]any)["RetentionInDays"]; got != days {
				t.Errorf("%s: log group %s keeps %v days, want %v", stage, id, got, days)
			}
		}
	}
}

// tableActions returns, per function logical-id prefix, the DynamoDB actions
// its role's policies allow.
func tableActions(t *testing.T, tpl assertions.Template) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for fn, actions := range policyActions(t, tpl) {
		for a := range actions {
			if strings.HasPrefix(a, "dynamodb:") {
				out[fn] = append(out[fn], a)
			}
		}
	}
	return out
}

func TestTableGrantsAreLeastPrivilege(t *testing.T) {
	tpl := template(t, "dev", "triggers")
	actions := tableActions(t, tpl)
	writes := []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
	for _, a := range actions["Reader"] {
		if slices.Contains(writes, a) || strings.Contains(a, "*") {
			t.Errorf("the read-only function may %s", a)
		}
	}
	if !slices.Contains(actions["Reader"], "dynamodb:GetItem") {
		t.Errorf("the read-only function may not GetItem: %v", actions["Reader"])
	}
	for _, w := range writes {
		if !slices.Contains(actions["Writer"], w) {
			t.Errorf("the read-write function may not %s: %v", w, actions["Writer"])
		}
	}
	if len(actions["Ticker"]) != 0 {
		t.Errorf("a function without table access may %v", actions["Ticker"])
	}
	// Nothing the code does not call: no Scan, no stream.
	for fn, list := range actions {
		for _, a := range list {
			if !slices.Contains(store.ReadActions, a) && !slices.Contains(store.WriteActions, a) {
				t.Errorf("%s may %s, which no code calls", fn, a)
			}
		}
	}
}

func TestTriggers(t *testing.T) {
	tpl := template(t, "dev", "triggers")
	check(t, "schedule", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": "rate(5 minutes)", "State": "ENABLED",
		})
	})
	check(t, "queue event source", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"BatchSize":             5,
			"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
			"ScalingConfig":         map[string]any{"MaximumConcurrency": 2},
		})
	})
	check(t, "queue and dead letters", func() {
		// The queue, its dead letters, and the failure queue of scheduled jobs.
		tpl.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(3))
		tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"VisibilityTimeout": 120,
			"RedrivePolicy":     assertions.Match_ObjectLike(&map[string]any{"maxReceiveCount": 5}),
		})
	})
	check(t, "dead-letter alarm", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"MetricName": "ApproximateNumberOfMessagesVisible", "Threshold": 1,
		})
	})
	check(t, "topic subscription", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{"Protocol": "lambda"})
	})
}

func TestLogicalName(t *testing.T) {
	cases := map[string]string{"system": "System", "sms-inbound": "SmsInbound", "a_b c": "ABC"}
	for in, want := range cases {
		if got := logicalName(in); got != want {
			t.Errorf("logicalName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStagePattern(t *testing.T) {
	for stage, ok := range map[string]bool{"dev": true, "prod": true, "lanzhou-2": true, "Prod": false, "": false, "a b": false, strings.Repeat("a", 17): false} {
		if got := stagePattern.MatchString(stage); got != ok {
			t.Errorf("stage %q accepted = %v, want %v", stage, got, ok)
		}
	}
}

// policyActions returns, per function logical-id prefix, every action its
// role's policies allow, with the resources of each.
func policyActions(t *testing.T, tpl assertions.Template) map[string]map[string][]any {
	t.Helper()
	roleOfFunction := map[string]string{}
	for id, f := range functions(t, tpl) {
		role := f["Properties"].(map[string]any)["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		roleOfFunction[role] = id[:strings.Index(id, "Function")]
	}
	out := map[string]map[string][]any{}
	for _, p := range resources(t, tpl, "AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		for _, role := range props["Roles"].([]any) {
			fn, ok := roleOfFunction[role.(map[string]any)["Ref"].(string)]
			if !ok {
				continue
			}
			if out[fn] == nil {
				out[fn] = map[string][]any{}
			}
			for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				stmt := st.(map[string]any)
				list, ok := stmt["Action"].([]any)
				if !ok {
					list = []any{stmt["Action"]}
				}
				res, ok := stmt["Resource"].([]any)
				if !ok {
					res = []any{stmt["Resource"]}
				}
				for _, a := range list {
					out[fn][a.(string)] = append(out[fn][a.(string)], res...)
				}
			}
		}
	}
	return out
}

func TestSecretsAndSMSAreGrantedOnlyWhereDeclared(t *testing.T) {
	tpl := template(t, "prod", "real")
	actions := policyActions(t, tpl)
	for _, fn := range pinpointFunctions {
		got := actions[logicalName(fn.Name)]
		params, hasSSM := got["ssm:GetParameter"]
		if hasSSM != (len(fn.Secrets) > 0) {
			t.Errorf("%s: ssm:GetParameter granted = %v, declares secrets %v", fn.Name, hasSSM, fn.Secrets)
		}
		if len(params) != len(fn.Secrets) {
			t.Errorf("%s: may read %d parameters, declares %d", fn.Name, len(params), len(fn.Secrets))
		}
		for _, p := range params {
			raw, _ := json.Marshal(p)
			if !strings.Contains(string(raw), "parameter/fangxian/prod/") {
				t.Errorf("%s: may read parameter %s outside /fangxian/prod/", fn.Name, raw)
			}
		}
		if _, sms := got["sms-voice:SendTextMessage"]; sms != fn.SendsSMS {
			t.Errorf("%s: may send SMS = %v, declares %v", fn.Name, sms, fn.SendsSMS)
		}
		for a := range got {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %s", fn.Name, a)
			}
		}
	}
}

// TestOnlyAuthReadsThePrivateKey: verifiers read the published public keys
// from the table (so a rotation needs no redeploy); no function has a key in
// its environment, and only auth may read the private key's parameter.
func TestOnlyAuthReadsThePrivateKey(t *testing.T) {
	tpl := template(t, "dev", "real")
	for id, f := range functions(t, tpl) {
		vars := f["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
		name := id[:strings.Index(id, "Function")]
		var fn manifest.Function
		for _, m := range manifest.Functions {
			if logicalName(m.Name) == name {
				fn = m
			}
		}
		for k := range vars {
			if strings.Contains(k, "PUBLIC_KEY") || strings.Contains(k, "PRIVATE_KEY") && !strings.HasSuffix(k, "_PARAMETER") {
				t.Errorf("%s: a key in the environment (%s)", name, k)
			}
		}
		if _, has := vars["JWT_PRIVATE_KEY_PARAMETER"]; has != slices.Contains(fn.Secrets, manifest.JWTPrivateKeyParameter) {
			t.Errorf("%s: JWT_PRIVATE_KEY_PARAMETER present = %v", name, has)
		}
		if fn.Authenticates() && fn.Table == manifest.TableNone {
			t.Errorf("%s checks tokens but cannot read the published keys in the table", name)
		}
	}
}

// TestHTTPFunctionsAnswerBeforeTheGatewayGivesUp: an HTTP API cuts every
// request at 30 s; a function serving routes must time out before.
func TestHTTPFunctionsAnswerBeforeTheGatewayGivesUp(t *testing.T) {
	tpl := template(t, "dev", "real")
	for id, f := range functions(t, tpl) {
		name := id[:strings.Index(id, "Function")]
		for _, m := range manifest.Functions {
			if logicalName(m.Name) != name || len(m.Routes) == 0 {
				continue
			}
			if got := f["Properties"].(map[string]any)["Timeout"].(float64); got >= 29 {
				t.Errorf("%s serves HTTP with a %v s timeout", m.Name, got)
			}
		}
	}
	bad := []manifest.Function{{Name: "slow", MemoryMB: 128, TimeoutSec: 60, Routes: []manifest.Route{{Method: "GET", Path: "/v1/x", Op: "x"}}}}
	if err := manifest.Validate(bad); err == nil {
		t.Error("the manifest accepts an HTTP function with a 60 s timeout")
	}
}

// TestScheduledJobsEndInTheFailureQueue: an EventBridge run that fails after
// Lambda's retries, or that Lambda refuses, leaves its event in a queue that
// alarms, instead of vanishing.
func TestScheduledJobsEndInTheFailureQueue(t *testing.T) {
	tpl := template(t, "dev", "real")
	var scheduled []string
	for _, fn := range pinpointFunctions {
		for _, tr := range fn.Triggers {
			if tr.Kind == manifest.Schedule || tr.Kind == manifest.Events {
				scheduled = append(scheduled, fn.Name)
			}
		}
	}
	configs := resources(t, tpl, "AWS::Lambda::EventInvokeConfig")
	if len(configs) != len(scheduled) {
		t.Fatalf("%d async invoke configs for %d scheduled functions", len(configs), len(scheduled))
	}
	for id, c := range configs {
		props := c["Properties"].(map[string]any)
		dest, _ := json.Marshal(props["DestinationConfig"])
		if !strings.Contains(string(dest), "AsyncFailures") || props["MaximumRetryAttempts"] != float64(2) {
			t.Errorf("%s: %v", id, props)
		}
	}
	for id, r := range resources(t, tpl, "AWS::Events::Rule") {
		for _, target := range r["Properties"].(map[string]any)["Targets"].([]any) {
			tg := target.(map[string]any)
			dlq, _ := json.Marshal(tg["DeadLetterConfig"])
			if !strings.Contains(string(dlq), "AsyncFailures") || tg["RetryPolicy"] == nil {
				t.Errorf("rule %s target %v has no dead-letter queue and retry policy", id, tg)
			}
		}
	}
}

// TestAlarmsReachSomeone: every alarm notifies the alarm topic, and there is
// one for each function's errors and throttles, the API's 5xx, failed
// scheduled jobs and dead letters.
func TestAlarmsReachSomeone(t *testing.T) {
	tpl := template(t, "prod", "operator")
	topics := resources(t, tpl, "AWS::SNS::Topic")
	var topicID string
	for id := range topics {
		if strings.HasPrefix(id, "Alarms") {
			topicID = id
		}
	}
	if topicID == "" {
		t.Fatal("no alarm topic")
	}
	alarms := resources(t, tpl, "AWS::CloudWatch::Alarm")
	metrics := map[string]int{}
	for id, a := range alarms {
		props := a["Properties"].(map[string]any)
		actions, _ := json.Marshal(props["AlarmActions"])
		if !strings.Contains(string(actions), topicID) {
			t.Errorf("alarm %s notifies nobody: %s", id, actions)
		}
		metrics[props["MetricName"].(string)]++
	}
	n := len(pinpointFunctions)
	if metrics["Errors"] != n || metrics["Throttles"] != n || metrics["5xx"] != 1 || metrics["ApproximateNumberOfMessagesVisible"] < 2 {
		t.Errorf("alarms by metric %v", metrics)
	}
	check(t, "e-mail subscription", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{"Protocol": "email", "Endpoint": "oncall@example.org"})
	})
	check(t, "an operator's setting reaches its function", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{"OTP_LIMIT_PER_HOUR": "500"})},
		})
	})
	for id, f := range functions(t, tpl) {
		vars := f["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
		if _, set := vars["TOKEN_FAILURES_PER_IP_PER_HOUR"]; set {
			t.Errorf("%s: an unset setting is in the environment", id)
		}
		if _, set := vars["OTP_LIMIT_PER_HOUR"]; set != strings.HasPrefix(id, "Auth") {
			t.Errorf("%s: OTP_LIMIT_PER_HOUR present = %v", id, set)
		}
	}
}

// TestSMSSendingIsAllowedOnBothResources: SendTextMessage is authorised
// against the origination identity and the configuration set.
func TestSMSSendingIsAllowedOnBothResources(t *testing.T) {
	for set, want := range map[string][]string{
		"sms-by-id":  {"phone-number/*", "sender-id/*", "pool/*", "configuration-set/fangxian"},
		"sms-by-arn": {"phone-number/phone-abc", "configuration-set/fangxian"},
		"real":       {"phone-number/*", "sender-id/*", "pool/*"},
	} {
		tpl := template(t, "dev", set)
		for fn, actions := range policyActions(t, tpl) {
			res, ok := actions["sms-voice:SendTextMessage"]
			if !ok {
				continue
			}
			raw, _ := json.Marshal(res)
			for _, w := range want {
				if !strings.Contains(string(raw), w) {
					t.Errorf("%s, %s: may not send from %s: %s", set, fn, w, raw)
				}
			}
			if set == "sms-by-arn" && strings.Contains(string(raw), "/*") {
				t.Errorf("%s: a wildcard identity although an ARN is given: %s", fn, raw)
			}
		}
	}
}

func TestQueueProducersGetTheURLAndSendRights(t *testing.T) {
	tpl := template(t, "dev", "triggers")
	actions := policyActions(t, tpl)
	if _, ok := actions["Producer"]["sqs:SendMessage"]; !ok {
		t.Errorf("the producer may not send: %v", actions["Producer"])
	}
	if _, ok := actions["Reader"]["sqs:SendMessage"]; ok {
		t.Error("a function that declares no queue may send")
	}
	for id, f := range functions(t, tpl) {
		vars, _ := f["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
		_, has := vars["QUEUE_URL_OUTBOX"]
		if has != strings.HasPrefix(id, "Producer") {
			t.Errorf("%s: QUEUE_URL_OUTBOX present = %v", id, has)
		}
	}
}

// templateEnv is the environment of each function, by logical name.
func templateEnv(t *testing.T, tpl assertions.Template) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, f := range functions(t, tpl) {
		vars, _ := f["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
		out[id[:strings.Index(id, "Function")]] = vars
	}
	return out
}

// TestChinaPartition: the stack for the China regions names aws-cn in every
// ARN it spells out, sends SMS through Tencent Cloud with no End User
// Messaging permission anywhere, lets only the sending functions read
// Tencent Cloud's key, and serves the provider's callbacks.
func TestChinaPartition(t *testing.T) {
	tpl := template(t, "prod", "china")
	raw, _ := json.Marshal(tpl.ToJSON())
	body := string(raw)
	for _, arn := range regexp.MustCompile(`arn:[a-z-]*:`).FindAllString(body, -1) {
		if arn != "arn:aws-cn:" {
			t.Errorf("an ARN outside aws-cn: %s", arn)
		}
	}
	if !strings.Contains(body, "arn:aws-cn:ssm:cn-northwest-1:") {
		t.Error("no parameter ARN in the China partition")
	}
	if strings.Contains(body, "sms-voice") {
		t.Error("the China stack mentions AWS End User Messaging (sms-voice)")
	}
	actions := policyActions(t, tpl)
	env := templateEnv(t, tpl)
	deployed := manifest.ForProvider(manifest.Functions, manifest.SMSTencent)
	if len(env) != len(deployed) {
		t.Errorf("%d functions, want %d", len(env), len(deployed))
	}
	for _, fn := range deployed {
		name := logicalName(fn.Name)
		params, _ := json.Marshal(actions[name]["ssm:GetParameter"])
		readsKey := strings.Contains(string(params), manifest.TencentSMSSecretParameter)
		if readsKey != fn.SendsSMS {
			t.Errorf("%s: may read Tencent Cloud's key = %v, sends SMS = %v", fn.Name, readsKey, fn.SendsSMS)
		}
		if fn.SendsSMS {
			vars := env[name]
			if vars["SMS_PROVIDER"] != manifest.SMSTencent || vars["TENCENT_SMS_APP_ID"] != "1400006666" ||
				vars["TENCENT_SMS_SECRET_PARAMETER"] != "/fangxian/prod/"+manifest.TencentSMSSecretParameter || vars["SMS_TEMPLATE_IDS"] == "" {
				t.Errorf("%s: environment %v", fn.Name, vars)
			}
		}
	}
	if _, ok := env["Inbound"]; !ok {
		t.Error("no callback function")
	}
	if _, ok := env["Smsevents"]; ok {
		t.Error("the End User Messaging events function is deployed in China")
	}
	check(t, "callback routes", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Route"), map[string]any{"RouteKey": "POST /v1/sms/callbacks/{secret}/receipts"})
	})
	check(t, "callback output", func() { tpl.HasOutput(jsii.String("SmsCallbackUrls"), map[string]any{}) })
}

// TestPinpointStage: in the global regions replies come by an SNS topic that
// only End User Messaging (of this account) may publish to, and delivery
// events by an EventBridge rule; there are no Tencent Cloud callbacks.
func TestPinpointStage(t *testing.T) {
	tpl := template(t, "dev", "real")
	env := templateEnv(t, tpl)
	if _, ok := env["Inbound"]; ok {
		t.Error("Tencent Cloud's callback function is deployed with End User Messaging")
	}
	if _, ok := env["Smsevents"]; !ok {
		t.Fatal("no function for End User Messaging's events")
	}
	check(t, "delivery events rule", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"EventPattern": map[string]any{"source": []any{"aws.sms-voice"}, "detail-type": []any{"Text Message Delivery Status Updated"}},
		})
	})
	check(t, "topic policy", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), map[string]any{
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Principal": map[string]any{"Service": "sms-voice.amazonaws.com"}, "Action": "sns:Publish"}),
			})}),
		})
	})
	check(t, "topic output", func() { tpl.HasOutput(jsii.String("SmsInboundTopicArn"), map[string]any{}) })
	for name, vars := range env {
		if vars["SMS_SIGNATURE"] != "防线" {
			t.Errorf("%s: SMS_SIGNATURE %v", name, vars["SMS_SIGNATURE"])
		}
	}
}

func TestCustomDomain(t *testing.T) {
	tpl := template(t, "prod", "domain")
	check(t, "domain name", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::DomainName"), map[string]any{
			"DomainName": "api.fangxian.example.cn",
			"DomainNameConfigurations": []any{assertions.Match_ObjectLike(&map[string]any{
				"CertificateArn": "arn:aws:acm:ap-east-1:123456789012:certificate/abc"})},
		})
	})
	check(t, "mapping", func() { tpl.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::ApiMapping"), jsii.Number(1)) })
	check(t, "only the domain", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Api"), map[string]any{"DisableExecuteApiEndpoint": true})
	})
	check(t, "url", func() {
		tpl.HasOutput(jsii.String("ApiUrl"), map[string]any{"Value": "https://api.fangxian.example.cn"})
	})
	zone := template(t, "prod", "domain-zone")
	check(t, "certificate issued in the zone", func() {
		zone.HasResourceProperties(jsii.String("AWS::CertificateManager::Certificate"), map[string]any{
			"DomainName": "api.fangxian.example.org", "ValidationMethod": "DNS",
		})
	})
	check(t, "alias record", func() {
		zone.HasResourceProperties(jsii.String("AWS::Route53::RecordSet"), map[string]any{
			"Name": "api.fangxian.example.org.", "Type": "A", "HostedZoneId": "Z0123456789ABCDEFGHIJ",
		})
	})
	check(t, "the DNS target, for a zone elsewhere", func() {
		tpl.HasOutput(jsii.String("ApiDomainTarget"), map[string]any{
			"Value":       assertions.Match_ObjectLike(&map[string]any{"Fn::GetAtt": assertions.Match_AnyValue()}),
			"Description": assertions.Match_StringLikeRegexp(jsii.String("CNAME.*region")),
		})
	})
	plain := template(t, "prod", "real")
	check(t, "no domain by default", func() { plain.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::DomainName"), jsii.Number(0)) })
}

// TestTheConsoleAndTheAPIShareOneDomain: the console's files in a private
// bucket only CloudFront reads (OAC; an OAI in China), the API under /v1/*
// on the same distribution with nothing cached, the page under a CSP of
// the same origin; the operator's domain on it (China's with its IAM
// certificate).
func TestTheConsoleAndTheAPIShareOneDomain(t *testing.T) {
	tpl := template(t, "prod", "web")
	check(t, "a private bucket", func() {
		tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
		})
	})
	check(t, "origin access control", func() {
		tpl.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(1))
	})
	check(t, "the distribution: its domain, the API under /v1/*, the console at its root", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"Aliases":           []any{"www.fangxian.example.org"},
				"DefaultRootObject": "console/index.html",
				"ViewerCertificate": assertions.Match_ObjectLike(&map[string]any{"AcmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/web"}),
				"CacheBehaviors": []any{assertions.Match_ObjectLike(&map[string]any{
					"PathPattern": "/v1/*", "ViewerProtocolPolicy": "https-only",
					"AllowedMethods": assertions.Match_ArrayWith(&[]any{"PATCH", "POST", "DELETE"}),
					// Managed CachingDisabled: nothing of the API is cached.
					"CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
				})},
			}),
		})
	})
	check(t, "the CSP", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudFront::ResponseHeadersPolicy"), map[string]any{
			"ResponseHeadersPolicyConfig": assertions.Match_ObjectLike(&map[string]any{
				"SecurityHeadersConfig": assertions.Match_ObjectLike(&map[string]any{
					"ContentSecurityPolicy": map[string]any{"ContentSecurityPolicy": console.CSP, "Override": true},
				}),
			}),
		})
	})
	check(t, "the files deployed under console/", func() {
		tpl.HasResourceProperties(jsii.String("Custom::CDKBucketDeployment"), map[string]any{"DestinationBucketKeyPrefix": "console/"})
	})
	check(t, "the console's URL", func() {
		tpl.HasOutput(jsii.String("ConsoleUrl"), map[string]any{"Value": "https://www.fangxian.example.org"})
	})

	china := template(t, "prod", "china")
	check(t, "China: an origin access identity, not OAC", func() {
		china.ResourceCountIs(jsii.String("AWS::CloudFront::CloudFrontOriginAccessIdentity"), jsii.Number(1))
		china.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(0))
	})
	check(t, "China: the ICP-filed domain with its IAM certificate", func() {
		china.HasResourceProperties(jsii.String("AWS::CloudFront::Distribution"), map[string]any{
			"DistributionConfig": assertions.Match_ObjectLike(&map[string]any{
				"Aliases":           []any{"fangxian.example.com.cn"},
				"ViewerCertificate": map[string]any{"IamCertificateId": "ASCAEXAMPLEIAMCERT", "SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
			}),
		})
	})
}

// TestProductionWithoutAlarmSubscriberIsRefused: a prod stack whose alarms
// would reach nobody does not synthesise.
func TestProductionWithoutAlarmSubscriberIsRefused(t *testing.T) {
	ctx := cdkContext(t, "prod")
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	defer func() {
		if msg := fmt.Sprint(recover()); !strings.Contains(msg, "alarmEmail") || !strings.Contains(msg, "confirm") {
			t.Fatalf("a prod stack without an alarm subscriber: %s", msg)
		}
	}()
	NewStack(app, "Test", &StackProps{Stage: "prod", Functions: manifest.Functions, AssetDir: func(string) string { return t.TempDir() },
		Settings: Settings{SMSProvider: manifest.SMSPinpoint, SMSSignature: "防线", SMSPartsPerSecond: "10"}})
}

func TestSettingsThatCannotDeploy(t *testing.T) {
	good := Settings{SMSProvider: manifest.SMSPinpoint, SMSSignature: "防线"}
	cases := map[string]func(s *Settings){
		"End User Messaging in China": func(s *Settings) { s.Partition = "aws-cn" },
		"an unknown provider":         func(s *Settings) { s.SMSProvider = "carrier-pigeon" },
		"an unknown partition":        func(s *Settings) { s.Partition = "aws-us-gov-moon" },
		"a template id for no template": func(s *Settings) {
			s.SMSProvider, s.SMSTemplateIDs = manifest.SMSTencent, `{"signin_kode":"1"}`
		},
		"template ids that are not JSON":     func(s *Settings) { s.SMSTemplateIDs = `signin_code=1` },
		"a domain without a certificate":     func(s *Settings) { s.Domain = Domain{Name: "api.example.cn"} },
		"a certificate without a domain":     func(s *Settings) { s.Domain = Domain{CertificateArn: "arn:aws:acm:x"} },
		"a bracketed signature":              func(s *Settings) { s.SMSSignature = "防[线]" },
		"a web domain without a certificate": func(s *Settings) { s.Web = WebDomain{Name: "www.example.org"} },
		"a web certificate outside us-east-1": func(s *Settings) {
			s.Web = WebDomain{Name: "www.example.org", CertificateArn: "arn:aws:acm:ap-east-1:123456789012:certificate/x"}
		},
		"an IAM certificate outside China": func(s *Settings) { s.Web = WebDomain{Name: "www.example.org", IAMCertificateID: "ASCA1"} },
		"China without its ICP-filed domain": func(s *Settings) {
			s.Partition, s.SMSProvider = "aws-cn", manifest.SMSTencent
		},
		"China with an ACM certificate": func(s *Settings) {
			s.Partition, s.SMSProvider = "aws-cn", manifest.SMSTencent
			s.Web = WebDomain{Name: "fangxian.example.com.cn", IAMCertificateID: "ASCA1", CertificateArn: "arn:aws-cn:acm:cn-north-1:1:certificate/x"}
		},
	}
	if err := good.Check(); err != nil {
		t.Fatalf("good settings: %v", err)
	}
	for name, change := range cases {
		s := good
		change(&s)
		if err := s.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	china := good
	china.Partition, china.SMSProvider = "aws-cn", manifest.SMSTencent
	china.Web = WebDomain{Name: "fangxian.example.com.cn", IAMCertificateID: "ASCA1"}
	if err := china.Check(); err != nil {
		t.Errorf("China with Tencent Cloud: %v", err)
	}
}

// TestHelpEscalatesEveryMinute: a childbirth request's deadline is minutes,
// so the escalation job runs every minute, into the failure queue like
// every scheduled job.
func TestHelpEscalatesEveryMinute(t *testing.T) {
	tpl := template(t, "dev", "real")
	check(t, "the jobs of every minute", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": "rate(1 minute)", "State": "ENABLED",
		})
	})
}

// TestDashboardAndProductAlarm: one dashboard shows the product's figures
// the functions write (bookings, orders, notices, SMS parts by purpose,
// help response by kind), and slow help raises an alarm.
func TestDashboardAndProductAlarm(t *testing.T) {
	tpl := template(t, "dev", "real")
	check(t, "one dashboard", func() {
		tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
	})
	body, _ := json.Marshal(resources(t, tpl, "AWS::CloudWatch::Dashboard"))
	for _, want := range []string{"Bookings", "Orders", "Notices", "SMSParts", "HelpResponseSeconds", "childbirth", "booking"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
	check(t, "slow help alarm", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace": "Fangxian", "MetricName": "HelpResponseSeconds", "Threshold": 3600, "Statistic": "Maximum",
		})
	})
}

// TestStackWhoseFunctionsCannotStartIsRefused: the check every function
// runs at cold start runs at synth over each function's environment: a
// China stack without Tencent Cloud's SMS application (whose senders would
// all die at init) is refused, naming what is missing.
func TestStackWhoseFunctionsCannotStartIsRefused(t *testing.T) {
	ctx := cdkContext(t, "prod")
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	settings := Settings{Partition: "aws-cn", SMSProvider: manifest.SMSTencent, SMSSignature: "防线", SMSPartsPerSecond: "10",
		TencentSMSRegion: "ap-guangzhou", AlarmEmail: "oncall@example.org",
		Web: WebDomain{Name: "fangxian.example.com.cn", IAMCertificateID: "ASCAEXAMPLEIAMCERT"}}
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("a China stack without its SMS application synthesised")
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, "TENCENT_SMS_APP_ID") || !strings.Contains(msg, "synth refused") {
			t.Fatalf("refused, but not saying why: %s", msg)
		}
	}()
	NewStack(app, "Refused", &StackProps{
		StackProps: awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("cn-northwest-1")}},
		Stage:      "prod", Functions: manifest.Functions, Settings: settings,
		AssetDir: func(string) string { return t.TempDir() },
	})
}
