// Package lambdabuild compiles a function into a Lambda `bootstrap` binary. The
// CDK app and the cold-start benchmark both build through it, so what is
// measured is what is deployed.
package lambdabuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build compiles the Go package pkg (e.g. "./functions/system") into
// out/bootstrap for linux/goarch. The flags are those of Lambda's Go guidance
// for provided.al2023 (no RPC shim, static, stripped) plus -trimpath and no VCS
// stamp, which make the binary reproducible: an unchanged function keeps its
// asset hash and is not redeployed.
func Build(pkg, outDir, goarch string) (string, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(outDir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", pkg, err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}
