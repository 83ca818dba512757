package cli

import (
	"io"
	"time"
)

// IOStreams is the process's standard I/O, injected so that the whole
// program runs inside a test. TTY flags say whether each stream is a terminal.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	InTTY  bool
	OutTTY bool
	ErrTTY bool
	// Width is the terminal width in columns, 0 when unknown.
	Width int
	// Quiet (-q): no notices and no progress on stderr; errors and hints still.
	Quiet bool
}

// CanPrompt reports whether questions can be asked: stdin and stdout are both terminals.
func (s *IOStreams) CanPrompt() bool { return s.InTTY && s.OutTTY }

// Env is everything the program takes from its process.
type Env struct {
	Args   []string
	Getenv func(string) string
	// LookupEnv, when set, tells an unset variable from an empty one
	// (os.LookupEnv): an empty PAGER means no pager.
	LookupEnv func(string) (string, bool)
	IO        IOStreams
	// Username is the OS user name, the default actor.
	Username string
	// Now is the clock: time.Now in the shipped binary, a fixed instant in
	// tests. nil means time.Now.
	Now func() time.Time
	// Location is the local time zone, for times on a terminal: time.Local
	// in the shipped binary; nil means UTC.
	Location *time.Location
	// Build information stamped by the linker.
	Version, Commit, Date string
}
