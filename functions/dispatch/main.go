// Command dispatch is the Lambda of the dispatch queue's consumer: notices
// fanned out to phones, SMS sent at the pace, and the SMS phones send acted
// on (the keyword flows). The services are built in package app; this picks
// the function, the SDK clients it links and what it serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/sms/provider"
)

func main() {
	app.Main("dispatch", app.Adapters{Queue: queue.Open, SMS: provider.Open}, app.Event((*app.Root).DispatchEvents))
}
