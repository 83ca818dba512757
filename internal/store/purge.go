package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/webhook"
)

// Erasure: Purge erases the personal data of invitations resolved or
// expired before a cutoff, DeleteUser an account and its invitation's.
// An erased invitation is in state purged: its names, email, personal
// number, LMA number, phone, gender and search text are emptied (its keys
// too), its outbox rows are deleted (their last error may name the
// address), and its audit events no longer name its email. What counting
// needs stays: ID, customer, language, former status (purged_from), dates
// and send count. docs/security.md says what each engine leaves behind.

// purged is one invitation to erase.
type purged struct {
	id, customer int64
	state        invite.State
	from         string // accepted, revoked, expired
	email        string
	expires      time.Time
	since        time.Time // when it was resolved or expired
}

// erasedFields sets every invitee field to empty: ” where one is
// required, NULL where it is optional.
var erasedFields = func() string {
	sets := make([]string, len(invite.Fields))
	for i, f := range invite.Fields {
		sets[i] = f.Key() + " = NULL"
		if f.Required {
			sets[i] = f.Key() + " = ''"
		}
	}
	return strings.Join(sets, ", ")
}()

// erase erases the personal data of the invitations rows at time at, and
// moves their kept counts to purged.
func (t *Tx) erase(ctx context.Context, rows []purged, at time.Time) error {
	t.batch = true
	for _, r := range rows {
		res, err := t.execBatch(ctx, `UPDATE invitations SET state = 'purged', purged_from = ?, purged_at = ?,
			email = '', email_key = '', first_name_key = ?, last_name_key = ?, search_text = '', `+erasedFields+`,
			delivery_error = NULL, version = version + 1
			WHERE id = ? AND state = ?`, r.from, t.s.d.Time(at), []byte{}, []byte{}, r.id, string(r.state))
		if err != nil {
			return t.s.errorf(fmt.Sprintf("erase invitation %d", r.id), err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			// Cannot happen: the rows were read in this write transaction.
			return t.s.errorf(fmt.Sprintf("erase invitation %d", r.id), fmt.Errorf("the conditional update wrote %d rows (%v)", n, err))
		}
		// A password reset is the user's, not the invitation's: it stays.
		if _, err := t.execBatch(ctx, `DELETE FROM deliveries WHERE invitation_id = ? AND user_id IS NULL`, r.id); err != nil {
			return t.s.errorf(fmt.Sprintf("erase the emails of invitation %d", r.id), err)
		}
		if err := t.syncDelivery(ctx, r.id); err != nil {
			return err
		}
		// Audit details name the email ("invited x@example.com …") and an
		// accept's actor is the invitee: both give way to a placeholder.
		key := invite.EmailKey(r.email)
		if _, err := t.execBatch(ctx, `UPDATE audit_events SET detail = replace(replace(detail, ?, ?), ?, ?),
			actor = CASE WHEN actor = ? OR actor = ? THEN ? ELSE actor END WHERE invitation_id = ?`,
			r.email, invite.Erased, key, invite.Erased, r.email, key, invite.Erased, r.id); err != nil {
			return t.s.errorf(fmt.Sprintf("scrub the audit events of invitation %d", r.id), err)
		}
		t.count(r.customer, r.state, r.expires, -1)
		t.count(r.customer, invite.StatePurged, r.expires, 1)
	}
	return nil
}

// Purge erases the invitations accepted, revoked or expired before cutoff,
// with the event ev (its detail the counts), in one write transaction;
// with dryRun it counts them in a read-only transaction and writes
// nothing. On SQLite (whose
// connections all run with secure_delete, so that freed space is zeroed)
// the search index is merged (optimize), so that no old segment keeps the
// erased text; after commit the store is swept (sweep).
func (s *Store) Purge(ctx context.Context, cutoff, at time.Time, ev invite.AuditEvent, dryRun bool) (invite.PurgeResult, error) {
	var out invite.PurgeResult
	if dryRun {
		// A dry run only reads: SELECT is all it needs, and it locks no row.
		err := s.read(ctx, func(tx *Tx) error {
			list, err := tx.purgeable(ctx, cutoff, "")
			out.Counts, out.Invitations = purgeCounts(list)
			return err
		})
		out.Checkpointed = true
		return out, err
	}
	sqlite := s.d.Name == "sqlite"
	err := s.write(ctx, func(tx *Tx) error {
		// The rows are locked as they are read (PostgreSQL; SQLite's writer
		// holds the database): a link renewed meanwhile is read renewed, so
		// it is neither erased nor counted off its old day of expiry.
		list, err := tx.purgeable(ctx, cutoff, s.d.ForUpdate)
		if err != nil {
			return err
		}
		out.Counts, out.Invitations = purgeCounts(list)
		if len(list) == 0 {
			return nil
		}
		if err := tx.erase(ctx, list, at); err != nil {
			return err
		}
		if sqlite {
			if _, err := tx.Exec(ctx, `INSERT INTO invitations_search (invitations_search) VALUES ('optimize')`); err != nil {
				return s.errorf("purge: merge the search index", err)
			}
		}
		ev.Detail = invite.PurgeDetail(out.Counts)
		if err := tx.insertAudit(ctx, ev); err != nil {
			return err
		}
		ids := make([]int64, len(list))
		for i, p := range list {
			ids[i] = p.id
		}
		return tx.queueEvents(ctx, webhook.InvitationPurged, ids, ev.At)
	})
	if err != nil {
		return invite.PurgeResult{}, err
	}
	out.Checkpointed = true
	if out.Counts.Total() > 0 {
		out.Checkpointed, err = s.sweep(ctx)
	}
	return out, err
}

// purgeable reads the invitations accepted, revoked or expired before
// cutoff, with lock appended to the query.
func (t *Tx) purgeable(ctx context.Context, cutoff time.Time, lock string) ([]purged, error) {
	c := t.s.d.Time(cutoff)
	rows, err := t.query(ctx, `SELECT id, customer_id, state, email, CASE WHEN state = 'pending' THEN 'expired' ELSE state END, expires_at,
			CASE state WHEN 'accepted' THEN accepted_at WHEN 'revoked' THEN revoked_at ELSE expires_at END
		FROM invitations i
		WHERE (state = 'accepted' AND accepted_at < ?) OR (state = 'revoked' AND revoked_at < ?) OR (state = 'pending' AND expires_at < ?)
		ORDER BY id`+lock, c, c, c)
	list, err := collect(rows, err, func(sc scanner) (purged, error) {
		var p purged
		var state string
		err := sc.Scan(&p.id, &p.customer, &state, &p.email, &p.from, scanTime{&p.expires}, scanTime{&p.since})
		p.state = invite.State(state)
		return p, err
	})
	if err != nil {
		return nil, t.s.errorf("purge", err)
	}
	return list, nil
}

// purgeCounts counts rows by the status they had, and lists them.
func purgeCounts(rows []purged) (invite.PurgeCounts, []invite.PurgeItem) {
	var c invite.PurgeCounts
	items := make([]invite.PurgeItem, 0, len(rows))
	for _, p := range rows {
		items = append(items, invite.PurgeItem{ID: p.id, From: p.from, At: p.since})
		switch p.from {
		case "accepted":
			c.Accepted++
		case "revoked":
			c.Revoked++
		default:
			c.Expired++
		}
	}
	return c, items
}

// sweep runs after an erasure commits. On SQLite it copies the WAL into
// the database file and truncates it, reporting false when a reader
// (another process) kept it from finishing; elsewhere it runs the
// dialect's Vacuum.
func (s *Store) sweep(ctx context.Context) (bool, error) {
	if s.d.Vacuum != "" {
		if _, err := s.w.ExecContext(ctx, s.d.Vacuum); err != nil {
			return false, s.errorf("vacuum after the erasure", err)
		}
	}
	if s.d.Name != "sqlite" {
		return true, nil
	}
	var busy, log, done int
	if err := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done); err != nil {
		return false, s.errorf("checkpoint", err)
	}
	return busy == 0, nil
}

// DeleteUser deletes user id and their sessions and erases the invitation
// they accepted, recording ev, in one write transaction. ENOTFOUND if the
// user does not exist.
func (s *Store) DeleteUser(ctx context.Context, id int64, ev invite.AuditEvent) error {
	sqlite := s.d.Name == "sqlite"
	err := s.write(ctx, func(tx *Tx) error {
		var email string
		var invID sql.NullInt64
		err := tx.row(ctx, `SELECT email, invitation_id FROM users WHERE id = ?`, id).Scan(&email, &invID)
		if errors.Is(err, sql.ErrNoRows) {
			return invite.Errorf(invite.ENOTFOUND, "no user with ID %d", id)
		}
		if err != nil {
			return s.errorf("delete user", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return s.errorf("delete user's sessions", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM users WHERE id = ?`, id); err != nil {
			return s.errorf("delete user", err)
		}
		if invID.Valid {
			var p purged
			var state string
			err := tx.row(ctx, `SELECT id, customer_id, state, email, expires_at FROM invitations WHERE id = ?`, invID.Int64).Scan(&p.id, &p.customer, &state, &p.email, scanTime{&p.expires})
			if err != nil {
				return s.errorf("delete user: their invitation", err)
			}
			p.state, p.from = invite.State(state), state
			if p.state == invite.StateAccepted {
				if err := tx.erase(ctx, []purged{p}, ev.At); err != nil {
					return err
				}
			}
		}
		if sqlite {
			if _, err := tx.Exec(ctx, `INSERT INTO invitations_search (invitations_search) VALUES ('optimize')`); err != nil {
				return s.errorf("delete user: merge the search index", err)
			}
		}
		return tx.insertAuditUser(ctx, ev, id)
	})
	if err == nil {
		_, err = s.sweep(ctx)
	}
	return err
}
