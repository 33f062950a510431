package booking

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/zone"
)

// Pooling says how many people's swabs share one tube (混采), by the zone
// level of their building: sealed areas one tube a person (单采), controlled
// areas ten (十合一), precaution areas and the rest twenty (二十合一); or one
// tube a household (一户一管) whatever the level.
type Pooling struct {
	Sealed     int `json:"sealed"`
	Controlled int `json:"controlled"`
	Precaution int `json:"precaution"`
	// Others are buildings in no zone.
	Others       int  `json:"others"`
	PerHousehold bool `json:"perHousehold"`
}

// DefaultPooling is the national practice of 2022.
var DefaultPooling = Pooling{Sealed: 1, Controlled: 10, Precaution: 20, Others: 20}

// MaxPool is the most swabs one tube takes (二十合一).
const MaxPool = 20

// Zone levels as the notices package names them.
const (
	levelSealed     = "sealed"
	levelControlled = "controlled"
	levelPrecaution = "precaution"
)

// SizeFor is the tube size for a building at a zone level; a household's
// tube holds up to MaxPool of its own.
func (p Pooling) SizeFor(level string) int {
	if p.PerHousehold {
		return MaxPool
	}
	switch level {
	case levelSealed:
		return p.Sealed
	case levelControlled:
		return p.Controlled
	case levelPrecaution:
		return p.Precaution
	}
	return p.Others
}

func (p Pooling) problems() []apperr.FieldError {
	var out []apperr.FieldError
	for name, n := range map[string]int{"pooling.sealed": p.Sealed, "pooling.controlled": p.Controlled, "pooling.precaution": p.Precaution, "pooling.others": p.Others} {
		if n < 1 || n > MaxPool {
			out = append(out, apperr.FieldError{Field: name, Reason: "from 1 to 20"})
		}
	}
	return out
}

// OrDefault reads a round kept before pooling existed as the default.
func (p Pooling) OrDefault() Pooling {
	if p.Sealed == 0 && p.Controlled == 0 && p.Precaution == 0 && p.Others == 0 {
		return Pooling{Sealed: DefaultPooling.Sealed, Controlled: DefaultPooling.Controlled, Precaution: DefaultPooling.Precaution,
			Others: DefaultPooling.Others, PerHousehold: p.PerHousehold}
	}
	return p
}

// ZoneLevels reads a building's zones, whole and finer (one Query): a
// household's level, which sets its tube's size, is the strictest.
type ZoneLevels interface {
	BuildingZones(ctx context.Context, communityID, buildingID string) ([]zone.Zone, error)
}

// TubeStore keeps the tubes of a round: their members, the lane's current
// tube, and the lab's results.
type TubeStore interface {
	// LaneTube reads the tube a lane is filling ("" when none).
	LaneTube(ctx context.Context, roundID, siteID string, lane int) (string, error)
	// Tube reads one tube with its members: ErrNotFound.
	Tube(ctx context.Context, roundID, code string) (Tube, []TubeMember, error)
	// Tubes reads every tube of a round, without members.
	Tubes(ctx context.Context, roundID string) (map[string]Tube, error)
	// BindTube puts an earlier sample into its tube: ErrTubeRefused,
	// ErrConflict when the sample has a tube already.
	BindTube(ctx context.Context, sm Sample) error
	// SampleTubes reads the tubes of some residents' samples in a round
	// (the unsampled and those without a tube are absent).
	SampleTubes(ctx context.Context, roundID string, residentIDs []string) (map[string]string, error)
}

// Tube is one tube of a round: its size by the zone of its first swab, how
// many it holds, and the lab's result once back.
type Tube struct {
	Code    string `json:"code"`
	RoundID string `json:"roundId"`
	Size    int    `json:"size"`
	Count   int    `json:"count"`
	Level   string `json:"level,omitempty"`
	// Household is the household of a one-tube-a-household round's tube.
	Household  string     `json:"-"`
	SiteID     string     `json:"siteId,omitempty"`
	Result     string     `json:"result,omitempty"`
	ResultAt   *time.Time `json:"resultAt,omitempty"`
	ResultedBy string     `json:"-"`
	// Single is the pooled tube whose trace this one-swab tube samples
	// a person of again (单采复核).
	Single string `json:"single,omitempty"`
}

// TubeMember is one swab in a tube.
type TubeMember struct {
	ResidentID  string    `json:"residentId"`
	HouseholdID string    `json:"householdId"`
	At          time.Time `json:"sampledAt"`
	Position    int       `json:"position,omitempty"`
}

// Results of a tube, as the lab reports them.
const (
	ResultNegative       = "negative"
	ResultPooledPositive = "pooled_positive"
	ResultPositive       = "positive"
	ResultInvalid        = "invalid"
)

// resultWords are the words a lab's file says a result with.
var resultWords = map[string]string{
	"negative": ResultNegative, "阴性": ResultNegative, "阴": ResultNegative,
	"pooled_positive": ResultPooledPositive, "混管阳性": ResultPooledPositive, "混阳": ResultPooledPositive, "混管异常": ResultPooledPositive,
	"positive": ResultPositive, "阳性": ResultPositive, "阳": ResultPositive,
	"invalid": ResultInvalid, "无效": ResultInvalid, "复采": ResultInvalid,
}

var tubeRE = regexp.MustCompile(`^[A-Z0-9]{4,32}$`)

// TubeCode reads a tube's code as scanned: its 4 to 32 letters and digits,
// upper case; ok false when it is not one.
func TubeCode(s string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(s))
	return c, tubeRE.MatchString(c)
}

// TubeID names a tube in paths: its round and its code.
func TubeID(roundID, code string) string { return roundID + "-t" + strings.ToLower(code) }

// ParseTubeID splits a tube's path id.
func ParseTubeID(id string) (roundID, code string, ok bool) {
	i := strings.LastIndex(id, "-t")
	if i <= 0 || !registry.ValidID(id) {
		return "", "", false
	}
	code, ok = TubeCode(id[i+2:])
	return id[:i], code, ok
}

// Errors of tubes.
var (
	ErrTubeFull           = apperr.New(apperr.KindConflict, "TUBE_FULL", "该试管已满，请换新试管", "This tube is full: scan a new one")
	ErrTubeOtherZone      = apperr.New(apperr.KindConflict, "TUBE_OTHER_ZONE", "该试管属于其他管控级别的楼栋，请换试管", "This tube holds swabs of another zone level: use another tube")
	ErrTubeOtherHousehold = apperr.New(apperr.KindConflict, "TUBE_OTHER_HOUSEHOLD", "本轮一户一管，该试管属于另一户", "This round pools by household and the tube is another household's")
	ErrTubeResulted       = apperr.New(apperr.KindConflict, "TUBE_RESULTED", "该试管已有检测结果，不能再加样", "This tube has its result already")
	ErrTubeNotFound       = apperr.New(apperr.KindNotFound, "TUBE_NOT_FOUND", "试管不存在", "No such tube in this round")
)

// tubeFor picks the tube of a check-in: the one scanned, or the lane's
// current tube; "" when the site does not record tubes.
func (s *Service) tubeFor(ctx context.Context, roundID string, in CheckInInput) (string, error) {
	if in.Tube != "" {
		code, ok := TubeCode(in.Tube)
		if !ok {
			return "", apperr.Validation.WithFields(apperr.FieldError{Field: "tube", Reason: "the 4 to 32 letters and digits of a tube code"})
		}
		return code, nil
	}
	if in.Lane == 0 || in.SiteID == "" {
		return "", nil
	}
	return s.Tubes.LaneTube(ctx, roundID, in.SiteID, in.Lane)
}

// tubeSample fills in a sample's tube: its size for the resident's zone
// level under the round's pooling.
func (s *Service) tubeSample(ctx context.Context, r Round, sm *Sample, code string, position int) error {
	if code == "" {
		return nil
	}
	if position < 0 || position > MaxPool {
		return apperr.Validation.WithFields(apperr.FieldError{Field: "position", Reason: "from 1 to 20"})
	}
	level, err := s.levels(r.CommunityID).level(ctx, registry.HouseholdOf(sm.ResidentID))

	if err != nil {
		return err
	}
	sm.Position = position
	putInTube(r, sm, code, level)
	return nil
}

// putInTube sets a sample's tube: its size for the zone level of the
// person's building under the round's pooling.
func putInTube(r Round, sm *Sample, code, level string) {
	pool := r.Pooling.OrDefault()
	sm.Tube, sm.TubeSize, sm.TubeLevel = code, pool.SizeFor(level), level
	if sm.TubeLevel == "" {
		sm.TubeLevel = "none"
	}
	if pool.PerHousehold {
		sm.TubeHousehold = registry.HouseholdOf(sm.ResidentID)
	}
}

// tubeRefusal tells why a tube took no more swabs, from the tube as it is.
func (s *Service) tubeRefusal(ctx context.Context, sm Sample) error {
	t, _, err := s.Tubes.Tube(ctx, sm.RoundID, sm.Tube)
	switch {
	case errors.Is(err, ErrNotFound):
		return ErrConflict
	case err != nil:
		return err
	case t.Result != "":
		return ErrTubeResulted
	case sm.TubeHousehold != "" && t.Household != sm.TubeHousehold:
		return ErrTubeOtherHousehold
	case t.Level != sm.TubeLevel:
		return ErrTubeOtherZone
	}
	return ErrTubeFull
}
