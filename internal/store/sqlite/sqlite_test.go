package sqlite

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	ms, err := fs.Glob(Migrations, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := mustOpen(t, path).SchemaVersion(t.Context()); err != nil || v != len(ms) {
		t.Errorf("schema version %d, %v after reopening, want %d", v, err, len(ms))
	}
}
