// Package config is the one configuration of a Fangxian function: the name
// of every environment variable (the CDK stack sets them by these names),
// their defaults, and the validation a function runs at cold start and the
// stack runs at synth. A configuration with a problem is refused as a whole,
// with one error that names every problem.
package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/sms"
)

// The environment variables a function reads.
const (
	// TableName names the DynamoDB table; every function has it.
	TableName = "TABLE_NAME"
	// Stage names the deployment (dev, prod): tokens are bound to it.
	Stage = "STAGE"
	// LogLevel is debug, info, warn or error.
	LogLevel = "LOG_LEVEL"
	// Region is set by Lambda.
	Region = "AWS_REGION"
	// DynamoDBEndpoint points at DynamoDB Local; never set in the cloud.
	DynamoDBEndpoint = "DYNAMODB_ENDPOINT"
	// TaskRoot is where Lambda unpacks the function (its assets beside).
	TaskRoot = "LAMBDA_TASK_ROOT"

	// SMSSignature is the 【signature】 every SMS starts with; every
	// function has it, since any may show an SMS as it will read.
	SMSSignature = "SMS_SIGNATURE"
	// SMSProvider is manifest.SMSPinpoint or manifest.SMSTencent.
	SMSProvider = "SMS_PROVIDER"
	// SMSPartsPerSecond is the pace of the origination identity.
	SMSPartsPerSecond      = "SMS_PARTS_PER_SECOND"
	SMSOriginationIdentity = "SMS_ORIGINATION_IDENTITY"
	SMSConfigurationSet    = "SMS_CONFIGURATION_SET"
	// TencentSMSAppID, TencentSMSRegion and TencentSMSSecretParameter name
	// Tencent Cloud's SMS application, its region and the parameter that
	// holds its key pair; SMSTemplateIDs maps catalogue templates to its
	// approved template ids (JSON).
	TencentSMSAppID           = "TENCENT_SMS_APP_ID"
	TencentSMSRegion          = "TENCENT_SMS_REGION"
	TencentSMSSecretParameter = "TENCENT_SMS_SECRET_PARAMETER"
	SMSTemplateIDs            = "SMS_TEMPLATE_IDS"

	// QueueMaxConcurrency and QueueMaxReceives describe the queue a
	// consumer reads: how many instances read at once (pacing divides by
	// it) and the receives before the dead letters.
	QueueMaxConcurrency = "QUEUE_MAX_CONCURRENCY"
	QueueMaxReceives    = "QUEUE_MAX_RECEIVES"

	// WeChatAppID is the mini-program's app id; empty turns WeChat sign-in off.
	WeChatAppID   = "WECHAT_APP_ID"
	WeChatBaseURL = "WECHAT_BASE_URL"

	// The functions' settings an operator may change per stage.
	OTPLimitPerIPPerHour      = "OTP_LIMIT_PER_IP_PER_HOUR"
	OTPLimitPerStreetPerHour  = "OTP_LIMIT_PER_STREET_PER_HOUR"
	OTPLimitPerHour           = "OTP_LIMIT_PER_HOUR"
	TokenFailuresPerIPPerHour = "TOKEN_FAILURES_PER_IP_PER_HOUR"
	SignupLimitPerIPPerHour   = "SIGNUP_LIMIT_PER_IP_PER_HOUR"
	// SignupLimitPerCommunityPerHour is one community's sign-up codes.
	SignupLimitPerCommunityPerHour = "SIGNUP_LIMIT_PER_COMMUNITY_PER_HOUR"
	SignupLimitPerHour             = "SIGNUP_LIMIT_PER_HOUR"
	SMSRepliesPerHour              = "SMS_REPLIES_PER_HOUR"
)

// QueueURL is the variable that carries the URL of the named queue, e.g.
// QUEUE_URL_DISPATCH.
func QueueURL(queue string) string { return "QUEUE_URL_" + strings.ToUpper(queue) }

// SecretVar is the variable that carries the parameter name of one of
// manifest's secrets, e.g. JWT_PRIVATE_KEY_PARAMETER.
func SecretVar(secret string) string {
	if secret == manifest.WeChatSecretParameter {
		return "WECHAT_SECRET_PARAMETER"
	}
	return strings.ToUpper(strings.ReplaceAll(secret, "-", "_")) + "_PARAMETER"
}

// Defaults of the settings.
const (
	// An IP may be a whole carrier-grade NAT, so its share is generous; a
	// street's share keeps one street's flood from another; the
	// deployment's hourly ceiling is what sign-in can cost at most.
	// Sign-up, which texts numbers nobody registered, is held lower, apart.
	DefaultOTPPerIPPerHour           = auth.DefaultCodesPerIPPerHour
	DefaultOTPPerStreetPerHour       = auth.DefaultCodesPerStreetPerHour
	DefaultOTPPerHour                = auth.DefaultCodesPerHour
	DefaultTokenFailuresPerIPPerHour = auth.DefaultTokenFailuresPerIPPerHour
	DefaultSignupPerIPPerHour        = auth.DefaultSignupCodesPerIPPerHour
	DefaultSignupPerCommunityPerHour = auth.DefaultSignupCodesPerCommunityPerHour
	DefaultSignupPerHour             = auth.DefaultSignupCodesPerHour
	// DefaultSMSRepliesPerHour ends loops with auto-responders: a phone gets
	// at most that many replies to its keywords in an hour.
	DefaultSMSRepliesPerHour = 10
	// DefaultWeChatBaseURL is WeChat's API.
	DefaultWeChatBaseURL = "https://api.weixin.qq.com"
)

// Config is a function's validated configuration.
type Config struct {
	// Function is the manifest function it is for ("local" for the whole
	// stack on one machine).
	Function string
	Table    string
	Region   string
	// Endpoint is DynamoDB Local's URL; empty in the cloud.
	Endpoint string
	Stage    string
	LogLevel slog.Level
	TaskRoot string
	SMS      SMS
	// QueueURLs are the queues the function sends to, by manifest name.
	QueueURLs map[string]string
	// Consumer is set for a function that reads a queue.
	Consumer Consumer
	// Parameters are the SSM parameter names of the function's secrets, by
	// manifest name.
	Parameters map[string]string
	WeChat     WeChat
	Limits     Limits
}

// SMS is how a function sends text messages.
type SMS struct {
	// Signature is every function's: previews show messages as sent.
	Signature string
	// The rest is set only for a function that sends.
	Provider            string
	PartsPerSecond      float64
	OriginationIdentity string
	ConfigurationSet    string
	Tencent             Tencent
}

// Tencent is Tencent Cloud's SMS application.
type Tencent struct {
	AppID           string
	Region          string
	SecretParameter string
	TemplateIDs     map[string]string
}

// Consumer describes the queue a consumer reads.
type Consumer struct {
	MaxConcurrency int
	MaxReceives    int
}

// WeChat is the mini-program's sign-in.
type WeChat struct {
	AppID   string
	BaseURL string
}

// Limits are the operator's settings.
type Limits struct {
	OTPPerIPPerHour           int
	OTPPerStreetPerHour       int
	OTPPerHour                int
	TokenFailuresPerIPPerHour int
	SignupPerIPPerHour        int
	SignupPerCommunityPerHour int
	SignupPerHour             int
	SMSRepliesPerHour         int
}

// Problems is a configuration refused: every problem found, one per line.
type Problems struct {
	Function string
	List     []string
}

func (p *Problems) Error() string {
	return fmt.Sprintf("function %s cannot start: %s", p.Function, strings.Join(p.List, "; "))
}

// Load reads and checks the configuration of fn from getenv (os.Getenv in a
// function; the template's variables at synth).
func Load(fn manifest.Function, getenv func(string) string) (Config, error) {
	r := reader{get: getenv, problems: &Problems{Function: fn.Name}}
	c := Config{Function: fn.Name, QueueURLs: map[string]string{}, Parameters: map[string]string{}}
	c.Endpoint = r.optional(DynamoDBEndpoint)
	c.Table = r.required(TableName, "the DynamoDB table")
	c.Stage = r.required(Stage, "the stage, e.g. dev or prod")
	c.Region = r.optional(Region)
	if c.Region == "" && c.Endpoint == "" {
		r.problem(Region + " is not set (Lambda sets it)")
	}
	c.LogLevel = r.level(LogLevel)
	c.TaskRoot = r.optional(TaskRoot)
	c.SMS.Signature = r.required(SMSSignature, "the 【signature】 of every SMS")
	if c.SMS.Signature != "" {
		r.check(sms.CheckSignature(c.SMS.Signature))
	}
	if fn.SendsSMS {
		c.SMS = r.sender(c.SMS)
	}
	for _, q := range fn.SendsTo {
		c.QueueURLs[q] = r.url(QueueURL(q), "the URL of queue "+q)
	}
	for _, t := range fn.Triggers {
		if t.Kind == manifest.Queue {
			c.Consumer = Consumer{
				MaxConcurrency: r.positive(QueueMaxConcurrency, 0, true),
				MaxReceives:    r.positive(QueueMaxReceives, 0, true),
			}
		}
	}
	for _, s := range fn.Secrets {
		if s == manifest.WeChatSecretParameter {
			c.Parameters[s] = r.optional(SecretVar(s))
			continue
		}
		c.Parameters[s] = r.required(SecretVar(s), "the parameter that holds "+s)
	}
	if len(fn.Secrets) > 0 && slices.Contains(fn.Secrets, manifest.WeChatSecretParameter) {
		c.WeChat = WeChat{AppID: r.optional(WeChatAppID), BaseURL: r.optional(WeChatBaseURL)}
		if c.WeChat.BaseURL == "" {
			c.WeChat.BaseURL = DefaultWeChatBaseURL
		}
	}
	c.Limits = Limits{
		OTPPerIPPerHour:           r.setting(fn, OTPLimitPerIPPerHour, DefaultOTPPerIPPerHour),
		OTPPerStreetPerHour:       r.setting(fn, OTPLimitPerStreetPerHour, DefaultOTPPerStreetPerHour),
		OTPPerHour:                r.setting(fn, OTPLimitPerHour, DefaultOTPPerHour),
		TokenFailuresPerIPPerHour: r.setting(fn, TokenFailuresPerIPPerHour, DefaultTokenFailuresPerIPPerHour),
		SignupPerIPPerHour:        r.setting(fn, SignupLimitPerIPPerHour, DefaultSignupPerIPPerHour),
		SignupPerCommunityPerHour: r.setting(fn, SignupLimitPerCommunityPerHour, DefaultSignupPerCommunityPerHour),
		SignupPerHour:             r.setting(fn, SignupLimitPerHour, DefaultSignupPerHour),
		SMSRepliesPerHour:         r.setting(fn, SMSRepliesPerHour, DefaultSMSRepliesPerHour),
	}
	if len(r.problems.List) > 0 {
		return c, r.problems
	}
	return c, nil
}

// LocalStage is the stage of a developer machine: its tokens are good
// nowhere else.
const LocalStage = "local"

// localDefaults are a developer machine's values of what is unset.
var localDefaults = map[string]string{
	TableName: "fangxian-local", Stage: LocalStage, Region: "cn-northwest-1", SMSSignature: "防线",
	// Nothing leaves the machine: the dispatcher need not wait.
	SMSPartsPerSecond: "200", QueueMaxConcurrency: "1", QueueMaxReceives: "5",
	WeChatBaseURL: DefaultWeChatBaseURL,
}

// LoadLocal is the configuration of the whole stack on one machine (the
// local runner, the tests): every function's settings read from getenv, a
// developer machine's defaults where unset, checked as Load checks a
// function's. Its secrets are named as the stack names them, under the
// local stage; the runner holds their values.
func LoadLocal(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return localDefaults[name]
	}
	fn := manifest.Function{Name: "local", Triggers: []manifest.Trigger{{Kind: manifest.Queue, Name: manifest.DispatchQueue}}}
	for _, f := range manifest.Functions {
		fn.Settings = append(fn.Settings, f.Settings...)
	}
	c, err := Load(fn, get)
	problems, _ := err.(*Problems)
	if err != nil && problems == nil {
		return c, err
	}
	if problems == nil {
		problems = &Problems{Function: fn.Name}
	}
	r := reader{get: get, problems: problems}
	c.SMS.PartsPerSecond = r.rate()
	c.WeChat = WeChat{AppID: r.optional(WeChatAppID), BaseURL: r.optional(WeChatBaseURL)}
	for _, s := range []string{manifest.JWTPrivateKeyParameter, manifest.WeChatSecretParameter, manifest.SMSCallbackSecretParameter} {
		c.Parameters[s] = manifest.ParameterPath(c.Stage, s)
	}
	if len(problems.List) > 0 {
		return c, problems
	}
	return c, nil
}

// reader collects the problems of one Load.
type reader struct {
	get      func(string) string
	problems *Problems
}

func (r reader) problem(format string, args ...any) {
	r.problems.List = append(r.problems.List, fmt.Sprintf(format, args...))
}

func (r reader) check(err error) {
	if err != nil {
		r.problems.List = append(r.problems.List, err.Error())
	}
}

func (r reader) optional(name string) string { return strings.TrimSpace(r.get(name)) }

func (r reader) required(name, what string) string {
	v := r.optional(name)
	if v == "" {
		r.problem("%s is not set (%s)", name, what)
	}
	return v
}

func (r reader) url(name, what string) string {
	v := r.required(name, what)
	if v == "" || isToken(v) {
		return v
	}
	if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
		r.problem("%s=%q: not a URL (%s)", name, v, what)
	}
	return v
}

func (r reader) level(name string) slog.Level {
	l := slog.LevelWarn
	if v := r.optional(name); v != "" {
		if err := l.UnmarshalText([]byte(v)); err != nil {
			r.problem("%s=%q: debug, info, warn or error", name, v)
		}
	}
	return l
}

// positive reads a whole number ≥ 1, or def when unset and not required.
func (r reader) positive(name string, def int, required bool) int {
	v := r.optional(name)
	if v == "" {
		if required {
			r.problem("%s is not set", name)
		}
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		r.problem("%s=%q: a whole number of 1 or more", name, v)
		return def
	}
	return n
}

// setting reads one of the operator's settings: only a function that
// declares it reads it (a stray one elsewhere is the stack's business).
func (r reader) setting(fn manifest.Function, name string, def int) int {
	if !slices.Contains(fn.Settings, name) {
		return def
	}
	return r.positive(name, def, false)
}

// rate reads the SMS parts per second the origination identity sends.
func (r reader) rate() float64 {
	raw := r.required(SMSPartsPerSecond, "the SMS parts the origination identity sends per second")
	if raw == "" {
		return 0
	}
	rate, err := strconv.ParseFloat(raw, 64)
	if err != nil || rate <= 0 || rate > 10000 {
		r.problem("%s=%q: a number of parts per second above 0 and at most 10000", SMSPartsPerSecond, raw)
		return 0
	}
	return rate
}

func (r reader) sender(s SMS) SMS {
	s.Provider = r.required(SMSProvider, manifest.SMSPinpoint+" or "+manifest.SMSTencent)
	s.PartsPerSecond = r.rate()
	switch s.Provider {
	case "":
	case manifest.SMSPinpoint:
		s.OriginationIdentity = r.optional(SMSOriginationIdentity)
		s.ConfigurationSet = r.optional(SMSConfigurationSet)
	case manifest.SMSTencent:
		t := Tencent{
			AppID:           r.required(TencentSMSAppID, "the SmsSdkAppId of Tencent Cloud's SMS application: -c tencentSmsAppId=…"),
			Region:          r.required(TencentSMSRegion, "Tencent Cloud's region, e.g. ap-guangzhou"),
			SecretParameter: r.required(TencentSMSSecretParameter, "the parameter that holds Tencent Cloud's key pair"),
		}
		if t.AppID != "" && !isToken(t.AppID) && !digits(t.AppID) {
			r.problem("%s=%q: the SmsSdkAppId is digits (e.g. 1400000000)", TencentSMSAppID, t.AppID)
		}
		ids, err := sms.ParseTemplateIDs(r.optional(SMSTemplateIDs))
		r.check(err)
		t.TemplateIDs = ids
		s.Tencent = t
	default:
		r.problem("%s=%q: %s or %s", SMSProvider, s.Provider, manifest.SMSPinpoint, manifest.SMSTencent)
	}
	return s
}

// isToken says whether v is a value the CDK resolves at deploy time (a
// queue's URL, the table's name): at synth it is known to be set, not what.
func isToken(v string) bool { return strings.Contains(v, "${Token[") }

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
