package openapi

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/fangxian/fangxian/shared/manifest"
)

// TestDocumentListsExactlyTheManifestRoutes keeps the published contract and
// the deployed routes from drifting apart in either direction.
func TestDocumentListsExactlyTheManifestRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(Document(), &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	var documented []string
	ops := map[string]string{}
	for path, methods := range doc.Paths {
		for method, raw := range methods {
			if method == "parameters" {
				continue
			}
			var op struct {
				OperationID string `json:"operationId"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			p := strings.ToUpper(method) + " " + path
			documented = append(documented, p)
			ops[p] = op.OperationID
		}
	}
	var declared []string
	for _, r := range manifest.Routes(manifest.Functions) {
		declared = append(declared, r.Pattern())
		if got := ops[r.Pattern()]; got != r.Op {
			t.Errorf("%s: operationId %q, manifest op %q", r.Pattern(), got, r.Op)
		}
	}
	slices.Sort(documented)
	slices.Sort(declared)
	if !slices.Equal(documented, declared) {
		t.Fatalf("openapi.json paths differ from the manifest\n documented: %v\n declared:   %v", documented, declared)
	}
}
