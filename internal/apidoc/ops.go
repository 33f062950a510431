package apidoc

import "github.com/getkin/kin-openapi/openapi3"

// param is a query parameter.
type param struct {
	name        string
	schema      *openapi3.Schema
	required    bool
	description string
}

// answer is one success answer of an operation.
type answer struct {
	status      int
	schema      *openapi3.SchemaRef
	csv         bool   // text/csv instead of JSON (with ?format=csv)
	media       string // another media type, with a string body
	description string
}

// op is what the document says of an operation beyond the manifest.
type op struct {
	summary     string
	description string
	query       []param
	body        *openapi3.Schema // a JSON body
	// optionalBody: the JSON body may be left out.
	optionalBody bool
	csvBody      string // a text/csv body: what it holds
	answers      []answer
	// codes are the error codes the operation answers, by status, beyond
	// those every operation of its kind answers (see build.go).
	codes map[int][]string
}

func ok(s *openapi3.SchemaRef) []answer      { return []answer{{status: 200, schema: s}} }
func created(s *openapi3.SchemaRef) []answer { return []answer{{status: 201, schema: s}} }

func list(name string, items *openapi3.SchemaRef, cursor bool) *openapi3.SchemaRef {
	p := props{name: S(array(items))}
	req := []string{name}
	if cursor {
		p["cursor"] = S(describe(openapi3.NewStringSchema(), "Pass as ?cursor= for the next page; empty on the last."))
		req = append(req, "cursor")
	}
	return S(object(p, req...))
}

var (
	cursorParam = param{name: "cursor", schema: str(1, 4096), description: "From the previous page's answer."}
	limitParam  = param{name: "limit", schema: integer(1, 200), description: "Items a page (default 50)."}
	formatParam = param{name: "format", schema: enum("json", "csv", "xlsx"), description: "csv: a file Excel opens (UTF-8 with BOM); xlsx: an Excel workbook, every cell text."}
)

// careFlags are the register's care flags (重点人群).
var careFlags = []string{"bedridden", "pregnant", "chronic", "alone", "dialysis", "chemotherapy", "oxygen", "insulin", "disability", "infant"}

// ops describes every operation of the manifest, by op name.
var ops = mergeOps(coreOps, suppliesOps, volunteerOps, auditOps, playbookOps, retentionOps, screeningOps, watchOps, careOps, dailyOps, gateOps)

// auditOps describe the street's audit log.
var auditOps = map[string]op{
	"streetAudit": {summary: "The street's audit log of a day",
		description: "Every request of staff and admins that may change data, and their reads of many people's personal data (resident search, the pick list with phones, the help list), written before it runs (a request whose entry cannot be written is refused) with its outcome after: who, their roles, what (the operation), when, which ids, from which address; for a read, its query and how many people it answered; for a change of a playbook, zones, help settings or bookings made for others, what it was before and after. Entries are kept 400 days.",
		query: []param{{name: "day", schema: day(), description: "A Beijing day; default today."}, cursorParam,
			{name: "limit", schema: integer(1, 500), description: "Entries a page (default 200)."}},
		answers: ok(list("entries", inline(object(props{
			"at": S(beijingTime()), "requestId": S(describe(str(1, 256), "The request's; an action a request took (a playbook's step) adds its time and op.")), "userId": S(id("")), "name": S(describe(str(1, 64), "A volunteer's name (field actions: a 楼栋长's, a lane's).")), "roles": S(array(S(enum("resident", "volunteer", "staff", "admin")))),
			"streetId": S(id("")), "communityId": S(id("")), "op": S(str(1, 64)), "method": S(describe(enum("GET", "POST", "PUT", "PATCH", "DELETE", "ACTION"), "ACTION: an action the request took (a playbook step's, a hand-over without a door code).")),
			"path": S(str(1, 2048)), "ids": S(describe(&openapi3.Schema{Type: &openapi3.Types{"object"}, AdditionalProperties: openapi3.AdditionalProperties{Schema: S(str(0, 128))}}, "The path's ids by name, each at most 128 characters.")),
			"ip": S(str(0, 64)), "status": S(describe(integer(0, 599), "The answer's status; 0 when no outcome was recorded.")),
			"query": S(describe(str(0, 512), "A read's query, phone numbers masked.")),
			"count": S(describe(integer(0, 1e6), "How many people's records a read answered.")),
			"changes": S(describe(arrayOf(object(props{
				"what": S(str(1, 64)), "before": S(describe(str(0, 16<<10), "JSON, phone numbers masked.")), "after": S(describe(str(0, 16<<10), "JSON, phone numbers masked.")),
			}, "what", "before", "after")), "What the action changed.")),
		}, "at", "requestId", "userId", "roles", "streetId", "op", "method", "path", "ids", "ip", "status")), true)),
		codes: map[int][]string{400: {"INVALID_CURSOR"}}},
}

func mergeOps(sets ...map[string]op) map[string]op {
	out := map[string]op{}
	for _, set := range sets {
		for name, o := range set {
			if _, taken := out[name]; taken {
				panic("apidoc: two operations named " + name)
			}
			out[name] = o
		}
	}
	return out
}

// coreOps are the operations of sign-in, the registry, booking and notices.
var coreOps = map[string]op{
	"health": {summary: "Is the API up",
		description: "200 when DynamoDB answers and the deployment is ready; 503 STARTING while `make run` seeds its demo.",
		answers:     ok(S(object(props{"status": S(enum("ok")), "dynamodb": S(enum("reachable"))}, "status", "dynamodb"))),
		codes:       map[int][]string{503: {"STARTING"}}},
	"openapi": {summary: "This document",
		answers: ok(S(describe(openapi3.NewObjectSchema(), "The OpenAPI 3 document.")))},
	"apiDocs": {summary: "A readable reference of this document",
		description: "An HTML page rendered from /v1/openapi.json by Redoc, served with the API (no CDN).",
		answers:     []answer{{status: 200, media: "text/html", description: "HTML"}}},
	"apiDocsScript": {summary: "The renderer of /v1/docs",
		description: "Redoc's standalone bundle, pinned and checked, served from the API itself.",
		answers:     []answer{{status: 200, media: "text/javascript", description: "JavaScript"}},
		codes:       map[int][]string{503: {"DOCS_UNAVAILABLE"}}},

	"requestOtp": {summary: "Send a sign-in or sign-up code by SMS",
		description: "An unknown phone is answered exactly like a known one (and held to the same waits), but gets no SMS and costs nothing. " +
			"A phone waits a minute before its next code, then longer, never more than 10 minutes; a client address gets 60 codes an hour; " +
			"codes texted take from their street's share (10,000 an hour by default) and the deployment's ceiling (30,000). Every 429 has a truthful Retry-After. " +
			"`purpose: signup` texts a sign-up code to any phone, for a person who proves their phone as they sign up as a volunteer: it needs the token of " +
			"the community's live sign-up link (`signupLink`) and has budgets of its own (10 an address, 100 a community, 1,000 the deployment, an hour), which never take sign-in's.",
		body: object(props{"phone": S(phone()),
			"purpose":    S(describe(enum("signin", "signup"), "signin (the default) or signup.")),
			"signupLink": S(describe(pattern(`^[a-z2-7]{24}$`, ""), "For a sign-up: the token of the community's sign-up link (without a live one: 403 SIGNUP_LINK_INVALID)."))}, "phone"),
		answers: []answer{{status: 202, schema: S(object(props{"expiresInSeconds": S(integer(1, 3600))}, "expiresInSeconds"))}},
		codes: map[int][]string{400: {"INVALID_PHONE", "VALIDATION_FAILED"}, 403: {"SIGNUP_LINK_INVALID"}, 429: {"OTP_RATE_LIMITED", "SIGNUP_RATE_LIMITED"},
			503: {"SIGNIN_UNAVAILABLE", "SMS_UNAVAILABLE"}}},
	"getSignupLink": {summary: "The community's sign-up link",
		description: "The live link volunteers sign up by; 404 when there is none (never made, or revoked).",
		answers:     ok(ref("SignupLink")), codes: map[int][]string{404: {"SIGNUP_LINK_NONE"}}},
	"rotateSignupLink": {summary: "Make a new sign-up link",
		description: "The new link replaces the live one, which stops working at once: rotate when a poster's link leaked to where it should not be.",
		answers:     created(ref("SignupLink")), codes: map[int][]string{409: {"CHANGED_MEANWHILE"}}},
	"revokeSignupLink": {summary: "Revoke the sign-up link",
		description: "No sign-up code is texted for the community until a new link is made. `revoked` says whether there was a live one.",
		answers:     ok(S(object(props{"revoked": S(openapi3.NewBoolSchema())}, "revoked"))), codes: map[int][]string{409: {"CHANGED_MEANWHILE"}}},
	"createToken": {summary: "Exchange a code for a token",
		description: "A code works once and locks after 5 wrong tries; a client address may try 30 wrong codes an hour.",
		body:        object(props{"phone": S(phone()), "code": S(pattern(`^[0-9]{6}$`, "The 6 digits of the SMS."))}, "phone", "code"),
		answers:     ok(ref("Session")),
		codes:       map[int][]string{400: {"INVALID_PHONE"}, 401: {"OTP_INVALID"}, 429: {"OTP_LOCKED", "TOKEN_RATE_LIMITED"}, 503: {"SIGNIN_UNAVAILABLE"}}},
	"wechatToken": {summary: "Sign in with WeChat",
		description: "`code` is wx.login's. The first time, bind the WeChat account to a phone proven by an SMS code (`phone` and `otp`).",
		body: &openapi3.Schema{OneOf: openapi3.SchemaRefs{
			S(describe(object(props{"code": S(describe(str(1, 128), "From wx.login."))}, "code"), "A WeChat account bound before.")),
			S(describe(object(props{
				"code":  S(describe(str(1, 128), "From wx.login.")),
				"phone": S(phone()),
				"otp":   S(pattern(`^[0-9]{6}$`, "The SMS code sent to phone.")),
			}, "code", "phone", "otp"), "The first time: bind the WeChat account to a phone proven by its SMS code.")),
		}},
		answers: ok(ref("Session")),
		codes: map[int][]string{400: {"INVALID_PHONE"}, 401: {"WECHAT_CODE_INVALID", "WECHAT_NOT_BOUND", "OTP_INVALID"}, 403: {"WECHAT_USER_BLOCKED"},
			404: {"WECHAT_NOT_CONFIGURED"}, 429: {"WECHAT_RATE_LIMITED", "OTP_LOCKED", "TOKEN_RATE_LIMITED"}, 503: {"WECHAT_UNAVAILABLE", "SIGNIN_UNAVAILABLE"}}},

	"getMe": {summary: "Who am I", description: "The user; for a resident also the household and its members.",
		answers: ok(ref("Me"))},
	"getCommunity": {summary: "A community", answers: ok(ref("Community"))},
	"importResidents": {summary: "Import buildings, households and residents",
		description: "A CSV file, UTF-8 with or without BOM, one header row in Chinese or English: 楼栋/building, 单元/unit, 房号/room, 姓名/name, and optionally 手机号/phone, 出生年份/birthYear, 标记/flags. " +
			"Each line that fails is reported and writes nothing; the same file twice changes nothing. At most 12,000 lines and 4 MiB.",
		csvBody: "The community's residents.",
		answers: ok(ref("ImportReport")),
		codes:   map[int][]string{400: {"IMPORT_FILE_INVALID"}, 503: {"IMPORT_INCOMPLETE"}}},
	"listBuildings": {summary: "Buildings with their counts, in walking order",
		query: []param{cursorParam, limitParam}, answers: ok(list("buildings", ref("Building"), true)),
		codes: map[int][]string{400: {"INVALID_CURSOR"}}},
	"findResidents": {summary: "Find residents by exact phone, name prefix, or door",
		query: []param{
			{name: "phone", schema: phone(), description: "An exact phone; or give name, or buildingId."},
			{name: "name", schema: text(32, "The first characters of a name; or give phone."), description: "The first characters of a name; or give phone, or buildingId."},
			{name: "buildingId", schema: id(""), description: "Everyone of a building (one page); with unit and room, of one door."},
			{name: "unit", schema: str(1, 16), description: "With buildingId: one unit."},
			{name: "room", schema: str(1, 16), description: "With buildingId: one room."},
			cursorParam, limitParam,
		},
		answers: ok(list("residents", ref("Resident"), true)),
		codes:   map[int][]string{400: {"INVALID_PHONE", "INVALID_CURSOR"}, 404: {"BUILDING_NOT_FOUND"}}},
	"addResident": {summary: "Add a person to a household (a correction of the register)",
		description: "Staff of the community, with why (kept in the audit log). The phone, if any, signs in as the new resident; a phone that signs in as someone else is refused (PHONE_TAKEN). The next import of the whole file keeps the person.",
		body: object(props{
			"householdId": S(id("An existing household of the community.")), "name": S(text(32, "")), "phone": S(phone()),
			"birthYear": S(describe(integer(1900, 2100), "Not after this year.")), "flags": S(arrayOf(enum(careFlags...))),
			"reason": S(describe(str(1, 100), "Why: kept in the audit log.")),
		}, "householdId", "name", "reason"),
		answers: created(ref("Resident")),
		codes:   map[int][]string{409: {"RESIDENT_EXISTS", "PHONE_TAKEN"}}},
	"updateResident": {summary: "Correct one resident: move, status, phone, care flags",
		description: "Any of: householdId (a move within the community: the person goes on under a new id in the new household, their phone's sign-in with them; the old record says moved_out and movedTo), status (present, away with where, moved_out, deceased: the last two take the person out of rosters, notices and door lists and end their phone's sign-in), phone (empty removes it), flags. Every change says why (the audit log keeps who and why), and each field set is marked corrected: an import of the whole file keeps it and reports the lines that differ. A change made by someone else meanwhile is refused (CHANGED_MEANWHILE).",
		body: object(props{
			"householdId": S(id("")),
			"status":      S(enum("present", "away", "moved_out", "deceased")),
			"where":       S(describe(str(0, 40), "With away: where they are.")),
			"phone":       S(pattern(`^(1[3-9][0-9]{9})?$`, "An 11-digit mainland mobile number; empty removes it.")),
			"flags":       S(arrayOf(enum(careFlags...))),
			"reason":      S(text(100, "Why: kept in the audit log.")),
		}, "reason"),
		answers: ok(ref("Resident")),
		codes:   map[int][]string{404: {"RESIDENT_NOT_FOUND"}, 409: {"RESIDENT_EXISTS", "PHONE_TAKEN", "CHANGED_MEANWHILE", "RESIDENT_NOT_CURRENT", "UNDER_WATCH"}}},
	"getHousehold": {summary: "A household: its door and its members (the household card)",
		description: "Staff of its community and its street's admins (others: FORBIDDEN); care flags for those who see them.",
		answers:     ok(S(object(props{"household": ref("Household"), "members": S(array(ref("Resident")))}, "household", "members"))),
		codes:       map[int][]string{404: {"HOUSEHOLD_NOT_FOUND"}}},
	"createStaff": {summary: "Add a staff member to a community",
		description: "A phone that belongs to a staff member, an admin, or anyone outside the admin's street answers PHONE_TAKEN. A resident (or volunteer) of the admin's own street becomes staff only with confirmResident, and keeps their household.",
		body:        object(props{"name": S(text(32, "The person's name.")), "phone": S(phone()), "confirmResident": S(boolean())}, "name", "phone"),
		answers:     created(ref("Staff")),
		codes:       map[int][]string{409: {"PHONE_TAKEN", "PHONE_IS_RESIDENT"}}},
	"listCommunities": {summary: "The street's communities", description: "For the street's admin: the console switches between them and shows them side by side.",
		answers: ok(list("communities", ref("Community"), false))},
	"createCommunity": {summary: "Add a community to a street",
		body: object(props{"name": S(text(64, "The community's name."))}, "name"), answers: created(ref("Community"))},

	"createRound": {summary: "Open a testing round",
		description: "endsAt after startsAt; at most 96 slots per site; a start more than 5 minutes in the past needs allowPastStart.",
		body: object(props{
			"name": S(text(64, "E.g. 第5轮.")), "startsAt": S(anyTime()), "endsAt": S(anyTime()),
			"slotMinutes":               S(integer(5, 240)),
			"checkInOpensMinutesBefore": S(describe(integer(0, 240), "Check-in opens this long before the start (default 30).")),
			"allowPastStart":            S(describe(boolean(), "Open a round already under way.")),
			"bookingRequired":           S(describe(boolean(), "false: booking optional, the building windows are the plan (default true).")),
			"pooling":                   ref("Pooling"),
		}, "name", "startsAt", "endsAt", "slotMinutes"),
		answers: created(ref("Round"))},
	"listRounds": {summary: "A community's latest rounds", answers: ok(list("rounds", ref("Round"), false))},
	"missedRounds": {summary: "Who missed the two latest rounds (每日一检)",
		description: "The residents sampled in neither of the community's two latest rounds that have begun (drills apart), door by door, with the reason staff gave in each (\"\" where none). With fewer than two rounds, the list is empty.",
		answers:     ok(ref("Missed")), codes: map[int][]string{}},
	"getRound": {summary: "A round", answers: ok(ref("Round")), codes: map[int][]string{404: {"ROUND_NOT_FOUND"}}},
	"addSite": {summary: "Add a sampling site",
		description: "Its slots are generated: lanes × perLanePerSlot places in each slot of the round still to come; those outside its hours (opensAt, closesAt, on the round's slot boundaries) closed. A spare site (备用点) is defined with all its slots closed, counts in no capacity but the remedies', and opens with POST /v1/sites/{siteId}/open or with a closure (?open=).",
		body: object(props{"name": S(text(64, "E.g. 东门.")), "lanes": S(integer(1, 50)), "perLanePerSlot": S(integer(1, 500)),
			"spare":   S(describe(boolean(), "Define it without opening it.")),
			"opensAt": S(beijingTime()), "closesAt": S(beijingTime())}, "name", "lanes", "perLanePerSlot"),
		answers: created(S(object(props{"id": S(id("The site.")), "site": ref("Site"), "slots": S(array(ref("Slot")))}, "id", "site", "slots"))),
		codes:   map[int][]string{404: {"ROUND_NOT_FOUND"}}},
	"closeSite": {summary: "Close a site mid-round",
		description: "Unless ?confirm=true, a closure whose bookings the other sites cannot hold is refused before anything moves (WOULD_STRAND_BOOKINGS, with how many and what would hold them). Households booked in its slots still to come move, together, to the earliest open slot of another site with room, or are cancelled; each is told by SMS through the dispatch queue (paced, thousands at once). Residents already sampled are left alone. The round is planned again for what is left. Once the site is closed the moves finish whether or not the caller waits.",
		query: []param{{name: "confirm", schema: enum("true", "false"), description: "Close though the other sites cannot hold its bookings (those left are cancelled and told)."},
			{name: "open", schema: id(""), description: "A spare site of the round to open first, in the same call: the closure's people may move to it, and the dry run counts it."}},
		answers: ok(ref("Closure")), codes: map[int][]string{400: {"NOT_A_SPARE_SITE"}, 404: {"SITE_NOT_FOUND"}, 409: {"WOULD_STRAND_BOOKINGS"}}},
	"openSite": {summary: "Open a spare site (备用点)",
		description: "Its slots within its hours take people from now, and the round is planned again with it (the plan in the answer). Opening an open site answers it as it is.",
		answers:     ok(ref("SiteChange")),
		codes:       map[int][]string{404: {"SITE_NOT_FOUND"}}},
	"planRound": {summary: "Give each building a window (整楼带进带出)",
		description: "Answers with the round's capacity against its demand (and, when short, what would cover it) and the note of the community's previous round. With ?publish=true each household is told its building's window and site: in the app feed (GET /v1/me/notices), and by SMS (round_window, once per window) when no member signed in to the app in the last 7 days.",
		query:       []param{{name: "publish", schema: enum("true", "false"), description: "Text each household its window."}},
		answers:     ok(ref("Plan")),
		codes:       map[int][]string{404: {"ROUND_NOT_FOUND"}}},
	"patchSite": {summary: "Change a site's lanes, places or hours while the round runs",
		description: "Its slots still to come take the new size at once, in one transaction. Slots the new hours leave out close, and their bookings move as a closure's do (to the earliest open slot at their time or later with room, at this site or another), each household told by SMS; slots the new hours take in open, and the round is planned again. A change that would leave booked people without a place is refused before anything changes (WOULD_STRAND_BOOKINGS, with the count and what would hold them) unless ?confirm=true: then a smaller slot keeps its bookings and takes no more, and those with nowhere to move are cancelled and told. Answers with the round's capacity.",
		query:       []param{{name: "confirm", schema: enum("true", "false"), description: "Go on though booked people would lose their place."}},
		body: object(props{"lanes": S(integer(1, 50)), "perLanePerSlot": S(integer(1, 500)),
			"opensAt":  S(describe(beijingTime(), "On the round's slot boundaries, within the round.")),
			"closesAt": S(describe(beijingTime(), "On the round's slot boundaries, within the round."))}).WithMinProperties(1),
		answers: ok(ref("SiteChange")),
		codes:   map[int][]string{404: {"SITE_NOT_FOUND"}, 409: {"WOULD_STRAND_BOOKINGS"}}},
	"callBuilding": {summary: "Call a building down now (叫楼)",
		description:  "Its households with someone not yet sampled (and with no reason given) are texted to come to the site now (building_called), one text a household, written with the call so nothing is lost if the queue is down. Once per building every 15 minutes. Staff call any building; a 楼栋长 (a volunteer on shift at a building_lead post) their own.",
		body:         object(props{"siteId": S(id("The site to go to; the building's window's by default."))}),
		optionalBody: true,
		answers:      created(ref("Call")),
		codes:        map[int][]string{403: {"NOT_ON_DUTY"}, 404: {"ROUND_NOT_FOUND", "BUILDING_NOT_FOUND", "SITE_NOT_FOUND"}, 409: {"CALLED_RECENTLY", "NO_OPEN_SITE"}}},
	"myField": {summary: "What I may do in a round's field work",
		description: "The sites the caller checks people in at (a volunteer's on shift; staff: every open site), the buildings they may read (the lane's picker) and those they may call down: what a field page opened from a link shows.",
		answers:     ok(ref("FieldView")),
		codes:       map[int][]string{403: {"NOT_ON_DUTY"}, 404: {"ROUND_NOT_FOUND"}}},
	"roundBuilding": {summary: "A building door by door, with each member's sampled state",
		description: "Names, unit and room only: no phone, no care flag. Staff read any building; a 楼栋长 theirs; a site volunteer or the door team any (the lane's picker: building → unit → room).",
		query:       []param{{name: "unit", schema: str(1, 16), description: "One unit only."}, {name: "room", schema: str(1, 16), description: "One room only."}},
		answers:     ok(ref("BuildingView")),
		codes:       map[int][]string{403: {"NOT_ON_DUTY"}, 404: {"ROUND_NOT_FOUND", "BUILDING_NOT_FOUND"}}},
	"doorList": {summary: "The bed-bound to sample at their doors (上门采样)",
		description: "Residents flagged bed-bound, or given the reason bedridden this round, door by door, with when each was sampled. Staff and the door team (a volunteer on shift at a door_sampling post).",
		answers:     ok(list("residents", ref("DoorVisit"), false)),
		codes:       map[int][]string{403: {"NOT_ON_DUTY"}, 404: {"ROUND_NOT_FOUND"}}},
	"roundReview": {summary: "The night's review (每晚复盘)",
		description: "Per site: samples per clock hour, peak per lane, walk-ins, the longest a booked person came late; no-shows per slot; calls and how many came; closures; the unsampled by reason; door visits done and left; the saved note.",
		query:       []param{formatParam},
		answers: []answer{{status: 200, schema: ref("Review")},
			{status: 200, csv: true, description: "With ?format=csv: a row per site and hour."}},
		codes: map[int][]string{404: {"ROUND_NOT_FOUND"}}},
	"saveRoundNote": {summary: "Save the night's note of a round",
		body:    object(props{"text": S(text(2000, "What to do better next round."))}, "text"),
		answers: ok(ref("RoundNote")),
		codes:   map[int][]string{404: {"ROUND_NOT_FOUND"}}},
	"listSlots": {summary: "A round's open slots, by time", answers: ok(list("slots", ref("Slot"), false)),
		codes: map[int][]string{404: {"ROUND_NOT_FOUND"}}},
	"createBookings": {summary: "Book residents into a slot",
		description: "One transaction: no slot holds more than its capacity, no resident two bookings in a round. A resident books their own household, inside the building's window while it has room; staff anyone of the community, anywhere, and each resident staff book is texted their time, site and code (booking_confirmed).",
		body: object(props{
			"slotId":      S(id("")),
			"residentIds": S(array(S(id(""))).WithMinItems(1).WithMaxItems(10)),
		}, "slotId", "residentIds"),
		answers: created(S(object(props{"bookings": S(array(ref("Booking"))), "steering": ref("Steering"),
			"notified": S(describe(integer(0, 10), "Confirmations texted (staff bookings; 0 for residents'): the others have no phone and are told in person."))},
			"bookings", "steering", "notified"))),
		codes: map[int][]string{400: {"UNKNOWN_RESIDENT"}, 404: {"ROUND_NOT_FOUND"},
			409: {"SLOT_FULL", "SLOT_UNAVAILABLE", "SLOT_PASSED", "ALREADY_BOOKED", "ALREADY_SAMPLED", "OUTSIDE_BUILDING_WINDOW"}}},
	"myBookings": {summary: "My household's live bookings", answers: ok(list("bookings", ref("Booking"), false))},
	"cancelBooking": {summary: "Cancel a booking; its place returns once", answers: ok(ref("Booking")),
		codes: map[int][]string{404: {"ROUND_NOT_FOUND"}, 409: {"NOT_BOOKED", "ALREADY_SAMPLED"}}},
	"rescheduleBooking": {summary: "Move a booking to another slot, in one transaction",
		body: object(props{"slotId": S(id(""))}, "slotId"), answers: ok(ref("Booking")),
		codes: map[int][]string{404: {"ROUND_NOT_FOUND"}, 409: {"NOT_BOOKED", "ALREADY_SAMPLED", "SLOT_FULL", "SLOT_UNAVAILABLE", "SLOT_PASSED", "OUTSIDE_BUILDING_WINDOW"}}},
	"checkIn": {summary: "Mark a resident sampled, by booking code or (walk-ins) resident id",
		description: "Give exactly one of code and residentId. Taken from checkInOpensMinutesBefore the round's start to its end. Staff check in anywhere; a volunteer on shift at a site's post gives that site (and is refused at another: NOT_YOUR_SITE); the door team gives atDoor.",
		body: &openapi3.Schema{OneOf: openapi3.SchemaRefs{
			S(object(props{"code": S(pattern(`^[2-9A-HJKMNP-Za-hjkmnp-z]{6}$`, "The booking code (QR content).")),
				"siteId": S(id("The site it is taken at.")), "atDoor": S(boolean()),
				"lane":     S(describe(integer(0, 50), "The site's lane (采样台) that took it, for the review per lane; with siteId.")),
				"tube":     S(pattern(`^([A-Za-z0-9]{4,32})?$`, "The tube's code (empty: none), scanned when the lane starts a tube; with a lane, later check-ins without one go into the lane's tube until it is full.")),
				"position": S(describe(integer(0, 20), "The swab's place in the tube.")),
			}, "code")),
			S(object(props{"residentId": S(id("A walk-in, or a door.")),
				"siteId": S(id("The site it is taken at.")), "atDoor": S(describe(boolean(), "Taken at the resident's door.")),
				"lane":     S(describe(integer(0, 50), "The site's lane (采样台) that took it; with siteId.")),
				"tube":     S(pattern(`^([A-Za-z0-9]{4,32})?$`, "The tube's code (empty: none), scanned when the lane starts a tube; with a lane, later check-ins without one go into the lane's tube until it is full.")),
				"position": S(describe(integer(0, 20), "The swab's place in the tube.")),
			}, "residentId")),
		}},
		answers: created(ref("CheckIn")),
		codes: map[int][]string{400: {"UNKNOWN_RESIDENT"}, 403: {"NOT_ON_DUTY", "NOT_YOUR_SITE"}, 404: {"ROUND_NOT_FOUND", "UNKNOWN_CODE", "SITE_NOT_FOUND"},
			409: {"ALREADY_SAMPLED", "ROUND_NOT_OPEN", "TUBE_FULL", "TUBE_OTHER_ZONE", "TUBE_OTHER_HOUSEHOLD", "TUBE_RESULTED"}}},
	"recordResults": {summary: "The lab's results of a round's tubes",
		description: "JSON {results: [{tube, result}]}, or a CSV file or an Excel workbook (.xlsx, its first sheet) with 试管码 and 结果 columns (阴性/混管阳性/阳性/无效 or negative/pooled_positive/positive/invalid). Every row is checked first; a tube given two different results is refused whole; a tube not in the round is reported; the same file twice changes nothing. Tubes are written eight at a time, each in one transaction with what it starts: a pooled-positive tube opens its trace there — its households under control (a household zone, controlled, reason pooled_positive), texted (trace_hold) and told in the app, their door list due in 2 hours (overdue escalates to the staff on duty, then to every staff member and the street). If the function's time runs out first, the answer is 503 RESULTS_INCOMPLETE with Retry-After: whole tubes are written, and the same file again finishes the upload. At most 5,000 rows.",
		body: object(props{"results": S(array(S(object(props{
			"tube": S(str(1, 40)), "result": S(str(1, 20)),
		}, "tube", "result"))).WithMaxItems(5000))}, "results"),
		csvBody: "The lab's results: 试管码, 结果.",
		answers: ok(ref("ResultsReport")),
		codes:   map[int][]string{400: {"RESULTS_FILE_INVALID"}, 404: {"ROUND_NOT_FOUND"}, 503: {"RESULTS_INCOMPLETE"}}},
	"importSamples": {summary: "Import the official sampling system's export",
		description: "A CSV file (UTF-8 with or without BOM) or an Excel workbook (.xlsx, its first sheet), with 姓名, 手机号, 证件号码 (masked: a full number refuses the row and is not kept), 采集时间 (Beijing time), 采样点 and 试管码. Each row is matched to the register by phone and name, or by a name only one resident has; a matched row marks the person sampled into the tube (its size by their building's zone level). Unmatched rows (nobody, or several people) and conflicting ones (a person already in another tube, a tube over its size or of another zone level) are reported; the same file twice changes nothing. At most 15,000 rows and 4 MiB.",
		csvBody:     "The sampling system's export.",
		answers:     ok(ref("SamplesReport")),
		codes:       map[int][]string{400: {"SAMPLES_FILE_INVALID"}, 404: {"ROUND_NOT_FOUND"}, 503: {"IMPORT_INCOMPLETE"}}},
	"listTraces": {summary: "The round's traces of pooled-positive tubes (混管阳性追踪)",
		description: "Each pooled-positive (or positive) tube's households, held in place (a household zone, controlled, reason pooled_positive) and texted (trace_hold) with the result, its people and their single samples (单采复核) with their results, due 2 hours after the result (overdue past it with samples still to take: texted to the staff on duty, 2 hours later to every staff member and the street's admins, trace_overdue). A trace is released when every single sample is negative (each household's zone back to what it was, texted trace_released) and escalated on a positive: that household sealed (reason positive), its members listed as close contacts, and the proposal to switch to emergency for staff to confirm. For staff and the door team.",
		answers:     ok(list("traces", ref("Trace"), false)), codes: map[int][]string{403: {"NOT_ON_DUTY"}, 404: {"ROUND_NOT_FOUND"}}},
	"takeSingle": {summary: "A single sample at a traced person's door (单采)",
		description: "Into a new one-swab tube; its result comes with the lab's results (POST /results) and settles the trace. A person has one single sample a trace (ALREADY_SINGLE_SAMPLED), unless the lab found theirs invalid: then it is taken again, into a new tube. For staff and the door team.",
		body:        object(props{"residentId": S(id("A person of an open trace.")), "tube": S(pattern(`^[A-Za-z0-9]{4,32}$`, "The new tube's code."))}, "residentId", "tube"),
		answers:     created(ref("Single")),
		codes:       map[int][]string{403: {"NOT_ON_DUTY"}, 404: {"ROUND_NOT_FOUND"}, 409: {"NOT_TRACED", "ALREADY_SINGLE_SAMPLED", "TUBE_IN_USE"}}},
	"getTube": {summary: "A tube: its people and their households",
		description: "The tube id is the round's id, -t, and the tube's code in lower case. Who to find when a tube comes back pooled positive: its members and their households' doors.",
		answers:     ok(ref("TubeView")), codes: map[int][]string{404: {"TUBE_NOT_FOUND"}}},
	"myResults": {summary: "My household's results in the latest rounds",
		description: "Each member sampled into a tube in the latest 3 rounds with a tube, with the tube's result (empty while the lab has not reported).",
		answers: ok(list("results", S(object(props{
			"roundId": S(id("")), "round": S(str(1, 64)), "residentId": S(id("")), "name": S(str(0, 32)),
			"result": S(describe(enum("", "negative", "pooled_positive", "positive", "invalid"), "Empty while pending.")),
		}, "roundId", "round", "residentId", "name", "result")), false))},
	"roundProgress": {summary: "The round per building and in all, its capacity, pace and calls",
		description: "Per building and in total: residents, booked, sampled, walk-ins, at the door, accounted for, left; capacity against demand with remedies when short; samples per hour and the projected finish; the call-downs and how many came within 30 minutes.",
		answers:     ok(ref("RoundProgress")), codes: map[int][]string{404: {"ROUND_NOT_FOUND"}}},
	"listUnsampled": {summary: "Residents not yet sampled, by building (the door-to-door list)",
		query: []param{{name: "buildingId", schema: id(""), description: "One building only."}, formatParam},
		answers: []answer{{status: 200, schema: list("residents", ref("Unsampled"), false)},
			{status: 200, csv: true, description: "With ?format=csv."}},
		codes: map[int][]string{404: {"ROUND_NOT_FOUND"}}},
	"setUnsampledReason": {summary: "Why a resident is not sampled",
		body:    object(props{"reason": S(enum("bedridden", "away", "isolating", "refused"))}, "reason"),
		answers: ok(S(object(props{"residentId": S(id("")), "reason": S(enum("bedridden", "away", "isolating", "refused"))}, "residentId", "reason"))),
		codes:   map[int][]string{400: {"UNKNOWN_RESIDENT"}, 404: {"ROUND_NOT_FOUND"}}},

	"setZones": {summary: "Seal, control or release buildings, units or households",
		description: "Whole buildings, units (by the unitIds of the building listing) and single households, 1 to 45 together, in one transaction with their history. A household's effective level is the strictest zone covering it: releasing a household leaves it under its building's or unit's zone.",
		body: object(props{
			"buildingIds":  S(array(S(id(""))).WithMaxItems(45)),
			"unitIds":      S(array(S(id(""))).WithMaxItems(45)),
			"householdIds": S(array(S(id(""))).WithMaxItems(45)),
			"level":        S(describe(enum("sealed", "controlled", "precaution", "none"), "none releases.")),
		}, "level"),

		answers: created(list("zones", ref("Zone"), false))},
	"listZones": {summary: "The community's current map", answers: ok(list("zones", ref("Zone"), false))},
	"createNotice": {summary: "Send a notice",
		description: "The app feed shows title and body; the SMS (channel sms) is a template with the title and a pointer to the app: free text cannot be sent by SMS in mainland China. previewNotice shows the exact SMS and its cost first.",
		body:        noticeInput(),
		answers:     created(ref("Notice"))},
	"previewNotice": {summary: "What a notice would reach and cost, before sending it",
		description: "The same body as createNotice, checked the same way; nothing is recorded or sent. Says the buildings, households and distinct phones it reaches and, with the sms channel, the exact SMS, its parts and the parts for the whole audience (what the provider bills).",
		body:        noticeInput(),
		answers: ok(S(object(props{
			"buildings":  S(integer(0, 1e5)),
			"households": S(integer(0, 1e7)),
			"phones":     S(describe(integer(0, 1e7), "Distinct phones that take SMS: one SMS each.")),
			"optedOut":   S(describe(integer(0, 1e7), "Phones of the audience that replied TD: no SMS (counted with the sms channel only).")),
			"sms": S(describe(object(props{
				"template":   S(str(1, 64)),
				"text":       S(describe(str(1, 500), "The SMS as a phone shows it, 【signature】 included.")),
				"characters": S(integer(1, 500)),
				"parts":      S(describe(integer(1, 10), "Parts one message takes: 70 Chinese characters fit one, 67 a part beyond.")),
				"totalParts": S(describe(integer(0, 1e8), "parts × phones.")),
			}, "template", "text", "characters", "parts", "totalParts").WithNullable(), "null without the sms channel.")),
		}, "buildings", "households", "phones", "optedOut", "sms")))},
	"listNotices": {summary: "The community's latest notices", answers: ok(list("notices", ref("Notice"), false))},
	"myNotices": {summary: "My building's feed, newest first: notices, and what testing rounds tell it",
		description: "Notices staff sent to the building, the published window of each round not yet ended (the current one: a closure's new plan shows at once), and each call of the building down to a site.",
		answers:     ok(list("notices", ref("FeedItem"), false))},
	"ackNotice": {summary: "Acknowledge a notice, once per household",
		answers: []answer{
			{status: 201, schema: S(object(props{"noticeId": S(id("")), "acknowledged": S(constTrue())}, "noticeId", "acknowledged")), description: "The first acknowledgement of the household."},
			{status: 200, schema: S(object(props{"noticeId": S(id("")), "acknowledged": S(constTrue())}, "noticeId", "acknowledged")), description: "Acknowledged before."},
		},
		codes: map[int][]string{404: {"NOTICE_NOT_FOUND"}}},
	"noticeDelivery": {summary: "Delivery counts and the households to knock on", answers: ok(ref("Delivery")),
		codes: map[int][]string{404: {"NOTICE_NOT_FOUND"}}},
	"setDrillOptIn": {summary: "Take part in drills, or not",
		description: "A resident who opts in sees drills' (演练) notices and rounds in the app; nobody gets a drill's SMS.",
		body:        object(props{"optIn": S(boolean())}, "optIn"),
		answers:     ok(S(object(props{"optIn": S(boolean())}, "optIn")))},
	"reportTemperature": {summary: "Report today's temperature",
		description: "For the caller or a member of their household (residentId), with symptoms (codes: fever, cough, fatigue, sore_throat, diarrhoea, smell_taste, none; none alone; default none). Rounded to a tenth; 37.3 °C or more is a fever, which alerts the community's staff once a day per resident. A person under watch (home isolation, health monitoring) has the reading as the window's check (morning before 14:00, evening after) and its alert instead: a fever or a symptom texts staff once a window (watch_alert); watched says so.",
		body:        object(props{"celsius": S(number(34, 43)), "residentId": S(id("A member of your household; default: you.")), "symptoms": S(array(S(enum(symptomCodes...))).WithMaxItems(7))}, "celsius"),
		answers:     created(ref("Reading")),
		codes:       map[int][]string{400: {"IMPLAUSIBLE_TEMPERATURE", "IMPLAUSIBLE_TEMPERATURE_CHANGE", "NOT_A_HOUSEHOLD_MEMBER"}, 409: {"REPORT_IN_PROGRESS"}}},
	"smsReceipts": {summary: "Tencent Cloud SMS delivery receipts (callback)",
		description: "Registered in Tencent Cloud's SMS console as the status callback; deployed with smsProvider=tencent. The path carries the callback secret (cmd/operator rotate-callback-secret); a wrong one answers 404. Each receipt moves its notice SMS from sent to delivered or failed, once; a receipt that cannot be read (no sid, a status other than SUCCESS or FAIL in any case) is passed over, the others are taken; fields Tencent Cloud adds are passed over.",
		body: &openapi3.Schema{Type: &openapi3.Types{"array"}, MaxItems: openapi3.Uint64Ptr(1000), Items: S(foreign(props{
			"user_receive_time": S(str(0, 32)), "nationcode": S(str(0, 8)), "mobile": S(str(0, 20)),
			"report_status": S(describe(str(0, 16), "SUCCESS or FAIL.")), "errmsg": S(str(0, 256)), "description": S(str(0, 256)),
			"sid": S(describe(str(0, 256), "The SerialNo SendSms answered.")),
		}))},
		answers: ok(ref("CallbackAnswer")),
		codes:   map[int][]string{503: {"CALLBACKS_UNAVAILABLE"}}},
	"smsReplies": {summary: "A resident's SMS reply (Tencent Cloud callback)",
		description: "Registered in Tencent Cloud's SMS console as the reply callback; deployed with smsProvider=tencent. TD (退订) stops SMS to the phone, 订阅 resumes them; a reply delivered twice acts once.",
		body: foreign(props{
			"extend": S(str(0, 32)), "mobile": S(str(1, 20)), "nationcode": S(str(0, 8)), "sign": S(str(0, 32)),
			"text": S(str(0, 2000)), "time": S(describe(integer(1, 1e11), "Unix seconds.")),
		}, "mobile", "text", "time"),
		answers: ok(ref("CallbackAnswer")),
		codes:   map[int][]string{503: {"CALLBACKS_UNAVAILABLE"}}},
	"listTemperatures": {summary: "A day's fevers, and who in the zones has not reported",
		query:   []param{{name: "day", schema: day(), description: "YYYY-MM-DD, Beijing time; default today."}},
		answers: ok(ref("TemperatureDay"))},
}

// noticeInput is the body of a notice, sent or previewed.
func noticeInput() *openapi3.Schema {
	return object(props{
		"title": S(text(40, "")),
		"body":  S(describe(str(1, 500).WithPattern(`\S`), "At most 500 characters; line breaks allowed, other control, bidi and zero-width characters refused.")),
		"audience": S(describe(&openapi3.Schema{OneOf: openapi3.SchemaRefs{
			S(object(props{"all": S(constTrue())}, "all")),
			S(object(props{"buildingIds": S(array(S(id(""))).WithMinItems(1).WithMaxItems(200))}, "buildingIds")),
			S(object(props{"zoneLevels": S(arrayOf(enum("sealed", "controlled", "precaution")).WithMinItems(1).WithMaxItems(3))}, "zoneLevels")),
		}}, `Exactly one of {"all":true}, {"buildingIds":[…]}, {"zoneLevels":[…]}.`)),
		"channels": S(arrayOf(enum("app", "sms")).WithMinItems(1).WithMaxItems(2)),
		"urgent":   S(boolean()),
	}, "title", "body", "audience", "channels")
}
