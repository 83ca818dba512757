package store

import (
	"context"
	"errors"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/webhook"
)

// errImportRefused rolls back an import that found conflicts after it
// had written some chunks.
var errImportRefused = errors.New("import refused")

// ImportInvitations writes the invitations that chunks passes to write,
// chunk by chunk, all in one transaction with one audit event, queueing an
// email of kind w.Mail ("" for none) for each. Each chunk is first checked
// for emails that already have an open invitation or an account: with
// w.SkipOpen, those with an open invitation are left out; when others
// remain (their indexes count across the chunks) every later chunk is only
// checked, and at the end nothing is written; so too with w.DryRun. IDs
// are set on the invitations of each chunk as it is written.
func (s *Store) ImportInvitations(ctx context.Context, w invite.ImportWrite, chunks func(write func([]invite.Invitation) (invite.ImportWritten, error)) error) (invite.ImportWritten, error) {
	var res invite.ImportWritten
	// A dry run only reads: it needs no more than SELECT and takes no lock
	// that would hold writers up.
	inTx := s.write
	if w.DryRun {
		inTx = s.read
	}
	err := inTx(ctx, func(tx *Tx) error {
		res = invite.ImportWritten{}
		if s.d.LockTables != "" && !w.DryRun {
			// Writers wait, so that no email is taken and no ID handed out
			// between the check and the write.
			if _, err := tx.Exec(ctx, s.d.LockTables); err != nil {
				return err
			}
		}
		check := importCheck{res: &res, skipOpen: w.SkipOpen}
		if w.DryRun {
			return chunks(func(invs []invite.Invitation) (invite.ImportWritten, error) {
				this, _, _, err := check.chunk(ctx, tx, invs)
				return this, err
			})
		}
		done, err := tx.bulk(ctx)
		if err != nil {
			return err
		}
		defer done()
		var next int64
		if err := tx.row(ctx, `SELECT coalesce(max(id), 0) FROM invitations`).Scan(&next); err != nil {
			return err
		}
		at := s.d.Time(w.Event(0).At)
		written := 0
		write := func(invs []invite.Invitation) (invite.ImportWritten, error) {
			this, keep, from, err := check.chunk(ctx, tx, invs)
			if err != nil {
				return this, err
			}
			if len(res.Conflicts) > 0 || w.DryRun || len(keep) == 0 {
				return this, nil
			}
			for i := range keep {
				next++
				keep[i].ID, keep[i].Version = next, 1
				if w.Mail != "" {
					keep[i].Delivery = invite.DeliveryQueued
				}
			}
			if err := tx.insertInvitations(ctx, keep); err != nil {
				return this, err
			}
			if w.Mail != "" {
				if err := s.d.Bulk(ctx, tx, "deliveries", []string{"invitation_id", "kind", "link_generation", "state", "next_attempt_at", "created_at"},
					len(keep), func(i int) []any { return []any{keep[i].ID, string(w.Mail), keep[i].LinkGeneration, "queued", at, at} }); err != nil {
					return this, err
				}
			}
			ids := make([]int64, len(keep))
			for i, inv := range keep {
				invs[from[i]] = inv
				ids[i] = inv.ID
			}
			if err := tx.queueEvents(ctx, webhook.InvitationCreated, ids, w.Event(0).At); err != nil {
				return this, err
			}
			written += len(keep)
			return this, nil
		}
		// Each chunk is a bulk insert of its own (insertInvitations: the
		// search index filled after its rows); filling the index once for
		// the whole import was faster but made SQLite hold hundreds of MB
		// (docs/benchmarks.md).
		if err := chunks(write); err != nil {
			return err
		}
		if len(res.Conflicts) > 0 {
			return errImportRefused
		}
		if w.DryRun || written == 0 {
			return nil
		}
		return tx.insertAudit(ctx, w.Event(written))
	})
	if errors.Is(err, errImportRefused) {
		return res, nil
	}
	if err != nil {
		return invite.ImportWritten{}, s.errorf("import invitations", err)
	}
	return res, nil
}

// bulk runs the dialect's ImportBegin statements for a transaction that
// writes many rows; done runs its ImportDone statements. The connection
// outlives the transaction: its settings go back whether the transaction
// succeeds or not.
func (t *Tx) bulk(ctx context.Context) (done func(), err error) {
	for _, q := range t.s.d.ImportBegin {
		if _, err := t.Exec(ctx, q); err != nil {
			return nil, err
		}
	}
	return func() {
		for _, q := range t.s.d.ImportDone {
			_, _ = t.Exec(ctx, q)
		}
	}, nil
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

// importCheck sorts an import's chunks into the invitations to write and
// those whose email is taken, counting indexes across the chunks.
type importCheck struct {
	res      *invite.ImportWritten // every chunk's conflicts and skips
	base     int                   // index of the chunk's first invitation
	skipOpen bool
}

// chunk checks invs: what this chunk found, the invitations to keep and
// their indexes in invs.
func (c *importCheck) chunk(ctx context.Context, tx *Tx, invs []invite.Invitation) (this invite.ImportWritten, keep []invite.Invitation, from []int, err error) {
	taken, err := tx.takenEmails(ctx, invs)
	if err != nil {
		return this, nil, nil, err
	}
	keep = make([]invite.Invitation, 0, len(invs))
	from = make([]int, 0, len(invs))
	for i := range invs {
		switch id, ok := taken[i]; {
		case !ok:
			keep = append(keep, invs[i])
			from = append(from, i)
		case c.skipOpen && id != 0:
			this.Skipped = append(this.Skipped, invite.ImportSkip{Index: i, ID: id})
			c.res.Skipped = append(c.res.Skipped, invite.ImportSkip{Index: c.base + i, ID: id})
		default:
			this.Conflicts = append(this.Conflicts, i)
			c.res.Conflicts = append(c.res.Conflicts, c.base+i)
		}
	}
	c.base += len(invs)
	return this, keep, from, nil
}
