// Package store is the one implementation of invite.Store, over
// database/sql, for every engine. Each query, transaction, conditional
// update, audit write, kept count, export and bulk path is written here
// once; a Dialect (internal/store/sqlite, internal/store/postgres) supplies
// only what truly differs between the engines.
//
// Writes run in one transaction each, with their audit events and the kept
// counts they move. On SQLite the writer pool is one connection whose
// transactions begin IMMEDIATE, so a transaction holds the write lock from
// its first statement; on PostgreSQL writes run at READ COMMITTED, and
// correctness comes from conditional updates, unique indexes, a row lock on
// accept and an advisory lock per email. Reads run in read-only
// transactions, so the queries of one read (a list's total and its page)
// see one snapshot.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// Dialect is what differs between engines.
type Dialect struct {
	Name string // for messages: "sqlite", "postgres"
	// Numbered is true where placeholders are $1, $2… instead of ?. Queries
	// are written with ? and rewritten once.
	Numbered bool
	// Time encodes a time for a parameter; times are read back by scanTime.
	Time func(time.Time) any
	// IndexedBy names the index a query reads: INDEXED BY where the
	// planner needs telling, "" where it chooses well by itself.
	IndexedBy func(index string) string
	// Contains is SQL that holds when the text of col contains that of
	// param, both SQL expressions, with no wildcards.
	Contains func(col, param string) string
	// Match is SQL, with its arguments, that holds when an invitation's
	// search_text contains every one of terms (each at least
	// schema.TrigramMin characters, with no wildcards), answered from the
	// engine's trigram index over search_text.
	Match func(terms []string) (string, []any)
	// Searched is the hint on the invitations table of a query whose rows
	// Match finds: read them through the search index and sort them, not
	// walk a sort index ("" where the planner decides by itself).
	Searched string
	// LockEmail, when set, takes a lock (parameter: emailLock's key) that
	// serialises the writers deciding whether an email is free. Without it
	// the write transaction already holds the database's write lock.
	LockEmail string
	// ForUpdate is appended to a read that the transaction then changes,
	// to lock the row until the end of the transaction.
	ForUpdate string
	// SkipLocked is appended to the outbox's claim: concurrent claimers
	// skip each other's rows instead of waiting ("" where the write
	// transaction already excludes other writers).
	SkipLocked string
	// LockTables is run by Import and LoadInvitations before they check
	// that the store is empty.
	LockTables string
	// DeferredIndexes lists, as rows of (kind, name, definition), the
	// invitations table's secondary indexes and the triggers that a load
	// into the empty table drops, to create them again after its rows:
	// kind is INDEX or TRIGGER, definition the statement that creates it.
	DeferredIndexes string
	// IndexBuild runs before they are created again (to give the builds
	// more memory or cores), AfterIndexBuild after (to fill what the
	// dropped triggers would have kept), and IndexBuildDone last, whether
	// the builds succeeded or not (to set the connection back).
	IndexBuild, AfterIndexBuild, IndexBuildDone []string
	// ImportBegin runs in the transaction of an import (or of an update's
	// chunks) before its rows, and ImportDone after them, failed or not (to
	// bound the page cache that the transaction's dirty pages fill, and set
	// it back).
	ImportBegin, ImportDone []string
	// SearchFill, when set, is an INSERT … SELECT, to be completed with a
	// WHERE on id, that adds invitations to a search index its triggers
	// (DeferredIndexes, kind TRIGGER) keep: a bulk insert drops them and
	// fills the index with it after its rows.
	SearchFill string
	// Savepoints is true where a failed statement spoils its transaction,
	// so that statements that may fail on a constraint run under a savepoint.
	Savepoints bool
	// Bulk writes n rows of cols into table in tx; row(i) is the i-th row.
	Bulk func(ctx context.Context, tx *Tx, table string, cols []string, n int, row func(i int) []any) error
	// AfterBulkIDs runs after rows were written with their own IDs: it
	// moves the table's ID sequence past them (nil where none is kept).
	AfterBulkIDs func(ctx context.Context, tx *Tx, table string) error
	// IsUnique and IsForeignKey classify constraint violations;
	// IsPermission a privilege the database role lacks (nil where the
	// engine has no roles).
	IsUnique, IsForeignKey, IsPermission func(error) bool
	// MigrationsTable creates schema_migrations if it is missing;
	// LockMigrations, when set, serialises migrators.
	MigrationsTable, LockMigrations string
	// ReadTx are the options of read transactions.
	ReadTx *sql.TxOptions
	// Vacuum, when set, runs outside a transaction after an erasure
	// commits, to sweep the old row versions that still hold the erased
	// values and the statistics sampled from them.
	Vacuum string
}

// Store is an invite.Store on one database. w and r are the same pool on
// engines that need no separate writer.
type Store struct {
	d       *Dialect
	w, r    *sql.DB
	path    string
	rebound sync.Map // query with ? → query with $n
	// release frees what the pools stand on (PostgreSQL's pgxpool), after
	// they are closed; nil when nothing.
	release func()
	// applied is how many migrations the last Migrate applied.
	applied int
	// hooks are the webhook event types changes queue (SetWebhookEvents).
	hooks map[string]bool
}

var _ invite.Store = (*Store)(nil)

// New returns a Store on the pools w (writes) and r (reads), taking
// ownership of both; path is the database file, if it is one.
func New(d *Dialect, w, r *sql.DB, path string) *Store { return &Store{d: d, w: w, r: r, path: path} }

// NewOnPool is New on one database/sql pool that stands on another (a
// pgxpool.Pool through stdlib.OpenDBFromPool); Close calls release after
// closing db.
func NewOnPool(d *Dialect, db *sql.DB, release func()) *Store {
	return &Store{d: d, w: db, r: db, release: release}
}

// Path is the absolute path of the database file ("" for a server).
func (s *Store) Path() string { return s.path }

// Dialect is the store's dialect.
func (s *Store) Dialect() *Dialect { return s.d }

// sql returns query with the dialect's placeholders.
func (s *Store) sql(query string) string {
	if !s.d.Numbered {
		return query
	}
	if q, ok := s.rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	s.rebound.Store(query, b.String())
	return b.String()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return s.errorf("ping", err)
	}
	return nil
}

// Close closes the pools.
func (s *Store) Close() error {
	var err error
	if s.w == s.r {
		err = s.w.Close()
	} else {
		err = errors.Join(s.r.Close(), s.w.Close())
	}
	if s.release != nil {
		s.release()
	}
	return err
}

func (s *Store) errorf(what string, err error) error {
	return fmt.Errorf("%s: %s: %w", s.d.Name, what, err)
}

// row runs a one-row query outside a transaction.
func (s *Store) row(ctx context.Context, query string, args ...any) *sql.Row {
	return s.r.QueryRowContext(ctx, s.sql(query), args...)
}

// Tx is one transaction. A write transaction keeps its connection, for the
// dialect's raw access (COPY), and the kept counts it moves.
type Tx struct {
	tx     *sql.Tx
	Conn   *sql.Conn
	s      *Store
	counts map[countKey]int
	days   map[dayKey]int
	batch  bool // prepare repeated statements (execBatch)
	stmts  map[string]*sql.Stmt
}

// Exec runs a statement written with ? placeholders.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.s.sql(query), args...)
}

func (t *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.s.sql(query), args...)
}

func (t *Tx) row(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.s.sql(query), args...)
}

// Prepare prepares a statement written with ? placeholders for the
// transaction.
func (t *Tx) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.s.sql(query))
}

// execBatch runs a statement that a batch repeats: prepared once for the
// transaction when the transaction is a batch's, plainly otherwise.
func (t *Tx) execBatch(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !t.batch {
		return t.Exec(ctx, query, args...)
	}
	st, ok := t.stmts[query]
	if !ok {
		var err error
		if st, err = t.tx.PrepareContext(ctx, t.s.sql(query)); err != nil {
			return nil, err
		}
		if t.stmts == nil {
			t.stmts = map[string]*sql.Stmt{}
		}
		t.stmts[query] = st
	}
	return st.ExecContext(ctx, args...)
}

// savepoint runs fn under a savepoint where a failed statement would spoil
// the transaction, undoing fn's statements alone when it fails.
func (t *Tx) savepoint(ctx context.Context, fn func() error) error {
	if !t.s.d.Savepoints {
		return fn()
	}
	if _, err := t.Exec(ctx, "SAVEPOINT change"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := t.Exec(ctx, "ROLLBACK TO SAVEPOINT change"); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	_, err := t.Exec(ctx, "RELEASE SAVEPOINT change")
	return err
}

// Privileges a command needs, for the error that says one is missing.
const (
	readPrivilege  = "SELECT on the invitectl tables"
	writePrivilege = "SELECT, INSERT, UPDATE and DELETE on the invitectl tables, and USAGE on their sequences"
)

// denied explains an error that is the database refusing the role a
// privilege: which privileges the command needs, and who needs fewer.
func (s *Store) denied(err error, needs string) error {
	if err == nil || s.d.IsPermission == nil || !s.d.IsPermission(err) {
		return err
	}
	return &invite.Error{Code: invite.EINTERNAL, Message: "the database role lacks a privilege this command needs", Err: err,
		Hint: "grant the role " + needs + " (reading commands and dry runs need only SELECT), or run the command as a role that has them"}
}

// write runs fn in a write transaction and, when fn succeeds, writes the
// counts it moved and commits.
func (s *Store) write(ctx context.Context, fn func(tx *Tx) error) error {
	return s.denied(s.writeTx(ctx, fn), writePrivilege)
}

func (s *Store) writeTx(ctx context.Context, fn func(tx *Tx) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return s.errorf("connect", err)
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("begin", err)
	}
	tx := &Tx{tx: sqlTx, Conn: conn, s: s}
	defer func() {
		for _, st := range tx.stmts {
			_ = st.Close() // the transaction's end closes them too
		}
	}()
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback() // the error that matters is fn's
		return err
	}
	if err := tx.flushCounts(ctx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return s.errorf("commit", err)
	}
	return nil
}

// read runs fn in a read-only transaction: its queries see one snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := s.r.BeginTx(ctx, s.d.ReadTx)
	if err != nil {
		return s.errorf("begin read", err)
	}
	defer func() { _ = sqlTx.Rollback() }() // read-only: nothing to keep
	return s.denied(fn(&Tx{tx: sqlTx, s: s}), readPrivilege)
}

// each streams the rows of a query through scan into fn.
func each[T any](rows *sql.Rows, err error, scan func(scanner) (T, error), fn func(T) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// collect reads every row of a query through scan.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	var out []T
	err = each(rows, err, scan, func(v T) error { out = append(out, v); return nil })
	return out, err
}

type scanner interface{ Scan(dest ...any) error }
