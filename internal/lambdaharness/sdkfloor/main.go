// Command sdkfloor is the honest floor of a Fangxian function's cold start:
// a hello-world aws-lambda-go binary that also reads the AWS configuration
// from the environment and builds a DynamoDB client, as every function
// that talks to the table must. The cold-start benchmark measures each
// function against it and against plain hello-world.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fangxian/fangxian/shared/lambdaenv"
)

func main() {
	client := dynamodb.NewFromConfig(lambdaenv.AWSConfig(false))
	lambda.Start(func(context.Context) (string, error) {
		_ = client
		return "hello", nil
	})
}
