// Command playbooks is the Lambda of the peace/war switch: playbooks, mode
// switches and their runs, drills, data retention. The services are built in
// package app; this picks the function, the SDK clients it links and what it
// serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
)

func main() {
	app.Main("playbooks", app.Adapters{Queue: queue.Open}, app.HTTP((*app.Root).PlaybooksHTTP))
}
