// Package browse is the Invitations screen in the terminal (`invitectl
// browse`), a Bubble Tea program over invite.Service like every other edge:
// it lists a page at a time with Service.List, and its actions are the
// commands' own Service calls (Resolve, then Edit, Resend or Revoke), with
// the actor recorded. Store calls and sends run only in tea.Cmds whose
// results come back as messages, so the model is tested by feeding it keys
// and reading its View.
package browse

import (
	"context"
	"errors"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/invitectl/invitectl/internal/invite"
)

// Options are what the screen needs. Service is required.
type Options struct {
	// Service lists, reads, edits and revokes.
	Service *invite.Service
	// Mailing is the service that sends, for Resend; it is made on first
	// use, so that a mail setting that does not work stops only resends.
	Mailing func(context.Context) (*invite.Service, error)
	// Actor is who is acting, recorded with every change.
	Actor string
	// Now is the clock: it separates pending from expired and dates the
	// relative times. nil means time.Now.
	Now func() time.Time
	// Location is the time zone of dates older than a week; nil means UTC.
	Location *time.Location
	// Color says whether to use colour; the command line decides it
	// (terminal, --no-color, NO_COLOR), the screen never asks the
	// environment itself.
	Color bool
	// Width and Height are the terminal's size until the program reports it.
	Width, Height int
	// PerPage is the number of rows a page loads; 0 means invite.DefaultPerPage.
	PerPage int
	// Notes, when set, takes what the command line has to tell about a
	// resend besides its outcome (where the file transport wrote the email):
	// the screen shows it in its status line, as nothing may draw over it.
	Notes func() string
}

// TerminalVars are the environment variables that describe the terminal to
// Bubble Tea (its capabilities, its size, the colours it supports). Run
// takes their values as its environment and reads no other.
var TerminalVars = []string{"TERM", "COLORTERM", "TERM_PROGRAM", "TMUX", "SSH_TTY", "WT_SESSION", "COLUMNS", "LINES"}

// Run shows the screen on the terminal in and out until the user quits or
// ctx is cancelled. environ holds "KEY=value" entries of TerminalVars.
func Run(ctx context.Context, o Options, in io.Reader, out io.Writer, environ []string) error {
	profile := colorprofile.ASCII // text attributes (bold, reverse) but no colour
	if o.Color {
		profile = max(colorprofile.Detect(out, environ), colorprofile.ANSI)
	}
	p := tea.NewProgram(New(ctx, o),
		tea.WithContext(ctx),
		tea.WithInput(in),
		tea.WithOutput(out),
		tea.WithEnvironment(environ),
		tea.WithColorProfile(profile),
		tea.WithWindowSize(o.Width, o.Height),
	)
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
