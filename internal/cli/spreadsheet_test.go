package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
)

// spreadsheets are the fixtures LibreOffice wrote (see
// scripts/spreadsheet-fixtures.sh) from invitees.csv.
const spreadsheets = "../csvimport/testdata/spreadsheet/"

// engines runs f against a fresh SQLite store and a fresh PostgreSQL
// schema, each with the customers of the fixtures.
func engines(t *testing.T, f func(t *testing.T, r *run)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			r := newRun(t)
			if engine == "postgres" {
				r.env["INVITECTL_DB"] = pgtest.Schema(t, os.Getenv)
				r.env["INVITECTL_LINK_SECRET"] = testSecret
				r.must("migrate")
			}
			r.must("customers", "add", "Acme AB")
			r.must("customers", "add", "Östra Hamnen AB")
			f(t, r)
		})
	}
}

// listed is one invitation as list --all -o json shows it.
type listed = map[string]any

func listAll(t *testing.T, r *run) []listed {
	t.Helper()
	var v struct{ Invitations []listed }
	if err := json.Unmarshal([]byte(r.must("list", "--all", "--status", "all", "--sort", "email", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	return v.Invitations
}

// Every export LibreOffice writes of the 20 invitees (UTF-8 with and
// without BOM, tab-separated, Windows-1252 with ";" and ",", UTF-16 LE and
// BE "Unicode text") imports with exactly the names, and every other
// value, that the UTF-8 file gives.
func TestImportSpreadsheetExports(t *testing.T) {
	want := func() []listed {
		r := newRun(t)
		r.must("customers", "add", "Acme AB")
		r.must("customers", "add", "Östra Hamnen AB")
		r.must("import", spreadsheets+"invitees.csv", "--no-send")
		return listAll(t, r)
	}()
	i := slices.IndexFunc(want, func(l listed) bool { return l["email"] == "person1@example.se" })
	if len(want) != 20 || i < 0 || want[i]["first_name"] != "Åsa" || want[i]["last_name"] != "Lindström" || want[i]["customer"] != "Östra Hamnen AB" || want[i]["phone"] != "+4790012345" {
		t.Fatalf("the UTF-8 file gives %d rows: %+v", len(want), want)
	}
	files, err := filepath.Glob(spreadsheets + "libreoffice*")
	if err != nil || len(files) < 7 {
		t.Fatalf("fixtures: %v, %v", files, err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, ".xlsx") {
			continue // TestImportXLSX
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			r := newRun(t)
			r.must("customers", "add", "Acme AB")
			r.must("customers", "add", "Östra Hamnen AB")
			r.must("import", file, "--no-send")
			notice := strings.Contains(r.stderr.String(), "invitectl: note: the file is not UTF-8 (line 2 has the byte 0xD6), so it is read as Windows-1252")
			if notice != strings.Contains(file, "windows-1252") {
				t.Errorf("notice about Windows-1252: %v; stderr:\n%s", notice, r.stderr.String())
			}
			if got := listAll(t, r); !reflect.DeepEqual(got, want) {
				t.Errorf("stored rows differ from the UTF-8 file's:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// imported are the values an import carries from one store to another.
func imported(rows []listed) []listed {
	out := make([]listed, len(rows))
	for i, r := range rows {
		out[i] = listed{}
		for _, k := range []string{"customer", "first_name", "last_name", "email", "swedish_citizen", "eu_eea_citizen", "lma_number", "phone", "gender", "language"} {
			out[i][k] = r[k]
		}
	}
	return out
}

// seeded fills r's store with the seed's invitations and r2's with its
// customers; it returns the open invitations of r.
func seeded(t *testing.T, r *run) []listed {
	r.must("seed", "--customers", "3", "--invitations", "60")
	var open []listed
	for _, l := range listAll(t, r) {
		if l["status"] == "pending" || l["status"] == "expired" {
			open = append(open, l)
		}
	}
	if len(open) < 20 {
		t.Fatalf("the seed gave %d open invitations", len(open))
	}
	return open
}

// sameCustomers adds r's customers to an empty store r2.
func sameCustomers(t *testing.T, r, r2 *run) {
	var v struct{ Customers []struct{ Name string } }
	if err := json.Unmarshal([]byte(r.must("customers", "list", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Customers {
		r2.must("customers", "add", c.Name)
	}
}

// list --all -o csv of a store imports into an empty store with the same
// customers: every value an import can set comes across.
func TestExportImportsIntoEmptyStore(t *testing.T) {
	engines(t, func(t *testing.T, r *run) {
		open := seeded(t, r)
		export := filepath.Join(t.TempDir(), "export.csv")
		if err := os.WriteFile(export, []byte(r.must("list", "--all", "-o", "csv")), 0o600); err != nil {
			t.Fatal(err)
		}
		r2 := newRun(t)
		r2.env["INVITECTL_DB"] = r.env["INVITECTL_DB"]
		if r2.env["INVITECTL_DB"] != "" {
			r2.env["INVITECTL_DB"] = pgtest.Schema(t, os.Getenv)
			r2.env["INVITECTL_LINK_SECRET"] = testSecret
			r2.must("migrate")
		}
		sameCustomers(t, r, r2)
		r2.must("import", export, "--no-send")
		if !strings.Contains(r2.stderr.String(), `invitectl: note: ignoring the columns "id", "status", "sent_on"`) {
			t.Errorf("no notice about the ignored columns:\n%s", r2.stderr.String())
		}
		if got := listAll(t, r2); !reflect.DeepEqual(imported(got), imported(open)) {
			t.Errorf("the import differs from the export:\n got %v\nwant %v", imported(got), imported(open))
		}
	})
}
