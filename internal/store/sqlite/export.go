package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/storecopy"
)

var (
	_ storecopy.Source = (*Store)(nil)
	_ storecopy.Target = (*Store)(nil)
)

// Export calls fn for every customer, invitation, user and audit event, each
// kind in ID order, from one read transaction (one snapshot). Sessions are
// not exported.
func (s *Store) Export(ctx context.Context, fn func(storecopy.Record) error) error {
	return s.read(ctx, func(tx *sql.Tx) error {
		err := exportEach(ctx, tx, `SELECT id, name, created_at FROM customers ORDER BY id`,
			func(sc scanner) (invite.Customer, error) {
				var c invite.Customer
				var created int64
				err := sc.Scan(&c.ID, &c.Name, &created)
				c.CreatedAt = fromMicros(created)
				return c, err
			},
			func(c invite.Customer) error { return fn(storecopy.Record{Customer: &c}) })
		if err != nil {
			return err
		}
		err = exportEach(ctx, tx, `SELECT `+invitationColumns+` FROM invitations i JOIN customers c ON c.id = i.customer_id ORDER BY i.id`,
			scanInvitation, func(inv invite.Invitation) error { return fn(storecopy.Record{Invitation: &inv}) })
		if err != nil {
			return err
		}
		err = exportEach(ctx, tx, `SELECT `+userColumns+` FROM users u JOIN customers c ON c.id = u.customer_id ORDER BY u.id`,
			scanUser, func(u invite.User) error { return fn(storecopy.Record{User: &u}) })
		if err != nil {
			return err
		}
		return exportEach(ctx, tx, `SELECT id, at, actor, action, invitation_id, detail FROM audit_events ORDER BY id`,
			func(sc scanner) (invite.AuditEvent, error) {
				var ev invite.AuditEvent
				var at int64
				var invID sql.NullInt64
				err := sc.Scan(&ev.ID, &at, &ev.Actor, &ev.Action, &invID, &ev.Detail)
				ev.At, ev.InvitationID = fromMicros(at), invID.Int64
				return ev, err
			},
			func(ev invite.AuditEvent) error { return fn(storecopy.Record{Event: &ev}) })
	})
}

// exportEach streams the rows of query through scan into fn.
func exportEach[T any](ctx context.Context, tx *sql.Tx, query string, scan func(scanner) (T, error), fn func(T) error) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("sqlite: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return fmt.Errorf("sqlite: export: %w", err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: export: %w", err)
	}
	return nil
}

// Counts returns the number of customers, invitations, users and audit
// events.
func (s *Store) Counts(ctx context.Context) (storecopy.Counts, error) {
	return exportCounts(ctx, s.r)
}

type rowQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func exportCounts(ctx context.Context, q rowQueryer) (storecopy.Counts, error) {
	var c storecopy.Counts
	err := q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM invitations),
		(SELECT count(*) FROM users), (SELECT count(*) FROM audit_events)`).
		Scan(&c.Customers, &c.Invitations, &c.Users, &c.AuditEvents)
	if err != nil {
		return c, fmt.Errorf("sqlite: count rows: %w", err)
	}
	return c, nil
}

// Import writes records into this empty store in one immediate
// transaction, keeping every ID (SQLite continues after the highest). The
// emptiness check runs inside the transaction, which holds the write lock.
func (s *Store) Import(ctx context.Context, records iter.Seq2[storecopy.Record, error]) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		c, err := exportCounts(ctx, tx)
		if err != nil {
			return err
		}
		if !c.Empty() {
			return storecopy.NotEmpty(c)
		}
		im := &importStatements{tx: tx}
		defer im.close()
		for r, err := range records {
			if err != nil {
				return err
			}
			if err := im.add(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// importStatements prepares one insert per kind on first use.
type importStatements struct {
	tx       *sql.Tx
	prepared map[string]*sql.Stmt
	custKeys map[int64][]byte
}

const (
	importCustomerSQL = `INSERT INTO customers (id, name, name_key, sort_key, created_at) VALUES (?, ?, ?, ?, ?)`
	importUserSQL     = `INSERT INTO users (
			id, customer_id, email, email_key, first_name, last_name, swedish_citizen, eu_eea_citizen,
			personal_number, lma_number, phone, gender, language, password_hash,
			email_verified_at, privacy_accepted_at, invitation_id, created_at
		) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	importEventSQL = `INSERT INTO audit_events (id, at, actor, action, invitation_id, detail) VALUES (?, ?, ?, ?, ?, ?)`
)

func (im *importStatements) exec(ctx context.Context, query string, args ...any) error {
	if im.prepared == nil {
		im.prepared = map[string]*sql.Stmt{}
	}
	stmt, ok := im.prepared[query]
	if !ok {
		var err error
		if stmt, err = im.tx.PrepareContext(ctx, query); err != nil {
			return err
		}
		im.prepared[query] = stmt
	}
	_, err := stmt.ExecContext(ctx, args...)
	return err
}

func (im *importStatements) close() {
	for _, stmt := range im.prepared {
		stmt.Close()
	}
}

func (im *importStatements) add(ctx context.Context, r storecopy.Record) error {
	switch {
	case r.Customer != nil:
		c := r.Customer
		name := strings.TrimSpace(c.Name)
		key := invite.SortKey(name)
		if im.custKeys == nil {
			im.custKeys = map[int64][]byte{}
		}
		im.custKeys[c.ID] = key
		if err := im.exec(ctx, importCustomerSQL, importID(c.ID), name, customerKey(name), key, micros(c.CreatedAt)); err != nil {
			return fmt.Errorf("sqlite: import customer %d: %w", c.ID, err)
		}
	case r.Invitation != nil:
		inv := r.Invitation
		key, ok := im.custKeys[inv.CustomerID]
		if !ok {
			return invite.Errorf(invite.ENOTFOUND, "invitation %d names customer %d, which was not imported", inv.ID, inv.CustomerID)
		}
		if err := im.exec(ctx, insertInvitationSQL, insertArgs(inv, keysOf(inv), key)...); err != nil {
			return fmt.Errorf("sqlite: import invitation %d: %w", inv.ID, err)
		}
	case r.User != nil:
		u := r.User
		email := strings.TrimSpace(u.Email)
		err := im.exec(ctx, importUserSQL, importID(u.ID), u.CustomerID, email, invite.EmailKey(email), u.FirstName, u.LastName,
			tristate(u.SwedishCitizen), tristate(u.EUCitizen), nullString(u.PersonalNumber), nullString(u.LMANumber),
			nullString(u.Phone), nullString(string(u.Gender)), u.Language, u.PasswordHash,
			nullMicros(u.EmailVerifiedAt), nullMicros(u.PrivacyAcceptedAt), importID(u.InvitationID), micros(u.CreatedAt))
		if err != nil {
			return fmt.Errorf("sqlite: import user %d: %w", u.ID, err)
		}
	case r.Event != nil:
		ev := r.Event
		if err := im.exec(ctx, importEventSQL, importID(ev.ID), micros(ev.At), ev.Actor, ev.Action, importID(ev.InvitationID), ev.Detail); err != nil {
			return fmt.Errorf("sqlite: import audit event %d: %w", ev.ID, err)
		}
	}
	return nil
}

// importID keeps an ID, and lets SQLite choose one (NULL) for the zero ID.
func importID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// SchemaVersion returns the version of the file's schema: the highest
// migration applied. A copy's two ends and `invitectl migrate` report it.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	return v, nil
}
