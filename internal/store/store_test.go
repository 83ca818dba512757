package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
	"github.com/invitectl/invitectl/internal/store/sqlite"
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
