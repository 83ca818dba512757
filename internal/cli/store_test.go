package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/cli"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// Against PostgreSQL, commands refuse a database until `invitectl migrate`
// has prepared it, and then work as with SQLite.
func TestPostgresNeedsMigrate(t *testing.T) {
	url := pgtest.Schema(t, os.Getenv)
	r := newRun(t)
	r.env["INVITECTL_DB"] = url
	r.env["INVITECTL_LINK_SECRET"] = testSecret

	if code := r.do("customers", "list"); code != cli.ExitFailure {
		t.Fatalf("customers list on an unmigrated database: exit %d, want %d\n%s", code, cli.ExitFailure, r.stderr.String())
	}
	if !strings.Contains(r.stderr.String(), "invitectl: hint: run `invitectl migrate`") {
		t.Errorf("stderr does not say to run invitectl migrate:\n%s", r.stderr.String())
	}
	if out := r.must("migrate"); out != "Applied 11 migrations; the schema is at version 11.\n" {
		t.Errorf("migrate printed %q", out)
	}
	var v struct {
		Store         string
		Applied       int
		SchemaVersion int `json:"schema_version"`
	}
	if err := json.Unmarshal([]byte(r.must("migrate", "-o", "json")), &v); err != nil || v.Store != "postgres" || v.Applied != 0 || v.SchemaVersion != 11 {
		t.Errorf("migrate -o json: %+v, %v", v, err)
	}
	r.must("customers", "add", "Åre Data AB")
	r.must("invite", "--customer", "åre data ab", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	if got := r.status("a@example.com"); got != "pending" {
		t.Errorf("status %q, want pending", got)
	}
}

// migrate on SQLite says what it applied and the version the file was
// brought to.
func TestMigrateSQLite(t *testing.T) {
	r := newRun(t)
	if out := r.must("migrate"); out != "Applied 11 migrations; the schema is at version 11.\n" {
		t.Errorf("first migrate printed %q", out)
	}
	if out := r.must("migrate"); out != "The sqlite schema is up to date (version 11).\n" {
		t.Errorf("second migrate printed %q", out)
	}
}

// An SQLite store copied into PostgreSQL serves the same invitations, and
// its links keep working with the secret the hint names.
func TestCopySQLiteToPostgres(t *testing.T) {
	r := setup(t)
	r.must("revoke", "2", "--yes")
	sqlitePath := filepath.Join(r.env["XDG_DATA_HOME"], "invitectl", "invitectl.db")
	before := r.must("list", "--status", "all", "-o", "json")
	beforeAudit := r.must("audit", "-o", "json")
	url := pgtest.Schema(t, os.Getenv)

	out := r.must("copy", "--from", sqlitePath, "--to", url)
	if !strings.HasPrefix(out, "Copied 1 customers, 2 invitations, 0 users, ") || !strings.HasSuffix(out, " emails.\n") {
		t.Errorf("copy printed %q", out)
	}
	secretFile := sqlitePath + ".link-secret"
	if !strings.Contains(r.stderr.String(), "invitectl: hint: links already sent were signed with the secret in "+secretFile) {
		t.Errorf("copy gave no hint about the link secret:\n%s", r.stderr.String())
	}

	secret, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	pg := newRun(t)
	pg.env["INVITECTL_DB"] = url
	pg.env["INVITECTL_LINK_SECRET"] = strings.TrimSpace(string(secret))
	if after := pg.must("list", "--status", "all", "-o", "json"); after != before {
		t.Errorf("the copy lists\n%s\nthe source listed\n%s", after, before)
	}
	if after := pg.must("audit", "-o", "json"); after != beforeAudit {
		t.Errorf("the copy's audit log\n%s\nthe source's\n%s", after, beforeAudit)
	}
	pg.must("invite", "--customer", "Acme AB", "--email", "c@example.com", "--first-name", "Cid", "--last-name", "Ek", "--no-send")
	if got := pg.status("3"); got != "pending" {
		t.Errorf("a new invitation in the copy has ID 3 with status %q", got)
	}

	// A second copy finds the target full and changes nothing.
	if code := r.do("copy", "--from", sqlitePath, "--to", url); code != cli.ExitInvalid {
		t.Fatalf("copying into a full store: exit %d, want %d\n%s", code, cli.ExitInvalid, r.stderr.String())
	}
	if !strings.Contains(r.stderr.String(), "not empty") || !strings.Contains(r.stderr.String(), "invitectl: hint:") {
		t.Errorf("stderr:\n%s", r.stderr.String())
	}

	// And back into a new SQLite file, as JSON.
	back := filepath.Join(t.TempDir(), "back.db")
	var n struct{ Customers, Invitations, Users, AuditEvents int }
	if err := json.Unmarshal([]byte(pg.must("copy", "--from", url, "--to", back, "-o", "json")), &n); err != nil {
		t.Fatal(err)
	}
	if n.Customers != 1 || n.Invitations != 3 {
		t.Errorf("copy -o json = %+v", n)
	}
}

func TestCopyUsage(t *testing.T) {
	r := newRun(t)
	missing := filepath.Join(t.TempDir(), "missing.db")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"copy", "--to", "x.db"}, cli.ExitInvalid, "needs both --from and --to"},
		{[]string{"copy", "--from", "a.db", "--to", "./a.db"}, cli.ExitInvalid, "the same store"},
		{[]string{"copy", "--from", missing, "--to", "y.db"}, cli.ExitNotFound, "no SQLite store at"},
		{[]string{"copy", "--from", "mysql://h/db", "--to", "y.db"}, cli.ExitInvalid, "unsupported store"},
	} {
		if code := r.do(c.args...); code != c.code || !strings.Contains(r.stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, r.stderr.String(), c.code, c.want)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("copying from a missing file created it")
	}
}
