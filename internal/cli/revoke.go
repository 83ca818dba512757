package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

// RevokeOptions are the inputs of `revoke`.
type RevokeOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	Refs     []string
	Customer string
	Yes      bool // no confirmation
	// RefsFromStdin: the REFs came from stdin (-), so no answer can.
	RefsFromStdin bool
}

// NewCmdRevoke builds `revoke`; runF replaces revokeRun in tests.
func NewCmdRevoke(f *Factory, runF func(*RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{Service: f.Service}
	cmd := &cobra.Command{
		Use:   "revoke REF...|- [--yes]",
		Short: "Revoke invitations so their links stop working",
		Long: `Revokes pending or expired invitations: their links stop working at once.
On a terminal each revocation is confirmed; --yes skips the question. Without
a terminal and without --yes nothing is revoked (exit 6). Revoking an accepted
invitation is refused as already resolved (exit 4).

REF is an invitation's ID or email; - reads REFs from stdin, one a line (then
--yes is needed: stdin cannot answer). Every REF is reported in the order
given; -o json prints {"results":[{"ref","id","outcome","error"}],"done","failed"}
and the exit code is the highest of all REFs.`,
		Example: `  invitectl revoke 42
  invitectl revoke 42 43 --yes
  invitectl revoke asa@example.com --yes -o json
  invitectl list --status expired --all --jq '.invitations[].id' | invitectl revoke - --yes`,
		Args: minArgs(1, "at least one REF (an invitation ID or email)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Refs, err = readRefs(args, f.IO.In); err != nil {
				return err
			}
			opts.RefsFromStdin = len(args) == 1 && args[0] == "-"
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return revokeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "revoke without asking for confirmation")
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "the customer, when an email REF has invitations in several customers")
	cmd.ValidArgsFunction = completeRefs(f)
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return cmd
}

func revokeRun(ctx context.Context, opts *RevokeOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	prompt := newPrompter(opts.IO.In)
	var results []refResult
	for _, ref := range opts.Refs {
		out, err := revokeOne(ctx, opts, svc, prompt, ref)
		if errors.Is(err, errPromptCancelled) {
			return err // Ctrl-C stops the whole command, not just this REF
		}
		if err != nil {
			printError(opts.IO.ErrOut, err)
			results = append(results, failedRef(ref, out.ID, out.Email, err))
			continue
		}
		results = append(results, doneRef(ref, out.ID, out.Email, outcomeRevoked))
		if opts.Output == "table" {
			fmt.Fprintf(opts.IO.Out, "Revoked invitation %d for %s.\n", out.ID, termSafe(out.Email))
		}
	}
	report := newBatchReport(results)
	if err := report.write(opts.IO.Out, opts.Output); err != nil {
		return err
	}
	return report.exit()
}

// revokeOne resolves ref, asks when it must, and revokes.
func revokeOne(ctx context.Context, opts *RevokeOptions, svc *invite.Service, prompt *prompter, ref string) (invite.Invitation, error) {
	inv, err := svc.Resolve(ctx, ref, opts.Customer)
	if err != nil {
		return inv, err
	}
	if !inv.Open() || opts.Yes {
		// A resolved one is refused without asking: there is nothing to confirm.
		return svc.Revoke(ctx, opts.Actor, inv)
	}
	if !opts.IO.CanPrompt() || opts.RefsFromStdin {
		return inv, invite.Errorf(invite.ECANCELLED, "not revoking invitation %d (%s): confirmation needed, and there is no terminal to ask on", inv.ID, inv.Email).
			WithHint("pass --yes to revoke without confirmation")
	}
	fmt.Fprintf(opts.IO.Out, "The invitation for %s will be revoked and the user will be unable to register an account.\n", termSafe(inv.Email))
	fmt.Fprint(opts.IO.Out, "Are you sure you want to revoke this invitation? [y/N] ")
	ok, err := prompt.confirm(ctx)
	if err != nil {
		fmt.Fprintln(opts.IO.Out)
		return inv, err
	}
	if !ok {
		fmt.Fprintf(opts.IO.Out, "Invitation %d was not revoked.\n", inv.ID)
		return inv, silentExit(ExitCancelled)
	}
	return svc.Revoke(ctx, opts.Actor, inv)
}
