package apidoc

import "github.com/getkin/kin-openapi/openapi3"

var (
	volunteerCategories = []string{"party_member", "partner_unit", "veteran", "emergency_team", "individual"}
	volunteerSkills     = []string{"medical", "driving", "registration", "disinfection", "delivery", "counselling", "other"}
	postKinds           = []string{"queue_marshal", "checkpoint", "disinfection", "delivery", "site_assistant", "building_lead", "door_sampling", "screening", "other"}
	askStatuses         = []string{"asked", "accepted", "declined", "silent"}
)

// volunteerComponents are the schemas of volunteering.
func loanSchema() *openapi3.Schema {
	return object(props{
		"id": S(id("")), "volunteerId": S(id("")), "name": S(str(1, 32)),
		"homeCommunityId": S(describe(id(""), "The volunteer's own community, which approves.")),
		"communityId":     S(describe(id(""), "The community they are lent to.")),
		"from":            S(beijingTime()), "to": S(beijingTime()),
		"status": S(enum("requested", "approved", "declined")), "note": S(str(0, 100)),
		"requestedBy": S(id("")), "requestedAt": S(beijingTime()), "decidedBy": S(id("")), "decidedAt": S(beijingTime()),
	}, "id", "volunteerId", "name", "homeCommunityId", "communityId", "from", "to", "status", "requestedBy", "requestedAt")
}

func volunteerComponents() openapi3.Schemas {
	window := object(props{
		"day":  S(describe(integer(1, 7), "1 is Monday, 7 Sunday.")),
		"from": S(pattern(`^([01][0-9]|2[0-3]):[0-5][0-9]$`, "HH:MM, Beijing time.")),
		"to":   S(pattern(`^([01][0-9]|2[0-3]):[0-5][0-9]$`, "HH:MM, after from.")),
	}, "day", "from", "to")
	shift := object(props{"id": S(id("")), "startsAt": S(beijingTime()), "endsAt": S(beijingTime()),
		"need": S(describe(integer(1, 50), "People the shift needs: as many A roles, and as many B roles standing by."))},
		"id", "startsAt", "endsAt", "need")
	ask := object(props{
		"activationId": S(id("")), "communityId": S(id("")), "postId": S(id("")), "post": S(str(1, 10)), "shiftId": S(id("")),
		"startsAt": S(beijingTime()), "need": S(integer(1, 50)), "volunteerId": S(id("")), "name": S(str(1, 32)),
		"phone": S(describe(phone(), "For staff only.")), "role": S(enum("A", "B")), "status": S(enum(askStatuses...)),
		"askedAt": S(beijingTime()), "deadlineAt": S(beijingTime()), "answeredAt": S(beijingTime()), "minutes": S(integer(1, 60)),
		"drill": S(describe(id(""), "The drill run that called: its SMS went to the drill's outbox.")),
	}, "activationId", "communityId", "postId", "post", "shiftId", "startsAt", "need", "volunteerId", "name", "role", "status", "askedAt", "deadlineAt", "minutes")
	return openapi3.Schemas{
		"Loan": S(loanSchema()),
		"Volunteer": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "name": S(str(1, 32)), "phone": S(phone()),
			"category": S(enum(volunteerCategories...)), "skills": S(array(S(enum(volunteerSkills...)))),
			"availability": S(arrayOf(window)), "status": S(enum("pending", "approved", "rejected", "inactive")),
			"buildingId": S(id("Where they live, when they are a resident of the community.")),
			"createdAt":  S(beijingTime()), "decidedAt": S(beijingTime()), "decidedBy": S(id("")),
		}, "id", "communityId", "name", "phone", "category", "skills", "availability", "status", "createdAt")),
		"Duty": S(object(props{
			"at": S(beijingTime()), "onDuty": S(describe(integer(0, 1e6), "Volunteers checked in now.")),
			"unfilled": S(describe(integer(0, 1e6), "Shifts with fewer A roles assigned than they need.")),
			"shifts": S(array(S(object(props{
				"postId": S(id("")), "post": S(str(1, 10)), "kind": S(enum(postKinds...)), "place": S(str(0, 64)), "shiftId": S(id("")),
				"startsAt": S(beijingTime()), "endsAt": S(beijingTime()), "need": S(integer(1, 50)),
				"a": S(integer(0, 50)), "b": S(integer(0, 50)),
				"here":     S(describe(array(S(str(1, 32))), "Names of those checked in.")),
				"absent":   S(describe(array(S(str(1, 32))), "A roles not checked in once the shift started.")),
				"unfilled": S(boolean()), "underWay": S(boolean()),
			}, "postId", "post", "kind", "place", "shiftId", "startsAt", "endsAt", "need", "a", "b", "here", "absent", "unfilled", "underWay")))),
		}, "at", "onDuty", "unfilled", "shifts")),
		"Post": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "kind": S(enum(postKinds...)), "name": S(str(1, 10)), "place": S(str(0, 64)),
			"buildingId": S(id("")), "siteId": S(id("The sampling site it is at: its volunteers on shift check residents in there.")),
			"skills": S(array(S(enum(volunteerSkills...)))), "shifts": S(arrayOf(shift)),
			"squadLeader": S(id("The volunteer who leads the post's team.")), "createdAt": S(beijingTime()),
		}, "id", "communityId", "kind", "name", "place", "skills", "shifts", "createdAt")),
		"Assignment": S(object(props{
			"postId": S(id("")), "shiftId": S(id("")), "volunteerId": S(id("")), "role": S(enum("A", "B")), "name": S(str(1, 32)),
			"phone": S(describe(phone(), "For staff only.")), "category": S(enum(volunteerCategories...)), "post": S(str(1, 10)),
			"place": S(str(0, 64)), "startsAt": S(beijingTime()), "endsAt": S(beijingTime()), "squadLeader": S(boolean()),
		}, "postId", "shiftId", "volunteerId", "role", "name", "category", "post", "place", "startsAt", "endsAt", "squadLeader")),
		"Ask": S(ask),
		"Activation": S(object(props{
			"id": S(id("")), "communityId": S(id("")),
			"scope":     S(object(props{"postIds": S(array(S(id("")))), "categories": S(array(S(enum(volunteerCategories...)))), "all": S(boolean())})),
			"minutes":   S(describe(integer(1, 60), "An A's minutes to answer before the B is called.")),
			"createdAt": S(beijingTime()), "createdBy": S(id("")),
			"drill": S(describe(id(""), "The drill run that called.")),
			"asked": S(integer(0, 1e6)), "accepted": S(integer(0, 1e6)), "declined": S(integer(0, 1e6)),
			"silent":        S(describe(integer(0, 1e6), "Did not answer by the deadline.")),
			"waiting":       S(describe(integer(0, 1e6), "Asked, deadline not yet passed.")),
			"backupsCalled": S(integer(0, 1e6)),
			"unfilled":      S(describe(integer(0, 1e6), "Shifts with fewer accepted than needed and nobody left to wait for.")),
			"shifts": S(arrayOf(object(props{
				"postId": S(id("")), "post": S(str(1, 10)), "shiftId": S(id("")), "startsAt": S(beijingTime()), "need": S(integer(1, 50)),
				"accepted": S(integer(0, 100)), "waiting": S(integer(0, 100)), "unfilled": S(boolean()), "asks": S(array(ref("Ask"))),
			}, "postId", "post", "shiftId", "startsAt", "need", "accepted", "waiting", "unfilled", "asks"))),
		}, "id", "communityId", "scope", "minutes", "createdAt", "createdBy", "asked", "accepted", "declined", "silent", "waiting",
			"backupsCalled", "shifts", "unfilled")),
		"Checkin": S(object(props{
			"volunteerId": S(id("")), "communityId": S(id("")), "name": S(str(1, 32)), "category": S(enum(volunteerCategories...)),
			"postId": S(id("")), "post": S(str(1, 10)), "shiftId": S(id("")), "checkedInAt": S(beijingTime()),
			"checkedOutAt": S(beijingTime()), "minutes": S(describe(integer(0, 1e5), "Served, counted to at most an hour after the shift's end.")),
			"shiftEndsAt": S(beijingTime()),
		}, "volunteerId", "communityId", "name", "category", "postId", "post", "shiftId", "checkedInAt", "minutes", "shiftEndsAt")),
	}
}

var volunteerOps = map[string]op{
	"volunteerSignup": {summary: "Sign up as a volunteer",
		description: "The phone is proven by the code `POST /v1/auth/otp {phone, purpose: signup, signupLink}` texted to it, asked with this community's sign-up link (another community's is refused). The sign-up waits for staff approval; approved, the person signs in with that phone (a resident keeps their household: one sign-in, several roles).",
		body: object(props{
			"name": S(text(32, "")), "phone": S(phone()), "code": S(pattern(`^[0-9]{6}$`, "The 6 digits of the SMS.")),
			"category":     S(enum(volunteerCategories...)),
			"skills":       S(array(S(enum(volunteerSkills...))).WithMaxItems(7)),
			"availability": S(arrayOf(object(props{"day": S(integer(1, 7)), "from": S(pattern(`^([01][0-9]|2[0-3]):[0-5][0-9]$`, "")), "to": S(pattern(`^([01][0-9]|2[0-3]):[0-5][0-9]$`, ""))}, "day", "from", "to")).WithMaxItems(21)),
		}, "name", "phone", "code", "category"),
		answers: created(ref("Volunteer")),
		codes:   map[int][]string{401: {"OTP_INVALID"}, 403: {"SIGNUP_LINK_INVALID"}, 409: {"ALREADY_SIGNED_UP"}, 429: {"OTP_LOCKED", "TOKEN_RATE_LIMITED"}, 503: {"SIGNIN_UNAVAILABLE"}}},
	"listVolunteers": {summary: "The community's volunteers",
		query:   []param{{name: "status", schema: enum("pending", "approved", "rejected", "inactive"), description: "Only these."}},
		answers: ok(list("volunteers", ref("Volunteer"), false))},
	"approveVolunteer": {summary: "Approve a volunteer (also one deactivated before)", answers: ok(ref("Volunteer")),
		codes: map[int][]string{404: {"VOLUNTEER_NOT_FOUND"}, 409: {"VOLUNTEER_CHANGED"}}},
	"rejectVolunteer": {summary: "Reject a pending sign-up", answers: ok(ref("Volunteer")),
		codes: map[int][]string{404: {"VOLUNTEER_NOT_FOUND"}, 409: {"VOLUNTEER_CHANGED"}}},
	"deactivateVolunteer": {summary: "Deactivate a volunteer", description: "Their volunteer role ends and their tokens stop working within 30 seconds; a resident keeps their household.",
		answers: ok(ref("Volunteer")), codes: map[int][]string{404: {"VOLUNTEER_NOT_FOUND"}, 409: {"VOLUNTEER_CHANGED"}}},
	"createPost": {summary: "Add a post with its shifts",
		body: object(props{
			"kind": S(enum(postKinds...)), "name": S(text(10, "As SMS say it: at most 10 characters.")), "place": S(str(0, 64)),
			"buildingId": S(id("The building it is at, if any; a building_lead post's building.")),
			"siteId":     S(id("The sampling site it is at, if any (a site volunteer checks residents in there).")), "skills": S(array(S(enum(volunteerSkills...))).WithMaxItems(7)),
			"shifts": S(describe(arrayOf(object(props{"startsAt": S(anyTime()), "endsAt": S(anyTime()), "need": S(integer(1, 50))},
				"startsAt", "endsAt", "need")).WithMinItems(1).WithMaxItems(42), "Each at most 12 hours, not over, starting within 90 days.")),
		}, "kind", "name", "shifts"),
		answers: created(ref("Post"))},
	"listPosts": {summary: "The community's posts", description: "Staff see all; a volunteer the posts they serve or lead.",
		answers: ok(list("posts", ref("Post"), false))},
	"dutyBoard": {summary: "Who is on duty now, and what is short",
		description: "Each shift under way or starting within 2 hours, earliest first: the A and B roles assigned, who checked in, the A roles not at their post once it started, and whether it is short of A roles.",
		answers:     ok(ref("Duty"))},
	"assignVolunteer": {summary: "Put a volunteer on a shift as A or B",
		description: "A shift takes as many A and as many B roles as it needs people. squadLeader makes the volunteer the post's squad leader.",
		body: object(props{"volunteerId": S(id("")), "shiftId": S(id("")), "role": S(enum("A", "B")), "squadLeader": S(boolean())},
			"volunteerId", "shiftId", "role"),
		answers: created(ref("Assignment")),
		codes:   map[int][]string{404: {"POST_NOT_FOUND"}, 409: {"SHIFT_FULL", "ALREADY_ASSIGNED", "VOLUNTEER_NOT_APPROVED", "SHIFT_OVERLAP"}}},
	"listAssignments": {summary: "Who serves the post", answers: ok(list("assignments", ref("Assignment"), false)),
		codes: map[int][]string{404: {"POST_NOT_FOUND"}}},
	"suggestVolunteers": {summary: "Volunteers who could serve a shift, best first",
		description: "Ranked by matching skills, then availability at the shift's time, then living in the post's building, then emergency teams and party members.",
		query:       []param{{name: "shiftId", schema: id(""), required: true, description: "The shift."}},
		answers: ok(list("suggestions", inline(object(props{
			"volunteerId": S(id("")), "name": S(str(1, 32)), "category": S(enum(volunteerCategories...)), "score": S(integer(0, 1000)),
			"matchingSkills": S(array(S(enum(volunteerSkills...)))), "available": S(boolean()), "sameBuilding": S(boolean()),
		}, "volunteerId", "name", "category", "score", "matchingSkills", "available", "sameBuilding")), false)),
		codes: map[int][]string{404: {"POST_NOT_FOUND"}}},
	"activate": {summary: "One-click activation (一键启动)",
		description: "A second activation of the same scope while its calls are open is refused (ALREADY_CALLED). Every approved A volunteer of the shifts in scope not yet over is asked at once, in the app and by SMS. An A who declines or does not answer within the minutes is replaced by a B of the shift, by the job that runs every minute; when no B comes either, the squad leader and the staff are told.",
		body: describe(&openapi3.Schema{OneOf: openapi3.SchemaRefs{
			S(object(props{"all": S(constTrue()), "minutes": S(minutes())}, "all")),
			S(object(props{"postIds": S(array(S(id(""))).WithMinItems(1).WithMaxItems(100)), "minutes": S(minutes())}, "postIds")),
			S(object(props{"categories": S(array(S(enum(volunteerCategories...))).WithMinItems(1).WithMaxItems(5)), "minutes": S(minutes())}, "categories")),
		}}, `Exactly one of {"all":true}, {"postIds":[…]}, {"categories":[…]}; minutes (1 to 60, default 10) an A has to answer.`),
		answers: created(ref("Activation")),
		codes:   map[int][]string{409: {"NOTHING_TO_ACTIVATE", "ALREADY_CALLED"}}},
	"getActivation": {summary: "Live view of an activation", answers: ok(ref("Activation")),
		codes: map[int][]string{404: {"ACTIVATION_NOT_FOUND"}}},
	"respondActivation": {summary: "One-click response (一键响应)",
		description: "The answer applies to every open ask of yours in the activation. Accepting after the deadline still counts.",
		body:        object(props{"answer": S(enum("accept", "decline"))}, "answer"),
		answers:     ok(list("asks", ref("Ask"), false)),
		codes:       map[int][]string{404: {"ACTIVATION_NOT_FOUND"}, 409: {"NOT_ASKED"}}},
	"postCode": {summary: "The post's check-in code, for its device",
		description: "Put token in a QR code and fetch a new one at refreshAt: a code is good for one to two minutes. Staff and the post's squad leader.",
		answers: ok(S(object(props{"postId": S(id("")), "token": S(str(1, 128)),
			"code":      S(describe(pattern(`^[0-9]{6}$`, ""), "The same check-in as six digits, for a volunteer who texts 到岗 and the code.")),
			"expiresAt": S(beijingTime()), "refreshAt": S(beijingTime())},
			"postId", "token", "code", "expiresAt", "refreshAt"))),
		codes: map[int][]string{404: {"POST_NOT_FOUND"}}},
	"postCheckIn": {summary: "Check in at the post with its code",
		description: "Only a volunteer on a shift of the post starting within 30 minutes or under way; one check-in at a time.",
		body:        object(props{"token": S(str(1, 128))}, "token"),
		answers:     created(ref("Checkin")),
		codes:       map[int][]string{403: {"CHECKIN_CODE_INVALID", "NOT_ON_SHIFT"}, 404: {"POST_NOT_FOUND"}, 409: {"ALREADY_CHECKED_IN"}}},
	"postCheckOut": {summary: "Check out at the post with its code",
		body:    object(props{"token": S(str(1, 128))}, "token"),
		answers: ok(ref("Checkin")),
		codes:   map[int][]string{403: {"CHECKIN_CODE_INVALID"}, 404: {"POST_NOT_FOUND"}, 409: {"NOT_CHECKED_IN"}}},
	"myAssignments": {summary: "My shifts and what I am asked",
		answers: ok(S(object(props{"assignments": S(array(ref("Assignment"))), "asks": S(array(ref("Ask")))}, "assignments", "asks")))},
	"volunteerHours": {summary: "Hours served in a month, by volunteer and by category",
		query: []param{{name: "month", schema: pattern(`^20[0-9]{2}-(0[1-9]|1[0-2])$`, ""), required: true, description: "YYYY-MM, by the check-in's Beijing date."}, formatParam},
		answers: []answer{{status: 200, schema: S(object(props{
			"month": S(pattern(`^20[0-9]{2}-(0[1-9]|1[0-2])$`, "")),
			"volunteers": S(arrayOf(object(props{"volunteerId": S(id("")), "name": S(str(1, 32)), "category": S(enum(volunteerCategories...)),
				"shifts": S(integer(0, 1e4)), "minutes": S(integer(0, 1e6)), "hours": S(number(0, 1e5))},
				"volunteerId", "name", "category", "shifts", "minutes", "hours"))),
			"categories": S(arrayOf(object(props{"category": S(enum(volunteerCategories...)), "volunteers": S(integer(0, 1e5)),
				"shifts": S(integer(0, 1e6)), "minutes": S(integer(0, 1e7)), "hours": S(number(0, 1e6))}, "category", "volunteers", "shifts", "minutes", "hours"))),
			"minutes": S(integer(0, 1e8)), "hours": S(number(0, 1e7)),
		}, "month", "volunteers", "categories", "minutes", "hours"))}, {status: 200, csv: true}}},
	"volunteerRecords": {summary: "A month's served shifts as the national volunteer-service record has them (志愿服务记录)",
		description: "A row a check-out at the community's posts: 姓名, 服务时间, 服务地点, 服务内容, 服务时长, 记录单位 (this community), with the volunteer's home community (a lent volunteer's is another) and category. `?format=csv|xlsx` for filing.",
		query:       []param{{name: "month", schema: pattern(`^20[0-9]{2}-(0[1-9]|1[0-2])$`, ""), required: true, description: "YYYY-MM, by the check-in's Beijing date."}, formatParam},
		answers: []answer{{status: 200, schema: S(object(props{
			"month": S(pattern(`^20[0-9]{2}-(0[1-9]|1[0-2])$`, "")),
			"records": S(arrayOf(object(props{
				"volunteerId": S(id("")), "name": S(str(1, 32)), "category": S(enum(volunteerCategories...)),
				"homeCommunityId": S(id("")), "home": S(describe(str(0, 64), "The volunteer's home community.")),
				"from": S(beijingTime()), "to": S(beijingTime()), "place": S(str(0, 200)), "content": S(str(0, 100)),
				"hours": S(number(0, 24)), "recorder": S(describe(str(0, 64), "记录单位: the community whose post it was.")),
			}, "volunteerId", "name", "category", "homeCommunityId", "home", "from", "to", "place", "content", "hours", "recorder"))),
		}, "month", "records"))}, {status: 200, csv: true}}},
	"volunteerPool": {summary: "The street's volunteer pool (志愿服务数据库)",
		description: "Every approved volunteer of the street's communities, with their home community and where they are lent now. The street's admins and its communities' staff; a phone of another community's volunteer is masked for staff.",
		answers: ok(S(object(props{"volunteers": S(arrayOf(object(props{
			"id": S(id("")), "name": S(str(1, 32)), "phone": S(str(11, 11)), "category": S(enum(volunteerCategories...)),
			"skills": S(array(S(str(1, 32)))), "homeCommunityId": S(id("")), "home": S(str(0, 64)),
			"lentTo": S(describe(id(""), "The community they are lent to now.")),
		}, "id", "name", "phone", "category", "skills", "homeCommunityId", "home")))}, "volunteers")))},
	"requestLoan": {summary: "Ask another community of the street for one of its volunteers (借调)",
		description: "From a time to a time (up to 30 days): the volunteer's home community's staff approve or decline. Refused for a volunteer with a shift outside this community in that time (VOLUNTEER_ON_SHIFT) or lent elsewhere then (VOLUNTEER_LENT), of another street (NOT_IN_STREET), or not approved. Once approved, this community's posts take them for shifts inside the loan's time, their activations call them and their check-outs count here, with their home community kept.",
		body:        object(props{"volunteerId": S(id("")), "from": S(anyTime()), "to": S(anyTime()), "note": S(str(0, 100))}, "volunteerId", "from", "to"),
		answers:     created(ref("Loan")),
		codes:       map[int][]string{400: {"NOT_IN_STREET"}, 409: {"VOLUNTEER_ON_SHIFT", "VOLUNTEER_LENT", "VOLUNTEER_NOT_APPROVED"}}},
	"listLoans": {summary: "The community's loans both ways: its volunteers lent out, and those lent to it",
		answers: ok(S(object(props{"loans": S(array(ref("Loan")))}, "loans")))},
	"approveLoan": {summary: "Approve a loan of one of the community's volunteers",
		description: "The staff of the volunteer's home community (the borrower may not). The volunteer must still be free then.",
		answers:     ok(ref("Loan")),
		codes:       map[int][]string{404: {"LOAN_NOT_FOUND"}, 409: {"LOAN_DECIDED", "VOLUNTEER_ON_SHIFT", "VOLUNTEER_LENT"}}},
	"declineLoan": {summary: "Decline a loan of one of the community's volunteers",
		answers: ok(ref("Loan")),
		codes:   map[int][]string{404: {"LOAN_NOT_FOUND"}, 409: {"LOAN_DECIDED"}}},
}

func minutes() *openapi3.Schema { return describe(integer(1, 60), "Default 10.") }
