package store

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Config says where the table is.
type Config struct {
	TableName string
	Region    string
	// Endpoint is set only for DynamoDB Local; empty means the AWS endpoint.
	Endpoint string
}

// ConfigFromEnv reads TABLE_NAME, AWS_REGION and DYNAMODB_ENDPOINT.
func ConfigFromEnv() (Config, error) {
	c := Config{
		TableName: os.Getenv("TABLE_NAME"),
		Region:    os.Getenv("AWS_REGION"),
		Endpoint:  os.Getenv("DYNAMODB_ENDPOINT"),
	}
	if c.TableName == "" {
		return c, errors.New("TABLE_NAME is not set")
	}
	if c.Region == "" {
		c.Region = "cn-northwest-1"
		if c.Endpoint == "" {
			return c, errors.New("AWS_REGION is not set")
		}
	}
	return c, nil
}

// NewClient builds a DynamoDB client. It reads credentials from the
// environment, which is where Lambda puts them, instead of linking the SDK's
// whole credential chain (SSO, STS, profiles): that keeps the bootstrap
// binaries small and their cold start short. DynamoDB Local takes any
// credentials.
func NewClient(c Config, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
		if c.Endpoint != "" && (id == "" || secret == "") {
			id, secret = "local", "local"
		}
		if id == "" || secret == "" {
			return aws.Credentials{}, errors.New("no AWS credentials in the environment")
		}
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret,
			SessionToken: os.Getenv("AWS_SESSION_TOKEN"), Source: "environment"}, nil
	})
	return dynamodb.New(dynamodb.Options{
		Region:      c.Region,
		Credentials: aws.NewCredentialsCache(creds),
	}, func(o *dynamodb.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
			// DynamoDB Local's error responses carry no valid CRC32; without
			// this every refused condition logs a checksum warning.
			o.DisableValidateResponseChecksum = true
		}
		for _, f := range optFns {
			f(o)
		}
	})
}
