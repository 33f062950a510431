// Package console builds the office console (console/, Vue + Vite) once
// per change of its sources and serves the build under /console/ from the
// API's own origin.
package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Prefix is where the console is served, beside the API.
const Prefix = "/console/"

// CSP lets the console load only what its own origin serves: no inline
// script, no other host (the API is the same origin).
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// sources are what a build depends on, under console/.
var sources = []string{"index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json", "src"}

// Build builds the console of the repository at root into
// root/.cache/console/dist unless the build there was made from the same
// sources; it installs the console's pinned packages first when its lock
// file changed. It answers the build's directory.
func Build(ctx context.Context, root string, log io.Writer) (string, error) {
	// Absolute: vite runs in console/ and takes the output path from there.
	root, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "console")
	cache := filepath.Join(root, ".cache", "console")
	dist := filepath.Join(cache, "dist")
	sum, err := hashOf(dir, sources)
	if err != nil {
		return "", err
	}
	if was, err := os.ReadFile(filepath.Join(cache, "sources.sha256")); err == nil && string(was) == sum {
		if _, err := os.Stat(filepath.Join(dist, "index.html")); err == nil {
			return dist, nil
		}
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	if err := Install(ctx, root, log); err != nil {
		return "", err
	}
	fmt.Fprintln(log, "building the console (console/ changed) …")
	if err := run(ctx, dir, log, "npx", "--no-install", "vite", "build", "--logLevel", "warn", "--outDir", dist); err != nil {
		return "", fmt.Errorf("console build: %w", err)
	}
	return dist, os.WriteFile(filepath.Join(cache, "sources.sha256"), []byte(sum), 0o644)
}

// Install installs the console's packages as its lock file pins them
// (npm ci checks each one's integrity), when the lock changed since.
func Install(ctx context.Context, root string, log io.Writer) error {
	dir := filepath.Join(root, "console")
	stamp := filepath.Join(root, ".cache", "console", "lock.sha256")
	lock, err := hashOf(dir, []string{"package-lock.json"})
	if err != nil {
		return err
	}
	if was, err := os.ReadFile(stamp); err == nil && string(was) == lock {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil {
			return nil
		}
	}
	fmt.Fprintln(log, "installing the console's packages (npm ci) …")
	if err := run(ctx, dir, log, "npm", "ci", "--no-audit", "--no-fund", "--loglevel", "error"); err != nil {
		return fmt.Errorf("console packages: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(stamp), 0o755); err != nil {
		return err
	}
	return os.WriteFile(stamp, []byte(lock), 0o644)
}

func run(ctx context.Context, dir string, log io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
	return cmd.Run()
}

// hashOf is the SHA-256 of the named files and trees under dir, by path.
func hashOf(dir string, names []string) (string, error) {
	var files []string
	for _, n := range names {
		err := filepath.WalkDir(filepath.Join(dir, n), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(dir, f)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Handler serves a build under Prefix: its files, index.html for the
// pages (they route by the hash), with the CSP; hashed assets are kept a
// year, the page never.
func Handler(dist string) http.Handler {
	files := http.FileServer(http.Dir(dist))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
			return
		}
		rest := strings.TrimPrefix(r.URL.Path, Prefix)
		if strings.HasPrefix(rest, "assets/") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		if rest == "" || !strings.Contains(rest, ".") {
			http.ServeFile(w, r, filepath.Join(dist, "index.html"))
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + rest
		files.ServeHTTP(w, r2)
	})
}

// ErrNotBuilt is answered when the console's build is missing.
var ErrNotBuilt = errors.New("console: not built")
