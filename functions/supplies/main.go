// Command supplies is the Lambda of supply orders for sealed homes
// (catalogue, orders, lists, delivery) and help requests. The services are
// built in package app; this picks the function and the SDK clients it links.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/sms/provider"
)

func main() { app.Main("supplies", app.Adapters{SMS: provider.Open}) }
