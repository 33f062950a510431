// Package lambdaenv reads what Lambda puts in a function's environment: the
// region, the execution role's credentials, and the function's own settings.
// It builds AWS SDK configuration from them directly instead of linking the
// SDK's whole credential chain (SSO, STS, shared profiles), which keeps the
// bootstrap binaries small and their cold start short.
package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fangxian/fangxian/shared/logging"
)

// AWSConfig is the SDK configuration for clients inside a function, or on a
// developer machine against DynamoDB Local (which takes any credentials).
func AWSConfig(local bool) aws.Config {
	region := os.Getenv("AWS_REGION")
	if region == "" && local {
		region = "cn-northwest-1"
	}
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
		if local && (id == "" || secret == "") {
			id, secret = "local", "local"
		}
		if id == "" || secret == "" {
			return aws.Credentials{}, errors.New("no AWS credentials in the environment")
		}
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret,
			SessionToken: os.Getenv("AWS_SESSION_TOKEN"), Source: "environment"}, nil
	})
	cfg := aws.Config{Region: region, Credentials: aws.NewCredentialsCache(creds)}
	// The SDK's standard override, honoured here too since the config
	// package that normally reads it is not linked: tests point it at fakes.
	if e := os.Getenv("AWS_ENDPOINT_URL"); e != "" {
		cfg.BaseEndpoint = aws.String(e)
	}
	return cfg
}

// Require returns the values of the named variables, or one error naming
// every one that is missing.
func Require(names ...string) (map[string]string, error) {
	out := map[string]string{}
	var missing []string
	for _, n := range names {
		v := os.Getenv(n)
		if v == "" {
			missing = append(missing, n)
		}
		out[n] = v
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("environment variables not set: %v", missing)
	}
	return out, nil
}

// Must returns v, or ends a cold start that cannot go on: the error is logged
// (masked, as JSON) and the process exits, which Lambda reports as an init
// error. For functions' main only, never on a request path.
func Must[T any](v T, err error) T {
	if err != nil {
		logging.FromEnv().Error("cannot start", "err", err)
		os.Exit(1)
	}
	return v
}
