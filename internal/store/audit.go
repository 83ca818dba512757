package store

import (
	"context"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// AddAudit records an event that goes with no state change. ENOTFOUND if it
// names an invitation that does not exist.
func (s *Store) AddAudit(ctx context.Context, ev invite.AuditEvent) error {
	return s.write(ctx, func(tx *Tx) error { return tx.insertAudit(ctx, ev) })
}

const auditColumns = `id, at, actor, action, invitation_id, detail`

// insertAudit writes ev inside the transaction of the change it records,
// prepared once for a batch, with the webhook event the change causes.
func (t *Tx) insertAudit(ctx context.Context, ev invite.AuditEvent) error {
	return t.insertAuditUser(ctx, ev, 0)
}

// insertAuditUser is insertAudit of a change about user userID (0 for
// none), whom its webhook event names.
func (t *Tx) insertAuditUser(ctx context.Context, ev invite.AuditEvent, userID int64) error {
	_, err := t.execBatch(ctx, `INSERT INTO audit_events (at, actor, action, invitation_id, detail) VALUES (?, ?, ?, ?, ?)`,
		t.s.d.Time(ev.At), ev.Actor, ev.Action, nullID(ev.InvitationID), ev.Detail)
	if t.s.d.IsForeignKey(err) {
		return invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", ev.InvitationID)
	}
	if err != nil {
		return t.s.errorf("audit "+ev.Action, err)
	}
	return t.queueEvent(ctx, ev, userID)
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

// AuditPage returns one page of the events q selects, newest first, and
// their number, both read in one read transaction so that the total agrees
// with the page. The page is chosen by walking an index for ids alone
// (audit_events_at, or the one of the invitation, actor or action that
// leads the condition); only the events of the page are then read, so a
// deep page costs an index walk, not a million row reads.
func (s *Store) AuditPage(ctx context.Context, q invite.AuditQuery) (invite.AuditPage, error) {
	if err := q.Validate(); err != nil {
		return invite.AuditPage{}, err
	}
	cond, args := s.auditWhere(q)
	var page invite.AuditPage
	err := s.read(ctx, func(tx *Tx) error {
		if err := tx.row(ctx, `SELECT count(*) FROM audit_events`+cond, args...).Scan(&page.Total); err != nil || q.Offset() >= page.Total {
			return err
		}
		// The outer query orders by the subquery's own columns, so the
		// planner keeps the index order through the join.
		rows, err := tx.query(ctx, auditPageSQL(cond), append(args, q.PerPage, q.Offset())...)
		page.Events, err = collect(rows, err, scanAudit)
		return err
	})
	if err != nil {
		return invite.AuditPage{}, s.errorf("list audit", err)
	}
	return page, nil
}

// auditPageSQL is the query of a page of the events that match cond: ids
// from an index walk, newest first, then the page's events.
func auditPageSQL(cond string) string {
	return `SELECT a.id, a.at, a.actor, a.action, a.invitation_id, a.detail
		FROM (SELECT id, at FROM audit_events` + cond + ` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?) AS p
		JOIN audit_events a ON a.id = p.id
		ORDER BY p.at DESC, p.id DESC`
}

// auditWhere is the condition of an audit query ("" for every event).
func (s *Store) auditWhere(q invite.AuditQuery) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if q.InvitationID != 0 {
		add("invitation_id = ?", q.InvitationID)
	}
	if q.Actor != "" {
		add("actor = ?", q.Actor)
	}
	if q.Action != "" {
		add("action = ?", q.Action)
	}
	if !q.Since.IsZero() {
		add("at >= ?", s.d.Time(q.Since))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}
