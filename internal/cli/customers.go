package cli

import (
	"fmt"
	"strconv"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"
)

func newCustomersCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "customers",
		Aliases: []string{"customer"},
		Short:   "Add and list customer organizations",
		Example: `  invitectl customers add "Acme AB"
  invitectl customers list -o json`,
	}
	cmd.AddCommand(newCustomersAddCmd(f), newCustomersListCmd(f))
	return cmd
}

func newCustomersAddCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "add NAME",
		Short:   "Add a customer organization",
		Example: `  invitectl customers add "Acme AB"`,
		Args:    exactArgs(1, "the customer's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service(cmd.Context())
			if err != nil {
				return err
			}
			c, err := svc.AddCustomer(cmd.Context(), f.Actor(), args[0])
			if err != nil {
				return err
			}
			switch f.Output() {
			case "json":
				return writeJSON(f.IO.Out, map[string]any{"id": c.ID, "name": c.Name, "created_at": rfc3339(c.CreatedAt)})
			case "csv":
				return writeCSV(f.IO.Out, []string{"id", "name", "created_at"}, [][]string{{strconv.FormatInt(c.ID, 10), c.Name, rfc3339(c.CreatedAt)}})
			}
			_, err = f.IO.Out.Write([]byte("Added customer " + strconv.Quote(c.Name) + " (ID " + strconv.FormatInt(c.ID, 10) + ").\n"))
			return err
		},
	}
}

func newCustomersListCmd(f *Factory) *cobra.Command {
	return readOnly(&cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List customer organizations in Swedish alphabetical order",
		Example: `  invitectl customers list
  invitectl customers list -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := f.Store(cmd.Context())
			if err != nil {
				return err
			}
			cs, err := st.ListCustomers(cmd.Context())
			if err != nil {
				return err
			}
			switch f.Output() {
			case "json":
				type cj struct {
					ID              int64  `json:"id"`
					Name            string `json:"name"`
					OpenInvitations int    `json:"open_invitations"`
					Users           int    `json:"users"`
					CreatedAt       string `json:"created_at"`
				}
				out := make([]cj, len(cs))
				for i, c := range cs {
					out[i] = cj{c.ID, c.Name, c.OpenInvitations, c.Users, rfc3339(c.CreatedAt)}
				}
				return writeJSON(f.IO.Out, map[string]any{"customers": out})
			case "csv":
				rows := make([][]string, len(cs))
				for i, c := range cs {
					rows[i] = []string{strconv.FormatInt(c.ID, 10), c.Name, strconv.Itoa(c.OpenInvitations), strconv.Itoa(c.Users), rfc3339(c.CreatedAt)}
				}
				return writeCSV(f.IO.Out, []string{"id", "name", "open_invitations", "users", "created_at"}, rows)
			}
			if len(cs) == 0 {
				fmt.Fprintln(f.IO.ErrOut, "invitectl: hint: add one with `invitectl customers add NAME`, or try sample data with `invitectl seed`")
				_, err := fmt.Fprintln(f.IO.Out, "No customers yet.")
				return err
			}
			st2 := style{tty: f.IO.OutTTY, color: f.Color(cmd)}
			t := st2.newTable(f.IO.Out)
			t.AppendHeader(table.Row{"ID", "Customer account", "Open invitations", "Users", "Created"})
			for _, c := range cs {
				t.AppendRow(table.Row{c.ID, c.Name, c.OpenInvitations, c.Users, st2.time(c.CreatedAt)})
			}
			t.Render()
			return nil
		},
	})
}
