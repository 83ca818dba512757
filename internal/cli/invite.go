package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

// InviteOptions are the inputs of `invite`.
type InviteOptions struct {
	common
	// Service is the mailing service, or the plain one with NoSend.
	Service func(context.Context) (*invite.Service, error)

	Customer string
	Email    string
	Details  invite.Patch
	Language string
	NoSend   bool
}

// NewCmdInvite builds `invite`; runF replaces inviteRun in tests.
func NewCmdInvite(f *Factory, runF func(*InviteOptions) error) *cobra.Command {
	opts := &InviteOptions{}
	var d detailFlags
	cmd := &cobra.Command{
		Use:   "invite --customer NAME --email EMAIL --first-name F --last-name L [details]",
		Short: "Invite someone to register an account with a customer",
		Long: `Records an invitation with the invitee's details and emails them a link that is
valid for one year (invitation_ttl). With --no-send nothing is emailed and the
link is printed instead, for handing it over another way.

If the email cannot be delivered, the invitation stays recorded with its email
in the outbox, the command exits 5, and ` + "`invitectl deliver`" + ` sends it later.`,
		Example: `  invitectl invite --customer "Acme AB" --email asa@example.com --first-name Åsa --last-name Lind
  invitectl invite --customer "Acme AB" --email bo@example.com --first-name Bo --last-name Ek \
      --swedish-citizen yes --personal-number 20080212-2390 --phone "070-123 45 67" --language en
  invitectl invite --customer "Acme AB" --email cy@example.com --first-name Cy --last-name Öst --no-send -o json`,
		Args: exactArgs(0, "no arguments (details are flags)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Details, opts.Language = d.patch(cmd), d.language
			opts.Service = f.serviceFor(!opts.NoSend)
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return inviteRun(cmd.Context(), opts)
		},
	}
	d.register(cmd.Flags())
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "the customer organization the account will belong to")
	cmd.Flags().StringVar(&opts.Email, "email", "", "the invitee's email address")
	cmd.Flags().BoolVar(&opts.NoSend, "no-send", false, "record the invitation and print the link instead of emailing it")
	d.completions(cmd)
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return cmd
}

func inviteRun(ctx context.Context, opts *InviteOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	inv, link, err := svc.Invite(ctx, invite.NewInvitation{
		Customer: opts.Customer, Email: opts.Email, Details: opts.Details,
		Language: opts.Language, Actor: opts.Actor, NoSend: opts.NoSend,
	})
	if inv.ID == 0 {
		return err
	}
	// Recorded; err, if any, is a delivery failure reported after the result.
	now := opts.Now()
	out := opts.IO.Out
	switch opts.Output {
	case "json":
		j := toJSON(inv, now, false)
		if opts.NoSend {
			j = append(j, member{"link", link})
		}
		if werr := writeJSON(out, j); werr != nil {
			return werr
		}
	case "csv":
		if werr := writeCSV(out, csvColumns, [][]string{csvRow(toJSON(inv, now, false))}); werr != nil {
			return werr
		}
	default:
		fmt.Fprintf(out, "Created invitation %d for %s %s <%s> at %s.\n", inv.ID, termSafe(inv.FirstName), termSafe(inv.LastName), termSafe(inv.Email), termSafe(inv.Customer))
		switch {
		case opts.NoSend:
			fmt.Fprintf(out, "Link (valid until %s): %s\n", inv.ExpiresAt.Format("2006-01-02"), link)
		case err == nil && inv.Delivery == invite.DeliveryQueued:
			fmt.Fprintf(out, "Another deliverer is sending the invitation to %s; the link is valid until %s.\n", termSafe(inv.Email), inv.ExpiresAt.Format("2006-01-02"))
		case err == nil:
			fmt.Fprintf(out, "Sent the invitation to %s; the link is valid until %s.\n", termSafe(inv.Email), inv.ExpiresAt.Format("2006-01-02"))
		}
	}
	return err
}

// maxCompletions bounds how many invitations a completion offers.
const maxCompletions = 50

// completeRefs completes a REF with open invitations: their IDs, newest
// first, with the email as the description; or their emails when what is
// typed so far is not a number.
func completeRefs(f *Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		svc, err := f.completing(cmd, f.Service)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		byEmail := toComplete != "" && strings.Trim(toComplete, "0123456789") != ""
		q := invite.ListQuery{Status: invite.FilterOpen, Sort: invite.Sort{Field: invite.SortSentOn, Desc: true},
			Page: 1, PerPage: maxCompletions, Now: f.Now()}
		if byEmail {
			q.Sort, q.Search = invite.Sort{Field: invite.SortEmail}, toComplete
		}
		page, err := svc.List(cmd.Context(), q)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []string
		for _, inv := range page.Invitations {
			switch id := strconv.FormatInt(inv.ID, 10); {
			case byEmail && strings.HasPrefix(strings.ToLower(inv.Email), strings.ToLower(toComplete)):
				out = append(out, inv.Email+"\t"+inv.FirstName+" "+inv.LastName)
			case !byEmail && strings.HasPrefix(id, toComplete):
				out = append(out, id+"\t"+inv.Email)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completing is the service a completion reads, with the configuration
// loaded; completing never creates a store.
func (f *Factory) completing(cmd *cobra.Command, service func(context.Context) (*invite.Service, error)) (*invite.Service, error) {
	if f.cfg == nil {
		if err := f.init(cmd); err != nil {
			return nil, err
		}
	}
	f.readOnly = true
	return service(cmd.Context())
}

// completeCustomers completes --customer with the customers in the store.
func completeCustomers(f *Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		svc, err := f.completing(cmd, f.storeService)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		cs, err := svc.Customers(cmd.Context())
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
