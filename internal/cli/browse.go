package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/browse"
	"github.com/invitectl/invitectl/internal/invite"
)

// BrowseOptions are the inputs of `browse`.
type BrowseOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)
	// MailingService sends, for Resend; browse makes it on the first resend.
	MailingService func(context.Context) (*invite.Service, error)
	// Environ describes the terminal to the screen: the browse.TerminalVars
	// that are set, as KEY=value.
	Environ []string
	// Notes takes the notices of a resend for the status line.
	Notes func() string
}

// NewCmdBrowse builds `browse`; runF replaces browseRun in tests.
func NewCmdBrowse(f *Factory, runF func(*BrowseOptions) error) *cobra.Command {
	opts := &BrowseOptions{Service: f.Service, MailingService: f.MailingService, Notes: f.notices.take}
	cmd := &cobra.Command{
		Use:   "browse",
		Short: "The Invitations screen: sort, page, search, edit, resend and revoke in the terminal",
		Long: `Shows the invitations as list does, a page at a time, with the page line
(Showing X–Y of Z results) under the table, and acts on them through the same
rules as the commands.

Keys: ↑/↓ (or k/j) rows; ←/→ choose a column; s sorts by the chosen column,
ascending, again descending; n/p (or PgDn/PgUp) next and previous page; / search
as you type (Enter keeps the search, Esc clears it); f cycles the status filter
(open, pending, expired, accepted, revoked, all); Enter opens the row's actions:
Edit, Resend invitation, Revoke; ? help; q quits.

In menus, forms and dialogs ↑/↓, ←/→ or Tab/Shift-Tab move the focus, Enter
chooses, and Esc closes without changing anything. Revoking asks first, with
CANCEL focused. Edit saves with the version it read: a change someone else
made meanwhile is reported, not overwritten.

It needs a terminal (stdin and stdout); without one it exits 2: use list.`,
		Example: `  invitectl browse
  invitectl browse --as "Åsa Admin"     # recorded as the actor of every change
  NO_COLOR=1 invitectl browse`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !f.IO.CanPrompt() {
				return usageError("use `invitectl list` (with --sort, --page, --status and --search) to print invitations, or `invitectl list -o json` in scripts",
					"browse needs a terminal: stdin and stdout must both be terminals")
			}
			opts.common = f.common(cmd)
			opts.Environ = nil
			for _, k := range browse.TerminalVars {
				if v := f.env.Getenv(k); v != "" {
					opts.Environ = append(opts.Environ, k+"="+v)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return browseRun(cmd.Context(), opts)
		},
	}
	// It writes only when asked to (edit, resend, revoke): a missing store is
	// not created, as for list.
	return neverCreates(cmd)
}

func browseRun(ctx context.Context, opts *BrowseOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	return browse.Run(ctx, browse.Options{
		Service: svc, Mailing: opts.MailingService, Actor: opts.Actor,
		Now: opts.Now, Location: opts.Location, Color: opts.Color, Width: opts.IO.Width, Notes: opts.Notes,
	}, opts.IO.In, opts.IO.Out, opts.Environ)
}
