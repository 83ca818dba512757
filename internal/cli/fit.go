package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/invitectl/invitectl/internal/termfit"
)

// A wideTable is a table that fits the terminal when it has to: its cells
// are shortened with "…" and, where that is not enough, whole columns are
// left out, the least important first. What is kept stays in table order.
type wideTable struct {
	header table.Row
	rows   []table.Row
	// columns says which columns matter most and which are never shortened.
	columns termfit.Columns
}

// render writes the table with st. With a terminal width (st.width > 0) and
// not st.wide, it fits that width and says under the table what it left out.
func (w wideTable) render(out io.Writer, st style) {
	keep, widths := w.fit(st)
	t := st.newTable(out)
	pick := func(r table.Row) table.Row {
		row := make(table.Row, len(keep))
		for i, c := range keep {
			row[i] = r[c]
		}
		return row
	}
	t.AppendHeader(pick(w.header))
	for _, r := range w.rows {
		t.AppendRow(pick(r))
	}
	var configs []table.ColumnConfig
	for i, c := range keep {
		if widths != nil && widths[c] > 0 {
			configs = append(configs, table.ColumnConfig{Number: i + 1, WidthMax: widths[c], WidthMaxEnforcer: snip})
		}
	}
	t.SetColumnConfigs(configs)
	t.Render()
	header := make([]string, len(w.header))
	for i, h := range w.header {
		header[i] = fmt.Sprint(h)
	}
	if note := termfit.LeftOut(header, keep, "-o wide shows every column"); note != "" {
		lines := strings.Split(text.WrapSoft(note, st.width), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(l, " ") // WrapSoft pads each line to the width
		}
		fmt.Fprintln(out, strings.Join(lines, "\n"))
	}
}

func snip(s string, n int) string { return text.Snip(s, n, "…") }

// count is n and the word for that many: "1 invitation", "2 invitations".
func count(n int, one, many string) string { return fmt.Sprintf("%d %s", n, plural(n, one, many)) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// fit chooses the columns to keep (in table order) and the widest each may
// be (0: as wide as its cells); widths is nil when nothing is shortened.
func (w wideTable) fit(st style) (keep []int, widths []int) {
	n := len(w.header)
	if !st.tty || st.wide || st.width <= 0 {
		keep = make([]int, n)
		for i := range keep {
			keep[i] = i
		}
		return keep, nil
	}
	natural := make([]int, n)
	for c := range n {
		natural[c] = cellWidth(w.header[c])
		for _, r := range w.rows {
			natural[c] = max(natural[c], cellWidth(r[c]))
		}
	}
	cols := w.columns
	cols.Natural = natural
	return cols.Fit(st.width)
}

// cellWidth is how many terminal columns a cell takes, colour codes aside.
func cellWidth(v any) int {
	if s, ok := v.(styled); ok {
		return text.StringWidthWithoutEscSequences(string(s))
	}
	return text.StringWidth(termSafe(fmt.Sprint(v)))
}
