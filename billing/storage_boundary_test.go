package billing

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// Storage stays behind the package: no exported function, method or
// interface of billing takes a *bbolt.Tx (the CDR store and the meter
// share their transaction inside).
func TestNoExportedAPITakesABoltTransaction(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	takesTx := func(ft *ast.FuncType) bool {
		for _, p := range ft.Params.List {
			if strings.Contains(exprString(p.Type), "bbolt.Tx") {
				return true
			}
		}
		return false
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch d := n.(type) {
			case *ast.FuncDecl:
				exported := d.Name.IsExported()
				if d.Recv != nil && len(d.Recv.List) > 0 {
					exported = exported && ast.IsExported(strings.TrimLeft(exprString(d.Recv.List[0].Type), "*"))
				}
				if exported && takesTx(d.Type) {
					t.Errorf("%s: exported %s takes a *bbolt.Tx", fset.Position(d.Pos()), d.Name.Name)
				}
			case *ast.TypeSpec:
				it, ok := d.Type.(*ast.InterfaceType)
				if !ok || !d.Name.IsExported() {
					return true
				}
				for _, m := range it.Methods.List {
					if ft, ok := m.Type.(*ast.FuncType); ok && takesTx(ft) {
						t.Errorf("%s: exported interface %s has a method that takes a *bbolt.Tx", fset.Position(m.Pos()), d.Name.Name)
					}
				}
			}
			return true
		})
	}
}

func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return "*" + exprString(x.X)
	case *ast.SelectorExpr:
		return exprString(x.X) + "." + x.Sel.Name
	case *ast.Ident:
		return x.Name
	case *ast.IndexExpr:
		return exprString(x.X)
	}
	return ""
}
