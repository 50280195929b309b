package calls

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/dialtone/dialtone/"

// The call engine and the B2BUA loop know no SIP: package calls, and
// every package of the module it imports, directly or not, import
// neither package sip nor sipgo. The test reads the import lines of the
// packages' non-test files (the module root is the parent directory).
func TestCallsImportsNoSIP(t *testing.T) {
	seen := map[string]bool{}
	var visit func(pkg, via string)
	visit = func(pkg, via string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		for _, imp := range importsOf(t, filepath.Join("..", filepath.FromSlash(pkg))) {
			switch {
			case strings.HasPrefix(imp, "github.com/emiago/sipgo"), imp == module+"sip":
				t.Errorf("%s imports %s (through %s)", pkg, imp, via+pkg)
			case strings.HasPrefix(imp, module):
				visit(strings.TrimPrefix(imp, module), via+pkg+" → ")
			}
		}
	}
	visit("calls", "")
	if !seen["billing"] || !seen["media"] {
		t.Fatalf("the walk missed calls' own imports: %v", seen)
	}
}

// importsOf are the import paths of the non-test Go files in dir.
func importsOf(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
	}
	return out
}
