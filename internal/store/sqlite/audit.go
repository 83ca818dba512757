package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/invitectl/invitectl/internal/invite"
)

// AddAudit records an event that goes with no state change. ENOTFOUND if it
// names an invitation that does not exist.
func (s *Store) AddAudit(ctx context.Context, ev invite.AuditEvent) error {
	return s.write(ctx, func(tx *sql.Tx) error { return insertAudit(ctx, tx, ev) })
}

// insertAudit writes ev inside the transaction of the change it records.
func insertAudit(ctx context.Context, tx *sql.Tx, ev invite.AuditEvent) error {
	var invID any
	if ev.InvitationID != 0 {
		invID = ev.InvitationID
	}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO audit_events (at, actor, action, invitation_id, detail) VALUES (?, ?, ?, ?, ?)`,
		micros(ev.At), ev.Actor, ev.Action, invID, ev.Detail)
	if isForeignKey(err) {
		return invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", ev.InvitationID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: audit %s: %w", ev.Action, err)
	}
	return nil
}

// ListAudit returns events oldest first; invitationID 0 means all.
func (s *Store) ListAudit(ctx context.Context, invitationID int64) ([]invite.AuditEvent, error) {
	query := `SELECT id, at, actor, action, invitation_id, detail FROM audit_events ORDER BY at, id`
	var args []any
	if invitationID != 0 {
		query = `SELECT id, at, actor, action, invitation_id, detail FROM audit_events WHERE invitation_id = ? ORDER BY at, id`
		args = append(args, invitationID)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	defer rows.Close()
	var out []invite.AuditEvent
	for rows.Next() {
		var ev invite.AuditEvent
		var at int64
		var invID sql.NullInt64
		if err := rows.Scan(&ev.ID, &at, &ev.Actor, &ev.Action, &invID, &ev.Detail); err != nil {
			return nil, fmt.Errorf("sqlite: list audit: %w", err)
		}
		ev.At, ev.InvitationID = fromMicros(at), invID.Int64
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	return out, nil
}
