// Command notices is the Lambda of lockdown zones, notices and temperature
// reports. The services are built in package app; this picks the function,
// the SDK clients it links and what it serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
)

func main() {
	app.Main("notices", app.Adapters{Queue: queue.Open}, app.HTTP((*app.Root).NoticesHTTP))
}
