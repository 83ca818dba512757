package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/invitectl/invitectl/internal/invite"
)

// AddAudit records an event that goes with no state change. ENOTFOUND if it
// names an invitation that does not exist.
func (s *Store) AddAudit(ctx context.Context, ev invite.AuditEvent) error {
	return s.write(ctx, func(tx pgx.Tx) error { return insertAudit(ctx, tx, ev) })
}

// insertAudit writes ev inside the transaction of the change it records.
func insertAudit(ctx context.Context, tx pgx.Tx, ev invite.AuditEvent) error {
	_, err := tx.Exec(ctx,
		`INSERT INTO audit_events (at, actor, action, invitation_id, detail) VALUES ($1, $2, $3, $4, $5)`,
		ts(ev.At), ev.Actor, ev.Action, nullID(ev.InvitationID), ev.Detail)
	if isForeignKey(err) {
		return invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", ev.InvitationID)
	}
	if err != nil {
		return fmt.Errorf("postgres: audit %s: %w", ev.Action, err)
	}
	return nil
}

const auditColumns = `id, at, actor, action, invitation_id, detail`

func scanAudit(row pgx.Row) (invite.AuditEvent, error) {
	var ev invite.AuditEvent
	var invID *int64
	if err := row.Scan(&ev.ID, &ev.At, &ev.Actor, &ev.Action, &invID, &ev.Detail); err != nil {
		return ev, err
	}
	ev.At, ev.InvitationID = fromTime(ev.At), fromNullID(invID)
	return ev, nil
}

// ListAudit returns events oldest first; invitationID 0 means all.
func (s *Store) ListAudit(ctx context.Context, invitationID int64) ([]invite.AuditEvent, error) {
	query := `SELECT ` + auditColumns + ` FROM audit_events ORDER BY at, id`
	var args []any
	if invitationID != 0 {
		query = `SELECT ` + auditColumns + ` FROM audit_events WHERE invitation_id = $1 ORDER BY at, id`
		args = append(args, invitationID)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (invite.AuditEvent, error) { return scanAudit(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", err)
	}
	return out, nil
}
