package postgres

import (
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
)

// migrated returns the URL of a fresh schema with the current migrations.
func migrated(tb testing.TB) string {
	tb.Helper()
	url := pgtest.Schema(tb, os.Getenv)
	v, err := Migrate(tb.Context(), url)
	if err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	if v != SchemaVersion() {
		tb.Fatalf("Migrate returned version %d, want %d", v, SchemaVersion())
	}
	return url
}

func mustOpen(tb testing.TB, url string) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// Other commands refuse a database that `invitectl migrate` has not
// prepared, saying so.
func TestOpenRefusesUnmigratedSchema(t *testing.T) {
	url := pgtest.Schema(t, os.Getenv)
	s, err := Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatal("Open on an empty schema succeeded")
	}
	var de *invite.Error
	if !errors.As(err, &de) || de.Code != invite.EINTERNAL {
		t.Fatalf("Open on an empty schema: %v, want an EINTERNAL invite.Error", err)
	}
	if !strings.Contains(de.Hint, "invitectl migrate") {
		t.Errorf("hint %q does not say to run `invitectl migrate`", de.Hint)
	}
	if _, err := Migrate(t.Context(), url); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, url)
}

// A schema migrated by a newer release is refused too, with another hint.
func TestOpenRefusesNewerSchema(t *testing.T) {
	url := migrated(t)
	mustOpen(t, url)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name) VALUES ($1, 'future.sql')`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), url)
	if invite.ErrorCode(err) != invite.EINTERNAL || !strings.Contains(err.Error(), "newer") || !strings.Contains(invite.ErrorHint(err), "upgrade") {
		t.Fatalf("Open on a newer schema: %v (hint %q), want a refusal asking to upgrade", err, invite.ErrorHint(err))
	}
	if _, err := Migrate(t.Context(), url); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate on a newer schema: %v, want a refusal", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := Open(t.Context(), "postgres://user:secret@[::1")
	if invite.ErrorCode(err) != invite.EINVALID {
		t.Fatalf("Open with a broken URL: %v, want EINVALID", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
}
