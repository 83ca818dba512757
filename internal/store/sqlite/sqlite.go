// Package sqlite is the embedded invite.Store, on modernc.org/sqlite (pure
// Go, no cgo).
//
// A Store holds two connection pools on one file. Writes go through a pool of
// a single connection whose transactions begin IMMEDIATE: they take the write
// lock up front and wait for it (busy_timeout), instead of failing with
// SQLITE_BUSY when a deferred transaction tries to upgrade after another
// connection — in this process or another one — wrote first. Reads go through
// a separate pool of query-only connections and, thanks to WAL, never wait
// for the writer.
//
// The schema is migrated on Open with the migrations embedded in
// migrations/, recorded in the schema_migrations table.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store is an invite.Store on one SQLite file.
type Store struct {
	path string
	w    *sql.DB // writes: one connection, BEGIN IMMEDIATE
	r    *sql.DB // reads: query-only connections
}

var _ invite.Store = (*Store)(nil)

// Pragmas every connection gets. busy_timeout comes first so that the others
// wait rather than fail while another process holds a lock.
var commonPragmas = []string{"busy_timeout(5000)", "foreign_keys(1)", "synchronous(NORMAL)"}

// The writer sets WAL, which is persistent in the file, before any reader
// connection opens. Its page cache may grow to 256 MiB: a bulk insert into a
// large table touches index pages all over the file, and rereading them
// from disk made it several times slower. The cache grows only as pages are
// used.
var writerPragmas = slices.Concat(commonPragmas, []string{"journal_mode(WAL)", "cache_size(-262144)"})

// Readers cannot write by accident, and keep a small page cache of their own
// (512 KiB): their queries walk index ranges once, which the operating
// system's cache serves as well, and a list runs up to three readers at once.
var readerPragmas = slices.Concat(commonPragmas, []string{"query_only(1)", "cache_size(-512)"})

// readers bounds the read pool; more than the cores buys little.
const readers = 4

// Open opens (creating it and its folders if needed) the SQLite database at
// path and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if strings.TrimSpace(path) == "" {
		return nil, invite.Errorf(invite.EINVALID, "no SQLite database path given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: resolve %s: %w", path, err)
	}
	if err := createFile(abs); err != nil {
		return nil, err
	}
	s := &Store{path: abs}
	s.w, err = sql.Open("sqlite", dsn(abs, writerPragmas, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, s.w, migrations); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", abs, err)
	}
	s.r, err = sql.Open("sqlite", dsn(abs, readerPragmas))
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	return s, nil
}

// createFile makes the folders and an empty database file readable by its
// owner only: it holds personal data. SQLite gives its -wal and -shm files
// the same mode.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlite: create folder for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return f.Close()
}

// dsn builds a file: URI, so that any character in the path is escaped
// rather than read as the start of the driver's parameters.
func dsn(path string, pragmas []string, extra ...string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), OmitHost: true}
	q := make([]string, 0, len(pragmas)+len(extra))
	for _, p := range pragmas {
		q = append(q, "_pragma="+url.QueryEscape(p))
	}
	q = append(q, extra...)
	return u.String() + "?" + strings.Join(q, "&")
}

// Path is the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// write runs fn in an immediate transaction and commits it when fn succeeds.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// read runs fn in a read-only transaction: its queries see one snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
	return fn(tx)
}

// constraint reports whether err is the SQLite constraint violation code
// (an extended result code such as SQLITE_CONSTRAINT_UNIQUE).
func constraint(err error, code int) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == code
}

func isUnique(err error) bool {
	return constraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) || constraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func isForeignKey(err error) bool { return constraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) }
