// Command notices is the Lambda of lockdown zones, notices and temperature
// reports. The services are built in package app; this picks the function and
// the SDK clients it links.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
)

func main() { app.Main("notices", app.Adapters{Queue: queue.Open}) }
