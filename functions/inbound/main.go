// Command inbound is the Lambda of Tencent Cloud SMS's callbacks: residents'
// replies and delivery receipts. The services are built in package app; this
// picks the function, the SDK clients it links and what it serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
)

func main() {
	app.Main("inbound", app.Adapters{Queue: queue.Open}, app.HTTP((*app.Root).InboundHTTP))
}
