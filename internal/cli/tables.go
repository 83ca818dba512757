package cli

import "github.com/invitectl/invitectl/internal/termfit"

// The fitting rules of every table but the invitations' (termfit has
// those): which columns matter most, and which are never shortened. The
// rule is list's: cells are shortened with "…" first, then whole columns
// are left out, the least important first, and a line names them.

// deliverColumns: ID, Customer account, Email, Delivery.
func deliverColumns() termfit.Columns { return termfit.Rounded([]int{0, 2, 3, 1}, 0, 3) }

// purgeColumns: ID, Status, Since.
func purgeColumns() termfit.Columns { return termfit.Rounded([]int{0, 1, 2}, 0, 1, 2) }

// resendPlanColumns: REF, ID, Email, Would.
func resendPlanColumns() termfit.Columns { return termfit.Rounded([]int{0, 3, 1, 2}, 1) }

// auditColumns: ID, Time, Actor, Action, Invitation, Detail; the detail is
// shortened before the actor is left out.
func auditColumns() termfit.Columns { return termfit.Rounded([]int{0, 1, 3, 4, 5, 2}, 0, 1, 3, 4) }

// userColumns: ID, Customer account, First name, Last name, Email, Personal
// number, Phone number, Language, Email verified, Registered, Last sign-in;
// as invitations: ID, the names, the email, then the customer and when.
func userColumns() termfit.Columns { return termfit.Rounded([]int{0, 2, 3, 4, 1, 9}, 0, 8, 9, 10) }

// customerColumns: ID, Customer account, Open invitations, Users, Created.
func customerColumns() termfit.Columns { return termfit.Rounded([]int{0, 1, 2, 3, 4}, 0, 2, 3, 4) }

// configColumns: Key, Value, Source; long values are shortened.
func configColumns() termfit.Columns { return termfit.Rounded([]int{0, 1, 2}, 0) }
