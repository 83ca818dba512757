package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/invitectl/invitectl/internal/store/schema"

	"github.com/jackc/pgx/v5"
)

// Migrations are files named NNNN_what.sql, applied in order of NNNN. A file
// that has been released is never edited: a change is a new file.
//
//go:embed migrations/*.sql
var embedded embed.FS

type migration = schema.Migration

// mustLoad returns the embedded migrations; they are checked by the tests,
// so a failure here is a broken build.
func mustLoad() []migration {
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		panic(err)
	}
	ms, err := loadMigrations(sub)
	if err != nil {
		panic(err)
	}
	return ms
}

// loadMigrations reads and orders the migrations in fsys.
func loadMigrations(fsys fs.FS) ([]migration, error) { return schema.Load(fsys) }

// SchemaVersion is the schema version this build expects: the number of
// its embedded migrations.
func SchemaVersion() int { return len(mustLoad()) }

// Migrate brings the schema of the database at url up to date and returns
// its version. It is idempotent, and safe to run from several processes at
// once: the migrations run in one transaction that first takes an advisory
// lock, so one process applies them and the others then find nothing to do.
// A failed migration leaves the database as it was.
func Migrate(ctx context.Context, url string) (version int, err error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return 0, fmt.Errorf("postgres: invalid URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return 0, fmt.Errorf("postgres: connect to %s: %w", target(cfg), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := migrate(ctx, conn, mustLoad()); err != nil {
		return 0, fmt.Errorf("postgres: migrate %s: %w", target(cfg), err)
	}
	return schemaVersion(ctx, conn)
}

// migrate applies the migrations that the schema lacks.
func migrate(ctx context.Context, conn *pgx.Conn, ms []migration) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // a no-op after Commit
	// The lock is per schema, so that separate schemas in one database (one
	// per test, say) migrate independently. It is released at commit.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('invitectl migrate ' || current_schema()))`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return err
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if current > len(ms) {
		return fmt.Errorf("the database has schema version %d, newer than this invitectl knows (%d): upgrade invitectl", current, len(ms))
	}
	for _, m := range ms[current:] {
		// The simple protocol runs every statement of the file.
		if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// schemaVersion is the highest applied migration, 0 when there is none.
func schemaVersion(ctx context.Context, conn *pgx.Conn) (int, error) {
	var v int
	err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if sqlState(err) == undefinedTable {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: read schema version: %w", err)
	}
	return v, nil
}
