// Package postgres is the PostgreSQL dialect of the store (internal/store),
// on github.com/jackc/pgx/v5 through database/sql (pgx/v5/stdlib), with a
// raw pgx connection for COPY. Connections come from a pgxpool.Pool that
// reads the URL's pool_… parameters (pool_max_conns, pool_min_conns,
// pool_max_conn_lifetime, pool_max_conn_idle_time, …) with pgxpool's
// defaults; database/sql keeps none of its own, so idle connections stay in
// the pgx pool instead of being closed and opened again.
//
// Several processes (serve-accept instances, CLI runs) share one database
// safely at PostgreSQL's default READ COMMITTED isolation: every change is
// a conditional update (the second of two writers waits for the first's row
// lock, then finds the version moved and changes nothing); accepting locks
// the invitation's row (FOR UPDATE); creating an invitation and accepting
// one take a transaction-scoped advisory lock on the email, so "no open
// invitation and no account for this email" is checked and acted on
// without a race; unique indexes back both up. Reads run in read-only
// REPEATABLE READ transactions: one snapshot each.
//
// The schema is not migrated on Open: Migrate (`invitectl migrate`) applies
// the embedded migrations, and Open refuses a database whose schema is
// missing or out of date.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/schema"
)

// Dialect is PostgreSQL's: writers at READ COMMITTED lock what they decide
// on (a row, an email, the tables for a copy), and a failed statement spoils
// its transaction, so statements that may fail run under a savepoint.
var Dialect = &store.Dialect{
	Name:       "postgres",
	Numbered:   true,
	LockEmail:  `SELECT pg_advisory_xact_lock(?)`,
	ForUpdate:  " FOR UPDATE OF i",
	SkipLocked: " FOR UPDATE OF d SKIP LOCKED",
	LockTables: `LOCK TABLE customers, invitations, users, audit_events, invitation_counts, invitation_expiry_counts IN EXCLUSIVE MODE`,
	// Every index but the primary key's; the search index is one of them.
	DeferredIndexes: `SELECT 'INDEX', indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'invitations'
		AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'invitations'::regclass)
		ORDER BY indexname`,
	IndexBuild: []string{`SET LOCAL maintenance_work_mem = '256MB'`},
	Savepoints: true,
	ReadTx:     &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	// An erasure leaves dead row versions, and their index entries, until
	// VACUUM reclaims them; ANALYZE replaces the statistics (pg_stats)
	// that may have sampled the erased values. A role that does not own a
	// table gets a warning and the table is skipped (docs/security.md).
	Vacuum: `VACUUM (ANALYZE) invitations, users, sessions, deliveries, audit_events`,
	// timestamptz keeps microseconds; truncate as SQLite's encoding does.
	Time: func(t time.Time) any { return t.UTC().Truncate(time.Microsecond) },
	// The planner picks the index by the table's statistics.
	IndexedBy: func(string) string { return "" },
	Contains:  func(col, param string) string { return "strpos(" + col + ", " + param + ") > 0" },
	Match:     match,
	IsUnique:  func(err error) bool { return sqlState(err) == "23505" },
	Bulk:      copyRows,
	// Rows copied with their IDs move the sequence past them.
	AfterBulkIDs: fixSequence,
	IsForeignKey: func(err error) bool { return sqlState(err) == "23503" },
	IsPermission: func(err error) bool { return sqlState(err) == "42501" },
	MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`,
	// The lock is per schema, so that separate schemas in one database (one
	// per test, say) migrate independently. It is released at commit.
	LockMigrations: `SELECT pg_advisory_xact_lock(hashtext('invitectl migrate ' || current_schema()))`,
}

// Store is the store on a PostgreSQL database (or schema: tables are found
// through the connection's search_path).
type Store = store.Store

// Migrations are files named NNNN_what.sql, applied in order of NNNN. A file
// that has been released is never edited: a change is a new file.
//
//go:embed migrations/*.sql
var embedded embed.FS

// Migrations are the embedded migrations.
var Migrations = schema.Embedded(embedded)

// ErrNoSchema is Open's error for a database that `invitectl migrate` has
// not prepared yet.
var ErrNoSchema = &invite.Error{Code: invite.EINTERNAL, Message: "the PostgreSQL database has no invitectl schema yet",
	Hint: "run `invitectl migrate` with the same --db to create it"}

// SchemaVersion is the schema version this build expects: the number of
// its embedded migrations.
func SchemaVersion() int {
	ms, err := schema.Load(Migrations)
	if err != nil {
		panic(err) // the tests load them: a broken build
	}
	return len(ms)
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string) and checks that its schema is the one this build
// expects. A missing or older schema is an error whose hint says to run
// `invitectl migrate`.
func Open(ctx context.Context, url string) (*Store, error) {
	s, cfg, err := connect(ctx, url)
	if err != nil {
		return nil, err
	}
	have, err := s.SchemaVersion(ctx)
	want := SchemaVersion()
	switch {
	case sqlState(err) == "42P01" || err == nil && have == 0: // no schema_migrations, or empty
		err = ErrNoSchema
	case err != nil:
		err = connectError(cfg, err)
	case have < want:
		err = invite.Errorf(invite.EINTERNAL, "the PostgreSQL schema is at version %d, but this invitectl needs version %d", have, want).
			WithHint("run `invitectl migrate` with the same --db to upgrade it")
	case have > want:
		err = invite.Errorf(invite.EINTERNAL, "the PostgreSQL schema is at version %d, newer than this invitectl knows (%d)", have, want).
			WithHint("upgrade invitectl to the release that migrated this database")
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Migrate brings the schema of the database at url up to date and returns
// its version. It is idempotent, and safe to run from several processes at
// once: the migrations run in one transaction that first takes an advisory
// lock, so one process applies them and the others then find nothing to do.
// A failed migration leaves the database as it was.
func Migrate(ctx context.Context, url string) (int, error) {
	_, v, err := MigrateCounted(ctx, url)
	return v, err
}

// MigrateCounted is Migrate that also says how many migrations it applied.
func MigrateCounted(ctx context.Context, url string) (applied, version int, err error) {
	s, cfg, err := connect(ctx, url)
	if err != nil {
		return 0, 0, err
	}
	defer s.Close()
	v, err := s.Migrate(ctx, Migrations)
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: migrate %s: %w", target(cfg), err)
	}
	return s.MigrationsApplied(), v, nil
}

// AppName is the application_name a connection reports unless the URL sets
// one: what pg_stat_activity shows for invitectl's backends.
const AppName = "invitectl"

// ParseConfig reads a PostgreSQL URL (or key=value connection string) as
// pgxpool does, pool_… parameters included, and names the connections
// AppName unless the URL names them. Its error is exit 2's: the URL, with
// its password hidden, and what is wrong with it.
func ParseConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, invite.Errorf(invite.EINVALID, "invalid PostgreSQL URL: %s", oneLine(err.Error())).
			WithHint("write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=…, pool_max_conns a whole number of 1 or more, pool_max_conn_lifetime and pool_max_conn_idle_time durations such as 1h or 30m")
	}
	if cfg.MinConns > cfg.MaxConns {
		return nil, invite.Errorf(invite.EINVALID, "invalid PostgreSQL URL: pool_min_conns (%d) is more than pool_max_conns (%d)", cfg.MinConns, cfg.MaxConns).
			WithHint("lower pool_min_conns or raise pool_max_conns")
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = AppName
	}
	return cfg, nil
}

func connect(ctx context.Context, url string) (*Store, *pgx.ConnConfig, error) {
	cfg, err := ParseConfig(url)
	if err != nil {
		return nil, nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, connectError(cfg.ConnConfig, err)
	}
	db := stdlib.OpenDBFromPool(pool)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		pool.Close()
		return nil, nil, connectError(cfg.ConnConfig, err)
	}
	return store.NewOnPool(Dialect, db, pool.Close), cfg.ConnConfig, nil
}

// connectError says which database could not be reached, on one line.
func connectError(cfg *pgx.ConnConfig, err error) error {
	return fmt.Errorf("postgres: connect to %s: %w", target(cfg), lineError{err})
}

// lineError is an error whose text is put on one line: pgconn joins the
// attempts at several addresses with a newline and a tab, which a terminal
// message would otherwise show escaped.
type lineError struct{ err error }

func (e lineError) Error() string { return oneLine(e.err.Error()) }
func (e lineError) Unwrap() error { return e.err }

// oneLine joins the lines of s, each trimmed, with "; " (a space after a
// line that ends in a colon).
func oneLine(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			if strings.HasSuffix(b.String(), ":") {
				b.WriteString(" ")
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(line)
	}
	return b.String()
}

// target names a database for messages, without credentials.
func target(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("database %q on %s:%d", cfg.Database, cfg.Host, cfg.Port)
}

// copyRows writes rows with COPY on the transaction's own connection.
func copyRows(ctx context.Context, tx *store.Tx, table string, cols []string, n int, row func(int) []any) error {
	return tx.Conn.Raw(func(dc any) error {
		i := 0
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			i++
			return row(i - 1), nil
		}))
		return err
	})
}

// match finds the invitations whose search text contains every term with
// LIKE, which the pg_trgm GIN index on search_text answers (migration
// 0004), each term's own %, _ and \ escaped.
func match(terms []string) (string, []any) {
	conds := make([]string, len(terms))
	args := make([]any, len(terms))
	for i, t := range terms {
		conds[i] = `search_text LIKE ?`
		args[i] = "%" + likeEscaper.Replace(t) + "%"
	}
	return strings.Join(conds, " AND "), args
}

// likeEscaper escapes LIKE's wildcards and its escape character, \.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// fixSequence moves table's id sequence past the highest id, after rows were
// inserted with their own ids, so that the next generated id is free.
func fixSequence(ctx context.Context, tx *store.Tx, table string) error {
	_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence(?, 'id'), coalesce(max(id), 0) + 1, false) FROM `+
		pgx.Identifier{table}.Sanitize(), table)
	if err != nil {
		return fmt.Errorf("postgres: move the %s id sequence: %w", table, err)
	}
	return nil
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
