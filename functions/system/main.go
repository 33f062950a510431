// Command system is the Lambda of the health check, the OpenAPI document and
// its reference page. The services are built in package app; this picks the
// function, the SDK clients it links and what it serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
)

func main() { app.Main("system", app.Adapters{}, app.HTTP((*app.Root).SystemHTTP)) }
