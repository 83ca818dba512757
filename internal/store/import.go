package store

import (
	"context"
	"slices"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/webhook"
)

// ImportInvitations writes invs, all or nothing, in one transaction with
// one audit event, queueing an email of kind w.Mail ("" for none) for each.
// It first finds the invitations whose email already has an open
// invitation or an account: with w.SkipOpen, those with an open invitation
// are left out; when others remain, or with w.DryRun, it writes nothing.
// IDs are set on the invitations written.
func (s *Store) ImportInvitations(ctx context.Context, invs []invite.Invitation, w invite.ImportWrite) (invite.ImportWritten, error) {
	var res invite.ImportWritten
	err := s.write(ctx, func(tx *Tx) error {
		res = invite.ImportWritten{}
		if s.d.LockTables != "" {
			// Writers wait, so that no email is taken and no ID handed out
			// between the check and the write.
			if _, err := tx.Exec(ctx, s.d.LockTables); err != nil {
				return err
			}
		}
		taken, err := tx.takenEmails(ctx, invs)
		if err != nil {
			return err
		}
		keep := make([]invite.Invitation, 0, len(invs))
		at := make([]int, 0, len(invs)) // index in invs of keep[i]
		for i := range invs {
			switch id, ok := taken[i]; {
			case !ok:
				keep = append(keep, invs[i])
				at = append(at, i)
			case w.SkipOpen && id != 0:
				res.Skipped = append(res.Skipped, invite.ImportSkip{Index: i, ID: id})
			default:
				res.Conflicts = append(res.Conflicts, i)
			}
		}
		slices.Sort(res.Conflicts)
		if len(res.Conflicts) > 0 || w.DryRun || len(keep) == 0 {
			return nil
		}
		var next int64
		if err := tx.row(ctx, `SELECT coalesce(max(id), 0) FROM invitations`).Scan(&next); err != nil {
			return err
		}
		for i := range keep {
			next++
			keep[i].ID, keep[i].Version = next, 1
			if w.Mail != "" {
				keep[i].Delivery = invite.DeliveryQueued
			}
		}
		if err := tx.insertInvitations(ctx, keep); err != nil {
			return err
		}
		ev := w.Event(len(keep))
		if err := tx.insertAudit(ctx, ev); err != nil {
			return err
		}
		if w.Mail != "" {
			at := s.d.Time(ev.At)
			if err := s.d.Bulk(ctx, tx, "deliveries", []string{"invitation_id", "kind", "link_generation", "state", "next_attempt_at", "created_at"},
				len(keep), func(i int) []any { return []any{keep[i].ID, string(w.Mail), keep[i].LinkGeneration, "queued", at, at} }); err != nil {
				return err
			}
		}
		ids := make([]int64, len(keep))
		for i, inv := range keep {
			invs[at[i]] = inv
			ids[i] = inv.ID
		}
		return tx.queueEvents(ctx, webhook.InvitationCreated, ids, ev.At)
	})
	if err != nil {
		return invite.ImportWritten{}, s.errorf("import invitations", err)
	}
	return res, nil
}

// takenEmails maps the index of each of invs whose email has an open
// invitation to that invitation's ID, and of each whose email has an
// account to 0, asking 500 emails at a time.
func (t *Tx) takenEmails(ctx context.Context, invs []invite.Invitation) (map[int]int64, error) {
	byKey := map[string][]int{}
	keys := make([]any, 0, len(invs))
	for i, inv := range invs {
		k := invite.EmailKey(inv.Email)
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	out := map[int]int64{}
	type hit struct {
		key string
		id  int64
	}
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		in := "(?" + strings.Repeat(", ?", len(chunk)-1) + ")"
		rows, err := t.query(ctx, `SELECT email_key, id FROM invitations WHERE state = 'pending' AND email_key IN `+in+
			` UNION ALL SELECT email_key, 0 FROM users WHERE email_key IN `+in, append(append([]any{}, chunk...), chunk...)...)
		taken, err := collect(rows, err, func(sc scanner) (hit, error) {
			var h hit
			return h, sc.Scan(&h.key, &h.id)
		})
		if err != nil {
			return nil, err
		}
		for _, h := range taken {
			for _, i := range byKey[h.key] {
				if id, seen := out[i]; !seen || id != 0 {
					out[i] = h.id // an account wins: it cannot be skipped
				}
			}
		}
	}
	return out, nil
}
