// Package secrets reads a function's secrets from SSM Parameter Store.
package secrets

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// SSM reads SecureString parameters, decrypted.
type SSM struct {
	Client *ssm.Client
}

// Get returns the value of the named parameter.
func (s SSM) Get(ctx context.Context, name string) ([]byte, error) {
	out, err := s.Client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("ssm parameter %s: %w", name, err)
	}
	return []byte(aws.ToString(out.Parameter.Value)), nil
}
