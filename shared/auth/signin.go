package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
)

// The limits of one-time codes. SMS cost money and a code is a key: OWASP
// API4 (unrestricted resource consumption) and API2 (broken authentication).
const (
	CodeTTL        = 5 * time.Minute
	MaxAttempts    = 5
	ResendInterval = time.Minute
	DailySends     = 10
)

// Day is the calendar day in Asia/Shanghai that the daily send limit counts in.
func Day(t time.Time) string { return t.In(chinatime.Zone).Format("20060102") }

// Errors of sign-in.
var (
	ErrCodeInvalid  = apperr.New(apperr.KindUnauthenticated, "OTP_INVALID", "验证码错误或已过期", "The code is wrong or expired")
	ErrCodeLocked   = apperr.New(apperr.KindRateLimited, "OTP_LOCKED", "验证码错误次数过多，请重新获取", "Too many wrong codes, request a new one")
	ErrSendLimited  = apperr.New(apperr.KindRateLimited, "OTP_RATE_LIMITED", "发送过于频繁，请稍后再试", "Codes were sent too often, try again later")
	ErrInvalidPhone = apperr.New(apperr.KindInvalid, "INVALID_PHONE", "手机号格式不正确", "Not a mainland China mobile number")
)

// Store-level outcomes the ports report; the service turns them into the errors above.
var (
	ErrNoAccount   = errors.New("no account for this phone")
	ErrNoChallenge = errors.New("no live code for this phone")
	ErrLocked      = errors.New("too many attempts on this code")
	ErrRateLimited = errors.New("send limit reached")
)

// Account is who a phone number signs in as.
type Account struct {
	Phone       string
	UserID      string
	Role        manifest.Role
	Name        string
	CommunityID string
	StreetID    string
	HouseholdID string
}

// Principal is what a token for the account carries.
func (a Account) Principal() Principal {
	return Principal{UserID: a.UserID, Role: a.Role, CommunityID: a.CommunityID, StreetID: a.StreetID, HouseholdID: a.HouseholdID}
}

// Accounts finds the account of a phone.
type Accounts interface {
	AccountByPhone(ctx context.Context, phone string) (Account, error)
}

// Challenges keeps one-time codes and the send counters of each phone.
type Challenges interface {
	// Start records a send at now if the limits allow (else ErrRateLimited)
	// and keeps codeHash until expires; a nil codeHash records the send only.
	Start(ctx context.Context, phone string, codeHash []byte, now, expires time.Time) error
	// Attempt uses up one attempt on the live code and returns its hash
	// (ErrNoChallenge when there is none, ErrLocked when attempts are used up).
	Attempt(ctx context.Context, phone string, now time.Time) ([]byte, error)
	// Consume ends the code with this hash, once (ErrNoChallenge afterwards).
	Consume(ctx context.Context, phone string, codeHash []byte) error
}

// Sender sends one SMS. The body is the text after the signature.
type Sender interface {
	Send(ctx context.Context, to, body string) error
}

// Session is what a successful sign-in answers.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	User      User      `json:"user"`
}

// User is the signed-in person as the client sees them.
type User struct {
	ID          string        `json:"id"`
	Role        manifest.Role `json:"role"`
	CommunityID string        `json:"communityId,omitempty"`
	StreetID    string        `json:"streetId,omitempty"`
}

// SignIn issues codes and exchanges them for tokens.
type SignIn struct {
	Accounts   Accounts
	Challenges Challenges
	Sender     Sender
	Keys       *Keys
	Now        func() time.Time
}

// ErrKeysUnavailable is answered while the signing key cannot be read.
var ErrKeysUnavailable = apperr.New(apperr.KindUnavailable, "SIGNIN_UNAVAILABLE", "登录服务暂不可用，请稍后重试", "Sign-in is unavailable, try again later")

// Keys holds the token signing key and the key under which codes are hashed
// (derived from it, so a copy of the table does not reveal live codes). In
// Lambda they are read from SSM on first use rather than at cold start: a
// failure then answers SIGNIN_UNAVAILABLE and is tried again on the next
// request, instead of failing the whole function's init.
type Keys struct {
	// Load returns the PEM private key.
	Load func(ctx context.Context) ([]byte, error)
	Now  func() time.Time

	mu      sync.Mutex
	issuer  *Issuer
	codeKey []byte
}

// StaticKeys are keys known up front (local runs, tests).
func StaticKeys(privatePEM []byte, now func() time.Time) (*Keys, error) {
	k := &Keys{Load: func(context.Context) ([]byte, error) { return privatePEM, nil }, Now: now}
	_, _, err := k.get(context.Background())
	return k, err
}

func (k *Keys) get(ctx context.Context) (*Issuer, []byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.issuer != nil {
		return k.issuer, k.codeKey, nil
	}
	pemKey, err := k.Load(ctx)
	if err != nil {
		return nil, nil, ErrKeysUnavailable.Wrap(err)
	}
	iss, err := NewIssuer(pemKey, k.Now)
	if err != nil {
		return nil, nil, ErrKeysUnavailable.Wrap(err)
	}
	sum := sha256.Sum256(append([]byte("fangxian otp codes\x00"), pemKey...))
	k.issuer, k.codeKey = iss, sum[:]
	return k.issuer, k.codeKey, nil
}

// Issuer returns the token issuer, loading the key if needed.
func (k *Keys) Issuer(ctx context.Context) (*Issuer, error) {
	iss, _, err := k.get(ctx)
	return iss, err
}

// SendCode texts a 6-digit code to phone if it has an account. An unknown
// phone is answered exactly like a known one, and counts against the same
// limits, so the endpoint does not tell who is registered.
func (s *SignIn) SendCode(ctx context.Context, phone string) error {
	now := s.Now()
	acct, err := s.Accounts.AccountByPhone(ctx, phone)
	known := err == nil
	if err != nil && !errors.Is(err, ErrNoAccount) {
		return err
	}
	var code string
	var hash []byte
	if known {
		if code, err = newCode(); err != nil {
			return err
		}
		if hash, err = s.hash(ctx, phone, code); err != nil {
			return err
		}
	}
	if err := s.Challenges.Start(ctx, phone, hash, now, now.Add(CodeTTL)); err != nil {
		if errors.Is(err, ErrRateLimited) {
			return ErrSendLimited.Wrap(err)
		}
		return err
	}
	if !known {
		logging.From(ctx).Info("code requested for an unknown phone", "phone", logging.MaskPhone(phone))
		return nil
	}
	body := fmt.Sprintf("您的登录验证码为%s，%d分钟内有效。如非本人操作，请忽略。", code, int(CodeTTL.Minutes()))
	if err := s.Sender.Send(ctx, phone, body); err != nil {
		return fmt.Errorf("send code to %s: %w", logging.MaskPhone(phone), err)
	}
	logging.From(ctx).Info("code sent", "phone", logging.MaskPhone(phone), "role", acct.Role)
	return nil
}

// Verify checks code for phone, using up one attempt, and ends the code when
// it matches: a code works once.
func (s *SignIn) Verify(ctx context.Context, phone, code string) (Account, error) {
	stored, err := s.Challenges.Attempt(ctx, phone, s.Now())
	switch {
	case errors.Is(err, ErrNoChallenge):
		return Account{}, ErrCodeInvalid.Wrap(err)
	case errors.Is(err, ErrLocked):
		return Account{}, ErrCodeLocked.Wrap(err)
	case err != nil:
		return Account{}, err
	}
	want, err := s.hash(ctx, phone, code)
	if err != nil {
		return Account{}, err
	}
	if !hmac.Equal(stored, want) {
		return Account{}, ErrCodeInvalid
	}
	if err := s.Challenges.Consume(ctx, phone, stored); err != nil {
		if errors.Is(err, ErrNoChallenge) {
			return Account{}, ErrCodeInvalid.Wrap(err) // used by a concurrent request
		}
		return Account{}, err
	}
	acct, err := s.Accounts.AccountByPhone(ctx, phone)
	if errors.Is(err, ErrNoAccount) {
		return Account{}, ErrCodeInvalid.Wrap(err) // the account went away meanwhile
	}
	return acct, err
}

// Token exchanges a code for a session.
func (s *SignIn) Token(ctx context.Context, phone, code string) (Session, error) {
	acct, err := s.Verify(ctx, phone, code)
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
	tok, exp, err := iss.Issue(acct.Principal())
	if err != nil {
		return Session{}, err
	}
	return Session{Token: tok, ExpiresAt: exp, User: User{ID: acct.UserID, Role: acct.Role, CommunityID: acct.CommunityID, StreetID: acct.StreetID}}, nil
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
