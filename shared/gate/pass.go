package gate

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/safetext"
	"github.com/fangxian/fangxian/shared/zone"
)

// Pass is a household's pass: its code and the secret its QR codes are
// signed with. It names the household, never a person or a phone.
type Pass struct {
	HouseholdID string `json:"householdId"`
	CommunityID string `json:"communityId"`
	// Code is six characters for those without the app: typed at the
	// gate, printed on the household's card, texted on request.
	Code   string `json:"code"`
	Secret []byte `json:"-"`
	// PermitUntil is the last day of a work permit (复工证), if any.
	PermitUntil  string    `json:"permitUntil,omitempty"`
	PermitReason string    `json:"permitReason,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
}

// codeAlphabet leaves out what is misread at a gate (0/O, 1/I/L).
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// QRLife is how long a pass's QR code is good for; the app shows the next
// at QRRefresh, so a code on screen never expires at the gate, and a
// photographed one soon does.
const (
	QRLife    = 90 * time.Second
	QRRefresh = 30 * time.Second
)

func newCode() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

func newSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// token is a QR code of the pass, good until exp.
func (p Pass) token(exp time.Time) string {
	payload := p.HouseholdID + "." + strconv.FormatInt(exp.Unix(), 36)
	m := hmac.New(sha256.New, p.Secret)
	m.Write([]byte("pass:" + payload))
	return "FXP1." + payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

var (
	tokenRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^FXP1\.([a-z0-9_-]{1,200})\.([0-9a-z]{1,13})\.[A-Za-z0-9_-]{22}$`)
	})
	codeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[` + codeAlphabet + `]{6}$`) })
)

// Scanned is what a scanned or typed pass names.
type Scanned struct {
	HouseholdID string
	// Refused is why the pass is no good ("" when it is).
	Refused string
	pass    Pass
}

// read resolves a pass as scanned (a QR code) or typed (a code) at the
// time of the scan; a QR code must also be good at floor (the scan must
// reach the server soon after it was taken).
func (s *Service) read(ctx context.Context, raw string, at, floor time.Time) (Scanned, error) {
	raw = strings.TrimSpace(raw)
	if m := tokenRE().FindStringSubmatch(raw); m != nil {
		exp, err := strconv.ParseInt(m[2], 36, 64)
		if err != nil {
			return Scanned{Refused: ReasonUnknown}, nil
		}
		p, err := s.Store.Pass(ctx, m[1])
		if errors.Is(err, ErrNoPass) {
			return Scanned{Refused: ReasonUnknown}, nil
		}
		if err != nil {
			return Scanned{}, err
		}
		if !hmac.Equal([]byte(p.token(time.Unix(exp, 0))), []byte(raw)) {
			return Scanned{Refused: ReasonUnknown}, nil
		}
		if at.Before(time.Unix(exp, 0).Add(-QRLife - time.Minute)) {
			return Scanned{Refused: ReasonUnknown}, nil // scanned before the code was shown
		}
		if at.Unix() > exp || floor.Unix() > exp {
			return Scanned{HouseholdID: p.HouseholdID, Refused: ReasonExpired, pass: p}, nil
		}
		return Scanned{HouseholdID: p.HouseholdID, pass: p}, nil
	}
	code := strings.ToUpper(strings.ReplaceAll(raw, " ", ""))
	if !codeRE().MatchString(code) {
		return Scanned{Refused: ReasonUnknown}, nil
	}
	hid, err := s.Store.PassByCode(ctx, code)
	if err != nil || hid == "" {
		return Scanned{Refused: ReasonUnknown}, err
	}
	p, err := s.Store.Pass(ctx, hid)
	if errors.Is(err, ErrNoPass) || (err == nil && p.Code != code) {
		return Scanned{Refused: ReasonUnknown}, nil // a code replaced meanwhile
	}
	if err != nil {
		return Scanned{}, err
	}
	return Scanned{HouseholdID: hid, pass: p}, nil
}

// ensure is a household's pass, made on first need.
func (s *Service) ensure(ctx context.Context, h registry.Household) (Pass, error) {
	p, err := s.Store.Pass(ctx, h.ID)
	if !errors.Is(err, ErrNoPass) {
		return p, err
	}
	return s.issue(ctx, h, nil)
}

// issue writes a new pass (over prev: a new code, the QR codes shown so
// far void), drawing again if the code is taken.
func (s *Service) issue(ctx context.Context, h registry.Household, prev *Pass) (Pass, error) {
	for range 5 {
		p := Pass{HouseholdID: h.ID, CommunityID: h.CommunityID, Code: newCode(), Secret: newSecret(), CreatedAt: chinatime.In(s.Now())}
		if prev != nil {
			p.PermitUntil, p.PermitReason = prev.PermitUntil, prev.PermitReason
		}
		ok, err := s.Store.CreatePass(ctx, p, prev)
		if err != nil {
			return Pass{}, err
		}
		if ok {
			return p, nil
		}
		got, err := s.Store.Pass(ctx, h.ID)
		switch {
		case err != nil && !errors.Is(err, ErrNoPass):
			return Pass{}, err
		case prev == nil && err == nil:
			return got, nil // another request made it meanwhile: theirs stands
		case prev != nil && err == nil && got.Code != prev.Code:
			prev = &got // another new code came first: replace that one
		}
	}
	return Pass{}, apperr.Internal.Wrap(errors.New("gate: no free pass code in 5 draws"))
}

// MyPass is what the resident's app shows: the QR code to scan (changing),
// the code to type, the household's level and its rule, and whether
// someone is out now.
type MyPass struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	RefreshAt time.Time `json:"refreshAt"`
	Code      string    `json:"code"`
	Level     string    `json:"level"`
	Rule      string    `json:"rule"`
	// Out is when the household's outing began, if someone is out; its
	// ReturnBy when they are due back.
	Out      *time.Time `json:"out,omitempty"`
	ReturnBy *time.Time `json:"returnBy,omitempty"`
}

// Mine is the caller's household's pass.
func (s *Service) Mine(ctx context.Context, p auth.Principal) (MyPass, error) {
	if p.HouseholdID == "" {
		return MyPass{}, apperr.Forbidden
	}
	h, _, err := s.Registry.Household(ctx, p.HouseholdID)
	if errors.Is(err, registry.ErrNotFound) {
		return MyPass{}, ErrHouseholdGone
	}
	if err != nil {
		return MyPass{}, err
	}
	pass, err := s.ensure(ctx, h)
	if err != nil {
		return MyPass{}, err
	}
	zs, err := s.Registry.BuildingZones(ctx, h.CommunityID, h.BuildingID)
	if err != nil {
		return MyPass{}, err
	}
	level := zone.LevelNone
	if z, ok := zone.Strictest(zs, h); ok {
		level = z.Level
	}
	rules, err := s.rules(ctx, h.CommunityID)
	if err != nil {
		return MyPass{}, err
	}
	st, err := s.Store.GateState(ctx, h.ID)
	if err != nil {
		return MyPass{}, err
	}
	now := chinatime.In(s.Now())
	exp := now.Add(QRLife).Truncate(time.Second)
	out := MyPass{Token: pass.token(exp), ExpiresAt: exp, RefreshAt: now.Add(QRRefresh), Code: pass.Code, Level: level, Rule: rules.Levels[level].describe()}
	if st.Open != nil {
		at := chinatime.In(st.Open.At)
		out.Out, out.ReturnBy = &at, st.Open.ReturnBy
	}
	return out, nil
}

// CodeFor is a resident's household's code, for the SMS flow (通行证).
func (s *Service) CodeFor(ctx context.Context, p auth.Principal) (string, error) {
	if p.HouseholdID == "" {
		return "", apperr.Forbidden
	}
	h, _, err := s.Registry.Household(ctx, p.HouseholdID)
	if err != nil {
		return "", err
	}
	pass, err := s.ensure(ctx, h)
	return pass.Code, err
}

// NewCode replaces a household's code (a card lost or seen by others):
// the old code and every QR code shown so far stop working.
func (s *Service) NewCode(ctx context.Context, p auth.Principal, cid, hid string) (Card, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Card{}, err
	}
	h, err := s.householdOf(ctx, cid, hid)
	if err != nil {
		return Card{}, err
	}
	prev, err := s.Store.Pass(ctx, hid)
	var pass Pass
	switch {
	case errors.Is(err, ErrNoPass):
		pass, err = s.issue(ctx, h, nil)
	case err == nil:
		pass, err = s.issue(ctx, h, &prev)
	}
	if err != nil {
		return Card{}, err
	}
	return Card{HouseholdID: hid, Building: h.BuildingName, Unit: h.Unit, Room: h.Room, Code: pass.Code}, nil
}

func (s *Service) householdOf(ctx context.Context, cid, hid string) (registry.Household, error) {
	if !registry.ValidID(hid) {
		return registry.Household{}, ErrHouseholdGone
	}
	h, _, err := s.Registry.Household(ctx, hid)
	if errors.Is(err, registry.ErrNotFound) || (err == nil && h.CommunityID != cid) {
		return registry.Household{}, ErrHouseholdGone
	}
	return h, err
}

// PermitInput gives a household a work permit until a day ("" ends it).
type PermitInput struct {
	Until  string `json:"until"`
	Reason string `json:"reason"`
}

// SetPermit gives or ends a household's work permit (复工证明): with the
// rules' Permits, its outings go beyond the quota.
func (s *Service) SetPermit(ctx context.Context, p auth.Principal, cid, hid string, in PermitInput) (Pass, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return Pass{}, err
	}
	reason, problem := safetext.Line(in.Reason, 60, in.Until != "")
	if problem != "" {
		return Pass{}, field("reason", "what the permit is for: "+string(problem))
	}
	if in.Until != "" {
		d, err := time.ParseInLocation(time.DateOnly, in.Until, chinatime.Zone)
		today := chinatime.Midnight(s.Now())
		if err != nil || d.Before(today) || d.After(today.AddDate(0, 0, 90)) {
			return Pass{}, field("until", "a day (YYYY-MM-DD) from today to 90 days ahead, or empty to end the permit")
		}
	}
	h, err := s.householdOf(ctx, cid, hid)
	if err != nil {
		return Pass{}, err
	}
	if _, err := s.ensure(ctx, h); err != nil {
		return Pass{}, err
	}
	if err := s.Store.PutPermit(ctx, hid, in.Until, reason, p.UserID); err != nil {
		return Pass{}, err
	}
	return s.Store.Pass(ctx, hid)
}

// Card is one household's printed pass: its door and its code.
type Card struct {
	HouseholdID string `json:"householdId"`
	Building    string `json:"building"`
	Unit        string `json:"unit"`
	Room        string `json:"room"`
	Code        string `json:"code"`
}

// MaxCards is how many cards one export makes: a large community prints
// a building at a time.
const MaxCards = 2000

// Cards are the pass cards of a community's households (of one building
// with buildingID), each household's pass made if it had none.
func (s *Service) Cards(ctx context.Context, p auth.Principal, cid, buildingID string) ([]Card, error) {
	if err := auth.RequireCommunity(ctx, p, cid, s.Store); err != nil {
		return nil, err
	}
	var bids []string
	if buildingID != "" {
		if !registry.ValidID(buildingID) {
			return nil, ErrBuildingNotFound
		}
		ok, err := s.Registry.HasBuilding(ctx, cid, buildingID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrBuildingNotFound
		}
		bids = []string{buildingID}
	} else {
		bs, err := s.buildings(ctx, cid)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			bids = append(bids, b.ID)
		}
	}
	var hs []registry.Household
	for _, bid := range bids {
		got, err := s.Registry.BuildingHouseholds(ctx, bid)
		if err != nil {
			return nil, err
		}
		hs = append(hs, got...)
		if len(hs) > MaxCards {
			return nil, apperr.New(apperr.KindInvalid, "TOO_MANY_CARDS", "一次最多导出2000户，请按楼栋导出", "At most 2000 cards an export: export a building at a time")
		}
	}
	cards := make([]Card, len(hs))
	errs := make([]error, len(hs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, h := range hs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			pass, err := s.ensure(ctx, h)
			cards[i], errs[i] = Card{HouseholdID: h.ID, Building: h.BuildingName, Unit: h.Unit, Room: h.Room, Code: pass.Code}, err
		}()
	}
	wg.Wait()
	return cards, errors.Join(errs...)
}
