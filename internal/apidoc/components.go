package apidoc

import "github.com/getkin/kin-openapi/openapi3"

// components are the named schemas of answers; each mirrors the Go type the
// server encodes, field by field (the contract tests hold them to it).
func components() openapi3.Schemas {
	out := coreComponents()
	for _, more := range []openapi3.Schemas{supplyComponents(), volunteerComponents(), playbookComponents(), screeningComponents(), watchComponents(), careComponents(), dailyComponents(), gateComponents()} {
		for name, sc := range more {
			if _, taken := out[name]; taken {
				// One name, two shapes: a reference would silently take the last.
				panic("apidoc: two components named " + name)
			}
			out[name] = sc
		}
	}
	return out
}

func coreComponents() openapi3.Schemas {
	roles := enum("resident", "volunteer", "staff", "admin")
	return openapi3.Schemas{
		"Error": S(object(props{
			"error": S(object(props{
				"code":      S(describe(pattern(`^[A-Z][A-Z0-9_]*$`, ""), "Stable upper-snake code: what a client acts on.")),
				"message":   S(describe(openapi3.NewStringSchema(), "For people, in Simplified Chinese; English with Accept-Language: en.")),
				"requestId": S(openapi3.NewStringSchema()),
				"fields": S(arrayOf(object(props{
					"line":   S(describe(integer(1, 1e6), "The line of an uploaded file.")),
					"field":  S(openapi3.NewStringSchema()),
					"reason": S(describe(openapi3.NewStringSchema(), "In the answer's language.")),
				}, "field", "reason"))),
				"alternatives": S(describe(array(S(openapi3.NewStringSchema())), "Ids to try instead, nearest first: SLOT_FULL names up to 3 slots with room (the building's window's first).")),
			}, "code", "message", "requestId")),
		}, "error")),
		"User": S(object(props{
			"id":          S(id("The person.")),
			"role":        S(describe(roles, "The strongest role held.")),
			"roles":       S(describe(arrayOf(roles), "Every role held: one person may be a resident, a volunteer and staff with one sign-in.")),
			"communityId": S(id("The community of the strongest role.")),
			"streetId":    S(id("For street admins.")),
			"householdId": S(id("For residents.")),
			"residentId":  S(id("For residents.")),
			"volunteerId": S(id("For volunteers.")),
		}, "id", "role", "roles")),
		"Session": S(object(props{
			"token":     S(describe(openapi3.NewStringSchema(), "Send as Authorization: Bearer <token>.")),
			"expiresAt": S(beijingTime()),
			"user":      ref("User"),
		}, "token", "expiresAt", "user")),
		"Community": S(object(props{
			"id": S(id("")), "streetId": S(id("")), "name": S(str(1, 64)),
		}, "id", "streetId", "name")),
		"SignupLink": S(object(props{
			"communityId": S(id("")),
			"token":       S(describe(pattern(`^[a-z2-7]{24}$`, ""), "Put it in the sign-up page's link or QR code; `POST /v1/auth/otp` with `purpose: signup` needs it as `signupLink`.")),
			"createdAt":   S(beijingTime()), "createdBy": S(id("The staff member or admin who made it.")),
		}, "communityId", "token", "createdAt", "createdBy")),
		"Building": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "name": S(str(1, 32)),
			"units":          S(arrayOf(str(0, 16))),
			"unitIds":        S(describe(array(S(id(""))), "unitIds[i] names units[i]: what a zone of one unit is set by.")),
			"householdCount": S(integer(0, 1e6)), "residentCount": S(integer(0, 1e6)),
		}, "id", "communityId", "name", "units", "unitIds", "householdCount", "residentCount")),
		"Household": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "buildingId": S(id("")), "building": S(str(1, 32)),
			"unit": S(str(0, 16)), "room": S(str(1, 16)),
			"contactPhone": S(describe(phone(), "The first member phone, where any.")),
		}, "id", "communityId", "buildingId", "building", "unit", "room")),
		"Resident": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "householdId": S(id("")), "name": S(str(1, 32)),
			"phone":     S(phone()),
			"birthYear": S(describe(integer(1900, 2100), "Not after this year.")),
			"flags":     S(describe(arrayOf(enum(careFlags...)), "Care flags: shown to staff of the resident's community only.")),
			"status":    S(describe(enum("away", "moved_out", "deceased"), "Absent: present. Those moved out or deceased are no longer in their building's residents (rosters, notices, door lists); their record stays.")),
			"where":     S(describe(str(0, 40), "Where an away resident is.")),
			"movedTo":   S(describe(id(""), "The record a move made, in the new household.")),
			"corrected": S(describe(arrayOf(enum("phone", "flags", "status", "household")), "Fields staff set by hand: an import of the whole file keeps them and reports the lines that differ.")),
		}, "id", "communityId", "householdId", "name")),
		"Staff": S(object(props{
			"id": S(id("")), "name": S(str(1, 32)), "phone": S(phone()),
			"communityId": S(id("")), "streetId": S(id("")), "createdAt": S(beijingTime()),
		}, "id", "name", "phone", "createdAt")),
		"ImportReport": S(object(props{
			"lines": S(integer(0, 1e6)), "imported": S(integer(0, 1e6)),
			"buildings": ref("Counts"), "households": ref("Counts"), "residents": ref("Counts"),
			"errors":        S(describe(array(ref("FieldError")), "The lines refused and why; empty when none (at most 500).")),
			"errorsOmitted": S(describe(integer(0, 1e6), "Errors past the first 500, left out.")),
			"conflicts": S(describe(arrayOf(object(props{
				"line": S(integer(1, 1e6)), "residentId": S(id("")), "name": S(str(1, 32)),
				"field":  S(enum("phone", "flags", "status")),
				"reason": S(str(1, 200)),
			}, "line", "residentId", "name", "field", "reason")), "Lines that differ from what staff corrected by hand: the correction stands, the line's value is not applied.")),
		}, "lines", "imported", "buildings", "households", "residents", "errors", "errorsOmitted", "conflicts")),
		"Counts": S(object(props{
			"created": S(integer(0, 1e6)), "updated": S(integer(0, 1e6)), "unchanged": S(integer(0, 1e6)),
		}, "created", "updated", "unchanged")),
		"FieldError": S(object(props{
			"line": S(integer(1, 1e6)), "field": S(openapi3.NewStringSchema()), "reason": S(openapi3.NewStringSchema()),
		}, "field", "reason")),
		"Round": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "name": S(str(1, 64)),
			"startsAt": S(beijingTime()), "endsAt": S(beijingTime()), "slotMinutes": S(integer(5, 240)),
			"checkInOpensMinutesBefore": S(describe(integer(0, 240), "Check-in is taken from this long before the start until the end.")),
			"createdAt":                 S(beijingTime()),
			"drill":                     S(describe(id(""), "The drill run that opened it: shown to residents who opted into drills only.")),
			"bookingRequired":           S(describe(boolean(), "false: booking is optional (the building windows are the plan, walk-ins the rule); a resident's booking is not held to their window.")),
			"pooling":                   ref("Pooling"),
		}, "id", "communityId", "name", "startsAt", "endsAt", "slotMinutes", "checkInOpensMinutesBefore", "createdAt", "bookingRequired", "pooling")),
		"Pooling": S(describe(object(props{
			"sealed": S(integer(1, 20)), "controlled": S(integer(1, 20)), "precaution": S(integer(1, 20)),
			"others":       S(describe(integer(1, 20), "Buildings in no zone.")),
			"perHousehold": S(describe(boolean(), "One tube a household (一户一管), whatever the level.")),
		}, "sealed", "controlled", "precaution", "others"), "Swabs a tube takes by the zone level of the person's building (混采); default 1, 10, 20, 20.")),
		"Tube": S(object(props{
			"code": S(pattern(`^[A-Z0-9]{4,32}$`, "The tube's code.")), "roundId": S(id("")),
			"size": S(describe(integer(1, 20), "Swabs it takes, by the zone level of its first.")), "count": S(integer(0, 20)),
			"level":  S(enum("sealed", "controlled", "precaution", "none", "single")),
			"siteId": S(id("Where its first swab was taken.")),
			"result": S(enum("negative", "pooled_positive", "positive", "invalid")), "resultAt": S(beijingTime()),
			"single": S(describe(str(4, 32), "The pooled tube whose trace this one-swab tube samples again.")),
		}, "code", "roundId", "size", "count")),
		"TubeView": S(object(props{
			"id": S(id("")), "tube": ref("Tube"),
			"members": S(array(S(object(props{
				"residentId": S(id("")), "name": S(str(0, 32)), "householdId": S(id("")), "position": S(integer(0, 20)),
			}, "residentId", "name", "householdId")))),
			"households": S(describe(array(S(object(props{
				"householdId": S(id("")), "building": S(str(0, 32)), "unit": S(str(0, 16)), "room": S(str(0, 16)),
				"members": S(describe(integer(0, 100), "All its people, the tube's and the others at home.")),
			}, "householdId", "building", "unit", "room", "members"))), "Where to knock.")),
		}, "id", "tube", "members", "households")),
		"Trace": S(object(props{
			"roundId": S(id("")), "communityId": S(id("")), "tube": S(str(4, 32)), "tubeId": S(id("")), "result": S(enum("pooled_positive", "positive")),
			"openedAt": S(beijingTime()), "dueAt": S(describe(beijingTime(), "The single samples are due by then.")),
			"texted": S(describe(integer(0, 1000), "Households texted to stay in place.")),
			"households": S(array(S(object(props{
				"householdId": S(id("")), "door": S(str(0, 64)), "building": S(str(0, 32)), "unit": S(str(0, 16)), "room": S(str(0, 16)),
				"people":     S(array(ref("TracePerson"))),
				"controlled": S(describe(boolean(), "The trace put the household under control (a household zone, controlled, reason pooled_positive) until its single samples release it; false where a stricter household zone was there already, or in a drill.")),
				"outcome":    S(describe(enum("released", "sealed", "held", "kept"), "Once closed: released (all negative; its zone back to what it was, the household texted and told in the app); kept (all negative, but its building's, unit's or staff's own zone keeps it at home: not told it is released); held (another open trace of the round holds it: that trace's singles decide); sealed (a positive: its members are close contacts).")),
			}, "householdId", "door", "building", "unit", "room", "people", "controlled")))),
			"status":   S(enum("open", "released", "escalated")),
			"closedAt": S(beijingTime()), "overdue": S(boolean()),
			"proposal": S(describe(str(0, 200), "On a positive single sample: what staff should decide.")),
			"closeContacts": S(describe(array(ref("TracePerson")),
				"Every member of a household with a positive single sample (from the register: those at home, not only the tube's).")),
			"escalationLevel": S(describe(integer(0, 2), "An overdue door list was texted to the staff on duty (1), then to every staff member and the street's admins (2).")),
		}, "roundId", "communityId", "tube", "tubeId", "result", "openedAt", "dueAt", "texted", "households", "status", "overdue")),
		"TracePerson": S(object(props{
			"residentId": S(id("")), "name": S(str(0, 32)), "singleTube": S(str(4, 32)), "singleAt": S(beijingTime()),
			"singleResult": S(enum("negative", "pooled_positive", "positive", "invalid")),
		}, "residentId", "name")),
		"Single": S(object(props{
			"roundId": S(id("")), "traceTube": S(str(4, 32)), "residentId": S(id("")), "tube": S(str(4, 32)), "at": S(beijingTime()), "by": S(id("")),
		}, "roundId", "traceTube", "residentId", "tube", "at", "by")),
		"SamplesReport": S(object(props{
			"rows": S(integer(0, 1e6)), "matched": S(describe(integer(0, 1e6), "Rows that marked their resident sampled into their tube.")),
			"alreadySampled": S(describe(integer(0, 1e6), "Rows whose resident was sampled into the same tube already.")),
			"bound":          S(describe(integer(0, 1e6), "Rows whose resident, checked in at the site without a tube, is now in the tube the export names.")),
			"unmatched":      S(describe(array(ref("SampleProblem")), "Rows naming nobody of the community, or several people.")),
			"conflicting":    S(describe(array(ref("SampleProblem")), "A person in two tubes, a tube over its size or of another zone level.")),
			"invalid":        S(array(ref("SampleProblem"))),
		}, "rows", "matched", "alreadySampled", "bound", "unmatched", "conflicting", "invalid")),
		"SampleProblem": S(object(props{
			"row": S(integer(1, 1e6)), "name": S(str(0, 64)), "phone": S(describe(str(0, 20), "Masked.")), "reason": S(str(1, 200)),
			"code": S(str(0, 64)),
		}, "row", "reason")),
		"ResultsReport": S(object(props{
			"rows": S(integer(0, 1e6)), "applied": S(integer(0, 1e6)),
			"unchanged":      S(describe(integer(0, 1e6), "Tubes that had this result already.")),
			"unknown":        S(describe(array(S(str(1, 32))), "Tubes not in the round: reported, not guessed.")),
			"conflicting":    S(describe(array(S(str(1, 32))), "Tubes given two different results: nothing written for them.")),
			"invalid":        S(array(S(object(props{"row": S(integer(1, 1e6)), "reason": S(str(1, 200))}, "row", "reason")))),
			"pooledPositive": S(describe(array(S(str(1, 32))), "Tubes of this upload back pooled positive or positive: each opens its trace.")),
			"traced":         S(describe(integer(0, 1e6), "Households of those tubes texted to stay in place (written with the results).")),
		}, "rows", "applied", "unchanged", "unknown", "conflicting", "invalid", "pooledPositive", "traced")),
		"Site": S(object(props{
			"id": S(id("")), "roundId": S(id("")), "name": S(str(1, 64)),
			"lanes": S(integer(1, 50)), "perLanePerSlot": S(integer(1, 500)), "closed": S(boolean()),
			"spare":    S(describe(boolean(), "Defined, not open (备用点): takes nobody until POST /v1/sites/{siteId}/open.")),
			"opensAt":  S(describe(beijingTime(), "Its hours, when narrower than the round's: slots outside them are closed.")),
			"closesAt": S(beijingTime()),
		}, "id", "roundId", "name", "lanes", "perLanePerSlot", "closed")),
		"Slot": S(object(props{
			"id": S(id("")), "siteId": S(id("")), "startsAt": S(beijingTime()), "endsAt": S(beijingTime()),
			"capacity": S(integer(1, 25000)), "booked": S(integer(0, 25000)),
		}, "id", "siteId", "startsAt", "endsAt", "capacity", "booked")),
		"Booking": S(object(props{
			"id": S(id("")), "code": S(describe(pattern(`^[2-9A-HJKMNP-Z]{6}$`, ""), "The code the site scans (QR content).")),
			"roundId": S(id("")), "residentId": S(id("")), "householdId": S(id("")), "slotId": S(id("")),
			"startsAt": S(beijingTime()), "status": S(enum("booked", "cancelled")), "bookedAt": S(beijingTime()),
		}, "id", "code", "roundId", "residentId", "householdId", "slotId", "startsAt", "status", "bookedAt")),
		"Window": S(object(props{
			"buildingId": S(id("")), "building": S(str(1, 32)), "residents": S(integer(0, 1e6)), "siteId": S(id("")),
			"startsAt": S(beijingTime()), "endsAt": S(beijingTime()), "slotIds": S(array(S(id("")))),
		}, "buildingId", "building", "residents", "siteId", "startsAt", "endsAt", "slotIds")),
		"Steering": S(object(props{
			"window":     ref("Window"),
			"inWindow":   S(describe(boolean(), "The slot is in the building's window (整楼带进带出).")),
			"windowFull": S(describe(boolean(), "Booked outside the window because the window had no room.")),
		}, "inWindow")),
		"Plan": S(object(props{
			"windows":   S(array(ref("Window"))),
			"unplanned": S(describe(array(S(id(""))), "Buildings no site had room for.")),
			"capacity":  ref("Capacity"),
			"lastNote":  ref("RoundNote"),
			"published": S(describe(integer(0, 1e6), "Households texted their window (with ?publish=true): those with no app sign-in in 7 days.")),
			"inApp":     S(describe(integer(0, 1e6), "Households told in the app feed only (with ?publish=true).")),
		}, "windows", "unplanned")),
		"Missed": S(object(props{
			"rounds": S(describe(array(ref("Round")), "The two latest rounds begun, newest first.")),
			"residents": S(arrayOf(object(props{
				"residentId": S(id("")), "name": S(str(1, 32)), "buildingId": S(id("")), "building": S(str(1, 32)),
				"unit": S(str(0, 16)), "room": S(str(0, 16)),
				"reasons": S(describe(array(S(enum("", "bedridden", "away", "isolating", "refused"))), "The reason given in each round, in the rounds' order.")),
			}, "residentId", "name", "buildingId", "building", "unit", "room", "reasons"))),
		}, "rounds", "residents")),
		"Capacity": S(object(props{
			"residents":  S(integer(0, 1e6)),
			"accounted":  S(describe(integer(0, 1e6), "Not sampled with a reason (away, isolating, refused): not expected at a site.")),
			"demand":     S(describe(integer(0, 1e6), "Residents the round has to sample.")),
			"sampled":    S(integer(0, 1e6)),
			"booked":     S(describe(integer(0, 1e6), "Live bookings not yet sampled.")),
			"doorToDoor": S(describe(integer(0, 1e6), "Bed-bound not yet sampled: sampled at their doors.")),
			"toPlace":    S(describe(integer(0, 1e6), "People who still need a place at a site.")),
			"placesLeft": S(describe(integer(0, 1e7), "Free places in the open slots still to come.")),
			"coverage":   S(describe(number(0, 1), "Share of the demand with a sample, a place or a door visit.")),
			"shortBy":    S(describe(integer(0, 1e6), "People who would find no place: 0 when it covers.")),
			"remedies":   S(array(ref("Remedy"))),
		}, "residents", "accounted", "demand", "sampled", "booked", "doorToDoor", "toPlace", "placesLeft", "coverage", "shortBy", "remedies")),
		"Remedy": S(object(props{
			"siteId":         S(id("The site to change; absent for a new site.")),
			"site":           S(str(1, 64)),
			"slotsLeft":      S(integer(0, 1000)),
			"lanes":          S(describe(integer(1, 10000), "Lanes the site would need (PATCH /v1/sites/{siteId}).")),
			"perLanePerSlot": S(describe(integer(1, 500), "Or places a lane would need each slot, with the lanes it has.")),
			"spare":          S(describe(boolean(), "Open this spare site (POST /v1/sites/{siteId}/open).")),
			"places":         S(describe(integer(1, 1e6), "The places opening the spare adds.")),
			"text":           S(str(1, 200)),
		}, "site", "slotsLeft", "lanes", "text")),
		"RoundNote": S(object(props{
			"roundId": S(id("")), "text": S(str(1, 2000)), "by": S(id("")), "at": S(beijingTime()),
		}, "roundId", "text", "by", "at")),
		"Call": S(object(props{
			"id": S(id("")), "roundId": S(id("")), "buildingId": S(id("")), "building": S(str(1, 32)),
			"siteId": S(id("")), "site": S(str(1, 64)), "at": S(beijingTime()), "by": S(id("")),
			"households": S(describe(integer(0, 1e5), "Households with someone left to sample.")),
			"texted":     S(describe(integer(0, 1e5), "Households texted (one text each; some have no phone).")),
			"came":       S(describe(integer(0, 1e5), "Residents of the building sampled within 30 minutes of the call.")),
		}, "id", "roundId", "buildingId", "building", "siteId", "site", "at", "by", "households", "texted", "came")),
		"Pace": S(object(props{
			"perHour":     S(describe(number(0, 1e6), "Samples of the last 30 minutes, per hour.")),
			"left":        S(integer(0, 1e6)),
			"finishAt":    S(describe(beijingTime(), "When the last would be sampled at this pace.")),
			"lateMinutes": S(describe(integer(0, 1e6), "How long after the round's end that is.")),
		}, "perHour", "left", "lateMinutes")),
		"SitePace": S(object(props{
			"siteId": S(id("")), "site": S(str(1, 64)), "lanes": S(integer(0, 50)), "closed": S(boolean()),
			"spare":          S(describe(boolean(), "A spare site not opened.")),
			"sampled":        S(integer(0, 1e6)),
			"perHour":        S(describe(number(0, 1e6), "The site's samples of the last 30 minutes, per hour.")),
			"perLanePerHour": S(number(0, 1e6)),
			"pending":        S(describe(integer(0, 1e6), "Its samples in a tube whose result is not back.")),
			"lastAt":         S(describe(beijingTime(), "Its latest sample.")),
		}, "siteId", "site", "lanes", "closed", "spare", "sampled", "perHour", "perLanePerHour", "pending")),
		"RoundProgress": S(object(props{
			"buildings": S(array(ref("BuildingProgress"))), "total": ref("BuildingProgress"),
			"capacity": ref("Capacity"), "pace": ref("Pace"), "calls": S(array(ref("Call"))),
			"sites": S(describe(array(ref("SitePace")), "Each site's pace, open sites first.")),
		}, "buildings", "total", "capacity", "pace", "sites", "calls")),
		"Moved": S(object(props{
			"bookingId": S(id("")), "residentId": S(id("")), "fromSlotId": S(id("")), "toSlotId": S(id("")), "startsAt": S(beijingTime()),
		}, "bookingId", "residentId", "fromSlotId", "toSlotId", "startsAt")),
		"FieldView": S(object(props{
			"roundId": S(id("")), "round": S(str(1, 64)), "staff": S(boolean()), "door": S(describe(boolean(), "On the door team (上门采样).")),
			"sites":     S(describe(array(ref("FieldPlace")), "Where the caller checks people in.")),
			"buildings": S(describe(array(ref("FieldPlace")), "What the caller may read, door by door.")),
			"leadOf":    S(describe(array(S(id(""))), "The buildings the caller may call down.")),
		}, "roundId", "round", "staff", "door", "sites", "buildings", "leadOf")),
		"FieldPlace": S(object(props{"id": S(id("")), "name": S(str(1, 64))}, "id", "name")),
		"SiteChange": S(object(props{
			"site": ref("Site"), "slots": S(array(ref("Slot"))),
			"keptOver":  S(describe(integer(0, 1e6), "Places kept above the new size for bookings already made.")),
			"moved":     S(array(ref("Moved"))),
			"cancelled": S(array(ref("Booking"))),
			"notified":  S(describe(integer(0, 1e6), "Residents whose SMS is on its way (moved or cancelled by the new hours).")),
			"capacity":  ref("Capacity"),
			"plan":      ref("Plan"),
		}, "site", "slots", "keptOver", "moved", "cancelled", "notified", "capacity")),
		"Closure": S(object(props{
			"site": ref("Site"), "moved": S(array(ref("Moved"))), "cancelled": S(array(ref("Booking"))),
			"notified": S(describe(integer(0, 1e6), "Residents whose SMS is on its way: the dispatch queue sends them paced, not to phones that opted out.")),
			"plan":     ref("Plan"),
			"capacity": ref("Capacity"),
			"opened":   ref("Site"),
		}, "site", "moved", "cancelled", "notified")),
		"CheckIn": S(object(props{
			"residentId": S(id("")), "walkIn": S(describe(boolean(), "Sampled without a booking.")), "sampledAt": S(beijingTime()),
			"siteId": S(id("Where it was taken.")), "atDoor": S(describe(boolean(), "Taken at the resident's door (上门采样).")),
			"tube": S(pattern(`^[A-Z0-9]{4,32}$`, "The tube the swab went into.")),
		}, "residentId", "walkIn", "sampledAt")),
		"BuildingProgress": S(object(props{
			"buildingId": S(id("")), "name": S(str(1, 32)),
			"residents": S(integer(0, 1e6)), "booked": S(integer(0, 1e6)), "sampled": S(integer(0, 1e6)),
			"walkIns":        S(describe(integer(0, 1e6), "Sampled without a booking.")),
			"doorToDoor":     S(describe(integer(0, 1e6), "Bed-bound not yet sampled.")),
			"accounted":      S(describe(integer(0, 1e6), "Not sampled, with a reason (away, isolating, refused).")),
			"left":           S(describe(integer(0, 1e6), "Still to come to a site.")),
			"resulted":       S(describe(integer(0, 1e6), "Sampled into a tube whose result is back.")),
			"pending":        S(describe(integer(0, 1e6), "Sampled into a tube whose result is not back.")),
			"pooledPositive": S(describe(integer(0, 1e6), "In a tube back pooled positive or positive.")),
		}, "name", "residents", "booked", "sampled", "walkIns", "doorToDoor", "accounted", "left", "resulted", "pending", "pooledPositive")),
		"Member": S(object(props{
			"residentId": S(id("")), "name": S(str(1, 32)), "sampled": S(boolean()), "sampledAt": S(beijingTime()),
			"booked": S(boolean()), "reason": S(enum("bedridden", "away", "isolating", "refused")),
			"atDoor":        S(describe(boolean(), "Sampled, or to be, at their door.")),
			"noTemperature": S(describe(boolean(), "In a sealed or controlled building, no temperature today (the building's 楼栋长 and staff see it).")),
		}, "residentId", "name", "sampled", "booked", "atDoor")),
		"Flat": S(object(props{
			"householdId": S(id("")), "unit": S(str(0, 16)), "room": S(str(1, 16)), "members": S(array(ref("Member"))),
			"unacknowledged": S(describe(array(S(str(1, 40))), "Titles of the building's notices of the last 72 hours the household has not acknowledged, newest first (the building's 楼栋长 and staff see them).")),
		}, "householdId", "unit", "room", "members")),
		"BuildingView": S(object(props{
			"buildingId": S(id("")), "building": S(str(1, 32)), "residents": S(integer(0, 1e5)), "sampled": S(integer(0, 1e5)),
			"left": S(integer(0, 1e5)), "doors": S(array(ref("Flat"))),
		}, "buildingId", "building", "residents", "sampled", "left", "doors")),
		"DoorVisit": S(object(props{
			"residentId": S(id("")), "name": S(str(1, 32)), "buildingId": S(id("")), "building": S(str(1, 32)),
			"unit": S(str(0, 16)), "room": S(str(1, 16)), "sampledAt": S(beijingTime()),
		}, "residentId", "name", "buildingId", "building", "unit", "room")),
		"SiteReview": S(object(props{
			"siteId": S(id("")), "site": S(str(1, 64)), "lanes": S(integer(1, 50)), "closed": S(boolean()),
			"sampled": S(integer(0, 1e6)), "walkIns": S(integer(0, 1e6)),
			"peakPerHour":            S(describe(integer(0, 1e6), "Samples of the busiest clock hour.")),
			"perLanePerHour":         S(describe(number(0, 1e6), "That over the lanes.")),
			"hours":                  S(arrayOf(object(props{"hour": S(pattern(`^[0-2][0-9]:00$`, "Beijing time.")), "sampled": S(integer(0, 1e6))}, "hour", "sampled"))),
			"longestLateMinutes":     S(describe(integer(0, 1e6), "Longest a booked person came after their slot's start.")),
			"longestFromCallMinutes": S(describe(integer(0, 1e6), "Longest from a building's call to the sample of one of its people: the wait of a called queue.")),
			"byLane": S(describe(arrayOf(object(props{"lane": S(integer(1, 50)), "sampled": S(integer(0, 1e6)), "peakPerHour": S(integer(0, 1e6))},
				"lane", "sampled", "peakPerHour")), "Lanes whose check-ins said their number.")),
		}, "siteId", "site", "lanes", "closed", "sampled", "walkIns", "peakPerHour", "perLanePerHour", "hours", "longestLateMinutes", "longestFromCallMinutes", "byLane")),
		"Review": S(object(props{
			"round": ref("Round"), "total": ref("BuildingProgress"), "capacity": ref("Capacity"),
			"sites": S(array(ref("SiteReview"))),
			"noShows": S(arrayOf(object(props{"slotId": S(id("")), "siteId": S(id("")), "startsAt": S(beijingTime()),
				"booked": S(integer(0, 1e5)), "noShow": S(integer(0, 1e5))}, "slotId", "siteId", "startsAt", "booked", "noShow"))),
			"walkInShare": S(number(0, 1)),
			"calls":       S(array(ref("Call"))),
			"closures":    S(array(ref("Site"))),
			"unsampled":   S(describe(openapi3.NewObjectSchema().WithAdditionalProperties(integer(0, 1e6)), "Residents not sampled by reason (bedridden, away, isolating, refused; none: nobody gave one).")),
			"doorDone":    S(integer(0, 1e6)), "doorLeft": S(integer(0, 1e6)),
			"note": ref("RoundNote"),
			"results": S(describe(object(props{
				"buildings": S(arrayOf(object(props{
					"buildingId": S(id("")), "building": S(str(1, 32)), "resulted": S(integer(0, 1e6)), "pending": S(integer(0, 1e6)),
					"pooledPositive": S(describe(integer(0, 1e6), "People of the building in a tube back pooled positive or positive.")),
				}, "buildingId", "building", "resulted", "pending", "pooledPositive"))),
				"traces": S(arrayOf(object(props{
					"tube": S(str(4, 32)), "resultAt": S(beijingTime()), "households": S(integer(0, 100)), "people": S(integer(0, 100)),
					"texted":         S(describe(integer(0, 100), "Households texted to stay in place, in the same write as the result.")),
					"singlesTaken":   S(integer(0, 100)),
					"singlesMinutes": S(describe(integer(0, 1e6), "From the result to the last single sample taken; absent while some are to take.")),
					"closedMinutes":  S(describe(integer(0, 1e6), "From the result to the trace's release or escalation.")),
					"status":         S(enum("open", "released", "escalated")),
					"overdue":        S(describe(boolean(), "Singles were still to take at the deadline (2 hours), or are now.")),
				}, "tube", "resultAt", "households", "people", "texted", "singlesTaken", "status", "overdue"))),
			}, "buildings", "traces"), "The lab's results per building (people with a tube), and each pooled positive's trace timed.")),
		}, "round", "total", "capacity", "sites", "noShows", "walkInShare", "calls", "closures", "unsampled", "doorDone", "doorLeft", "results")),
		"Unsampled": S(object(props{
			"residentId": S(id("")), "name": S(str(1, 32)), "building": S(str(1, 32)), "buildingId": S(id("")),
			"householdId": S(id("")), "unit": S(str(0, 16)), "room": S(str(1, 16)), "phone": S(phone()),
			"reason": S(enum("bedridden", "away", "isolating", "refused")),
		}, "residentId", "name", "building", "buildingId", "householdId", "unit", "room")),
		"Zone": S(object(props{
			"buildingId": S(id("")), "building": S(str(1, 32)),
			"unitId":      S(describe(id(""), "Set when the zone covers one unit of the building (or, with householdId, names the household's unit).")),
			"unit":        S(str(0, 16)),
			"householdId": S(describe(id(""), "Set when the zone covers one household.")),
			"room":        S(str(1, 16)),
			"level":       S(describe(enum("sealed", "controlled", "precaution", "none"), "none: released. A household's effective level is the strictest zone covering it.")),
			"since":       S(beijingTime()), "by": S(id("Who set it.")),
			"reason": S(describe(enum("pooled_positive", "positive", "home_isolation"), "Set by the system, not staff: pooled_positive, a pooled-positive tube's trace controls the households until their single samples release them; positive, a single sample came back positive and its household is sealed; home_isolation, someone of the household is in home isolation (a watch).")),
		}, "buildingId", "building", "level", "since", "by")),
		"Notice": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "title": S(str(1, 40)), "body": S(str(1, 500)), "urgent": S(boolean()),
			"channels":     S(arrayOf(enum("app", "sms"))),
			"buildingIds":  S(describe(array(S(id(""))), "The buildings it went to.")),
			"householdIds": S(describe(array(S(id(""))), "Households it went to one by one: those of a zone audience in buildings zoned by unit or by household.")),
			"createdAt":    S(beijingTime()), "createdBy": S(id("")),

			"drill": S(describe(id(""), "The drill run that sent it: its SMS went to the drill's outbox.")),
		}, "id", "communityId", "title", "body", "urgent", "channels", "buildingIds", "createdAt", "createdBy")),
		"FeedItem": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "title": S(str(1, 40)), "body": S(str(1, 500)), "urgent": S(boolean()),
			"channels": S(arrayOf(enum("app", "sms"))), "buildingIds": S(array(S(id("")))),
			"createdAt": S(beijingTime()), "createdBy": S(id("")),
			"drill": S(describe(id(""), "A drill's notice: shown only to residents who opted into drills.")),
			"kind": S(describe(enum("notice", "round_window", "call_down", "trace"),
				"notice: staff sent it; round_window: a testing round's published window for the building (the current one); call_down: the building was called down to a site; trace: the household's pooled tube came back positive (stay in place for single samples at the door), then its release (or, after a positive, to stay at home). Only notices are acknowledged.")),
			"acknowledged": S(describe(boolean(), "The household acknowledged it.")),
		}, "id", "communityId", "title", "body", "urgent", "channels", "buildingIds", "createdAt", "createdBy", "kind", "acknowledged")),
		"CallbackAnswer": S(object(props{"result": S(describe(integer(0, 0), "0: taken.")), "errmsg": S(enum("OK"))}, "result", "errmsg")),
		"Delivery": S(object(props{
			"queued":         S(describe(integer(0, 1e7), "SMS put on the queue (one per phone).")),
			"sent":           S(describe(integer(0, 1e7), "SMS the provider took (a receipt of non-delivery takes one off).")),
			"delivered":      S(describe(integer(0, 1e7), "Of those sent, SMS the carrier's receipt says reached the phone.")),
			"failed":         S(describe(integer(0, 1e7), "SMS that did not reach the phone: refused, out of retries, or reported undelivered.")),
			"skipped":        S(describe(integer(0, 1e7), "Phones that opted out.")),
			"acknowledged":   S(describe(integer(0, 1e7), "Households that acknowledged.")),
			"households":     S(integer(0, 1e7)),
			"unacknowledged": S(describe(array(ref("DoorKnock")), "Households to knock on, building by building.")),
		}, "queued", "sent", "delivered", "failed", "skipped", "acknowledged", "households", "unacknowledged")),
		"DoorKnock": S(object(props{
			"householdId": S(id("")), "building": S(str(1, 32)), "unit": S(str(0, 16)), "room": S(str(1, 16)),
			"contactPhone": S(phone()),
		}, "householdId", "building", "unit", "room")),
		"Reading": S(object(props{
			"residentId": S(id("")), "celsius": S(number(34, 43)), "at": S(beijingTime()),
			"fever":    S(describe(boolean(), "37.3 °C or more, after rounding to a tenth.")),
			"peak":     S(describe(number(34, 43), "The day's highest reading.")),
			"feverAt":  S(describe(beijingTime(), "When the day's first fever was reported: staff were alerted then, once.")),
			"symptoms": S(describe(array(S(enum(symptomCodes...))), "The latest reading's symptoms (kept only when there is one).")),
			"watched":  S(describe(boolean(), "The reading was also the check of the person's watch (in the report's answer).")),
		}, "residentId", "celsius", "at", "fever", "peak")),
		"TemperatureDay": S(object(props{
			"day":      S(day()),
			"fevers":   S(array(ref("Reading"))),
			"missing":  S(array(ref("Missing"))),
			"reported": S(describe(integer(0, 1e6), "Residents of sealed and controlled buildings who reported.")),
		}, "day", "fevers", "missing", "reported")),
		"Missing": S(object(props{
			"residentId": S(id("")), "name": S(str(1, 32)), "building": S(str(1, 32)), "phone": S(phone()),
		}, "residentId", "name", "building")),
		"Me": S(object(props{
			"user":      ref("User"),
			"name":      S(str(1, 32)),
			"household": ref("Household"),
			"members":   S(describe(array(ref("Resident")), "The household's members, without care flags.")),
		}, "user")),
	}
}
