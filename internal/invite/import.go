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
