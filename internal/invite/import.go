package invite

import (
	"context"
	"fmt"
	"strings"
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

// importColumn is the file's column for a field error of the rules, which
// are named as the invitee's details are everywhere else.
func importColumn(field string) string {
	if field == "eu-citizen" {
		return "eu_eea_citizen"
	}
	return strings.ReplaceAll(field, "-", "_")
}

// checkImport validates every record as invite does, resolves the
// customers, and finds emails repeated within the file. It returns the
// invitations to write, or every problem.
func (s *Service) checkImport(ctx context.Context, recs []ImportRecord, actor string) ([]Invitation, []ImportProblem, error) {
	now := s.now()
	customers := map[string]*Customer{} // by name as given, nil when unknown
	seen := map[string]int{}            // email key → line
	invs := make([]Invitation, 0, len(recs))
	var problems []ImportProblem
	for _, rec := range recs {
		rec.Actor = actor
		inv, errs := s.checkNew(rec.NewInvitation, now)
		for _, fe := range errs {
			problems = append(problems, ImportProblem{Line: rec.Line, Field: importColumn(fe.Field), Message: fe.Message})
		}
		if name := inv.Customer; name != "" {
			c, ok := customers[name]
			if !ok {
				found, err := s.Store.CustomerByName(ctx, name)
				switch {
				case err == nil:
					c = &found
				case ErrorCode(err) != ENOTFOUND:
					return nil, nil, err
				}
				customers[name] = c
			}
			if c == nil {
				problems = append(problems, ImportProblem{Line: rec.Line, Field: "customer", Message: fmt.Sprintf("no customer named %q", name)})
			} else {
				inv.CustomerID, inv.Customer = c.ID, c.Name
			}
		}
		if inv.Email != "" {
			key := EmailKey(inv.Email)
			if first, ok := seen[key]; ok {
				problems = append(problems, ImportProblem{Line: rec.Line, Field: "email", Message: fmt.Sprintf("%s is already on line %d", inv.Email, first)})
			} else {
				seen[key] = rec.Line
			}
		}
		invs = append(invs, inv)
	}
	return invs, problems, nil
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

// Import creates the invitations of recs, all or nothing. Every record is
// validated as invite validates one, customers must exist, and an email
// may appear once in the file: any problem is an ImportError (EINVALID)
// listing every problem in line order, and nothing is written. When all
// are valid but some emails already have an open invitation or an account,
// it is an ImportError with code ECONFLICT. Otherwise every invitation is
// written in one transaction with its email queued, and the emails are
// then delivered; an undelivered one stays in the outbox, and the error is
// EDELIVERY (the invitations are imported).
func (s *Service) Import(ctx context.Context, recs []ImportRecord, opts ImportOptions) (ImportResult, error) {
	invs, problems, err := s.checkImport(ctx, recs, opts.Actor)
	if err != nil {
		return ImportResult{}, err
	}
	if len(problems) > 0 {
		return ImportResult{}, &ImportError{Code: EINVALID, Problems: problems}
	}
	if len(invs) == 0 {
		return ImportResult{}, &ImportError{Code: EINVALID, Problems: []ImportProblem{{Line: 1, Message: "the file has a header but no rows to import"}}}
	}
	mail := KindInvitation
	if opts.NoSend || opts.DryRun {
		mail = ""
	}
	now := s.now()
	written, err := s.Store.ImportInvitations(ctx, invs, ImportWrite{
		Event: func(n int) AuditEvent {
			return AuditEvent{At: now, Actor: opts.Actor, Action: ActionImport, Detail: fmt.Sprintf("imported %d invitations", n)}
		},
		Mail: mail, DryRun: opts.DryRun, SkipOpen: opts.SkipExisting})
	if err != nil {
		return ImportResult{}, err
	}
	if len(written.Conflicts) > 0 {
		for _, i := range written.Conflicts {
			problems = append(problems, ImportProblem{Line: recs[i].Line, Field: "email",
				Message: fmt.Sprintf("%s already has an open invitation or an account", invs[i].Email)})
		}
		return ImportResult{}, &ImportError{Code: ECONFLICT, Problems: problems}
	}
	res := ImportResult{Count: len(invs) - len(written.Skipped)}
	skipped := make(map[int]bool, len(written.Skipped))
	for _, sk := range written.Skipped {
		skipped[sk.Index] = true
		res.Skipped = append(res.Skipped, SkippedRow{Line: recs[sk.Index].Line, Email: invs[sk.Index].Email, ID: sk.ID})
	}
	if opts.DryRun || res.Count == 0 {
		return res, nil
	}
	for i, inv := range invs {
		if !skipped[i] {
			res.IDs = append(res.IDs, inv.ID)
		}
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
