package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/storetest"
)

func mustOpen(tb testing.TB, path string) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), path)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) invite.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "invitectl.db"))
	})
}

func TestOpenCreatesFileAndFolders(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b c", "in?valid#name%20.db")
	s := mustOpen(t, path)
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	storetest.MustCreateCustomer(t, s, "Alfa AB")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the database file was not created: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("the database file has mode %v, want 0600", perm)
	}
	if fi.Size() == 0 {
		// The schema is in the file or in its WAL; either way nothing may
		// have been written under another name.
		if _, err := os.Stat(path + "-wal"); err != nil {
			t.Errorf("neither the file nor its WAL holds the schema: %v", err)
		}
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), filepath.Base(path)) {
			t.Errorf("unexpected file %q beside the database", e.Name())
		}
	}
}

func TestOpenRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	s := mustOpen(t, filepath.Join("data", "x.db"))
	if !filepath.IsAbs(s.Path()) || !strings.HasSuffix(s.Path(), filepath.Join("data", "x.db")) {
		t.Errorf("Path() = %q, want the absolute path", s.Path())
	}
}

func TestOpenEmptyPath(t *testing.T) {
	_, err := Open(t.Context(), " ")
	if invite.ErrorCode(err) != invite.EINVALID {
		t.Fatalf("Open(\" \") = %v, want EINVALID", err)
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "invitectl.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.MustCreateCustomer(t, s, "Alfa AB")
	storetest.MustCreateInvitation(t, s, storetest.NewInvitation(c, "a@example.com", "Anna", "Ek"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s := mustOpen(t, path)
		if got, err := s.CustomerByName(t.Context(), "alfa ab"); err != nil || got.ID != c.ID {
			t.Fatalf("after reopening: %+v, %v", got, err)
		}
	}
	ms, err := loadMigrations(migrations)
	if err != nil {
		t.Fatal(err)
	}
	if got := appliedVersions(t, path); len(got) != len(ms) {
		t.Errorf("schema_migrations = %v after reopening, want each of %d migrations once", got, len(ms))
	}
}

func appliedVersions(t *testing.T, path string) []int {
	t.Helper()
	db := rawDB(t, path)
	rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rawDB opens the file without the store, as another tool would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, commonPragmas))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A file made by an older release gets only the migrations it lacks.
func TestMigrateAppliesOnlyNewMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db := rawDB(t, path)
	v1 := fstest.MapFS{"0001_first.sql": {Data: []byte(`CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);`)}}
	if err := migrate(t.Context(), db, v1); err != nil {
		t.Fatal(err)
	}
	v2 := fstest.MapFS{
		"0001_first.sql":  v1["0001_first.sql"],
		"0002_second.sql": {Data: []byte(`ALTER TABLE t ADD COLUMN b TEXT; UPDATE t SET b = 'x';`)},
	}
	for range 2 { // the second run finds nothing to do
		if err := migrate(t.Context(), db, v2); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	var b string
	if err := db.QueryRow(`SELECT count(*), max(b) FROM t`).Scan(&n, &b); err != nil {
		t.Fatal(err)
	}
	if n != 1 || b != "x" {
		t.Errorf("after migrating twice: %d rows, b = %q; want 1 row, b = x", n, b)
	}
	if got := appliedVersions(t, path); fmt.Sprint(got) != "[1 2]" {
		t.Errorf("applied versions %v, want [1 2]", got)
	}
	// A binary that knows fewer migrations than the file refuses it.
	if err := migrate(t.Context(), db, v1); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("migrating a newer file back: %v, want a refusal", err)
	}
}

// A failing migration leaves the file as it was.
func TestMigrateFailureRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db := rawDB(t, path)
	bad := fstest.MapFS{
		"0001_ok.sql":  {Data: []byte(`CREATE TABLE ok (a INTEGER);`)},
		"0002_bad.sql": {Data: []byte(`CREATE TABLE later (a INTEGER); THIS IS NOT SQL;`)},
	}
	if err := migrate(t.Context(), db, bad); err == nil || !strings.Contains(err.Error(), "0002_bad.sql") {
		t.Fatalf("a bad migration: %v, want an error naming it", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name IN ('ok', 'later', 'schema_migrations')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("a failed migration left %d tables behind", n)
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	for _, fsys := range []fstest.MapFS{
		{"init.sql": {}},
		{"0001_a.sql": {}, "0003_c.sql": {}},
		{"0001_a.sql": {}, "1_b.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("loadMigrations(%v) accepted bad names", fsys)
		}
	}
}

// Two stores on one file, like a CLI and serve-accept in two processes,
// write at the same time without SQLITE_BUSY and see each other's writes.
func TestTwoStoresOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a, b := mustOpen(t, path), mustOpen(t, path)
	c := storetest.MustCreateCustomer(t, a, "Alfa AB")
	const perWriter = 10
	var wg sync.WaitGroup
	errs := make(chan error, 2*4*perWriter)
	for w := range 8 {
		s := []*Store{a, b}[w%2]
		wg.Go(func() {
			for i := range perWriter {
				inv := storetest.NewInvitation(c, fmt.Sprintf("w%d-%d@example.com", w, i), "Writer", fmt.Sprint("Nr", w))
				if err := s.CreateInvitation(context.Background(), &inv, invite.AuditEvent{At: storetest.T0, Action: invite.ActionInvite}); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
				inv.SendCount++
				if _, err := s.UpdateInvitation(context.Background(), inv, invite.AuditEvent{At: storetest.T0, Action: invite.ActionSend}); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, s := range []*Store{a, b} {
		p, err := s.ListInvitations(t.Context(), invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Page: 1, PerPage: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 8*perWriter {
			t.Errorf("a store sees %d invitations, want %d", p.Total, 8*perWriter)
		}
		for _, inv := range p.Invitations {
			if inv.SendCount != 1 || inv.Version != 2 {
				t.Fatalf("invitation %d: send count %d, version %d; want 1 and 2", inv.ID, inv.SendCount, inv.Version)
			}
		}
	}
}

// The default list is an index walk for every sort field: no sorting step,
// and the table is read only for the rows of the page.
func TestListUsesIndexes(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "plan.db"))
	for _, f := range []invite.StatusFilter{invite.FilterOpen, invite.FilterPending, invite.FilterExpired} {
		for _, field := range invite.SortFields {
			for _, desc := range []bool{false, true} {
				lq, err := buildList(invite.ListQuery{Status: f, Sort: invite.Sort{Field: field, Desc: desc}, Page: 1, PerPage: 20})
				if err != nil {
					t.Fatal(err)
				}
				plan := queryPlan(t, s, lq.page, append(lq.args, 20, 0)...)
				if strings.Count(plan, "TEMP B-TREE") > 1 || !strings.Contains(plan, "COVERING INDEX invitations_by_") {
					t.Errorf("%s %s desc=%v: the page query is not an index walk:\n%s", f, field, desc, plan)
				}
				plan = queryPlan(t, s, lq.count, lq.args...)
				if !strings.Contains(plan, "COVERING INDEX") {
					t.Errorf("%s: the count reads the table:\n%s", f, plan)
				}
			}
		}
	}
}

// The customer filter reads one range of the customer index, whatever the
// sort and the page.
func TestListByCustomerUsesCustomerIndex(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "plan.db"))
	for _, f := range []invite.StatusFilter{invite.FilterOpen, invite.FilterExpired, invite.FilterAll} {
		for _, field := range invite.SortFields {
			lq, err := buildList(invite.ListQuery{Status: f, CustomerID: 1, Sort: invite.Sort{Field: field}, Page: 1, PerPage: 20})
			if err != nil {
				t.Fatal(err)
			}
			for _, plan := range []string{queryPlan(t, s, lq.page, append(lq.args, 20, 0)...), queryPlan(t, s, lq.count, lq.args...)} {
				if !strings.Contains(plan, "INDEX invitations_by_customer (state=? AND customer_key=?)") {
					t.Errorf("%s by %s: the customer filter does not seek the customer index:\n%s", f, field, plan)
				}
			}
		}
	}
}

func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
