// Package docsasset fetches the renderer of the API reference page
// (GET /v1/docs): Redoc's standalone bundle, from the npm package redoc,
// pinned by version and tarball sha256. The local runner serves it from the
// cache; the CDK app copies it beside the system function's bootstrap.
package docsasset

import (
	"path/filepath"

	"github.com/fangxian/fangxian/internal/npmfetch"
)

// File is the bundle's name, as served under /v1/docs/.
const File = "redoc.standalone.js"

// redoc 2.5.2: the last release of the 2.x line, whose standalone bundle
// renders a <redoc spec-url> element by itself (no inline script, so the
// page keeps a strict Content-Security-Policy).
var redoc = npmfetch.Package{
	Name: "redoc", Version: "2.5.2",
	SHA256: "b80462bec8e96d985086b1a23768f46f0776ed37c719b9a752fd443557282e03",
	Prefix: "package/bundles/", Files: []string{File, File + ".LICENSE.txt"}, Must: File, Size: "1.2 MB",
}

// Path returns the bundle's path, fetching it first if needed.
func Path() (string, error) {
	dir, err := npmfetch.Ensure(redoc)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, File), nil
}
