package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/fangxian/fangxian/internal/docsasset"
	"github.com/fangxian/fangxian/internal/lambdabuild"
	"github.com/fangxian/fangxian/shared/manifest"
)

// buildBootstraps builds each function for Lambda's arm64 runtime into
// outDir/<name>/bootstrap, puts its assets beside it, and returns the
// folder of each.
func buildBootstraps(fns []manifest.Function, outDir string) (map[string]string, error) {
	dirs := map[string]string{}
	for _, fn := range fns {
		dir := filepath.Join(outDir, fn.Name)
		if _, err := lambdabuild.Build("./functions/"+fn.Name, dir, "arm64"); err != nil {
			return nil, err
		}
		for _, asset := range fn.Assets {
			if err := copyAsset(asset, dir); err != nil {
				return nil, err
			}
		}
		dirs[fn.Name] = dir
	}
	return dirs, nil
}

// copyAsset puts a named asset into a function's folder.
func copyAsset(name, dir string) error {
	var src string
	switch name {
	case manifest.RedocAsset:
		p, err := docsasset.Path()
		if err != nil {
			return err
		}
		src = p
	default:
		return fmt.Errorf("infra: no source for asset %q", name)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), b, 0o644)
}
