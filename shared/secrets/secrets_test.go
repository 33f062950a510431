package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestGetSignsAndReads checks the request against what SSM's JSON protocol
// takes: the target, a SigV4 signature for service ssm in the region, the
// name with decryption.
func TestGetSignsAndReads(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" || !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKID/") ||
			!strings.Contains(auth, "/cn-northwest-1/ssm/aws4_request") || r.Header.Get("X-Amz-Security-Token") != "tok" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		var in struct {
			Name           string
			WithDecryption bool
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &in)
		if !in.WithDecryption {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if in.Name != "/fangxian/prod/k" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"ParameterNotFound","message":"nope"}`))
			return
		}
		_, _ = w.Write([]byte(`{"Parameter":{"Name":"/fangxian/prod/k","Type":"SecureString","Value":"s3cret"}}`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "cn-northwest-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret", SessionToken: "tok"}, nil
		})}
	v, err := SSM{Config: cfg}.Get(context.Background(), "/fangxian/prod/k")
	if err != nil || string(v) != "s3cret" {
		t.Fatalf("%q %v", v, err)
	}
	if _, err := (SSM{Config: cfg}).Get(context.Background(), "/fangxian/prod/other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing parameter: %v", err)
	}
}

func TestEndpointByPartition(t *testing.T) {
	for region, want := range map[string]string{"cn-north-1": "https://ssm.cn-north-1.amazonaws.com.cn", "ap-southeast-1": "https://ssm.ap-southeast-1.amazonaws.com"} {
		if got := (SSM{Config: aws.Config{Region: region}}).Endpoint(); got != want {
			t.Errorf("%s: %s", region, got)
		}
	}
}
