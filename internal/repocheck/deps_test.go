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
// DynamoDB client; the End User Messaging client only where it sends SMS;
// the queue adapter (one signed call, no SDK client) only where it sends
// to a queue. (attributevalue links the DynamoDB Streams types, not its
// client: a sub-package, not counted.)
func TestFunctionsLinkOnlyTheClientsTheyCall(t *testing.T) {
	for _, fn := range manifest.Functions {
		want := []string{"dynamodb"}
		if fn.SendsSMS {
			want = append(want, "pinpointsmsvoicev2")
		}
		slices.Sort(want)
		linked := deps(t, "functions/"+fn.Name)
		got := sdkServices(linked)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("functions/%s links the SDK clients %v, want %v", fn.Name, got, want)
		}
		if queues := slices.Contains(linked, module+"shared/queue"); queues != (len(fn.SendsTo) > 0) {
			t.Errorf("functions/%s links the queue adapter = %v, sends to a queue = %v", fn.Name, queues, len(fn.SendsTo) > 0)
		}
	}
}

// capabilities may not import each other: they meet in orchestrators
// (smsflow, playbook, retention) and in the composition root.
var capabilities = []string{"booking", "supplies", "help", "volunteers", "notices"}

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
