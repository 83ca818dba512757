package store

import (
	"context"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// StreamInvitations calls fn for every invitation q selects, its paging
// aside, in q's order (ties on ID), and stops at fn's first error.
//
// It is one streaming cursor in one read transaction, not keyset pages of
// a thousand: the rows come in order from a walk of the sort field's index
// (one walk per state, merged, where several are listed; the rows a search
// index or the undelivered index gives, sorted), each joined with its customer as it goes, so memory
// stays flat however many rows match, and every row comes from one
// snapshot: an export is consistent, never a mix of before and after a
// concurrent change, and no row is repeated or skipped when a change moves
// a row's sort key. The price is a read transaction as long as the export:
// on SQLite writers go on meanwhile (WAL), but the WAL cannot be
// checkpointed past the snapshot until the stream ends, so it grows by what
// is written in the meantime; on PostgreSQL vacuum keeps the row versions
// the snapshot may still see. Keyset pages would end each transaction
// after a thousand rows but give up the one snapshot, and cost an index
// descent per page.
func (s *Store) StreamInvitations(ctx context.Context, q invite.ListQuery, fn func(invite.Invitation) error) error {
	l, err := s.planList(q)
	if err != nil {
		return err
	}
	query, args := l.stream()
	var fnErr error // fn's own, returned as it is
	err = s.read(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, query, args...)
		return each(rows, err, scanInvitation, func(inv invite.Invitation) error {
			fnErr = fn(inv)
			return fnErr
		})
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return s.errorf("stream invitations", err)
	}
	return nil
}

// stream is the query of every row of the plan in order: page's walks
// without their limits.
func (l *listPlan) stream() (string, []any) {
	var args []any
	var ids string
	if len(l.states) == 1 || l.gathered() {
		ids = l.walk(&args, l.states...) + l.orderBy(l.col, "id")
	} else {
		var parts []string
		for _, st := range l.states {
			parts = append(parts, "SELECT * FROM ("+l.walk(&args, st)+l.orderBy(l.col, "id")+") AS b")
		}
		ids = strings.Join(parts, " UNION ALL ")
	}
	return l.withRows("", ids), args
}
