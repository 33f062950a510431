// Package secrets reads a function's secrets from SSM Parameter Store. It
// makes the one call it needs (GetParameter, decrypted) itself, signed with
// the SDK's SigV4 signer, instead of linking the SSM client: that client's
// operation tables cost the auth function a sixth of its binary and several
// milliseconds of every cold start.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fangxian/fangxian/shared/awsjson"
)

// ErrNotFound is a parameter that does not exist.
var ErrNotFound = errors.New("secrets: no such parameter")

// Parameters reads SecureString parameters: SSM in the cloud, Static on a
// developer machine and in tests.
type Parameters interface {
	Get(ctx context.Context, name string) ([]byte, error)
}

var _ Parameters = SSM{}

// Static is a fixed set of parameters, by name.
type Static map[string][]byte

// Get returns the named parameter, or ErrNotFound.
func (s Static) Get(_ context.Context, name string) ([]byte, error) {
	v, ok := s[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return v, nil
}

// SSM reads SecureString parameters, decrypted, with one GetParameter
// call each (package awsjson: not the SSM client).
type SSM struct {
	Config aws.Config
	HTTP   *http.Client
}

func (s SSM) service() awsjson.Service {
	return awsjson.Service{Config: s.Config, Name: "ssm", Version: "1.1", Prefix: "AmazonSSM", HTTP: s.HTTP}
}

// Endpoint is SSM's URL in the config's region.
func (s SSM) Endpoint() string { return s.service().Endpoint() }

// Get returns the value of the named parameter.
func (s SSM) Get(ctx context.Context, name string) ([]byte, error) {
	var out struct {
		Parameter struct {
			Value string `json:"Value"`
		} `json:"Parameter"`
	}
	err := s.service().Call(ctx, "GetParameter", map[string]any{"Name": name, "WithDecryption": true}, &out)
	var e *awsjson.Error
	if errors.As(err, &e) && e.Type == "ParameterNotFound" {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("ssm parameter %s: %w", name, err)
	}
	return []byte(out.Parameter.Value), nil
}
