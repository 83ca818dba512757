package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

func newCustomersCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "customers",
		Aliases: []string{"customer"},
		Short:   "Add and list customer organizations",
		Example: `  invitectl customers add "Acme AB"
  invitectl customers list -o json`,
	}
	cmd.AddCommand(NewCmdCustomersAdd(f, nil), NewCmdCustomersList(f, nil))
	return cmd
}

// CustomersAddOptions are the inputs of `customers add`.
type CustomersAddOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	Name string
}

// NewCmdCustomersAdd builds `customers add`; runF replaces customersAddRun in tests.
func NewCmdCustomersAdd(f *Factory, runF func(*CustomersAddOptions) error) *cobra.Command {
	opts := &CustomersAddOptions{Service: f.Service}
	return &cobra.Command{
		Use:     "add NAME",
		Short:   "Add a customer organization",
		Example: `  invitectl customers add "Acme AB"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError(fmt.Sprintf("quote a name with spaces: invitectl customers add %q", strings.Join(args, " ")),
					"customers add takes one NAME, and %d were given", len(args))
			}
			return exactArgs(1, "the customer's name")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return customersAddRun(cmd.Context(), opts)
		},
	}
}

func customersAddRun(ctx context.Context, opts *CustomersAddOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	c, err := svc.AddCustomer(ctx, opts.Actor, opts.Name)
	if err != nil {
		return err
	}
	switch opts.Output {
	case "json":
		return writeJSON(opts.IO.Out, map[string]any{"id": c.ID, "name": c.Name, "created_at": rfc3339(c.CreatedAt)})
	case "csv":
		return writeCSV(opts.IO.Out, []string{"id", "name", "created_at"}, [][]string{{strconv.FormatInt(c.ID, 10), c.Name, rfc3339(c.CreatedAt)}})
	}
	_, err = fmt.Fprintf(opts.IO.Out, "Added customer %s (ID %d).\n", strconv.Quote(c.Name), c.ID)
	return err
}

// CustomersListOptions are the inputs of `customers list`.
type CustomersListOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)
}

// NewCmdCustomersList builds `customers list`; runF replaces customersListRun in tests.
func NewCmdCustomersList(f *Factory, runF func(*CustomersListOptions) error) *cobra.Command {
	opts := &CustomersListOptions{Service: f.storeService}
	return readOnly(&cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List customer organizations in Swedish alphabetical order",
		Example: `  invitectl customers list
  invitectl customers list -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return customersListRun(cmd.Context(), opts)
		},
	})
}

func customersListRun(ctx context.Context, opts *CustomersListOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	cs, err := svc.Customers(ctx)
	if err != nil {
		return err
	}
	switch opts.Output {
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
		return writeJSON(opts.IO.Out, map[string]any{"customers": out})
	case "csv":
		rows := make([][]string, len(cs))
		for i, c := range cs {
			rows[i] = []string{strconv.FormatInt(c.ID, 10), c.Name, strconv.Itoa(c.OpenInvitations), strconv.Itoa(c.Users), rfc3339(c.CreatedAt)}
		}
		return writeCSV(opts.IO.Out, []string{"id", "name", "open_invitations", "users", "created_at"}, rows)
	}
	if len(cs) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "invitectl: hint: add one with `invitectl customers add NAME`, or try sample data with `invitectl seed`")
		_, err := fmt.Fprintln(opts.IO.Out, "No customers yet.")
		return err
	}
	st2 := opts.style()
	t := wideTable{header: table.Row{"ID", "Customer account", "Open invitations", "Users", "Created"}, columns: customerColumns()}
	for _, c := range cs {
		t.rows = append(t.rows, table.Row{c.ID, c.Name, c.OpenInvitations, c.Users, st2.time(c.CreatedAt)})
	}
	t.render(opts.IO.Out, st2)
	return nil
}
