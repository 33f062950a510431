// Command registry is the Lambda of /v1/me, communities, buildings,
// residents, staff, the CSV import and the audit log. The services are built
// in package app; this picks the function, the SDK clients it links and what
// it serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
)

func main() { app.Main("registry", app.Adapters{}, app.HTTP((*app.Root).RegistryHTTP)) }
