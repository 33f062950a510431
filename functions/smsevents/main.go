// Command smsevents is the Lambda of what AWS End User Messaging SMS reports:
// replies on the two-way topic, delivery events from the event bus. The
// services are built in package app; this picks the function, the SDK clients
// it links and what it serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
)

func main() {
	app.Main("smsevents", app.Adapters{Queue: queue.Open}, app.Event((*app.Root).SMSEventsEvents))
}
