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
