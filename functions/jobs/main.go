// Command jobs is the Lambda of the jobs of every minute: overdue help
// escalated, the backups of declined or silent calls called, ended
// emergencies' personal data marked for expiry. The services are built in
// package app; this picks the function, the SDK clients it links and what it
// serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
)

func main() {
	app.Main("jobs", app.Adapters{Queue: queue.Open}, app.Event((*app.Root).JobsEvents))
}
