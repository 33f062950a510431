package main

import (
	"path/filepath"

	"github.com/fangxian/fangxian/internal/lambdabuild"
	"github.com/fangxian/fangxian/shared/manifest"
)

// buildBootstraps builds each function for Lambda's arm64 runtime into
// outDir/<name>/bootstrap and returns the folder of each.
func buildBootstraps(fns []manifest.Function, outDir string) (map[string]string, error) {
	dirs := map[string]string{}
	for _, fn := range fns {
		dir := filepath.Join(outDir, fn.Name)
		if _, err := lambdabuild.Build("./functions/"+fn.Name, dir, "arm64"); err != nil {
			return nil, err
		}
		dirs[fn.Name] = dir
	}
	return dirs, nil
}
