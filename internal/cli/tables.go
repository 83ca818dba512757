package cli

import "github.com/invitectl/invitectl/internal/termfit"

// The fitting rules of every table but the invitations' (termfit has
// those): which columns matter most, and which are never shortened. The
// rule is list's: cells are shortened with "…" first, then whole columns
// are left out, the least important first, and a line names them.

// fitColumns is a table's rules: priority lists the important columns,
// most important first; fixed ones are never shortened.
func fitColumns(priority []int, fixed ...int) termfit.Columns {
	cs := termfit.Columns{Priority: priority, Fixed: map[int]bool{}, MinCell: termfit.MinCell}
	for _, c := range fixed {
		cs.Fixed[c] = true
	}
	return cs
}

// deliverColumns: ID, Customer account, Email, Delivery.
func deliverColumns() termfit.Columns { return fitColumns([]int{0, 2, 3, 1}, 0, 3) }

// purgeColumns: ID, Status, Since.
func purgeColumns() termfit.Columns { return fitColumns([]int{0, 1, 2}, 0, 1, 2) }

// resendPlanColumns: REF, ID, Email, Would.
func resendPlanColumns() termfit.Columns { return fitColumns([]int{0, 3, 1, 2}, 1) }

// auditColumns: ID, Time, Actor, Action, Invitation, Detail; the detail is
// shortened before the actor is left out.
func auditColumns() termfit.Columns { return fitColumns([]int{0, 1, 3, 4, 5, 2}, 0, 1, 3, 4) }

// userColumns: ID, Customer account, First name, Last name, Email, Personal
// number, Phone number, Language, Email verified, Registered, Last sign-in;
// as invitations: ID, the names, the email, then the customer and when.
func userColumns() termfit.Columns { return fitColumns([]int{0, 2, 3, 4, 1, 9}, 0, 8, 9, 10) }

// customerColumns: ID, Customer account, Open invitations, Users, Created.
func customerColumns() termfit.Columns { return fitColumns([]int{0, 1, 2, 3, 4}, 0, 2, 3, 4) }

// configColumns: Key, Value, Source; long values are shortened.
func configColumns() termfit.Columns { return fitColumns([]int{0, 1, 2}, 0) }
