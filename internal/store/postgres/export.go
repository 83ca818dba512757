package postgres

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/storecopy"
)

var (
	_ storecopy.Source = (*Store)(nil)
	_ storecopy.Target = (*Store)(nil)
)

// Export calls fn for every customer, invitation, user and audit event, each
// kind in ID order, from one REPEATABLE READ snapshot. Sessions are not
// exported.
func (s *Store) Export(ctx context.Context, fn func(storecopy.Record) error) error {
	return s.read(ctx, func(tx pgx.Tx) error {
		err := each(ctx, tx, `SELECT id, name, created_at FROM customers ORDER BY id`,
			func(row pgx.Row) (invite.Customer, error) {
				var c invite.Customer
				err := row.Scan(&c.ID, &c.Name, &c.CreatedAt)
				c.CreatedAt = fromTime(c.CreatedAt)
				return c, err
			},
			func(c invite.Customer) error { return fn(storecopy.Record{Customer: &c}) })
		if err != nil {
			return err
		}
		err = each(ctx, tx, `SELECT `+invitationColumns+` FROM invitations i JOIN customers c ON c.id = i.customer_id ORDER BY i.id`,
			scanInvitation, func(inv invite.Invitation) error { return fn(storecopy.Record{Invitation: &inv}) })
		if err != nil {
			return err
		}
		err = each(ctx, tx, `SELECT `+userSelect+` FROM users u JOIN customers c ON c.id = u.customer_id ORDER BY u.id`,
			scanUser, func(u invite.User) error { return fn(storecopy.Record{User: &u}) })
		if err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+auditColumns+` FROM audit_events ORDER BY id`,
			scanAudit,
			func(ev invite.AuditEvent) error { return fn(storecopy.Record{Event: &ev}) })
	})
}

// each streams the rows of query through scan into fn.
func each[T any](ctx context.Context, tx pgx.Tx, query string, scan func(pgx.Row) (T, error), fn func(T) error) error {
	rows, err := tx.Query(ctx, query)
	if err != nil {
		return fmt.Errorf("postgres: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return fmt.Errorf("postgres: export: %w", err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: export: %w", err)
	}
	return nil
}

// Counts returns the number of customers, invitations, users and audit
// events.
func (s *Store) Counts(ctx context.Context) (storecopy.Counts, error) {
	return counts(ctx, s.pool)
}

func counts(ctx context.Context, q querier) (storecopy.Counts, error) {
	var c storecopy.Counts
	err := q.QueryRow(ctx, `SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM invitations),
		(SELECT count(*) FROM users), (SELECT count(*) FROM audit_events)`).
		Scan(&c.Customers, &c.Invitations, &c.Users, &c.AuditEvents)
	if err != nil {
		return c, fmt.Errorf("postgres: count rows: %w", err)
	}
	return c, nil
}

// Import writes records into this empty store in one transaction with COPY,
// keeping every ID, and moves the ID sequences past them. The tables are
// locked against writers for the duration, so nothing slips in between the
// emptiness check and the copy.
func (s *Store) Import(ctx context.Context, records iter.Seq2[storecopy.Record, error]) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE customers, invitations, users, audit_events IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("postgres: import: %w", err)
		}
		c, err := counts(ctx, tx)
		if err != nil {
			return err
		}
		if !c.Empty() {
			return storecopy.NotEmpty(c)
		}
		im := &importer{tx: tx}
		for r, err := range records {
			if err != nil {
				return err
			}
			if err := im.add(ctx, r); err != nil {
				return err
			}
		}
		return im.flush(ctx)
	})
}

// importBatch is how many rows one COPY carries.
const importBatch = 10000

// importer collects records of one kind and writes them in batches; records
// arrive kind by kind, so a batch never waits for a row of a later kind.
type importer struct {
	tx        pgx.Tx
	customers []invite.Customer
	invs      []invite.Invitation
	users     []invite.User
	events    []invite.AuditEvent
}

func (im *importer) add(ctx context.Context, r storecopy.Record) error {
	// A record of another kind than the pending ones flushes them first, so
	// that rows are written in the order foreign keys need.
	switch {
	case r.Customer != nil:
		if len(im.invs)+len(im.users)+len(im.events) > 0 {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
		im.customers = append(im.customers, *r.Customer)
	case r.Invitation != nil:
		if len(im.customers)+len(im.users)+len(im.events) > 0 {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
		im.invs = append(im.invs, *r.Invitation)
	case r.User != nil:
		if len(im.customers)+len(im.invs)+len(im.events) > 0 {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
		im.users = append(im.users, *r.User)
	case r.Event != nil:
		if len(im.customers)+len(im.invs)+len(im.users) > 0 {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
		im.events = append(im.events, *r.Event)
	}
	if len(im.customers)+len(im.invs)+len(im.users)+len(im.events) >= importBatch {
		return im.flush(ctx)
	}
	return nil
}

// flush writes the pending rows (all of one kind) and moves their table's
// ID sequence past them.
func (im *importer) flush(ctx context.Context) error {
	tx := im.tx
	switch {
	case len(im.customers) > 0:
		rows := make([][]any, len(im.customers))
		for i, c := range im.customers {
			name := strings.TrimSpace(c.Name)
			rows[i] = []any{c.ID, name, customerKey(name), invite.SortKey(name), ts(c.CreatedAt)}
		}
		im.customers = im.customers[:0]
		return copyRows(ctx, tx, "customers", []string{"id", "name", "name_key", "sort_key", "created_at"}, rows)
	case len(im.invs) > 0:
		ks := make([]keys, len(im.invs))
		parallel(len(im.invs), func(i int) { ks[i] = keysOf(&im.invs[i]) })
		err := insertInvitations(ctx, tx, im.invs, ks)
		im.invs = im.invs[:0]
		return err
	case len(im.users) > 0:
		rows := make([][]any, len(im.users))
		for i := range im.users {
			u := &im.users[i]
			u.Email = strings.TrimSpace(u.Email)
			rows[i] = userRow(u, emailKey(u.Email))
		}
		im.users = im.users[:0]
		return copyRows(ctx, tx, "users", userColumns, rows)
	case len(im.events) > 0:
		rows := make([][]any, len(im.events))
		for i, ev := range im.events {
			rows[i] = []any{ev.ID, ts(ev.At), ev.Actor, ev.Action, nullID(ev.InvitationID), ev.Detail}
		}
		im.events = im.events[:0]
		return copyRows(ctx, tx, "audit_events", []string{"id", "at", "actor", "action", "invitation_id", "detail"}, rows)
	}
	return nil
}

// copyRows COPYs rows into table and moves its ID sequence past them.
func copyRows(ctx context.Context, tx pgx.Tx, table string, columns []string, rows [][]any) error {
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("postgres: import %s: %w", table, err)
	}
	return fixSequence(ctx, tx, table)
}
