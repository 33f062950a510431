// Package secrets reads a function's secrets from SSM Parameter Store. It
// makes the one call it needs (GetParameter, decrypted) itself, signed with
// the SDK's SigV4 signer, instead of linking the SSM client: that client's
// operation tables cost the auth function a sixth of its binary and several
// milliseconds of every cold start.
package secrets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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

// SSM reads SecureString parameters, decrypted.
type SSM struct {
	Config aws.Config
	HTTP   *http.Client
}

// Endpoint is SSM's URL in the config's region: the China partition's
// regions answer under amazonaws.com.cn. AWS_ENDPOINT_URL (BaseEndpoint)
// overrides it.
func (s SSM) Endpoint() string {
	if s.Config.BaseEndpoint != nil {
		return *s.Config.BaseEndpoint
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(s.Config.Region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://ssm." + s.Config.Region + "." + suffix
}

// Get returns the value of the named parameter.
func (s SSM) Get(ctx context.Context, name string) ([]byte, error) {
	body, _ := json.Marshal(map[string]any{"Name": name, "WithDecryption": true})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint()+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	creds, err := s.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("ssm parameter %s: credentials: %w", name, err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ssm", s.Config.Region, time.Now()); err != nil {
		return nil, err
	}
	client := s.HTTP
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ssm parameter %s: %w", name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("ssm parameter %s: %w", name, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		if strings.HasSuffix(e.Type, "ParameterNotFound") {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return nil, fmt.Errorf("ssm parameter %s: HTTP %d %s", name, resp.StatusCode, e.Type)
	}
	var out struct {
		Parameter struct {
			Value string `json:"Value"`
		} `json:"Parameter"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("ssm parameter %s: %w", name, err)
	}
	return []byte(out.Parameter.Value), nil
}
