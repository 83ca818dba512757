package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/invitectl/invitectl/internal/store/schema"

	"github.com/invitectl/invitectl/internal/invite"
)

// Migrations are files named NNNN_what.sql, applied in order of NNNN. A file
// that has been released is never edited: a change is a new file.
//
//go:embed migrations/*.sql
var embedded embed.FS

var migrations = mustSub(embedded, "migrations")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

type migration = schema.Migration

// loadMigrations reads and orders the migrations in fsys.
func loadMigrations(fsys fs.FS) ([]migration, error) { return schema.Load(fsys) }

// migrate applies the migrations of fsys that db has not seen yet, all in
// one immediate transaction: two processes opening a new file at once
// migrate it once, and a failed migration leaves the file as it was.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return err
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if current > len(ms) {
		return &invite.Error{Code: invite.EINTERNAL,
			Message: fmt.Sprintf("the database has schema version %d, newer than this invitectl knows (%d)", current, len(ms)),
			Hint:    "a newer invitectl wrote this database; upgrade invitectl to use it"}
	}
	now := time.Now().UTC().UnixMicro()
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, now); err != nil {
			return err
		}
	}
	return tx.Commit()
}
