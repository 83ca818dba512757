package cli

import (
	"bufio"
	"context"
	"io"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// prompter asks yes/no questions on the terminal. Lines are read by one
// goroutine so that a cancelled context (Ctrl-C) ends the wait at once,
// instead of after the next Enter, whose line would then be taken as the
// answer to a question nobody is asking any more.
type prompter struct {
	in    io.Reader
	lines chan promptLine
}

type promptLine struct {
	text string
	err  error
}

func newPrompter(in io.Reader) *prompter { return &prompter{in: in} }

// confirm reads one answer: true only for y or yes (any case). Ctrl-C is
// ErrPromptCancelled; the end of input is a no.
func (p *prompter) confirm(ctx context.Context) (bool, error) {
	if p.lines == nil {
		p.lines = make(chan promptLine)
		go p.read()
	}
	select {
	case <-ctx.Done():
		return false, errPromptCancelled
	case l, ok := <-p.lines:
		if !ok || l.err != nil && l.text == "" {
			return false, nil
		}
		switch strings.ToLower(strings.TrimSpace(l.text)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	}
}

func (p *prompter) read() {
	r := bufio.NewReader(p.in)
	for {
		s, err := r.ReadString('\n')
		p.lines <- promptLine{s, err}
		if err != nil {
			close(p.lines)
			return
		}
	}
}

// errPromptCancelled is Ctrl-C at a question: the whole command stops (exit 6).
var errPromptCancelled = invite.Errorf(invite.ECANCELLED, "cancelled at the prompt; nothing more was changed")
