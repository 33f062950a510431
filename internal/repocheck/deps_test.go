package repocheck

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/fangxian/fangxian/shared/manifest"
)

const module = "github.com/fangxian/fangxian/"

// deps lists the packages pkg links (go list -deps).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// sdkServices are the AWS SDK service packages a binary links (not their
// internal packages).
func sdkServices(pkgs []string) []string {
	var out []string
	for _, p := range pkgs {
		rest, ok := strings.CutPrefix(p, "github.com/aws/aws-sdk-go-v2/service/")
		if !ok || strings.HasPrefix(rest, "internal/") || strings.Contains(rest, "/") {
			continue
		}
		out = append(out, rest)
	}
	return out
}

// TestFunctionsLinkOnlyTheClientsTheyCall: every function links the
// DynamoDB client and no other SDK service client (the queue, SSM and End
// User Messaging calls are single signed calls: shared/awsjson); the queue
// adapter only where it sends to a queue, the SMS providers only where it
// sends SMS. (attributevalue links the DynamoDB Streams types, not its
// client: a sub-package, not counted.)
func TestFunctionsLinkOnlyTheClientsTheyCall(t *testing.T) {
	for _, fn := range manifest.Functions {
		linked := deps(t, "functions/"+fn.Name)
		if got := sdkServices(linked); !slices.Equal(got, []string{"dynamodb"}) {
			t.Errorf("functions/%s links the SDK clients %v, want only dynamodb", fn.Name, got)
		}
		for _, a := range []struct {
			pkg    string
			wanted bool
		}{{"shared/queue", len(fn.SendsTo) > 0}, {"shared/sms/provider", fn.SendsSMS}} {
			if got := slices.Contains(linked, module+a.pkg); got != a.wanted {
				t.Errorf("functions/%s links %s = %v, want %v", fn.Name, a.pkg, got, a.wanted)
			}
		}
	}
}

// capabilities may not import each other: they meet in orchestrators
// (smsflow, playbook, retention) and in the composition root.
var capabilities = []string{"booking", "supplies", "help", "volunteers", "notices", "screening", "watch", "reserve", "care"}

func TestCapabilitiesDoNotImportEachOther(t *testing.T) {
	for _, c := range capabilities {
		for _, d := range deps(t, "shared/"+c) {
			for _, other := range capabilities {
				if other != c && d == module+"shared/"+other {
					t.Errorf("shared/%s imports shared/%s: capabilities meet in an orchestrator, not in each other", c, other)
				}
			}
		}
	}
}
