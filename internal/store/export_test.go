package store

import (
	"context"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// Exec runs statements on the store's writer, for tests and benchmarks that
// set up what the store itself never does (VACUUM, an older schema).
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.w.ExecContext(ctx, s.sql(query), args...)
	return err
}

// WriterPragma reads a pragma of SQLite's writer connection.
func (s *Store) WriterPragma(ctx context.Context, name string) (int64, error) {
	var v int64
	err := s.w.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// Query runs a query on a reader and returns its rows' first columns, as
// text.
func (s *Store) Query(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, s.sql(query), args...)
	return collect(rows, err, func(sc scanner) (string, error) {
		cols, err := rows.Columns()
		if err != nil {
			return "", err
		}
		v := make([]any, len(cols))
		var first string
		v[0] = scanString{&first}
		for i := 1; i < len(v); i++ {
			v[i] = new(any)
		}
		return first, sc.Scan(v...)
	})
}

// ListQueries returns the SQL of a list: the page query with its arguments,
// and the count query of the expired (or, with a search, of the matches)
// in the first state (of a gathered plan, of every state), with its
// arguments.
func (s *Store) ListQueries(q invite.ListQuery) (page string, pageArgs []any, count string, countArgs []any, err error) {
	l, err := s.planList(q)
	if err != nil {
		return "", nil, "", nil, err
	}
	page, pageArgs = l.page(q)
	index, expiry := "", l.expiry
	if len(l.search) == 0 && !l.gathered() {
		index, expiry = "invitations_by_expiry", "<= ?"
	}
	states := l.states[:1]
	if l.gathered() {
		states = l.states
	}
	cond, countArgs := l.where(states, expiry)
	return s.sql(page), pageArgs, s.sql("SELECT count(*) FROM " + l.from(index) + cond), countArgs, nil
}

// PageQuery returns the SQL of a list's page as ListInvitations chooses it,
// after the total, with its arguments.
func (s *Store) PageQuery(ctx context.Context, q invite.ListQuery) (string, []any, error) {
	l, err := s.planList(q)
	if err != nil {
		return "", nil, err
	}
	var query string
	var args []any
	err = s.read(ctx, func(tx *Tx) error {
		total, err := l.total(ctx, tx)
		if err == nil {
			err = l.chooseWalk(ctx, tx, q, total)
		}
		query, args = l.page(q)
		return err
	})
	return s.sql(query), args, err
}

// Explain runs the setup statements, then query, in one read transaction,
// and returns the first column of its rows, one per line: for EXPLAIN.
func (s *Store) Explain(ctx context.Context, setup []string, query string, args ...any) (string, error) {
	var lines []string
	err := s.read(ctx, func(tx *Tx) error {
		for _, st := range setup {
			if _, err := tx.Exec(ctx, st); err != nil {
				return err
			}
		}
		rows, err := tx.query(ctx, query, args...)
		if err != nil {
			return err
		}
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		lines, err = collect(rows, nil, func(sc scanner) (string, error) {
			v := make([]any, len(cols))
			for i := range v {
				v[i] = new(any)
			}
			var line string
			v[len(v)-1] = scanString{&line}
			return line, sc.Scan(v...)
		})
		return err
	})
	return strings.Join(lines, "\n"), err
}

// LinkUsable says whether the accept condition selects invitation id for a
// link of generation gen at time at.
func (s *Store) LinkUsable(ctx context.Context, id int64, gen int, at time.Time) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, s.sql(`SELECT count(*) FROM invitations WHERE id = ? AND `+usableLink), id, gen, s.d.Time(at)).Scan(&n)
	return n == 1, err
}

// SetWriterPragma sets a pragma of SQLite's writer connection.
func (s *Store) SetWriterPragma(ctx context.Context, pragma string) error {
	_, err := s.w.ExecContext(ctx, "PRAGMA "+pragma)
	return err
}
