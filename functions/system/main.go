// Command system is the Lambda behind GET /v1/health and GET /v1/openapi.json.
package main

import (
	"os"

	"github.com/fangxian/fangxian/shared/health"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/openapi"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.FromEnv()
	cfg, err := store.ConfigFromEnv()
	if err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	db := store.NewClient(cfg)
	httpapi.ServeFunction("system", httpapi.Merge(
		health.Handlers(store.Pinger{DB: db, Table: cfg.TableName}, nil),
		openapi.Handlers(),
	), httpapi.Options{Logger: log})
}
