package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestEveryKeyPrefixIsDocumented: each piece of text a key builder puts in
// a key (ROUND#, SLOT#, HOURS#, ACTLOCK# …) is in docs/access-patterns.md,
// so the document stays the whole truth about the table's layout.
func TestEveryKeyPrefixIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/access-patterns.md")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	f.Imports, f.Decls = nil, slicesWithoutImports(f.Decls)
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		v, _ := strconv.Unquote(lit.Value)
		if strings.Trim(v, "#") == "" || seen[v] {
			return true
		}
		seen[v] = true
		want := v
		if strings.HasSuffix(v, "#") && !strings.HasPrefix(v, "#") {
			want = "`" + v // the start of a key in the document's tables
		}
		if !strings.Contains(string(doc), want) {
			t.Errorf("keys.go spells %q, which docs/access-patterns.md does not", v)
		}
		return true
	})
	if len(seen) < 40 {
		t.Fatalf("only %d pieces of keys found in keys.go", len(seen))
	}
}

func slicesWithoutImports(decls []ast.Decl) []ast.Decl {
	var out []ast.Decl
	for _, d := range decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			continue
		}
		out = append(out, d)
	}
	return out
}
