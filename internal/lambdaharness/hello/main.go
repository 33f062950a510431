// Command hello is the yardstick of the cold-start benchmark: the smallest
// aws-lambda-go function, built with the same flags as Fangxian's functions.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return "hello", nil })
}
