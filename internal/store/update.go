package store

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/schema"
)

// UpdateInvitation writes inv if the stored version still equals
// inv.Version, increments the version and records ev, in one transaction.
// The customer, the email and the creation time are fixed when the
// invitation is created; everything else is written. ENOTFOUND if the
// invitation does not exist; ErrEditedMeanwhile if its version moved.
func (s *Store) UpdateInvitation(ctx context.Context, inv invite.Invitation, ev invite.AuditEvent) (invite.Invitation, error) {
	out, errs, err := s.UpdateInvitations(ctx, []invite.InvitationChange{{Invitation: inv, Event: ev}})
	if err != nil {
		return invite.Invitation{}, err
	}
	return out[0], errs[0]
}

// UpdateInvitations applies each change as UpdateInvitation does, all in
// one transaction. A change that finds the invitation gone, moved on or in
// conflict is skipped with its error; any other failure rolls the whole
// transaction back.
//
// The invitations are read with one query per updateRows changes, and
// each statement is prepared once for the whole batch: the updates, one
// per set of columns they write, and the audit events' insert.
func (s *Store) UpdateInvitations(ctx context.Context, changes []invite.InvitationChange) ([]invite.Invitation, []error, error) {
	if len(changes) == 0 {
		return nil, nil, nil
	}
	out := make([]invite.Invitation, len(changes))
	errs := make([]error, len(changes))
	err := s.write(ctx, func(tx *Tx) error {
		tx.batch = len(changes) > 1
		return tx.applyAll(ctx, changes, out, errs)
	})
	if err != nil {
		return nil, nil, err
	}
	return out, errs, nil
}

// errChangeFailed rolls back an all-or-nothing batch of updates.
var errChangeFailed = errors.New("a change failed")

// UpdateInvitationsChunks applies the changes that chunks passes to write,
// chunk by chunk, all in one transaction, each as UpdateInvitations
// applies one; write returns each change's own error, nil when it was
// written. All or nothing: when a change of any chunk failed, or chunks
// returns an error (which it returns), the transaction is rolled back.
func (s *Store) UpdateInvitationsChunks(ctx context.Context, chunks func(write func([]invite.InvitationChange) ([]error, error)) error) error {
	err := s.write(ctx, func(tx *Tx) error {
		tx.batch = true
		done, err := tx.bulk(ctx)
		if err != nil {
			return err
		}
		defer done()
		refused := false
		err = chunks(func(changes []invite.InvitationChange) ([]error, error) {
			errs := make([]error, len(changes))
			if err := tx.applyAll(ctx, changes, make([]invite.Invitation, len(changes)), errs); err != nil {
				return nil, err
			}
			refused = refused || slices.ContainsFunc(errs, func(err error) bool { return err != nil })
			return errs, nil
		})
		if err == nil && refused {
			err = errChangeFailed
		}
		return err
	})
	if errors.Is(err, errChangeFailed) {
		return nil
	}
	return err
}

// updateRows is how many changes share one read.
const updateRows = 500

// applyAll makes the changes as apply does, reading updateRows at a time.
// It locks their invitations first, in ID order, then changes them in the
// order given: two batches over the same invitations in other orders would
// otherwise wait for each other (PostgreSQL: deadlock detected).
func (t *Tx) applyAll(ctx context.Context, changes []invite.InvitationChange, out []invite.Invitation, errs []error) error {
	ids := make([]int64, len(changes))
	for i, ch := range changes {
		ids[i] = ch.Invitation.ID
	}
	if err := t.lockInvitations(ctx, ids); err != nil {
		return err
	}
	for start := 0; start < len(changes); start += updateRows {
		end := min(start+updateRows, len(changes))
		if err := t.apply(ctx, changes[start:end], out[start:end], errs[start:end]); err != nil {
			return err
		}
	}
	return nil
}

// changeError reports whether err concerns one change only: the others of
// a batch can still be written.
func changeError(err error) bool {
	var e *invite.Error
	return errors.As(err, &e) && (e.Code == invite.ENOTFOUND || e.Code == invite.ECONFLICT)
}

// apply makes the changes, filling out and errs. It returns the error of a
// failure that is not one change's own.
func (t *Tx) apply(ctx context.Context, changes []invite.InvitationChange, out []invite.Invitation, errs []error) error {
	stored, err := t.readChanged(ctx, changes)
	if err != nil {
		return err
	}
	for i, ch := range changes {
		inv, ev := ch.Invitation, ch.Event
		cur, ok := stored[inv.ID]
		switch {
		case !ok:
			errs[i] = invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", inv.ID)
		case cur.Version != inv.Version:
			errs[i] = invite.ErrEditedMeanwhile
		default:
			// The outbox's columns are the store's: queue and supersede set them.
			inv.Delivery, inv.DeliveryError = cur.Delivery, cur.DeliveryError
			errs[i] = t.update(ctx, &cur, &inv, ev, ch.Mail)
		}
		if errs[i] != nil {
			if !changeError(errs[i]) {
				return errs[i]
			}
			continue
		}
		out[i] = updated(&cur, inv)
		stored[inv.ID] = out[i] // a later change of the same invitation sees this one
	}
	return nil
}

// readChanged reads the stored invitations the changes name, by ID.
func (t *Tx) readChanged(ctx context.Context, changes []invite.InvitationChange) (map[int64]invite.Invitation, error) {
	ids := make([]int64, len(changes))
	for i, ch := range changes {
		ids[i] = ch.Invitation.ID
	}
	stored, err := t.invitationsByID(ctx, ids)
	if err != nil {
		return nil, t.s.errorf("update invitations", err)
	}
	return stored, nil
}

// invitationsByID reads the invitations ids that exist, by ID, updateRows
// a query.
func (t *Tx) invitationsByID(ctx context.Context, ids []int64) (map[int64]invite.Invitation, error) {
	stored := make(map[int64]invite.Invitation, len(ids))
	for chunk := range slices.Chunk(ids, updateRows) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := t.query(ctx, `SELECT `+invitationColumns+invitationFrom+` WHERE i.id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		err = each(rows, err, scanInvitation, func(inv invite.Invitation) error {
			stored[inv.ID] = inv
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return stored, nil
}

// InvitationsByID reads the invitations ids that exist, in one snapshot.
func (s *Store) InvitationsByID(ctx context.Context, ids []int64) (map[int64]invite.Invitation, error) {
	var out map[int64]invite.Invitation
	err := s.read(ctx, func(tx *Tx) (err error) {
		out, err = tx.invitationsByID(ctx, ids)
		return err
	})
	if err != nil {
		return nil, s.errorf("read invitations", err)
	}
	return out, nil
}

// update writes the columns of inv that differ from the stored invitation,
// then the next version, on the condition that the version is still the
// one read, and records ev. Only changed columns are named because an
// UPDATE that names an indexed column rewrites every index holding it, even
// with the same value.
func (t *Tx) update(ctx context.Context, cur, inv *invite.Invitation, ev invite.AuditEvent, mail invite.DeliveryKind) error {
	// The event must not fail after the update, which would leave the
	// change without its event: an event about another invitation is
	// checked first, and one about this invitation cannot fail the key.
	if ev.InvitationID != 0 && ev.InvitationID != inv.ID {
		if _, err := t.s.invitationByID(ctx, t.tx.QueryRowContext, ev.InvitationID, ""); err != nil {
			return err
		}
	}
	cols, args := t.s.assignments(cur, inv)
	var b strings.Builder
	b.WriteString("UPDATE invitations SET ")
	for _, c := range cols {
		b.WriteString(c + " = ?, ")
	}
	b.WriteString("version = version + 1 WHERE id = ? AND version = ?")
	write := func() error {
		res, err := t.execBatch(ctx, b.String(), append(args, inv.ID, inv.Version)...)
		if t.s.d.IsUnique(err) {
			// Only reopening an invitation can collide: with another open one for the email.
			return invite.ErrEmailTaken
		}
		if err != nil {
			return t.s.errorf("update invitation", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return t.s.errorf("update invitation", err)
		}
		if n == 0 {
			// The version was just read, but where the transaction holds no
			// write lock a concurrent change may have moved it since.
			return invite.ErrEditedMeanwhile
		}
		return nil
	}
	var err error
	if inv.State != cur.State {
		err = t.savepoint(ctx, write) // a reopening can fail on the email
	} else {
		err = write()
	}
	if err != nil {
		return err
	}
	if inv.State != cur.State || !inv.ExpiresAt.Equal(cur.ExpiresAt) {
		t.count(cur.CustomerID, cur.State, cur.ExpiresAt, -1)
		t.count(cur.CustomerID, inv.State, inv.ExpiresAt, 1)
	}
	if err := t.insertAudit(ctx, ev); err != nil {
		return err
	}
	// Only the latest link is ever sent.
	switch {
	case mail != "":
		return t.queue(ctx, inv, mail, ev.At)
	case inv.LinkGeneration != cur.LinkGeneration || inv.State != invite.StatePending:
		if cur.Delivery == invite.DeliveryQueued || cur.Delivery == invite.DeliveryFailed {
			inv.Delivery, inv.DeliveryError = invite.DeliveryNone, ""
			if err := t.supersede(ctx, inv.ID); err != nil {
				return err
			}
			if err := t.syncDelivery(ctx, inv.ID); err != nil {
				return err
			}
			cur, err := t.s.invitationByID(ctx, t.tx.QueryRowContext, inv.ID, "")
			if err != nil {
				return err
			}
			inv.Delivery, inv.DeliveryError = cur.Delivery, cur.DeliveryError
		}
	}
	return nil
}

// assignments returns the changeable columns whose stored values differ
// from inv's, and inv's values for them. The search text is built from the
// stored email, which never changes.
func (s *Store) assignments(cur, inv *invite.Invitation) (cols []string, args []any) {
	set := func(col string, v any) {
		cols = append(cols, col)
		args = append(args, v)
	}
	for _, f := range invite.Fields {
		if f.Value(inv.Details) != f.Value(cur.Details) {
			set(f.Key(), fieldValue(f, &inv.Details))
		}
	}
	if inv.FirstName != cur.FirstName || inv.LastName != cur.LastName {
		k := schema.InvitationKeys(inv.FirstName, inv.LastName, cur.Email)
		set("first_name_key", k.FirstName)
		set("last_name_key", k.LastName)
		set("search_text", k.Search)
	}
	if inv.CreatedBy != cur.CreatedBy {
		set("created_by", nullString(inv.CreatedBy))
	}
	if inv.Language != cur.Language {
		set("language", inv.Language)
	}
	if inv.State != cur.State {
		set("state", string(inv.State))
	}
	if inv.LinkGeneration != cur.LinkGeneration {
		set("link_generation", inv.LinkGeneration)
	}
	if inv.SendCount != cur.SendCount {
		set("send_count", inv.SendCount)
	}
	if !stored(inv.ExpiresAt).Equal(cur.ExpiresAt) {
		set("expires_at", s.d.Time(inv.ExpiresAt))
	}
	if !stored(inv.LastSentAt).Equal(cur.LastSentAt) {
		set("last_sent_at", s.nullTime(inv.LastSentAt))
	}
	if !stored(inv.AcceptedAt).Equal(cur.AcceptedAt) {
		set("accepted_at", s.nullTime(inv.AcceptedAt))
	}
	if !stored(inv.RevokedAt).Equal(cur.RevokedAt) {
		set("revoked_at", s.nullTime(inv.RevokedAt))
	}
	return cols, args
}

// updated is what reading the invitation back after the update would
// return: the fixed fields as stored, inv's changeable ones as the columns
// keep them, and the next version.
func updated(cur *invite.Invitation, inv invite.Invitation) invite.Invitation {
	out := inv
	out.CustomerID, out.Customer, out.Email = cur.CustomerID, cur.Customer, cur.Email
	out.CreatedAt, out.Version = cur.CreatedAt, cur.Version+1
	for _, f := range invite.Fields {
		f.Set(&out.Details, f.Value(inv.Details))
	}
	out.ExpiresAt, out.LastSentAt = stored(inv.ExpiresAt), stored(inv.LastSentAt)
	out.AcceptedAt, out.RevokedAt = stored(inv.AcceptedAt), stored(inv.RevokedAt)
	return out
}
