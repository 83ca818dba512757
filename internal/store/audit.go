package store

import (
	"context"

	"github.com/invitectl/invitectl/internal/invite"
)

// AddAudit records an event that goes with no state change. ENOTFOUND if it
// names an invitation that does not exist.
func (s *Store) AddAudit(ctx context.Context, ev invite.AuditEvent) error {
	return s.write(ctx, func(tx *Tx) error { return tx.insertAudit(ctx, ev) })
}

const auditColumns = `id, at, actor, action, invitation_id, detail`

// insertAudit writes ev inside the transaction of the change it records,
// prepared once for a batch.
func (t *Tx) insertAudit(ctx context.Context, ev invite.AuditEvent) error {
	_, err := t.execBatch(ctx, `INSERT INTO audit_events (at, actor, action, invitation_id, detail) VALUES (?, ?, ?, ?, ?)`,
		t.s.d.Time(ev.At), ev.Actor, ev.Action, nullID(ev.InvitationID), ev.Detail)
	if t.s.d.IsForeignKey(err) {
		return invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", ev.InvitationID)
	}
	if err != nil {
		return t.s.errorf("audit "+ev.Action, err)
	}
	return nil
}

func scanAudit(sc scanner) (invite.AuditEvent, error) {
	var ev invite.AuditEvent
	err := sc.Scan(&ev.ID, scanTime{&ev.At}, &ev.Actor, &ev.Action, scanID{&ev.InvitationID}, &ev.Detail)
	return ev, err
}

// ListAudit returns events oldest first; invitationID 0 means all.
func (s *Store) ListAudit(ctx context.Context, invitationID int64) ([]invite.AuditEvent, error) {
	query := `SELECT ` + auditColumns + ` FROM audit_events ORDER BY at, id`
	var args []any
	if invitationID != 0 {
		query = `SELECT ` + auditColumns + ` FROM audit_events WHERE invitation_id = ? ORDER BY at, id`
		args = append(args, invitationID)
	}
	rows, err := s.r.QueryContext(ctx, s.sql(query), args...)
	out, err := collect(rows, err, scanAudit)
	if err != nil {
		return nil, s.errorf("list audit", err)
	}
	return out, nil
}
