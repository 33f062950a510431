package auth

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/phone"
)

// Purposes of a code: signing in to an account, or proving a phone to sign
// up with (a volunteer who is nobody's account yet).
const (
	PurposeSignIn = "signin"
	PurposeSignup = "signup"
)

// Handlers serves the sign-in routes of the auth function.
func Handlers(s *SignIn, wx *WeChatSignIn) httpapi.Handlers {
	return httpapi.Handlers{
		"requestOtp": httpapi.Reply(http.StatusAccepted, func(r *http.Request) (any, error) {
			var in struct {
				Phone   string `json:"phone"`
				Purpose string `json:"purpose"`
				// SignupLink is a sign-up's community link token.
				SignupLink string `json:"signupLink"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return nil, err
			}
			p, err := normalizePhone(in.Phone)
			if err != nil {
				return nil, err
			}
			if in.SignupLink != "" && !ValidSignupToken(in.SignupLink) {
				return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "signupLink", Reason: "the token of a sign-up link"})
			}
			// A sign-up without a link is refused as one with a dead
			// link: the poster's link is the only way to ask.
			switch in.Purpose {
			case "", PurposeSignIn:
				err = s.SendCode(r.Context(), p, httpapi.SourceIP(r))
			case PurposeSignup:
				err = s.SendSignupCode(r.Context(), p, httpapi.SourceIP(r), in.SignupLink)
			default:
				err = apperr.Validation.WithFields(apperr.FieldError{Field: "purpose", Reason: "one of " + PurposeSignIn + ", " + PurposeSignup})
			}
			if err != nil {
				return nil, err
			}
			return map[string]int{"expiresInSeconds": int(CodeTTL.Seconds())}, nil
		}),
		"createToken": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			var in struct {
				Phone string `json:"phone"`
				Code  string `json:"code"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return nil, err
			}
			p, err := normalizePhone(in.Phone)
			if err != nil {
				return nil, err
			}
			if !sixDigits(in.Code) {
				return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "code", Reason: "the 6 digits of the SMS"})
			}
			sess, err := s.Token(r.Context(), p, in.Code, httpapi.SourceIP(r))
			if err != nil {
				return nil, err
			}
			return sess, nil
		}),
		"wechatToken": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			var in struct {
				Code  string `json:"code"`
				Phone string `json:"phone"`
				OTP   string `json:"otp"`
			}
			if err := httpapi.DecodeJSON(r, &in); err != nil {
				return nil, err
			}
			if in.Code == "" || len(in.Code) > 128 {
				return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "code", Reason: "required: the code from wx.login"})
			}
			p := ""
			if in.Phone != "" || in.OTP != "" {
				var err error
				if p, err = normalizePhone(in.Phone); err != nil {
					return nil, err
				}
				if !sixDigits(in.OTP) {
					return nil, apperr.Validation.WithFields(apperr.FieldError{Field: "otp", Reason: "the 6 digits of the SMS"})
				}
			}
			sess, err := wx.Token(r.Context(), in.Code, p, in.OTP, httpapi.SourceIP(r))
			if err != nil {
				return nil, err
			}
			return sess, nil
		}),
	}
}

func sixDigits(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func normalizePhone(s string) (string, error) {
	p, err := phone.Normalize(s)
	if err != nil {
		return "", ErrInvalidPhone.WithFields(apperr.FieldError{Field: "phone", Reason: "11-digit mainland mobile number"})
	}
	return p, nil
}
