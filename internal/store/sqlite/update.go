package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
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
// The invitations are read with one query per updateRows changes, and each
// statement is prepared once for the whole batch: the updates, one per set
// of columns they write, and the audit events' insert.
func (s *Store) UpdateInvitations(ctx context.Context, changes []invite.InvitationChange) ([]invite.Invitation, []error, error) {
	if len(changes) == 0 {
		return nil, nil, nil
	}
	out := make([]invite.Invitation, len(changes))
	errs := make([]error, len(changes))
	err := s.write(ctx, func(tx *sql.Tx) error {
		u := &invitationUpdater{tx: tx, stmts: map[string]*sql.Stmt{}}
		defer u.close()
		for start := 0; start < len(changes); start += updateRows {
			end := min(start+updateRows, len(changes))
			if err := u.apply(ctx, changes[start:end], out[start:end], errs[start:end]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, errs, nil
}

// updateRows is how many changes share one read.
const updateRows = 500

// changeError reports whether err concerns one change only: the others of
// a batch can still be written.
func changeError(err error) bool {
	var e *invite.Error
	return errors.As(err, &e) && (e.Code == invite.ENOTFOUND || e.Code == invite.ECONFLICT)
}

// invitationUpdater makes the changes of one transaction, preparing each
// distinct statement once.
type invitationUpdater struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // by their SQL
}

func (u *invitationUpdater) close() {
	for _, stmt := range u.stmts {
		_ = stmt.Close() // the transaction's end would close it too
	}
}

// apply makes the changes, filling out and errs. It returns the error of a
// failure that is not one change's own.
func (u *invitationUpdater) apply(ctx context.Context, changes []invite.InvitationChange, out []invite.Invitation, errs []error) error {
	stored, err := u.read(ctx, changes)
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
			errs[i] = u.update(ctx, &cur, &inv, ev)
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

// read reads the stored invitations the changes name, by ID. The IDs go in
// as one JSON array, so that the statement's text is the same for any
// number of them.
func (u *invitationUpdater) read(ctx context.Context, changes []invite.InvitationChange) (map[int64]invite.Invitation, error) {
	ids := []byte{'['}
	for i, ch := range changes {
		if i > 0 {
			ids = append(ids, ',')
		}
		ids = strconv.AppendInt(ids, ch.Invitation.ID, 10)
	}
	ids = append(ids, ']')
	rows, err := u.query(ctx, `SELECT `+invitationColumns+` FROM invitations i JOIN customers c ON c.id = i.customer_id
		WHERE i.id IN (SELECT value FROM json_each(?))`, string(ids))
	if err != nil {
		return nil, fmt.Errorf("sqlite: update invitations: %w", err)
	}
	invs, err := scanInvitations(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: update invitations: %w", err)
	}
	stored := make(map[int64]invite.Invitation, len(invs))
	for _, inv := range invs {
		stored[inv.ID] = inv
	}
	return stored, nil
}

// update writes the columns of inv that differ from the stored invitation,
// then the next version, on the condition that the version is still the
// one read, and records ev. Only changed columns are named because an
// UPDATE that names an indexed column rewrites every index holding it, even
// with the same value.
func (u *invitationUpdater) update(ctx context.Context, stored, inv *invite.Invitation, ev invite.AuditEvent) error {
	// The event must not fail after the update, which would leave the
	// change without its event: an event about another invitation is
	// checked first, and one about this invitation cannot fail the key.
	if ev.InvitationID != 0 && ev.InvitationID != inv.ID {
		if err := mustExist(ctx, u.tx, ev.InvitationID); err != nil {
			return err
		}
	}
	cols, args := assignments(stored, inv)
	res, err := u.exec(ctx, updateSQL(cols), append(args, inv.ID, inv.Version)...)
	if isUnique(err) {
		// Only reopening an invitation can collide: with another open one for the email.
		return invite.ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("sqlite: update invitation %d: %w", inv.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: update invitation %d: %w", inv.ID, err)
	}
	if n == 0 {
		// The version was read in this transaction, which holds the write
		// lock, so nothing should have moved it; the condition stays the
		// guarantee all the same.
		return invite.ErrEditedMeanwhile
	}
	return u.insertAudit(ctx, ev)
}

// updateSQL is the conditional UPDATE that sets cols, then the version; its
// last two parameters are the id and the version read.
func updateSQL(cols []string) string {
	var b strings.Builder
	b.WriteString("UPDATE invitations SET ")
	for _, c := range cols {
		b.WriteString(c + " = ?, ")
	}
	b.WriteString("version = version + 1 WHERE id = ? AND version = ?")
	return b.String()
}

// exec runs a statement prepared once per transaction.
func (u *invitationUpdater) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	stmt, ok := u.stmts[query]
	if !ok {
		var err error
		if stmt, err = u.tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		u.stmts[query] = stmt // closed by close
	}
	return stmt.ExecContext(ctx, args...)
}

// query runs a query prepared once per transaction.
func (u *invitationUpdater) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt, ok := u.stmts[query]
	if !ok {
		var err error
		if stmt, err = u.tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		u.stmts[query] = stmt // closed by close
	}
	return stmt.QueryContext(ctx, args...)
}

// insertAudit is insertAudit (audit.go) with its statement prepared once.
func (u *invitationUpdater) insertAudit(ctx context.Context, ev invite.AuditEvent) error {
	var invID any
	if ev.InvitationID != 0 {
		invID = ev.InvitationID
	}
	_, err := u.exec(ctx, `INSERT INTO audit_events (at, actor, action, invitation_id, detail) VALUES (?, ?, ?, ?, ?)`,
		micros(ev.At), ev.Actor, ev.Action, invID, ev.Detail)
	if err != nil {
		return fmt.Errorf("sqlite: audit %s: %w", ev.Action, err)
	}
	return nil
}

func mustExist(ctx context.Context, tx *sql.Tx, id int64) error {
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM invitations WHERE id = ?)`, id).Scan(&exists); err != nil {
		return fmt.Errorf("sqlite: invitation %d: %w", id, err)
	}
	if !exists {
		return invite.Errorf(invite.ENOTFOUND, "no invitation with ID %d", id)
	}
	return nil
}

// assignments returns the changeable columns whose stored values differ
// from inv's, and inv's values for them. The search text is built from the
// stored email, which never changes.
func assignments(stored, inv *invite.Invitation) (cols []string, args []any) {
	set := func(col string, v any) {
		cols = append(cols, col)
		args = append(args, v)
	}
	if inv.FirstName != stored.FirstName || inv.LastName != stored.LastName {
		set("first_name", inv.FirstName)
		set("first_name_key", invite.SortKey(inv.FirstName))
		set("last_name", inv.LastName)
		set("last_name_key", invite.SortKey(inv.LastName))
		set("search_text", searchText(inv.FirstName, inv.LastName, stored.Email))
	}
	if v := tristate(inv.SwedishCitizen); v != tristate(stored.SwedishCitizen) {
		set("swedish_citizen", v)
	}
	if v := tristate(inv.EUCitizen); v != tristate(stored.EUCitizen) {
		set("eu_eea_citizen", v)
	}
	for _, f := range [...]struct{ col, value, have string }{
		{"personal_number", inv.PersonalNumber, stored.PersonalNumber},
		{"lma_number", inv.LMANumber, stored.LMANumber},
		{"phone", inv.Phone, stored.Phone},
		{"gender", string(inv.Gender), string(stored.Gender)},
	} {
		if f.value != f.have {
			set(f.col, nullString(f.value))
		}
	}
	if inv.Language != stored.Language {
		set("language", inv.Language)
	}
	if inv.State != stored.State {
		set("state", string(inv.State))
	}
	if inv.LinkGeneration != stored.LinkGeneration {
		set("link_generation", inv.LinkGeneration)
	}
	if v := micros(inv.ExpiresAt); v != micros(stored.ExpiresAt) {
		set("expires_at", v)
	}
	if inv.CreatedBy != stored.CreatedBy {
		set("created_by", nullString(inv.CreatedBy))
	}
	if v := micros(inv.LastSentAt); v != micros(stored.LastSentAt) {
		set("last_sent_at", v)
	}
	if inv.SendCount != stored.SendCount {
		set("send_count", inv.SendCount)
	}
	if v := nullMicros(inv.AcceptedAt); v != nullMicros(stored.AcceptedAt) {
		set("accepted_at", v)
	}
	if v := nullMicros(inv.RevokedAt); v != nullMicros(stored.RevokedAt) {
		set("revoked_at", v)
	}
	return cols, args
}

// updated is what reading the invitation back after the update would
// return: the fixed fields as stored, inv's changeable ones as the columns
// keep them, and the next version.
func updated(stored *invite.Invitation, inv invite.Invitation) invite.Invitation {
	out := inv
	out.CustomerID, out.Customer, out.Email = stored.CustomerID, stored.Customer, stored.Email
	out.CreatedAt = stored.CreatedAt
	out.Version = stored.Version + 1
	out.SwedishCitizen, out.EUCitizen = asStoredTristate(inv.SwedishCitizen), asStoredTristate(inv.EUCitizen)
	out.ExpiresAt, out.LastSentAt = fromMicros(micros(inv.ExpiresAt)), fromMicros(micros(inv.LastSentAt))
	out.AcceptedAt, out.RevokedAt = asStoredNullTime(inv.AcceptedAt), asStoredNullTime(inv.RevokedAt)
	return out
}

func asStoredTristate(t invite.Tristate) invite.Tristate {
	switch t {
	case invite.Yes, invite.No:
		return t
	}
	return invite.Unset
}

func asStoredNullTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return fromMicros(micros(t))
}
