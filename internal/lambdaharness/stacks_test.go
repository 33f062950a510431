//go:build stacks

// The stacks test runs after `make synth` (`make stacks`; `make test` runs
// both): it needs the synthesised templates, which a bare `go test ./...`
// does not make.

package lambdaharness_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fangxian/fangxian/internal/lambdaharness"
	"github.com/fangxian/fangxian/shared/manifest"
)

// stacks are the templates `make synth` writes, and the region each is
// for (the China stack names its own; the others take the deployer's).
var stacks = []struct{ path, region string }{
	{"cdk.out/Fangxian-dev.template.json", "ap-southeast-1"},
	{"cdk.out/Fangxian-prod.template.json", "ap-southeast-1"},
	{"cdk.out/aws-cn/Fangxian-prod.template.json", "cn-northwest-1"},
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// TestEveryFunctionOfEveryStackStarts starts every function of every
// synthesised stack with its template's exact environment (what CloudFormation
// resolves at deploy time given values of the right shape) and fails if one
// does not reach the Runtime API's /next: a function that would die at
// init in the cloud dies here.
func TestEveryFunctionOfEveryStackStarts(t *testing.T) {
	root := filepath.Join("..", "..")
	bins := map[string]string{}
	for _, st := range stacks {
		raw, err := os.ReadFile(filepath.Join(root, st.path))
		if err != nil {
			t.Fatalf("%s: %v (make synth writes it)", st.path, err)
		}
		var tpl struct {
			Resources map[string]resource `json:"Resources"`
		}
		if err := json.Unmarshal(raw, &tpl); err != nil {
			t.Fatalf("%s: %v", st.path, err)
		}
		started := 0
		ids := make([]string, 0, len(tpl.Resources))
		for id := range tpl.Resources {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			res := tpl.Resources[id]
			if res.Type != "AWS::Lambda::Function" {
				continue
			}
			fn, ok := functionOf(id)
			if !ok {
				continue // the CDK's own helpers (log retention, custom resources)
			}
			env, err := environment(res, tpl.Resources, st.region)
			if err != nil {
				t.Errorf("%s %s: %v", st.path, id, err)
				continue
			}
			if bins[fn.Name] == "" {
				bins[fn.Name] = buildHost(t, "functions/"+fn.Name)
			}
			p, err := lambdaharness.Start(bins[fn.Name], env...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			_, err = p.WaitReady(ctx)
			cancel()
			p.Stop()
			if err != nil {
				t.Errorf("%s: %s does not start with its template's environment: %v", st.path, fn.Name, err)
				continue
			}
			started++
		}
		if started == 0 {
			t.Errorf("%s: no function started", st.path)
		}
		t.Logf("%s: %d functions reached /next", st.path, started)
	}
}

// functionOf is the manifest function whose Lambda has logical id id
// (<PascalName>Function<hash>).
func functionOf(id string) (manifest.Function, bool) {
	for _, fn := range manifest.Functions {
		pascal := ""
		for _, part := range strings.FieldsFunc(fn.Name, func(r rune) bool { return r == '-' }) {
			pascal += strings.ToUpper(part[:1]) + part[1:]
		}
		if rest, ok := strings.CutPrefix(id, pascal+"Function"); ok && !strings.Contains(rest, "ServiceRole") {
			return fn, true
		}
	}
	return manifest.Function{}, false
}

// environment is a function's variables as the template gives them, each
// intrinsic resolved to a value of the shape CloudFormation would give.
func environment(fn resource, all map[string]resource, region string) ([]string, error) {
	envp, _ := fn.Properties["Environment"].(map[string]any)
	vars, _ := envp["Variables"].(map[string]any)
	out := []string{"AWS_REGION=" + region}
	for name, v := range vars {
		s, err := resolve(v, all, region)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, name+"="+s)
	}
	return out, nil
}

func resolve(v any, all map[string]resource, region string) (string, error) {
	suffix := "amazonaws.com"
	partition := "aws"
	if strings.HasPrefix(region, "cn-") {
		suffix, partition = "amazonaws.com.cn", "aws-cn"
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok {
			switch ref {
			case "AWS::Region":
				return region, nil
			case "AWS::URLSuffix":
				return suffix, nil
			case "AWS::Partition":
				return partition, nil
			case "AWS::AccountId":
				return "123456789012", nil
			}
			switch all[ref].Type {
			case "AWS::SQS::Queue":
				return "https://sqs." + region + "." + suffix + "/123456789012/" + ref, nil
			case "AWS::DynamoDB::Table":
				return "Fangxian-" + ref, nil
			}
			return "", fmt.Errorf("a Ref to %s (%s) the test does not know the shape of", ref, all[ref].Type)
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			id, _ := ga[0].(string)
			attr, _ := ga[1].(string)
			switch attr {
			case "QueueUrl":
				return "https://sqs." + region + "." + suffix + "/123456789012/" + id, nil
			case "Arn":
				return "arn:" + partition + ":service:" + region + ":123456789012:" + id, nil
			}
			return "", fmt.Errorf("Fn::GetAtt %s.%s the test does not know the shape of", id, attr)
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			parts, _ := j[1].([]any)
			var ss []string
			for _, p := range parts {
				s, err := resolve(p, all, region)
				if err != nil {
					return "", err
				}
				ss = append(ss, s)
			}
			return strings.Join(ss, sep), nil
		}
	}
	return "", fmt.Errorf("a value the test cannot resolve: %v", v)
}
