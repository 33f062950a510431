// Package gate is the community's way in and out while zones hold people
// at home (卡口): the pass rules of each zone level, each household's pass
// (a QR code that changes, and a six-character code for those without the
// app), the log the volunteers on a checkpoint post keep as people go out
// and come back, the late list, and the gate's counts by hour.
package gate

import (
	"context"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/volunteers"
	"github.com/fangxian/fangxian/shared/zone"
)

// Errors of the gate. A pass refused at the gate is not an error: it is an
// event, logged and counted, with its reason (Reason*).
var (
	ErrNotCheckpoint    = apperr.New(apperr.KindConflict, "NOT_A_CHECKPOINT", "该岗位不是卡口", "The post is not a checkpoint")
	ErrSealedStaysIn    = apperr.New(apperr.KindInvalid, "SEALED_STAYS_IN", "封控区不能设置外出名额", "A sealed level lets nobody out")
	ErrChanged          = apperr.New(apperr.KindConflict, "CHANGED_MEANWHILE", "数据已被他人修改，请刷新后重试", "Someone changed it meanwhile: reload and try again")
	ErrEventIDReused    = apperr.New(apperr.KindConflict, "EVENT_ID_REUSED", "该扫码编号已用于另一条记录", "The event id was used for another scan")
	ErrNoPass           = apperr.New(apperr.KindNotFound, "NO_PASS", "本户暂无通行证", "The household has no pass")
	ErrBuildingNotFound = apperr.New(apperr.KindNotFound, "BUILDING_NOT_FOUND", "未找到该楼栋", "No such building")
	ErrNotOut           = apperr.New(apperr.KindConflict, "HOUSEHOLD_NOT_OUT", "该户没有未结束的外出", "The household has no outing under way")
	ErrHouseholdGone    = apperr.New(apperr.KindNotFound, "HOUSEHOLD_NOT_FOUND", "未找到该户", "No such household")
	ErrPostNotFound     = volunteers.ErrPostNotFound
	ErrNotOnShift       = volunteers.ErrNotOnShift
	ErrScanOutOfRange   = apperr.New(apperr.KindInvalid, "SCAN_TIME_OUT_OF_RANGE", "扫码时间须在过去12小时内", "scannedAt must be within the last 12 hours")
	// ErrGuessing stops a post typing unknown codes faster than a queue
	// of people can: codes are not to be found by trying.
	ErrGuessing = apperr.New(apperr.KindRateLimited, "PASS_GUESSING", "无效通行码过多，请稍后再试或联系社区", "Too many unknown passes at this post: wait, or call the office")
)

// Reasons a pass is refused at the gate, and what an in or out allowed
// by an exception says.
const (
	ReasonExpired        = "PASS_EXPIRED"
	ReasonUnknown        = "PASS_UNKNOWN"
	ReasonOtherCommunity = "PASS_OTHER_COMMUNITY"
	ReasonSealed         = "HOUSEHOLD_SEALED"
	ReasonUnderWatch     = "UNDER_WATCH"
	ReasonNoOutings      = "NO_OUTINGS"
	ReasonQuotaUsed      = "QUOTA_USED"
	ReasonAlreadyOut     = "ALREADY_OUT"
	// Allowed by an exception.
	ReasonArrangedTrip = "ARRANGED_TRIP"
	ReasonPermit       = "PERMIT"
	// An in with no out on record (went out before the gate kept a log,
	// or by another way).
	ReasonNoOut = "NO_OUT_RECORDED"
)

// ReasonText is what the volunteer's screen says of a reason, in Chinese.
var ReasonText = map[string]string{
	ReasonExpired:        "二维码已过期，请居民刷新后再扫",
	ReasonUnknown:        "通行证无效",
	ReasonOtherCommunity: "非本社区通行证",
	ReasonSealed:         "该户处于封控区，不能外出",
	ReasonUnderWatch:     "该户在居家管理期，暂不能外出",
	ReasonNoOutings:      "该户所在区域不允许外出",
	ReasonQuotaUsed:      "该户本期外出次数已用完",
	ReasonAlreadyOut:     "该户已有人外出未归",
	ReasonArrangedTrip:   "社区安排的出行",
	ReasonPermit:         "持复工通行证",
	ReasonNoOut:          "无外出记录",
}

// Directions and kinds of a gate event.
const (
	DirectionOut = "out"
	DirectionIn  = "in"

	KindHousehold = "household"
	KindVisitor   = "visitor"
	KindCourier   = "courier"
)

// Store keeps the rules, passes, events and counts.
type Store interface {
	auth.StreetResolver
	PassRules(ctx context.Context, cid string) (Rules, bool, error)
	PutPassRules(ctx context.Context, r Rules, prev int) error

	// Pass reads a household's pass (ErrNoPass for none yet); PassByCode
	// the household of a code ("" for none).
	Pass(ctx context.Context, hid string) (Pass, error)
	PassByCode(ctx context.Context, code string) (string, error)
	// CreatePass writes a new pass, or a new code over prev's (a lost
	// card): false when the code was taken meanwhile, to draw another.
	CreatePass(ctx context.Context, p Pass, prev *Pass) (bool, error)
	PutPermit(ctx context.Context, hid string, until, reason, by string) error

	GateState(ctx context.Context, hid string) (State, error)
	// RecordEvent writes the event, its count and (with next) the
	// household's state over its version, in one transaction; false when
	// the state changed meanwhile (read again and decide again), and
	// ErrEventIDReused's cousin, an existing event, answered by Event.
	RecordEvent(ctx context.Context, e Event, prev State, next *State) (bool, error)
	Event(ctx context.Context, postID, eventID string) (Event, bool, error)
	// CloseOuting writes the state over prev's version with an outing
	// staff closed; false when the state changed meanwhile.
	CloseOuting(ctx context.Context, prev, next State, o Outing) (bool, error)
	// Outings lists a community's outings that began on day.
	Outings(ctx context.Context, cid, day string) ([]Outing, error)
	// Counts lists a community's gate counts of a day, a post and hour each.
	Counts(ctx context.Context, cid, day string) ([]HourCount, error)
}

// Registry reads what the gate checks of a household.
type Registry interface {
	Household(ctx context.Context, hid string) (registry.Household, []registry.Resident, error)
	BuildingZones(ctx context.Context, cid, buildingID string) ([]zone.Zone, error)
	Zones(ctx context.Context, cid string) ([]zone.Zone, error)
	Buildings(ctx context.Context, cid, cursor string, limit int) ([]registry.Building, string, error)
	BuildingHouseholds(ctx context.Context, buildingID string) ([]registry.Household, error)
	AnyUnderWatch(ctx context.Context, cid string, rids []string) (bool, error)
	HasBuilding(ctx context.Context, cid, buildingID string) (bool, error)
}

// Posts reads checkpoint posts and who is on them.
type Posts interface {
	Post(ctx context.Context, id string) (volunteers.Post, error)
	Assignments(ctx context.Context, postID string) ([]volunteers.Assignment, error)
}

// Trips are a household's care plan trips on a day, by their minutes
// (care.Service).
type Trips interface {
	TripsOn(ctx context.Context, cid, hid string, day time.Time) ([]int, error)
}

// Limiter counts within a window (the store's windows).
type Limiter interface {
	Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error)
}

// Service is the gate.
type Service struct {
	Store    Store
	Registry Registry
	Posts    Posts
	Trips    Trips
	Limiter  Limiter
	Now      func() time.Time
}
