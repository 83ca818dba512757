package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/invitectl/invitectl/internal/invite"
)

// UpdateInvitation writes inv if the stored version still equals
// inv.Version, increments the version and records ev, in one transaction.
// The customer, the email and the creation time are fixed when the
// invitation is created; everything else is written. ENOTFOUND if the
// invitation does not exist; ErrEditedMeanwhile if its version moved.
func (s *Store) UpdateInvitation(ctx context.Context, inv invite.Invitation, ev invite.AuditEvent) (invite.Invitation, error) {
	var out invite.Invitation
	err := s.write(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = updateWithAudit(ctx, tx, inv, ev)
		return err
	})
	return out, err
}

// UpdateInvitations applies each change as UpdateInvitation does, all in
// one transaction. Each change runs under its own savepoint, so that one
// that fails on a constraint is undone alone: in PostgreSQL a failed
// statement otherwise spoils the whole transaction. A change that finds the
// invitation gone, moved on or in conflict is skipped with its error; any
// other failure rolls the whole transaction back.
func (s *Store) UpdateInvitations(ctx context.Context, changes []invite.InvitationChange) ([]invite.Invitation, []error, error) {
	if len(changes) == 0 {
		return nil, nil, nil
	}
	out := make([]invite.Invitation, len(changes))
	errs := make([]error, len(changes))
	err := s.write(ctx, func(tx pgx.Tx) error {
		for i, ch := range changes {
			out[i], errs[i] = updateUnderSavepoint(ctx, tx, ch.Invitation, ch.Event)
			if errs[i] != nil && !changeError(errs[i]) {
				return errs[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, errs, nil
}

// changeError reports whether err concerns one change only: the others of
// a batch can still be written.
func changeError(err error) bool {
	var e *invite.Error
	return errors.As(err, &e) && (e.Code == invite.ENOTFOUND || e.Code == invite.ECONFLICT)
}

// updateWithAuditSQL is updateSQL and the audit event ($23…$27) in one
// statement, which returns the invitation's fixed columns when it wrote the
// row and nothing when the condition failed. The result is thereby known
// without reading the invitation back.
const updateWithAuditSQL = `WITH u AS (` + updateSQL + `
		RETURNING id, customer_id, email, created_at
	), a AS (
		INSERT INTO audit_events (at, actor, action, invitation_id, detail)
		SELECT $23::timestamptz, $24::text, $25::text, $26::bigint, $27::text FROM u
	)
	SELECT u.customer_id, c.name, u.email, u.created_at FROM u JOIN customers c ON c.id = u.customer_id`

func updateWithAuditArgs(inv *invite.Invitation, ev invite.AuditEvent) []any {
	return append(updateArgs(inv), ts(ev.At), ev.Actor, ev.Action, nullID(ev.InvitationID), ev.Detail)
}

// updateWithAudit makes one change in tx.
func updateWithAudit(ctx context.Context, tx pgx.Tx, inv invite.Invitation, ev invite.AuditEvent) (invite.Invitation, error) {
	out := inv
	err := scanFixed(tx.QueryRow(ctx, updateWithAuditSQL, updateWithAuditArgs(&inv, ev)...), &out)
	if errors.Is(err, pgx.ErrNoRows) {
		return invite.Invitation{}, notUpdated(ctx, tx, inv.ID)
	}
	if err != nil {
		return invite.Invitation{}, updateError(inv, ev, err)
	}
	return updated(out), nil
}

// savepoint names the savepoint of one change of UpdateInvitations.
const savepoint = "invitation_change"

// updateUnderSavepoint makes one change in tx under a savepoint, sent with
// the statement in one round trip.
func updateUnderSavepoint(ctx context.Context, tx pgx.Tx, inv invite.Invitation, ev invite.AuditEvent) (invite.Invitation, error) {
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT ` + savepoint)
	b.Queue(updateWithAuditSQL, updateWithAuditArgs(&inv, ev)...)
	b.Queue(`RELEASE SAVEPOINT ` + savepoint)
	br := tx.SendBatch(ctx, b)
	out := inv
	_, spErr := br.Exec()
	rowErr := scanFixed(br.QueryRow(), &out)
	_, relErr := br.Exec()
	closeErr := br.Close()
	switch {
	case spErr != nil:
		return invite.Invitation{}, fmt.Errorf("postgres: update invitation %d: %w", inv.ID, spErr)
	case rowErr != nil && !errors.Is(rowErr, pgx.ErrNoRows):
		// The statement failed, which spoils the transaction until the
		// change is undone alone.
		if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT `+savepoint+`; RELEASE SAVEPOINT `+savepoint); err != nil {
			return invite.Invitation{}, fmt.Errorf("postgres: update invitation %d: %w (after %w)", inv.ID, err, rowErr)
		}
		return invite.Invitation{}, updateError(inv, ev, rowErr)
	case relErr != nil || closeErr != nil:
		return invite.Invitation{}, fmt.Errorf("postgres: update invitation %d: %w", inv.ID, errors.Join(relErr, closeErr))
	case rowErr != nil: // no row: the condition failed
		return invite.Invitation{}, notUpdated(ctx, tx, inv.ID)
	}
	return updated(out), nil
}

// scanFixed reads the fixed columns updateWithAuditSQL returns into inv.
func scanFixed(row pgx.Row, inv *invite.Invitation) error {
	return row.Scan(&inv.CustomerID, &inv.Customer, &inv.Email, &inv.CreatedAt)
}

// notUpdated tells why a conditional update wrote nothing.
func notUpdated(ctx context.Context, tx pgx.Tx, id int64) error {
	return movedOrGone(ctx, tx, id, invite.ErrEditedMeanwhile, invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", id))
}

// updateError describes a failed updateWithAuditSQL.
func updateError(inv invite.Invitation, ev invite.AuditEvent, err error) error {
	switch {
	case isUnique(err):
		// Only reopening an invitation can collide: with another open one for the email.
		return invite.ErrEmailTaken
	case isForeignKey(err):
		// The audit event names an invitation that does not exist.
		return invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", ev.InvitationID)
	}
	return fmt.Errorf("postgres: update invitation %d: %w", inv.ID, err)
}

// updated is what reading the invitation back after the update would
// return, given inv with the fixed columns as stored: the changeable
// columns as they keep inv's values, and the next version.
func updated(inv invite.Invitation) invite.Invitation {
	inv.Version++
	inv.SwedishCitizen, inv.EUCitizen = invite.TristateOf(inv.SwedishCitizen.Bool()), invite.TristateOf(inv.EUCitizen.Bool())
	inv.CreatedAt = fromTime(inv.CreatedAt)
	inv.ExpiresAt, inv.LastSentAt = ts(inv.ExpiresAt), ts(inv.LastSentAt)
	inv.AcceptedAt, inv.RevokedAt = storedNullTime(inv.AcceptedAt), storedNullTime(inv.RevokedAt)
	return inv
}

func storedNullTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return ts(t)
}
