package invite

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ImportUpdate applies the rows of an update import to the open
// invitations they name, as Edit applies one: a row names its invitation by
// ID, or by an email with exactly one open invitation (of the row's
// customer, when it has one); its details and language are applied as a
// patch (a nil field is left as it is). A row whose customer or email
// differs from its invitation's is invalid (they are not editable); with a
// version, an invitation changed since is a conflict. All or nothing: any
// problem is an ImportError listing every one in line order (EINVALID when
// a row is invalid, else ENOTFOUND when one names no invitation, else
// ECONFLICT), and nothing is written. Otherwise the changed invitations are
// written in one transaction, each with its own edit audit event; rows
// that change nothing are counted, not written. A file without rows (the
// export of an empty list) updates nothing.
func (s *Service) ImportUpdate(ctx context.Context, recs []ImportRecord, opts ImportOptions) (ImportResult, error) {
	now := s.now()
	var problems []ImportProblem
	codes := map[Code]bool{}
	fail := func(code Code, line int, field, format string, args ...any) {
		codes[code] = true
		problems = append(problems, ImportProblem{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	var changes []InvitationChange
	var lines []int
	named := map[int64]int{} // invitation ID → line naming it
	res := ImportResult{}
	for _, rec := range recs {
		inv, ok, err := s.updateTarget(ctx, rec, fail)
		if err != nil {
			return ImportResult{}, err
		}
		if !ok {
			continue
		}
		if first, seen := named[inv.ID]; seen {
			fail(EINVALID, rec.Line, "", "names invitation %d, as line %d does; keep one of the two rows", inv.ID, first)
			continue
		}
		named[inv.ID] = rec.Line
		if c := strings.TrimSpace(rec.Customer); c != "" && !strings.EqualFold(c, inv.Customer) {
			fail(EINVALID, rec.Line, "customer", "is not editable: invitation %d is for %s, not %q; revoke it and invite again", inv.ID, inv.Customer, c)
		}
		if rec.Version != "" {
			v, err := strconv.Atoi(strings.TrimSpace(rec.Version))
			switch {
			case err != nil || v < 1:
				fail(EINVALID, rec.Line, "version", "must be a whole number from 1 (got %q)", rec.Version)
			case v != inv.Version:
				fail(ECONFLICT, rec.Line, "version", "invitation %d was changed since the file was written (version %d, the file has %d); export it again and redo the change", inv.ID, inv.Version, v)
			}
		}
		if !inv.Open() {
			fail(ECONFLICT, rec.Line, "", "invitation %d (%s) is already %s and cannot be updated", inv.ID, inv.Email, inv.State)
			continue
		}
		details, changed, err := rec.Details.ApplyAt(inv.Details, now)
		for _, fe := range ErrorFields(err) {
			fail(EINVALID, rec.Line, FieldKey(fe.Field), "%s", fe.Message)
		}
		upd := inv
		upd.Details = details
		if l := strings.TrimSpace(rec.Language); l != "" {
			if !ValidLanguage(l) {
				fail(EINVALID, rec.Line, "language", "must be sv or en (got %q)", l)
			} else if l != inv.Language {
				upd.Language = l
				changed = append(changed, "language")
			}
		}
		if len(changed) == 0 {
			res.Unchanged++
			continue
		}
		changes = append(changes, InvitationChange{Invitation: upd, Event: AuditEvent{At: now, Actor: opts.Actor, Action: ActionEdit,
			InvitationID: inv.ID, Detail: "changed " + Changes(changed)}})
		lines = append(lines, rec.Line)
	}
	if len(problems) == 0 && !opts.DryRun && len(changes) > 0 {
		_, errs, err := s.Store.UpdateInvitationsAll(ctx, changes)
		if err != nil {
			return ImportResult{}, err
		}
		for i, err := range errs {
			if err != nil {
				fail(ErrorCode(err), lines[i], "", "invitation %d: %v", changes[i].Invitation.ID, err)
			}
		}
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b ImportProblem) int { return a.Line - b.Line })
		code := ECONFLICT
		for _, c := range []Code{EINVALID, ENOTFOUND} {
			if codes[c] {
				code = c
				break
			}
		}
		return ImportResult{}, &ImportError{Code: code, Problems: problems}
	}
	for _, ch := range changes {
		res.Updated = append(res.Updated, ch.Invitation.ID)
	}
	return res, nil
}

// updateTarget finds the invitation a row of an update names, or reports
// with fail why it cannot.
func (s *Service) updateTarget(ctx context.Context, rec ImportRecord, fail func(Code, int, string, string, ...any)) (Invitation, bool, error) {
	email := strings.TrimSpace(rec.Email)
	if id := strings.TrimSpace(rec.ID); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n < 1 {
			fail(EINVALID, rec.Line, "id", "must be an invitation's ID, a whole number (got %q)", id)
			return Invitation{}, false, nil
		}
		inv, err := s.Store.Invitation(ctx, n)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			fail(ENOTFOUND, rec.Line, "id", "no invitation with ID %d", n)
			return Invitation{}, false, nil
		case err != nil:
			return Invitation{}, false, err
		}
		if email != "" && EmailKey(email) != EmailKey(inv.Email) {
			fail(EINVALID, rec.Line, "email", "is not editable: invitation %d is for %s, not %s; revoke it and invite again", n, inv.Email, email)
			return Invitation{}, false, nil
		}
		return inv, true, nil
	}
	if email == "" {
		fail(EINVALID, rec.Line, "id", "the row has neither an id nor an email to find its invitation by")
		return Invitation{}, false, nil
	}
	all, err := s.Store.InvitationsByEmail(ctx, email, 0)
	if err != nil {
		return Invitation{}, false, err
	}
	var open []Invitation
	for _, inv := range all {
		if inv.Open() && (rec.Customer == "" || strings.EqualFold(strings.TrimSpace(rec.Customer), inv.Customer)) {
			open = append(open, inv)
		}
	}
	switch len(open) {
	case 0:
		fail(ENOTFOUND, rec.Line, "email", "%s has no open invitation to update", email)
		return Invitation{}, false, nil
	case 1:
		return open[0], true, nil
	}
	fail(EINVALID, rec.Line, "email", "%s has %d open invitations; add an id column to say which", email, len(open))
	return Invitation{}, false, nil
}
