package invite

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The domain names fields and states, never a command or a flag: every hint
// that names one lives in the CLI's table. This reads the package's own
// string literals.
func TestDomainSpeaksNoCLI(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	cli := regexp.MustCompile("`?invitectl [a-z]|(^|[\\s(`])--[a-z]")
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			checked++
			if cli.MatchString(lit.Value) {
				t.Errorf("%s: the domain names a command or flag: %s", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no string literal read: the test reads nothing")
	}
}
