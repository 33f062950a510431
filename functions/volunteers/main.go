// Command volunteers is the Lambda of volunteering: approval, posts and A/B
// shifts, one-click activation and response, check-in, hours. The services
// are built in package app; this picks the function, the SDK clients it links
// and what it serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
)

func main() {
	app.Main("volunteers", app.Adapters{Queue: queue.Open}, app.HTTP((*app.Root).VolunteersHTTP))
}
