package invite

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"time"
)

// ImportRecord is one row of an import: a new invitation and the line of
// the file where its record starts.
type ImportRecord struct {
	Line int
	NewInvitation
	// ID and Version are the raw id and version cells of an update ("" when
	// absent): the invitation the row names, and the version it was read at.
	ID, Version string
}

// ImportProblem is one thing wrong with an import: a line of the file (the
// header is line 1), the column, and the problem.
type ImportProblem struct {
	Line    int
	Field   string // a column name; "" for the whole line
	Message string
}

func (p ImportProblem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return fmt.Sprintf("line %d: %s: %s", p.Line, p.Field, p.Message)
}

// ImportError is an import refused as a whole, with every problem found, in
// line order. Code is EINVALID when some rows break the rules (a repeat
// within the file included) and ECONFLICT when all are valid but some clash
// with open invitations or accounts in the store.
type ImportError struct {
	Code     Code
	Problems []ImportProblem
}

func (e *ImportError) Error() string {
	if len(e.Problems) == 1 {
		return "the import has a problem; nothing was imported: " + e.Problems[0].String()
	}
	return fmt.Sprintf("the import has %d problems; nothing was imported", len(e.Problems))
}

// Unwrap gives the error's code to ErrorCode.
func (e *ImportError) Unwrap() error { return &Error{Code: e.Code, Message: e.Error()} }

// ImportSource gives the records of an import to fn, in file order, each
// time it is called (an import reads them twice), and stops at fn's first
// error, which it returns.
type ImportSource func(fn func(ImportRecord) error) error

// Records is the source of the records of a slice.
func Records(recs []ImportRecord) ImportSource {
	return func(fn func(ImportRecord) error) error {
		for _, rec := range recs {
			if err := fn(rec); err != nil {
				return err
			}
		}
		return nil
	}
}

// importCheck validates the records of an import one at a time, as invite
// does, resolving customers; it keeps what the checks across rows need:
// each email's line, and the customers by name.
type importCheck struct {
	s         *Service
	now       time.Time
	actor     string
	customers map[string]*Customer // by name as given, nil when unknown
	// seen maps a 64-bit hash of each email key to its line: a million
	// emails take some 30 MB instead of some 100. Two keys of one hash
	// (some 3 in 100 million for a million rows) refuse the second row,
	// never accept a repeat.
	seen map[uint64]int32
	seed maphash.Seed
}

func (s *Service) newImportCheck(actor string) *importCheck {
	return &importCheck{s: s, now: s.now(), actor: actor, customers: map[string]*Customer{}, seed: maphash.MakeSeed()}
}

// check returns rec as an invitation and its problems; with emails it
// also reports an email repeated within the file.
func (c *importCheck) check(ctx context.Context, rec ImportRecord, emails bool) (Invitation, []ImportProblem, error) {
	rec.Actor = c.actor
	inv, errs := c.s.checkNew(rec.NewInvitation, c.now)
	var problems []ImportProblem
	for _, fe := range errs {
		problems = append(problems, ImportProblem{Line: rec.Line, Field: FieldKey(fe.Field), Message: fe.Message})
	}
	if name := inv.Customer; name != "" {
		cu, ok := c.customers[name]
		if !ok {
			found, err := c.s.Store.CustomerByName(ctx, name)
			switch {
			case err == nil:
				cu = &found
			case ErrorCode(err) != ENOTFOUND:
				return inv, nil, err
			}
			c.customers[name] = cu
		}
		if cu == nil {
			problems = append(problems, ImportProblem{Line: rec.Line, Field: "customer", Message: fmt.Sprintf("no customer named %q", name)})
		} else {
			inv.CustomerID, inv.Customer = cu.ID, cu.Name
		}
	}
	if emails && inv.Email != "" {
		if c.seen == nil {
			c.seen = map[uint64]int32{}
		}
		key := maphash.String(c.seed, EmailKey(inv.Email))
		if first, ok := c.seen[key]; ok {
			problems = append(problems, ImportProblem{Line: rec.Line, Field: "email", Message: fmt.Sprintf("%s is already on line %d", inv.Email, first)})
		} else {
			c.seen[key] = int32(min(rec.Line, math.MaxInt32))
		}
	}
	return inv, problems, nil
}

// ImportOptions say how Import imports.
type ImportOptions struct {
	Actor  string
	DryRun bool // validate and check for conflicts; write nothing
	NoSend bool // queue no email (delivery none)
	// SkipExisting leaves out the rows whose email has an open invitation,
	// reporting them as skipped, instead of refusing the import.
	SkipExisting bool
	// Report, when set, is called for each delivered or undelivered email.
	Report func(DeliveryOutcome)
	// Checked and Written, when set, are called for each row as the first
	// pass validates it and the second writes it (for a progress bar).
	Checked, Written func()
}

// ImportResult is what an import did.
type ImportResult struct {
	IDs       []int64 // the new invitations, in file order (none in a dry run)
	Count     int     // rows imported, or that a dry run would import
	Delivered DeliverySummary
	Skipped   []SkippedRow // with SkipExisting
	// Updated are the invitations an update changed (or would change, in a
	// dry run), in file order; Unchanged counts the rows that changed
	// nothing.
	Updated   []int64
	Unchanged int
}

// SkippedRow is a row left out of an import: its email has the open
// invitation ID.
type SkippedRow struct {
	Line  int
	Email string
	ID    int64
}

// Import creates the invitations of recs, all or nothing, as ImportFrom.
func (s *Service) Import(ctx context.Context, recs []ImportRecord, opts ImportOptions) (ImportResult, error) {
	return s.ImportFrom(ctx, Records(recs), opts)
}

// chunkRows is how many invitations an import writes at a time.
const chunkRows = 1000 // at least the store's bulk size, so each chunk fills the search index once

// inChunks passes the items that item makes of src's records (ok false
// for none) to write, chunkRows at a time, each with its record's line.
func inChunks[T any](src ImportSource, item func(ImportRecord) (v T, ok bool, err error), write func(chunk []T, lines []int) error) error {
	chunk := make([]T, 0, chunkRows)
	lines := make([]int, 0, chunkRows)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := write(chunk, lines)
		chunk, lines = chunk[:0], lines[:0]
		return err
	}
	err := src(func(rec ImportRecord) error {
		v, ok, err := item(rec)
		if err != nil || !ok {
			return err
		}
		chunk, lines = append(chunk, v), append(lines, rec.Line)
		if len(chunk) == chunkRows {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// ImportFrom creates the invitations of src's records, all or nothing,
// reading them twice. The first pass validates each record as invite
// validates one, resolves the customers, and finds emails repeated within
// the file, keeping only the emails: any problem is an ImportError
// (EINVALID) listing every problem in line order, and nothing is written.
// The second pass writes the invitations in chunks inside one transaction,
// each with its email queued; when all are valid but some emails already
// have an open invitation or an account (or, with SkipExisting, an
// account), it is an ImportError with code ECONFLICT and nothing is
// written. The emails are then delivered; an undelivered one stays in the
// outbox, and the error is EDELIVERY (the invitations are imported).
func (s *Service) ImportFrom(ctx context.Context, src ImportSource, opts ImportOptions) (ImportResult, error) {
	chk := s.newImportCheck(opts.Actor)
	var problems []ImportProblem
	rows := 0
	err := src(func(rec ImportRecord) error {
		_, ps, err := chk.check(ctx, rec, true)
		problems = append(problems, ps...)
		rows++
		if opts.Checked != nil {
			opts.Checked()
		}
		return err
	})
	chk.seen = nil // the second pass needs no emails
	if err != nil {
		return ImportResult{}, err
	}
	if len(problems) > 0 {
		return ImportResult{}, &ImportError{Code: EINVALID, Problems: problems}
	}
	if rows == 0 {
		return ImportResult{}, &ImportError{Code: EINVALID, Problems: []ImportProblem{{Line: 1, Message: "the file has a header but no rows to import"}}}
	}
	mail := KindInvitation
	if opts.NoSend || opts.DryRun {
		mail = ""
	}
	now := s.now()
	var res ImportResult
	var conflicts []ImportProblem
	written, err := s.Store.ImportInvitations(ctx, ImportWrite{
		Event: func(n int) AuditEvent {
			return AuditEvent{At: now, Actor: opts.Actor, Action: ActionImport, Detail: "imported " + invitations(n)}
		},
		Mail: mail, DryRun: opts.DryRun, SkipOpen: opts.SkipExisting,
	}, func(write func([]Invitation) (ImportWritten, error)) error {
		res.IDs, res.Skipped, conflicts = res.IDs[:0], res.Skipped[:0], conflicts[:0]
		return inChunks(src, func(rec ImportRecord) (Invitation, bool, error) {
			inv, ps, err := chk.check(ctx, rec, false)
			if err == nil && len(ps) > 0 { // the file changed between the passes
				err = &ImportError{Code: EINVALID, Problems: ps}
			}
			return inv, err == nil, err
		}, func(chunk []Invitation, lines []int) error {
			w, err := write(chunk)
			if err != nil {
				return err
			}
			for _, i := range w.Conflicts {
				conflicts = append(conflicts, ImportProblem{Line: lines[i], Field: "email",
					Message: fmt.Sprintf("%s already has an open invitation or an account", chunk[i].Email)})
			}
			for _, sk := range w.Skipped {
				res.Skipped = append(res.Skipped, SkippedRow{Line: lines[sk.Index], Email: chunk[sk.Index].Email, ID: sk.ID})
			}
			for _, inv := range chunk {
				if inv.ID != 0 {
					res.IDs = append(res.IDs, inv.ID)
				}
				if opts.Written != nil {
					opts.Written()
				}
			}
			return nil
		})
	})
	if err != nil {
		return ImportResult{}, err
	}
	if len(written.Conflicts) > 0 {
		return ImportResult{}, &ImportError{Code: ECONFLICT, Problems: conflicts}
	}
	res.Count = rows - len(res.Skipped)
	if opts.DryRun {
		res.IDs = nil
		return res, nil
	}
	if mail == "" {
		return res, nil
	}
	if s.Mailer == nil {
		return res, ErrNoMailer
	}
	res.Delivered, err = s.Deliver(ctx, DeliverRequest{InvitationIDs: res.IDs, Actor: opts.Actor, Report: opts.Report})
	if err != nil {
		return res, err
	}
	if n := len(res.IDs) - res.Delivered.Sent; n > 0 {
		return res, ErrNotDelivered.Explain("%d of the %d invitation emails were not delivered", n, len(res.IDs))
	}
	return res, nil
}
