package help

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

type actionInput struct {
	Text string `json:"text"`
}

type closeInput struct {
	Outcome string `json:"outcome"`
}

// Handlers serves the help ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"requestHelp": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *Input) (any, error) {
			return s.Create(r.Context(), auth.Caller(r), *in)
		}),
		"myHelp": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.ForHousehold(r.Context(), auth.Caller(r))
		}),
		"listHelp": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			all, err := s.List(r.Context(), auth.Caller(r), cid)
			return map[string]any{"requests": all}, err
		}),
		"claimHelp": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Claim(r.Context(), auth.Caller(r), r.PathValue("helpId"))
		}),
		"addHelpAction": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *actionInput) (any, error) {
			return s.Act(r.Context(), auth.Caller(r), r.PathValue("helpId"), in.Text)
		}),
		"closeHelp": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *closeInput) (any, error) {
			return s.CloseRequest(r.Context(), auth.Caller(r), r.PathValue("helpId"), in.Outcome)
		}),
		"getHelpSettings": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.SettingsOf(r.Context(), auth.Caller(r), cid)
		}),
		"setHelpSettings": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *Settings) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.SetSettings(r.Context(), auth.Caller(r), cid, *in)
		}),
	}
}
