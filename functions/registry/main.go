// Command registry is the Lambda behind /v1/me, communities, buildings,
// residents, staff and the CSV import.
package main

import (
	"time"

	"github.com/fangxian/fangxian/shared/audit"
	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	verifier := lambdaenv.Must(auth.VerifierFromEnv(st))
	api := &registry.API{Dir: st, Importer: &registry.Importer{Store: st, Now: time.Now}, Now: time.Now}
	trail := &audit.Recorder{Store: st, Streets: st, Now: time.Now}
	httpapi.ServeFunction("registry", httpapi.Merge(api.Handlers(), trail.Handlers()),
		httpapi.Options{Logger: log, Auth: verifier, Idempotency: st, Audit: trail})
}
