// Command inbound is the Lambda of Tencent Cloud SMS's callbacks: residents'
// replies and delivery receipts. The services are built in package app; this
// picks the function and the SDK clients it links.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/queue"
)

func main() { app.Main("inbound", app.Adapters{Queue: queue.Open}) }
