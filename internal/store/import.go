package store

import (
	"context"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// ImportInvitations writes invs, all or nothing, in one transaction with
// one audit event, queueing an email of kind mail ("" for none) for each.
// It first finds the invitations whose email already has an open
// invitation or an account: when there are any, or with dryRun, it writes
// nothing and returns their indexes. IDs are set on invs.
func (s *Store) ImportInvitations(ctx context.Context, invs []invite.Invitation, ev invite.AuditEvent, mail invite.DeliveryKind, dryRun bool) ([]int, error) {
	var conflicts []int
	if dryRun {
		// A dry run only reads: it needs no more than SELECT and takes no
		// lock that would hold writers up.
		err := s.read(ctx, func(tx *Tx) error {
			var err error
			conflicts, err = tx.takenEmails(ctx, invs)
			return err
		})
		if err != nil {
			return nil, s.errorf("check the invitations to import", err)
		}
		return conflicts, nil
	}
	err := s.write(ctx, func(tx *Tx) error {
		if s.d.LockTables != "" {
			// Writers wait, so that no email is taken and no ID handed out
			// between the check and the write.
			if _, err := tx.Exec(ctx, s.d.LockTables); err != nil {
				return err
			}
		}
		var err error
		if conflicts, err = tx.takenEmails(ctx, invs); err != nil || len(conflicts) > 0 {
			return err
		}
		var next int64
		if err := tx.row(ctx, `SELECT coalesce(max(id), 0) FROM invitations`).Scan(&next); err != nil {
			return err
		}
		for i := range invs {
			next++
			invs[i].ID, invs[i].Version = next, 1
			if mail != "" {
				invs[i].Delivery = invite.DeliveryQueued
			}
		}
		if err := tx.insertInvitations(ctx, invs); err != nil {
			return err
		}
		if err := tx.insertAudit(ctx, ev); err != nil || mail == "" {
			return err
		}
		at := s.d.Time(ev.At)
		return s.d.Bulk(ctx, tx, "deliveries", []string{"invitation_id", "kind", "link_generation", "state", "next_attempt_at", "created_at"},
			len(invs), func(i int) []any { return []any{invs[i].ID, string(mail), invs[i].LinkGeneration, "queued", at, at} })
	})
	if err != nil {
		return nil, s.errorf("import invitations", err)
	}
	return conflicts, nil
}

// takenEmails returns the indexes of invs whose email has an open
// invitation or an account, asking 500 emails at a time.
func (t *Tx) takenEmails(ctx context.Context, invs []invite.Invitation) ([]int, error) {
	byKey := map[string][]int{}
	keys := make([]any, 0, len(invs))
	for i, inv := range invs {
		k := invite.EmailKey(inv.Email)
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	var out []int
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		in := "(?" + strings.Repeat(", ?", len(chunk)-1) + ")"
		rows, err := t.query(ctx, `SELECT email_key FROM invitations WHERE state = 'pending' AND email_key IN `+in+
			` UNION SELECT email_key FROM users WHERE email_key IN `+in, append(append([]any{}, chunk...), chunk...)...)
		taken, err := collect(rows, err, func(sc scanner) (string, error) {
			var k string
			return k, sc.Scan(&k)
		})
		if err != nil {
			return nil, err
		}
		for _, k := range taken {
			out = append(out, byKey[k]...)
		}
	}
	return out, nil
}
