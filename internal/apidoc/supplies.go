package apidoc

import "github.com/getkin/kin-openapi/openapi3"

// orderStatuses are an order's lifecycle.
var orderStatuses = []string{"placed", "accepted", "purchasing", "out_for_delivery", "delivered", "confirmed", "cancelled"}

// helpKinds are the kinds of help, most urgent first.
var helpKinds = []string{"childbirth", "dialysis", "chronic_medicine", "medical_visit", "other"}

// supplyComponents are the schemas of supply orders and help requests.
func supplyComponents() openapi3.Schemas {
	line := object(props{
		"itemId": S(id("")), "merchantId": S(id("")), "name": S(str(1, 32)), "unit": S(str(1, 8)),
		"priceFen": S(describe(integer(0, 1e7), "The price ordered at, in fen.")), "quantity": S(integer(1, 99)),
	}, "itemId", "merchantId", "name", "unit", "priceFen", "quantity")
	change := object(props{
		"status": S(enum(orderStatuses...)), "at": S(beijingTime()), "by": S(id("Who moved it.")),
		"reason":      S(str(0, 40)),
		"withoutCode": S(describe(boolean(), "Handed over without the door code; reason says why.")),
	}, "status", "at", "by")
	return openapi3.Schemas{
		"Merchant": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "name": S(str(1, 64)), "phone": S(str(7, 16)), "createdAt": S(beijingTime()),
		}, "id", "communityId", "name", "phone", "createdAt")),
		"Item": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "merchantId": S(id("")), "name": S(str(1, 32)), "unit": S(str(1, 8)),
			"priceFen":          S(describe(integer(0, 1e7), "In fen (分): 1250 is 12.50 yuan.")),
			"stock":             S(describe(integer(-1e6, 1e6), "What is left to order.")),
			"limitPerHousehold": S(describe(integer(0, 1000), "At most this much a household a day (Beijing time); 0 is no limit.")),
			"paused":            S(boolean()), "updatedAt": S(beijingTime()),
			"version":   S(describe(integer(1, 1e9), "Counts staff's changes.")),
			"remaining": S(describe(integer(0, 1e6), "For a resident: what their household may still order of it today.")),
		}, "id", "communityId", "merchantId", "name", "unit", "priceFen", "stock", "limitPerHousehold", "paused", "updatedAt", "version")),
		"Order": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "householdId": S(id("")), "buildingId": S(id("")), "placedBy": S(id("")),
			"lines": S(arrayOf(line)), "totalFen": S(integer(0, 2e10)), "note": S(str(0, 200)), "status": S(enum(orderStatuses...)),
			"history":     S(describe(arrayOf(change), "Every step, who and when.")),
			"delivererId": S(id("Who takes it to the door.")), "createdAt": S(beijingTime()), "day": S(day()),
			"doorCode": S(describe(pattern(`^[0-9]{4}$`, ""), "In the household's own answers only (never in staff's, a deliverer's or an export): what it shows at the door.")),
		}, "id", "communityId", "householdId", "buildingId", "placedBy", "lines", "totalFen", "note", "status", "history", "createdAt", "day")),
		"PurchaseList": S(object(props{
			"orders":   S(describe(integer(0, 1e7), "Accepted orders it sums.")),
			"totalFen": S(integer(0, 1e12)),
			"merchants": S(arrayOf(object(props{
				"merchantId": S(id("")), "merchant": S(str(1, 64)), "phone": S(str(0, 16)), "totalFen": S(integer(0, 1e12)),
				"items": S(arrayOf(object(props{
					"itemId": S(id("")), "name": S(str(1, 32)), "unit": S(str(1, 8)), "quantity": S(integer(1, 1e7)),
					"orders": S(integer(1, 1e7)), "priceFen": S(integer(0, 1e7)), "totalFen": S(integer(0, 1e12)),
				}, "itemId", "name", "unit", "quantity", "orders", "priceFen", "totalFen"))),
			}, "merchantId", "merchant", "phone", "items", "totalFen"))),
		}, "orders", "merchants", "totalFen")),
		"PickList": S(object(props{
			"buildingId": S(id("")), "building": S(str(0, 32)),
			"picks": S(arrayOf(object(props{
				"orderId": S(id("")), "ref": S(pattern(`^[A-Z0-9_-]{6}$`, "What people read out.")), "status": S(enum("accepted", "purchasing", "out_for_delivery")),
				"householdId": S(id("")), "unit": S(str(0, 16)), "room": S(str(0, 16)), "contactPhone": S(phone()),
				"lines": S(arrayOf(line)), "note": S(str(0, 200)), "delivererId": S(id("")),
			}, "orderId", "ref", "status", "householdId", "unit", "room", "lines", "note"))),
		}, "buildingId", "building", "picks")),
		"Door": S(object(props{
			"orderId": S(id("")), "ref": S(pattern(`^[A-Z0-9_-]{6}$`, "")), "building": S(str(0, 32)), "unit": S(str(0, 16)), "room": S(str(0, 16)),
			"items": S(arrayOf(object(props{"name": S(str(1, 32)), "unit": S(str(1, 8)), "quantity": S(integer(1, 99))}, "name", "unit", "quantity"))),
			"note":  S(str(0, 200)),
			"phone": S(describe(pattern(`^1[3-9][0-9]\*{4}[0-9]{4}$`, ""), "The household's phone, masked.")),
		}, "orderId", "ref", "building", "unit", "room", "items", "note")),
		"ReserveItem": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "name": S(str(1, 32)), "unit": S(str(1, 8)), "category": S(enum(reserveCategories...)),
			"quantity": S(integer(0, 10_000_000)), "minimum": S(integer(0, 10_000_000)),
			"below":     S(describe(boolean(), "The quantity is below the minimum.")),
			"updatedAt": S(beijingTime()),
		}, "id", "communityId", "name", "unit", "category", "quantity", "minimum", "below", "updatedAt")),
		"ReserveMovement": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "itemId": S(id("")), "kind": S(enum("receipt", "issue")),
			"quantity": S(integer(1, 10_000_000)), "donor": S(str(0, 64)), "note": S(str(0, 100)),
			"after": S(describe(integer(0, 10_000_000), "The item's quantity after this movement.")),
			"at":    S(beijingTime()), "by": S(id("")),
		}, "id", "communityId", "itemId", "kind", "quantity", "after", "at", "by")),
		"HelpRequest": S(object(props{
			"id": S(id("")), "communityId": S(id("")), "householdId": S(id("")), "residentId": S(id("Who needs help.")),
			"kind": S(enum(helpKinds...)), "note": S(str(0, 200)), "status": S(enum("open", "claimed", "closed")),
			"name": S(str(0, 32)), "address": S(str(0, 80)),
			"phone":            S(describe(phone(), "The person's phone, or their household's when they have none.")),
			"createdAt":        S(beijingTime()),
			"deadlineAt":       S(describe(beijingTime(), "By when staff must claim it.")),
			"claimedBy":        S(id("For staff.")),
			"claimedAt":        S(beijingTime()),
			"actions":          S(arrayOf(object(props{"at": S(beijingTime()), "by": S(id("")), "text": S(str(1, 200))}, "at", "by", "text"))),
			"outcome":          S(str(0, 200)),
			"closedAt":         S(beijingTime()),
			"level":            S(describe(integer(0, 2), "0 not escalated; 1 the staff on duty texted again; 2 every staff member and the street.")),
			"nextEscalationAt": S(beijingTime()),
			"hospital": S(describe(object(props{"name": S(str(1, 32)), "phone": S(str(3, 16))}, "name", "phone"),
				"A medical request's designated hospital (the person's care plan's, else the street's first by name), as it stood when the request was made; the staff's texts carry its 24-hour phone.")),
		}, "id", "communityId", "householdId", "residentId", "kind", "note", "status", "name", "address", "createdAt", "deadlineAt", "actions", "level")),
		"HelpSettings": S(object(props{
			"deadlines": S(describe(&openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{
				"childbirth": S(integer(1, 1440)), "dialysis": S(integer(1, 1440)), "chronic_medicine": S(integer(1, 1440)),
				"medical_visit": S(integer(1, 1440)), "other": S(integer(1, 1440)),
			}, AdditionalProperties: openapi3.AdditionalProperties{Has: openapi3.BoolPtr(false)}}, "Minutes to claim a request, by kind.")),
			"onDuty": S(describe(arrayOf(phone()).WithMaxItems(50), "Staff phones texted first (all staff when empty).")),
		}, "deadlines", "onDuty")),
	}
}

// itemBody is an item's fields, all required to create one, any to change.
func itemBody(create bool) *openapi3.Schema {
	p := props{
		"name": S(text(32, "")), "unit": S(text(8, "件, 斤, 盒, …")),
		"priceFen":          S(describe(integer(0, 1e7), "In fen: 1250 is 12.50 yuan.")),
		"merchantId":        S(id("A merchant of the community.")),
		"stock":             S(describe(integer(0, 1e6), "Sets the stock (a count).")),
		"limitPerHousehold": S(describe(integer(0, 1000), "A household's most a day; 0 is no limit.")),
		"paused":            S(boolean()),
	}
	if create {
		return object(p, "name", "unit", "priceFen", "merchantId", "stock", "limitPerHousehold")
	}
	p["addStock"] = S(describe(integer(-1e6, 1e6), "Adds to the stock as it is then (a delivery; negative for a loss), while orders keep taking from it; not with stock."))
	return object(p)
}

var suppliesOps = map[string]op{
	"createMerchant": {summary: "Add a merchant to the catalogue",
		body:    object(props{"name": S(text(64, "")), "phone": S(describe(pattern(`^(1[3-9][0-9]{9}|[0-9][0-9-]{6,15})$`, ""), "A mobile number, or a fixed-line number of 7 to 16 digits and dashes."))}, "name", "phone"),
		answers: created(ref("Merchant"))},
	"listMerchants": {summary: "The community's merchants", answers: ok(list("merchants", ref("Merchant"), false))},
	"createItem":    {summary: "Add an item to the catalogue", body: itemBody(true), answers: created(ref("Item"))},
	"listItems": {summary: "The catalogue",
		description: "Staff see every item; a resident sees what can be ordered now (not paused, in stock) and what their household may still order today (remaining).",
		answers:     ok(list("items", ref("Item"), false))},
	"updateItem": {summary: "Change an item",
		description: "Orders already placed keep their price; an order in flight at the old version is taken again at the new. A price, limit or pause is staff's to change; the stock moves with orders meanwhile, so add to it (addStock) rather than read and set it.",
		body:        itemBody(false), answers: ok(ref("Item")),
		codes: map[int][]string{404: {"ITEM_NOT_FOUND"}, 409: {"ITEM_CHANGED", "OUT_OF_STOCK", "STOCK_CEILING"}}},
	"placeOrder": {summary: "Order for the household",
		description: "For households of sealed and controlled buildings. One transaction writes the order, takes each item's stock and counts the household's daily limit: no stock is oversold and no limit passed, whatever orders come at once. The answer holds the door code the household shows when the order comes.",
		body: object(props{
			"lines": S(arrayOf(object(props{"itemId": S(id("")), "quantity": S(integer(1, 99)),
				"priceFen": S(describe(integer(0, 1e7), "The price the household saw: refused with ITEM_CHANGED if it is no longer the price."))},
				"itemId", "quantity")).WithMinItems(1).WithMaxItems(20)),
			"note": S(describe(str(0, 200), "For the deliverer: at most 200 characters.")),
		}, "lines"),
		answers: created(ref("Order")),
		codes:   map[int][]string{403: {"NOT_IN_ZONE"}, 409: {"OUT_OF_STOCK", "LIMIT_EXCEEDED", "ITEM_PAUSED", "ITEM_CHANGED"}}},
	"listOrders": {summary: "The community's orders in a status",
		query: []param{
			{name: "status", schema: enum(orderStatuses...), description: "Default placed."},
			{name: "buildingId", schema: id(""), description: "One building's."},
		},
		answers: ok(list("orders", ref("Order"), false))},
	"myOrders": {summary: "My household's latest 50 orders, door codes included", answers: ok(list("orders", ref("Order"), false))},
	"getOrder": {summary: "One order", description: "For its household (with the door code), its community's staff and its deliverer.",
		answers: ok(ref("Order")), codes: map[int][]string{404: {"ORDER_NOT_FOUND"}}},
	"setOrderStatus": {summary: "Move an order along",
		description: "Staff: accepted, purchasing, out_for_delivery (with delivererPhone), cancelled (with a reason, at any step before the door). The deliverer or staff: delivered, with the household's door code (5 wrong codes lock it), or, when the household cannot show it, `withoutCode` with a reason of at most 20 characters: that hand-over has an audit entry of its own, shows in the order's history, and the household is texted at once, whatever app it has. The household: cancelled before the purchase starts; confirmed once it is at the door. A cancellation gives back the stock and the day's limit, once. The household is told of each change made by others, by SMS when it has no app.",
		body: object(props{
			"status":         S(enum(orderStatuses[1:]...)),
			"reason":         S(describe(str(0, 40), "Required when staff cancel.")),
			"code":           S(describe(str(0, 8), "The door code, for delivered.")),
			"delivererPhone": S(describe(str(0, 20), "For out_for_delivery: a volunteer or staff member of the community.")),
			"withoutCode":    S(describe(boolean(), "For delivered: hand over without the code (with a reason).")),
		}, "status"),
		answers: ok(ref("Order")),
		codes: map[int][]string{400: {"WRONG_DOOR_CODE", "NOT_A_DELIVERER"}, 404: {"ORDER_NOT_FOUND"},
			409: {"INVALID_TRANSITION", "ORDER_CHANGED", "DOOR_CODE_LOCKED"}}},
	"purchaseList": {summary: "What to buy, merchant by merchant",
		description: "Item totals over the accepted orders. ?format=csv for Excel.",
		query:       []param{formatParam},
		answers:     []answer{{status: 200, schema: ref("PurchaseList")}, {status: 200, csv: true}}},
	"pickList": {summary: "What goes to one building, household by household",
		description: "The building's accepted, purchasing and out-for-delivery orders, in unit and room order. ?format=csv for Excel.",
		query:       []param{{name: "buildingId", schema: id(""), required: true, description: "The building."}, formatParam},
		answers:     []answer{{status: 200, schema: ref("PickList")}, {status: 200, csv: true}}},
	"assignDeliveries": {summary: "Send a building's orders out with a deliverer",
		description: "Every order of the building being purchased goes out_for_delivery with the deliverer (a volunteer or staff member of the community, by phone); households without the app are texted their door code.",
		body:        object(props{"buildingId": S(id("")), "delivererPhone": S(phone())}, "buildingId", "delivererPhone"),
		answers: ok(S(object(props{"buildingId": S(id("")), "delivererId": S(id("")), "orderIds": S(array(S(id(""))))},
			"buildingId", "delivererId", "orderIds"))),
		codes: map[int][]string{400: {"NOT_A_DELIVERER"}, 409: {"NOTHING_TO_DELIVER"}}},
	"myDeliveries": {summary: "The doors I take orders to now",
		description: "What the door needs and no more: where, what, the note, the household's phone masked.",
		answers:     ok(list("deliveries", ref("Door"), false))},
	"requestHelp": {summary: "Ask for help",
		description: "The staff on duty are texted at once; nobody claiming it by the deadline escalates it by SMS. One open request per household and kind.",
		body: object(props{
			"kind": S(enum(helpKinds...)), "note": S(describe(str(0, 200), "What is needed: at most 200 characters.")),
			"residentId": S(id("The member who needs help; default you. A member without a phone is reached through the household's.")),
		}, "kind"),
		answers: created(ref("HelpRequest")),
		codes:   map[int][]string{409: {"HELP_ALREADY_OPEN"}}},
	"myHelp": {summary: "The kinds of help, in the order my household needs them, and our open requests",
		answers: ok(S(object(props{
			"kinds": S(arrayOf(object(props{"kind": S(enum(helpKinds...)), "label": S(str(1, 8)), "deadlineMinutes": S(integer(1, 1440))},
				"kind", "label", "deadlineMinutes"))),
			"requests": S(array(ref("HelpRequest"))),
		}, "kinds", "requests")))},
	"listHelp": {summary: "The community's help requests: every open one, most overdue first, then the latest 100 closed",
		answers: ok(list("requests", ref("HelpRequest"), false))},
	"claimHelp": {summary: "Take a help request", answers: ok(ref("HelpRequest")),
		codes: map[int][]string{404: {"HELP_NOT_FOUND"}, 409: {"HELP_ALREADY_CLAIMED", "HELP_CLOSED"}}},
	"addHelpAction": {summary: "Record what was done", body: object(props{"text": S(text(200, ""))}, "text"),
		answers: ok(ref("HelpRequest")), codes: map[int][]string{404: {"HELP_NOT_FOUND"}, 409: {"HELP_CLOSED"}}},
	"closeHelp": {summary: "Close a help request with its outcome", body: object(props{"outcome": S(text(200, ""))}, "outcome"),
		answers: ok(ref("HelpRequest")), codes: map[int][]string{404: {"HELP_NOT_FOUND"}, 409: {"HELP_CLOSED"}}},
	"getHelpSettings": {summary: "Help deadlines and who is on duty", answers: ok(ref("HelpSettings"))},
	"setHelpSettings": {summary: "Set help deadlines and who is on duty",
		body: object(props{
			"deadlines": S(&openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{
				"childbirth": S(integer(1, 1440)), "dialysis": S(integer(1, 1440)), "chronic_medicine": S(integer(1, 1440)),
				"medical_visit": S(integer(1, 1440)), "other": S(integer(1, 1440)),
			}, AdditionalProperties: openapi3.AdditionalProperties{Has: openapi3.BoolPtr(false)}}),
			"onDuty": S(describe(arrayOf(phone()).WithMaxItems(50), "Staff of the community, by phone.")),
		}),
		answers: ok(ref("HelpSettings"))},
	"listReserve": {summary: "The community's reserve for an emergency (隔离储备), items below their minimum first",
		answers: ok(list("items", ref("ReserveItem"), false))},
	"createReserveItem": {summary: "Add an item to the reserve",
		description: "At quantity 0: receipts fill it. Names are the community's own (ignoring case and spaces: RESERVE_ITEM_EXISTS); at most 200 items.",
		body:        reserveBody(true), answers: created(ref("ReserveItem")), codes: map[int][]string{409: {"RESERVE_ITEM_EXISTS", "RESERVE_FULL"}}},
	"updateReserveItem": {summary: "Change a reserve item's name, unit, category or minimum",
		description: "The quantity moves only by receipts and issues.",
		body:        reserveBody(false), answers: ok(ref("ReserveItem")), codes: map[int][]string{404: {"RESERVE_ITEM_NOT_FOUND"}, 409: {"RESERVE_ITEM_EXISTS"}}},
	"moveReserve": {summary: "Record a receipt (a donation with its donor) or an issue of a reserve item",
		description: "An issue of more than is in stock is refused (RESERVE_SHORT), however many move at once (so many at once on one item that this one did not get its turn: RESERVE_BUSY, sent again it is taken); each movement records the quantity after it, and an item holds at most 10,000,000. Sent again with the same Idempotency-Key, it is recorded once.",
		body: object(props{"kind": S(enum("receipt", "issue")), "quantity": S(integer(1, 10_000_000)), "donor": S(describe(str(0, 64), "Who gave it (a receipt only).")),
			"note": S(str(0, 100))}, "kind", "quantity"),
		answers: created(ref("ReserveMovement")), codes: map[int][]string{404: {"RESERVE_ITEM_NOT_FOUND"}, 409: {"RESERVE_SHORT", "RESERVE_BUSY"}}},
	"reserveMovements": {summary: "A reserve item's latest 200 movements, newest first",
		answers: ok(list("movements", ref("ReserveMovement"), false)), codes: map[int][]string{404: {"RESERVE_ITEM_NOT_FOUND"}}},
}

// reserveBody is a reserve item's body: all but the minimum required to
// create one, any to change it.
func reserveBody(create bool) *openapi3.Schema {
	var required []string
	if create {
		required = []string{"name", "unit", "category"}
	}
	return object(props{
		"name": S(text(32, "")), "unit": S(text(8, "")), "category": S(enum(reserveCategories...)),
		"minimum": S(describe(integer(0, 10_000_000), "Set in peacetime: below it the item shows on the board, in a drill's report and to a playbook's check_reserves step.")),
	}, required...)
}

var reserveCategories = []string{"protective", "disinfectant", "test_kit", "food", "medicine", "other"}
