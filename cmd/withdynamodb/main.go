// Command withdynamodb runs a command with one DynamoDB Local for its whole
// run: `go run ./cmd/withdynamodb -- go test ./...`. The command sees the
// endpoint in DYNAMODB_ENDPOINT; the JVM is stopped when the command ends.
// An endpoint already in DYNAMODB_ENDPOINT is used as it is.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/fangxian/fangxian/internal/dynamolocal"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: withdynamodb -- COMMAND [ARG...]")
		return 2
	}
	if os.Getenv("DYNAMODB_ENDPOINT") == "" {
		srv, err := dynamolocal.Start(context.Background(), dynamolocal.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "withdynamodb:", err)
			return 1
		}
		defer srv.Stop()
		os.Setenv("DYNAMODB_ENDPOINT", srv.Endpoint)
		fmt.Fprintln(os.Stderr, "withdynamodb: DynamoDB Local at", srv.Endpoint)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The terminal's Ctrl-C reaches the child itself; we only wait for it and
	// then stop the JVM.
	signal.Ignore(syscall.SIGINT)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "withdynamodb:", err)
		return 1
	}
	return 0
}
