package cli

import (
	"io"
	"strings"
)

// plainTable is a table for a pipe (style.newTable sets it up: columns two
// spaces apart, no borders) whose lines never end in spaces: go-pretty pads
// the last column too.
type plainTable struct {
	safeTable
	w io.Writer
}

func (t plainTable) Render() string {
	lines := strings.Split(t.safeTable.Render(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	out := strings.Join(lines, "\n")
	if out != "" {
		_, _ = io.WriteString(t.w, out+"\n")
	}
	return out
}
