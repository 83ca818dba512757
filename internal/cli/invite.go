package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

func newInviteCmd(f *Factory) *cobra.Command {
	var (
		d               detailFlags
		customer, email string
		noSend          bool
	)
	cmd := &cobra.Command{
		Use:   "invite --customer NAME --email EMAIL --first-name F --last-name L [details]",
		Short: "Invite someone to register an account with a customer",
		Long: `Records an invitation with the invitee's details and emails them a link that is
valid for one year (invitation_ttl). With --no-send nothing is emailed and the
link is printed instead, for handing it over another way.

If the email cannot be delivered, the invitation stays recorded, the command
exits 5, and ` + "`invitectl resend`" + ` delivers it later.`,
		Example: `  invitectl invite --customer "Acme AB" --email asa@example.com --first-name Åsa --last-name Lind
  invitectl invite --customer "Acme AB" --email bo@example.com --first-name Bo --last-name Ek \
      --swedish-citizen yes --personal-number 20080212-2390 --phone "070-123 45 67" --language en
  invitectl invite --customer "Acme AB" --email cy@example.com --first-name Cy --last-name Öst --no-send -o json`,
		Args: exactArgs(0, "no arguments (details are flags)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if customer == "" {
				return usageError("name the customer with --customer NAME (see `invitectl customers list`)", "--customer is required")
			}
			ctx := cmd.Context()
			var svc *invite.Service
			var err error
			if noSend {
				svc, err = f.Service(ctx)
			} else {
				svc, err = f.MailingService(ctx)
			}
			if err != nil {
				return err
			}
			inv, link, err := svc.Invite(ctx, invite.NewInvitation{
				Customer: customer, Email: email, Details: d.patch(cmd),
				Language: d.language, Actor: f.Actor(), NoSend: noSend,
			})
			if inv.ID == 0 {
				return err
			}
			// Recorded; err, if any, is a delivery failure reported after the result.
			now := f.Now()
			switch f.Output() {
			case "json":
				j := toJSON(inv, now, false)
				if noSend {
					j.Link = link
				}
				if werr := writeJSON(f.IO.Out, j); werr != nil {
					return werr
				}
			case "csv":
				if werr := writeCSV(f.IO.Out, csvColumns, [][]string{csvRow(toJSON(inv, now, false))}); werr != nil {
					return werr
				}
			default:
				fmt.Fprintf(f.IO.Out, "Created invitation %d for %s %s <%s> at %s.\n", inv.ID, termSafe(inv.FirstName), termSafe(inv.LastName), termSafe(inv.Email), termSafe(inv.Customer))
				switch {
				case noSend:
					fmt.Fprintf(f.IO.Out, "Link (valid until %s): %s\n", inv.ExpiresAt.Format("2006-01-02"), link)
				case err == nil:
					fmt.Fprintf(f.IO.Out, "Sent the invitation to %s; the link is valid until %s.\n", termSafe(inv.Email), inv.ExpiresAt.Format("2006-01-02"))
				}
			}
			return err
		},
	}
	d.register(cmd.Flags())
	cmd.Flags().StringVar(&customer, "customer", "", "the customer organization the account will belong to")
	cmd.Flags().StringVar(&email, "email", "", "the invitee's email address")
	cmd.Flags().BoolVar(&noSend, "no-send", false, "record the invitation and print the link instead of emailing it")
	d.completions(cmd)
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return cmd
}

// completeCustomers completes --customer with the customers in the store.
func completeCustomers(f *Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		if f.cfg == nil {
			if err := f.init(cmd); err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
		}
		f.readOnly = true // completing never creates a store
		st, err := f.Store(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		cs, err := st.ListCustomers(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		names := make([]string, len(cs))
		for i, c := range cs {
			names[i] = c.Name
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
