package lambdaharness_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fangxian/fangxian/shared/auth"
)

// fakeAWS answers the AWS JSON-protocol calls the functions make: SSM
// GetParameter (a signing key, a callback secret), SendTextMessage (SMS) and
// SQS SendMessageBatch (the dispatch queue), so the real binaries can start
// and serve on this machine.
type fakeAWS struct {
	*httptest.Server
	params map[string]string
	mu     sync.Mutex
	sms    []map[string]any
	queued int
}

func newFakeAWS(t testing.TB, params map[string]string) *fakeAWS {
	f := &fakeAWS{params: params}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch target := r.Header.Get("X-Amz-Target"); {
		case strings.HasSuffix(target, ".GetParameter"):
			name, _ := in["Name"].(string)
			v, ok := f.params[name]
			if !ok {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"__type":"ParameterNotFound","message":"not found"}`))
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{"Name": name, "Value": v, "Type": "SecureString"}})
		case target == "AmazonSQS.SendMessageBatch":
			f.mu.Lock()
			f.queued++
			f.mu.Unlock()
			_, _ = w.Write([]byte(`{"Successful":[]}`))
		case strings.HasSuffix(target, ".SendTextMessage"):
			if to, _ := in["DestinationPhoneNumber"].(string); strings.HasSuffix(to, "9999") {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"__type":"ValidationException","message":"Destination ` + to + ` is blocked"}`))
				return
			}
			f.mu.Lock()
			f.sms = append(f.sms, in)
			f.mu.Unlock()
			_, _ = w.Write([]byte(`{"MessageId":"m-1"}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"UnknownOperationException"}`))
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAWS) sent() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.sms...)
}

// fakeDeployment is what `operator init-keys` gives a stage: the private key
// in SSM (served by a fake), the public key published in the table.
func fakeDeployment(t testing.TB, keys publisher) *fakeAWS {
	t.Helper()
	private, _, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	iss, err := auth.NewIssuer(private, auth.Audience("test"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.PublishSigningKey(context.Background(), iss.PublicKey()); err != nil {
		t.Fatal(err)
	}
	return newFakeAWS(t, map[string]string{"/fangxian/test/jwt-private-key": string(private),
		"/fangxian/test/sms-callback-secret": callbackSecret + "\n" + previousCallbackSecret})
}

type publisher interface {
	PublishSigningKey(ctx context.Context, k auth.PublicKey) error
}

// functionEnv is the environment the stack gives every function, pointing
// AWS calls at the fake.
func functionEnv(aws *fakeAWS) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_ENDPOINT_URL=" + aws.URL,
		"JWT_PRIVATE_KEY_PARAMETER=/fangxian/test/jwt-private-key",
		"SMS_CALLBACK_SECRET_PARAMETER=/fangxian/test/sms-callback-secret", "SMS_PROVIDER=pinpoint",
		"SMS_SIGNATURE=防线", "STAGE=test",
		"QUEUE_URL_DISPATCH=" + aws.URL + "/123456789012/dispatch", "SMS_PARTS_PER_SECOND=10", "QUEUE_MAX_CONCURRENCY=2", "QUEUE_MAX_RECEIVES=5",
	}
}

// The callback secrets of the fake deployment: the current and the previous.
const (
	callbackSecret         = "cb-secret-0123456789-0123456789-0123456789"
	previousCallbackSecret = "cb-secret-previous-0123456789-0123456789"
)

// discard publishes nowhere.
type discard struct{}

func (discard) PublishSigningKey(context.Context, auth.PublicKey) error { return nil }
