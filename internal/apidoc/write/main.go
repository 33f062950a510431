// Command write regenerates shared/openapi/openapi.json from the manifest
// and internal/apidoc: go generate ./shared/openapi
package main

import (
	"fmt"
	"os"

	"github.com/fangxian/fangxian/internal/apidoc"
	"github.com/fangxian/fangxian/shared/manifest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: write PATH")
		os.Exit(2)
	}
	doc, err := apidoc.Build(manifest.Routes(manifest.Functions))
	if err == nil {
		var b []byte
		if b, err = apidoc.JSON(doc); err == nil {
			err = os.WriteFile(os.Args[1], b, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apidoc:", err)
		os.Exit(1)
	}
}
