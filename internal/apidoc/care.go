package apidoc

import "github.com/getkin/kin-openapi/openapi3"

// careComponents are the care plans' schemas.
func careComponents() openapi3.Schemas {
	need := object(props{
		"kind":       S(enum("dialysis", "chemotherapy", "checkup", "medicine", "other")),
		"weekdays":   S(describe(array(S(integer(1, 7))).WithMinItems(1).WithMaxItems(7), "1 Monday to 7 Sunday, each once.")),
		"at":         S(pattern(`^([01][0-9]|2[0-3]):[0-5][0-9]$`, "HH:MM, Beijing.")),
		"minutes":    S(describe(integer(0, 720), "How long it takes, the trip included (default 240; 15 to 720): two needs of one weekday may not overlap.")),
		"place":      S(str(0, 32)),
		"hospitalId": S(describe(id(""), "A designated hospital of the street: its name is the place when none is given.")),
		"needsCar":   S(describe(boolean(), "The trip needs a car: with none given by 18:00 the day before, it is a help request.")),
	}, "kind", "weekdays", "at")
	contact := object(props{"name": S(text(16, "")), "phone": S(phone())}, "name", "phone")
	check := object(props{
		"residentId": S(id("")), "day": S(day()),
		"askedAt":    S(describe(beijingTime(), "When it was texted (from 08:00).")),
		"answeredAt": S(describe(beijingTime(), "When the person said they are well (app, or SMS 是).")),
		"by":         S(enum("app", "sms")),
		"helpId":     S(describe(id(""), "Unanswered by noon: the help request it became.")),
	}, "residentId", "day")
	return openapi3.Schemas{
		"CareNeed": S(need),
		"CarePlan": S(object(props{
			"residentId": S(id("")), "communityId": S(id("")), "householdId": S(id("")), "name": S(str(0, 32)), "door": S(str(0, 64)),
			"phone":   S(describe(phone(), "The person's phone, or their household's: where the daily check is asked.")),
			"dueDate": S(describe(day(), "A due date (pregnant): on the board within 14 days of it.")),
			"needs":   S(array(ref("CareNeed"))), "contact": S(contact),
			"dailyCheck": S(describe(boolean(), "Asked each day from 08:00 to say they are well (报平安: the app or SMS 是); unanswered by noon it is a help request.")),
			"updatedAt":  S(beijingTime()), "updatedBy": S(id("")),
		}, "residentId", "communityId", "householdId", "name", "door", "needs", "dailyCheck", "updatedAt", "updatedBy")),
		"CareCheck": S(check),
		"CareTrip": S(object(props{
			"residentId": S(id("")), "name": S(str(0, 32)), "door": S(str(0, 64)), "day": S(day()),
			"need": S(describe(integer(0, 6), "The need's place in the plan.")), "kind": S(enum("dialysis", "chemotherapy", "checkup", "medicine", "other")),
			"at": S(str(5, 5)), "place": S(str(0, 32)), "needsCar": S(boolean()),
			"car":    S(object(props{"driver": S(str(1, 16)), "phone": S(phone()), "plate": S(str(0, 10))}, "driver", "phone")),
			"helpId": S(describe(id(""), "No car by 18:00 the day before: the help request it became.")),
		}, "residentId", "name", "door", "day", "need", "kind", "at", "place", "needsCar")),
		"CareBoard": S(object(props{
			"day": S(day()), "trips": S(array(ref("CareTrip"))), "dueSoon": S(array(ref("CarePlan"))),
			"checks": S(array(S(object(props{
				"residentId": S(id("")), "day": S(day()), "askedAt": S(beijingTime()), "answeredAt": S(beijingTime()), "by": S(enum("app", "sms")),
				"helpId": S(id("")), "name": S(str(0, 32)), "door": S(str(0, 64)), "phone": S(phone()),
			}, "residentId", "day", "name", "door")))),
			"leftBehind": S(describe(array(S(object(props{
				"residentId": S(id("")), "name": S(str(0, 32)), "door": S(str(0, 64)), "kind": S(enum("elderly", "child", "pet", "other")),
				"note": S(str(0, 64)), "helpId": S(id("")), "transferId": S(id("")),
			}, "door", "kind", "transferId"))), "Those transfers left at home without their carer, until the batch's return trip has brought everyone back.")),
			"hospitals": S(array(ref("Hospital"))),
		}, "day", "trips", "dueSoon", "checks", "leftBehind", "hospitals")),
		"Hospital": S(object(props{
			"id": S(id("")), "streetId": S(id("")), "name": S(str(1, 32)), "phone": S(pattern(`^[0-9][0-9-]{4,15}$`, "Its 24-hour phone: digits and dashes.")), "note": S(str(0, 64)),
		}, "id", "streetId", "name", "phone")),
	}
}

// careOps describe care plans (重点人群).
var careOps = map[string]op{
	"setCarePlan": {summary: "Set a person's care plan (重点人群), in peacetime",
		description: "Recurring needs (dialysis Tue/Thu/Sat 08:00 at a named hospital, needs a car), a contact, a due date, and a daily check (报平安). Two needs of one weekday may not overlap (CARE_TRIPS_OVERLAP). The plan replaces the one there. A daily check needs a phone to ask on: the person's, the household's or the contact's. Care plans do not expire with an emergency's data: the person or staff remove them.",
		body: object(props{
			"dueDate": S(day()), "needs": S(array(ref("CareNeed")).WithMaxItems(7)),
			"contact": S(object(props{"name": S(text(16, "")), "phone": S(phone())}, "name", "phone")), "dailyCheck": S(boolean()),
		}),
		answers: ok(ref("CarePlan")), codes: map[int][]string{400: {"CARE_TRIPS_OVERLAP"}, 404: {"RESIDENT_NOT_FOUND"}}},
	"getCarePlan": {summary: "A person's care plan: staff of their community, or the person",
		answers: ok(ref("CarePlan")), codes: map[int][]string{404: {"RESIDENT_NOT_FOUND", "CARE_PLAN_NOT_FOUND"}}},
	"removeCarePlan": {summary: "Remove a person's care plan: staff of their community, or the person",
		answers: ok(S(object(props{"removed": S(id(""))}, "removed"))), codes: map[int][]string{404: {"RESIDENT_NOT_FOUND", "CARE_PLAN_NOT_FOUND"}}},
	"careBoard": {summary: "The care board (照护看板) of a day",
		description: "Tomorrow's trips (each with its car, or the help request it became), due dates within 14 days, the day's daily checks (asked, answered, or the help request), and the street's designated hospitals with their 24-hour phones. The jobs function's minute asks each daily check from 08:00 (care_check), makes one unanswered by noon a help request, and one of tomorrow's trips needing a car with none by 18:00 a help request; each once a day.",
		query:       []param{{name: "day", schema: day(), description: "YYYY-MM-DD (Beijing); default today."}},
		answers:     ok(ref("CareBoard"))},
	"giveCareCar": {summary: "Give a day's trip its car",
		body: object(props{"residentId": S(id("")), "day": S(day()), "need": S(integer(0, 6)), "driver": S(text(16, "")), "phone": S(phone()), "plate": S(str(0, 10))},
			"residentId", "day", "need", "driver", "phone"),
		answers: ok(ref("CareTrip")), codes: map[int][]string{400: {"NO_SUCH_TRIP"}}},
	"answerCareCheck": {summary: "Say you are well (报平安): today's daily check",
		description: "Also by SMS: 是 (a volunteer's 是 answers their latest call first).",
		answers:     ok(ref("CareCheck")), codes: map[int][]string{409: {"NO_CHECK_ASKED"}}},
	"listHospitals": {summary: "A street's designated hospitals with their 24-hour phones",
		answers: ok(list("hospitals", ref("Hospital"), false))},
	"addHospital": {summary: "Add a designated hospital to the street (its admins)",
		description: "Its 24-hour phone goes into the staff's texts of medical help requests as it is: 3 to 16 digits and dashes, a dash only between two digits. Sent again with the same Idempotency-Key, it is answered as the first time.",
		body:        object(props{"name": S(text(32, "")), "phone": S(pattern(`^[0-9]+(-[0-9]+)*$`, "A 24-hour phone: digits, a dash only between two digits.").WithMinLength(3).WithMaxLength(16)), "note": S(str(0, 64))}, "name", "phone"),
		answers:     created(ref("Hospital"))},
	"removeHospital": {summary: "Take a designated hospital off the street's list",
		description: "Plans that named it keep its name as their place; help requests' texts name another of the street's.",
		answers:     ok(S(object(props{"removed": S(id(""))}, "removed"))),
		codes:       map[int][]string{404: {"HOSPITAL_NOT_FOUND"}}},
}
