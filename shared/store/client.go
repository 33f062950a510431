package store

import (
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fangxian/fangxian/shared/lambdaenv"
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

// NewClient builds a DynamoDB client from the function's environment (see
// package lambdaenv), or for DynamoDB Local when c.Endpoint is set.
func NewClient(c Config, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	cfg := lambdaenv.AWSConfig(c.Endpoint != "")
	if c.Region != "" {
		cfg.Region = c.Region
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
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

// FromEnv is the store of a function: the table of TABLE_NAME through a
// client built from the environment.
func FromEnv() (*Store, error) {
	c, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return &Store{DB: NewClient(c), Table: c.TableName}, nil
}
