package store

import (
	"context"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// InsertAuditEvents writes events with the dialect's bulk load, in one
// transaction: for benchmarks that need a long log, which no command makes.
func (s *Store) InsertAuditEvents(ctx context.Context, evs []invite.AuditEvent) error {
	return s.write(ctx, func(tx *Tx) error {
		cols := strings.Split(auditColumns, ", ")[1:] // the store numbers them
		return s.d.Bulk(ctx, tx, "audit_events", cols, len(evs), func(i int) []any {
			ev := &evs[i]
			return []any{s.d.Time(ev.At), ev.Actor, ev.Action, nullID(ev.InvitationID), ev.Detail}
		})
	})
}

// AuditQueries returns the SQL of an audit page (the count and the page),
// for plans.
func (s *Store) AuditQueries(q invite.AuditQuery) (count string, page string, args []any) {
	cond, args := s.auditWhere(q)
	return `SELECT count(*) FROM audit_events` + cond, auditPageSQL(cond), args
}
