package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

func newRevokeCmd(f *Factory) *cobra.Command {
	var (
		yes      bool
		customer string
	)
	cmd := &cobra.Command{
		Use:   "revoke REF... [--yes]",
		Short: "Revoke invitations so their links stop working",
		Long: `Revokes pending or expired invitations: their links stop working at once.
On a terminal each revocation is confirmed; --yes skips the question. Without
a terminal and without --yes nothing is revoked (exit 6). Revoking an accepted
invitation is refused as already resolved (exit 4).`,
		Example: `  invitectl revoke 42
  invitectl revoke 42 43 --yes
  invitectl revoke asa@example.com --yes -o json`,
		Args: minArgs(1, "at least one REF (an invitation ID or email)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			svc, err := f.Service(ctx)
			if err != nil {
				return err
			}
			var w worst
			prompt := newPrompter(f.IO.In)
			var revoked []invitationJSON
			for _, ref := range args {
				err := func() error {
					inv, err := svc.Resolve(ctx, ref, customer)
					if err != nil {
						return err
					}
					if !inv.Open() {
						// Checked before asking: there is nothing to confirm.
						_, err := svc.Revoke(ctx, f.Actor(), inv)
						return err
					}
					if !yes {
						if !f.IO.CanPrompt() {
							return invite.Errorf(invite.ECANCELLED, "not revoking invitation %d (%s): confirmation needed, and there is no terminal to ask on", inv.ID, inv.Email).
								WithHint("pass --yes to revoke without confirmation")
						}
						fmt.Fprintf(f.IO.Out, "The invitation for %s will be revoked and the user will be unable to register an account.\n", termSafe(inv.Email))
						fmt.Fprint(f.IO.Out, "Are you sure you want to revoke this invitation? [y/N] ")
						ok, err := prompt.confirm(ctx)
						if err != nil {
							fmt.Fprintln(f.IO.Out)
							return err
						}
						if !ok {
							fmt.Fprintf(f.IO.Out, "Invitation %d was not revoked.\n", inv.ID)
							return silentExit(ExitCancelled)
						}
					}
					out, err := svc.Revoke(ctx, f.Actor(), inv)
					if err != nil {
						return err
					}
					revoked = append(revoked, toJSON(out, f.Now(), false))
					if f.Output() == "table" {
						fmt.Fprintf(f.IO.Out, "Revoked invitation %d for %s.\n", out.ID, termSafe(out.Email))
					}
					return nil
				}()
				if errors.Is(err, errPromptCancelled) {
					return err // Ctrl-C stops the whole command, not just this REF
				}
				if err != nil {
					w.add(err)
					printError(f.IO.ErrOut, err)
				}
			}
			switch f.Output() {
			case "json":
				if err := writeJSON(f.IO.Out, map[string]any{"revoked": nonNil(revoked)}); err != nil {
					return err
				}
			case "csv":
				rows := make([][]string, len(revoked))
				for i, j := range revoked {
					rows[i] = csvRow(j)
				}
				if err := writeCSV(f.IO.Out, csvColumns, rows); err != nil {
					return err
				}
			}
			return w.err()
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "revoke without asking for confirmation")
	cmd.Flags().StringVar(&customer, "customer", "", "the customer, when an email REF has invitations in several customers")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return cmd
}
