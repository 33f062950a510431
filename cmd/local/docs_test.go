package main

import (
	"bytes"
	"context"
	"errors"
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
	t.Parallel() // its own table: it runs beside the others
	// Debian's launcher script adds extensions and GPU flags and trips on
	// machines with two /dev/shm mounts; the binary behind it needs neither.
	browser := ""
	for _, name := range []string{"/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Fatal("this test needs Chromium: apt-get install chromium (.ci/run installs it)")
	}
	w := newWorld(t)
	if w.d.root.DocsScript == "" {
		t.Fatal("the page's renderer was not fetched")
	}
	srv := httptest.NewServer(w.h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	var dom []byte
	// A browser that dies of a signal at start-up (seen once on a CI
	// machine) says nothing about the page: start it again, at most twice.
	// Any other failure, and the checks on the page below, count.
	for attempt := 1; ; attempt++ {
		stderr.Reset()
		cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--no-zygote", "--disable-gpu", "--disable-quic",
			"--no-first-run", "--disable-dev-shm-usage", "--disable-extensions", "--disable-crash-reporter",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
			"--enable-logging=stderr", "--virtual-time-budget=30000", "--dump-dom", srv.URL+"/v1/docs")
		cmd.Stderr = &stderr
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		out, err := cmd.Output()
		if err == nil {
			dom = out
			break
		}
		var exit *exec.ExitError
		crashed := errors.As(err, &exit) && !exit.Exited() && ctx.Err() == nil
		if !crashed || attempt == 3 {
			t.Fatalf("chromium (attempt %d): %v\n%s", attempt, err, stderr.String())
		}
		t.Logf("chromium died at attempt %d (%v); starting it again", attempt, err)
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
