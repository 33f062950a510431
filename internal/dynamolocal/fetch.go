// Package dynamolocal fetches, starts and stops DynamoDB Local (the official
// AWS engine) for the local runner and the tests. The jar comes from the npm
// package amplify-dynamodb-simulator, pinned by version and by the sha256 of
// its tarball, and is cached in the repository's ignored .cache folder.
package dynamolocal

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
	"strings"
	"syscall"
)

const (
	// npmPackage is the npm package that ships DynamoDBLocal.jar.
	npmPackage = "amplify-dynamodb-simulator"
	// Version is the pinned version of npmPackage.
	Version = "2.9.30"
	// tarballSHA256 is the sha256 of npmPackage-Version.tgz as npm serves it.
	tarballSHA256 = "3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9"
)

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
			return "", errors.New("dynamolocal: no go.mod above the working directory; set FANGXIAN_CACHE")
		}
		dir = parent
	}
}

// Ensure returns the folder holding DynamoDBLocal.jar and DynamoDBLocal_lib,
// fetching and checking them first if they are not cached yet. Concurrent
// callers (test binaries run in parallel) wait on a file lock.
func Ensure() (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "dynamodb-local-"+Version)
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(cache, ".dynamodb-local.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("dynamolocal: lock: %w", err)
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
	fmt.Fprintf(os.Stderr, "dynamolocal: fetching DynamoDB Local (npm %s@%s, ~56 MB) into %s\n", npmPackage, Version, dir)
	cmd := exec.Command("npm", "pack", "--silent", npmPackage+"@"+Version, "--pack-destination", tmp)
	cmd.Stderr = os.Stderr
	if out, err := cmd.Output(); err != nil {
		return "", fmt.Errorf("dynamolocal: npm pack %s@%s: %w (is npm on PATH and the registry reachable?)", npmPackage, Version, err)
	} else if name := strings.TrimSpace(string(out)); name == "" {
		return "", errors.New("dynamolocal: npm pack printed no file name")
	}
	tgz := filepath.Join(tmp, npmPackage+"-"+Version+".tgz")
	if err := checkSHA256(tgz, tarballSHA256); err != nil {
		return "", err
	}
	_ = os.RemoveAll(dir)
	if err := extractEmulator(tgz, dir); err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	if err := os.WriteFile(done, []byte(tarballSHA256+"\n"), 0o644); err != nil {
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
		return fmt.Errorf("dynamolocal: %s has sha256 %s, want %s: refusing to run it", filepath.Base(path), got, want)
	}
	return nil
}

// extractEmulator unpacks package/emulator/ of the tarball into dir.
func extractEmulator(tgz, dir string) error {
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
	const prefix = "package/emulator/"
	found := false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("dynamolocal: read %s: %w", tgz, err)
		}
		if hdr.Typeflag != tar.TypeReg || !strings.HasPrefix(hdr.Name, prefix) {
			continue
		}
		rel := filepath.FromSlash(strings.TrimPrefix(hdr.Name, prefix))
		if rel == "" || strings.Contains(rel, "..") {
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
		if rel == "DynamoDBLocal.jar" {
			found = true
		}
	}
	if !found {
		return fmt.Errorf("dynamolocal: %s has no %sDynamoDBLocal.jar", tgz, prefix)
	}
	return nil
}
