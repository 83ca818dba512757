package cli_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

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
// BE "Unicode text", an xlsx workbook) imports with exactly the names, and every other
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
	open := openOf(listAll(t, r))
	if len(open) < 20 {
		t.Fatalf("the seed gave %d open invitations", len(open))
	}
	return open
}

// openOf are the pending and expired rows of rows.
func openOf(rows []listed) []listed {
	var open []listed
	for _, l := range rows {
		if l["status"] == "pending" || l["status"] == "expired" {
			open = append(open, l)
		}
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
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) { testExportImportsIntoEmptyStore(t, format) })
	}
}

func testExportImportsIntoEmptyStore(t *testing.T, format string) {
	engines(t, func(t *testing.T, r *run) {
		open := seeded(t, r)
		export := filepath.Join(t.TempDir(), "export."+format)
		if err := os.WriteFile(export, []byte(r.must("list", "--all", "-o", format)), 0o600); err != nil {
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

// editCSV rewrites the cells of export (by column name) in the rows whose
// id is a key of edits, and writes it to a new file.
func editCSV(t *testing.T, export string, edits map[string]map[string]string) string {
	t.Helper()
	data, err := os.ReadFile(export)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows[1:] {
		for col, v := range edits[row[0]] {
			row[slices.Index(rows[0], col)] = v
		}
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows)
	name := filepath.Join(t.TempDir(), "edited.csv")
	if err := os.WriteFile(name, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func auditCount(t *testing.T, r *run, action string) int {
	var v struct{ Total int }
	if err := json.Unmarshal([]byte(r.must("audit", "--action", action, "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	return v.Total
}

// import --update of a store's own export changes nothing; edited in a
// spreadsheet, it changes exactly what was edited, one audit event per
// changed invitation; with a version column an invitation changed since is
// a conflict, every such line reported, and nothing is written.
func TestImportUpdateRoundTrip(t *testing.T) {
	engines(t, func(t *testing.T, r *run) {
		seeded(t, r)
		before := listAll(t, r)
		edits := auditCount(t, r, "edit")
		var export string
		for _, format := range []string{"xlsx", "csv"} {
			export = filepath.Join(t.TempDir(), "export."+format)
			if err := os.WriteFile(export, []byte(r.must("list", "--all", "-o", format)), 0o600); err != nil {
				t.Fatal(err)
			}
			if out := r.must("import", export, "--update"); !strings.HasPrefix(out, "Updated 0 invitations; ") {
				t.Errorf("the store's own %s export: %q", format, out)
			}
			if got := listAll(t, r); !reflect.DeepEqual(got, before) {
				t.Errorf("import --update of the %s export changed the store", format)
			}
			if n := auditCount(t, r, "edit"); n != edits {
				t.Errorf("%d edit events, want %d", n, edits)
			}
		}

		open := openOf(before)
		a, b := fmt.Sprint(open[0]["id"]), fmt.Sprint(open[1]["id"])
		edited := editCSV(t, export, map[string]map[string]string{
			a: {"phone": "+47 912 34 567", "gender": ""},
			b: {"last_name": "Ångström", "language": "en"},
		})
		out := r.must("import", edited, "--update", "-o", "json")
		var res struct{ Updated, Unchanged int }
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Updated != 2 || res.Unchanged != len(open)-2 {
			t.Errorf("edited export: %s", out)
		}
		after := listAll(t, r)
		for i, row := range after {
			want := before[i]
			switch fmt.Sprint(row["id"]) {
			case a:
				if row["phone"] != "+4791234567" || row["gender"] != nil || row["version"].(float64) != want["version"].(float64)+1 {
					t.Errorf("row %s: %v", a, row)
				}
			case b:
				if row["last_name"] != "Ångström" || row["language"] != "en" {
					t.Errorf("row %s: %v", b, row)
				}
			default:
				if !reflect.DeepEqual(row, want) {
					t.Errorf("row %v changed:\n%v\n%v", row["id"], row, want)
				}
			}
		}
		if n := auditCount(t, r, "edit"); n != edits+2 {
			t.Errorf("%d edit events, want %d", n, edits+2)
		}

		// The export's versions are now behind for a and b: a new change to
		// them is a conflict on both lines, and nothing is written.
		stale := editCSV(t, export, map[string]map[string]string{a: {"first_name": "Olle"}, b: {"first_name": "Pelle"}, fmt.Sprint(open[2]["id"]): {"first_name": "Nils"}})
		if code := r.do("import", stale, "--update"); code != 4 {
			t.Fatalf("stale versions: exit %d\n%s", code, r.stderr.String())
		}
		for _, id := range []string{a, b} {
			if !strings.Contains(r.stderr.String(), "version: invitation "+id+" was changed since the file was written") {
				t.Errorf("no conflict reported for %s:\n%s", id, r.stderr.String())
			}
		}
		if got := listAll(t, r); !reflect.DeepEqual(got, after) {
			t.Errorf("a refused update changed the store")
		}
	})
}

// import --skip-existing creates the new rows and reports those whose email
// has an open invitation as skipped, so a partly imported file can be run
// again.
func TestImportSkipExisting(t *testing.T) {
	engines(t, func(t *testing.T, r *run) {
		dir := t.TempDir()
		first := filepath.Join(dir, "first.csv")
		all := filepath.Join(dir, "all.csv")
		_ = os.WriteFile(first, []byte("customer,email,first_name,last_name\nAcme AB,a@example.com,Anna,Ek\nAcme AB,b@example.com,Bo,Ek\n"), 0o600)
		_ = os.WriteFile(all, []byte("customer,email,first_name,last_name\nAcme AB,a@example.com,Anna,Ek\nAcme AB,c@example.com,Cy,Ek\nAcme AB,B@example.com,Bo,Ek\n"), 0o600)
		r.must("import", first, "--no-send")
		if code := r.do("import", all, "--no-send"); code != 4 {
			t.Fatalf("without --skip-existing: exit %d", code)
		}
		out := r.must("import", all, "--no-send", "--skip-existing", "-o", "json")
		var res struct {
			Imported int
			IDs      []int64
			Skipped  []struct {
				Line  int
				Email string
				ID    int64
			}
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Imported != 1 || len(res.IDs) != 1 || len(res.Skipped) != 2 ||
			res.Skipped[0].Line != 2 || res.Skipped[0].ID != 1 || res.Skipped[1].Line != 4 || res.Skipped[1].Email != "B@example.com" || res.Skipped[1].ID != 2 {
			t.Fatalf("%s", out)
		}
		if n := len(listAll(t, r)); n != 3 {
			t.Errorf("%d invitations, want 3", n)
		}
		out = r.must("import", all, "--no-send", "--skip-existing")
		if !strings.Contains(out, "Skipped line 3: c@example.com already has invitation 3.") || !strings.Contains(out, "Imported no invitations: all 3 rows were skipped.") {
			t.Errorf("%s", out)
		}
	})
}

// import --update refuses, on their lines, an unknown id (exit 3), a
// changed email or customer (exit 2, not editable) and a resolved
// invitation (exit 4).
func TestImportUpdateRefusals(t *testing.T) {
	engines(t, func(t *testing.T, r *run) {
		r.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
		r.must("invite", "--customer", "Acme AB", "--email", "b@example.com", "--first-name", "Bo", "--last-name", "Ek", "--no-send")
		r.must("revoke", "2", "--yes")
		dir := t.TempDir()
		for _, tc := range []struct {
			file string
			code int
			msg  string
		}{
			{"id,email,first_name\n99,x@example.com,Xe\n", 3, "line 2: id: no invitation with ID 99"},
			{"id,email,first_name\n1,other@example.com,Xe\n", 2, "line 2: email: is not editable: invitation 1 is for a@example.com"},
			{"id,customer,first_name\n1,Östra Hamnen AB,Xe\n", 2, "line 2: customer: is not editable"},
			{"email,phone\na@example.com,070 ABC 1234\n", 2, `line 2: phone: "070 ABC 1234" contains the letter 'A'`},
			{"id,first_name\n2,Xe\n", 4, "line 2: invitation 2 (b@example.com) is already revoked"},
			{"email,first_name\nnobody@example.com,Xe\n", 3, "line 2: email: nobody@example.com has no open invitation"},
		} {
			name := filepath.Join(dir, "u.csv")
			_ = os.WriteFile(name, []byte(tc.file), 0o600)
			if code := r.do("import", name, "--update"); code != tc.code || !strings.Contains(r.stderr.String(), tc.msg) {
				t.Errorf("%q: exit %d, want %d with %q:\n%s", tc.file, code, tc.code, tc.msg, r.stderr.String())
			}
		}
		// The export of an empty list loads back, changing nothing.
		name := filepath.Join(dir, "empty.csv")
		_ = os.WriteFile(name, []byte("id,customer,email,version\n"), 0o600)
		if out := r.must("import", name, "--update"); out != "Updated 0 invitations; 0 rows changed nothing.\n" {
			t.Errorf("an empty update: %q", out)
		}
		if got := listAll(t, r); got[0]["first_name"] != "Anna" || got[0]["version"].(float64) != 1 {
			t.Errorf("a refused update changed the store: %v", got[0])
		}
	})
}

// list -o xlsx writes one sheet with the CSV's columns, the header row
// bold and frozen, phone, personal number and LMA number as text cells,
// times as date-times; -o xlsx to a terminal, or on a command that lists
// no rows, is exit 2 with a hint.
func TestListXLSX(t *testing.T) {
	r := newRun(t)
	r.must("customers", "add", "Acme AB")
	r.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Åsa", "--last-name", "Ek",
		"--phone", "+47 912 34 567", "--personal-number", "20030606-2381", "--lma-number", "0123", "--swedish-citizen", "yes", "--no-send")
	for _, args := range [][]string{{"list", "-o", "xlsx"}, {"list", "--all", "-o", "xlsx"}} {
		out := r.must(args...)
		f, err := excelize.OpenReader(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.GetSheetList(); !slices.Equal(got, []string{"Invitations"}) {
			t.Errorf("sheets %v", got)
		}
		rows, err := f.GetRows("Invitations")
		if err != nil || len(rows) != 2 || rows[0][0] != "id" || rows[0][10] != "phone" || len(rows[0]) != 22 {
			t.Fatalf("%v %v", rows, err)
		}
		panes, err := f.GetPanes("Invitations")
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("panes %+v, %v", panes, err)
		}
		style := func(cell string) *excelize.Style {
			id, err := f.GetCellStyle("Invitations", cell)
			if err != nil {
				t.Fatal(err)
			}
			s, err := f.GetStyle(id)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		if s := style("A1"); s.Font == nil || !s.Font.Bold {
			t.Errorf("header style %+v", s)
		}
		for _, cell := range []string{"I2", "J2", "K2"} { // personal number, LMA number, phone
			typ, _ := f.GetCellType("Invitations", cell)
			v, _ := f.GetCellValue("Invitations", cell)
			if s := style(cell); s.NumFmt != 49 || typ != excelize.CellTypeInlineString {
				t.Errorf("%s (%q): number format %d, type %v; want text", cell, v, s.NumFmt, typ)
			}
		}
		if v, _ := f.GetCellValue("Invitations", "K2"); v != "+4791234567" {
			t.Errorf("phone %q", v)
		}
		if v, _ := f.GetCellValue("Invitations", "I2"); v != "20030606-****" {
			t.Errorf("personal number %q", v)
		}
		if v, _ := f.GetCellValue("Invitations", "N2"); v != "2026-01-05 09:00:00" {
			t.Errorf("sent_on shows %q", v)
		}
		if raw, _ := f.GetCellValue("Invitations", "N2", excelize.Options{RawCellValue: true}); raw != "46027.375" {
			t.Errorf("sent_on is %q, want the date-time serial 46027.375", raw)
		}
		if typ, _ := f.GetCellType("Invitations", "G2"); typ != excelize.CellTypeBool {
			t.Errorf("swedish_citizen type %v", typ)
		}
		_ = f.Close()
	}
	r.tty = true
	if code := r.do("list", "-o", "xlsx"); code != 2 || !strings.Contains(r.stderr.String(), "invitectl: hint: redirect it to a file: > invitations.xlsx") {
		t.Errorf("to a terminal: exit %d\n%s", code, r.stderr.String())
	}
	r.tty = false
	if code := r.do("customers", "list", "-o", "xlsx"); code != 2 || !strings.Contains(r.stderr.String(), "has no xlsx output") {
		t.Errorf("customers list -o xlsx: exit %d\n%s", code, r.stderr.String())
	}
}

// An import of more rows than one chunk: a conflict found in a later chunk
// leaves nothing written (the earlier chunks are rolled back), and
// --skip-existing then writes the others; from stdin, the file is spooled
// to the data folder and removed.
func TestImportInChunks(t *testing.T) {
	engines(t, func(t *testing.T, r *run) {
		r.must("invite", "--customer", "Acme AB", "--email", "person2300@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
		var b strings.Builder
		b.WriteString("customer,email,first_name,last_name,phone\n")
		for i := range 2500 {
			fmt.Fprintf(&b, "Acme AB,person%d@example.com,Åsa,Lind%d,070-%07d\n", i, i, i)
		}
		r.stdin = b.String()
		if code := r.do("import", "-", "--no-send", "-o", "json"); code != 4 {
			t.Fatalf("exit %d\n%s", code, r.stderr.String())
		}
		if !strings.Contains(r.stdout.String(), `"line": 2302,`) || !strings.Contains(r.stdout.String(), "person2300@example.com already has an open invitation") {
			t.Errorf("conflict not reported on line 2302:\n%s", r.stdout.String())
		}
		if n := len(listAll(t, r)); n != 1 {
			t.Fatalf("%d invitations after a refused import, want 1", n)
		}
		r.stdin = b.String()
		out := r.must("import", "-", "--no-send", "--skip-existing", "-o", "json")
		var res struct {
			Imported int
			IDs      []int64
			Skipped  []struct{ Line int }
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Imported != 2499 || len(res.IDs) != 2499 || res.IDs[0] != 2 || res.IDs[2498] != 2500 ||
			len(res.Skipped) != 1 || res.Skipped[0].Line != 2302 {
			t.Fatalf("%v: imported %d, %d IDs, skipped %v", err, res.Imported, len(res.IDs), res.Skipped)
		}
		all := listAll(t, r)
		if len(all) != 2500 {
			t.Errorf("%d invitations, want 2500", len(all))
		}
		var v struct{ Total int }
		_ = json.Unmarshal([]byte(r.must("list", "--search", "lind2499", "-o", "json")), &v)
		if v.Total != 1 {
			t.Errorf("the search index does not find the last row: %d", v.Total)
		}
		spools, _ := filepath.Glob(filepath.Join(r.env["XDG_DATA_HOME"], "invitectl", "*.spool"))
		if len(spools) != 0 {
			t.Errorf("spool files left: %v", spools)
		}
	})
}
