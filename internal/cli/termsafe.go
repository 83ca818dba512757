package cli

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/jedib0t/go-pretty/v6/table"
)

// termSafe makes text from the store safe to print on a terminal: control
// and format characters (escape sequences, bidirectional overrides, line
// separators, zero-width characters) are shown as Go escapes instead of
// acting on the terminal. Data written before the input rules refused them
// still reaches here, so every table cell and message passes through it.
func termSafe(s string) string {
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
