package cli

import (
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
	cmd.AddCommand(newUsersListCmd(f))
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

func newUsersListCmd(f *Factory) *cobra.Command {
	var page, perPage int
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List accounts, personal numbers masked",
		Example: `  invitectl users list
  invitectl users list --page 2 -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := invite.ListQuery{Page: page, PerPage: perPage}
			if err := q.Validate(); err != nil {
				return err
			}
			st, err := f.Store(cmd.Context())
			if err != nil {
				return err
			}
			res, err := st.ListUsers(cmd.Context(), page, perPage)
			if err != nil {
				return err
			}
			if page > 1 && q.Offset() >= res.Total {
				return invite.PageRangeError(page, res.Total, perPage)
			}
			items := make([]userJSON, len(res.Users))
			for i, u := range res.Users {
				items[i] = userJSON{ID: u.ID, Customer: u.Customer, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
					detailsJSON: detailsOf(u.Details, false), Language: u.Language,
					EmailVerifiedAt: rfc3339(u.EmailVerifiedAt), InvitationID: u.InvitationID, CreatedAt: rfc3339(u.CreatedAt)}
			}
			switch f.Output() {
			case "json":
				return writeJSON(f.IO.Out, struct {
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
				return writeCSV(f.IO.Out, []string{"id", "customer", "first_name", "last_name", "email", "personal_number", "phone", "language", "email_verified_at", "invitation_id", "created_at"}, rows)
			}
			if len(items) == 0 {
				fmt.Fprintln(f.IO.Out, "No users yet.")
				fmt.Fprintln(f.IO.ErrOut, "invitectl: hint: accounts appear here when invitees register through `invitectl serve-accept`")
				return nil
			}
			sty := style{tty: f.IO.OutTTY, color: f.Color(cmd)}
			t := sty.newTable(f.IO.Out)
			t.AppendHeader(table.Row{"ID", "Customer account", "First name", "Last name", "Email", "Personal number", "Phone number", "Language", "Email verified", "Registered"})
			for _, u := range res.Users {
				t.AppendRow(table.Row{u.ID, u.Customer, u.FirstName, u.LastName, u.Email, dash(personnummer.Mask(u.PersonalNumber)),
					dash(u.Phone), u.Language, sty.time(u.EmailVerifiedAt), sty.time(u.CreatedAt)})
			}
			t.Render()
			fmt.Fprintln(f.IO.Out, showingLine(page, perPage, len(items), res.Total))
			return nil
		},
	}
	cmd.Flags().IntVar(&page, "page", 1, "page number, from 1")
	cmd.Flags().IntVar(&perPage, "per-page", invite.DefaultPerPage, "rows per page")
	return readOnly(cmd)
}
