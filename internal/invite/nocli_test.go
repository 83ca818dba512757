package invite

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
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
			// A field is named as the table names it, never as its flag.
			if kv, ok := n.(*ast.KeyValueExpr); ok {
				if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Field" {
					if v, ok := kv.Value.(*ast.BasicLit); ok && strings.Contains(v.Value, "-") {
						t.Errorf("%s: a field named as a flag: %s", fset.Position(v.Pos()), v.Value)
					}
				}
			}
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

// The fields' names are the domain's, in the store's spelling; the CLI
// derives its flags from them.
func TestFieldNamesAreNotFlags(t *testing.T) {
	name := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for _, f := range Fields {
		if !name.MatchString(f.Name) || !name.MatchString(f.Key()) {
			t.Errorf("field %q (key %q) is not named like first_name", f.Name, f.Key())
		}
	}
	_, _, err := Patch{FirstName: &[]string{"x"}[0], Gender: &[]string{"?"}[0]}.ApplyAt(Details{}, time.Now())
	for _, fe := range ErrorFields(err) {
		if !name.MatchString(fe.Field) {
			t.Errorf("a rule names the field %q", fe.Field)
		}
	}
}
