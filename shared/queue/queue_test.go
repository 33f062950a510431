package queue_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fangxian/fangxian/shared/queue"
)

// TestSQSSendsOneSignedBatch: SendBatch is one SendMessageBatch of SQS's
// JSON protocol, signed; a refused entry is an error.
func TestSQSSendsOneSignedBatch(t *testing.T) {
	var got struct {
		QueueURL string `json:"QueueUrl"`
		Entries  []struct {
			ID          string `json:"Id"`
			MessageBody string `json:"MessageBody"`
		} `json:"Entries"`
	}
	refuse := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AmazonSQS.SendMessageBatch" || r.Header.Get("Content-Type") != "application/x-amz-json-1.0" ||
			!strings.Contains(r.Header.Get("Authorization"), "/sqs/aws4_request") {
			http.Error(w, `{"__type":"com.amazonaws.sqs#InvalidAction","message":"bad request"}`, http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &got)
		if refuse {
			_, _ = w.Write([]byte(`{"Successful":[{"Id":"0"}],"Failed":[{"Id":"1","Code":"InvalidMessageContents","Message":"bad"}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"Successful":[{"Id":"0"},{"Id":"1"}]}`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "cn-northwest-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "id", SecretAccessKey: "secret"}, nil
		})}
	q := queue.Open(cfg, "https://sqs.cn-northwest-1.amazonaws.com.cn/1/dispatch")
	if err := q.SendBatch(context.Background(), []string{`{"kind":"a"}`, `{"kind":"b"}`}); err != nil {
		t.Fatal(err)
	}
	if got.QueueURL != "https://sqs.cn-northwest-1.amazonaws.com.cn/1/dispatch" || len(got.Entries) != 2 || got.Entries[1].MessageBody != `{"kind":"b"}` {
		t.Fatalf("sent %+v", got)
	}
	refuse = true
	if err := q.SendBatch(context.Background(), []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "1 of 2") {
		t.Fatalf("a refused entry: %v", err)
	}
	srv.Close()
	if err := q.SendBatch(context.Background(), []string{"a"}); err == nil {
		t.Fatal("a queue that cannot be reached took the batch")
	}
}
