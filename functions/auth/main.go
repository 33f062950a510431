// Command auth is the Lambda of sign-in by SMS code and by WeChat, and a
// volunteer's sign-up (which proves the phone by its code). The services are
// built in package app; this picks the function, the SDK clients it links and
// what it serves.
package main

import (
	"github.com/fangxian/fangxian/shared/app"
	"github.com/fangxian/fangxian/shared/sms/provider"
)

func main() {
	app.Main("auth", app.Adapters{SMS: provider.Open}, app.HTTP((*app.Root).AuthHTTP))
}
