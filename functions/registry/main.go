// Command registry is the Lambda behind /v1/me, communities, buildings,
// residents, staff and the CSV import.
package main

import (
	"os"
	"time"

	"github.com/fangxian/fangxian/shared/auth"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/registry"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.FromEnv()
	st, err := store.FromEnv()
	if err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	verifier, err := auth.VerifierFromEnv()
	if err != nil {
		log.Error("bad JWT_PUBLIC_KEY", "err", err)
		os.Exit(1)
	}
	api := &registry.API{Dir: st, Importer: &registry.Importer{Store: st, Now: time.Now}, Now: time.Now}
	httpapi.ServeFunction("registry", api.Handlers(), httpapi.Options{Logger: log, Auth: verifier, Idempotency: st})
}
