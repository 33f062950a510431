package apidoc

import "github.com/getkin/kin-openapi/openapi3"

// Screening lists' words.
var (
	screeningCategories = []string{"close_contact", "secondary_contact", "spatiotemporal", "arrival", "other"}
	screeningStatuses   = []string{"to_find", "open", "done"}
	screeningOutcomes   = []string{"found_home", "away", "no_such_person", "wrong_address"}
	screeningMeasures   = []string{"home_isolation", "health_monitoring", "transfer", "none"}
)

// screeningComponents are the schemas of screening lists and their tasks.
func screeningComponents() openapi3.Schemas {
	candidate := object(props{
		"residentId": S(id("")), "name": S(str(0, 32)), "communityId": S(id("")), "door": S(str(0, 64)),
		"why": S(describe(enum("name", "phone", "address"), "What the resident shares with the row.")),
	}, "residentId", "name", "communityId", "door", "why")
	list := object(props{
		"id": S(id("")), "streetId": S(id("")), "name": S(str(1, 40)),
		"columns":  S(describe(array(S(str(0, 200))), "The sender's header, as it came: the feedback file answers in it.")),
		"rows":     S(integer(1, 5000)),
		"deadline": S(describe(beijingTime(), "The earliest row's deadline.")), "lastDeadline": S(beijingTime()),
		"uploadedBy": S(id("")), "uploadedAt": S(beijingTime()),
	}, "id", "streetId", "name", "columns", "rows", "deadline", "lastDeadline", "uploadedBy", "uploadedAt")
	task := object(props{
		"id": S(id("")), "listId": S(id("")), "listName": S(str(1, 40)), "streetId": S(id("")),
		"line":    S(describe(integer(2, 1e6), "The line the row starts on in the sender's file (the header is line 1).")),
		"name":    S(str(0, 200)),
		"phone":   S(describe(str(0, 200), "As the list gives it: 11 digits when it is a mobile number.")),
		"address": S(str(0, 200)), "category": S(enum(screeningCategories...)), "deadline": S(beijingTime()),
		"communityId": S(id("Empty while no community of the street is known: the street places the row.")),
		"status":      S(enum(screeningStatuses...)),
		"why":         S(describe(enum("no_match", "several", "other_name", "no_community"), "Why a row is to find.")),
		"residentId":  S(id("")), "householdId": S(id("")), "door": S(str(0, 64)),
		"matchedBy":    S(describe(enum("phone", "phone_household", "name_address", "staff"), "How the row was found in the register.")),
		"candidates":   S(describe(arrayOf(candidate), "Who a row to find may be: up to 5.")),
		"assigneeKind": S(enum("staff", "volunteer")), "assigneeId": S(id("")), "assigneeName": S(str(0, 32)),
		"outcome": S(enum(screeningOutcomes...)), "where": S(str(0, 60)), "measure": S(enum(screeningMeasures...)), "note": S(str(0, 200)),
		"watchId":    S(id("The watch the measure opened (home isolation, health monitoring).")),
		"verifiedBy": S(str(0, 64)), "verifiedAt": S(beijingTime()),
		"overdue": S(describe(boolean(), "Not done, and past its deadline.")),
	}, "id", "listId", "listName", "streetId", "line", "name", "address", "category", "deadline", "status", "overdue")
	count := object(props{
		"communityId": S(id("")), "name": S(str(0, 64)), "tasks": S(integer(0, 5000)), "verified": S(integer(0, 5000)),
		"open": S(integer(0, 5000)), "toFind": S(integer(0, 5000)), "overdue": S(integer(0, 5000)),
		"unfound": S(describe(integer(0, 5000), "Still to find, or answered no such person or wrong address.")),
	}, "communityId", "name", "tasks", "verified", "open", "toFind", "overdue", "unfound")
	return openapi3.Schemas{
		"ScreeningList": S(list),
		"ScreeningTask": S(task),
		"ScreeningSummary": S(object(props{
			"list":        ref("ScreeningList"),
			"communities": S(describe(arrayOf(count), "Each community's share: verified, open, to find, overdue, unfound.")),
			"unplaced":    S(describe(array(ref("ScreeningTask")), "Rows no community of the street could be found for: the street places them (POST /screening-tasks/{taskId}/match with communityId or residentId).")),
			"matchedBy":   S(describe(openapi3.NewObjectSchema().WithAdditionalProperties(integer(0, 5000)), "Rows found by phone, phone_household, name_address, staff.")),
			"existing":    S(describe(boolean(), "The same file was uploaded before: this is that list.")),
		}, "list", "communities", "unplaced", "matchedBy")),
		"DoorTask": S(object(props{
			"id": S(id("")), "name": S(str(0, 200)), "door": S(str(0, 64)), "category": S(enum(screeningCategories...)),
			"deadline": S(beijingTime()), "status": S(enum(screeningStatuses...)), "outcome": S(enum(screeningOutcomes...)), "overdue": S(boolean()),
		}, "id", "name", "door", "category", "deadline", "status", "overdue")),
	}
}

// screeningOps describe screening lists (协查名单) and their tasks.
var screeningOps = map[string]op{
	"uploadScreeningList": {summary: "Upload a screening list as the district sent it (协查名单)",
		description: "A CSV file (UTF-8 with or without BOM) or an Excel workbook (.xlsx, its first sheet), headers in Chinese as districts send them: 姓名, and 手机号 or 现住址 (free text), optionally 证件号码 (kept masked: 6201**********1234, as is any cell holding a whole identity number), 类别 (密接 close_contact, 次密接 secondary_contact, 时空伴随 spatiotemporal, 来返/返兰 arrival, else other) and 截止时间 (Beijing time; a row without one takes ?deadline=, else 24 hours). Every column is kept as it came, to be sent back, except identity numbers: masked in every column whose name says 身份 or 证件, and wherever a whole number appears in other text. A deadline is from a day ago to 30 days ahead. Each row is matched to the register of the street's communities: by phone, then by name with the building, unit and room read from the address (号楼 栋 幢 单元 室, Arabic and Chinese numerals, 3-2-301); matched rows are tasks of the person's community, the others are to find with up to 5 candidates, in the community the candidates or the address name, else left to the street (unplaced). The first upload of a file makes its list (its name and deadlines stand: the same file again, whatever name it is given, answers that list, 200 existing, and changes nothing). Rows are matched and written 500 at a time; if the function's time runs short the answer is 503 SCREENING_UPLOAD_INCOMPLETE with Retry-After, and the same file again goes on from the rows written. The file must be UTF-8 (Excel's CSV UTF-8) or an Excel workbook. At most 5,000 rows, 40 columns, 200 characters a cell (the header's too), 4 MiB.",
		query: []param{{name: "name", schema: str(0, 40), description: "The list's name (default 协查名单 and the time)."},
			{name: "deadline", schema: anyTime(), description: "The deadline of rows without their own 截止时间."}},
		csvBody: "The list as it came.",
		answers: []answer{{status: 201, schema: ref("ScreeningSummary")}, {status: 200, schema: ref("ScreeningSummary"), description: "The same file was uploaded before."}},
		codes:   map[int][]string{400: {"SCREENING_LIST_INVALID"}, 503: {"SCREENING_UPLOAD_INCOMPLETE"}}},
	"listScreeningLists": {summary: "The street's screening lists, the latest first",
		answers: ok(list("lists", ref("ScreeningList"), false))},
	"getScreeningList": {summary: "A screening list: how far each community is",
		description: "Per community: tasks, verified, open, to find and overdue; the rows no community was found for.",
		answers:     ok(ref("ScreeningSummary")), codes: map[int][]string{404: {"SCREENING_LIST_NOT_FOUND"}}},
	"screeningFeedback": {summary: "The list back to its sender, with what the doors found",
		description: "Row for row in the sender's order and columns, then 核查结果 (已核实在家, 不在本地（where）, 查无此人, 地址错误; 核查中, 待查找 or 逾期未核查 while open), 管控措施, 核查人, 核查时间, 所属社区. CSV (the default) or ?format=xlsx.",
		query:       []param{{name: "format", schema: enum("csv", "xlsx"), description: "csv (default): UTF-8 with BOM; xlsx: an Excel workbook, every cell text."}},
		answers:     []answer{{status: 200, csv: true}},
		codes:       map[int][]string{404: {"SCREENING_LIST_NOT_FOUND"}}},
	"listScreeningTasks": {summary: "The community's screening tasks, by deadline",
		description: "A page at a time, by deadline then id: pass the answer's cursor for the next page (empty on the last).",
		query: []param{{name: "status", schema: enum("open", "to_find", "done", "overdue"), description: "Only these (overdue: open or to find, past the deadline); all by default."},
			{name: "limit", schema: integer(1, 500), description: "Tasks a page (default 200)."}, cursorParam},
		answers: ok(list("tasks", ref("ScreeningTask"), true)), codes: map[int][]string{400: {"INVALID_CURSOR"}}},
	"assignScreeningTasks": {summary: "Give screening tasks to a staff member or a volunteer",
		description: "Exactly one of staffPhone (a staff member of the community) and volunteerId (an approved volunteer of the community with a shift not over on a post of kind screening). Every task is checked first: one not of the community refuses the call.",
		body:        object(props{"taskIds": S(array(S(id(""))).WithMinItems(1).WithMaxItems(200)), "staffPhone": S(phone()), "volunteerId": S(id(""))}, "taskIds"),
		answers:     ok(list("tasks", ref("ScreeningTask"), false)), codes: map[int][]string{409: {"SCREENING_TASK_CHANGED"}}},
	"myScreeningTasks": {summary: "My doors to verify",
		description: "The tasks given to me: name, door, category, deadline; nothing else of the person. Open first.",
		answers:     ok(list("tasks", ref("DoorTask"), false))},
	"matchScreeningTask": {summary: "Say who a row to find is, or where the street places it",
		description: "residentId: the resident it is (of the street; the caller must be staff of the resident's community or the street's admin), and the row becomes a task of that community. communityId (street admins): the community that is to find the person.",
		body:        object(props{"residentId": S(id("")), "communityId": S(id(""))}),
		answers:     ok(ref("ScreeningTask")),
		codes:       map[int][]string{404: {"SCREENING_TASK_NOT_FOUND"}, 403: {"NOT_YOUR_TASK"}, 409: {"SCREENING_TASK_DONE", "SCREENING_TASK_CHANGED"}}},
	"recordScreeningOutcome": {summary: "What the door found",
		description: "outcome: found_home, away (with where), no_such_person, wrong_address (a row to find takes only the last two); measure: home_isolation, health_monitoring, transfer or none (none unless the person was found). found_home with home_isolation or health_monitoring opens that watch for the person (POST /watches; one of the same kind already there is named instead, one of another kind refuses: ALREADY_WATCHED), and the answer cannot then be changed away from it until staff end the watch (SCREENING_TASK_WATCHED). The person the task is given to answers their open task once, and is answered what their own list shows (a DoorTask); staff may answer again (a correction) and are answered the task. 核查人 is the name of who answered. Audited.",
		body: object(props{"outcome": S(enum(screeningOutcomes...)), "where": S(str(0, 60)), "measure": S(enum(screeningMeasures...)),
			"note": S(str(0, 200))}, "outcome"),
		answers: ok(&openapi3.SchemaRef{Value: &openapi3.Schema{OneOf: openapi3.SchemaRefs{ref("ScreeningTask"), ref("DoorTask")}}}),
		codes: map[int][]string{404: {"SCREENING_TASK_NOT_FOUND"}, 403: {"NOT_YOUR_TASK"},
			409: {"SCREENING_TASK_DONE", "SCREENING_TASK_CHANGED", "SCREENING_TASK_WATCHED", "ALREADY_WATCHED", "ZONE_CHANGED"}}},
}

// watchComponents are the schemas of people under watch.
func watchComponents() openapi3.Schemas {
	return openapi3.Schemas{
		"Watch": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "householdId": S(id("")), "door": S(str(0, 64)),
			"residentIds": S(array(S(id("")))), "names": S(array(S(str(0, 32)))),
			"kind":     S(enum("home_isolation", "health_monitoring")),
			"startsOn": S(day()), "days": S(integer(1, 28)),
			"endsAt":   S(describe(beijingTime(), "The start's midnight plus the days: the end job ends it then.")),
			"testDays": S(describe(array(S(integer(1, 28))), "Days of the watch with a test (day 1 is the start).")),
			"seal":     S(describe(str(0, 32), "The door's seal or sensor number (门磁/封条).")),
			"reason":   S(enum("screening", "pooled_positive", "arrival", "staff")), "ref": S(str(0, 64)),
			"status":    S(enum("active", "ended")),
			"sealed":    S(describe(boolean(), "The watch sealed the household (home isolation where it was not sealed already): its end gives the household its level back, unless staff changed it meanwhile.")),
			"createdAt": S(beijingTime()), "createdBy": S(id("")), "endedAt": S(beijingTime()), "endedBy": S(id("")),
			"endedEarly": S(boolean()),
			"today":      S(describe(array(ref("WatchCheck")), "Its people's checks of today, in the list's answer: readings, and windows missed.")),
			"tests": S(describe(array(S(object(props{
				"watchId": S(id("")), "residentId": S(id("")), "testDay": S(integer(1, 28)), "result": S(enum("negative", "positive")),
				"at": S(beijingTime()), "by": S(id("")),
			}, "watchId", "residentId", "testDay", "result", "at", "by"))), "Its test days' results, where they are kept.")),
			"awaitingResults": S(describe(boolean(), "Past its date and still active: results are kept and the last test day's are not all in and negative.")),
		}, "id", "communityId", "householdId", "door", "residentIds", "names", "kind", "startsOn", "days", "endsAt", "testDays", "reason", "status", "sealed", "createdAt", "createdBy")),
		"WatchCheck": S(object(props{
			"watchId": S(id("")), "residentId": S(id("")), "day": S(day()),
			"window":   S(describe(enum("am", "pm"), "Morning (a reading before 14:00 Beijing; missed at 12:00) or evening (missed at 21:00).")),
			"celsius":  S(describe(number(34, 43), "The window's highest reading: a later, lower one does not replace it.")),
			"symptoms": S(describe(array(S(enum(symptomCodes...))), "Every symptom the window's readings named.")),
			"at":       S(describe(beijingTime(), "When the reading was taken; absent for a window missed and never reported.")),
			"by":       S(enum("self", "staff")),
			"missed":   S(describe(boolean(), "The window closed without a reading (the jobs function's minute marks it): the door is on the day's list, also when a reading came later.")),
			"alerted":  S(describe(boolean(), "Staff were texted a fever (37.3 °C or more) or symptom of this window (watch_alert), once a person and window.")),
		}, "watchId", "residentId", "day", "window")),
		"Transfer": S(object(props{
			"id": S(id("")), "communityId": S(id("")),
			"leg":      S(describe(enum("out", "back"), "To central quarantine, or the return trip (returnOf names the batch).")),
			"returnOf": S(id("")),
			"pickup":   S(str(1, 32)), "at": S(describe(beijingTime(), "When to be at the pickup point.")), "destination": S(str(1, 32)),
			"people": S(array(S(object(props{
				"residentId": S(id("")), "name": S(str(0, 32)), "householdId": S(id("")), "door": S(str(0, 64)),
				"phone":  S(describe(phone(), "The phone the person was texted on (their own, or their household's).")),
				"status": S(describe(enum("notified", "ready", "boarded", "arrived", "exempted"), "Forward only; exempted (with a reason) from any but arrived.")),
				"reason": S(str(0, 64)), "at": S(beijingTime()), "by": S(id("")),
			}, "residentId", "name", "householdId", "door", "status")))),
			"leftBehind": S(describe(array(S(object(props{
				"kind": S(enum("elderly", "child", "pet", "other")), "residentId": S(id("")), "name": S(str(0, 32)),
				"householdId": S(id("")), "door": S(str(0, 64)), "note": S(str(0, 64)),
				"helpId": S(describe(id(""), "The help request raised for it (kind other, its deadline and escalation): absent until it is; the jobs function's minute raises what the batch's own call could not.")),
			}, "kind", "householdId", "door"))), "Dependants the batch leaves at home without their carer.")),
			"createdAt": S(beijingTime()), "createdBy": S(id("")),
		}, "id", "communityId", "leg", "pickup", "at", "destination", "people", "leftBehind", "createdAt", "createdBy")),
		"WatchDoors": S(object(props{
			"day": S(day()),
			"visits": S(array(S(object(props{
				"watchId": S(id("")), "householdId": S(id("")), "door": S(str(0, 64)), "kind": S(enum("home_isolation", "health_monitoring")),
				"missed": S(array(S(object(props{
					"residentId": S(id("")), "name": S(str(0, 32)), "window": S(enum("am", "pm")),
					"reportedLater": S(describe(boolean(), "A reading came after the window closed.")),
				}, "residentId", "name", "window", "reportedLater")))),
				"alerts":  S(describe(array(ref("WatchCheck")), "Readings of the day with a fever or a symptom.")),
				"testDay": S(describe(integer(1, 28), "The watch's day number when it is one of its test days: sample these people at the door.")),
				"sample":  S(array(S(id("")))),
			}, "watchId", "householdId", "door", "kind", "missed", "alerts")))),
		}, "day", "visits")),
	}
}

// symptomCodes are the symptoms a check may name.
var symptomCodes = []string{"fever", "cough", "fatigue", "sore_throat", "diarrhoea", "smell_taste", "none"}

// watchOps describe people under watch (居家隔离, 健康监测).
var watchOps = map[string]op{
	"openWatch": {summary: "Put people of one household under a watch (居家隔离, 健康监测)",
		description: "residentIds (of one household) or householdId (all its members). kind home_isolation seals the household (a household zone, sealed, reason home_isolation) while it lasts, where it was not sealed already; health_monitoring leaves the zones as they are. startsOn (default today, Beijing; a home isolation today or earlier: it seals from its first day), days (default 7, at most 28), testDays (default 1, 4, 7 for a 7-day home isolation), the door's seal number, and why: screening (a screening task's measure opens one by itself), pooled_positive, arrival or staff. The household is texted (watch_started, with the days left). A person is under one watch at a time: ALREADY_WATCHED names them (and a person under one is not moved to another household: UNDER_WATCH). Two home isolations of a household share its seal: at the last one's end (the jobs function's minute) the household gets back the level and reason it had (unless staff changed it meanwhile) and is texted (watch_ended), once; a household still sealed is not told a release.",
		body: object(props{
			"residentIds": S(array(S(id(""))).WithMaxItems(12)), "householdId": S(id("")),
			"kind": S(enum("home_isolation", "health_monitoring")), "startsOn": S(day()), "days": S(integer(0, 28)),
			"testDays": S(array(S(integer(1, 28))).WithMaxItems(28)), "seal": S(str(0, 32)),
			"reason": S(enum("screening", "pooled_positive", "arrival", "staff")), "ref": S(str(0, 64)),
		}, "kind", "reason"),
		answers: created(ref("Watch")), codes: map[int][]string{409: {"ALREADY_WATCHED", "ZONE_CHANGED"}}},
	"listWatches": {summary: "The community's people under watch, active first, by end",
		query:   []param{{name: "status", schema: enum("active", "ended"), description: "Only these; all by default."}},
		answers: ok(list("watches", ref("Watch"), false))},
	"enterWatchCheck": {summary: "Enter a reading taken at the door for a person under watch",
		description: "celsius and symptoms (codes: fever, cough, fatigue, sore_throat, diarrhoea, smell_taste, none; none alone) for a window: now's by default, or an earlier day and window (am, pm) of the watch's days that has begun (CHECK_OUTSIDE_WATCH otherwise). The window's reading is replaced; a window marked missed stays marked. The window's first fever (37.3 °C or more) or symptom texts the community's staff (watch_alert), once a person and window. Residents report their own through POST /v1/me/temperatures (or SMS 体温 36.5 无 / 体温 37.8 咳嗽): a person under watch has it as the window's check.",
		body: object(props{"residentId": S(id("")), "celsius": S(number(34, 43)), "symptoms": S(array(S(enum(symptomCodes...))).WithMaxItems(7)),
			"day": S(day()), "window": S(enum("am", "pm"))}, "residentId", "celsius"),
		answers: created(ref("WatchCheck")), codes: map[int][]string{400: {"CHECK_OUTSIDE_WATCH", "NOT_UNDER_WATCH", "IMPLAUSIBLE_TEMPERATURE"}, 404: {"WATCH_NOT_FOUND"}, 409: {"WATCH_ENDED", "CHECK_IN_PROGRESS"}}},
	"recordWatchTest": {summary: "Record a test day's result for a person under watch",
		description: "testDay one of the watch's test days, today or before (NOT_A_TEST_DAY otherwise); result negative or positive. A result stands as recorded: the same again changes nothing, another is refused (TEST_RESULT_RECORDED). Where results are kept, the watch ends on its date only once every person's result of its last test day is in and negative: the result that completes them, recorded after the date, ends it at once (the household told, its level given back).",
		body:        object(props{"residentId": S(id("")), "testDay": S(integer(1, 28)), "result": S(enum("negative", "positive"))}, "residentId", "testDay", "result"),
		answers:     ok(ref("Watch")), codes: map[int][]string{400: {"NOT_A_TEST_DAY", "NOT_UNDER_WATCH"}, 404: {"WATCH_NOT_FOUND"}, 409: {"WATCH_ENDED", "ZONE_CHANGED"}}},
	"watchDoors": {summary: "A day's doors to visit among the people under watch",
		description: "Each watched door with a window missed (marked by the jobs function's minute: the morning at 12:00, the evening at 21:00 Beijing), a fever or symptom reported, or a test day (sample its people at the door), in door order.",
		query:       []param{{name: "day", schema: day(), description: "YYYY-MM-DD (Beijing); default today."}},
		answers:     ok(ref("WatchDoors"))},
	"createTransfer": {summary: "Take people to central quarantine (转运)",
		description: "residentIds (1 to 50, of this community; none in another open batch: ALREADY_IN_TRANSFER names them), the pickup point, the time (an hour ago to 7 days ahead) and the destination. Each person is texted (transfer_notice: time, place, destination, what to bring) on their own phone or their household's, in the batch's own write. leftBehind names who stays without a carer: a resident of a transferred person's household (elderly, child, other), or the household itself (a pet); each becomes a help request of the community (kind other), with its deadline and escalation.",
		body: object(props{
			"residentIds": S(array(S(id(""))).WithMinItems(1).WithMaxItems(50)), "pickup": S(text(32, "")), "at": S(anyTime()), "destination": S(text(32, "")),
			"leftBehind": S(array(S(object(props{"kind": S(enum("elderly", "child", "pet", "other")), "residentId": S(id("")), "householdId": S(id("")), "note": S(str(0, 64))}, "kind"))).WithMaxItems(50)),
		}, "residentIds", "pickup", "at", "destination"),
		answers: created(ref("Transfer")), codes: map[int][]string{409: {"ALREADY_IN_TRANSFER"}}},
	"listTransfers": {summary: "The community's transfer batches, newest first",
		answers: ok(list("transfers", ref("Transfer"), false))},
	"getTransfer": {summary: "One transfer batch, or the transfer team's sheet",
		query: []param{formatParam},
		answers: []answer{{status: 200, schema: ref("Transfer")},
			{status: 200, csv: true, description: "With ?format=csv or xlsx: 序号, 姓名, 住址, 联系电话, 集合地点, 集合时间, 目的地, 状态, 备注, then the dependants left behind."}},
		codes: map[int][]string{404: {"TRANSFER_NOT_FOUND"}}},
	"setTransferStatus": {summary: "Move a person of a batch on",
		description: "notified → ready → boarded → arrived, forward only (steps may be skipped; the same step again changes nothing), or exempted with a reason from any but arrived. Arrived or exempted frees the person for another batch.",
		body:        object(props{"status": S(enum("ready", "boarded", "arrived", "exempted")), "reason": S(str(0, 64))}, "status"),
		answers:     ok(ref("Transfer")), codes: map[int][]string{404: {"TRANSFER_NOT_FOUND", "NOT_IN_TRANSFER"}, 409: {"TRANSFER_STATUS_BACKWARDS", "TRANSFER_CHANGED"}}},
	"returnTransfer": {summary: "The return trip of a batch",
		description: "A new batch (leg back, returnOf this one) of its people who arrived, picked up where they were taken by default and bound for home (原住址), each texted again.",
		body:        object(props{"at": S(anyTime()), "pickup": S(str(0, 32)), "destination": S(str(0, 32))}, "at"),
		answers:     created(ref("Transfer")), codes: map[int][]string{404: {"TRANSFER_NOT_FOUND"}, 409: {"NONE_ARRIVED", "ALREADY_IN_TRANSFER"}}},
	"endWatch": {summary: "End a watch before its time",
		description: "A negative retest, a transfer: the household gets its level back (unless staff changed it meanwhile) and is texted (watch_ended).",
		answers:     ok(ref("Watch")), codes: map[int][]string{404: {"WATCH_NOT_FOUND"}, 409: {"WATCH_ENDED", "ZONE_CHANGED"}}},
}
