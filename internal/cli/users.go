package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/personnummer"
)

func newUsersCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Accounts created from invitations",
		Example: `  invitectl users list
  invitectl users list --per-page 100 -o csv`,
	}
	cmd.AddCommand(NewCmdUsersList(f, nil))
	return cmd
}

type userJSON struct {
	ID        int64  `json:"id"`
	Customer  string `json:"customer"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	detailsJSON
	Language        string `json:"language"`
	EmailVerifiedAt string `json:"email_verified_at"`
	InvitationID    int64  `json:"invitation_id"`
	CreatedAt       string `json:"created_at"`
}

// UsersListOptions are the inputs of `users list`.
type UsersListOptions struct {
	common
	Store func(context.Context) (invite.Store, error)

	Page, PerPage int
}

// NewCmdUsersList builds `users list`; runF replaces usersListRun in tests.
func NewCmdUsersList(f *Factory, runF func(*UsersListOptions) error) *cobra.Command {
	opts := &UsersListOptions{Store: f.Store}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List accounts, personal numbers masked",
		Example: `  invitectl users list
  invitectl users list --page 2 -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := (invite.ListQuery{Page: opts.Page, PerPage: opts.PerPage}).Validate(); err != nil {
				return err
			}
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return usersListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Page, "page", 1, "page number, from 1")
	cmd.Flags().IntVar(&opts.PerPage, "per-page", invite.DefaultPerPage, "rows per page")
	return readOnly(cmd)
}

func usersListRun(ctx context.Context, opts *UsersListOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	page, perPage := opts.Page, opts.PerPage
	res, err := st.ListUsers(ctx, page, perPage)
	if err != nil {
		return err
	}
	if page > 1 && invite.PageOffset(page, perPage) >= res.Total {
		return invite.PageRangeError(page, res.Total, perPage)
	}
	items := make([]userJSON, len(res.Users))
	for i, u := range res.Users {
		items[i] = userJSON{ID: u.ID, Customer: u.Customer, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
			detailsJSON: detailsOf(u.Details, false), Language: u.Language,
			EmailVerifiedAt: rfc3339(u.EmailVerifiedAt), InvitationID: u.InvitationID, CreatedAt: rfc3339(u.CreatedAt)}
	}
	out := opts.IO.Out
	switch opts.Output {
	case "json":
		return writeJSON(out, struct {
			Users   []userJSON `json:"users"`
			Total   int        `json:"total"`
			Page    int        `json:"page"`
			PerPage int        `json:"per_page"`
		}{items, res.Total, page, perPage}) // in the contract's order, as list
	case "csv":
		rows := make([][]string, len(items))
		for i, u := range items {
			s := func(p *string) string {
				if p == nil {
					return ""
				}
				return *p
			}
			rows[i] = []string{strconv.FormatInt(u.ID, 10), u.Customer, u.FirstName, u.LastName, u.Email, s(u.PersonalNumber),
				s(u.Phone), u.Language, u.EmailVerifiedAt, strconv.FormatInt(u.InvitationID, 10), u.CreatedAt}
		}
		return writeCSV(out, []string{"id", "customer", "first_name", "last_name", "email", "personal_number", "phone", "language", "email_verified_at", "invitation_id", "created_at"}, rows)
	}
	if len(items) == 0 {
		fmt.Fprintln(out, "No users yet.")
		fmt.Fprintln(opts.IO.ErrOut, "invitectl: hint: accounts appear here when invitees register through `invitectl serve-accept`")
		return nil
	}
	sty := opts.style()
	t := sty.newTable(out)
	t.AppendHeader(table.Row{"ID", "Customer account", "First name", "Last name", "Email", "Personal number", "Phone number", "Language", "Email verified", "Registered"})
	for _, u := range res.Users {
		t.AppendRow(table.Row{u.ID, u.Customer, u.FirstName, u.LastName, u.Email, dash(personnummer.Mask(u.PersonalNumber)),
			dash(u.Phone), u.Language, sty.time(u.EmailVerifiedAt), sty.time(u.CreatedAt)})
	}
	t.Render()
	_, err = fmt.Fprintln(out, showingLine(page, perPage, len(items), res.Total))
	return err
}
