// Command system is the Lambda behind GET /v1/health and GET /v1/openapi.json.
package main

import (
	"github.com/fangxian/fangxian/shared/health"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/openapi"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	httpapi.ServeFunction("system", httpapi.Merge(
		health.Handlers(store.Pinger{DB: st.DB, Table: st.Table}, nil),
		openapi.Handlers(),
	), httpapi.Options{Logger: log})
}
