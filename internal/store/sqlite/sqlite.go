// Package sqlite is the SQLite dialect of the store (internal/store), on
// modernc.org/sqlite (pure Go, no cgo), and opens stores on SQLite files.
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
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/schema"
)

// Store is the store on an SQLite file.
type Store = store.Store

// Migrations are files named NNNN_what.sql, applied in order of NNNN. A file
// that has been released is never edited: a change is a new file.
//
//go:embed migrations/*.sql
var embedded embed.FS

// Migrations are the embedded migrations.
var Migrations = schema.Embedded(embedded)

// Dialect is SQLite's: times are INTEGER unix microseconds, the writer's
// IMMEDIATE transactions hold the write lock (so no other lock is needed),
// and a failed statement leaves its transaction usable.
var Dialect = &store.Dialect{
	Name:      "sqlite",
	Time:      func(t time.Time) any { return t.UnixMicro() },
	IndexedBy: func(index string) string { return " INDEXED BY " + index },
	Contains:  func(col, param string) string { return "instr(" + col + ", " + param + ") > 0" },
	Match:     match,
	// The rows the search index found are looked up by rowid, which NOT
	// INDEXED still allows, and sorted: walking a sort index instead would
	// test every row of the states against them.
	Searched:     " NOT INDEXED",
	Bulk:         bulk,
	IsUnique:     isUnique,
	IsForeignKey: func(err error) bool { return constraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) },
	MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`,
	ReadTx: &sql.TxOptions{ReadOnly: true},
	// The search index's triggers go with the indexes. Each index sort is
	// cut into runs that worker threads sort at once, on every core (a
	// small cache makes the runs); the search index is then filled from the
	// rows in one pass, its terms gathered in a hash table large enough for
	// a million rows' so that few segments need merging.
	DeferredIndexes: `SELECT upper(type), name, sql FROM sqlite_schema
		WHERE tbl_name = 'invitations' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name`,
	IndexBuild: []string{fmt.Sprintf("PRAGMA threads = %d", runtime.NumCPU()), "PRAGMA cache_size = -4096"},
	SearchFill: `INSERT INTO invitations_search (rowid, search_text) SELECT id, search_text FROM invitations`,
	AfterIndexBuild: []string{
		`INSERT INTO invitations_search (invitations_search, rank) VALUES ('hashsize', 134217728)`,
		`INSERT INTO invitations_search (invitations_search) VALUES ('rebuild')`,
		`INSERT INTO invitations_search (invitations_search, rank) VALUES ('hashsize', 1048576)`, // FTS5's default
	},
	IndexBuildDone: []string{"PRAGMA threads = 0", "PRAGMA " + writerCache},
	// An import's transaction spills its dirty pages to the log beyond
	// 48 MiB instead of holding them all, so that memory stays flat however
	// many rows it writes (docs/benchmarks.md, "import").
	ImportBegin: []string{"PRAGMA cache_size = -49152"},
	ImportDone:  []string{"PRAGMA " + writerCache},
}

// Pragmas every connection gets. busy_timeout comes first so that the others
// wait rather than fail while another process holds a lock. secure_delete
// zeroes every cell and page a write frees, whatever the write (an edit, a
// state change that leaves a partial index, a purge): an erasure must not
// leave what an earlier write freed readable in the file.
var commonPragmas = []string{"busy_timeout(5000)", "foreign_keys(1)", "synchronous(NORMAL)", "secure_delete(1)"}

// The writer sets WAL, which is persistent in the file, before any reader
// connection opens. Its page cache may grow to 256 MiB: a bulk insert into a
// large table touches index pages all over the file, and rereading them
// from disk made it several times slower. The cache grows only as pages are
// used.
var writerPragmas = slices.Concat(commonPragmas, []string{"journal_mode(WAL)", writerCache})

const writerCache = "cache_size(-262144)"

// Readers cannot write by accident, and keep a small page cache of their own
// (512 KiB): their queries walk index ranges once, which the operating
// system's cache serves as well. Their temporary b-trees (a search's
// gathered matches) stay in memory. The writer's go to temporary files:
// with them in memory SQLite sorts an index build on one thread.
var readerPragmas = slices.Concat(commonPragmas, []string{"query_only(1)", "cache_size(-512)", "temp_store(MEMORY)"})

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
	w, err := sql.Open("sqlite", DSN(abs, writerPragmas, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// WAL is set by the writer before the readers open.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	r, err := sql.Open("sqlite", DSN(abs, readerPragmas))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	s := store.New(Dialect, w, r, abs)
	if _, err := s.Migrate(ctx, Migrations); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", abs, err)
	}
	return s, nil
}

// ErrOlderSchema is OpenReadOnly's error for a store whose schema needs
// migrating, which reading alone cannot do: Open it instead.
var ErrOlderSchema = errors.New("sqlite: the store's schema needs migrating")

// OpenReadOnly opens the invitectl store at path for reading only: nothing
// is created or written, neither the file, nor its schema, nor (where the
// folder cannot be written) SQLite's -wal and -shm files, so a store on a
// read-only file or file system can be read. A missing file is ENOTFOUND;
// a file that is empty, not an SQLite database, or not an invitectl store
// is EINVALID; a store at an older schema is ErrOlderSchema.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: resolve %s: %w", path, err)
	}
	if err := checkHeader(abs); err != nil {
		return nil, err
	}
	s, err := openRO(ctx, abs, readOnlyParams(abs)...)
	if err != nil {
		return nil, err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	ms, err := schema.Load(Migrations)
	if err != nil {
		s.Close()
		return nil, err
	}
	switch {
	case v < len(ms):
		s.Close()
		return nil, ErrOlderSchema
	case v > len(ms):
		s.Close()
		return nil, &invite.Error{Code: invite.EINTERNAL,
			Message: fmt.Sprintf("the database has schema version %d, newer than this invitectl knows (%d)", v, len(ms)),
			Hint:    "a newer invitectl wrote this database; upgrade invitectl to use it"}
	}
	return s, nil
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// checkHeader refuses, without writing to it, a file that cannot be an
// SQLite database: empty, or not starting with SQLite's header.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return invite.Errorf(invite.ENOTFOUND, "no SQLite store at %s", path)
	}
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return invite.Errorf(invite.EINVALID, "%s is an empty file, not an invitectl store", path).
			WithHint("check --db (or INVITECTL_DB); a command that writes, such as `invitectl customers add NAME`, makes a store in a new file")
	case string(head[:n]) != sqliteHeader:
		return invite.Errorf(invite.EINVALID, "%s is not an SQLite database", path).
			WithHint("check --db (or INVITECTL_DB): it names some other file")
	}
	return nil
}

// openRO opens a read-only pool on the invitectl store at path, with the
// URI parameters params, and checks that it is one.
func openRO(ctx context.Context, path string, params ...string) (*Store, error) {
	db, err := sql.Open("sqlite", DSN(path, readerPragmas, params...))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(readers)
	db.SetMaxIdleConns(readers)
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if tables == 0 {
		db.Close()
		return nil, invite.Errorf(invite.EINVALID, "%s is an SQLite database but not an invitectl store", path).
			WithHint("check --db (or INVITECTL_DB): it names another program's database")
	}
	return store.New(Dialect, db, db, path), nil
}

// readOnlyParams are the URI parameters that read the file at path without
// writing anything. A file this process may write is opened as a writer
// would open it, with query-only connections, so that the last one to
// close removes the -wal and -shm files as a writer's does. One it may not
// write is opened read-only, and while no WAL file (no writer) is there,
// as immutable: otherwise SQLite would leave -wal and -shm files that it
// cannot remove, and could not create them on a read-only file system.
func readOnlyParams(path string) []string {
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		f.Close()
		return nil
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return []string{"mode=ro"}
	}
	return []string{"mode=ro", "immutable=1"}
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

// DSN builds a file: URI, so that any character in the path is escaped
// rather than read as the start of the driver's parameters.
func DSN(path string, pragmas []string, extra ...string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), OmitHost: true}
	q := make([]string, 0, len(pragmas)+len(extra))
	for _, p := range pragmas {
		q = append(q, "_pragma="+url.QueryEscape(p))
	}
	q = append(q, extra...)
	return u.String() + "?" + strings.Join(q, "&")
}

// bulk inserts rows with multi-row INSERTs prepared for the transaction.
func bulk(ctx context.Context, tx *store.Tx, table string, cols []string, n int, row func(int) []any) error {
	// SQLite is in process, so a row costs no round trip, but each run of a
	// statement costs a trip through database/sql and the VM's setup:
	// bulkRows rows share one.
	per := max(1, min(bulkRows, 32766/len(cols))) // SQLite's limit of parameters
	one := "(?" + strings.Repeat(", ?", len(cols)-1) + ")"
	insert := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	var st *sql.Stmt
	defer func() {
		if st != nil {
			_ = st.Close()
		}
	}()
	args := make([]any, 0, per*len(cols))
	for i := 0; i < n; i += per {
		k := min(per, n-i)
		if st == nil || k < per {
			if st != nil {
				_ = st.Close()
			}
			var err error
			if st, err = tx.Prepare(ctx, insert+one+strings.Repeat(", "+one, k-1)); err != nil {
				return err
			}
		}
		args = args[:0]
		for j := i; j < i+k; j++ {
			args = append(args, row(j)...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// bulkRows is how many rows one INSERT of bulk carries.
const bulkRows = 64

// match finds the invitations whose search text contains every term in
// invitations_search, the FTS5 trigram index over it (migration 0004): each
// term is one phrase, quoted so that no character of it is query syntax,
// and phrases side by side must all match. A trigram phrase matches exactly
// the texts that contain it.
func match(terms []string) (string, []any) {
	phrases := make([]string, len(terms))
	for i, t := range terms {
		phrases[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return "id IN (SELECT rowid FROM invitations_search WHERE invitations_search MATCH ?)", []any{strings.Join(phrases, " ")}
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
