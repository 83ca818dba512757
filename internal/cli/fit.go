package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
)

// A wideTable is a table that fits the terminal when it has to: its cells
// are shortened with "…" and, where that is not enough, whole columns are
// left out, the least important first. What is kept stays in table order.
type wideTable struct {
	header table.Row
	rows   []table.Row
	// priority lists the important columns' indexes, most important first;
	// the others are less important, in table order.
	priority []int
	// fixed columns are never shortened (IDs, statuses, times).
	fixed map[int]bool
}

// Overhead of the rounded style: "│ " before and " " after every cell,
// and the closing "│".
const (
	cellOverhead  = 3
	tableOverhead = 1
	// minCell is the narrowest a shortened cell becomes: "Maximilia…"
	// still says who it is.
	minCell = 12
)

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
	if left := len(w.header) - len(keep); left > 0 {
		kept := map[int]bool{}
		for _, c := range keep {
			kept[c] = true
		}
		var names []string
		for c, h := range w.header {
			if !kept[c] {
				names = append(names, fmt.Sprint(h))
			}
		}
		note := fmt.Sprintf("%d %s left out to fit the terminal (-o wide shows every column): %s.",
			left, plural(left, "column", "columns"), strings.Join(names, ", "))
		fmt.Fprintln(out, text.WrapSoft(note, st.width))
	}
}

func snip(s string, n int) string { return text.Snip(s, n, "…") }

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
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if !st.tty || st.wide || st.width <= 0 {
		return all, nil
	}
	natural := make([]int, n)
	for c := range n {
		natural[c] = cellWidth(w.header[c])
		for _, r := range w.rows {
			natural[c] = max(natural[c], cellWidth(r[c]))
		}
	}
	least := func(c int) int {
		if w.fixed[c] {
			return natural[c]
		}
		return min(natural[c], minCell)
	}
	// The important columns, in order of importance, while they fit when
	// shortened; then the others, in table order, while they fit whole.
	// Either way the first that does not fit ends the list: columns are
	// left out least important first.
	in := map[int]bool{}
	short, full := tableOverhead, tableOverhead
	for _, c := range w.priority {
		if short+least(c)+cellOverhead > st.width && len(in) > 0 {
			break
		}
		in[c] = true
		short += least(c) + cellOverhead
		full += natural[c] + cellOverhead
	}
	if len(in) == len(w.priority) {
		for c := range n {
			if in[c] {
				continue
			}
			if full+natural[c]+cellOverhead > st.width {
				break
			}
			in[c] = true
			full += natural[c] + cellOverhead
		}
	}
	widths = make([]int, n)
	total := tableOverhead
	for c := range n {
		if in[c] {
			keep = append(keep, c)
			widths[c] = natural[c]
			total += natural[c] + cellOverhead
		}
	}
	// Shorten the widest cells, one character at a time, until it fits.
	for total > st.width {
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

// cellWidth is how many terminal columns a cell takes, colour codes aside.
func cellWidth(v any) int {
	if s, ok := v.(styled); ok {
		return text.StringWidthWithoutEscSequences(string(s))
	}
	return text.StringWidth(termSafe(fmt.Sprint(v)))
}
