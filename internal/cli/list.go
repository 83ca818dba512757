package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

// ListOptions are the inputs of `list`.
type ListOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	Sort     invite.Sort
	Status   invite.StatusFilter
	Customer string // a customer's name, "" for all
	Search   string
	Delivery invite.DeliveryState // "" for any
	Page     int
	PerPage  int
}

// NewCmdList builds `list`; runF replaces listRun in tests.
func NewCmdList(f *Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{Service: f.Service}
	var sortFlag, status, delivery string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List invitations: sortable, paginated, personal numbers masked",
		Long: `Lists invitations, pending and expired ones by default (--status open).

Sort fields: customer, first-name, last-name, email, sent-on, each with an
optional :asc (default) or :desc. Names and customers sort in Swedish
alphabetical order ignoring case (… x, y, z, å, ä, ö); ties break on ID so
pages never repeat or skip a row. Personal numbers are always masked.`,
		Example: `  invitectl list
  invitectl list --sort last-name:desc --page 2 --per-page 50
  invitectl list --status expired --customer "Acme AB"
  invitectl list --search lind -o json
  invitectl list --delivery failed`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.Sort, err = invite.ParseSort(sortFlag); err != nil {
				return err
			}
			if opts.Status, err = invite.ParseStatusFilter(status); err != nil {
				return err
			}
			if opts.Delivery, err = invite.ParseDeliveryFilter(delivery); err != nil {
				return err
			}
			opts.Search = strings.TrimSpace(opts.Search)
			if err := (invite.ListQuery{Page: opts.Page, PerPage: opts.PerPage}).Validate(); err != nil {
				return err
			}
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&sortFlag, "sort", invite.DefaultSort.String(), "sort by FIELD[:asc|desc]: customer, first-name, last-name, email, sent-on")
	fl.IntVar(&opts.Page, "page", 1, "page number, from 1")
	fl.IntVar(&opts.PerPage, "per-page", invite.DefaultPerPage, fmt.Sprintf("rows per page, at most %d", invite.MaxPerPage))
	fl.StringVar(&status, "status", string(invite.FilterOpen), "pending, expired, accepted, revoked, open (pending or expired) or all")
	fl.StringVar(&opts.Customer, "customer", "", "only this customer's invitations")
	fl.StringVar(&opts.Search, "search", "", "only invitations whose names or email contain TEXT (ignoring case)")
	fl.StringVar(&delivery, "delivery", "", "only invitations whose latest email is queued, sent, failed or none (never asked for)")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	_ = cmd.RegisterFlagCompletionFunc("status", completeValues("pending", "expired", "accepted", "revoked", "open", "all"))
	_ = cmd.RegisterFlagCompletionFunc("delivery", completeValues("queued", "sent", "failed", "none"))
	_ = cmd.RegisterFlagCompletionFunc("sort", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, fld := range invite.SortFields {
			out = append(out, string(fld), string(fld)+":asc", string(fld)+":desc")
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return readOnly(cmd)
}

func listRun(ctx context.Context, opts *ListOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	q := invite.ListQuery{Status: opts.Status, Search: opts.Search, Delivery: opts.Delivery, Sort: opts.Sort, Page: opts.Page, PerPage: opts.PerPage, Now: opts.Now()}
	if opts.Customer != "" {
		c, err := svc.Customer(ctx, opts.Customer)
		if err != nil {
			return err
		}
		q.CustomerID = c.ID
	}
	res, err := svc.List(ctx, q)
	if err != nil {
		return err
	}
	return printInvitationPage(opts.common, q, res)
}

func printInvitationPage(o common, q invite.ListQuery, res invite.InvitationPage) error {
	switch o.Output {
	case "json":
		items := make([]invitationJSON, len(res.Invitations))
		for i, inv := range res.Invitations {
			items[i] = toJSON(inv, q.Now, false)
		}
		return writeJSON(o.IO.Out, struct {
			Invitations []invitationJSON `json:"invitations"`
			Total       int              `json:"total"`
			Page        int              `json:"page"`
			PerPage     int              `json:"per_page"`
		}{items, res.Total, q.Page, q.PerPage})
	case "csv":
		rows := make([][]string, len(res.Invitations))
		for i, inv := range res.Invitations {
			rows[i] = csvRow(toJSON(inv, q.Now, false))
		}
		return writeCSV(o.IO.Out, csvColumns, rows)
	}
	if len(res.Invitations) == 0 {
		fmt.Fprintln(o.IO.Out, "No invitations match.")
		hint := "create one with `invitectl invite --customer NAME --email EMAIL --first-name F --last-name L`, or try sample data with `invitectl seed`"
		if q.Status != invite.FilterOpen || q.CustomerID != 0 || q.Search != "" || q.Delivery != "" {
			hint = "widen the filters (e.g. --status all), " + hint
		}
		fmt.Fprintf(o.IO.ErrOut, "invitectl: hint: %s\n", hint)
		return nil
	}
	st := o.style()
	t := invitationTable(st)
	for _, inv := range res.Invitations {
		t.rows = append(t.rows, st.invitationRow(inv, q.Now))
	}
	t.render(o.IO.Out, st)
	_, err := fmt.Fprintln(o.IO.Out, showingLine(q.Page, q.PerPage, len(res.Invitations), res.Total))
	return err
}
