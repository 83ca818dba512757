package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
	"github.com/invitectl/invitectl/internal/store/sqlite"
	"github.com/invitectl/invitectl/internal/store/storecopy"
	"github.com/invitectl/invitectl/internal/store/storetest"
)

// engine opens fresh, empty, migrated stores of one engine.
type engine struct {
	name string
	open func(tb testing.TB) *store.Store
}

var engines = []engine{
	{"sqlite", func(tb testing.TB) *store.Store {
		return mustOpenSQLite(tb, filepath.Join(tb.TempDir(), "invitectl.db"))
	}},
	{"postgres", func(tb testing.TB) *store.Store { return mustOpenPostgres(tb, migratedSchema(tb)) }},
}

func mustOpenSQLite(tb testing.TB, path string) *store.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), path)
	if err != nil {
		tb.Fatalf("sqlite.Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// migratedSchema returns the URL of a fresh schema with the current migrations.
func migratedSchema(tb testing.TB) string {
	tb.Helper()
	url := pgtest.Schema(tb, os.Getenv)
	if _, err := postgres.Migrate(tb.Context(), url); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return url
}

func mustOpenPostgres(tb testing.TB, url string) *store.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), url)
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// forEngines runs fn once per engine.
func forEngines(t *testing.T, fn func(t *testing.T, e engine)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { fn(t, e) })
	}
}

func TestConformance(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		storetest.Run(t, func(t *testing.T) invite.Store { return e.open(t) })
	})
}

// A copy between any two engines carries every row and rebuilds what the
// target derives.
func TestCopyBetweenEngines(t *testing.T) {
	for _, from := range engines {
		for _, to := range engines {
			t.Run(from.name+"-to-"+to.name, func(t *testing.T) {
				storetest.RunCopy(t, func(t *testing.T) invite.Store { return from.open(t) },
					func(t *testing.T) invite.Store { return to.open(t) })
			})
		}
	}
}

// A load into an empty store, and a copy into one, drop the invitations'
// indexes and triggers and create them again: afterwards the catalog holds
// every one of them, defined as the migrations defined it.
func TestLoadsRebuildEveryIndex(t *testing.T) {
	schemaName := regexp.MustCompile(`ON \S+\.invitations`)
	forEngines(t, func(t *testing.T, e engine) {
		ctx := t.Context()
		definitions := func(s *store.Store) []string {
			t.Helper()
			defs, err := s.Query(ctx, `WITH x(kind, name, definition) AS (`+s.Dialect().DeferredIndexes+`) SELECT definition FROM x`)
			if err != nil {
				t.Fatal(err)
			}
			for i := range defs { // PostgreSQL names the table's schema: each test has its own
				defs[i] = schemaName.ReplaceAllString(defs[i], "ON invitations")
			}
			return defs
		}
		s := e.open(t)
		want := definitions(s)
		if len(want) < 7 {
			t.Fatalf("the migrated store lists %d indexes and triggers on invitations: %q", len(want), want)
		}
		c := storetest.MustCreateCustomer(t, s, "Alfa AB")
		n, err := s.LoadInvitations(ctx, func(yield func([]invite.Invitation) bool) {
			yield([]invite.Invitation{storetest.NewInvitation(c, "a@example.com", "Anna", "Ek")})
		})
		if n != 1 || err != nil {
			t.Fatalf("load: %d, %v", n, err)
		}
		if got := definitions(s); !slices.Equal(got, want) {
			t.Errorf("after a load into an empty store:\n%q\nwant\n%q", got, want)
		}
		var bulk []invite.Invitation // enough for the bulk path, which drops the search triggers
		for i := range 1500 {
			bulk = append(bulk, storetest.NewInvitation(c, fmt.Sprintf("b%d@example.com", i), "Bo", "Ek"))
		}
		if err := s.InsertInvitations(ctx, bulk); err != nil {
			t.Fatal(err)
		}
		if got := definitions(s); !slices.Equal(got, want) {
			t.Errorf("after a bulk insert:\n%q\nwant\n%q", got, want)
		}
		to := e.open(t)
		if _, err := storecopy.Copy(ctx, s, to); err != nil {
			t.Fatal(err)
		}
		if got := definitions(to); !slices.Equal(got, want) {
			t.Errorf("after a copy into an empty store:\n%q\nwant\n%q", got, want)
		}
	})
}

// writerStore is a new SQLite store with one customer, and its writer's
// cache_size.
func writerStore(t *testing.T) (*store.Store, invite.Customer, int64) {
	s := engines[0].open(t)
	cache, err := s.WriterPragma(t.Context(), "cache_size")
	if err != nil {
		t.Fatal(err)
	}
	return s, storetest.MustCreateCustomer(t, s, "Alfa AB"), cache
}

// A load whose index builds fail sets SQLite's writer connection back as a
// successful one does: its own page cache, no sort threads.
func TestFailedLoadRestoresTheWriter(t *testing.T) {
	s, c, cache := writerStore(t)
	ctx := t.Context()
	twice := []invite.Invitation{storetest.NewInvitation(c, "same@example.com", "A", "B"), storetest.NewInvitation(c, "same@example.com", "C", "D")}
	if _, err := s.LoadInvitations(ctx, func(yield func([]invite.Invitation) bool) { yield(twice) }); err == nil {
		t.Fatal("a load of one open email twice succeeded")
	}
	for name, want := range map[string]int64{"cache_size": cache, "threads": 0} {
		if got, err := s.WriterPragma(ctx, name); err != nil || got != want {
			t.Errorf("after a failed load, the writer's %s is %d (%v), want %d", name, got, err, want)
		}
	}
}

// SQLite's writer keeps temporary files on disk: with them in memory SQLite
// sorts an index build on one thread, and a load into an empty store builds
// every index (docs/benchmarks.md, "Seeding").
func TestWriterSortsOnEveryCore(t *testing.T) {
	s := engines[0].open(t)
	if got, err := s.WriterPragma(t.Context(), "temp_store"); err != nil || got == 2 {
		t.Errorf("the writer's temp_store is %d (%v): 2 (memory) would sort index builds on one thread", got, err)
	}
}

// After a realistic life, a purge and an account deletion leave none of
// the erased values: on SQLite in any byte of the database file or its WAL,
// on PostgreSQL in anything SQL can see (docs/security.md, "Erasure").
func TestErasureLeavesNoTrace(t *testing.T) {
	traces := map[string]storetest.Traces{
		"sqlite": {Read: func(t *testing.T, s invite.Store) map[string][]byte {
			path := s.(*store.Store).Path()
			out := map[string][]byte{}
			for _, name := range []string{path, path + "-wal"} {
				b, err := os.ReadFile(name)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				out[filepath.Base(name)] = b
			}
			return out
		}},
		"postgres": {
			// ANALYZE samples the rows into pg_stats, as autovacuum would.
			Settle: func(t *testing.T, s invite.Store) {
				if _, err := s.(*store.Store).Query(t.Context(), `ANALYZE`); err != nil {
					t.Fatal(err)
				}
			},
			Read: func(t *testing.T, s invite.Store) map[string][]byte {
				ctx := t.Context()
				st := s.(*store.Store)
				tables, err := st.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables
					WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
				if err != nil || len(tables) < 6 {
					t.Fatalf("tables: %q, %v", tables, err)
				}
				out := map[string][]byte{}
				for _, table := range tables {
					rows, err := st.Query(ctx, `SELECT t::text FROM `+table+` t`)
					if err != nil {
						t.Fatal(err)
					}
					out["table "+table] = []byte(strings.Join(rows, "\n"))
				}
				stats, err := st.Query(ctx, `SELECT concat_ws(' ', tablename, attname, most_common_vals::text, histogram_bounds::text)
					FROM pg_stats WHERE schemaname = current_schema()`)
				if err != nil || len(stats) == 0 {
					t.Fatalf("pg_stats: %d rows, %v", len(stats), err)
				}
				out["pg_stats"] = []byte(strings.Join(stats, "\n"))
				return out
			},
		},
	}
	forEngines(t, func(t *testing.T, e engine) {
		storetest.RunErasure(t, func(t *testing.T) invite.Store { return e.open(t) }, traces[e.name])
	})
}

// An import bounds SQLite's writer page cache while it writes; it sets it
// back after, whether it wrote or found a conflict.
func TestImportRestoresTheWriter(t *testing.T) {
	s, c, cache := writerStore(t)
	ctx := t.Context()
	for _, email := range []string{"a@example.com", "a@example.com"} { // the second is a conflict
		_, err := s.ImportInvitations(ctx, invite.ImportWrite{Event: func(int) invite.AuditEvent { return invite.AuditEvent{Action: invite.ActionImport} }},
			func(write func([]invite.Invitation) (invite.ImportWritten, error)) error {
				_, err := write([]invite.Invitation{storetest.NewInvitation(c, email, "A", "B")})
				return err
			})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.WriterPragma(ctx, "cache_size"); err != nil || got != cache {
			t.Errorf("after an import, the writer's cache_size is %d (%v), want %d", got, err, cache)
		}
	}
}
