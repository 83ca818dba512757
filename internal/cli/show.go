package cli

import (
	"cmp"
	"context"
	"fmt"
	"strconv"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/personnummer"
)

// ShowOptions are the inputs of `show`.
type ShowOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	Ref      string
	Customer string
	Reveal   bool
}

// NewCmdShow builds `show`; runF replaces showRun in tests.
func NewCmdShow(f *Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{Service: f.Service}
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
			opts.Ref = args[0]
			f.opensReadOnly = f.opensReadOnly && !opts.Reveal // a reveal is audited
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return showRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Reveal, "reveal", false, "show the personal number unmasked (recorded in the audit log)")
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "the customer, when REF is an email with invitations in several customers")
	cmd.ValidArgsFunction = completeRefs(f)
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return readOnly(cmd)
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	svc, inv, err := resolveRef(ctx, opts.Service, opts.Ref, opts.Customer)
	if err != nil {
		return err
	}
	if inv, err = svc.Show(ctx, opts.Actor, inv.ID, opts.Reveal); err != nil {
		return err
	}
	return printInvitation(opts.common, inv, opts.Reveal)
}

// printInvitation prints one invitation as a vertical table, JSON or CSV.
func printInvitation(o common, inv invite.Invitation, reveal bool) error {
	now := o.Now()
	j := toJSON(inv, now, reveal)
	switch o.Output {
	case "json":
		return writeJSON(o.IO.Out, j)
	case "csv":
		return writeCSV(o.IO.Out, csvColumns, [][]string{csvRow(j)})
	}
	st := o.style()
	pn := personnummer.Mask(inv.PersonalNumber)
	if reveal {
		pn = inv.PersonalNumber
	}
	row := st.invitationRow(inv, now)
	t := st.newTable(o.IO.Out)
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
	t.AppendRow(table.Row{"Last sent", st.time(inv.LastSentAt)})
	t.AppendRow(table.Row{"Delivery", string(cmp.Or(inv.Delivery, invite.DeliveryNone))})
	if inv.DeliveryError != "" {
		t.AppendRow(table.Row{"Delivery error", inv.DeliveryError})
	}
	t.AppendRow(table.Row{"Created", st.time(inv.CreatedAt)})
	if !inv.AcceptedAt.IsZero() {
		t.AppendRow(table.Row{"Accepted", st.time(inv.AcceptedAt)})
	}
	if !inv.RevokedAt.IsZero() {
		t.AppendRow(table.Row{"Revoked", st.time(inv.RevokedAt)})
	}
	t.AppendRow(table.Row{"Version", inv.Version})
	t.Render()
	if reveal && inv.PersonalNumber != "" && o.IO.ErrTTY && !o.IO.Quiet {
		fmt.Fprintln(o.IO.ErrOut, "invitectl: note: the personal number was revealed; this is recorded in the audit log")
	}
	return nil
}
