package apidoc

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/fangxian/fangxian/shared/gate"
)

var gateReasons = []string{gate.ReasonExpired, gate.ReasonUnknown, gate.ReasonOtherCommunity, gate.ReasonSealed, gate.ReasonUnderWatch,
	gate.ReasonNoOutings, gate.ReasonQuotaUsed, gate.ReasonAlreadyOut, gate.ReasonArrangedTrip, gate.ReasonPermit, gate.ReasonNoOut}

func levelRule() *openapi3.Schema {
	return object(props{
		"outs":      S(describe(integer(0, 10), "Outings a household may make in a period; 0 lets nobody out.")),
		"everyDays": S(describe(integer(0, 7), "The period in Beijing days: 1 daily, 2 every second day (0 when nobody goes out).")),
		"minutes":   S(describe(integer(0, 720), "How long an outing may last before it is late (0: no limit).")),
		"free":      S(describe(boolean(), "Come and go freely: logged, counted against nothing, never late.")),
	}, "outs", "everyDays", "minutes", "free")
}

func levels() *openapi3.Schema {
	return describe(object(props{"sealed": S(levelRule()), "controlled": S(levelRule()), "precaution": S(levelRule()), "none": S(levelRule())},
		"sealed", "controlled", "precaution", "none"), "One rule per zone level; sealed lets nobody out (SEALED_STAYS_IN otherwise).")
}

func outing() *openapi3.Schema {
	return object(props{
		"eventId": S(str(8, 64)), "communityId": S(id("")), "householdId": S(id("")), "door": S(str(0, 120)), "postId": S(id("")),
		"day": S(day()), "at": S(beijingTime()), "returnBy": S(beijingTime()), "backAt": S(beijingTime()), "backPostId": S(id("")),
		"why":    S(describe(enum(gate.ReasonArrangedTrip, gate.ReasonPermit), "The exception it went out by.")),
		"backBy": S(describe(id(""), "The staff member who marked it back when no return was scanned.")),
	}, "eventId", "communityId", "householdId", "postId", "day", "at")
}

func gateComponents() openapi3.Schemas {
	return openapi3.Schemas{
		"PassRules": S(object(props{
			"communityId": S(id("")), "levels": S(levels()),
			"careTrips": S(describe(boolean(), "A household with a care plan's trip that day goes out whatever its level or quota.")),
			"permits":   S(describe(boolean(), "A household with a work permit goes out beyond its quota (never when sealed or under watch).")),
			"default":   S(describe(boolean(), "The community has not set its own.")),
			"version":   S(integer(0, 1e9)), "updatedAt": S(beijingTime()), "updatedBy": S(id("")),
		}, "communityId", "levels", "careTrips", "permits", "default", "version")),
		"GateEvent": S(object(props{
			"eventId": S(str(8, 64)), "postId": S(id("")), "communityId": S(id("")),
			"kind":       S(enum(gate.KindHousehold, gate.KindVisitor, gate.KindCourier)),
			"direction":  S(enum(gate.DirectionOut, gate.DirectionIn)),
			"at":         S(describe(beijingTime(), "The scan's time.")),
			"allowed":    S(boolean()),
			"reason":     S(describe(enum(gateReasons...), "Why it was refused, or the exception that let it out, or an in with no out on record.")),
			"reasonText": S(str(1, 60)),
			"returnBy":   S(describe(beijingTime(), "When the outing is due back.")),
			"replayed":   S(describe(boolean(), "The scan was sent before: this is the answer it was given then, counted once.")),
			"delayed":    S(describe(boolean(), "The scan reached the server over two minutes after it was taken (a queue sent on after an outage): judged by the household's state on arrival, logged at its time. A QR code must arrive within two minutes of its expiry; through an outage, type the code.")),
		}, "eventId", "postId", "communityId", "kind", "direction", "at", "allowed")),
		"GateView": S(object(props{"postId": S(id("")), "name": S(str(0, 64)), "place": S(str(0, 64)),
			"buildings": S(arrayOf(object(props{"id": S(id("")), "name": S(str(0, 64))}, "id", "name"))),
			"onShift":   S(boolean())}, "postId", "name", "place", "buildings", "onShift")),
		"GateLate": S(object(props{"day": S(day()), "outings": S(integer(0, 1e6)),
			"late": S(array(S(func() *openapi3.Schema {
				s := outing()
				s.Properties["minutes"] = S(integer(0, 1e6))
				s.Properties["stillOut"] = S(boolean())
				s.Required = append(s.Required, "minutes", "stillOut")
				return s
			}()))),
		}, "day", "outings", "late")),
		"GateCounts": S(object(props{"day": S(day()),
			"hours": S(arrayOf(object(props{"postId": S(id("")), "hour": S(integer(0, 23)),
				"counts": S(openapi3.NewObjectSchema().WithAdditionalProperties(integer(0, 1e7)))}, "postId", "hour", "counts"))),
			"totals": S(openapi3.NewObjectSchema().WithAdditionalProperties(integer(0, 1e7))),
		}, "day", "hours", "totals")),
		"PassCard": S(object(props{"householdId": S(id("")), "building": S(str(0, 64)), "unit": S(str(0, 16)), "room": S(str(0, 16)),
			"code": S(pattern(`^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$`, "Six characters, no 0/O or 1/I/L."))},
			"householdId", "building", "unit", "room", "code")),
	}
}

var gateOps = map[string]op{
	"getPassRules": {summary: "The community's pass rules (出入规则)",
		description: "Who of a household may go out at each zone level, and the exceptions. The default until the community sets its own: sealed nobody; controlled one outing every second day, 120 minutes; precaution one a day, 240 minutes; none free.",
		answers:     ok(ref("PassRules"))},
	"setPassRules": {summary: "Set the pass rules",
		description: "Every level's rule, over the version read (0 the first time). The answer counts the households at each level now, and those at a level whose rule changed.",
		body:        object(props{"levels": S(levels()), "careTrips": S(boolean()), "permits": S(boolean()), "version": S(integer(0, 1e9))}, "levels", "careTrips", "permits", "version"),
		answers: ok(S(object(props{"rules": ref("PassRules"),
			"affected": S(describe(integer(0, 1e6), "Households at a level whose rule changed.")),
			"byLevel":  S(describe(openapi3.NewObjectSchema().WithAdditionalProperties(integer(0, 1e6)), "Households at each level now.")),
		}, "rules", "affected", "byLevel"))),
		codes: map[int][]string{400: {"SEALED_STAYS_IN"}, 409: {"CHANGED_MEANWHILE"}}},
	"myPass": {summary: "The household's pass (通行证)",
		description: "What the app shows: a QR code that changes (good for 90 seconds; fetch again at refreshAt), the household's six-character code for typing at the gate, its level and rule, and the outing under way. A pass names the household, never a person or a phone.",
		answers: ok(S(object(props{
			"token":     S(describe(str(1, 300), "Put it in a QR code.")),
			"expiresAt": S(beijingTime()), "refreshAt": S(beijingTime()),
			"code":  S(pattern(`^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$`, "")),
			"level": S(enum("sealed", "controlled", "precaution", "none")), "rule": S(str(1, 60)),
			"out": S(beijingTime()), "returnBy": S(beijingTime()),
		}, "token", "expiresAt", "refreshAt", "code", "level", "rule"))),
		codes: map[int][]string{404: {"HOUSEHOLD_NOT_FOUND"}}},
	"passCards": {summary: "Pass cards to print, one a household (通行证卡片)",
		description: "Each household's door and code, its pass made if it had none. At most 2000 a call (TOO_MANY_CARDS: export a building at a time). `?format=xlsx|csv` for printing.",
		query: []param{{name: "buildingId", schema: id(""), description: "One building's households."},
			{name: "format", schema: enum("json", "csv", "xlsx"), description: "xlsx: an Excel workbook; csv: a file Excel opens."}},
		answers: []answer{{status: 200, schema: S(object(props{"cards": S(array(ref("PassCard")))}, "cards"))}, {status: 200, csv: true}},
		codes:   map[int][]string{400: {"TOO_MANY_CARDS"}, 404: {"BUILDING_NOT_FOUND"}}},
	"newPassCode": {summary: "A new code for a household's pass (a card lost)",
		description: "The old code and every QR code shown so far stop working at once.",
		answers:     ok(ref("PassCard")),
		codes:       map[int][]string{404: {"HOUSEHOLD_NOT_FOUND"}}},
	"setPassPermit": {summary: "Give or end a household's work permit (复工证明)",
		description: "With the rules' permits, the household's outings go beyond its quota until the day (never when sealed or under watch). An empty until ends it.",
		body:        object(props{"until": S(describe(str(0, 10), "YYYY-MM-DD, today to 90 days ahead; empty ends the permit.")), "reason": S(text(60, "What it is for."))}, "until"),
		answers: ok(S(object(props{"householdId": S(id("")), "communityId": S(id("")), "code": S(str(6, 6)), "permitUntil": S(day()),
			"permitReason": S(str(0, 60)), "createdAt": S(beijingTime())}, "householdId", "communityId", "code", "createdAt"))),
		codes: map[int][]string{404: {"HOUSEHOLD_NOT_FOUND"}}},
	"recordGateEvent": {summary: "Log a scan at the gate (卡口登记)",
		description: "A volunteer on a shift of this checkpoint post at the scan's time (or the community's staff) scans or types a household's pass, or logs a visitor or courier with the building they go to. The answer is allowed or refused and why — nothing else about the household. Going out starts the clock; coming back closes it. Each scan has the device's own id: sent again (a retry, or a queue sent on after an outage with scannedAt), it answers as it did and is counted once. A refused pass is an answer, not an error: it is logged and counted by its reason.",
		body: object(props{
			"eventId":    S(pattern(`^[A-Za-z0-9_-]{8,64}$`, "The device's id of the scan.")),
			"pass":       S(describe(str(1, 300), "The scanned QR code or the six-character code.")),
			"direction":  S(enum(gate.DirectionOut, gate.DirectionIn)),
			"kind":       S(enum(gate.KindHousehold, gate.KindVisitor, gate.KindCourier)),
			"buildingId": S(describe(id(""), "A visitor's or courier's destination.")),
			"scannedAt":  S(describe(openapi3.NewDateTimeSchema(), "When the device scanned, for a scan queued through an outage: within the last 12 hours.")),
		}, "eventId", "direction"),
		answers: ok(ref("GateEvent")),
		codes:   map[int][]string{400: {"SCAN_TIME_OUT_OF_RANGE"}, 403: {"NOT_ON_SHIFT"}, 404: {"POST_NOT_FOUND"}, 409: {"NOT_A_CHECKPOINT", "EVENT_ID_REUSED", "CHANGED_MEANWHILE"}, 429: {"PASS_GUESSING"}}},
	"gateView": {summary: "A checkpoint's page: its post, the buildings, whether the caller is on shift",
		description: "For the checkpoint's device before the first scan: the buildings a visitor or courier may go to, and onShift (staff always; a volunteer of the post's team off shift sees it false; anyone else is refused).",
		answers:     ok(ref("GateView")),
		codes:       map[int][]string{404: {"POST_NOT_FOUND"}, 409: {"NOT_A_CHECKPOINT"}}},
	"markGateReturn": {summary: "Mark a household back (a call, a visit)",
		description: "Closes the household's outing under way as of now, by staff's word when no return was scanned: it leaves the late list's still-out rows (shown back late if it was).",
		answers:     ok(S(outing())),
		codes:       map[int][]string{404: {"HOUSEHOLD_NOT_FOUND"}, 409: {"HOUSEHOLD_NOT_OUT", "CHANGED_MEANWHILE"}}},
	"gateLate": {summary: "The late list (逾期未归)",
		description: "A day's outings that came back after their time, or have not come back and are past it or past 20:00.",
		query:       []param{{name: "day", schema: day(), description: "YYYY-MM-DD (Beijing), of the last 60; default today."}},
		answers:     ok(ref("GateLate"))},
	"gateCounts": {summary: "The gates' counts of a day, by post and hour",
		description: "out, in, visitor_out, visitor_in, courier, and refused_<REASON> for each refusal's reason.",
		query: []param{{name: "day", schema: day(), description: "YYYY-MM-DD (Beijing), of the last 60; default today."},
			{name: "postId", schema: id(""), description: "One checkpoint's."}},
		answers: ok(ref("GateCounts")),
		codes:   map[int][]string{404: {"POST_NOT_FOUND"}, 409: {"NOT_A_CHECKPOINT"}}},
}
