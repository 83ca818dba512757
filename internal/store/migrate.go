package store

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/schema"
)

// Migrate applies the migrations of fsys that the database lacks, all in
// one write transaction, and returns the schema version. Two processes
// migrating at once migrate once (the dialect's lock, or SQLite's write
// lock), and a failed migration leaves the database as it was. A
// migration's SQL may be followed by a step in Go (goSteps), run in the same
// transaction, for what SQL cannot derive.
func (s *Store) Migrate(ctx context.Context, fsys fs.FS) (int, error) {
	ms, err := schema.Load(fsys)
	if err != nil {
		return 0, err
	}
	applied := 0
	err = s.write(ctx, func(tx *Tx) error {
		applied = 0
		if s.d.LockMigrations != "" {
			if _, err := tx.Exec(ctx, s.d.LockMigrations); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, s.d.MigrationsTable); err != nil {
			return err
		}
		current, err := schemaVersion(ctx, tx.tx.QueryRowContext, s.sql)
		if err != nil {
			return err
		}
		if current > len(ms) {
			return &invite.Error{Code: invite.EINTERNAL,
				Message: fmt.Sprintf("the database has schema version %d, newer than this invitectl knows (%d)", current, len(ms)),
				Hint:    "a newer invitectl wrote this database; upgrade invitectl to use it"}
		}
		for _, m := range ms[current:] {
			if _, err := tx.tx.ExecContext(ctx, m.SQL); err != nil { // as written: no placeholders
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if step := goSteps[m.Name]; step != nil {
				if err := step(ctx, tx); err != nil {
					return fmt.Errorf("%s: %w", m.Name, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, s.d.Time(time.Now())); err != nil {
				return err
			}
			applied++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.applied = applied
	return len(ms), nil
}

// MigrationsApplied is how many migrations the last Migrate applied (0 when
// the schema was already up to date).
func (s *Store) MigrationsApplied() int { return s.applied }

// schemaVersion is the highest migration applied.
func schemaVersion(ctx context.Context, q queryRow, rebind func(string) string) (int, error) {
	var v int
	err := q(ctx, rebind(`SELECT coalesce(max(version), 0) FROM schema_migrations`)).Scan(&v)
	return v, err
}

// SchemaVersion returns the version of the database's schema.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	v, err := schemaVersion(ctx, s.r.QueryRowContext, s.sql)
	if err != nil {
		return 0, s.errorf("read schema version", err)
	}
	return v, nil
}

// goSteps are the Go steps of migrations, by file name; each engine's
// migration of that name runs it after its SQL.
var goSteps = map[string]func(ctx context.Context, tx *Tx) error{
	"0002_one_store.sql": rederive,
}

// rederivation is how one table's derived columns are computed from the
// columns they derive from.
type rederivation struct {
	table       string
	from, write []string
	derive      func(from []string) []string
}

var rederivations = []rederivation{
	{"customers", []string{"name"}, []string{"name_key"}, func(v []string) []string {
		return []string{schema.CustomerKey(v[0])}
	}},
	{"invitations", []string{"first_name", "last_name", "email"}, []string{"email", "email_key", "search_text"}, func(v []string) []string {
		email := schema.NFC(strings.TrimSpace(v[2]))
		return []string{email, invite.EmailKey(email), schema.SearchText(v[0], v[1], email)}
	}},
	{"users", []string{"email"}, []string{"email", "email_key"}, func(v []string) []string {
		email := schema.NFC(strings.TrimSpace(v[0]))
		return []string{email, invite.EmailKey(email)}
	}},
}

// rederive recomputes the derived columns of every row with the one Go
// derivation (package schema) and writes those that differ: rows stored
// before emails were NFC-normalised, names keyed without NFC, and the
// PostgreSQL search text, which put the email first. Emails themselves
// are normalised as validation now normalises them.
func rederive(ctx context.Context, tx *Tx) error {
	tx.batch = true
	for _, r := range rederivations {
		cols := slices.Concat([]string{"id"}, r.from, r.write)
		set := strings.Join(r.write, " = ?, ") + " = ?"
		for after := int64(0); ; {
			rows, err := tx.query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+r.table+" WHERE id > ? ORDER BY id LIMIT 5000", after)
			type row struct {
				id int64
				v  []string // from, then write
			}
			batch, err := collect(rows, err, func(sc scanner) (row, error) {
				r := row{v: make([]string, len(cols)-1)}
				dest := []any{&r.id}
				for i := range r.v {
					dest = append(dest, scanString{&r.v[i]})
				}
				err := sc.Scan(dest...)
				after = r.id
				return r, err
			})
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				break
			}
			for _, row := range batch {
				want := r.derive(row.v[:len(r.from)])
				if slices.Equal(want, row.v[len(r.from):]) {
					continue
				}
				args := make([]any, 0, len(want)+1)
				for _, w := range want {
					args = append(args, w)
				}
				if _, err := tx.execBatch(ctx, "UPDATE "+r.table+" SET "+set+" WHERE id = ?", append(args, row.id)...); err != nil {
					return fmt.Errorf("normalising %s %d (%s): %w", r.table, row.id, strings.Join(want, ", "), err)
				}
			}
		}
	}
	return nil
}
