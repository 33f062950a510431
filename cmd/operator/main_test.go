package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/fangxian/fangxian/internal/dynamolocal"
)

func TestMain(m *testing.M) { os.Exit(dynamolocal.RunTests(m)) }

func TestBootstrapAdminRefusesASecond(t *testing.T) {
	_, table := dynamolocal.NewTable(t)
	ctx := context.Background()
	args := func(phone string, extra ...string) []string {
		return append([]string{"bootstrap-admin", "-table", table, "-street-name", "酒泉路街道", "-name", "郭佳", "-phone", phone}, extra...)
	}
	var out bytes.Buffer
	if err := run(ctx, args("13912345678"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "139****5678") || strings.Contains(out.String(), "13912345678") {
		t.Errorf("output %q should show the phone masked", out.String())
	}
	if err := run(ctx, args("13912345679"), &out); err == nil || !strings.Contains(err.Error(), "first admin already") {
		t.Fatalf("a second bootstrap: %v", err)
	}
	if err := run(ctx, args("13912345679", "-force"), &out); err != nil {
		t.Fatalf("forced: %v", err)
	}
	if err := run(ctx, args("12345"), &out); err == nil {
		t.Fatal("a bad phone was accepted")
	}
}
