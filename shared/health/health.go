// Package health answers GET /v1/health: 200 when the table answers and the
// deployment is ready, 503 with a code otherwise, so scripts and load
// balancers can wait on it.
package health

import (
	"context"
	"net/http"
	"time"

	"github.com/fangxian/fangxian/shared/apperr"
	"github.com/fangxian/fangxian/shared/httpapi"
)

// Pinger proves the table is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// ReadyFunc reports an error while the deployment is not ready to serve, e.g.
// while the local runner is still seeding the demo community.
type ReadyFunc func() error

// pingTimeout keeps a hung table from holding the check for the whole Lambda timeout.
const pingTimeout = 3 * time.Second

// Handlers serves the health op. ready may be nil.
func Handlers(db Pinger, ready ReadyFunc) httpapi.Handlers {
	return httpapi.Handlers{"health": httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			return apperr.StoreUnavailable.Wrap(err)
		}
		if ready != nil {
			if err := ready(); err != nil {
				return apperr.Starting.Wrap(err)
			}
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "dynamodb": "reachable"})
		return nil
	})}
}
