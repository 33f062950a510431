package reserve

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Handlers serves the reserve's ops.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"listReserve": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			items, err := s.List(r.Context(), auth.Caller(r), cid)
			return map[string]any{"items": items}, err
		}),
		"createReserveItem": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *ItemInput) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Create(r.Context(), auth.Caller(r), cid, *in)
		}),
		"updateReserveItem": httpapi.ReplyTo(http.StatusOK, func(r *http.Request, in *ItemInput) (any, error) {
			cid, id, err := itemPath(r)
			if err != nil {
				return nil, err
			}
			return s.Update(r.Context(), auth.Caller(r), cid, id, *in)
		}),
		"moveReserve": httpapi.ReplyTo(http.StatusCreated, func(r *http.Request, in *MovementInput) (any, error) {
			cid, id, err := itemPath(r)
			if err != nil {
				return nil, err
			}
			return s.Move(r.Context(), auth.Caller(r), cid, id, *in)
		}),
		"reserveMovements": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, id, err := itemPath(r)
			if err != nil {
				return nil, err
			}
			ms, err := s.History(r.Context(), auth.Caller(r), cid, id)
			return map[string]any{"movements": ms}, err
		}),
	}
}

func itemPath(r *http.Request) (string, string, error) {
	cid, err := httpapi.PathID(r, "communityId")
	if err != nil {
		return "", "", err
	}
	id, err := httpapi.PathID(r, "reserveItemId")
	return cid, id, err
}
