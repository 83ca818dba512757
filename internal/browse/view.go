package browse

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	ltable "charm.land/lipgloss/v2/table"
	"github.com/charmbracelet/x/ansi"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/termfit"
)

// View draws the screen on the alternate screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "invitectl browse"
	return v
}

// tableChrome is the table's lines besides its rows: the top border, the
// header, the line under it and the bottom border.
const tableChrome = 4

func (m Model) render() string {
	top := m.topView()
	tw := m.tableWidth()
	keep, _, _ := m.layout(tw)
	bottom := m.bottomView(keep)
	rows := m.height - lipgloss.Height(top) - lipgloss.Height(bottom)
	body := m.tableView(tw, rows)
	if m.mode == modeEdit {
		if tw > 0 {
			body = lipgloss.JoinHorizontal(lipgloss.Top, body, " ", m.form.view(rows))
		} else {
			body = m.form.view(rows)
		}
	}
	screen := top + "\n" + body + "\n" + bottom
	var box string
	x, y := 0, 0
	switch m.mode {
	case modeMenu:
		box = m.menu.view(m.st)
		// Under the selected row, which stays in sight, near its left edge.
		x = min(7, max(m.width-lipgloss.Width(box)-2, 0))
		y = lipgloss.Height(top) + 4 + m.cursor - m.firstRow(rows-tableChrome)
		y = max(min(y, m.height-lipgloss.Height(box)), 0)
	case modeConfirm:
		box = m.dialog.view(m.st, m.width-2)
	case modeHelp:
		box = m.helpView()
	default:
		return screen
	}
	// A column of blanks each side keeps the table's text from touching the box.
	box = lipgloss.NewStyle().Padding(0, 1).Render(box)
	if m.mode != modeMenu {
		x = max((m.width-lipgloss.Width(box))/2, 0)
		y = max((m.height-lipgloss.Height(box))/2, 0)
	}
	return lipgloss.NewCompositor(lipgloss.NewLayer(screen), lipgloss.NewLayer(box).X(x).Y(y).Z(1)).Render()
}

// helpView is every key, in groups laid out side by side as far as the
// screen is wide.
func (m Model) helpView() string {
	st := m.st
	width := m.width - 6 // the box's border and padding, and the blank column each side of it
	var rows, row []string
	rowWidth := 0
	titles := []string{"The table", "Pages, search, filter", "Menus, forms, dialogs"}
	for i, group := range m.keys.FullHelp() {
		keyWidth := 0
		for _, b := range group {
			keyWidth = max(keyWidth, lipgloss.Width(b.Help().Key))
		}
		lines := []string{st.faint.Render(titles[i])}
		for _, b := range group {
			lines = append(lines, st.help.FullKey.Width(keyWidth+2).Render(b.Help().Key)+st.help.FullDesc.Render(b.Help().Desc))
		}
		col := lipgloss.NewStyle().PaddingRight(3).Render(strings.Join(lines, "\n"))
		if w := lipgloss.Width(col); rowWidth+w > width && len(row) > 0 {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, rowWidth = nil, 0
		}
		row = append(row, col)
		rowWidth += lipgloss.Width(col)
	}
	rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	notes := lipgloss.NewStyle().Width(min(width, 76)).Render("In the edit form ←/→ change a choice, and move the cursor in a text field. Press ? or esc to close.")
	return st.box.Render(st.bold.Render("Keys") + "\n\n" + strings.Join(rows, "\n\n") + "\n\n" + st.faint.Render(notes))
}

// topView is the title, the filter and sort, and the search.
func (m Model) topView() string {
	st := m.st
	sort := termfit.InvitationHeader[sortColumn(m.query.Sort.Field)] + " " + arrow(m.query.Sort)
	title := st.title.Render("Invitations") + st.faint.Render("  ·  ") + "status: " + st.bold.Render(string(m.query.Status)) +
		st.faint.Render("  ·  ") + "sorted by " + st.bold.Render(sort)
	var search string
	switch {
	case m.mode == modeSearch:
		search = "Search: " + m.search.View() + st.faint.Render("  enter keeps it · esc clears it")
	case m.query.Search != "":
		search = "Search: " + st.bold.Render(termfit.Safe(m.query.Search)) + st.faint.Render("  / changes it · esc clears it")
	default:
		search = st.faint.Render("/ searches first names, last names and emails")
	}
	return m.fitLine(title) + "\n" + m.fitLine(search)
}

// bottomView is the page line, what was left out, the status line and the keys.
func (m Model) bottomView(keep []int) string {
	st := m.st
	var lines []string
	if m.loaded && len(m.page.Invitations) > 0 {
		lines = append(lines, termfit.ShowingLine(m.shown.Page, m.shown.PerPage, len(m.page.Invitations), m.page.Total)+
			st.faint.Render(fmt.Sprintf("  ·  page %d of %d", m.shown.Page, invite.LastPage(m.page.Total, m.shown.PerPage))))
		if left := termfit.LeftOut(termfit.InvitationHeader, keep, "Edit shows every detail"); left != "" && len(keep) > 0 {
			lines = append(lines, st.faint.Render(left))
		}
	}
	status := m.status
	switch {
	case m.busy() && status == "" && !m.loaded:
		status = m.spinner.View() + " Loading…"
	case m.busy() && status == "":
		status = m.spinner.View() + " Working…"
	case m.busy():
		status = m.spinner.View() + " " + status
	case m.failed:
		status = st.failure.Render("✗ " + status)
	}
	var keys string
	switch m.mode {
	case modeTable:
		keys = m.help.ShortHelpView(m.keys.ShortHelp())
	case modeSearch:
		keys = st.faint.Render("type to search · enter keeps the search · esc clears it")
	case modeHelp:
		keys = st.faint.Render("? or esc closes the help")
	case modeEdit:
		keys = st.faint.Render("tab/↑↓ field · ←→ choice · enter next, or a button · esc closes, saving nothing")
	default:
		keys = st.faint.Render("↑↓ ←→ tab move · enter chooses · esc closes, changing nothing")
	}
	for i := range lines {
		lines[i] = m.fitLine(lines[i])
	}
	// The status line wraps (up to statusLines lines): an outcome with a
	// notice, such as where an email was written, is read whole.
	status = ansi.Wrap(status, max(m.width, 1), "")
	wrapped := strings.Split(status, "\n")
	if len(wrapped) > statusLines {
		wrapped = wrapped[:statusLines]
		wrapped[statusLines-1] = ansi.Truncate(wrapped[statusLines-1]+" …", m.width, "…")
	}
	for _, l := range wrapped {
		lines = append(lines, m.fitLine(l))
	}
	lines = append(lines, m.fitLine(keys))
	return strings.Join(lines, "\n")
}

// fitLine shortens a line to the screen's width.
// statusLines is the most lines the status line wraps to.
const statusLines = 3

func (m Model) fitLine(s string) string { return ansi.Truncate(s, m.width, "…") }

// sortColumn is the column a sort field sorts by.
func sortColumn(f invite.SortField) int {
	for c, sf := range sortFields {
		if sf == f {
			return c
		}
	}
	return termfit.ColFirstName
}

func arrow(s invite.Sort) string {
	if s.Desc {
		return "▼"
	}
	return "▲"
}

// tableWidth is the width left for the table; 0 when the edit panel needs
// the whole screen.
func (m Model) tableWidth() int {
	if m.mode != modeEdit {
		return m.width
	}
	w := m.width - m.panelWidth() - 1
	if w < 24 {
		return 0
	}
	return w
}

func (m Model) panelWidth() int { return min(maxPanelWidth, m.width) }

// layout fits the page's table into width: the columns kept (in table
// order), the widest each may be, and every cell of the header and rows.
func (m Model) layout(width int) (keep, widths []int, cells [][]string) {
	header := slices.Clone(termfit.InvitationHeader)
	sorted := sortColumn(m.query.Sort.Field)
	header[sorted] += " " + arrow(m.query.Sort)
	cells = [][]string{header}
	for _, inv := range m.page.Invitations {
		cells = append(cells, m.row(inv))
	}
	cols := termfit.InvitationColumns()
	cols.Natural = make([]int, len(header))
	for _, r := range cells {
		for c, s := range r {
			cols.Natural[c] = max(cols.Natural[c], ansi.StringWidth(s))
		}
	}
	if width <= 0 {
		return nil, nil, cells
	}
	keep, widths = cols.Fit(width)
	return keep, widths, cells
}

// row is an invitation's cells, as `list` shows them on a terminal: the
// personal number masked, absent values as —, text from the store safe to
// print.
func (m Model) row(inv invite.Invitation) []string {
	now := m.shown.Now
	dash := func(s string) string {
		if s == "" {
			return invite.Dash
		}
		return termfit.Safe(s)
	}
	sentOn := invite.Dash
	if !inv.CreatedAt.IsZero() {
		sentOn = termfit.Time(inv.CreatedAt, now, m.o.Location)
	}
	row := slices.Concat([]string{strconv.FormatInt(inv.ID, 10), inv.Customer}, termfit.NameCells(inv.Details),
		[]string{inv.Email, strings.ToUpper(string(inv.Status(now)))}, termfit.DetailCells(inv.Details))
	for i, c := range row {
		row[i] = termfit.Safe(c)
	}
	return append(row, sentOn, dash(inv.CreatedBy))
}

// firstRow is the first row on screen when visible rows fit: the page
// scrolls so that the selected row shows.
func (m Model) firstRow(visible int) int {
	return max(m.cursor-max(visible, 1)+1, 0)
}

// tableView is the table of the page in width and lines.
func (m Model) tableView(width, lines int) string {
	st := m.st
	switch {
	case width <= 0:
		return ""
	case !m.loaded:
		return ""
	case len(m.page.Invitations) == 0:
		hint := "Press f to show other statuses"
		if m.query.Search != "" {
			hint += ", or esc to clear the search"
		}
		hint += ". To create invitations, quit and run `invitectl invite` (or `invitectl seed` for sample data)."
		return "No invitations match.\n" + st.faint.Render(lipgloss.NewStyle().Width(width).Render(hint))
	}
	keep, widths, cells := m.layout(width)
	visible := max(lines-tableChrome, 1)
	first := m.firstRow(visible)
	last := min(first+visible, len(m.page.Invitations))
	pick := func(r []string) []string {
		out := make([]string, len(keep))
		for i, c := range keep {
			out[i] = ansi.Truncate(r[c], widths[c], "…")
		}
		return out
	}
	var rows [][]string
	for _, r := range cells[1+first : 1+last] {
		rows = append(rows, pick(r))
	}
	now := m.shown.Now
	t := ltable.New().Border(lipgloss.RoundedBorder()).BorderStyle(st.border).
		Headers(pick(cells[0])...).Rows(rows...).
		StyleFunc(func(row, col int) lipgloss.Style {
			c := keep[col]
			if row == ltable.HeaderRow {
				if c == m.column {
					return st.chosen
				}
				return st.header
			}
			s := st.cell
			if c == termfit.ColStatus {
				inv := m.page.Invitations[first+row]
				s = s.Inherit(st.status[inv.Status(now)])
			}
			if first+row == m.cursor {
				s = s.Reverse(true)
			}
			return s
		})
	return t.Render()
}
