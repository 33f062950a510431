package store

import (
	"strconv"
	"time"

	"github.com/fangxian/fangxian/shared/booking"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/screening"
)

// Key builders: every partition and sort key is made here, nowhere else, so
// docs/access-patterns.md is the whole truth about the table's layout.

// Key is the primary key of one item.
type Key struct{ PK, SK string }

// HealthKey is the item the health check reads; it need not exist.
func HealthKey() Key { return Key{"SYSTEM", "HEALTH"} }

// FirstAdminKey marks that the deployment's first street admin exists.
func FirstAdminKey() Key { return Key{"SYSTEM", "FIRST_ADMIN"} }

// StreetKey is a street's own item.
func StreetKey(streetID string) Key { return Key{"STREET#" + streetID, "STREET"} }

// AdminKey is a street admin under their street.
func AdminKey(streetID, userID string) Key { return Key{"STREET#" + streetID, "ADMIN#" + userID} }

// CommunityKey is a community's own item.
func CommunityKey(communityID string) Key { return Key{"COMMUNITY#" + communityID, "COMMUNITY"} }

// StaffKey is a staff member under their community.
func StaffKey(communityID, userID string) Key {
	return Key{"COMMUNITY#" + communityID, "STAFF#" + userID}
}

// BuildingKey is a building, with its counts, under its community.
func BuildingKey(communityID, buildingID string) Key {
	return Key{"COMMUNITY#" + communityID, BuildingPrefix + buildingID}
}

// BuildingPrefix starts the sort key of every building of a community.
const BuildingPrefix = "BUILDING#"

// BuildingPartition holds a building's households and residents together, so
// a household with its members is one Query and a building's counts another.
func BuildingPartition(buildingID string) string { return "BUILDING#" + buildingID }

// HouseholdKey is a household in its building's partition.
func HouseholdKey(householdID string) Key {
	return Key{BuildingPartition(registry.BuildingOf(householdID)), HouseholdPrefix + householdID}
}

// ResidentKey is a resident next to their household: resident ids start with
// the household id, so one begins_with on "HH#<household>" reads both.
func ResidentKey(residentID string) Key {
	return Key{BuildingPartition(registry.BuildingOf(residentID)), HouseholdPrefix + residentID}
}

// AppSessionKey is a household's latest app sign-in, sorted right after
// the household (HH#<id>#APP): read with it.
func AppSessionKey(householdID string) Key {
	k := HouseholdKey(householdID)
	return Key{k.PK, k.SK + "#APP"}
}

// HouseholdPrefix starts the sort key of households and residents.
const HouseholdPrefix = "HH#"

// NameIndex is GSI1 on residents: staff find people by name prefix.
func NameIndex(communityID, name, residentID string) Key {
	return Key{"NAMES#" + communityID, name + "#" + residentID}
}

// CommunitiesOfStreetIndex is GSI1 on communities.
func CommunitiesOfStreetIndex(streetID, communityID string) Key {
	return Key{"STREET#" + streetID, "COMMUNITY#" + communityID}
}

// PhoneIndex is GSI2 on residents: staff find people by exact phone.
func PhoneIndex(communityID, phone, residentID string) Key {
	return Key{"PHONE#" + communityID + "#" + phone, residentID}
}

// AccountKey is who a phone signs in as.
func AccountKey(phone string) Key { return Key{"PHONE#" + phone, "ACCOUNT"} }

// ChallengeKey holds a phone's one-time code and send schedule.
func ChallengeKey(phone string) Key { return Key{"PHONE#" + phone, "OTP"} }

// ShadowChallengeKey holds the send schedule and attempts shared by the
// unknown phones whose keyed digest falls in bucket (at most 65,536 items).
func ShadowChallengeKey(bucket string) Key { return Key{"OTPSHADOW#" + bucket, "OTP"} }

// RateKey counts the requests of one limit (e.g. "otp-ip#203.0.113.9") in
// the fixed window starting at windowStart (epoch seconds).
func RateKey(limit string, windowStart int64) Key {
	return Key{"RATE#" + limit, strconv.FormatInt(windowStart, 10)}
}

// TokensPartition holds what verifiers need: the published signing keys and
// the revocations, read together in one Query.
const TokensPartition = "TOKENS"

// SigningKeyKey is one published public key.
func SigningKeyKey(kid string) Key { return Key{TokensPartition, "KEY#" + kid} }

// RevocationKey voids the tokens a user got before a moment.
func RevocationKey(userID string) Key { return Key{TokensPartition, "REVOKED#" + userID} }

// RoleRevocationKey voids one role of a user's tokens issued before it.
func RoleRevocationKey(userID string, role manifest.Role) Key {
	return Key{TokensPartition, "REVOKED#" + userID + "#" + string(role)}
}

// BindingKey binds a WeChat openid to a phone.
func BindingKey(openID string) Key { return Key{"WECHAT#" + openID, "BINDING"} }

// Keys of the audit log.

// AuditKey is one entry of a street's log, in the partition of its Beijing
// day; its outcome is the item beside it (SK + "#outcome").
func AuditKey(streetID string, at time.Time, requestID string) Key {
	bj := chinatime.In(at)
	return Key{"AUDIT#" + streetID + "#" + bj.Format(time.DateOnly), at.UTC().Format(time.RFC3339Nano) + "#" + requestID}
}

// AuditOutcomeKey is the outcome of the entry at k, beside it.
func AuditOutcomeKey(k Key) Key { return Key{k.PK, k.SK + "#outcome"} }

// Keys of testing rounds: one partition a round.

// RoundKey is a round's own item.
func RoundKey(roundID string) Key { return Key{"ROUND#" + roundID, "ROUND"} }

// SiteKey is a site of a round.
func SiteKey(siteID string) Key { return Key{"ROUND#" + booking.RoundOf(siteID), "SITE#" + siteID} }

// SlotKey is a slot of a round; its remaining capacity is what bookings take.
func SlotKey(slotID string) Key { return Key{"ROUND#" + booking.RoundOf(slotID), "SLOT#" + slotID} }

// RoundBookingKey is a resident's booking in a round: one per resident.
func RoundBookingKey(roundID, residentID string) Key {
	return Key{"ROUND#" + roundID, "BOOKING#" + residentID}
}

// CodeKey makes a booking code unique in its round.
func CodeKey(roundID, code string) Key { return Key{"ROUND#" + roundID, "CODE#" + code} }

// SampledKey records that a resident was sampled in a round.
func SampledKey(roundID, residentID string) Key {
	return Key{"ROUND#" + roundID, "SAMPLED#" + residentID}
}

// ReasonKey holds why a resident is not sampled (bed-bound, away, …).
func ReasonKey(roundID, residentID string) Key {
	return Key{"ROUND#" + roundID, "REASON#" + residentID}
}

// CallLockKey holds when a building was last called down in a round: a
// call within the cooldown is refused on it.
func CallLockKey(roundID, buildingID string) Key {
	return Key{"ROUND#" + roundID, "CALLLOCK#" + buildingID}
}

// CallKey is one call of a building, in time order.
func CallKey(roundID string, at time.Time, callID string) Key {
	return Key{"ROUND#" + roundID, "CALL#" + formatTime(at) + "#" + callID}
}

// RoundNoteKey is the night's review note of a round.
func RoundNoteKey(roundID string) Key { return Key{"ROUND#" + roundID, "NOTE"} }

// ProgressKey counts a building's bookings and samples in a round.
func ProgressKey(roundID, buildingID string) Key {
	return Key{"ROUND#" + roundID, "PROGRESS#" + buildingID}
}

// HouseholdBookingsIndex is GSI1 on bookings: a household's bookings.
func HouseholdBookingsIndex(householdID, roundID, residentID string) Key {
	return Key{"HOUSEHOLD#" + householdID, "BOOKING#" + roundID + "#" + residentID}
}

// RoundsIndex is GSI1 on rounds: a community's rounds, newest last.
func RoundsIndex(communityID string, createdAt time.Time, roundID string) Key {
	return Key{"COMMUNITY#" + communityID + "#ROUNDS", formatTime(createdAt) + "#" + roundID}
}

// PlanKey is a building's window in a round's plan.
func PlanKey(roundID, buildingID string) Key { return Key{"ROUND#" + roundID, "PLAN#" + buildingID} }

// Keys of help requests.

// HelpKey is a help request.
func HelpKey(helpID string) Key { return Key{"HELP#" + helpID, "HELP"} }

// HelpsIndex is GSI1 on help requests: a community's, in time order, the
// open (and claimed) apart from the closed, so that every open request is
// listed however many were closed since.
func HelpsIndex(communityID string, closed bool, createdAt time.Time, helpID string) Key {
	pk := "HELPS#" + communityID + "#open"
	if closed {
		pk = "HELPS#" + communityID + "#closed"
	}
	return Key{pk, formatTime(createdAt) + "#" + helpID}
}

// HelpDueIndex is GSI2 on help requests nobody has claimed: by when they
// escalate next, across communities (a handful at any time), for the
// escalation job's one Query a minute.
func HelpDueIndex(nextAt time.Time, helpID string) Key {
	return Key{"HELPDUE", formatTime(nextAt) + "#" + helpID}
}

// HelpOpenKey marks a household's open request of a kind: one at a time.
func HelpOpenKey(householdID, kind string) Key { return Key{"HHHELP#" + householdID, kind} }

// SignupLinkKey is a community's live sign-up link.
func SignupLinkKey(communityID string) Key { return Key{"COMMUNITY#" + communityID, "SIGNUPLINK"} }

// SignupTokenKey finds a sign-up link's community by its token.
func SignupTokenKey(token string) Key { return Key{"SIGNUPTOKEN#" + token, "SIGNUPTOKEN"} }

// HelpSettingsKey is a community's deadlines and who is on duty.
func HelpSettingsKey(communityID string) Key { return Key{"COMMUNITY#" + communityID, "HELPSETTINGS"} }

// Keys of idempotency records.

// IdempotencyKey is the record of one caller's Idempotency-Key.
func IdempotencyKey(key string) Key { return Key{"IDEMPOTENCY#" + key, "RECORD"} }

// Keys of zones, notices, SMS sends and temperatures.

// ZoneKey is the current zone level of a building, a unit or a household
// (scopeID) in its community. Unit and household ids nest under their
// building's, so ZoneKey(c, building).SK is the prefix of all its zones.
func ZoneKey(communityID, scopeID string) Key {
	return Key{"COMMUNITY#" + communityID, "ZONE#" + scopeID}
}

// ZoneLogKey is one change of a zone's level, in time order.
func ZoneLogKey(communityID string, at time.Time, scopeID string) Key {
	return Key{"COMMUNITY#" + communityID, "ZONELOG#" + at.UTC().Format(time.RFC3339) + "#" + scopeID}
}

// NoticeKey is a notice with its delivery counters.
func NoticeKey(noticeID string) Key { return Key{"NOTICE#" + noticeID, "NOTICE"} }

// FeedKey lists a community's notices, newest last.
func FeedKey(communityID string, at time.Time, noticeID string) Key {
	return Key{"COMMUNITY#" + communityID, "FEED#" + at.UTC().Format(time.RFC3339) + "#" + noticeID}
}

// AckKey is a household's acknowledgement of a notice.
func AckKey(noticeID, householdID string) Key { return Key{"NOTICE#" + noticeID, "ACK#" + householdID} }

// SentKey keeps a notice to one SMS per phone.
func SentKey(noticeID, phone string) Key { return Key{"NOTICE#" + noticeID, "SENT#" + phone} }

// MessageKey maps a provider's message id to the notice and phone it was
// sent for, so that a delivery receipt finds them.
func MessageKey(providerID string) Key { return Key{"SMSID#" + providerID, "SMSID"} }

// OptOutKey marks a phone that asked for no more SMS.
func OptOutKey(phone string) Key { return Key{"PHONE#" + phone, "OPTOUT"} }

// OnceKey marks that the message of key went to phone.
func OnceKey(key, phone string) Key { return Key{"ONCE#" + key, phone} }

// ReadingKey is a resident's temperature on a day; a day of a community is
// one partition, read whole for the missing list.
func ReadingKey(communityID, day, residentID string) Key {
	return Key{"TEMPS#" + communityID + "#" + day, residentID}
}

// ZonedKey lists the communities that have had sealed or controlled
// buildings, for the daily reminder job (no scan).
func ZonedKey(communityID string) Key { return Key{"ZONED", communityID} }

// Keys of playbooks, runs and drills.

// PlaybookKey is a community's playbook.
func PlaybookKey(communityID string) Key { return Key{"COMMUNITY#" + communityID, "PLAYBOOK"} }

// ModeKey is a community's mode (normal or emergency) and drill under way.
func ModeKey(communityID string) Key { return Key{"COMMUNITY#" + communityID, "MODE"} }

// RunKey is one run of a playbook.
func RunKey(runID string) Key { return Key{"RUN#" + runID, "RUN"} }

// RunsIndex is GSI1 on runs: a community's, newest last.
func RunsIndex(communityID string, startedAt time.Time, runID string) Key {
	return Key{"RUNS#" + communityID, formatTime(startedAt) + "#" + runID}
}

// DrillSMSKey is one message of a drill's outbox, in the drill's partition.
func DrillSMSKey(tag string, at time.Time, id string) Key {
	return Key{"DRILL#" + tag, "SMS#" + at.UTC().Format(time.RFC3339Nano) + "#" + id}
}

// DrillRemovedKey marks a drill whose data was removed: its queue's late
// messages are dropped, not kept. It holds nothing else.
func DrillRemovedKey(tag string) Key { return Key{"DRILL#" + tag, "REMOVED"} }

// DrillOptInKey marks a resident who takes part in drills.
func DrillOptInKey(userID string) Key { return Key{"DRILLOPTIN#" + userID, "OPTIN"} }

// Keys of personal data's expiry.

// RetentionKey is a community's expiry after its last emergency.
func RetentionKey(communityID string) Key { return Key{"COMMUNITY#" + communityID, "RETENTION"} }

// RetentionPendingKey lists an expiry still marking, among all
// communities' (a handful at any time), for the job's one Query.
func RetentionPendingKey(communityID string) Key { return Key{"RETENTION#pending", communityID} }

// RetentionLeaseKey is held by the run that marks a community's expiry.
func RetentionLeaseKey(communityID string) Key { return Key{"RETENTION#lease", communityID} }

// Keys of the SMS flows.

// MenuKey is the supply menu a phone was last texted: what its numbers mean.
func MenuKey(phone string) Key { return Key{"PHONE#" + phone, "SMSMENU"} }

// Keys of supplies.

// MerchantKey is a merchant in its community's partition.
func MerchantKey(communityID, merchantID string) Key {
	return Key{"COMMUNITY#" + communityID, "MERCHANT#" + merchantID}
}

// ItemKey is an item of the catalogue, in a partition of its own: orders
// take its stock in their transactions.
func ItemKey(itemID string) Key { return Key{"ITEM#" + itemID, "ITEM"} }

// ItemsIndex is GSI1 on items: a community's catalogue.
func ItemsIndex(communityID, itemID string) Key { return Key{"ITEMS#" + communityID, itemID} }

// OrderKey is an order.
func OrderKey(orderID string) Key { return Key{"ORDER#" + orderID, "ORDER"} }

// OrderStatusIndex is GSI1 on orders: a community's orders in a status, by
// building, then in time order. A move to another status moves the order
// to that status's partition of the index.
func OrderStatusIndex(communityID, status, buildingID string, createdAt time.Time, orderID string) Key {
	return Key{"ORDERS#" + communityID + "#" + status, buildingID + "#" + formatTime(createdAt) + "#" + orderID}
}

// HouseholdOrdersIndex is GSI2 on orders: a household's orders in time order.
func HouseholdOrdersIndex(householdID string, createdAt time.Time, orderID string) Key {
	return Key{"HHORDERS#" + householdID, formatTime(createdAt) + "#" + orderID}
}

// LimitKey counts what a household ordered of a limited item on a day.
func LimitKey(householdID, day, itemID string) Key {
	return Key{"HHLIMIT#" + householdID, day + "#" + itemID}
}

// Keys of volunteering.

// VolunteerKey is a volunteer, in a partition of their own (their open
// check-in and hours live there too).
func VolunteerKey(id string) Key { return Key{"VOL#" + id, "VOL"} }

// VolunteersIndex is GSI1 on volunteers: a community's.
func VolunteersIndex(communityID, id string) Key { return Key{"VOLS#" + communityID, id} }

// VolunteerPhoneKey is a phone's one sign-up: pending or approved, it keeps
// the phone from signing up again.
func VolunteerPhoneKey(phone string) Key { return Key{"VOLPHONE#" + phone, "VOL"} }

// PostKey is a post; its shifts' counters and assignments share its partition.
func PostKey(id string) Key { return Key{"POST#" + id, "POST"} }

// PostsIndex is GSI1 on posts: a community's.
func PostsIndex(communityID, id string) Key { return Key{"POSTS#" + communityID, id} }

// ShiftKey counts a shift's A and B roles against its need.
func ShiftKey(postID, shiftID string) Key { return Key{"POST#" + postID, "SHIFT#" + shiftID} }

// AssignmentKey is a volunteer on a shift of a post.
func AssignmentKey(postID, shiftID, volunteerID string) Key {
	return Key{"POST#" + postID, "ASSIGN#" + shiftID + "#" + volunteerID}
}

// VolunteerAssignmentsIndex is GSI1 on assignments: a volunteer's, by start.
func VolunteerAssignmentsIndex(volunteerID string, startsAt time.Time, postID, shiftID string) Key {
	return Key{"VOLASSIGN#" + volunteerID, formatTime(startsAt) + "#" + postID + "#" + shiftID}
}

// ActivationKey is an activation; its asks share its partition.
func ActivationKey(id string) Key { return Key{"ACT#" + id, "ACT"} }

// AskKey is one volunteer called to one shift by an activation.
func AskKey(activationID, volunteerID, postID, shiftID string) Key {
	return Key{"ACT#" + activationID, "ASK#" + volunteerID + "#" + postID + "#" + shiftID}
}

// VolunteerAsksIndex is GSI1 on asks: a volunteer's, by when they were asked.
func VolunteerAsksIndex(volunteerID string, askedAt time.Time, activationID, postID, shiftID string) Key {
	return Key{"VOLASKS#" + volunteerID, formatTime(askedAt) + "#" + activationID + "#" + postID + "#" + shiftID}
}

// AskDueIndex is GSI2 on asks the backup job has to look at: unanswered by
// their deadline, or declined. A handful at any time across communities.
func AskDueIndex(at time.Time, activationID, volunteerID, postID, shiftID string) Key {
	return Key{"ASKDUE", formatTime(at) + "#" + activationID + "#" + volunteerID + "#" + postID + "#" + shiftID}
}

// OpenCheckinKey is a volunteer's check-in not yet checked out: one at a time.
func OpenCheckinKey(volunteerID string) Key { return Key{"VOL#" + volunteerID, "OPEN"} }

// HoursKey is a check-in that was checked out: served time.
func HoursKey(volunteerID string, in time.Time, postID string) Key {
	return Key{"VOL#" + volunteerID, "HOURS#" + formatTime(in) + "#" + postID}
}

// HoursIndex is GSI1 on served time: a community's month.
func HoursIndex(communityID, month, volunteerID string, in time.Time) Key {
	return Key{"HOURS#" + communityID + "#" + month, volunteerID + "#" + formatTime(in)}
}

// ActivationLockKey holds a community's scope while its calls are open: a
// second activation of it meanwhile is refused.
func ActivationLockKey(communityID, scope string) Key { return Key{"ACTLOCK#" + communityID, scope} }

// Keys of the messages changes leave for the dispatch queue.

// PendingShards are the partitions pending records spread over: the first
// hex digit of their ids.
const PendingShards = "0123456789abcdef"

// PendingKey is a change's messages for the dispatch queue until the queue
// takes them: in the shard of the id's first character, by time.
func PendingKey(id string, at time.Time) Key {
	return Key{"PENDING#" + id[:1], formatTime(at) + "#" + id}
}

// PendingBatchKey marks a batch of pending records sent.
func PendingBatchKey(batch string) Key { return Key{"PENDINGBATCH#" + batch, "SENT"} }

// Tubes, results and traces of a round.

// TubeKey is a tube of a round: its size, count and result. Tubes sit in
// their round's partition, so they expire with its other health records.
func TubeKey(roundID, code string) Key { return Key{"ROUND#" + roundID, "TUBE#" + code} }

// TubeMemberKey is one swab in a tube ("TUBEM#", so that reading the
// round's tubes by "TUBE#" reads none of their members).
func TubeMemberKey(roundID, code, residentID string) Key {
	return Key{"ROUND#" + roundID, "TUBEM#" + code + "#" + residentID}
}

// LaneTubeKey is the tube a site's lane is filling.
func LaneTubeKey(roundID, siteID string, lane int) Key {
	return Key{"ROUND#" + roundID, "LANETUBE#" + siteID + "#" + strconv.Itoa(lane)}
}

// TraceKey is the trace of a pooled-positive tube, in its round's
// partition (it expires with the round's health records).
func TraceKey(roundID, tube string) Key { return Key{"ROUND#" + roundID, "TRACE#" + tube} }

// SingleKey is a person's single sample for a trace.
func SingleKey(roundID, traceTube, residentID string) Key {
	return Key{"ROUND#" + roundID, "SINGLE#" + traceTube + "#" + residentID}
}

// TraceDueIndex is GSI2 on open traces: by when the door list is due, then
// by when the next escalation is (the escalation job's Query).
func TraceDueIndex(at time.Time, roundID, tube string) Key {
	return Key{"TRACEDUE", formatTime(at) + "#" + roundID + "#" + tube}
}

// ScreeningListKey is a screening list's own item; its rows (tasks) and its
// communities' parts share its partition, so the feedback file is one Query.
func ScreeningListKey(listID string) Key { return Key{"SLIST#" + listID, "LIST"} }

// StreetListsIndex orders a street's screening lists by upload (GSI1).
func StreetListsIndex(streetID string, at time.Time, listID string) Key {
	return Key{"SLISTS#" + streetID, formatTime(at) + "#" + listID}
}

// ScreeningTaskKey is one row of a list, the task it is.
func ScreeningTaskKey(taskID string) Key {
	return Key{"SLIST#" + screening.ListOf(taskID), "TASK#" + taskID}
}

// ScreeningTasksIndex is a community's tasks by status and deadline (GSI1).
func ScreeningTasksIndex(communityID, status string, deadline time.Time, taskID string) Key {
	return Key{"SCREENTASK#" + communityID, status + "#" + formatTime(deadline) + "#" + taskID}
}

// ScreeningPartKey is a list's share of one community: its escalation.
func ScreeningPartKey(listID, communityID string) Key {
	return Key{"SLIST#" + listID, "PART#" + communityID}
}

// ScreeningDueIndex is when a list's share of a community escalates next (GSI2).
func ScreeningDueIndex(at time.Time, listID, communityID string) Key {
	return Key{"SCREENDUE", formatTime(at) + "#" + listID + "#" + communityID}
}

// WatchKey is a watch (居家隔离, 健康监测) under its community.
func WatchKey(communityID, watchID string) Key {
	return Key{"COMMUNITY#" + communityID, "WATCH#" + watchID}
}

// UnderWatchKey marks a resident under an active watch: one at a time.
func UnderWatchKey(communityID, residentID string) Key {
	return Key{"COMMUNITY#" + communityID, "UNDERWATCH#" + residentID}
}

// WatchCheckKey is one person's check of a window of a day under watch:
// a day's checks of a community are one Query (WatchChecksOf).
func WatchCheckKey(communityID, day, window, residentID string) Key {
	return Key{"COMMUNITY#" + communityID, WatchChecksOf(day) + window + "#" + residentID}
}

// WatchChecksOf is the sort key prefix of a day's checks.
func WatchChecksOf(day string) string { return "WCHECK#" + day + "#" }

// TransferKey is a batch of people taken to central quarantine (转运), or
// its return trip.
func TransferKey(communityID, transferID string) Key {
	return Key{"COMMUNITY#" + communityID, "TRANSFER#" + transferID}
}

// InTransferKey marks a resident in an open batch: one at a time.
func InTransferKey(communityID, residentID string) Key {
	return Key{"COMMUNITY#" + communityID, "INTRANSFER#" + residentID}
}

// TransferCareIndex is a batch with a dependant left behind still without
// its help request (GSI2): the minute's job raises it.
func TransferCareIndex(createdAt time.Time, communityID, transferID string) Key {
	return Key{"TRANSFERCARE", formatTime(createdAt) + "#" + communityID + "#" + transferID}
}

// WatchTestKey is one person's result of a watch's test day.
func WatchTestKey(communityID, watchID string, testDay int, residentID string) Key {
	return Key{"COMMUNITY#" + communityID, WatchTestsOf(watchID) + strconv.Itoa(100 + testDay)[1:] + "#" + residentID}
}

// WatchTestsOf is the sort key prefix of a watch's test results.
func WatchTestsOf(watchID string) string { return "WTEST#" + watchID + "#" }

// LoanKey is a volunteer lent from their home community to another of
// the street for a time.
func LoanKey(id string) Key { return Key{"LOAN#" + id, "LOAN"} }

// LoanGuardKey is a volunteer's lending guard: every decision on their
// loans moves it, so two read at once cannot both be approved.
func LoanGuardKey(volunteerID string) Key { return Key{"VOL#" + volunteerID, "LOANGUARD"} }

// LoansToIndex is GSI1 on loans: the loans to a community, by start.
func LoansToIndex(communityID string, from time.Time, id string) Key {
	return Key{"LOANS#" + communityID, formatTime(from) + "#" + id}
}

// LoansFromIndex is GSI2 on loans: a community's volunteers lent out.
func LoansFromIndex(homeCommunityID string, from time.Time, id string) Key {
	return Key{"LOANSHOME#" + homeCommunityID, formatTime(from) + "#" + id}
}

// TrainingKey is a training (培训) of a street.
func TrainingKey(id string) Key { return Key{"TRAINING#" + id, "TRAINING"} }

// TrainingsIndex is GSI1 on trainings: a street's, by day.
func TrainingsIndex(streetID, day, id string) Key {
	return Key{"TRAININGS#" + streetID, day + "#" + id}
}

// AttendanceKey is a volunteer's attendance of a training, under it.
func AttendanceKey(trainingID, volunteerID string) Key {
	return Key{"TRAINING#" + trainingID, "ATTEND#" + volunteerID}
}

// VolunteerTrainingsIndex is GSI1 on attendances: a volunteer's trainings.
func VolunteerTrainingsIndex(volunteerID, day, trainingID string) Key {
	return Key{"VOLTRAIN#" + volunteerID, day + "#" + trainingID}
}

// TrainingRulesKey is the post kinds of a street that require a training.
func TrainingRulesKey(streetID string) Key { return Key{"STREET#" + streetID, "TRAININGRULES"} }

// PlaybookTemplateKey is a street's playbook template.
func PlaybookTemplateKey(streetID, id string) Key {
	return Key{"STREET#" + streetID, "PBTEMPLATE#" + id}
}

// ReportTemplateKey is a street's daily sheet: its columns and cut-off.
func ReportTemplateKey(streetID string) Key { return Key{"STREET#" + streetID, "REPORTTEMPLATE"} }

// DailyKey is a community's confirmation of a day's figures (日报).
func DailyKey(communityID, day string) Key {
	return Key{"COMMUNITY#" + communityID, "DAILY#" + day}
}

// PassRulesKey is a community's pass rules by zone level.
func PassRulesKey(communityID string) Key { return Key{"COMMUNITY#" + communityID, "PASSRULES"} }

// PassKey is a household's pass: its code and QR secret, its permit.
func PassKey(householdID string) Key { return Key{"GATEPASS#" + householdID, "PASS"} }

// GateStateKey is a household's state at the gate: its outing under way
// and its recent outings' days.
func GateStateKey(householdID string) Key { return Key{"GATEPASS#" + householdID, "STATE"} }

// PassCodeKey is a pass code's household: the code typed at a gate.
func PassCodeKey(code string) Key { return Key{"PASSCODE#" + code, "PASS"} }

// GateEventKey is one scan at a checkpoint post, by the device's id of it.
func GateEventKey(postID, eventID string) Key { return Key{"GATEEVENT#" + postID, eventID} }

// OutingKey is a household's outing, by the day it began and its out's
// event id.
func OutingKey(communityID, day, eventID string) Key {
	return Key{"COMMUNITY#" + communityID, "GATEOUT#" + day + "#" + eventID}
}

// GateCountKey counts a checkpoint post's events of an hour; without a
// post it is the prefix of a day's counts.
func GateCountKey(communityID, day, postID string, hour int) Key {
	if postID == "" {
		return Key{"COMMUNITY#" + communityID, "GATECOUNT#" + day + "#"}
	}
	hh := strconv.Itoa(hour)
	if hour < 10 {
		hh = "0" + hh
	}
	return Key{"COMMUNITY#" + communityID, "GATECOUNT#" + day + "#" + postID + "#" + hh}
}

// SMSSpendKey counts the SMS a community was sent for in a Beijing day:
// messages and billed parts, for the daily report.
func SMSSpendKey(communityID, day string) Key {
	return Key{"COMMUNITY#" + communityID, "SMSSPEND#" + day}
}

// ReserveItemKey is an item of a community's reserve (隔离储备).
func ReserveItemKey(communityID, itemID string) Key {
	return Key{"COMMUNITY#" + communityID, "RESERVE#" + itemID}
}

// ReserveCountKey counts a community's reserve items, against the limit.
func ReserveCountKey(communityID string) Key {
	return Key{"COMMUNITY#" + communityID, "RESERVECOUNT"}
}

// ReserveNameKey keeps a community's reserve item names apart.
func ReserveNameKey(communityID, name string) Key {
	return Key{"COMMUNITY#" + communityID, "RESERVENAME#" + name}
}

// ReserveMoveKey is a reserve item's nth receipt or issue: in the order
// they happened.
func ReserveMoveKey(communityID, itemID string, n int) Key {
	return Key{"COMMUNITY#" + communityID, ReserveMovesOf(itemID) + strconv.Itoa(1_000_000_000 + n)[1:]}
}

// ReserveMovesOf is the sort key prefix of an item's movements.
func ReserveMovesOf(itemID string) string { return "RESERVEMOVE#" + itemID + "#" }

// CarePlanKey is a person's care plan (重点人群).
func CarePlanKey(communityID, residentID string) Key {
	return Key{"COMMUNITY#" + communityID, "CAREPLAN#" + residentID}
}

// CarePlansIndex puts every plan where the care jobs read them (GSI2).
func CarePlansIndex(communityID, residentID string) Key {
	return Key{"CAREPLANS", communityID + "#" + residentID}
}

// CareCheckKey is a person's daily check (报平安) of a day.
func CareCheckKey(communityID, day, residentID string) Key {
	return Key{"COMMUNITY#" + communityID, CareChecksOf(day) + residentID}
}

// CareChecksOf is the sort key prefix of a day's daily checks.
func CareChecksOf(day string) string { return "CARECHECK#" + day + "#" }

// CareTripKey is the car (or help request) of one need of a day.
func CareTripKey(communityID, day, residentID string, need int) Key {
	return Key{"COMMUNITY#" + communityID, CareTripsOf(day) + residentID + "#" + strconv.Itoa(need)}
}

// CareTripsOf is the sort key prefix of a day's trips.
func CareTripsOf(day string) string { return "CARETRIP#" + day + "#" }

// HospitalKey is a street's designated hospital.
func HospitalKey(streetID, hospitalID string) Key {
	return Key{"STREET#" + streetID, "HOSPITAL#" + hospitalID}
}

// WatchDueIndex is when an active watch ends (GSI2).
func WatchDueIndex(at time.Time, communityID, watchID string) Key {
	return Key{"WATCHDUE", formatTime(at) + "#" + communityID + "#" + watchID}
}
