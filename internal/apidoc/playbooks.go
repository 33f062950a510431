package apidoc

import "github.com/getkin/kin-openapi/openapi3"

var (
	actionKinds  = []string{"seal_buildings", "release_buildings", "open_round", "activate_posts", "send_notice", "open_site", "check_reserves"}
	stepStatuses = []string{"pending", "running", "done", "failed"}
)

func stepID() *openapi3.Schema {
	return pattern(`^[a-z0-9][a-z0-9-]{0,19}$`, "1 to 20 of a-z, 0-9 and -, unique in its list.")
}

// step is a playbook step, in a playbook and (with more) in a run.
func step() props {
	return props{
		"id": S(stepID()), "title": S(text(64, "")),
		"owner":      S(describe(enum("staff", "admin"), "Who answers for it: staff (staff or admins tick it) or admin (street admins only). Default staff.")),
		"dueMinutes": S(describe(integer(0, 10080), "Late this long after the switch.")),
		"checklist":  S(array(S(text(100, ""))).WithMaxItems(20)),
		"action":     ref("PlaybookAction"),
	}
}

// playbookComponents are the schemas of playbooks and their runs.
func playbookComponents() openapi3.Schemas {
	run := step()
	extra := props{
		"status": S(enum(stepStatuses...)), "doneAt": S(beijingTime()), "doneBy": S(id("")), "note": S(str(0, 200)),
		"result":            S(describe(str(0, 500), "What the action did, or why it failed (in Chinese).")),
		"error":             S(describe(pattern(`^[A-Z][A-Z0-9_]*$`, ""), "The failed action's error code; tick the step to run it again.")),
		"startedAt":         S(describe(beijingTime(), "When its action last started.")),
		"secondsFromSwitch": S(describe(integer(0, 1e8), "How long after the switch it was done.")),
		"late":              S(describe(boolean(), "Done after its due time, or not done and past it.")),
		"lateBySeconds":     S(integer(0, 1e8)),
	}
	for k, v := range extra {
		run[k] = v
	}
	return openapi3.Schemas{
		"PlaybookAction": S(describe(object(props{
			"kind":        S(enum(actionKinds...)),
			"buildingIds": S(describe(array(S(id(""))).WithMaxItems(45), "seal_buildings: 1 to 45; release_buildings: none releases what the emergency being ended sealed.")),
			"level":       S(describe(enum("sealed", "controlled"), "seal_buildings; default sealed.")),
			"round": S(describe(object(props{
				"name": S(text(64, "")), "startInMinutes": S(describe(integer(0, 1440), "From the switch.")),
				"hours": S(integer(1, 24)), "slotMinutes": S(integer(5, 240)),
				"sites": S(describe(arrayOf(object(props{"name": S(text(64, "Sendable by SMS.")), "lanes": S(integer(1, 50)), "perLanePerSlot": S(integer(1, 500)),
					"spare": S(describe(boolean(), "Defined, not open (备用点): an open_site step opens it."))},
					"name", "lanes", "perLanePerSlot")).WithMinItems(1).WithMaxItems(10), "At least one not a spare.")),
			}, "name", "startInMinutes", "hours", "slotMinutes", "sites"), "open_round: the round opens with its sites and every building's window.")),
			"activation": S(describe(object(props{
				"all": S(boolean()), "postIds": S(array(S(id(""))).WithMaxItems(100)),
				"categories": S(array(S(enum(volunteerCategories...))).WithMaxItems(5)), "minutes": S(integer(1, 60)),
			}), `activate_posts: exactly one of all, postIds, categories, as POST /activations takes them.`)),
			"notice": S(describe(object(props{
				"title": S(text(40, "")), "body": S(describe(str(1, 500), "")), "channels": S(arrayOf(enum("app", "sms")).WithMinItems(1).WithMaxItems(2)),
				"urgent": S(boolean()), "all": S(boolean()), "buildingIds": S(array(S(id(""))).WithMaxItems(200)),
				"toSealed": S(describe(boolean(), "To the buildings the run sealed so far (or, ending an emergency, those it sealed).")),
			}, "title", "body", "channels"), "send_notice: exactly one of all, buildingIds, toSealed.")),
			"site": S(describe(str(1, 64), "open_site: the name of a spare site of the round the run opened.")),
		}, "kind"), "What the system does for the step, when the run reaches it.")),
		"Playbook": S(object(props{
			"communityId":   S(id("")),
			"emergency":     S(describe(arrayOf(object(step(), "id", "title", "owner", "dueMinutes")).WithMaxItems(30), "Run on switching to emergency, in order.")),
			"normal":        S(describe(arrayOf(object(step(), "id", "title", "owner", "dueMinutes")).WithMaxItems(30), "Run on switching back.")),
			"retentionDays": S(describe(integer(1, 365), "Personal data of an emergency expires this many days after it ends (default 30).")),
			"updatedAt":     S(beijingTime()), "updatedBy": S(id("")),
			"version": S(describe(integer(0, 1e9), "Give back the version you read: a save over someone else's is refused (CHANGED_MEANWHILE).")),
			"template": S(describe(object(props{
				"id": S(id("")), "name": S(str(1, 40)), "version": S(integer(1, 1e9)),
				"emergency": S(arrayOf(object(step(), "id", "title", "owner", "dueMinutes"))), "normal": S(arrayOf(object(step(), "id", "title", "owner", "dueMinutes"))),
			}, "id", "name", "version", "emergency", "normal"), "The street's template it was copied from, as it was then (read only).")),
			"templateChanges": S(describe(object(props{
				"added": S(array(S(str(1, 32)))), "removed": S(array(S(str(1, 32)))), "changed": S(array(S(str(1, 32)))),
			}, "added", "removed", "changed"), "What the community changed since the copy, by step id (read only).")),
		}, "communityId", "emergency", "normal", "retentionDays", "version")),
		"PlaybookTemplate": S(object(props{
			"id": S(id("")), "streetId": S(id("")), "name": S(str(1, 40)),
			"emergency":     S(arrayOf(object(step(), "id", "title", "owner", "dueMinutes")).WithMaxItems(30)),
			"normal":        S(arrayOf(object(step(), "id", "title", "owner", "dueMinutes")).WithMaxItems(30)),
			"retentionDays": S(integer(1, 365)), "version": S(integer(1, 1e9)),
			"updatedAt": S(beijingTime()), "updatedBy": S(id("")),
		}, "id", "streetId", "name", "emergency", "normal", "retentionDays", "version")),
		"Run": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "mode": S(enum("emergency", "normal")),
			"drill":     S(describe(boolean(), "A drill (演练): SMS go to its outbox, zones are set on paper, its data is removed in one call.")),
			"startedAt": S(beijingTime()), "startedBy": S(id("")),
			"ends":    S(describe(id(""), "The emergency (or drill) run this run ends.")),
			"endedBy": S(describe(id(""), "The run that ended this one.")),
			"steps":   S(arrayOf(object(run, "id", "title", "owner", "dueMinutes", "status", "late"))),
			"sealed":  S(describe(array(S(id(""))), "Buildings the run sealed.")),
			"zones":   S(describe(array(ref("Zone")), "A drill's zones, set on paper only.")),
			"created": S(describe(object(props{"rounds": S(array(S(id("")))), "notices": S(array(S(id("")))), "activations": S(array(S(id(""))))}),
				"What its actions created.")),
			"drillDataRemoved": S(object(props{"at": S(beijingTime()), "by": S(id("")), "items": S(integer(0, 1e8))}, "at", "by", "items")),
			"version":          S(integer(1, 1e9)),
		}, "id", "communityId", "mode", "drill", "startedAt", "startedBy", "steps", "created", "version")),
	}
}

var playbookOps = map[string]op{
	"getPlaybook": {summary: "The community's playbook (预案)", answers: ok(ref("Playbook"))},
	"putPlaybook": {summary: "Save the community's playbook",
		description: "Steps are checked as they will run: buildings must be the community's, a notice's text and channels must be sendable, a site's name must be sendable by SMS. `version` is the version read (0 for the first save).",
		body: object(props{
			"emergency":     S(arrayOf(object(step(), "id", "title")).WithMaxItems(30)),
			"normal":        S(arrayOf(object(step(), "id", "title")).WithMaxItems(30)),
			"retentionDays": S(integer(1, 365)), "version": S(integer(0, 1e9)),
			"communityId": S(describe(id(""), "Ignored: the path's.")), "updatedAt": S(anyTime()), "updatedBy": S(id("Ignored.")),
			"template": S(describe(openapi3.NewObjectSchema(), "Ignored: the stored playbook's stays.")), "templateChanges": S(describe(openapi3.NewObjectSchema(), "Ignored.")),
		}, "emergency", "normal", "version"),
		answers: ok(ref("Playbook")),
		codes:   map[int][]string{409: {"CHANGED_MEANWHILE"}}},
	"playbookFromTemplate": {summary: "Make the community's playbook a copy of a street template",
		description: "The community then adapts it (PUT …/playbook: its buildings, its posts); the playbook names the template and version it came from, and GET shows what changed since. `version` is the playbook's version read (0 when it has none): a playbook is replaced only knowingly.",
		body:        object(props{"templateId": S(id("")), "version": S(integer(0, 1e9))}, "templateId"),
		answers:     ok(ref("Playbook")),
		codes:       map[int][]string{404: {"TEMPLATE_NOT_FOUND"}, 409: {"CHANGED_MEANWHILE"}}},
	"listPlaybookTemplates": {summary: "The street's playbook templates",
		answers: ok(S(object(props{"templates": S(array(ref("PlaybookTemplate")))}, "templates")))},
	"createPlaybookTemplate": {summary: "Add a playbook template to the street (its admins)",
		description: "Steps as a playbook's, naming no building and no post of any community (TEMPLATE_NOT_NEUTRAL: no seal_buildings, no buildingIds, no postIds): a community's copy adds them.",
		body: object(props{
			"name":          S(text(40, "")),
			"emergency":     S(arrayOf(object(step(), "id", "title")).WithMaxItems(30)),
			"normal":        S(arrayOf(object(step(), "id", "title")).WithMaxItems(30)),
			"retentionDays": S(integer(0, 365)), "version": S(integer(0, 0)),
		}, "name", "emergency", "normal"),
		answers: created(ref("PlaybookTemplate")),
		codes:   map[int][]string{400: {"TEMPLATE_NOT_NEUTRAL"}}},
	"putPlaybookTemplate": {summary: "Save a playbook template over the version read",
		body: object(props{
			"name":          S(text(40, "")),
			"emergency":     S(arrayOf(object(step(), "id", "title")).WithMaxItems(30)),
			"normal":        S(arrayOf(object(step(), "id", "title")).WithMaxItems(30)),
			"retentionDays": S(integer(0, 365)), "version": S(integer(1, 1e9)),
		}, "name", "emergency", "normal", "version"),
		answers: ok(ref("PlaybookTemplate")),
		codes:   map[int][]string{400: {"TEMPLATE_NOT_NEUTRAL"}, 404: {"TEMPLATE_NOT_FOUND"}, 409: {"CHANGED_MEANWHILE"}}},
	"getMode": {summary: "The community's mode and its latest runs",
		answers: ok(S(object(props{
			"communityId": S(id("")), "mode": S(enum("normal", "emergency")), "since": S(beijingTime()),
			"runId": S(describe(id(""), "The run that put it in its mode.")), "drillRunId": S(describe(id(""), "The drill under way.")),
			"version": S(integer(0, 1e9)), "runs": S(array(ref("Run"))),
		}, "communityId", "mode", "version", "runs")))},
	"switchMode": {summary: "Switch to emergency or back (平战转换), or start or end a drill",
		description: "Runs the playbook's list for the switch: the steps with an action run at once, in order, under the caller's rights, each with its audit entry; a failed action is a failed step (its code in `error`), the others still run. " +
			"`drill: true` runs it as a drill (演练): the community's real mode does not change, SMS go to the drill's outbox (GET /v1/runs/{runId}/outbox), zones are set on paper only, residents see its notices and rounds only if they opted into drills; `{mode: normal, drill: true}` ends the drill with the normal list. " +
			"Ending a real emergency starts the expiry of its personal data (see the retention report).",
		body:    object(props{"mode": S(enum("emergency", "normal")), "drill": S(boolean())}, "mode"),
		answers: created(ref("Run")),
		codes:   map[int][]string{409: {"ALREADY_IN_MODE", "DRILL_RUNNING", "NO_DRILL_RUNNING", "CHANGED_MEANWHILE"}}},
	"switchStreetMode": {summary: "Switch several communities of the street at once (街道统一平战转换)",
		description: "Street admins move up to 20 communities of their street into emergency or back, or start or end a drill in each, each with its own playbook, as POST /v1/communities/{id}/mode does for one. Every community must be the street's (COMMUNITY_NOT_IN_STREET otherwise, and none switches). Then each switches side by side; one that cannot (ALREADY_IN_MODE, DRILL_RUNNING, NO_DRILL_RUNNING) says so in its result with the others switched. Sent again, it switches nobody twice.",
		body: object(props{
			"communities": S(describe(arrayOf(id("")).WithMinItems(1).WithMaxItems(20).WithUniqueItems(true), "Distinct communities of the street.")),
			"mode":        S(enum("emergency", "normal")), "drill": S(boolean()),
		}, "communities", "mode"),
		answers: ok(S(object(props{
			"streetId": S(id("")), "mode": S(enum("emergency", "normal")), "drill": S(boolean()),
			"switched": S(describe(integer(0, 20), "How many communities switched.")),
			"results": S(arrayOf(object(props{
				"communityId": S(id("")), "name": S(str(0, 64)), "run": ref("Run"),
				"error":   S(describe(str(1, 64), "Why this community did not switch: a stable code.")),
				"message": S(str(1, 200)),
			}, "communityId", "name"))),
		}, "streetId", "mode", "drill", "switched", "results"))),
		codes: map[int][]string{400: {"COMMUNITY_NOT_IN_STREET"}}},
	"streetRuns": {summary: "The street's communities with their mode and latest run's progress",
		answers: ok(S(arrayOf(object(props{
			"communityId": S(id("")), "name": S(str(0, 64)), "mode": S(enum("normal", "emergency")), "since": S(beijingTime()),
			"runId": S(id("")), "drillRunId": S(describe(id(""), "The drill under way.")), "version": S(integer(0, 1e9)),
			"run":   ref("Run"),
			"steps": S(integer(0, 100)), "done": S(integer(0, 100)), "failed": S(integer(0, 100)),
			"late": S(describe(integer(0, 100), "Steps past their due time and not done.")),
		}, "communityId", "name", "mode", "version", "steps", "done", "failed", "late"))))},
	"getRun": {summary: "A run: who did what when, and what is late", answers: ok(ref("Run")),
		codes: map[int][]string{404: {"RUN_NOT_FOUND"}}},
	"tickStep": {summary: "Mark a step done",
		description:  "A step with an action not yet done runs its action (again, after a failure). A step done already is answered as it is. A step owned by admin is ticked by street admins only. The body is optional.",
		body:         object(props{"note": S(text(200, ""))}),
		optionalBody: true,
		answers:      ok(ref("Run")),
		codes:        map[int][]string{403: {"NOT_STEP_OWNER"}, 404: {"RUN_NOT_FOUND", "STEP_NOT_FOUND"}, 409: {"STEP_RUNNING", "CHANGED_MEANWHILE"}}},
	"runReport": {summary: "A run's after-action report (复盘)",
		description: "Each step's time from the switch, lateness, who and result; for a drill, the SMS its outbox holds by template; the reserve's items below their minimum now. `?format=csv` gives the steps as a file Excel opens.",
		query:       []param{formatParam},
		answers: []answer{{status: 200, schema: S(object(props{
			"run": ref("Run"),
			"sms": S(object(props{"messages": S(integer(0, 1e8)), "parts": S(integer(0, 1e8)),
				"byTemplate": S(&openapi3.Schema{Type: &openapi3.Types{"object"}, AdditionalProperties: openapi3.AdditionalProperties{Schema: S(integer(0, 1e8))}})},
				"messages", "parts", "byTemplate")),
			"reservesShort": S(describe(array(ref("ReserveItem")), "The community's reserve items below their minimum now, as the report is read (隔离储备); a check_reserves step's result keeps what the run's check found.")),
		}, "run", "reservesShort"))}, {status: 200, csv: true}},
		codes: map[int][]string{404: {"RUN_NOT_FOUND"}}},
	"drillOutbox": {summary: "What a drill sent, instead of texting anyone",
		description: "Every SMS of the drill, oldest first, with the phone masked.",
		answers: ok(S(object(props{"runId": S(id("The drill's first run.")), "messages": S(arrayOf(object(props{
			"runId": S(id("")), "id": S(str(1, 64)), "to": S(describe(pattern(`^1[0-9]{2}\*{4}[0-9]{4}$`, ""), "Masked.")),
			"template": S(str(1, 64)), "purpose": S(str(1, 32)), "body": S(str(1, 500)), "parts": S(integer(1, 10)), "at": S(beijingTime()),
		}, "runId", "id", "to", "template", "purpose", "body", "parts", "at")))}, "runId", "messages"))),
		codes: map[int][]string{404: {"RUN_NOT_FOUND"}, 409: {"NOT_A_DRILL"}}},
	"removeDrillData": {summary: "Remove a drill's data",
		description: "Deletes what the drill created — its rounds with their bookings and check-ins, its notices, its activations and asks, its outbox — and ends the drill if it is under way. The runs and the audit log stay for the review. A second call answers the first's removal.",
		answers:     ok(ref("Run")),
		codes:       map[int][]string{404: {"RUN_NOT_FOUND"}, 409: {"NOT_A_DRILL"}}},
}

var retentionSets = []string{"bookings", "temperatures", "help", "orders", "checkins", "noticeSends", "watches", "transfers"}

var retentionOps = map[string]op{
	"retentionReport": {summary: "What personal data the community holds, and when it expires",
		description: "When an emergency ends (POST /mode {mode: normal}), each set of its personal data gets a DynamoDB TTL `retentionDays` (the playbook's) after the end; a job marks the items a few thousand at a time. The report gives each set's expiry, how many items are marked and whether the set is marked whole, and the records kept under their own rules.",
		answers: ok(S(object(props{
			"communityId":   S(id("")),
			"retentionDays": S(describe(integer(1, 365), "What the next end of an emergency sets.")),
			"expiry": S(describe(object(props{
				"communityId": S(id("")), "from": S(beijingTime()), "endedAt": S(beijingTime()), "days": S(integer(1, 365)),
				"expiresAt": S(beijingTime()), "status": S(enum("marking", "done")),
				"marked": S(&openapi3.Schema{Type: &openapi3.Types{"object"}, AdditionalProperties: openapi3.AdditionalProperties{Schema: S(integer(0, 1e9))}}),
				"done":   S(array(S(enum(retentionSets...)))), "updatedAt": S(beijingTime()),
			}, "communityId", "from", "endedAt", "days", "expiresAt", "status", "marked", "done", "updatedAt"), "The last emergency's expiry; absent until one ended.")),
			"sets": S(arrayOf(object(props{
				"name": S(enum(retentionSets...)), "holds": S(str(1, 200)),
				"expiresAt": S(describe(beijingTime(), "DynamoDB deletes the items within about two days after.")),
				"marked":    S(integer(0, 1e9)), "complete": S(boolean()),
			}, "name", "holds", "marked", "complete"))),
			"kept": S(arrayOf(object(props{"data": S(str(1, 200)), "rule": S(str(1, 200))}, "data", "rule"))),
		}, "communityId", "retentionDays", "sets", "kept")))},
	"exportResident": {summary: "Everything held of one resident, for their request (PIPL)",
		description: "The register entry, bookings, temperature reports, orders they placed, help requests for them, the watches (home isolation, health monitoring) they were under with their checks and test results, and the transfers that took them or left them behind (each watch and transfer shows this person only), their care plan with its daily checks and the cars of its trips. A POST so that the audit log keeps who handed out whose data.",
		answers: ok(S(object(props{
			"resident": ref("Resident"), "address": S(str(1, 200)), "bookings": S(array(ref("Booking"))),
			"temperatures": S(array(ref("Reading"))), "orders": S(array(ref("Order"))), "help": S(array(ref("HelpRequest"))),
			"watches": S(array(ref("Watch"))), "checks": S(array(ref("WatchCheck"))),
			"tests":      S(array(S(object(props{"watchId": S(id("")), "residentId": S(id("")), "testDay": S(integer(1, 28)), "result": S(enum("negative", "positive")), "at": S(beijingTime()), "by": S(id(""))}, "watchId", "residentId", "testDay", "result", "at", "by")))),
			"transfers":  S(describe(array(ref("Transfer")), "The batches that took them or left them behind, each with this person's entries only.")),
			"carePlan":   ref("CarePlan"),
			"careChecks": S(describe(array(ref("CareCheck")), "Their daily checks (报平安) of the 30 days before the export.")),
			"careTrips": S(describe(arrayOf(object(props{
				"residentId": S(id("")), "name": S(str(0, 32)), "door": S(str(0, 64)), "day": S(day()), "need": S(integer(0, 6)),
				"kind": S(str(0, 16)), "at": S(str(0, 5)), "place": S(str(0, 32)), "needsCar": S(boolean()),
				"car":    S(object(props{"driver": S(str(1, 16)), "phone": S(phone()), "plate": S(str(0, 10))}, "driver", "phone")),
				"helpId": S(id("")),
			}, "residentId", "day", "need")), "The cars and help requests given to their trips, 30 days back and 14 ahead.")),
			"pass": S(describe(object(props{"householdId": S(id("")), "communityId": S(id("")), "code": S(str(6, 6)), "permitUntil": S(day()),
				"permitReason": S(str(0, 60)), "createdAt": S(beijingTime())}, "householdId", "communityId", "code", "createdAt"), "The household's gate pass, if it has one.")),
			"gate": S(describe(object(props{"householdId": S(id("")), "open": S(outing()), "outs": S(arrayOf(day())), "version": S(integer(0, 1e9))},
				"householdId", "outs", "version"), "The household at the gate: its outing under way and the days of its last week's outings.")),
			"exportedAt": S(beijingTime()),
		}, "resident", "address", "bookings", "temperatures", "orders", "help", "watches", "checks", "tests", "transfers", "careChecks", "careTrips", "exportedAt"))),
		codes: map[int][]string{404: {"RESIDENT_NOT_FOUND"}}},
	"eraseResident": {summary: "Erase one resident's emergency data on their request (PIPL)",
		description: "Deletes their bookings (with codes and check-ins; a booking to come gives its place back first), temperature reports, finished orders they placed and closed help requests for them. The register entry stays (changed by import), as do orders and help still in progress: `kept` says which. Refused during an emergency. The audit log keeps that it was done.",
		answers: ok(S(object(props{
			"residentId": S(id("")), "bookings": S(integer(0, 1e6)), "temperatures": S(integer(0, 1e6)), "orders": S(integer(0, 1e6)),
			"help": S(integer(0, 1e6)), "items": S(describe(integer(0, 1e7), "Every item deleted.")),
			"kept": S(array(S(str(1, 200)))), "erasedAt": S(beijingTime()),
		}, "residentId", "bookings", "temperatures", "orders", "help", "items", "kept", "erasedAt"))),
		codes: map[int][]string{404: {"RESIDENT_NOT_FOUND"}, 409: {"EMERGENCY_ONGOING"}}},
}
