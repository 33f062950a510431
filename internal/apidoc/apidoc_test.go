package apidoc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/fangxian/fangxian/shared/manifest"
)

// TestCommittedDocumentIsCurrent: the served document is what the manifest
// and this package say, byte for byte.
func TestCommittedDocumentIsCurrent(t *testing.T) {
	doc, err := Build(manifest.Routes(manifest.Functions))
	if err != nil {
		t.Fatal(err)
	}
	want, err := JSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "shared", "openapi", "openapi.json")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go generate ./shared/openapi", path)
	}
}

// TestDocumentIsValidOpenAPI loads the document as a client's tools would
// and validates it, examples and patterns included.
func TestDocumentIsValidOpenAPI(t *testing.T) {
	doc, err := Build(manifest.Routes(manifest.Functions))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := JSON(doc)
	loaded, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for path, item := range loaded.Paths.Map() {
		for method, op := range item.Operations() {
			has4xx := false
			for code := range op.Responses.Map() {
				if code[0] == '4' {
					has4xx = true
				}
			}
			if !has4xx {
				t.Errorf("%s %s documents no 4xx answer", method, path)
			}
		}
	}
}
