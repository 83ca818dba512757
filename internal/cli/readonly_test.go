package cli_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/invitectl/invitectl/internal/cli"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
)

// snapshot is every file of a folder, by name, with its bytes.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func assertSameFiles(t *testing.T, dir string, before map[string][]byte) {
	t.Helper()
	after := snapshot(t, dir)
	for name, b := range after {
		if old, ok := before[name]; !ok {
			t.Errorf("%s was created", name)
		} else if !bytes.Equal(old, b) {
			t.Errorf("%s was written", name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			t.Errorf("%s was removed", name)
		}
	}
}

// A reading command on a file that is empty, not SQLite, or another
// program's SQLite database refuses it (exit 2) and writes nothing: no
// schema, no link secret, no -wal or -shm.
func TestReadingRefusesWhatIsNotAStore(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "empty.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.db"), []byte("shopping: milk, eggs\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", filepath.Join(dir, "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('milk')`); err != nil {
		t.Fatal(err)
	}
	other.Close()
	for _, c := range []struct{ file, want string }{
		{"empty.db", "is an empty file, not an invitectl store"},
		{"notes.db", "is not an SQLite database"},
		{"other.db", "is an SQLite database but not an invitectl store"},
	} {
		for _, args := range [][]string{{"list"}, {"customers", "list"}, {"show", "1"}, {"audit"}} {
			before := snapshot(t, dir)
			r := newRun(t)
			r.env["INVITECTL_DB"] = filepath.Join(dir, c.file)
			if code := r.do(args...); code != cli.ExitInvalid {
				t.Errorf("%s %v: exit %d, want %d\n%s", c.file, args, code, cli.ExitInvalid, r.stderr.String())
			}
			if !strings.Contains(r.stderr.String(), c.want) || !strings.Contains(r.stderr.String(), "invitectl: hint: check --db") {
				t.Errorf("%s %v: stderr\n%s\nwant %q and a hint", c.file, args, r.stderr.String(), c.want)
			}
			assertSameFiles(t, dir, before)
		}
	}
}

// Reading a store writes nothing to its folder: not the link secret that
// only commands making links need, nor a -wal or -shm left behind.
func TestReadingWritesNothing(t *testing.T) {
	r := newRun(t)
	dir := t.TempDir()
	r.env["INVITECTL_DB"] = filepath.Join(dir, "inv.db")
	r.env["INVITECTL_LINK_SECRET"] = testSecret // the store is made without a secret file
	r.must("customers", "add", "Acme AB")
	r.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	delete(r.env, "INVITECTL_LINK_SECRET")
	before := snapshot(t, dir)
	for _, args := range [][]string{{"list"}, {"show", "1"}, {"customers", "list"}, {"audit"}, {"users", "list"}} {
		r.must(args...)
		assertSameFiles(t, dir, before)
	}
	if !strings.Contains(r.must("list", "-o", "json"), "a@example.com") {
		t.Error("list does not show the invitation")
	}
}

// The dry runs of import and purge on PostgreSQL need only SELECT and take
// no lock that writers would wait for: a role that may only SELECT runs
// them while another transaction holds the lock every writer takes. A
// write by that role says which privileges are missing.
func TestDryRunsNeedOnlySelect(t *testing.T) {
	url := pgtest.Schema(t, os.Getenv)
	owner := newRun(t)
	owner.env["INVITECTL_DB"] = url
	owner.env["INVITECTL_LINK_SECRET"] = testSecret
	owner.must("migrate")
	owner.must("customers", "add", "Acme AB")
	owner.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	owner.must("revoke", "1", "--yes")

	reader := newRun(t)
	reader.now = testEpoch.Add(72 * time.Hour)
	reader.env["INVITECTL_DB"] = pgtest.SelectOnlyRole(t, url)
	reader.env["INVITECTL_LINK_SECRET"] = testSecret
	csv := filepath.Join(t.TempDir(), "new.csv")
	if err := os.WriteFile(csv, []byte("customer,email,first_name,last_name\nAcme AB,b@example.com,Bo,Ek\nAcme AB,a@example.com,Anna,Ek\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`LOCK TABLE customers, invitations, users, audit_events IN ROW EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	if out := reader.must("import", csv, "--dry-run"); !strings.Contains(out, "Dry run: all 2 rows are valid and free to import; nothing was written.") {
		t.Errorf("import --dry-run printed %q", out)
	}
	if out := reader.must("purge", "--older-than", "24h", "--dry-run"); !strings.Contains(out, "Dry run: 1 invitation would be purged (0 accepted, 1 revoked, 0 expired)") {
		t.Errorf("purge --dry-run printed %q", out)
	}
	reader.must("list", "--status", "all")
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}

	if code := reader.do("purge", "--older-than", "24h", "--yes"); code != cli.ExitFailure {
		t.Fatalf("purge by a SELECT-only role: exit %d, want %d\n%s", code, cli.ExitFailure, reader.stderr.String())
	}
	for _, want := range []string{"invitectl: error: the database role lacks a privilege this command needs", "permission denied for table",
		"invitectl: hint: grant the role SELECT, INSERT, UPDATE and DELETE on the invitectl tables"} {
		if !strings.Contains(reader.stderr.String(), want) {
			t.Errorf("stderr:\n%s\nwant %q", reader.stderr.String(), want)
		}
	}
}
