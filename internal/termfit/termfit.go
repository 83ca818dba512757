// Package termfit fits invitations to a terminal, for every screen that
// shows them there (`list` and `browse`): which columns of a table fit its
// width and how wide each may be, times as people read them, and text from
// the store made safe to print. It draws nothing itself.
package termfit

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/invitectl/invitectl/internal/invite"
)

// InvitationHeader is the invitation table's columns, in the contract's
// order: the ID, the customer, the names, the email, the status, the other
// details, when it was sent and by whom.
var InvitationHeader = slices.Concat([]string{"ID", "Customer account"}, fieldCells(true, label),
	[]string{"Email", "Status"}, fieldCells(false, label), []string{"Sent on", "Sent by"})

func label(f invite.Field) string { return f.Label }

// NameCells are d's names as the table shows them (see invite.Field.Cell).
func NameCells(d invite.Details) []string {
	return fieldCells(true, func(f invite.Field) string { return f.Cell(d) })
}

// DetailCells are d's other fields as the table shows them.
func DetailCells(d invite.Details) []string {
	return fieldCells(false, func(f invite.Field) string { return f.Cell(d) })
}

// fieldCells is cell of each required field, or of each optional one.
func fieldCells(required bool, cell func(invite.Field) string) []string {
	var cells []string
	for _, f := range invite.Fields {
		if f.Required == required {
			cells = append(cells, cell(f))
		}
	}
	return cells
}

// Indexes of InvitationHeader's columns that other code refers to.
const (
	ColID = iota
	ColCustomer
	ColFirstName
	ColLastName
	ColEmail
	ColStatus
)

// ColSentOn is the index of the Sent on column.
var ColSentOn = len(InvitationHeader) - 2

// InvitationColumns is the invitation table's fitting rules: the contract's
// order of importance is ID, First name, Last name, Email, Status, Customer
// account, Sent on, then the others in table order; IDs, statuses and times
// are never shortened. Natural is the caller's.
func InvitationColumns() Columns {
	return Rounded([]int{ColID, ColFirstName, ColLastName, ColEmail, ColStatus, ColCustomer, ColSentOn}, ColID, ColStatus, ColSentOn)
}

// Rounded is the fitting rules of a rounded table, as `list` and `browse`
// draw it ("│ " before and " " after every cell, and the closing "│"):
// priority lists the important columns, most important first; fixed ones
// are never shortened. Natural is the caller's.
func Rounded(priority []int, fixed ...int) Columns {
	cs := Columns{Priority: priority, Fixed: map[int]bool{}, MinCell: MinCell, CellOverhead: 3, TableOverhead: 1}
	for _, c := range fixed {
		cs.Fixed[c] = true
	}
	return cs
}

// LeftOut is the line under a fitted table that names the columns of
// header not in keep, and what shows them all; "" when none is left out.
func LeftOut(header []string, keep []int, remedy string) string {
	var names []string
	for c, h := range header {
		if !slices.Contains(keep, c) {
			names = append(names, h)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("%d %s left out to fit the terminal (%s): %s.",
		len(names), plural(len(names), "column", "columns"), remedy, strings.Join(names, ", "))
}

// ShowingLine is the footer of a page of a list: Showing X–Y of Z results.
func ShowingLine(page, perPage, n, total int) string {
	from := invite.PageOffset(page, perPage) + 1
	return fmt.Sprintf("Showing %d–%d of %d results", from, from+n-1, total)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// MinCell is the narrowest a shortened cell becomes: "Maximilia…" still says
// who it is.
const MinCell = 12

// Columns is a table to fit into a terminal's width.
type Columns struct {
	// Natural is each column's width with nothing shortened: its widest
	// cell, header included.
	Natural []int
	// Priority lists the important columns' indexes, most important first;
	// the others are less important, in table order.
	Priority []int
	// Fixed columns are never shortened.
	Fixed map[int]bool
	// CellOverhead is what the table draws beside each cell (padding, a
	// border); TableOverhead what it draws once (the closing border).
	CellOverhead, TableOverhead int
	// MinCell is the narrowest a shortened cell becomes.
	MinCell int
}

// Fit chooses the columns to keep within width, in table order, and the
// widest each may be; widths[c] is 0 for a column left out. Cells are
// shortened first and, where that is not enough, whole columns are left out,
// the least important first.
func (cs Columns) Fit(width int) (keep []int, widths []int) {
	n := len(cs.Natural)
	natural := cs.Natural
	least := func(c int) int {
		if cs.Fixed[c] {
			return natural[c]
		}
		return min(natural[c], cs.MinCell)
	}
	// The important columns, in order of importance, while they fit when
	// shortened; then the others, in table order, while they fit whole.
	// Either way the first that does not fit ends the list: columns are
	// left out least important first.
	in := map[int]bool{}
	short, full := cs.TableOverhead, cs.TableOverhead
	for _, c := range cs.Priority {
		if short+least(c)+cs.CellOverhead > width && len(in) > 0 {
			break
		}
		in[c] = true
		short += least(c) + cs.CellOverhead
		full += natural[c] + cs.CellOverhead
	}
	if len(in) == len(cs.Priority) {
		for c := range n {
			if in[c] {
				continue
			}
			if full+natural[c]+cs.CellOverhead > width {
				break
			}
			in[c] = true
			full += natural[c] + cs.CellOverhead
		}
	}
	widths = make([]int, n)
	total := cs.TableOverhead
	for c := range n {
		if in[c] {
			keep = append(keep, c)
			widths[c] = natural[c]
			total += natural[c] + cs.CellOverhead
		}
	}
	// Shorten the widest cells, one character at a time, until it fits.
	for total > width {
		widest := -1
		for _, c := range keep {
			if widths[c] > least(c) && (widest < 0 || widths[c] > widths[widest]) {
				widest = c
			}
		}
		if widest < 0 {
			break
		}
		widths[widest]--
		total--
	}
	return keep, widths
}

// Time is a time as people read it on a terminal: relative when within a
// week of now ("3 hours ago", "in 2 days"), otherwise the date and time in
// loc (UTC when nil) with its zone. A zero now means no relative times.
func Time(t, now time.Time, loc *time.Location) string {
	if !now.IsZero() {
		if s, ok := relativeTime(t, now); ok {
			return s
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// relativeTime says how long ago (or ahead) t is, when that is within a week.
func relativeTime(t, now time.Time) (string, bool) {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var n int
	var unit string
	switch {
	case d >= 7*24*time.Hour:
		return "", false
	case d < time.Minute:
		return "just now", true
	case d < time.Hour:
		n, unit = int(d/time.Minute), "minute"
	case d < 24*time.Hour:
		n, unit = int(d/time.Hour), "hour"
	default:
		n, unit = int(d/(24*time.Hour)), "day"
	}
	if n != 1 {
		unit += "s"
	}
	if future {
		return fmt.Sprintf("in %d %s", n, unit), true
	}
	return fmt.Sprintf("%d %s ago", n, unit), true
}

// Safe makes text from the store safe to print on a terminal: control and
// format characters (escape sequences, bidirectional overrides, line
// separators, zero-width characters) are shown as Go escapes instead of
// acting on the terminal.
func Safe(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}
