package cli

import (
	"github.com/jedib0t/go-pretty/v6/table"

	"github.com/invitectl/invitectl/internal/termfit"
)

// termSafe makes text from the store safe to print on a terminal (see
// termfit.Safe): data written before the input rules refused control
// characters still reaches here, so every table cell and message passes
// through it.
func termSafe(s string) string { return termfit.Safe(s) }

// styled is text the program itself decorated (colour codes): the one kind
// of cell termSafe leaves alone.
type styled string

// safeTable is a go-pretty table whose cells pass through termSafe.
type safeTable struct{ table.Writer }

func (t safeTable) AppendRow(row table.Row, configs ...table.RowConfig) {
	t.Writer.AppendRow(safeRow(row), configs...)
}

func (t safeTable) AppendHeader(row table.Row, configs ...table.RowConfig) {
	t.Writer.AppendHeader(safeRow(row), configs...)
}

func safeRow(row table.Row) table.Row {
	out := make(table.Row, len(row))
	for i, v := range row {
		switch v := v.(type) {
		case string:
			out[i] = termSafe(v)
		case styled:
			out[i] = string(v)
		default:
			out[i] = v
		}
	}
	return out
}
