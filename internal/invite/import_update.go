package invite

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ImportUpdate applies the rows of src, an update import, to the open
// invitations they name, as Edit applies one: a row names its invitation by
// ID, or by an email with exactly one open invitation (of the row's
// customer, when it has one); its details and language are applied as a
// patch (a nil field is left as it is). A row whose customer or email
// differs from its invitation's is invalid (they are not editable); with a
// version, an invitation changed since is a conflict. All or nothing: any
// problem is an ImportError listing every one in line order (EINVALID when
// a row is invalid, else ENOTFOUND when one names no invitation, else
// ECONFLICT), and nothing is written; rows that change nothing are
// counted, not written. A file without rows (the export of an empty list)
// updates nothing.
//
// It reads src twice. The first pass checks each row and finds its
// invitation, keeping only the invitations named, each with its line and
// the version read (a dry run ends there). The second pass derives each
// row's change again and writes the changes in chunks inside one
// transaction, each with its own edit audit event, on the condition that
// the invitation is still at the version the first pass read: one changed
// in between is a conflict.
func (s *Service) ImportUpdate(ctx context.Context, src ImportSource, opts ImportOptions) (ImportResult, error) {
	u := &importUpdate{s: s, now: s.now(), actor: opts.Actor, named: map[int64]namedRow{}, codes: map[Code]bool{}}
	var res ImportResult
	changes := 0
	err := src(func(rec ImportRecord) error {
		ch, ok, err := u.row(ctx, rec)
		if ok {
			changes++
			if opts.DryRun {
				res.Updated = append(res.Updated, ch.Invitation.ID)
			}
		}
		if opts.Checked != nil {
			opts.Checked()
		}
		return err
	})
	if err != nil {
		return ImportResult{}, err
	}
	if err := u.refusal(); err != nil || opts.DryRun || changes == 0 {
		res.Unchanged = u.unchanged
		return res, err
	}
	u.second = true
	err = s.Store.UpdateInvitationsChunks(ctx, func(write func([]InvitationChange) ([]error, error)) error {
		res.Updated, u.unchanged, u.problems = res.Updated[:0], 0, u.problems[:0]
		clear(u.codes)
		err := inChunks(u.batched(ctx, src), func(rec ImportRecord) (InvitationChange, bool, error) {
			ch, ok, err := u.row(ctx, rec)
			if err == nil && !ok && opts.Written != nil {
				opts.Written() // a row that writes nothing
			}
			return ch, ok, err
		}, func(chunk []InvitationChange, lines []int) error {
			errs, err := write(chunk)
			if err != nil {
				return err
			}
			for i, err := range errs {
				id := chunk[i].Invitation.ID
				if err != nil {
					u.fail(ErrorCode(err), lines[i], "", "invitation %d: %v", id, err)
				} else {
					res.Updated = append(res.Updated, id)
				}
				if opts.Written != nil {
					opts.Written()
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(u.problems) > 0 {
			return errUpdateRefused
		}
		return nil
	})
	if err != nil && !errors.Is(err, errUpdateRefused) {
		return ImportResult{}, err
	}
	if err := u.refusal(); err != nil {
		return ImportResult{}, err
	}
	res.Unchanged = u.unchanged
	return res, nil
}

// errUpdateRefused rolls back an update import whose second pass found
// problems.
var errUpdateRefused = errors.New("update refused")

// importUpdate checks the rows of an update import; it keeps the problems
// and what the checks across rows need: the invitations named.
type importUpdate struct {
	s     *Service
	now   time.Time
	actor string
	// named maps each invitation a row names to that row's line and the
	// version the first pass read (int32s: a million rows take some 20 MB).
	named  map[int64]namedRow
	second bool // the second pass: named is complete
	// read holds the invitations the rows of the current batch name by ID,
	// read with one query a batch instead of one a row.
	read      map[int64]Invitation
	unchanged int
	problems  []ImportProblem
	codes     map[Code]bool
}

type namedRow struct{ line, version int32 }

func (u *importUpdate) fail(code Code, line int, field, format string, args ...any) {
	u.codes[code] = true
	u.problems = append(u.problems, ImportProblem{Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// batched passes src's records on a batch of chunkRows at a time, having
// read the invitations they name by ID into u.read: the second pass, which
// other writers wait for, reads one query a batch instead of one a row.
func (u *importUpdate) batched(ctx context.Context, src ImportSource) ImportSource {
	return func(fn func(ImportRecord) error) error {
		batch := make([]ImportRecord, 0, chunkRows)
		flush := func() error {
			var ids []int64
			for _, rec := range batch {
				if n, err := strconv.ParseInt(strings.TrimSpace(rec.ID), 10, 64); err == nil && n > 0 {
					ids = append(ids, n)
				}
			}
			var err error
			if u.read, err = u.s.Store.InvitationsByID(ctx, ids); err != nil {
				return err
			}
			for _, rec := range batch {
				if err := fn(rec); err != nil {
					return err
				}
			}
			batch = batch[:0]
			return nil
		}
		err := src(func(rec ImportRecord) error {
			if batch = append(batch, rec); len(batch) == chunkRows {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	}
}

// refusal is the ImportError of the problems found, nil when none.
func (u *importUpdate) refusal() error {
	if len(u.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(u.problems, func(a, b ImportProblem) int { return a.Line - b.Line })
	code := ECONFLICT
	for _, c := range []Code{EINVALID, ENOTFOUND} {
		if u.codes[c] {
			code = c
			break
		}
	}
	return &ImportError{Code: code, Problems: u.problems}
}

// row checks rec and returns the change it makes; ok is false when it
// changes nothing or has a problem (reported with fail). In the second pass the
// change is conditional on the version the first pass read.
func (u *importUpdate) row(ctx context.Context, rec ImportRecord) (InvitationChange, bool, error) {
	problems := len(u.problems)
	inv, ok, err := u.target(ctx, rec)
	if err != nil || !ok {
		return InvitationChange{}, false, err
	}
	line := int32(min(rec.Line, math.MaxInt32))
	n, seen := u.named[inv.ID]
	switch {
	case !u.second && seen:
		u.fail(EINVALID, rec.Line, "", "names invitation %d, as line %d does; keep one of the two rows", inv.ID, n.line)
		return InvitationChange{}, false, nil
	case !u.second:
		n = namedRow{line: line, version: int32(min(inv.Version, math.MaxInt32))}
		u.named[inv.ID] = n
	case !seen || n.line != line:
		u.fail(ECONFLICT, rec.Line, "", "names invitation %d, which it did not when the import began: the file or the store changed meanwhile; import the file again", inv.ID)
		return InvitationChange{}, false, nil
	}
	if c := strings.TrimSpace(rec.Customer); c != "" && !strings.EqualFold(c, inv.Customer) {
		u.fail(EINVALID, rec.Line, "customer", "is not editable: invitation %d is for %s, not %q; revoke it and invite again", inv.ID, inv.Customer, c)
	}
	if rec.Version != "" {
		v, err := strconv.Atoi(strings.TrimSpace(rec.Version))
		switch {
		case err != nil || v < 1:
			u.fail(EINVALID, rec.Line, "version", "must be a whole number from 1 (got %q)", rec.Version)
		case v != inv.Version:
			u.fail(ECONFLICT, rec.Line, "version", "invitation %d was changed since the file was written (version %d, the file has %d); export it again and redo the change", inv.ID, inv.Version, v)
		}
	}
	if !inv.Open() {
		u.fail(ECONFLICT, rec.Line, "", "invitation %d (%s) is already %s and cannot be updated", inv.ID, inv.Email, inv.State)
		return InvitationChange{}, false, nil
	}
	details, changed, err := rec.Details.ApplyAt(inv.Details, u.now)
	for _, fe := range ErrorFields(err) {
		u.fail(EINVALID, rec.Line, FieldKey(fe.Field), "%s", fe.Message)
	}
	upd := inv
	upd.Details = details
	if l := strings.TrimSpace(rec.Language); l != "" {
		if !ValidLanguage(l) {
			u.fail(EINVALID, rec.Line, "language", "must be sv or en (got %q)", l)
		} else if l != inv.Language {
			upd.Language = l
			changed = append(changed, "language")
		}
	}
	if len(u.problems) > problems {
		return InvitationChange{}, false, nil
	}
	if len(changed) == 0 {
		u.unchanged++
		return InvitationChange{}, false, nil
	}
	// The version the first pass read: a change since is a conflict.
	upd.Version = int(n.version)
	return InvitationChange{Invitation: upd, Event: AuditEvent{At: u.now, Actor: u.actor, Action: ActionEdit,
		InvitationID: inv.ID, Detail: "changed " + Changes(changed)}}, true, nil
}

// target finds the invitation a row of an update names, or reports with
// fail why it cannot.
func (u *importUpdate) target(ctx context.Context, rec ImportRecord) (Invitation, bool, error) {
	s, named, fail := u.s, u.named, u.fail
	email := strings.TrimSpace(rec.Email)
	if id := strings.TrimSpace(rec.ID); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n < 1 {
			fail(EINVALID, rec.Line, "id", "must be an invitation's ID, a whole number (got %q)", id)
			return Invitation{}, false, nil
		}
		inv, read := u.read[n]
		if !read {
			inv, err = s.Store.Invitation(ctx, n) // ENOTFOUND, said as the store says it
		}
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
		if n, ok := named[inv.ID]; ok && int(n.line) == rec.Line {
			// The second pass: the invitation the first found for the row,
			// whatever has become of it since.
			return inv, true, nil
		}
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
