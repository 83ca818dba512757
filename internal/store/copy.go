package store

import (
	"context"
	"iter"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/schema"
	"github.com/invitectl/invitectl/internal/store/storecopy"
)

var (
	_ storecopy.Source = (*Store)(nil)
	_ storecopy.Target = (*Store)(nil)
)

// Export calls fn for every customer, invitation, user and audit event, each
// kind in ID order, from one read transaction (one snapshot). Sessions are
// not exported, and derived data (keys, kept counts) is derived again by
// the target.
func (s *Store) Export(ctx context.Context, fn func(storecopy.Record) error) error {
	return s.read(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT id, name, created_at FROM customers ORDER BY id`)
		err = each(rows, err, scanCustomer, func(c invite.Customer) error { return fn(storecopy.Record{Customer: &c}) })
		if err != nil {
			return s.errorf("export", err)
		}
		rows, err = tx.query(ctx, `SELECT `+invitationColumns+invitationFrom+` ORDER BY i.id`)
		err = each(rows, err, scanInvitation, func(inv invite.Invitation) error { return fn(storecopy.Record{Invitation: &inv}) })
		if err != nil {
			return s.errorf("export", err)
		}
		rows, err = tx.query(ctx, userSelect+userFrom+` ORDER BY u.id`)
		err = each(rows, err, scanUser, func(u invite.User) error { return fn(storecopy.Record{User: &u}) })
		if err != nil {
			return s.errorf("export", err)
		}
		rows, err = tx.query(ctx, `SELECT `+auditColumns+` FROM audit_events ORDER BY id`)
		if err = each(rows, err, scanAudit, func(ev invite.AuditEvent) error { return fn(storecopy.Record{Event: &ev}) }); err != nil {
			return s.errorf("export", err)
		}
		rows, err = tx.query(ctx, `SELECT `+deliveryColumns+` FROM deliveries d ORDER BY d.id`)
		if err = each(rows, err, scanDelivery, func(d invite.Delivery) error { return fn(storecopy.Record{Delivery: &d}) }); err != nil {
			return s.errorf("export", err)
		}
		return nil
	})
}

// Counts returns the number of customers, invitations, users and audit
// events.
func (s *Store) Counts(ctx context.Context) (storecopy.Counts, error) {
	return countRows(ctx, s.r.QueryRowContext, s)
}

func countRows(ctx context.Context, q queryRow, s *Store) (storecopy.Counts, error) {
	var c storecopy.Counts
	err := q(ctx, `SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM invitations),
		(SELECT count(*) FROM users), (SELECT count(*) FROM audit_events), (SELECT count(*) FROM deliveries)`).
		Scan(&c.Customers, &c.Invitations, &c.Users, &c.AuditEvents, &c.Deliveries)
	if err != nil {
		return c, s.errorf("count rows", err)
	}
	return c, nil
}

// Import writes records into this empty store in one write transaction,
// keeping every ID, with the dialect's bulk load. The emptiness check runs
// inside the transaction, after the tables are locked against writers.
// The kept counts are counted as the invitations are written, and the
// invitations' indexes are built once they all are (withoutIndexes).
func (s *Store) Import(ctx context.Context, records iter.Seq2[storecopy.Record, error]) error {
	return s.write(ctx, func(tx *Tx) error {
		if s.d.LockTables != "" {
			if _, err := tx.Exec(ctx, s.d.LockTables); err != nil {
				return s.errorf("import", err)
			}
		}
		c, err := countRows(ctx, tx.tx.QueryRowContext, s)
		if err != nil {
			return err
		}
		if !c.Empty() {
			return storecopy.NotEmpty(c)
		}
		im := &importer{tx: tx}
		return tx.withoutIndexes(ctx, func() error {
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
	})
}

// importBatch is how many rows one bulk load carries.
const importBatch = 10000

// importer collects records of one kind and writes them in batches; records
// arrive kind by kind, so a batch never waits for a row of a later kind.
type importer struct {
	tx     *Tx
	kind   int // of the pending records: 0 customers, 1 invitations, 2 users, 3 events, 4 emails
	n      int
	custs  []invite.Customer
	invs   []invite.Invitation
	users  []invite.User
	events []invite.AuditEvent
	mails  []invite.Delivery
}

func (im *importer) add(ctx context.Context, r storecopy.Record) error {
	kind := 0
	switch {
	case r.Invitation != nil:
		kind = 1
	case r.User != nil:
		kind = 2
	case r.Event != nil:
		kind = 3
	case r.Delivery != nil:
		kind = 4
	}
	// A record of another kind flushes the pending ones first, so that rows
	// are written in the order foreign keys need.
	if kind != im.kind || im.n >= importBatch {
		if err := im.flush(ctx); err != nil {
			return err
		}
		im.kind = kind
	}
	im.n++
	switch kind {
	case 0:
		im.custs = append(im.custs, *r.Customer)
	case 1:
		im.invs = append(im.invs, *r.Invitation)
	case 2:
		im.users = append(im.users, *r.User)
	case 3:
		im.events = append(im.events, *r.Event)
	default:
		im.mails = append(im.mails, *r.Delivery)
	}
	return nil
}

// flush writes the pending rows (all of one kind) and moves their table's
// ID sequence past them.
func (im *importer) flush(ctx context.Context) error {
	t, s := im.tx, im.tx.s
	var err error
	var table string
	switch {
	case len(im.custs) > 0:
		table = "customers"
		err = s.d.Bulk(ctx, t, table, []string{"id", "name", "name_key", "sort_key", "created_at"}, len(im.custs), func(i int) []any {
			c := &im.custs[i]
			name := strings.TrimSpace(c.Name)
			return []any{c.ID, name, schema.CustomerKey(name), invite.SortKey(name), s.d.Time(c.CreatedAt)}
		})
	case len(im.invs) > 0:
		err = t.insertInvitations(ctx, im.invs)
	case len(im.users) > 0:
		table = "users"
		err = s.d.Bulk(ctx, t, table, userColumns, len(im.users), func(i int) []any { return s.userRow(&im.users[i]) })
	case len(im.events) > 0:
		table = "audit_events"
		err = s.d.Bulk(ctx, t, table, strings.Split(auditColumns, ", "), len(im.events), func(i int) []any {
			ev := &im.events[i]
			return []any{ev.ID, s.d.Time(ev.At), ev.Actor, ev.Action, nullID(ev.InvitationID), ev.Detail}
		})
	case len(im.mails) > 0:
		table = "deliveries"
		err = s.d.Bulk(ctx, t, table, deliveryCols, len(im.mails), func(i int) []any {
			d := &im.mails[i]
			return []any{d.ID, d.InvitationID, string(d.Kind), d.LinkGeneration, string(d.State), d.Attempts,
				s.d.Time(d.NextAttemptAt), nullString(d.LastError), s.d.Time(d.CreatedAt), s.nullTime(d.SentAt), nullID(d.UserID)}
		})
	}
	im.custs, im.invs, im.users, im.events, im.mails, im.n = im.custs[:0], im.invs[:0], im.users[:0], im.events[:0], im.mails[:0], 0
	if err != nil {
		return s.errorf("import "+table, err)
	}
	if table != "" && s.d.AfterBulkIDs != nil {
		return s.d.AfterBulkIDs(ctx, t, table)
	}
	return nil
}
