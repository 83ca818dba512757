package store_test

import (
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
	"github.com/invitectl/invitectl/internal/store/schema"
	"github.com/invitectl/invitectl/internal/store/sqlite"
	"github.com/invitectl/invitectl/internal/store/storetest"
)

// rawEngine is an engine's empty database reached without its Open: a
// Store on one pool, for migrating with chosen migrations.
type rawEngine struct {
	name       string
	dialect    *store.Dialect
	migrations fs.FS
	// empty returns the location of an empty database, and raw opens a
	// pool on it.
	empty func(tb testing.TB) string
	raw   func(tb testing.TB, at string) *sql.DB
	// open opens the store there as the application does.
	open func(tb testing.TB, at string) *store.Store
}

var rawEngines = []rawEngine{
	{
		name: "sqlite", dialect: sqlite.Dialect, migrations: sqlite.Migrations,
		empty: func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "m.db") },
		raw: func(tb testing.TB, at string) *sql.DB {
			db, err := sql.Open("sqlite", sqlite.DSN(at, []string{"busy_timeout(5000)", "foreign_keys(1)"}, "_txlock=immediate"))
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { db.Close() })
			return db
		},
		open: func(tb testing.TB, at string) *store.Store { return mustOpenSQLite(tb, at) },
	},
	{
		name: "postgres", dialect: postgres.Dialect, migrations: postgres.Migrations,
		empty: func(tb testing.TB) string { return pgtest.Schema(tb, os.Getenv) },
		raw: func(tb testing.TB, at string) *sql.DB {
			db, err := sql.Open("pgx", at)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { db.Close() })
			return db
		},
		open: func(tb testing.TB, at string) *store.Store {
			if _, err := postgres.Migrate(tb.Context(), at); err != nil {
				tb.Fatal(err)
			}
			return mustOpenPostgres(tb, at)
		},
	},
}

var _ = stdlib.GetDefaultDriver // registers "pgx"

func forRawEngines(t *testing.T, fn func(t *testing.T, e rawEngine)) {
	for _, e := range rawEngines {
		t.Run(e.name, func(t *testing.T) { fn(t, e) })
	}
}

func migrateWith(t *testing.T, e rawEngine, db *sql.DB, fsys fs.FS) error {
	t.Helper()
	_, err := store.New(e.dialect, db, db, "").Migrate(t.Context(), fsys)
	return err
}

// A database made by an older release gets only the migrations it lacks;
// a binary that knows fewer migrations than the database refuses it.
func TestMigrateAppliesOnlyNewMigrations(t *testing.T) {
	forRawEngines(t, func(t *testing.T, e rawEngine) {
		db := e.raw(t, e.empty(t))
		v1 := fstest.MapFS{"0001_first.sql": {Data: []byte(`CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);`)}}
		if err := migrateWith(t, e, db, v1); err != nil {
			t.Fatal(err)
		}
		v2 := fstest.MapFS{
			"0001_first.sql":  v1["0001_first.sql"],
			"0002_second.sql": {Data: []byte(`ALTER TABLE t ADD COLUMN b TEXT; UPDATE t SET b = 'x';`)},
		}
		for range 2 { // the second run finds nothing to do
			if err := migrateWith(t, e, db, v2); err != nil {
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
		if got := appliedVersions(t, db); got != "[1 2]" {
			t.Errorf("applied versions %v, want [1 2]", got)
		}
		if err := migrateWith(t, e, db, v1); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Errorf("migrating a newer database back: %v, want a refusal", err)
		}
	})
}

// A failing migration leaves the database as it was.
func TestMigrateFailureRollsBack(t *testing.T) {
	forRawEngines(t, func(t *testing.T, e rawEngine) {
		db := e.raw(t, e.empty(t))
		bad := fstest.MapFS{
			"0001_ok.sql":  {Data: []byte(`CREATE TABLE ok (a INTEGER);`)},
			"0002_bad.sql": {Data: []byte(`CREATE TABLE later (a INTEGER); THIS IS NOT SQL;`)},
		}
		if err := migrateWith(t, e, db, bad); err == nil || !strings.Contains(err.Error(), "0002_bad.sql") {
			t.Fatalf("a bad migration: %v, want an error naming it", err)
		}
		for _, table := range []string{"ok", "later", "schema_migrations"} {
			if _, err := db.Exec(`SELECT count(*) FROM ` + table); err == nil {
				t.Errorf("a failed migration left table %s behind", table)
			}
		}
	})
}

// Two processes migrating a new database at once: both succeed, and each
// migration is applied once.
func TestMigrateConcurrently(t *testing.T) {
	forRawEngines(t, func(t *testing.T, e rawEngine) {
		at := e.empty(t)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		release := make(chan struct{})
		for i := range 2 {
			db := e.raw(t, at)
			wg.Go(func() {
				<-release
				errs[i] = migrateWith(t, e, db, e.migrations)
			})
		}
		close(release)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("migrator %d: %v", i, err)
			}
		}
		if got, want := appliedVersions(t, e.raw(t, at)), fmt.Sprint(allVersions(t, e.migrations)); got != want {
			t.Errorf("applied versions %s, want %s", got, want)
		}
		storetest.MustCreateCustomer(t, e.open(t, at), "Alfa AB")
	})
}

func appliedVersions(t *testing.T, db *sql.DB) string {
	t.Helper()
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
	return fmt.Sprint(out)
}

func allVersions(t *testing.T, fsys fs.FS) []int {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, len(names))
	for i := range names {
		out[i] = i + 1
	}
	return out
}

// Rows written by the first release (schema version 1), some with
// decomposed emails and names, are brought to the one derivation by the
// migration to version 2: keys and search text recomputed in Go, emails in
// NFC, kept counts built, and every list answers as for rows written now.
func TestMigrateRederivesOldRows(t *testing.T) {
	forRawEngines(t, func(t *testing.T, e rawEngine) {
		at := e.empty(t)
		db := e.raw(t, at)
		v1 := fstest.MapFS{}
		first, err := fs.ReadFile(e.migrations, "0001_init.sql")
		if err != nil {
			t.Fatal(err)
		}
		v1["0001_init.sql"] = &fstest.MapFile{Data: first}
		if err := migrateWith(t, e, db, v1); err != nil {
			t.Fatal(err)
		}
		// As the first release wrote them: email keys only lower-cased (bytes
		// on PostgreSQL), its own order of search text, times in its encoding.
		key := func(s string) any {
			if e.name == "postgres" {
				return []byte(s)
			}
			return s
		}
		search := func(first, last, email string) string {
			if e.name == "postgres" {
				return strings.ToLower(email + "\n" + first + "\n" + last)
			}
			return strings.ToLower(first + "\n" + last + "\n" + email)
		}
		at0 := e.dialect.Time(storetest.T0)
		later := e.dialect.Time(storetest.T0.Add(invite.DefaultTTL))
		exec := func(q string, args ...any) {
			t.Helper()
			if err := store.New(e.dialect, db, db, "").Exec(t.Context(), q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`INSERT INTO customers (id, name, name_key, sort_key, created_at) VALUES (1, 'Åre AB', ?, ?, ?)`,
			key("åre ab"), invite.SortKey("Åre AB"), at0)
		decomposed := "A\u030asa.Lind@Example.com" // Å as A and a combining ring
		for i, r := range []struct{ first, email, state string }{
			{"A\u030asa", decomposed, "pending"},
			{"Bo", "bo@example.com", "pending"},
			{"Cy", "cy@example.com", "revoked"},
		} {
			exec(`INSERT INTO invitations (id, customer_id, customer_key, email, email_key, first_name, first_name_key,
				last_name, last_name_key, search_text, language, state, link_generation, expires_at, created_at,
				last_sent_at, send_count, version) VALUES (?, 1, ?, ?, ?, ?, ?, 'Lind', ?, ?, 'sv', ?, 0, ?, ?, ?, 1, 1)`,
				i+1, invite.SortKey("Åre AB"), r.email, key(strings.ToLower(r.email)), r.first, invite.SortKey(r.first),
				invite.SortKey("Lind"), search(r.first, "Lind", r.email), r.state, later, at0, at0)
		}
		exec(`INSERT INTO users (id, customer_id, email, email_key, first_name, last_name, language, password_hash, created_at)
			VALUES (1, 1, ?, ?, 'A\u030asa', 'Lind', 'sv', 'x', ?)`, " "+decomposed, key(strings.ToLower(decomposed)), at0)

		s := e.open(t, at) // migrates to the current version
		got, err := s.InvitationsByEmail(t.Context(), "åsa.lind@example.com", 0)
		if err != nil || len(got) != 1 || got[0].Email != "Åsa.Lind@Example.com" {
			t.Fatalf("the decomposed email, looked up composed: %+v, %v", got, err)
		}
		q := invite.ListQuery{Status: invite.FilterOpen, Search: "ÅSA", Sort: invite.DefaultSort, Page: 1, PerPage: 10, Now: storetest.T0}
		if p, err := s.ListInvitations(t.Context(), q); err != nil || p.Total != 1 || len(p.Invitations) != 1 {
			t.Errorf("a composed search for a decomposed name: %+v, %v", p, err)
		}
		q.Search = "bo@example"
		if p, err := s.ListInvitations(t.Context(), q); err != nil || p.Total != 1 {
			t.Errorf("a search for an email: %+v, %v", p, err)
		}
		for f, want := range map[invite.StatusFilter]int{invite.FilterOpen: 2, invite.FilterRevoked: 1, invite.FilterAll: 3} {
			q := invite.ListQuery{Status: f, Sort: invite.DefaultSort, Page: 1, PerPage: 10, Now: storetest.T0}
			if p, err := s.ListInvitations(t.Context(), q); err != nil || p.Total != want || len(p.Invitations) != want {
				t.Errorf("status %s after the migration: %+v, %v; want %d", f, p, err, want)
			}
		}
		// The pending are counted by day of expiry (migration 0008).
		for _, now := range []time.Time{storetest.T0, storetest.T0.Add(2 * invite.DefaultTTL)} {
			want := map[invite.StatusFilter]int{invite.FilterPending: 2, invite.FilterExpired: 0}
			if now.After(storetest.T0) {
				want = map[invite.StatusFilter]int{invite.FilterPending: 0, invite.FilterExpired: 2}
			}
			for f, n := range want {
				q := invite.ListQuery{Status: f, Sort: invite.DefaultSort, Page: 1, PerPage: 10, Now: now, CustomerID: 1}
				if p, err := s.ListInvitations(t.Context(), q); err != nil || p.Total != n || len(p.Invitations) != n {
					t.Errorf("status %s at %s after the migration: %+v, %v; want %d", f, now, p, err, n)
				}
			}
		}
		if cs, err := s.ListCustomers(t.Context()); err != nil || len(cs) != 1 || cs[0].OpenInvitations != 2 || cs[0].Users != 1 {
			t.Errorf("customers after the migration: %+v, %v", cs, err)
		}
		// The account's email is taken in its composed spelling.
		inv := storetest.NewInvitation(invite.Customer{ID: 1, Name: "Åre AB"}, "ÅSA.lind@example.com", "Åsa", "Lind")
		if err := s.CreateInvitation(t.Context(), &inv, invite.AuditEvent{At: storetest.T0, Action: invite.ActionInvite}, ""); err != invite.ErrEmailTaken {
			t.Errorf("inviting the decomposed account's email composed: %v, want ErrEmailTaken", err)
		}
	})
}

// Invitations stored before the search index (schema version 3) are in it
// after migration 0004, and are found by long and short terms alike.
func TestMigrateFillsSearchIndex(t *testing.T) {
	forRawEngines(t, func(t *testing.T, e rawEngine) {
		at := e.empty(t)
		db := e.raw(t, at)
		v3 := fstest.MapFS{}
		for _, name := range []string{"0001_init.sql", "0002_one_store.sql", "0003_outbox.sql"} {
			b, err := fs.ReadFile(e.migrations, name)
			if err != nil {
				t.Fatal(err)
			}
			v3[name] = &fstest.MapFile{Data: b}
		}
		if err := migrateWith(t, e, db, v3); err != nil {
			t.Fatal(err)
		}
		// Written as that schema's rows, in SQL: this build's writes keep
		// tables that schema does not have yet.
		old := store.New(e.dialect, db, db, "")
		exec := func(q string, args ...any) {
			t.Helper()
			if err := old.Exec(t.Context(), q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		at0, later := e.dialect.Time(storetest.T0), e.dialect.Time(storetest.T0.Add(invite.DefaultTTL))
		exec(`INSERT INTO customers (id, name, name_key, sort_key, created_at) VALUES (1, 'Åre AB', ?, ?, ?)`,
			schema.CustomerKey("Åre AB"), invite.SortKey("Åre AB"), at0)
		for i, r := range []struct{ first, last, email string }{{"Åsa", "Lind", "asa.lind@example.com"}, {"Bo", "Lindqvist", "bo@example.com"}} {
			k := schema.InvitationKeys(r.first, r.last, r.email)
			exec(`INSERT INTO invitations (id, customer_id, customer_key, email, email_key, first_name, first_name_key,
				last_name, last_name_key, search_text, language, state, link_generation, expires_at, created_at,
				last_sent_at, send_count, version) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, 'sv', 'pending', 0, ?, ?, ?, 1, 1)`,
				i+1, invite.SortKey("Åre AB"), r.email, k.Email, r.first, k.FirstName, r.last, k.LastName, k.Search, later, at0, at0)
		}

		s := e.open(t, at) // migrates to the current version
		for search, want := range map[string]int{"åsa lind": 1, "LIND": 2, "lindqvist": 1, "bo": 1, "li": 2, "nobody": 0} {
			q := invite.ListQuery{Status: invite.FilterAll, Search: search, Sort: invite.DefaultSort, Page: 1, PerPage: 10, Now: storetest.T0}
			if p, err := s.ListInvitations(t.Context(), q); err != nil || p.Total != want || len(p.Invitations) != want {
				t.Errorf("search %q after migration 0004: %+v, %v; want %d", search, p, err, want)
			}
		}
	})
}
