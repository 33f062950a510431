package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReferencePageListsEveryOperation loads GET /v1/docs in headless
// Chromium, as a reader would, and finds every operation of the document
// rendered on it; the page's policy lets nothing load from elsewhere.
func TestReferencePageListsEveryOperation(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Fatal("this test needs Chromium: apt-get install chromium (.ci/run installs it)")
	}
	w := newWorld(t)
	if w.d.redoc == "" {
		t.Fatal("the page's renderer was not fetched")
	}
	srv := httptest.NewServer(w.h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
		"--enable-logging=stderr", "--virtual-time-budget=30000", "--dump-dom", srv.URL+"/v1/docs")
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, id := range checker.Operations() {
		if !bytes.Contains(dom, []byte("operation/"+id)) {
			t.Errorf("the page does not show operation %s", id)
		}
	}
	// Redoc links its "Powered by" logo to its CDN: the page's policy blocks
	// it, which is the point. Anything else blocked is a broken page.
	for _, line := range strings.Split(stderr.String(), "\n") {
		if !strings.Contains(line, "Content Security Policy") {
			continue
		}
		if !regexp.MustCompile(`cdn\.redoc\.ly/redoc/logo`).MatchString(line) {
			t.Errorf("blocked on the page: %s", line)
		}
	}
}
