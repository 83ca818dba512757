// Package postgres is the invite.Store for shared deployments, on
// github.com/jackc/pgx/v5 through a pgxpool connection pool.
//
// Several processes (serve-accept instances, CLI runs) share one database
// safely at PostgreSQL's default READ COMMITTED isolation:
//
//   - every state change is a conditional UPDATE … WHERE id = $1 AND
//     version = $2, in one transaction with its audit event: of two writers
//     that read the same version, the second waits for the first's row lock,
//     then finds the version moved and changes nothing;
//   - accepting an invitation is one transaction: the conditional update, the
//     user (a unique index on the email key refuses a second account), the
//     session and the audit event;
//   - creating an invitation and accepting one take a transaction-scoped
//     advisory lock on the email, so "no open invitation and no account for
//     this email" is checked and acted on without a race; a partial unique
//     index on the email of pending invitations backs this up.
//
// The schema is not migrated on Open: Migrate (`invitectl migrate`) applies
// the embedded migrations, and Open refuses a database whose schema is
// missing or out of date.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/invitectl/invitectl/internal/invite"
)

// Store is an invite.Store on one PostgreSQL database (or schema: tables
// are found through the connection's search_path).
type Store struct {
	pool *pgxpool.Pool
}

var _ invite.Store = (*Store)(nil)

// ErrNoSchema is Open's error for a database that `invitectl migrate` has
// not prepared yet.
var ErrNoSchema = &invite.Error{Code: invite.EINTERNAL, Message: "the PostgreSQL database has no invitectl schema yet",
	Hint: "run `invitectl migrate` with the same --db to create it"}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string) and checks that its schema is the one this build
// expects. A missing or older schema is an error whose hint says to run
// `invitectl migrate`.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, invite.Errorf(invite.EINVALID, "invalid PostgreSQL URL: %v", err).
			WithHint("write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=…")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", target(cfg.ConnConfig), err)
	}
	s := &Store{pool: pool}
	if err := s.checkSchema(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// target names a database for messages, without credentials.
func target(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("database %q on %s:%d", cfg.Database, cfg.Host, cfg.Port)
}

// checkSchema compares the database's schema version with the migrations
// embedded in this build.
func (s *Store) checkSchema(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: connect to %s: %w", target(s.pool.Config().ConnConfig), err)
	}
	defer conn.Release()
	have, err := schemaVersion(ctx, conn.Conn())
	if err != nil {
		return err
	}
	want := len(mustLoad())
	switch {
	case have == 0:
		return ErrNoSchema
	case have < want:
		return invite.Errorf(invite.EINTERNAL, "the PostgreSQL schema is at version %d, but this invitectl needs version %d", have, want).
			WithHint("run `invitectl migrate` with the same --db to upgrade it")
	case have > want:
		return invite.Errorf(invite.EINTERNAL, "the PostgreSQL schema is at version %d, newer than this invitectl knows (%d)", have, want).
			WithHint("upgrade invitectl to the release that migrated this database")
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// write runs fn in a READ COMMITTED transaction and commits it when fn
// succeeds. Correctness under concurrency comes from conditional updates,
// unique indexes and advisory locks, not from the isolation level, so a
// transaction never fails with a serialization error that would need a retry.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx)) // the error that matters is fn's
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// read runs fn in a read-only REPEATABLE READ transaction: all its queries
// see one snapshot (a page and its total agree).
func (s *Store) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin read: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // read-only: nothing to keep
	return fn(tx)
}

// SQLSTATE codes the store tells apart.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	undefinedTable      = "42P01"
)

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func isUnique(err error) bool     { return sqlState(err) == uniqueViolation }
func isForeignKey(err error) bool { return sqlState(err) == foreignKeyViolation }

// constraint is the name of the violated constraint or index, if any.
func constraint(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}
