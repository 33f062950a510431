package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/sms"
)

// The limits of one-time codes. SMS cost money and a code is a key: OWASP
// API4 (unrestricted resource consumption) and API2 (broken authentication).
const (
	CodeTTL     = 5 * time.Minute
	MaxAttempts = 5
	// ResendInterval is the wait after a phone's first sends.
	ResendInterval = time.Minute
	// seriesGap ends a series of sends: after an hour without one, a phone
	// starts again at the shortest wait.
	seriesGap = time.Hour
)

// resendWaits is the wait after the n-th send of a series: short for the
// first tries, then longer, but never more than MaxResendWait, so nobody can
// keep a phone from signing in for long by asking for codes in its name.
var resendWaits = []time.Duration{time.Minute, time.Minute, 2 * time.Minute, 5 * time.Minute, MaxResendWait}

// MaxResendWait is the longest a phone ever waits for its next code.
const MaxResendWait = 10 * time.Minute

// ResendWait is the wait after the sends-th send of a series.
func ResendWait(sends int) time.Duration {
	if sends < 1 {
		return 0
	}
	return resendWaits[min(sends, len(resendWaits))-1]
}

// Errors of sign-in. A known and an unknown phone get the same ones, with the
// same headers, after the same number of tries.
var (
	ErrCodeInvalid  = apperr.New(apperr.KindUnauthenticated, "OTP_INVALID", "验证码错误或已过期", "The code is wrong or expired")
	ErrCodeLocked   = apperr.New(apperr.KindRateLimited, "OTP_LOCKED", "验证码错误次数过多，请重新获取", "Too many wrong codes, request a new one")
	ErrSendLimited  = apperr.New(apperr.KindRateLimited, "OTP_RATE_LIMITED", "发送过于频繁，请稍后再试", "Codes were sent too often, try again later")
	ErrTooManyTries = apperr.New(apperr.KindRateLimited, "TOKEN_RATE_LIMITED", "登录尝试过于频繁，请稍后再试", "Too many failed sign-ins from here, try again later")
	ErrInvalidPhone = apperr.New(apperr.KindInvalid, "INVALID_PHONE", "手机号格式不正确", "Not a mainland China mobile number")
	// ErrSignupLink is a sign-up code asked without a community's live
	// sign-up link (the token of the poster's QR code).
	ErrSignupLink    = apperr.New(apperr.KindForbidden, "SIGNUP_LINK_INVALID", "报名链接无效或已失效，请向社区索取新的报名二维码", "The sign-up link is unknown or was revoked: ask the community for its current one")
	ErrSignupLimited = apperr.New(apperr.KindRateLimited, "SIGNUP_RATE_LIMITED", "报名验证码发送过于频繁，请稍后再试", "Sign-up codes were sent too often, try again later")
)

// Store-level outcomes the ports report; the service turns them into the errors above.
var (
	ErrNoAccount   = errors.New("no account for this phone")
	ErrNoChallenge = errors.New("no live code for this phone")
	ErrLocked      = errors.New("too many attempts on this code")
	ErrConflict    = errors.New("changed meanwhile")
)

// Account is who a phone number signs in as, with every role the person holds.
type Account struct {
	Phone string
	Name  string
	// WeChat says the person has bound the mini-program to this phone: the
	// app reaches them, so news that SMS would otherwise carry can wait
	// there.
	WeChat bool
	Principal
}

// Accounts finds the account of a phone.
type Accounts interface {
	AccountByPhone(ctx context.Context, phone string) (Account, error)
}

// ChallengeSubject is whose code a challenge holds: a phone with an account,
// or, for a phone without one, its shadow. A shadow makes an unknown phone
// behave exactly like a known one (the same waits, the same lock after the
// same number of tries); it is named by a keyed hash of the number, so the
// table does not hold numbers nobody registered, and wide enough that two
// numbers never share one (shared waits would tell unknown numbers apart).
type ChallengeSubject struct {
	Phone  string
	Bucket string
}

// Challenge is the state of one subject's codes.
type Challenge struct {
	// Sends counts the sends of the current series.
	Sends         int
	LastSentAt    time.Time
	NextSendAt    time.Time
	CodeHash      []byte
	CodeExpiresAt time.Time
	Attempts      int
	// Community is the community whose sign-up link a sign-up code was
	// asked with.
	Community string
	// Version guards read-modify-write: a save with a stale version fails.
	Version int
}

// Challenges keeps one-time codes and their send schedule.
type Challenges interface {
	// Challenge reads a subject's state (the zero Challenge when none).
	Challenge(ctx context.Context, s ChallengeSubject) (Challenge, error)
	// SaveChallenge writes c if the stored version is still c.Version
	// (ErrConflict otherwise), with Version incremented.
	SaveChallenge(ctx context.Context, s ChallengeSubject, c Challenge, now time.Time) error
	// Attempt uses up one attempt on the live code and returns its hash (nil
	// for a shadow); ErrNoChallenge when there is none, ErrLocked (with the
	// state) when attempts are used up.
	Attempt(ctx context.Context, s ChallengeSubject, now time.Time) ([]byte, Challenge, error)
	// Consume ends the code with this hash, once (ErrNoChallenge afterwards),
	// and starts the send series again.
	Consume(ctx context.Context, s ChallengeSubject, codeHash []byte) error
}

// Limiter counts requests in fixed windows, shared by every function
// instance (the table holds the counters).
type Limiter interface {
	// Take counts one request against key in the window of length window
	// that holds now, unless limit are counted already: then it counts
	// nothing and returns the time until that window ends.
	Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (time.Duration, error)
	// Give returns one request taken in the window that holds now.
	Give(ctx context.Context, key string, window time.Duration, now time.Time) error
}

// Limits of codes beyond each phone's own (the configuration's settings);
// zero means the default. Sign-in and sign-up have budgets of their own:
// a flood of one never takes the other's.
type Limits struct {
	// CodesPerIPPerHour is a client address's sign-in codes.
	CodesPerIPPerHour int
	// CodesPerStreetPerHour is the codes texted to one street's people: a
	// flood aimed at one street locks out nobody else.
	CodesPerStreetPerHour int
	// CodesPerHour is the deployment's sign-in codes texted, the bound of
	// what sign-in can cost; it is consumed only by codes actually sent.
	CodesPerHour              int
	TokenFailuresPerIPPerHour int
	// SignupCodesPerIPPerHour, SignupCodesPerCommunityPerHour and
	// SignupCodesPerHour bound sign-up codes, which go to any phone.
	SignupCodesPerIPPerHour        int
	SignupCodesPerCommunityPerHour int
	SignupCodesPerHour             int
}

// Default limits: an IP may be a whole carrier-grade NAT, so its share is
// generous. A street's share must let its people sign in on the morning an
// emergency starts (one community of 8,000 signs in about 2,500 phones in
// its first hour): 10,000 an hour, what the whole deployment had before
// streets had shares, so no street is held lower than it was. The
// deployment's ceiling, three streets' shares, bounds what sign-in can
// cost (30,000 codes an hour is about ¥1,350 at mainland prices).
// Sign-up, which texts numbers nobody registered, is held much lower.
const (
	DefaultCodesPerIPPerHour              = 60
	DefaultCodesPerStreetPerHour          = 10000
	DefaultCodesPerHour                   = 30000
	DefaultTokenFailuresPerIPPerHour      = 30
	DefaultSignupCodesPerIPPerHour        = 10
	DefaultSignupCodesPerCommunityPerHour = 100
	DefaultSignupCodesPerHour             = 1000
)

func (l Limits) withDefaults() Limits {
	for _, v := range []struct {
		to  *int
		def int
	}{
		{&l.CodesPerIPPerHour, DefaultCodesPerIPPerHour}, {&l.CodesPerStreetPerHour, DefaultCodesPerStreetPerHour},
		{&l.CodesPerHour, DefaultCodesPerHour}, {&l.TokenFailuresPerIPPerHour, DefaultTokenFailuresPerIPPerHour},
		{&l.SignupCodesPerIPPerHour, DefaultSignupCodesPerIPPerHour},
		{&l.SignupCodesPerCommunityPerHour, DefaultSignupCodesPerCommunityPerHour},
		{&l.SignupCodesPerHour, DefaultSignupCodesPerHour},
	} {
		if *v.to <= 0 {
			*v.to = v.def
		}
	}
	return l
}

// Sender sends one catalogue SMS.
type Sender interface {
	Send(ctx context.Context, to string, m sms.Message) error
}

// Session is what a successful sign-in answers.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	User      User      `json:"user"`
}

// User is the signed-in person as the client sees them.
type User struct {
	ID          string          `json:"id"`
	Role        manifest.Role   `json:"role"`
	Roles       []manifest.Role `json:"roles"`
	CommunityID string          `json:"communityId,omitempty"`
	StreetID    string          `json:"streetId,omitempty"`
	HouseholdID string          `json:"householdId,omitempty"`
	ResidentID  string          `json:"residentId,omitempty"`
	VolunteerID string          `json:"volunteerId,omitempty"`
}

// UserOf is how p is shown to the client.
func UserOf(p Principal) User {
	return User{ID: p.UserID, Role: p.Role, Roles: p.Roles, CommunityID: p.CommunityID, StreetID: p.StreetID,
		HouseholdID: p.HouseholdID, ResidentID: p.ResidentID, VolunteerID: p.VolunteerID}
}

// SignupLinks finds the community of a sign-up link's token.
type SignupLinks interface {
	// SignupCommunity is the community whose live link token is;
	// ErrNoSignupLink when none is.
	SignupCommunity(ctx context.Context, token string) (string, error)
}

// ErrNoSignupLink is a token no live sign-up link has.
var ErrNoSignupLink = errors.New("no live sign-up link with this token")

// SignIn issues codes and exchanges them for tokens.
type SignIn struct {
	Accounts   Accounts
	Challenges Challenges
	Limiter    Limiter
	Limits     Limits
	Sender     Sender
	Keys       *Keys
	// Links and Streets say whose a sign-up link is, and a community's
	// street (a street's share of codes).
	Links   SignupLinks
	Streets StreetResolver
	// Apps records a resident's sign-in on their household: a household
	// that uses the app is told there, not by SMS.
	Apps AppSessions
	Now  func() time.Time
}

// AppSessions keeps when a household last signed in to the app.
type AppSessions interface {
	RecordAppSession(ctx context.Context, householdID string, at time.Time) error
}

// ErrKeysUnavailable is answered while the signing key cannot be read.
var ErrKeysUnavailable = apperr.New(apperr.KindUnavailable, "SIGNIN_UNAVAILABLE", "登录服务暂不可用，请稍后重试", "Sign-in is unavailable, try again later")

// keyRefresh is how often the auth function reads its signing key again, so
// a rotation reaches every instance without a redeploy.
const keyRefresh = 5 * time.Minute

// Keys holds the token signing key and the key under which codes are hashed
// (derived from it, so a copy of the table does not reveal live codes). In
// Lambda they are read from SSM on first use and every keyRefresh rather than
// at cold start: a failure then answers SIGNIN_UNAVAILABLE and is tried again
// on the next request, instead of failing the whole function's init.
type Keys struct {
	// Load returns the PEM private key.
	Load     func(ctx context.Context) ([]byte, error)
	Audience string
	Now      func() time.Time
	// Newest, when set, is the id of the key published last (the
	// verifier's): a warm instance signing with another reads its key
	// again at once (at most every keyCheck), so a rotation reaches it
	// within a verifier's refresh, before an operator withdraws the old key.
	Newest func(ctx context.Context) (string, error)

	mu        sync.Mutex
	issuer    *Issuer
	codeKey   []byte
	readAt    time.Time
	checkedAt time.Time
}

// keyCheck is how often an instance whose key is not the newest published
// reads its key again (the new one may not be stored yet).
const keyCheck = 10 * time.Second

// superseded says whether a newer key than the one held was published.
func (k *Keys) superseded(ctx context.Context) bool {
	if k.Newest == nil || k.Now().Sub(k.checkedAt) < keyCheck {
		return false
	}
	newest, err := k.Newest(ctx)
	if err != nil || newest == "" || newest == k.issuer.kid {
		return false
	}
	k.checkedAt = k.Now()
	return true
}

// StaticKeys are keys known up front (local runs, tests).
func StaticKeys(privatePEM []byte, audience string, now func() time.Time) (*Keys, error) {
	k := &Keys{Load: func(context.Context) ([]byte, error) { return privatePEM, nil }, Audience: audience, Now: now}
	_, _, err := k.get(context.Background())
	return k, err
}

func (k *Keys) get(ctx context.Context) (*Issuer, []byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.issuer != nil && k.Now().Sub(k.readAt) < keyRefresh && !k.superseded(ctx) {
		return k.issuer, k.codeKey, nil
	}
	pemKey, err := k.Load(ctx)
	if err == nil {
		var iss *Issuer
		if iss, err = NewIssuer(pemKey, k.Audience, k.Now); err == nil {
			sum := sha256.Sum256(append([]byte("fangxian otp codes\x00"), pemKey...))
			k.issuer, k.codeKey, k.readAt = iss, sum[:], k.Now()
			return k.issuer, k.codeKey, nil
		}
	}
	if k.issuer != nil {
		return k.issuer, k.codeKey, nil // keep signing with the key read last
	}
	return nil, nil, ErrKeysUnavailable.Wrap(err)
}

// Issuer returns the token issuer, loading the key if needed.
func (k *Keys) Issuer(ctx context.Context) (*Issuer, error) {
	iss, _, err := k.get(ctx)
	return iss, err
}

// Derive is a key for another purpose (the posts' check-in codes), derived
// from the signing key like the code key: nothing new to store or rotate.
func (k *Keys) Derive(ctx context.Context, purpose string) ([]byte, error) {
	_, codeKey, err := k.get(ctx)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, codeKey)
	m.Write([]byte("derive:" + purpose))
	return m.Sum(nil), nil
}

// subject is whose challenge a phone uses, and its account when it has one.
func (s *SignIn) subject(ctx context.Context, phone string) (ChallengeSubject, *Account, error) {
	acct, err := s.Accounts.AccountByPhone(ctx, phone)
	switch {
	case err == nil:
		return ChallengeSubject{Phone: phone}, &acct, nil
	case !errors.Is(err, ErrNoAccount):
		return ChallengeSubject{}, nil, err
	}
	_, key, err := s.Keys.get(ctx)
	if err != nil {
		return ChallengeSubject{}, nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("shadow:" + phone))
	return ChallengeSubject{Bucket: hex.EncodeToString(m.Sum(nil)[:8])}, nil, nil
}

// take counts one request against each budget in order; the first used up
// refuses with refusal, saying when its hour ends.
func (s *SignIn) take(ctx context.Context, now time.Time, refusal *apperr.Error, budgets ...budget) error {
	for _, b := range budgets {
		wait, err := s.Limiter.Take(ctx, b.key, b.limit, time.Hour, now)
		if err != nil {
			return err
		}
		if wait > 0 {
			return refusal.Wrap(fmt.Errorf("limit %s", b.key)).WithRetryAfter(wait)
		}
	}
	return nil
}

type budget struct {
	key   string
	limit int
}

// SendCode texts a 6-digit code to phone if it has an account. An unknown
// phone is answered exactly like a known one, and held to the same waits,
// so the endpoint does not tell who is registered; it costs nothing and
// takes only from the address's budget. A code texted takes from the
// street's share and the deployment's ceiling too.
func (s *SignIn) SendCode(ctx context.Context, phone, ip string) error {
	now := s.Now()
	lim := s.Limits.withDefaults()
	if err := s.take(ctx, now, ErrSendLimited, budget{"otp-ip#" + ip, lim.CodesPerIPPerHour}); err != nil {
		return err
	}
	subj, acct, err := s.subject(ctx, phone)
	if err != nil {
		return err
	}
	code, hash, err := s.newCode(ctx, phone, acct != nil)
	if err != nil {
		return err
	}
	if err := s.saveSend(ctx, subj, Challenge{CodeHash: hash}, now); err != nil {
		return err
	}
	if acct == nil {
		logging.From(ctx).Info("code requested for an unknown phone", "phone", logging.MaskPhone(phone))
		return nil
	}
	street, err := s.streetOf(ctx, acct.Principal)
	if err != nil {
		return err
	}
	if err := s.take(ctx, now, ErrSendLimited, budget{"otp-street#" + street, lim.CodesPerStreetPerHour}, budget{"otp-all", lim.CodesPerHour}); err != nil {
		return err
	}
	msg, err := sms.SignInCode(code, int(CodeTTL.Minutes()))
	if err != nil {
		return err
	}
	return s.send(ctx, phone, msg)
}

// streetOf is the street whose share p's codes take from: the admin's
// street, or the street of p's community ("" for nobody's).
func (s *SignIn) streetOf(ctx context.Context, p Principal) (string, error) {
	if p.StreetID != "" {
		return p.StreetID, nil
	}
	for _, cid := range []string{p.StaffCommunityID, p.ResidentCommunityID, p.VolunteerCommunityID} {
		if cid == "" {
			continue
		}
		street, err := s.Streets.StreetOf(ctx, cid)
		if errors.Is(err, ErrNoCommunity) {
			continue
		}
		return street, err
	}
	return "", nil
}

// SendSignupCode texts a code to a phone whether or not it has an account,
// for a person who proves the phone they sign up with (as a volunteer) by a
// community's sign-up link (token: from the poster's QR code, rotated and
// revoked by staff). Its budgets are its own (an address's, the
// community's, the deployment's), so a spray of sign-ups never takes
// sign-in's; the answer says nothing new, since every phone gets the code.
func (s *SignIn) SendSignupCode(ctx context.Context, phone, ip, token string) error {
	now := s.Now()
	lim := s.Limits.withDefaults()
	cid, err := s.Links.SignupCommunity(ctx, token)
	if errors.Is(err, ErrNoSignupLink) {
		return ErrSignupLink
	}
	if err != nil {
		return err
	}
	if err := s.take(ctx, now, ErrSignupLimited, budget{"signup-ip#" + ip, lim.SignupCodesPerIPPerHour},
		budget{"signup-c#" + cid, lim.SignupCodesPerCommunityPerHour}, budget{"signup-all", lim.SignupCodesPerHour}); err != nil {
		return err
	}
	code, hash, err := s.newCode(ctx, phone, true)
	if err != nil {
		return err
	}
	// Sign-up codes keep their own series for every phone, registered or
	// not: sharing sign-in's waits only for registered phones would tell
	// them apart.
	if err := s.saveSend(ctx, signupSubject(phone), Challenge{CodeHash: hash, Community: cid}, now); err != nil {
		return err
	}
	msg, err := sms.SignupCode(code, int(CodeTTL.Minutes()))
	if err != nil {
		return err
	}
	return s.send(ctx, phone, msg)
}

// newCode is a fresh code and, when it will be sent, its hash.
func (s *SignIn) newCode(ctx context.Context, phone string, sent bool) (string, []byte, error) {
	code, err := newCode()
	if err != nil || !sent {
		return code, nil, err
	}
	hash, err := s.hash(ctx, phone, code)
	return code, hash, err
}

// saveSend records a send to subj with the code of next (its hash, and the
// community of a sign-up), unless the subject's wait is not over.
func (s *SignIn) saveSend(ctx context.Context, subj ChallengeSubject, next Challenge, now time.Time) error {
	for try := 0; ; try++ {
		c, err := s.Challenges.Challenge(ctx, subj)
		if err != nil {
			return err
		}
		if now.Before(c.NextSendAt) {
			return ErrSendLimited.WithRetryAfter(c.NextSendAt.Sub(now))
		}
		if now.Sub(c.LastSentAt) >= seriesGap {
			c.Sends = 0
		}
		c.Sends++
		c.LastSentAt, c.NextSendAt = now, now.Add(ResendWait(c.Sends))
		c.CodeHash, c.CodeExpiresAt, c.Attempts, c.Community = next.CodeHash, now.Add(CodeTTL), 0, next.Community
		err = s.Challenges.SaveChallenge(ctx, subj, c, now)
		if errors.Is(err, ErrConflict) && try < 3 {
			continue // a parallel request saved first: read its state
		}
		return err
	}
}

func (s *SignIn) send(ctx context.Context, phone string, msg sms.Message) error {
	if err := s.Sender.Send(ctx, phone, msg); err != nil {
		return sms.ErrUnavailable.Wrap(fmt.Errorf("send code to %s: %w", logging.MaskPhone(phone), err))
	}
	logging.From(ctx).Info("code sent", "template", msg.Template().Name, "phone", logging.MaskPhone(phone))
	return nil
}

// Verify checks code for phone, using up one attempt, and ends the code when
// it matches: a code works once. Failed tries count against ip.
func (s *SignIn) Verify(ctx context.Context, phone, code, ip string) (Account, error) {
	now := s.Now()
	lim := s.Limits.withDefaults()
	ipKey := "token-ip#" + ip
	// Every try is taken from the address's budget first and given back when
	// it succeeds, so only failures count and parallel guesses cannot
	// overshoot the limit.
	wait, err := s.Limiter.Take(ctx, ipKey, lim.TokenFailuresPerIPPerHour, time.Hour, now)
	if err != nil {
		return Account{}, err
	}
	if wait > 0 {
		return Account{}, ErrTooManyTries.WithRetryAfter(wait)
	}
	acct, err := s.verify(ctx, phone, code, now)
	if err == nil {
		if gerr := s.Limiter.Give(ctx, ipKey, time.Hour, now); gerr != nil {
			logging.From(ctx).Warn("failed-try budget not given back", "err", gerr)
		}
	}
	return acct, err
}

// signupSubject is where a phone's sign-up codes are kept, apart from its
// sign-in codes.
func signupSubject(phone string) ChallengeSubject { return ChallengeSubject{Phone: "signup:" + phone} }

// VerifyPhone checks a code sent to phone by SendSignupCode and uses it
// up: the phone is proven, whether or not it has an account. It answers
// the community whose sign-up link the code was asked with. Failed tries
// count against ip as sign-in's do.
func (s *SignIn) VerifyPhone(ctx context.Context, phone, code, ip string) (string, error) {
	now := s.Now()
	ipKey := "token-ip#" + ip
	wait, err := s.Limiter.Take(ctx, ipKey, s.Limits.withDefaults().TokenFailuresPerIPPerHour, time.Hour, now)
	if err != nil {
		return "", err
	}
	if wait > 0 {
		return "", ErrTooManyTries.WithRetryAfter(wait)
	}
	c, err := s.checkCode(ctx, signupSubject(phone), true, phone, code, now)
	if err != nil {
		return "", err
	}
	if gerr := s.Limiter.Give(ctx, ipKey, time.Hour, now); gerr != nil {
		logging.From(ctx).Warn("failed-try budget not given back", "err", gerr)
	}
	return c.Community, nil
}

func (s *SignIn) verify(ctx context.Context, phone, code string, now time.Time) (Account, error) {
	subj, known, err := s.subject(ctx, phone)
	if err != nil {
		return Account{}, err
	}
	if _, err := s.checkCode(ctx, subj, known != nil, phone, code, now); err != nil {
		return Account{}, err
	}
	// Read again: the roles may have changed while the code was out.
	acct, err := s.Accounts.AccountByPhone(ctx, phone)
	if errors.Is(err, ErrNoAccount) {
		return Account{}, ErrCodeInvalid.Wrap(err) // the account went away meanwhile
	}
	return acct, err
}

// checkCode uses up one attempt on subj's code and ends the code when it
// matches: a code works once. It answers the challenge the code was of.
func (s *SignIn) checkCode(ctx context.Context, subj ChallengeSubject, known bool, phone, code string, now time.Time) (Challenge, error) {
	stored, c, err := s.Challenges.Attempt(ctx, subj, now)
	switch {
	case errors.Is(err, ErrNoChallenge):
		return Challenge{}, ErrCodeInvalid.Wrap(err)
	case errors.Is(err, ErrLocked):
		// The way out is a new code: say when one may be asked for.
		return Challenge{}, ErrCodeLocked.Wrap(err).WithRetryAfter(max(c.NextSendAt.Sub(now), time.Second))
	case err != nil:
		return Challenge{}, err
	}
	want, err := s.hash(ctx, phone, code)
	if err != nil {
		return Challenge{}, err
	}
	if !known || !hmac.Equal(stored, want) {
		return Challenge{}, ErrCodeInvalid
	}
	if err := s.Challenges.Consume(ctx, subj, stored); err != nil {
		if errors.Is(err, ErrNoChallenge) {
			return Challenge{}, ErrCodeInvalid.Wrap(err) // used by a concurrent request
		}
		return Challenge{}, err
	}
	return c, nil
}

// Token exchanges a code for a session.
func (s *SignIn) Token(ctx context.Context, phone, code, ip string) (Session, error) {
	acct, err := s.Verify(ctx, phone, code, ip)
	if err != nil {
		return Session{}, err
	}
	return s.Session(ctx, acct)
}

// Session issues a token for acct.
func (s *SignIn) Session(ctx context.Context, acct Account) (Session, error) {
	iss, err := s.Keys.Issuer(ctx)
	if err != nil {
		return Session{}, err
	}
	tok, exp, err := iss.Issue(acct.Principal)
	if err != nil {
		return Session{}, err
	}
	if hid := acct.Principal.HouseholdID; hid != "" && s.Apps != nil {
		// A sign-in that is not recorded costs an SMS later, not the
		// sign-in: logged, not refused.
		if err := s.Apps.RecordAppSession(ctx, hid, s.Now()); err != nil {
			logging.From(ctx).Warn("an app sign-in was not recorded", "err", err)
		}
	}
	return Session{Token: tok, ExpiresAt: chinatime.In(exp), User: UserOf(acct.Principal.Normalized())}, nil
}

func (s *SignIn) hash(ctx context.Context, phone, code string) ([]byte, error) {
	_, key, err := s.Keys.get(ctx)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(phone + ":" + code))
	return m.Sum(nil), nil
}

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}
