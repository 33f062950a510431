package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
)

// Errors of WeChat sign-in. WeChat's own error codes map onto these.
var (
	ErrWeChatOff       = apperr.New(apperr.KindNotFound, "WECHAT_NOT_CONFIGURED", "本系统未开通微信登录", "This deployment has no WeChat sign-in")
	ErrWeChatCode      = apperr.New(apperr.KindUnauthenticated, "WECHAT_CODE_INVALID", "微信登录凭证无效，请重试", "The WeChat login code is invalid, try again")
	ErrWeChatBlocked   = apperr.New(apperr.KindForbidden, "WECHAT_USER_BLOCKED", "微信账号存在风险，暂不能登录", "WeChat refuses this account for now")
	ErrWeChatDown      = apperr.New(apperr.KindUnavailable, "WECHAT_UNAVAILABLE", "微信服务繁忙，请稍后再试", "WeChat is busy, try again later")
	ErrWeChatNotBound  = apperr.New(apperr.KindUnauthenticated, "WECHAT_NOT_BOUND", "请先用手机验证码绑定微信", "Bind WeChat with a phone code first")
	ErrWeChatRateLimit = apperr.New(apperr.KindRateLimited, "WECHAT_RATE_LIMITED", "微信登录过于频繁，请稍后再试", "Too many WeChat sign-ins, try later")
)

// WeChatConfig names the mini-program and where WeChat's API is.
type WeChatConfig struct {
	// BaseURL is https://api.weixin.qq.com in production; tests point it at a fake.
	BaseURL string
	AppID   string
	Secret  string
	// LoadSecret reads the app secret on first use when Secret is empty (in
	// Lambda, from SSM): a secret that cannot be read then turns WeChat
	// sign-in off for that request only, never the whole function.
	LoadSecret func(ctx context.Context) (string, error)
}

// WeChatClient exchanges wx.login codes at jscode2session. The session_key it
// receives is never stored or returned: Fangxian needs only the openid.
type WeChatClient struct {
	cfg  WeChatConfig
	http *http.Client

	mu     sync.Mutex
	secret string
}

// NewWeChatClient returns nil when cfg is incomplete: WeChat sign-in is then off.
func NewWeChatClient(cfg WeChatConfig) *WeChatClient {
	if cfg.BaseURL == "" || cfg.AppID == "" || (cfg.Secret == "" && cfg.LoadSecret == nil) {
		return nil
	}
	return &WeChatClient{cfg: cfg, http: &http.Client{Timeout: 5 * time.Second}, secret: cfg.Secret}
}

func (c *WeChatClient) appSecret(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secret != "" {
		return c.secret, nil
	}
	s, err := c.cfg.LoadSecret(ctx)
	if err != nil {
		return "", ErrWeChatDown.Wrap(fmt.Errorf("the app secret: %w", err))
	}
	if s == "" {
		return "", ErrWeChatDown.Wrap(errors.New("the app secret is empty"))
	}
	c.secret = s
	return s, nil
}

// Exchange returns the openid of a wx.login code.
func (c *WeChatClient) Exchange(ctx context.Context, code string) (string, error) {
	secret, err := c.appSecret(ctx)
	if err != nil {
		return "", err
	}
	q := url.Values{
		"appid":      {c.cfg.AppID},
		"secret":     {secret},
		"js_code":    {code},
		"grant_type": {"authorization_code"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.BaseURL+"/sns/jscode2session?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL holds the secret: report the failure without it.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return "", ErrWeChatDown.Wrap(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", ErrWeChatDown.Wrap(err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", ErrWeChatDown.Wrap(fmt.Errorf("jscode2session: HTTP %d", resp.StatusCode))
	}
	var out struct {
		OpenID  string `json:"openid"`
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", ErrWeChatDown.Wrap(err)
	}
	cause := fmt.Errorf("jscode2session errcode %d: %s", out.ErrCode, out.ErrMsg)
	switch out.ErrCode {
	case 0:
		if out.OpenID == "" {
			return "", ErrWeChatDown.Wrap(errors.New("jscode2session: no openid"))
		}
		return out.OpenID, nil
	case 40029, 40163: // invalid code; code already used
		return "", ErrWeChatCode.Wrap(cause)
	case 45011: // more than 100 calls a minute for one user
		return "", ErrWeChatRateLimit.Wrap(cause)
	case 40226: // WeChat's risk control blocked the user
		return "", ErrWeChatBlocked.Wrap(cause)
	default: // -1 system busy, and anything new
		return "", ErrWeChatDown.Wrap(cause)
	}
}

// OpenIDExchanger turns a wx.login code into an openid.
type OpenIDExchanger interface {
	Exchange(ctx context.Context, code string) (string, error)
}

// Bindings remember which phone a WeChat openid signs in as.
type Bindings interface {
	PhoneOf(ctx context.Context, openID string) (string, error) // ErrNoAccount when unbound
	Bind(ctx context.Context, openID, phone string, at time.Time) error
}

// WeChatSignIn signs in with a wx.login code; the first time, the caller also
// proves a phone with a one-time code, and the openid is bound to it.
type WeChatSignIn struct {
	SignIn   *SignIn
	WeChat   OpenIDExchanger // nil: WeChat sign-in is off
	Bindings Bindings
}

// Token signs in with wxCode, binding it to phone when otp is given; ip is
// the client's address, which failed codes count against.
func (w *WeChatSignIn) Token(ctx context.Context, wxCode, phone, otp, ip string) (Session, error) {
	if w.WeChat == nil {
		return Session{}, ErrWeChatOff
	}
	openID, err := w.WeChat.Exchange(ctx, wxCode)
	if err != nil {
		return Session{}, err
	}
	if phone != "" || otp != "" {
		acct, err := w.SignIn.Verify(ctx, phone, otp, ip)
		if err != nil {
			return Session{}, err
		}
		if err := w.Bindings.Bind(ctx, openID, phone, w.SignIn.Now()); err != nil {
			return Session{}, err
		}
		return w.SignIn.Session(ctx, acct)
	}
	bound, err := w.Bindings.PhoneOf(ctx, openID)
	if errors.Is(err, ErrNoAccount) {
		return Session{}, ErrWeChatNotBound
	}
	if err != nil {
		return Session{}, err
	}
	acct, err := w.SignIn.Accounts.AccountByPhone(ctx, bound)
	if errors.Is(err, ErrNoAccount) {
		return Session{}, ErrWeChatNotBound.Wrap(err)
	}
	if err != nil {
		return Session{}, err
	}
	return w.SignIn.Session(ctx, acct)
}
