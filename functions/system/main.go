// Command system is the Lambda behind GET /v1/health, the OpenAPI document
// and its reference page.
package main

import (
	"os"
	"path/filepath"

	"github.com/fangxian/fangxian/shared/health"
	"github.com/fangxian/fangxian/shared/httpapi"
	"github.com/fangxian/fangxian/shared/lambdaenv"
	"github.com/fangxian/fangxian/shared/logging"
	"github.com/fangxian/fangxian/shared/manifest"
	"github.com/fangxian/fangxian/shared/openapi"
	"github.com/fangxian/fangxian/shared/store"
)

func main() {
	log := logging.Init()
	st := lambdaenv.Must(store.FromEnv())
	httpapi.ServeFunction("system", httpapi.Merge(
		health.Handlers(store.Pinger{DB: st.DB, Table: st.Table}, nil),
		// The CDK app deploys the renderer beside the bootstrap.
		openapi.Handlers(filepath.Join(os.Getenv("LAMBDA_TASK_ROOT"), manifest.RedocAsset)),
	), httpapi.Options{Logger: log})
}
