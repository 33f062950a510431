// Command reminders is the Lambda of the daily temperature reminders of
// sealed and controlled buildings. The services are built in package app;
// this picks the function, the SDK clients it links and what it serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
)

func main() {
	app.Main("reminders", app.Adapters{Queue: queue.Open}, app.Event((*app.Root).RemindersEvents))
}
