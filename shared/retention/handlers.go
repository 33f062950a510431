package retention

import (
	"net/http"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Handlers serves the retention report and people's requests.
func (s *Service) Handlers() httpapi.Handlers {
	return httpapi.Handlers{
		"retentionReport": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			cid, err := httpapi.PathID(r, "communityId")
			if err != nil {
				return nil, err
			}
			return s.Report(r.Context(), auth.Caller(r), cid)
		}),
		"exportResident": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Export(r.Context(), auth.Caller(r), r.PathValue("residentId"))
		}),
		"eraseResident": httpapi.Reply(http.StatusOK, func(r *http.Request) (any, error) {
			return s.Erase(r.Context(), auth.Caller(r), r.PathValue("residentId"))
		}),
	}
}
