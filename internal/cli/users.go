package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/personnummer"
	"github.com/invitectl/invitectl/internal/termfit"
)

func newUsersCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Accounts created from invitations",
		Example: `  invitectl users list
  invitectl users list --per-page 100 -o csv
  invitectl users delete asa@example.com --yes`,
	}
	cmd.AddCommand(NewCmdUsersList(f, nil), NewCmdUsersDelete(f, nil))
	return cmd
}

// userJSON is an account's JSON shape; its keys are the CSV's header.
func userJSON(u invite.User) object {
	o := withDetails(object{{"id", u.ID}, {"customer", u.Customer}}, u.Details, false, member{"email", u.Email})
	return append(o, member{"language", u.Language}, member{"email_verified_at", rfc3339(u.EmailVerifiedAt)},
		member{"invitation_id", u.InvitationID}, member{"created_at", rfc3339(u.CreatedAt)},
		member{"last_signed_in_at", optionalTime(u.LastSignedInAt)})
}

// UsersListOptions are the inputs of `users list`.
type UsersListOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	Customer      string
	Search        string
	Page, PerPage int
}

// NewCmdUsersList builds `users list`; runF replaces usersListRun in tests.
func NewCmdUsersList(f *Factory, runF func(*UsersListOptions) error) *cobra.Command {
	opts := &UsersListOptions{Service: f.Service}
	cmd := &cobra.Command{
		Use:     "list [--customer NAME] [--search TEXT] [--page N] [--per-page N]",
		Aliases: []string{"ls"},
		Short:   "List accounts, personal numbers masked",
		Long: `Lists the accounts created from invitations, oldest first, one page at a
time. --customer keeps one customer's; --search keeps those whose first name,
last name or email contains every term, ignoring case, as list's --search.`,
		Example: `  invitectl users list
  invitectl users list --customer 'Acme AB' --search lind
  invitectl users list --page 2 -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := invite.CheckPaging(opts.Page, opts.PerPage); err != nil {
				return err
			}
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return usersListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "only the accounts of this customer")
	cmd.Flags().StringVar(&opts.Search, "search", "", "only accounts whose name or email contains every term")
	cmd.Flags().IntVar(&opts.Page, "page", 1, "page number, from 1")
	cmd.Flags().IntVar(&opts.PerPage, "per-page", invite.DefaultPerPage, "rows per page")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return readOnly(cmd)
}

func usersListRun(ctx context.Context, opts *UsersListOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	q := invite.UserQuery{Search: opts.Search, Page: opts.Page, PerPage: opts.PerPage}
	if opts.Customer != "" {
		c, err := svc.Customer(ctx, opts.Customer)
		if err != nil {
			return err
		}
		q.CustomerID = c.ID
	}
	page, perPage := q.Page, q.PerPage
	res, err := svc.ListUsers(ctx, q)
	if err != nil {
		return err
	}
	items := make([]object, len(res.Users))
	for i, u := range res.Users {
		items[i] = userJSON(u)
	}
	out := opts.IO.Out
	switch opts.Output {
	case "json":
		return writeJSON(out, struct {
			Users   []object `json:"users"`
			Total   int      `json:"total"`
			Page    int      `json:"page"`
			PerPage int      `json:"per_page"`
		}{items, res.Total, page, perPage}) // in the contract's order, as list
	case "csv":
		rows := make([][]string, len(items))
		for i, u := range items {
			rows[i] = csvRow(u)
		}
		return writeCSV(out, userJSON(invite.User{}).keys(), rows)
	}
	if len(items) == 0 && (q.CustomerID != 0 || q.Search != "") {
		fmt.Fprintln(out, "No users match.")
		return nil
	}
	if len(items) == 0 {
		fmt.Fprintln(out, "No users yet.")
		fmt.Fprintln(opts.IO.ErrOut, "invitectl: hint: accounts appear here when invitees register through `invitectl serve-accept`")
		return nil
	}
	sty := opts.style()
	t := wideTable{header: table.Row{"ID", "Customer account", "First name", "Last name", "Email", "Personal number", "Phone number",
		"Language", "Email verified", "Registered", "Last sign-in"}, columns: userColumns()}
	for _, u := range res.Users {
		t.rows = append(t.rows, table.Row{u.ID, u.Customer, u.FirstName, u.LastName, u.Email, dash(personnummer.Mask(u.PersonalNumber)),
			dash(u.Phone), u.Language, sty.time(u.EmailVerifiedAt), sty.time(u.CreatedAt), sty.time(u.LastSignedInAt)})
	}
	t.render(out, sty)
	_, err = fmt.Fprintln(out, termfit.ShowingLine(page, perPage, len(items), res.Total))
	return err
}

// UsersDeleteOptions are the inputs of `users delete`.
type UsersDeleteOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	Emails []string
	Yes    bool // no confirmation
	// RefsFromStdin: the emails came from stdin (-), so no answer can.
	RefsFromStdin bool
}

// NewCmdUsersDelete builds `users delete`; runF replaces usersDeleteRun in tests.
func NewCmdUsersDelete(f *Factory, runF func(*UsersDeleteOptions) error) *cobra.Command {
	opts := &UsersDeleteOptions{Service: f.Service}
	cmd := &cobra.Command{
		Use:   "delete EMAIL...|- [--yes]",
		Short: "Erase accounts on request (GDPR Art. 17)",
		Long: `Erases each account named: the user, their sessions and the personal data
of the invitation they accepted, in one transaction with one audit event that
holds none of the erased data. The email may then be invited again.
On a terminal each deletion is confirmed; --yes skips the question. Without a
terminal and without --yes nothing is deleted (exit 6). Over several emails it
carries on past a failing one and exits with the highest code; - reads the
emails from stdin, one a line (then --yes is needed). -o json reports every
email in the order given, as resend and revoke report their REFs:
{"results":[{"ref","id","outcome","error"}],"done","failed"}, where id is the
account's.`,
		Example: `  invitectl users delete asa@example.com
  invitectl users delete asa@example.com bo@example.com --yes -o json`,
		Args: minArgs(1, "at least one EMAIL (an account's email address)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Emails, err = readRefs(args, f.IO.In); err != nil {
				return err
			}
			opts.RefsFromStdin = len(args) == 1 && args[0] == "-"
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return usersDeleteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "delete without asking for confirmation")
	return cmd
}

func usersDeleteRun(ctx context.Context, opts *UsersDeleteOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	prompt := newPrompter(opts.IO.In)
	var results []refResult
	for _, email := range opts.Emails {
		u, err := deleteUserOne(ctx, opts, svc, prompt, email)
		if errors.Is(err, errPromptCancelled) {
			return err // Ctrl-C stops the whole command
		}
		if err != nil {
			printError(opts.IO.ErrOut, err)
			results = append(results, failedRef(email, u.ID, u.Email, err))
			continue
		}
		results = append(results, doneRef(email, u.ID, u.Email, outcomeDeleted))
		if opts.Output == "table" {
			fmt.Fprintf(opts.IO.Out, "Deleted the account of %s.\n", termSafe(u.Email))
		}
	}
	report := newBatchReport(results)
	if err := report.write(opts.IO.Out, opts.Output); err != nil {
		return err
	}
	return report.exit()
}

// deleteUserOne finds the account of email, asks when it must, and deletes it.
func deleteUserOne(ctx context.Context, opts *UsersDeleteOptions, svc *invite.Service, prompt *prompter, email string) (invite.User, error) {
	u, err := svc.UserByEmail(ctx, email)
	if err != nil {
		return u, err
	}
	if !opts.Yes {
		if !opts.IO.CanPrompt() || opts.RefsFromStdin {
			return u, invite.Errorf(invite.ECANCELLED, "not deleting the account of %s: confirmation needed, and there is no terminal to ask on", u.Email).
				WithHint("pass --yes to delete without confirmation")
		}
		fmt.Fprintf(opts.IO.Out, "Delete the account of %s? [y/N] ", termSafe(u.Email))
		ok, err := prompt.confirm(ctx)
		if err != nil {
			fmt.Fprintln(opts.IO.Out)
			return u, err
		}
		if !ok {
			fmt.Fprintf(opts.IO.Out, "The account of %s was not deleted.\n", termSafe(u.Email))
			return u, silentExit(ExitCancelled)
		}
	}
	return u, svc.DeleteUser(ctx, opts.Actor, u)
}
