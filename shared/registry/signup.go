package registry

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/chinatime"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// SignupLink is a community's link for volunteers' sign-up: its token goes
// on a poster's QR code or into a group chat, and a sign-up code is texted
// only with a live one. Staff rotate it (the old one stops at once) or
// revoke it.
type SignupLink struct {
	CommunityID string    `json:"communityId"`
	Token       string    `json:"token"`
	CreatedAt   time.Time `json:"createdAt"`
	CreatedBy   string    `json:"createdBy"`
}

// SignupLinks keeps communities' sign-up links.
type SignupLinks interface {
	// SignupLink reads a community's live link: ErrNoSignupLink.
	SignupLink(ctx context.Context, communityID string) (SignupLink, error)
	// ReplaceSignupLink puts next (nil: none) where prev is (its token; ""
	// for none); the token prev had stops working in the same write.
	// ErrSignupLinkChanged when the live link is no longer prev.
	ReplaceSignupLink(ctx context.Context, communityID string, next *SignupLink, prev string) error
}

// Errors of sign-up links.
var (
	ErrNoSignupLink      = apperr.New(apperr.KindNotFound, "SIGNUP_LINK_NONE", "本社区没有有效的报名链接", "The community has no live sign-up link")
	ErrSignupLinkChanged = apperr.New(apperr.KindConflict, "CHANGED_MEANWHILE", "数据已被他人修改，请刷新后重试", "Someone changed it meanwhile: reload and try again")
)

// signupLinkHandlers serve a community's sign-up link to its staff.
func (a *API) signupLinkHandlers() httpapi.Handlers {
	return httpapi.Handlers{
		"getSignupLink": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := a.managed(r)
			if err != nil {
				return nil, err
			}
			return a.Links.SignupLink(r.Context(), cid)
		}),
		"rotateSignupLink": httpapi.Reply(http.StatusCreated, func(r *http.Request) (any, error) {
			cid, err := a.managed(r)
			if err != nil {
				return nil, err
			}
			prev, err := a.current(r.Context(), cid)
			if err != nil {
				return nil, err
			}
			next := SignupLink{CommunityID: cid, Token: auth.NewSignupToken(), CreatedAt: chinatime.In(a.Now()), CreatedBy: auth.Caller(r).UserID}
			if err := a.Links.ReplaceSignupLink(r.Context(), cid, &next, prev); err != nil {
				return nil, err
			}
			return next, nil
		}),
		// Revoking answers whether there was a live link: none is not an
		// error (a second click, or a colleague's).
		"revokeSignupLink": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := a.managed(r)
			if err != nil {
				return nil, err
			}
			prev, err := a.current(r.Context(), cid)
			if err != nil {
				return nil, err
			}
			if prev != "" {
				if err := a.Links.ReplaceSignupLink(r.Context(), cid, nil, prev); err != nil {
					return nil, err
				}
			}
			return map[string]bool{"revoked": prev != ""}, nil
		}),
	}
}

// managed is the path's community, which the caller must manage.
func (a *API) managed(r *http.Request) (string, error) {
	cid, err := httpapi.PathID(r, "communityId")
	if err != nil {
		return "", err
	}
	return cid, auth.RequireCommunity(r.Context(), auth.Caller(r), cid, a.Dir)
}

// current is the token of cid's live link, "" when there is none.
func (a *API) current(ctx context.Context, cid string) (string, error) {
	l, err := a.Links.SignupLink(ctx, cid)
	if errors.Is(err, ErrNoSignupLink) {
		return "", nil
	}
	return l.Token, err
}
