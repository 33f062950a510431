// Package manifest is the one declaration of Fangxian's Lambda functions, their
// HTTP routes and their event triggers. The CDK stack and the local runner both
// read it, so the cloud and a developer machine cannot route differently.
package manifest

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a signed-in user is allowed to be.
type Role string

// The roles a person may hold: one person may hold several (see the README).
const (
	RoleResident  Role = "resident"
	RoleVolunteer Role = "volunteer"
	RoleStaff     Role = "staff"
	RoleAdmin     Role = "admin"
)

// Access says who may call a route. A nil Roles with Public false means any
// signed-in user.
type Access struct {
	Public bool
	Roles  []Role
	// PathSecret routes take no token: a provider calls them with a secret
	// in the path ({secret}), which the handler checks.
	PathSecret bool
}

// Anyone may call the route without a token.
var Anyone = Access{Public: true}

// Callback is a provider's callback: no token, a secret in the path.
var Callback = Access{Public: true, PathSecret: true}

// SignedIn lets any user with a valid token call the route.
var SignedIn = Access{}

// Only lets the given roles call the route.
func Only(roles ...Role) Access { return Access{Roles: roles} }

// Allows reports whether a user holding roles may call a route with this
// access: any one of them is enough.
func (a Access) Allows(roles ...Role) bool {
	if a.Public || len(a.Roles) == 0 {
		return true
	}
	for _, r := range roles {
		if slices.Contains(a.Roles, r) {
			return true
		}
	}
	return false
}

// Route is one HTTP route. Path uses the `{name}` parameter syntax that both
// API Gateway HTTP APIs and Go 1.22 ServeMux patterns understand.
type Route struct {
	Method string
	Path   string
	// Op names the handler that serves the route; unique across all functions.
	Op     string
	Access Access
	// MaxBodyBytes overrides DefaultMaxBodyBytes for routes that take uploads.
	MaxBodyBytes int64
	// Idempotent routes answer a repeated request that carries the same
	// Idempotency-Key with the first answer (and another request with the
	// key with 422). Bookings do this inside their transaction instead.
	Idempotent bool
	// AuditRead records staff's reads of the route in the audit log, with
	// the query and how many people it answered: reads of many people's
	// personal data (phones, care flags, who asked for help).
	AuditRead bool
	// AuditVolunteer records volunteers' calls of the route too (reads as
	// well): field work a duty gives them — check-ins at a lane, a
	// building's list, a call-down.
	AuditVolunteer bool
}

// Pattern is the ServeMux pattern of the route, e.g. "GET /v1/health".
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// MaxHTTPTimeoutSec bounds the timeout of a function with HTTP routes: an API
// Gateway HTTP API answers 503 at 30 s whatever the function does, so a
// function must give up (and answer) before that.
const MaxHTTPTimeoutSec = 28

// DefaultMaxBodyBytes caps a request body unless the route says otherwise.
const DefaultMaxBodyBytes int64 = 64 << 10

// BodyLimit is the largest body the route accepts.
func (r Route) BodyLimit() int64 {
	if r.MaxBodyBytes > 0 {
		return r.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// TriggerKind names an event source other than HTTP.
type TriggerKind string

// Event sources a function can be attached to.
const (
	// Schedule runs the function on an EventBridge schedule expression.
	Schedule TriggerKind = "schedule"
	// Queue delivers SQS messages of the named queue in batches.
	Queue TriggerKind = "queue"
	// Topic delivers SNS notifications of the named topic.
	Topic TriggerKind = "topic"
	// Events delivers the default event bus's events of Source (and of
	// DetailTypes, when given).
	Events TriggerKind = "events"
)

// Trigger attaches a function to an event source.
type Trigger struct {
	Kind TriggerKind
	// Name identifies the queue or topic inside the stack, or the schedule.
	Name string
	// Expression is the schedule, e.g. "rate(5 minutes)" or "cron(0 12 * * ? *)".
	Expression string
	// BatchSize is the number of queue messages handed over in one invocation.
	BatchSize int
	// Source and DetailTypes select an Events trigger's events.
	Source      string
	DetailTypes []string
	// Publisher is the AWS service principal that publishes to a Topic
	// trigger's topic (e.g. sms-voice.amazonaws.com for two-way SMS).
	Publisher string
}

// TableAccess is what a function may do to the table.
type TableAccess string

// Table access levels, granted least-privilege by the stack.
const (
	TableNone      TableAccess = ""
	TableRead      TableAccess = "read"
	TableReadWrite TableAccess = "readwrite"
)

// Function is one Lambda function: a directory under functions/ with a main.go.
type Function struct {
	// Name is the directory under functions/ and part of the Lambda's logical id.
	Name        string
	Description string
	MemoryMB    int
	TimeoutSec  int
	Table       TableAccess
	Routes      []Route
	Triggers    []Trigger
	// Secrets are SecureString parameters under /fangxian/<stage>/ that the
	// function reads at cold start; it may read only these.
	Secrets []string
	// SendsSMS lets the function send text messages through the configured
	// origination identity.
	SendsSMS bool
	// SendsTo names the queues (of other functions' Queue triggers) the
	// function puts messages on; it gets QUEUE_URL_<NAME> and send rights.
	SendsTo []string
	// Settings name the environment variables the function reads that an
	// operator sets per stage (CDK context); unset ones keep their defaults.
	Settings []string
	// Assets are files deployed beside the function's bootstrap (in
	// LAMBDA_TASK_ROOT), by name; the CDK app knows where each comes from.
	Assets []string
	// SMSProvider, when set, deploys the function only on stages whose SMS
	// go through that provider (SMSPinpoint or SMSTencent).
	SMSProvider string
}

// The SMS providers a stage can choose (CDK context smsProvider).
const (
	SMSPinpoint = "pinpoint"
	SMSTencent  = "tencent"
)

// ForProvider is the functions a stage with the given SMS provider deploys.
func ForProvider(fns []Function, provider string) []Function {
	var out []Function
	for _, f := range fns {
		if f.SMSProvider == "" || f.SMSProvider == provider {
			out = append(out, f)
		}
	}
	return out
}

// RedocAsset is the API reference page's renderer, served by system.
const RedocAsset = "redoc.standalone.js"

// Authenticates says whether any route of f needs a token, and so the
// function needs the token-verifying public key.
func (f Function) Authenticates() bool {
	for _, r := range f.Routes {
		if !r.Access.Public {
			return true
		}
	}
	return false
}

// Parameter names under /fangxian/<stage>/.
const (
	// JWTPrivateKeyParameter (SecureString) signs tokens; only the auth function reads it.
	JWTPrivateKeyParameter = "jwt-private-key"
	// WeChatSecretParameter (SecureString) is the mini-program's app secret.
	WeChatSecretParameter = "wechat-app-secret"
	// TencentSMSSecretParameter (SecureString) is Tencent Cloud's API key
	// pair, {"secretId":"…","secretKey":"…"}; only functions that send read it.
	TencentSMSSecretParameter = "tencent-sms-secret"
	// SMSCallbackSecretParameter (SecureString) is the secret in the SMS
	// callback URLs: the current one and, during a rotation, the previous.
	SMSCallbackSecretParameter = "sms-callback-secret"
)

// ParameterPath is the full SSM parameter name of one of a stage's parameters.
func ParameterPath(stage, name string) string { return "/fangxian/" + stage + "/" + name }

// Functions is the whole declaration. Add a function here and in functions/.
var Functions = []Function{
	{
		Name:        "system",
		Description: "Health check, the OpenAPI document and its reference page",
		MemoryMB:    256,
		TimeoutSec:  10,
		Table:       TableRead,
		Assets:      []string{RedocAsset},
		Routes: []Route{
			{Method: "GET", Path: "/v1/health", Op: "health", Access: Anyone},
			{Method: "GET", Path: "/v1/openapi.json", Op: "openapi", Access: Anyone},
			{Method: "GET", Path: "/v1/docs", Op: "apiDocs", Access: Anyone},
			{Method: "GET", Path: "/v1/docs/redoc.standalone.js", Op: "apiDocsScript", Access: Anyone},
		},
	},
	{
		Name:        "auth",
		Description: "Sign-in by SMS code and by WeChat mini-program",
		MemoryMB:    256,
		TimeoutSec:  10,
		Table:       TableReadWrite,
		Secrets:     []string{JWTPrivateKeyParameter, WeChatSecretParameter},
		SendsSMS:    true,
		Settings: []string{"OTP_LIMIT_PER_IP_PER_HOUR", "OTP_LIMIT_PER_STREET_PER_HOUR", "OTP_LIMIT_PER_HOUR", "TOKEN_FAILURES_PER_IP_PER_HOUR",
			"SIGNUP_LIMIT_PER_IP_PER_HOUR", "SIGNUP_LIMIT_PER_COMMUNITY_PER_HOUR", "SIGNUP_LIMIT_PER_HOUR"},
		Routes: []Route{
			{Method: "POST", Path: "/v1/auth/otp", Op: "requestOtp", Access: Anyone},
			{Method: "POST", Path: "/v1/auth/token", Op: "createToken", Access: Anyone},
			{Method: "POST", Path: "/v1/auth/wechat", Op: "wechatToken", Access: Anyone},
			// Signing up proves the phone by its code, which only this
			// function can check (the code key is the signing key's).
			{Method: "POST", Path: "/v1/communities/{communityId}/volunteers", Op: "volunteerSignup", Access: Anyone},
		},
	},
	{
		Name:        "registry",
		Description: "Communities, buildings, households, residents, staff, the CSV import, and screening lists",
		// More memory is more CPU: a community's import parses and plans
		// 8,000 lines and keeps 16 writes in flight.
		MemoryMB:   1024,
		TimeoutSec: MaxHTTPTimeoutSec,
		Table:      TableReadWrite,
		Routes: []Route{
			{Method: "GET", Path: "/v1/me", Op: "getMe", Access: SignedIn},
			{Method: "GET", Path: "/v1/communities/{communityId}", Op: "getCommunity", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/imports", Op: "importResidents", Access: Only(RoleStaff, RoleAdmin), MaxBodyBytes: 4 << 20},
			{Method: "GET", Path: "/v1/communities/{communityId}/buildings", Op: "listBuildings", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/residents", Op: "findResidents", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "POST", Path: "/v1/communities/{communityId}/residents", Op: "addResident", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PATCH", Path: "/v1/residents/{residentId}", Op: "updateResident", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/households/{householdId}", Op: "getHousehold", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "POST", Path: "/v1/communities/{communityId}/staff", Op: "createStaff", Idempotent: true, Access: Only(RoleAdmin)},
			{Method: "POST", Path: "/v1/streets/{streetId}/communities", Op: "createCommunity", Idempotent: true, Access: Only(RoleAdmin)},
			{Method: "GET", Path: "/v1/streets/{streetId}/communities", Op: "listCommunities", Access: Only(RoleAdmin)},
			{Method: "GET", Path: "/v1/streets/{streetId}/audit", Op: "streetAudit", Access: Only(RoleAdmin)},
			// The link volunteers sign up by: a code is texted only with it.
			{Method: "GET", Path: "/v1/communities/{communityId}/signup-link", Op: "getSignupLink", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/signup-link", Op: "rotateSignupLink", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "DELETE", Path: "/v1/communities/{communityId}/signup-link", Op: "revokeSignupLink", Access: Only(RoleStaff, RoleAdmin)},
			// Screening lists (协查名单): the street's, matched to the register.
			{Method: "POST", Path: "/v1/streets/{streetId}/screening-lists", Op: "uploadScreeningList", Access: Only(RoleAdmin), MaxBodyBytes: 4 << 20},
			{Method: "GET", Path: "/v1/streets/{streetId}/screening-lists", Op: "listScreeningLists", Access: Only(RoleAdmin)},
			{Method: "GET", Path: "/v1/screening-lists/{listId}", Op: "getScreeningList", Access: Only(RoleAdmin), AuditRead: true},
			{Method: "GET", Path: "/v1/screening-lists/{listId}/feedback", Op: "screeningFeedback", Access: Only(RoleAdmin), AuditRead: true},
			{Method: "GET", Path: "/v1/communities/{communityId}/screening-tasks", Op: "listScreeningTasks", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "POST", Path: "/v1/communities/{communityId}/screening-tasks/assign", Op: "assignScreeningTasks", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/me/screening-tasks", Op: "myScreeningTasks", Access: Only(RoleStaff, RoleVolunteer), AuditVolunteer: true},
			{Method: "POST", Path: "/v1/screening-tasks/{taskId}/match", Op: "matchScreeningTask", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/screening-tasks/{taskId}/outcome", Op: "recordScreeningOutcome", Access: Only(RoleStaff, RoleAdmin, RoleVolunteer), AuditVolunteer: true},
		},
	},
	{
		Name:        "booking",
		Description: "PCR-testing rounds, sites, slots, bookings, check-in and progress",
		MemoryMB:    512,
		TimeoutSec:  MaxHTTPTimeoutSec,
		Table:       TableReadWrite,
		SendsSMS:    true, // a booking's confirmation and changes
		// A closed site's people are told through the queue: thousands.
		SendsTo: []string{DispatchQueue},
		Routes: []Route{
			{Method: "POST", Path: "/v1/communities/{communityId}/rounds", Op: "createRound", Idempotent: true, Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/rounds", Op: "listRounds", Access: SignedIn},
			// The series (每日一检): who missed the two latest rounds.
			{Method: "GET", Path: "/v1/communities/{communityId}/rounds/missed", Op: "missedRounds", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "GET", Path: "/v1/rounds/{roundId}", Op: "getRound", Access: SignedIn},
			{Method: "POST", Path: "/v1/rounds/{roundId}/sites", Op: "addSite", Idempotent: true, Access: Only(RoleStaff, RoleAdmin)},
			{Method: "DELETE", Path: "/v1/sites/{siteId}", Op: "closeSite", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/rounds/{roundId}/plan", Op: "planRound", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PATCH", Path: "/v1/sites/{siteId}", Op: "patchSite", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/sites/{siteId}/open", Op: "openSite", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/rounds/{roundId}/buildings/{buildingId}/call", Op: "callBuilding", Access: Only(RoleStaff, RoleAdmin, RoleVolunteer), AuditVolunteer: true},
			{Method: "GET", Path: "/v1/rounds/{roundId}/field", Op: "myField", Access: Only(RoleStaff, RoleAdmin, RoleVolunteer)},
			{Method: "GET", Path: "/v1/rounds/{roundId}/buildings/{buildingId}", Op: "roundBuilding", Access: Only(RoleStaff, RoleAdmin, RoleVolunteer), AuditVolunteer: true},
			{Method: "GET", Path: "/v1/rounds/{roundId}/door-list", Op: "doorList", Access: Only(RoleStaff, RoleAdmin, RoleVolunteer), AuditVolunteer: true},
			{Method: "GET", Path: "/v1/rounds/{roundId}/review", Op: "roundReview", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/rounds/{roundId}/results", Op: "recordResults", Access: Only(RoleStaff, RoleAdmin), MaxBodyBytes: 1 << 20},
			{Method: "GET", Path: "/v1/tubes/{tubeId}", Op: "getTube", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/rounds/{roundId}/traces", Op: "listTraces", Access: Only(RoleStaff, RoleAdmin, RoleVolunteer)},
			{Method: "POST", Path: "/v1/rounds/{roundId}/singles", Op: "takeSingle", Access: Only(RoleStaff, RoleAdmin, RoleVolunteer), AuditVolunteer: true},
			{Method: "POST", Path: "/v1/rounds/{roundId}/samples", Op: "importSamples", Access: Only(RoleStaff, RoleAdmin), MaxBodyBytes: 4 << 20},
			{Method: "GET", Path: "/v1/me/results", Op: "myResults", Access: Only(RoleResident)},
			{Method: "PUT", Path: "/v1/rounds/{roundId}/review/note", Op: "saveRoundNote", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/rounds/{roundId}/slots", Op: "listSlots", Access: SignedIn},
			{Method: "POST", Path: "/v1/rounds/{roundId}/bookings", Op: "createBookings", Access: Only(RoleResident, RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/me/bookings", Op: "myBookings", Access: Only(RoleResident)},
			{Method: "DELETE", Path: "/v1/bookings/{bookingId}", Op: "cancelBooking", Access: Only(RoleResident, RoleStaff, RoleAdmin)},
			{Method: "PUT", Path: "/v1/bookings/{bookingId}", Op: "rescheduleBooking", Access: Only(RoleResident, RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/rounds/{roundId}/checkins", Op: "checkIn", Access: Only(RoleStaff, RoleAdmin, RoleVolunteer), AuditVolunteer: true},
			{Method: "GET", Path: "/v1/rounds/{roundId}/progress", Op: "roundProgress", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/rounds/{roundId}/unsampled", Op: "listUnsampled", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PUT", Path: "/v1/rounds/{roundId}/residents/{residentId}/reason", Op: "setUnsampledReason", Access: Only(RoleStaff, RoleAdmin)},
		},
	},
	{
		Name:        "notices",
		Description: "Lockdown zones, notices, acknowledgements and delivery, people under watch",
		MemoryMB:    512,
		TimeoutSec:  MaxHTTPTimeoutSec,
		Table:       TableReadWrite,
		SendsTo:     []string{DispatchQueue},
		Routes: []Route{
			{Method: "POST", Path: "/v1/communities/{communityId}/zones", Op: "setZones", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/zones", Op: "listZones", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/notices", Op: "createNotice", Idempotent: true, Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/notices/preview", Op: "previewNotice", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/notices", Op: "listNotices", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/me/notices", Op: "myNotices", Access: Only(RoleResident)},
			{Method: "POST", Path: "/v1/notices/{noticeId}/ack", Op: "ackNotice", Access: Only(RoleResident)},
			{Method: "GET", Path: "/v1/notices/{noticeId}/delivery", Op: "noticeDelivery", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/me/temperatures", Op: "reportTemperature", Access: Only(RoleResident)},
			{Method: "GET", Path: "/v1/communities/{communityId}/temperatures", Op: "listTemperatures", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PUT", Path: "/v1/me/drills", Op: "setDrillOptIn", Access: Only(RoleResident)},
			// People under watch: a home-isolated household is a household zone.
			{Method: "POST", Path: "/v1/communities/{communityId}/watches", Op: "openWatch", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/watches", Op: "listWatches", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "POST", Path: "/v1/communities/{communityId}/watches/{watchId}/end", Op: "endWatch", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/watches/{watchId}/checks", Op: "enterWatchCheck", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/watches/{watchId}/tests", Op: "recordWatchTest", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/watch-doors", Op: "watchDoors", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			// Care plans of the vulnerable (重点人群), set up in peacetime.
			{Method: "PUT", Path: "/v1/residents/{residentId}/care-plan", Op: "setCarePlan", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/residents/{residentId}/care-plan", Op: "getCarePlan", Access: Only(RoleStaff, RoleAdmin, RoleResident), AuditRead: true},
			{Method: "DELETE", Path: "/v1/residents/{residentId}/care-plan", Op: "removeCarePlan", Access: Only(RoleStaff, RoleAdmin, RoleResident)},
			{Method: "GET", Path: "/v1/communities/{communityId}/care-board", Op: "careBoard", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "POST", Path: "/v1/communities/{communityId}/care-trips/car", Op: "giveCareCar", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/me/care-check", Op: "answerCareCheck", Access: Only(RoleResident)},
			{Method: "GET", Path: "/v1/streets/{streetId}/hospitals", Op: "listHospitals", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/streets/{streetId}/hospitals", Op: "addHospital", Idempotent: true, Access: Only(RoleAdmin)},
			{Method: "DELETE", Path: "/v1/streets/{streetId}/hospitals/{hospitalId}", Op: "removeHospital", Access: Only(RoleAdmin)},
			// Transfers to central quarantine (转运), and back.
			{Method: "POST", Path: "/v1/communities/{communityId}/transfers", Op: "createTransfer", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/transfers", Op: "listTransfers", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "GET", Path: "/v1/communities/{communityId}/transfers/{transferId}", Op: "getTransfer", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "POST", Path: "/v1/communities/{communityId}/transfers/{transferId}/people/{residentId}", Op: "setTransferStatus", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/transfers/{transferId}/return", Op: "returnTransfer", Access: Only(RoleStaff, RoleAdmin)},
			// The gate (卡口): pass rules by level, household passes, the
			// checkpoint's log, the late list and the counts.
			{Method: "GET", Path: "/v1/communities/{communityId}/pass-rules", Op: "getPassRules", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PUT", Path: "/v1/communities/{communityId}/pass-rules", Op: "setPassRules", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/me/pass", Op: "myPass", Access: Only(RoleResident)},
			{Method: "GET", Path: "/v1/communities/{communityId}/pass-cards", Op: "passCards", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "POST", Path: "/v1/communities/{communityId}/households/{householdId}/pass-code", Op: "newPassCode", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PUT", Path: "/v1/communities/{communityId}/households/{householdId}/pass-permit", Op: "setPassPermit", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/posts/{postId}/gate", Op: "gateView", Access: Only(RoleVolunteer, RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/posts/{postId}/gate-events", Op: "recordGateEvent", Access: Only(RoleVolunteer, RoleStaff, RoleAdmin), AuditVolunteer: true},
			{Method: "POST", Path: "/v1/communities/{communityId}/households/{householdId}/gate-return", Op: "markGateReturn", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/gate-late", Op: "gateLate", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "GET", Path: "/v1/communities/{communityId}/gate-counts", Op: "gateCounts", Access: Only(RoleStaff, RoleAdmin)},
		},
	},
	{
		Name:        "reminders",
		Description: "Reminds residents of sealed and controlled buildings to report their temperature",
		MemoryMB:    256,
		TimeoutSec:  120,
		Table:       TableRead,
		SendsTo:     []string{DispatchQueue},
		// 10:00 in Beijing (UTC+8).
		Triggers: []Trigger{{Kind: Schedule, Name: "temperature-reminders", Expression: "cron(0 2 * * ? *)"}},
	},
	{
		Name:        "dispatch",
		Description: "Fans notices out to phones and sends the SMS, paced; acts on the SMS phones send (keyword flows)",
		MemoryMB:    256,
		// 10 messages paced at the sender's parts per second fit well inside.
		TimeoutSec: 60,
		Table:      TableReadWrite,
		SendsSMS:   true,
		SendsTo:    []string{DispatchQueue},
		Settings:   []string{"SMS_REPLIES_PER_HOUR"}, // the keyword flows run here
		Triggers:   []Trigger{{Kind: Queue, Name: DispatchQueue, BatchSize: 10}},
	},
	{
		Name:        "supplies",
		Description: "Supply orders for sealed homes (catalogue, orders, lists, delivery), help requests and the community's reserve",
		MemoryMB:    512,
		TimeoutSec:  MaxHTTPTimeoutSec,
		Table:       TableReadWrite,
		SendsTo:     []string{DispatchQueue}, // order news for households without the app; help alerts to staff
		Routes: []Route{
			{Method: "POST", Path: "/v1/communities/{communityId}/merchants", Op: "createMerchant", Idempotent: true, Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/merchants", Op: "listMerchants", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/items", Op: "createItem", Idempotent: true, Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/items", Op: "listItems", Access: SignedIn},
			{Method: "PATCH", Path: "/v1/items/{itemId}", Op: "updateItem", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/orders", Op: "placeOrder", Idempotent: true, Access: Only(RoleResident, RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/orders", Op: "listOrders", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/me/orders", Op: "myOrders", Access: Only(RoleResident)},
			{Method: "GET", Path: "/v1/orders/{orderId}", Op: "getOrder", Access: SignedIn},
			{Method: "POST", Path: "/v1/orders/{orderId}/status", Op: "setOrderStatus", Access: SignedIn},
			{Method: "GET", Path: "/v1/communities/{communityId}/purchase-list", Op: "purchaseList", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/pick-list", Op: "pickList", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "POST", Path: "/v1/communities/{communityId}/deliveries", Op: "assignDeliveries", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/me/deliveries", Op: "myDeliveries", Access: Only(RoleVolunteer, RoleStaff)},
			{Method: "POST", Path: "/v1/me/help", Op: "requestHelp", Idempotent: true, Access: Only(RoleResident)},
			{Method: "GET", Path: "/v1/me/help", Op: "myHelp", Access: Only(RoleResident)},
			{Method: "GET", Path: "/v1/communities/{communityId}/help", Op: "listHelp", Access: Only(RoleStaff, RoleAdmin), AuditRead: true},
			{Method: "POST", Path: "/v1/help/{helpId}/claim", Op: "claimHelp", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/help/{helpId}/actions", Op: "addHelpAction", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/help/{helpId}/close", Op: "closeHelp", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/help-settings", Op: "getHelpSettings", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PUT", Path: "/v1/communities/{communityId}/help-settings", Op: "setHelpSettings", Access: Only(RoleStaff, RoleAdmin)},
			// The community's reserve for an emergency (隔离储备).
			{Method: "GET", Path: "/v1/communities/{communityId}/reserve", Op: "listReserve", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/reserve", Op: "createReserveItem", Idempotent: true, Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PATCH", Path: "/v1/communities/{communityId}/reserve/{reserveItemId}", Op: "updateReserveItem", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/reserve/{reserveItemId}/movements", Op: "moveReserve", Idempotent: true, Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/reserve/{reserveItemId}/movements", Op: "reserveMovements", Access: Only(RoleStaff, RoleAdmin)},
		},
	},
	{
		Name:        "volunteers",
		Description: "Volunteers: approval, posts and A/B shifts, one-click activation and response, check-in at the post, hours",
		MemoryMB:    512,
		TimeoutSec:  MaxHTTPTimeoutSec,
		Table:       TableReadWrite,
		SendsTo:     []string{DispatchQueue}, // the approval and the calls
		Routes: []Route{
			{Method: "GET", Path: "/v1/communities/{communityId}/volunteers", Op: "listVolunteers", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/volunteers/{volunteerId}/approve", Op: "approveVolunteer", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/volunteers/{volunteerId}/reject", Op: "rejectVolunteer", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/volunteers/{volunteerId}/deactivate", Op: "deactivateVolunteer", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/posts", Op: "createPost", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/posts", Op: "listPosts", Access: Only(RoleStaff, RoleAdmin, RoleVolunteer)},
			{Method: "POST", Path: "/v1/posts/{postId}/assignments", Op: "assignVolunteer", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/posts/{postId}/assignments", Op: "listAssignments", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/posts/{postId}/suggestions", Op: "suggestVolunteers", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/activations", Op: "activate", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/streets/{streetId}/activations", Op: "activateStreet", Access: Only(RoleAdmin)},
			{Method: "GET", Path: "/v1/activations/{activationId}", Op: "getActivation", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/activations/{activationId}/response", Op: "respondActivation", Access: Only(RoleVolunteer)},
			{Method: "GET", Path: "/v1/posts/{postId}/qr", Op: "postCode", Access: Only(RoleStaff, RoleAdmin, RoleVolunteer)},
			{Method: "POST", Path: "/v1/posts/{postId}/checkins", Op: "postCheckIn", Access: Only(RoleVolunteer)},
			{Method: "POST", Path: "/v1/posts/{postId}/checkouts", Op: "postCheckOut", Access: Only(RoleVolunteer)},
			{Method: "GET", Path: "/v1/me/assignments", Op: "myAssignments", Access: Only(RoleVolunteer)},
			{Method: "GET", Path: "/v1/communities/{communityId}/duty", Op: "dutyBoard", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/volunteer-hours", Op: "volunteerHours", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/volunteer-records", Op: "volunteerRecords", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/streets/{streetId}/volunteers", Op: "volunteerPool", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/volunteer-loans", Op: "requestLoan", Idempotent: true, Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/volunteer-loans", Op: "listLoans", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/volunteer-loans/{loanId}/approve", Op: "approveLoan", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/volunteer-loans/{loanId}/decline", Op: "declineLoan", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/streets/{streetId}/trainings", Op: "createTraining", Idempotent: true, Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/streets/{streetId}/trainings", Op: "listTrainings", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/trainings/{trainingId}/attendance", Op: "recordAttendance", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/streets/{streetId}/training-rules", Op: "getTrainingRules", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PUT", Path: "/v1/streets/{streetId}/training-rules", Op: "setTrainingRules", Access: Only(RoleAdmin)},
			{Method: "GET", Path: "/v1/volunteers/{volunteerId}/record", Op: "volunteerRecord", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/streets/{streetId}/volunteer-ranking", Op: "volunteerRanking", Access: Only(RoleAdmin)},
		},
	},
	{
		Name:        "playbooks",
		Description: "Peace/war switch: playbooks, mode switches and their runs, drills and their removal, data retention",
		MemoryMB:    512,
		TimeoutSec:  MaxHTTPTimeoutSec,
		Table:       TableReadWrite,
		// The actions' SMS (notices, volunteer calls) go through the queue.
		SendsTo: []string{DispatchQueue},
		Routes: []Route{
			{Method: "GET", Path: "/v1/communities/{communityId}/playbook", Op: "getPlaybook", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PUT", Path: "/v1/communities/{communityId}/playbook", Op: "putPlaybook", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/playbook/from-template", Op: "playbookFromTemplate", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/streets/{streetId}/playbook-templates", Op: "listPlaybookTemplates", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/streets/{streetId}/playbook-templates", Op: "createPlaybookTemplate", Idempotent: true, Access: Only(RoleAdmin)},
			{Method: "PUT", Path: "/v1/streets/{streetId}/playbook-templates/{templateId}", Op: "putPlaybookTemplate", Access: Only(RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/mode", Op: "getMode", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/mode", Op: "switchMode", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/streets/{streetId}/mode", Op: "switchStreetMode", Access: Only(RoleAdmin)},
			{Method: "GET", Path: "/v1/streets/{streetId}/runs", Op: "streetRuns", Access: Only(RoleAdmin)},
			{Method: "GET", Path: "/v1/report-figures", Op: "reportFigures", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/daily", Op: "communityDaily", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/communities/{communityId}/daily/confirm", Op: "confirmDaily", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/streets/{streetId}/report-template", Op: "getReportTemplate", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "PUT", Path: "/v1/streets/{streetId}/report-template", Op: "setReportTemplate", Access: Only(RoleAdmin)},
			{Method: "GET", Path: "/v1/streets/{streetId}/daily", Op: "streetDaily", Access: Only(RoleAdmin)},
			{Method: "GET", Path: "/v1/runs/{runId}", Op: "getRun", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/runs/{runId}/steps/{stepId}/done", Op: "tickStep", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/runs/{runId}/report", Op: "runReport", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/runs/{runId}/outbox", Op: "drillOutbox", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "DELETE", Path: "/v1/runs/{runId}/drill-data", Op: "removeDrillData", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "GET", Path: "/v1/communities/{communityId}/retention", Op: "retentionReport", Access: Only(RoleStaff, RoleAdmin)},
			// POST, not GET: handing out a person's data is an action the
			// audit log keeps.
			{Method: "POST", Path: "/v1/residents/{residentId}/data-export", Op: "exportResident", Access: Only(RoleStaff, RoleAdmin)},
			{Method: "POST", Path: "/v1/residents/{residentId}/erasure", Op: "eraseResident", Access: Only(RoleStaff, RoleAdmin)},
		},
	},
	{
		Name:        "jobs",
		Description: "Every minute: escalates help requests nobody claimed in time, calls the B of shifts whose A declined or did not answer, marks ended emergencies' personal data for expiry, and sends what changes left for the dispatch queue when it failed them",
		MemoryMB:    256,
		// A run queues a few alerts and backup calls; the next starts a
		// minute later.
		TimeoutSec: 50,
		Table:      TableReadWrite,
		SendsTo:    []string{DispatchQueue},
		Triggers:   []Trigger{{Kind: Schedule, Name: "every-minute", Expression: "rate(1 minute)"}},
	},
	{
		Name:        "inbound",
		Description: "Tencent Cloud SMS callbacks: residents' replies and delivery receipts",
		MemoryMB:    256,
		TimeoutSec:  10,
		Table:       TableReadWrite,
		Secrets:     []string{SMSCallbackSecretParameter},
		SMSProvider: SMSTencent,
		SendsTo:     []string{DispatchQueue}, // replies other than TD, for the keyword flows
		Routes: []Route{
			{Method: "POST", Path: "/v1/sms/callbacks/{secret}/receipts", Op: "smsReceipts", Access: Callback, MaxBodyBytes: 1 << 20},
			{Method: "POST", Path: "/v1/sms/callbacks/{secret}/replies", Op: "smsReplies", Access: Callback},
		},
	},
	{
		Name:        "smsevents",
		Description: "AWS End User Messaging SMS: residents' replies (two-way SNS topic) and delivery events",
		MemoryMB:    256,
		TimeoutSec:  30,
		Table:       TableReadWrite,
		SMSProvider: SMSPinpoint,
		SendsTo:     []string{DispatchQueue}, // replies other than TD, for the keyword flows
		Triggers: []Trigger{
			{Kind: Topic, Name: "sms-inbound", Publisher: "sms-voice.amazonaws.com"},
			{Kind: Events, Name: "sms-delivery", Source: "aws.sms-voice", DetailTypes: []string{"Text Message Delivery Status Updated"}},
		},
	},
}

// DispatchQueue carries notice fan-out and SMS sends to the dispatch function.
const DispatchQueue = "dispatch"

// Lookup returns the function named name.
func Lookup(name string) (Function, error) {
	for _, f := range Functions {
		if f.Name == name {
			return f, nil
		}
	}
	return Function{}, fmt.Errorf("manifest: no function %q", name)
}

// Routes lists the routes of all the given functions.
func Routes(fns []Function) []Route {
	var out []Route
	for _, f := range fns {
		out = append(out, f.Routes...)
	}
	return out
}

// Validate checks that names, ops and patterns are unique and well formed.
func Validate(fns []Function) error {
	names := map[string]bool{}
	ops := map[string]bool{}
	patterns := map[string]bool{}
	for _, f := range fns {
		if f.Name == "" || strings.ContainsAny(f.Name, "/ ") {
			return fmt.Errorf("manifest: bad function name %q", f.Name)
		}
		if names[f.Name] {
			return fmt.Errorf("manifest: function %q declared twice", f.Name)
		}
		names[f.Name] = true
		if f.MemoryMB < 128 || f.TimeoutSec < 1 {
			return fmt.Errorf("manifest: function %q needs memory ≥ 128 MB and a timeout", f.Name)
		}
		if f.SMSProvider != "" && f.SMSProvider != SMSPinpoint && f.SMSProvider != SMSTencent {
			return fmt.Errorf("manifest: function %q is for SMS provider %q", f.Name, f.SMSProvider)
		}
		if len(f.Routes) > 0 && f.TimeoutSec > MaxHTTPTimeoutSec {
			return fmt.Errorf("manifest: function %q serves HTTP routes with a %d s timeout; API Gateway cuts requests at 30 s (at most %d)", f.Name, f.TimeoutSec, MaxHTTPTimeoutSec)
		}
		for _, r := range f.Routes {
			if !strings.HasPrefix(r.Path, "/") || r.Op == "" {
				return fmt.Errorf("manifest: route %q of %q needs a path and an op", r.Pattern(), f.Name)
			}
			switch r.Method {
			case "GET", "POST", "PUT", "PATCH", "DELETE":
			default:
				return fmt.Errorf("manifest: route %q has method %q", r.Path, r.Method)
			}
			if ops[r.Op] {
				return fmt.Errorf("manifest: op %q declared twice", r.Op)
			}
			ops[r.Op] = true
			if patterns[r.Pattern()] {
				return fmt.Errorf("manifest: route %q declared twice", r.Pattern())
			}
			patterns[r.Pattern()] = true
		}
		for _, t := range f.Triggers {
			switch t.Kind {
			case Schedule:
				if t.Expression == "" {
					return fmt.Errorf("manifest: schedule %q of %q has no expression", t.Name, f.Name)
				}
			case Queue, Topic:
				if t.Name == "" {
					return fmt.Errorf("manifest: %s trigger of %q has no name", t.Kind, f.Name)
				}
			case Events:
				if t.Name == "" || t.Source == "" {
					return fmt.Errorf("manifest: events trigger of %q needs a name and a source", f.Name)
				}
			default:
				return fmt.Errorf("manifest: trigger kind %q of %q", t.Kind, f.Name)
			}
		}
	}
	return nil
}
