// Command supplies is the Lambda of supply orders for sealed homes
// (catalogue, orders, lists, delivery) and help requests. The services are
// built in package app; this picks the function, the SDK clients it links and
// what it serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
)

func main() {
	app.Main("supplies", app.Adapters{Queue: queue.Open}, app.HTTP((*app.Root).SuppliesHTTP))
}
