// Package awsjson makes one call of an AWS service's JSON protocol, signed
// with the SDK's SigV4 signer. The functions make two such calls (SSM's
// GetParameter, SQS's SendMessageBatch) this way instead of linking those
// services' SDK clients, whose operation tables would cost every function
// that links them a millisecond or more of each cold start
// (docs/benchmarks.md).
package awsjson

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Service is one AWS service's JSON endpoint.
type Service struct {
	Config aws.Config
	// Name is the signing name and the endpoint's first label (ssm, sqs).
	Name string
	// Version is the protocol's content type version: 1.0 (SQS) or 1.1 (SSM).
	Version string
	// Prefix is what an operation's target starts with (AmazonSSM, AmazonSQS).
	Prefix string
	HTTP   *http.Client
}

// Endpoint is the service's URL in the config's region: the China
// partition's regions answer under amazonaws.com.cn. AWS_ENDPOINT_URL
// (BaseEndpoint) overrides it.
func (s Service) Endpoint() string {
	if s.Config.BaseEndpoint != nil {
		return *s.Config.BaseEndpoint
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(s.Config.Region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://" + s.Name + "." + s.Config.Region + "." + suffix
}

// Error is a refusal the service answered: its error type and message.
type Error struct {
	Status  int
	Type    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Type, e.Message)
}

// Call posts in to operation op and decodes the answer into out.
func (s Service) Call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint()+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-"+s.Version)
	req.Header.Set("X-Amz-Target", s.Prefix+"."+op)
	creds, err := s.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), s.Name, s.Config.Region, time.Now()); err != nil {
		return err
	}
	client := s.HTTP
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		// "com.amazonaws.sqs#QueueDoesNotExist": the part after '#'.
		return &Error{Status: resp.StatusCode, Type: e.Type[strings.LastIndex(e.Type, "#")+1:], Message: e.Message}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}
