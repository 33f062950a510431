// Command attack tries, against a running Fangxian on this machine, the
// abuses of sign-in, sign-up, SMS cost and tenancy the reviews found, and
// reports for each whether it was refused (internal/attack). It is
// bounded: a few hundred requests, and one wait of a minute (the victim's;
// -victim-wait=false skips it).
//
//	make run &
//	go run ./cmd/attack
//
// It needs `make run` (the demo data and /dev/sms) and exits 1 when any
// attack got through. Requests come from loopback addresses 127.x.y.z, so
// that "one address" and "many addresses" can both be tried; every run
// uses addresses and phones of its own, so a second run in the hour gives
// the same verdict.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/fangxian/fangxian/internal/attack"
)

func main() {
	o := attack.Defaults("http://localhost:8080")
	fs := flag.NewFlagSet("attack", flag.ExitOnError)
	fs.StringVar(&o.Base, "base", o.Base, "the stack to attack (make run)")
	fs.IntVar(&o.PerIP, "per-ip", o.PerIP, "the target's OTP_LIMIT_PER_IP_PER_HOUR")
	fs.IntVar(&o.TokenFailures, "token-failures", o.TokenFailures, "the target's TOKEN_FAILURES_PER_IP_PER_HOUR")
	fs.IntVar(&o.SignupPerIP, "signup-per-ip", o.SignupPerIP, "the target's SIGNUP_LIMIT_PER_IP_PER_HOUR")
	fs.IntVar(&o.SignupPerCommunity, "signup-per-community", o.SignupPerCommunity, "the target's SIGNUP_LIMIT_PER_COMMUNITY_PER_HOUR")
	fs.IntVar(&o.Unknown, "unknown", o.Unknown, "how many unregistered numbers to ask codes for")
	fs.BoolVar(&o.VictimWait, "victim-wait", o.VictimWait, "wait the victim's minute to show they sign in")
	_ = fs.Parse(os.Args[1:])
	if _, err := attack.Run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "attack:", err)
		os.Exit(1)
	}
}
