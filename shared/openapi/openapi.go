// Package openapi serves the OpenAPI 3 document of the whole API, kept by hand
// in openapi.json beside this file; a test holds it to the manifest's routes.
package openapi

import (
	_ "embed"
	"net/http"

	"github.com/fangxian/fangxian/shared/httpapi"
)

//go:embed openapi.json
var document []byte

// Document is the OpenAPI document as served.
func Document() []byte { return document }

// Handlers serves the openapi op.
func Handlers() httpapi.Handlers {
	return httpapi.Handlers{"openapi": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(document)
	})}
}
