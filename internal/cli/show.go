package cli

import (
	"fmt"
	"strconv"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/personnummer"
)

func newShowCmd(f *Factory) *cobra.Command {
	var (
		reveal   bool
		customer string
	)
	cmd := &cobra.Command{
		Use:   "show REF",
		Short: "Show one invitation",
		Long: `Shows one invitation. REF is its numeric ID or the invitee's email (add
--customer when the email has invitations in several customers).

The personal number is masked unless --reveal is given; a reveal is recorded
in the audit log.`,
		Example: `  invitectl show 42
  invitectl show asa@example.com --customer "Acme AB"
  invitectl show 42 --reveal -o json`,
		Args: exactArgs(1, "one REF (an invitation ID or email)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			svc, err := f.Service(ctx)
			if err != nil {
				return err
			}
			inv, err := svc.Resolve(ctx, args[0], customer)
			if err != nil {
				return err
			}
			if inv, err = svc.Show(ctx, f.Actor(), inv.ID, reveal); err != nil {
				return err
			}
			return printInvitation(cmd, f, inv, reveal)
		},
	}
	cmd.Flags().BoolVar(&reveal, "reveal", false, "show the personal number unmasked (recorded in the audit log)")
	cmd.Flags().StringVar(&customer, "customer", "", "the customer, when REF is an email with invitations in several customers")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return readOnly(cmd)
}

// printInvitation prints one invitation as a vertical table, JSON or CSV.
func printInvitation(cmd *cobra.Command, f *Factory, inv invite.Invitation, reveal bool) error {
	now := f.Now()
	j := toJSON(inv, now, reveal)
	switch f.Output() {
	case "json":
		return writeJSON(f.IO.Out, j)
	case "csv":
		return writeCSV(f.IO.Out, csvColumns, [][]string{csvRow(j)})
	}
	st := style{tty: f.IO.OutTTY, color: f.Color(cmd)}
	pn := personnummer.Mask(inv.PersonalNumber)
	if reveal {
		pn = inv.PersonalNumber
	}
	row := st.invitationRow(inv, now)
	t := st.newTable(f.IO.Out)
	for i, h := range invitationColumns {
		v := row[i]
		if h == "Personal number" {
			v = dash(pn)
		}
		t.AppendRow(table.Row{h, v})
	}
	t.AppendRow(table.Row{"Language", inv.Language})
	t.AppendRow(table.Row{"Expires", st.time(inv.ExpiresAt)})
	t.AppendRow(table.Row{"Emails sent", strconv.Itoa(inv.SendCount)})
	t.AppendRow(table.Row{"Created", st.time(inv.CreatedAt)})
	if !inv.AcceptedAt.IsZero() {
		t.AppendRow(table.Row{"Accepted", st.time(inv.AcceptedAt)})
	}
	if !inv.RevokedAt.IsZero() {
		t.AppendRow(table.Row{"Revoked", st.time(inv.RevokedAt)})
	}
	t.AppendRow(table.Row{"Version", inv.Version})
	t.Render()
	if reveal && inv.PersonalNumber != "" && f.IO.ErrTTY {
		fmt.Fprintln(f.IO.ErrOut, "invitectl: note: the personal number was revealed; this is recorded in the audit log")
	}
	return nil
}
