package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/fangxian/fangxian/shared/inbound"
	"github.com/fangxian/fangxian/shared/sms"
)

// memParameters is Parameter Store in memory.
type memParameters map[string]string

func (m memParameters) Get(_ context.Context, name string) (string, error) {
	v, ok := m[name]
	if !ok {
		return "", errNoParameter
	}
	return v, nil
}

func (m memParameters) Put(_ context.Context, name, value, _ string, _ bool) error {
	m[name] = value
	return nil
}

func withParameters(t *testing.T) memParameters {
	t.Helper()
	mem := memParameters{}
	old := newParameters
	newParameters = func(context.Context) (parameters, error) { return mem, nil }
	t.Cleanup(func() { newParameters = old })
	return mem
}

func TestRotateCallbackSecret(t *testing.T) {
	mem := withParameters(t)
	ctx := context.Background()
	name := "/fangxian/prod/sms-callback-secret"
	url := regexp.MustCompile(`https://api\.example\.cn/v1/sms/callbacks/([A-Za-z0-9_-]+)/receipts`)
	rotate := func(extra ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, append([]string{"rotate-callback-secret", "-stage", "prod", "-api-url", "https://api.example.cn/"}, extra...), &out); err != nil {
			t.Fatal(err)
		}
		m := url.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no receipts URL in %q", out.String())
		}
		return m[1]
	}
	first := rotate()
	if secrets, err := inbound.ParseSecrets([]byte(mem[name])); err != nil || len(secrets) != 1 || secrets[0] != first {
		t.Fatalf("after the first: %q %v", mem[name], err)
	}
	second := rotate()
	if secrets, _ := inbound.ParseSecrets([]byte(mem[name])); len(secrets) != 2 || secrets[0] != second || secrets[1] != first {
		t.Fatalf("a rotation keeps the previous secret: %q", mem[name])
	}
	third := rotate()
	if secrets, _ := inbound.ParseSecrets([]byte(mem[name])); len(secrets) != 2 || secrets[0] != third || secrets[1] != second {
		t.Fatalf("only one previous secret is kept: %q", mem[name])
	}
	fourth := rotate("-drop-previous")
	if mem[name] != fourth || len(fourth) < inbound.MinSecretLength {
		t.Fatalf("-drop-previous: %q", mem[name])
	}
}

func TestPutTencentKeyNeedsTheEnvironment(t *testing.T) {
	mem := withParameters(t)
	t.Setenv("TENCENTCLOUD_SECRET_ID", "")
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "")
	if err := run(context.Background(), []string{"put-tencent-key", "-stage", "prod"}, &bytes.Buffer{}); err == nil {
		t.Fatal("stored a key from an empty environment")
	}
	t.Setenv("TENCENTCLOUD_SECRET_ID", "AKIDexample0123")
	t.Setenv("TENCENTCLOUD_SECRET_KEY", "the-secret-key")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"put-tencent-key", "-stage", "prod"}, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "the-secret-key") || strings.Contains(out.String(), "AKIDexample0123") {
		t.Errorf("the output echoes the key: %q", out.String())
	}
	var stored map[string]string
	if err := json.Unmarshal([]byte(mem["/fangxian/prod/tencent-sms-secret"]), &stored); err != nil || stored["secretKey"] != "the-secret-key" {
		t.Errorf("stored %q", mem["/fangxian/prod/tencent-sms-secret"])
	}
}

func TestSMSTemplatesListTheCatalogue(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sms-templates", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Name, NumberedText string
		Variables          []struct{ Number int }
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sms.Catalogue()) {
		t.Fatalf("%d templates listed, the catalogue has %d", len(got), len(sms.Catalogue()))
	}
	for _, e := range got {
		for _, v := range e.Variables {
			if !strings.Contains(e.NumberedText, "{"+string(rune('0'+v.Number))+"}") {
				t.Errorf("%s: no {%d} in %q", e.Name, v.Number, e.NumberedText)
			}
		}
		if strings.ContainsAny(e.NumberedText, "abcdefghijklmnopqrstuvwxyz") {
			t.Errorf("%s: a named variable is left in %q", e.Name, e.NumberedText)
		}
	}
}
