// Package repocheck holds the repository's own rules, checked on every
// `make test`: the repository holds source only.
package repocheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// maxTracked is the largest file the repository may hold: anything bigger
// is an export, a download or a build output, which belong under .cache/.
const maxTracked = 1 << 20

// root is the module's root, where git runs.
func root(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// TestOnlySourceIsTracked refuses a tracked file over 1 MiB and a tracked
// compiled binary (ELF, Mach-O, PE, or any executable that is not text).
func TestOnlySourceIsTracked(t *testing.T) {
	dir := root(t)
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files in %s (this test needs the repository's git checkout): %v", dir, err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	if len(files) < 50 {
		t.Fatalf("git lists %d files in %s: not the repository", len(files), dir)
	}
	for _, f := range files {
		path := filepath.Join(dir, f)
		st, err := os.Lstat(path)
		if err != nil {
			continue // deleted in the work tree, not yet committed
		}
		if !st.Mode().IsRegular() {
			continue
		}
		if st.Size() > maxTracked {
			t.Errorf("%s is %d bytes: over %d, it is not source (build outputs and exports go under .cache/)", f, st.Size(), maxTracked)
		}
		if why := binary(path, st.Mode()); why != "" {
			t.Errorf("%s is %s: the repository holds source only", f, why)
		}
	}
}

// binary says what kind of compiled file path is, or "" for source.
func binary(path string, mode os.FileMode) string {
	fh, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer fh.Close()
	head := make([]byte, 512)
	n, _ := fh.Read(head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return "an ELF binary"
	case bytes.HasPrefix(head, []byte{0xcf, 0xfa, 0xed, 0xfe}), bytes.HasPrefix(head, []byte{0xce, 0xfa, 0xed, 0xfe}),
		bytes.HasPrefix(head, []byte{0xca, 0xfe, 0xba, 0xbe}):
		return "a Mach-O binary"
	case bytes.HasPrefix(head, []byte("MZ")) && bytes.Contains(head, []byte{0}):
		return "a Windows executable"
	case mode&0o111 != 0 && bytes.IndexByte(head, 0) >= 0:
		return "an executable that is not text"
	}
	return ""
}

// TestBinaryIsRecognised keeps the check honest: it must flag what it is for.
func TestBinaryIsRecognised(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(self)
	if err != nil {
		t.Fatal(err)
	}
	if binary(self, st.Mode()) == "" {
		t.Fatalf("the test binary %s is not recognised as compiled", self)
	}
	src := filepath.Join(t.TempDir(), "run")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho ok\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if why := binary(src, 0o755); why != "" {
		t.Fatalf("a shell script is taken for %s", why)
	}
}
