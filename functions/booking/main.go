// Command booking is the Lambda of testing rounds: sites, slots, bookings,
// check-in, progress and the unsampled list. The services are built in
// package app; this picks the function, the SDK clients it links and what it
// serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
	"github.com/fangxian/fangxian/shared/sms/provider"
)

func main() {
	app.Main("booking", app.Adapters{Queue: queue.Open, SMS: provider.Open}, app.HTTP((*app.Root).BookingHTTP))
}
