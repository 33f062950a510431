package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/fangxian/fangxian/shared/manifest"
)

// LambdaHandler adapts h to API Gateway HTTP API payload 2.0 events. It never
// returns a Go error: API Gateway would turn one into a bare 502, so a failure
// of the adapter itself becomes the JSON 500 envelope.
func LambdaHandler(h http.Handler, log *slog.Logger) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	adapter := httpadapter.NewV2(h)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		resp, err := adapter.ProxyWithContext(ctx, ev)
		if err != nil {
			log.Error("adapter failed", "requestId", ev.RequestContext.RequestID, "err", err)
			return events.APIGatewayV2HTTPResponse{
				StatusCode: http.StatusInternalServerError,
				Headers:    map[string]string{"Content-Type": "application/json; charset=utf-8"},
				Body:       `{"error":{"code":"INTERNAL","message":"服务内部错误，请稍后重试","requestId":"` + ev.RequestContext.RequestID + `"}}`,
			}, nil
		}
		return resp, nil
	}
}

// StartLambda serves h as a Lambda function behind an HTTP API. It does not return.
func StartLambda(h http.Handler, log *slog.Logger) {
	lambda.Start(LambdaHandler(h, log))
}

// ServeFunction builds the router of the manifest function named name and
// serves it in Lambda. A wiring mistake stops the cold start with a log line,
// which Lambda reports as an init error.
func ServeFunction(name string, handlers Handlers, opts Options) {
	slog.SetDefault(opts.Logger)
	fn, err := manifest.Lookup(name)
	if err == nil && opts.Audit == nil && RecordsChanges(fn.Routes) {
		// Changes by staff must leave an entry: a function wired without
		// the log does not start.
		err = fmt.Errorf("function %s serves routes that change data for staff or admins, and has no audit log", name)
	}
	if err == nil {
		var h http.Handler
		if h, err = NewRouter(fn.Routes, handlers, opts); err == nil {
			StartLambda(h, opts.Logger)
			return
		}
	}
	opts.Logger.Error("cannot start function", "function", name, "err", err)
	os.Exit(1)
}

// RecordsChanges says whether routes include one that staff or admins may
// call to change data: its function must record them (Options.Audit).
func RecordsChanges(routes []manifest.Route) bool {
	for _, r := range routes {
		changes := r.Method != http.MethodGet && r.Method != http.MethodHead
		if changes && !r.Access.Public && (r.Access.Allows(manifest.RoleStaff) || r.Access.Allows(manifest.RoleAdmin)) {
			return true
		}
	}
	return false
}
