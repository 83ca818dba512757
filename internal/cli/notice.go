package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"sync"
)

// notices say where the file transport wrote emails, on stderr unless
// -q/--quiet (which also silences notes and progress bars: IOStreams.Quiet;
// errors and hints are never silenced). The emails written are said once, at the end, in one line however many there were; a screen
// (browse) takes them for its status line instead, so that nothing draws
// over it.
type notices struct {
	w     io.Writer
	quiet bool

	mu      sync.Mutex // the mailer may report from several goroutines
	written []writtenEmail
}

type writtenEmail struct{ to, path string }

// emailWritten records that the file transport wrote an email to path.
func (n *notices) emailWritten(to, path string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.written = append(n.written, writtenEmail{to, path})
}

// take returns what the emails written since the last call say, as one
// sentence ("" for none), and forgets them.
func (n *notices) take() string {
	n.mu.Lock()
	w := n.written
	n.written = nil
	n.mu.Unlock()
	switch {
	case len(w) == 0:
		return ""
	case len(w) == 1:
		return fmt.Sprintf("wrote the email to %s as %s", termSafe(w[0].to), w[0].path)
	}
	dir := filepath.Dir(w[0].path)
	for _, e := range w[1:] {
		if filepath.Dir(e.path) != dir {
			return fmt.Sprintf("wrote %d emails as .eml files", len(w))
		}
	}
	return fmt.Sprintf("wrote %d emails as .eml files into %s", len(w), dir)
}

// flush says, in one line, which emails were written and not yet told.
func (n *notices) flush() {
	if s := n.take(); s != "" && !n.quiet {
		fmt.Fprintf(n.w, "invitectl: %s\n", s)
	}
}
