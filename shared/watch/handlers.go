package watch

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Handlers serves the watch ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"openWatch": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *Input) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Open(r.Context(), auth.Caller(r), cid, *in)
		}),
		"listWatches": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			ws, err := s.List(r.Context(), auth.Caller(r), cid, r.URL.Query().Get("status"))
			return map[string]any{"watches": ws}, err
		}),
		"endWatch": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			id, err := httpapi.PathID(r, "watchId")
			if err != nil {
				return nil, err
			}
			return s.End(r.Context(), auth.Caller(r), cid, id)
		}),
	}
}
