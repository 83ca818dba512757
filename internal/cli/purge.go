package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

// PurgeOptions are the inputs of `purge`.
type PurgeOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	OlderThan time.Duration
	DryRun    bool
	Yes       bool // no confirmation
}

// NewCmdPurge builds `purge`; runF replaces purgeRun in tests.
func NewCmdPurge(f *Factory, runF func(*PurgeOptions) error) *cobra.Command {
	opts := &PurgeOptions{Service: f.Service}
	var olderThan string
	cmd := &cobra.Command{
		Use:   "purge --older-than DURATION [--dry-run] [--yes]",
		Short: "Erase the personal data of old resolved and expired invitations",
		Long: `Erases the personal data (names, email, personal number, LMA number, phone,
gender) of invitations accepted, revoked or expired longer ago than the
duration, keeping only what counting needs (ID, customer, former status,
dates). Purged invitations leave every list but --status purged, their links
answer 410, their outbox emails and search index entries go, and their audit
events no longer hold their email. An accepted invitation's account keeps its
own copy: erase it with users delete.

On a terminal it says how many and asks first; --yes for scripts; without a
terminal and without --yes nothing is purged (exit 6). --dry-run counts per
status and lists the invitations it would purge (ID, status, since when).`,
		Example: `  invitectl purge --older-than 365d --dry-run
  invitectl purge --older-than 180d --yes -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("older-than") {
				return usageError("say how old with --older-than, e.g. --older-than 365d", "purge needs --older-than")
			}
			var err error
			if opts.OlderThan, err = parseAge("--older-than", olderThan); err != nil {
				return err
			}
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return purgeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "", "resolved or expired longer ago than `DURATION` (365d, 4320h)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "list what would be purged and change nothing")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "purge without asking for confirmation")
	return cmd
}

func purgeRun(ctx context.Context, opts *PurgeOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	plan, err := svc.Purge(ctx, opts.Actor, opts.OlderThan, true)
	if err != nil {
		return err
	}
	if opts.DryRun || plan.Counts.Total() == 0 {
		return printPurge(opts, plan, true)
	}
	if !opts.Yes {
		if !opts.IO.CanPrompt() {
			return invite.Errorf(invite.ECANCELLED, "not purging %s: confirmation needed, and there is no terminal to ask on", invitations(plan.Counts.Total())).
				WithHint("pass --yes to purge without confirmation (see --dry-run first)")
		}
		c := plan.Counts
		fmt.Fprintf(opts.IO.Out, "%s (%d accepted, %d revoked, %d expired) will have their personal data erased.\n", invitations(c.Total()), c.Accepted, c.Revoked, c.Expired)
		fmt.Fprintf(opts.IO.Out, "Purge %s? [y/N] ", invitations(c.Total()))
		ok, err := newPrompter(opts.IO.In).confirm(ctx)
		if err != nil {
			fmt.Fprintln(opts.IO.Out)
			return err
		}
		if !ok {
			fmt.Fprintln(opts.IO.Out, "Nothing was purged.")
			return silentExit(ExitCancelled)
		}
	}
	res, err := svc.Purge(ctx, opts.Actor, opts.OlderThan, false)
	if err != nil {
		return err
	}
	return printPurge(opts, res, false)
}

func printPurge(opts *PurgeOptions, res invite.PurgeResult, dryRun bool) error {
	c := res.Counts
	if opts.Output == "json" {
		type counts struct {
			Accepted int `json:"accepted"`
			Revoked  int `json:"revoked"`
			Expired  int `json:"expired"`
		}
		type item struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			Since  string `json:"since"`
		}
		doc := struct {
			Purged      counts  `json:"purged"`
			DryRun      bool    `json:"dry_run"`
			Invitations *[]item `json:"invitations,omitempty"`
		}{Purged: counts{c.Accepted, c.Revoked, c.Expired}, DryRun: dryRun}
		if dryRun {
			items := make([]item, len(res.Invitations))
			for i, p := range res.Invitations {
				items[i] = item{p.ID, p.From, rfc3339(p.At)}
			}
			doc.Invitations = &items
		}
		return writeJSON(opts.IO.Out, doc)
	}
	if opts.Output == "csv" {
		return writeCSV(opts.IO.Out, []string{"accepted", "revoked", "expired", "dry_run"},
			[][]string{{fmt.Sprint(c.Accepted), fmt.Sprint(c.Revoked), fmt.Sprint(c.Expired), fmt.Sprint(dryRun)}})
	}
	counts := fmt.Sprintf("(%d accepted, %d revoked, %d expired)", c.Accepted, c.Revoked, c.Expired)
	switch {
	case c.Total() == 0:
		fmt.Fprintln(opts.IO.Out, "Nothing to purge.")
	case dryRun:
		st := opts.style()
		t := wideTable{header: table.Row{"ID", "Status", "Since"}, columns: purgeColumns()}
		for _, p := range res.Invitations {
			t.rows = append(t.rows, table.Row{p.ID, strings.ToUpper(p.From), st.time(p.At)})
		}
		t.render(opts.IO.Out, st)
		fmt.Fprintf(opts.IO.Out, "Dry run: %s would be purged %s; nothing was changed.\n", invitations(c.Total()), counts)
	default:
		fmt.Fprintf(opts.IO.Out, "Purged %s %s.\n", invitations(c.Total()), counts)
		if !res.Checkpointed && !opts.IO.Quiet {
			fmt.Fprintln(opts.IO.ErrOut, "invitectl: note: another process is reading the SQLite file, so its log could not be emptied; the erased data leaves it once that reader is done and the next write checkpoints")
		}
	}
	return nil
}
