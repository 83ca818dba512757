package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

func newListCmd(f *Factory) *cobra.Command {
	var (
		sortFlag, status, customer, search string
		page, perPage                      int
	)
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
  invitectl list --search lind -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			srt, err := invite.ParseSort(sortFlag)
			if err != nil {
				return err
			}
			filter, err := invite.ParseStatusFilter(status)
			if err != nil {
				return err
			}
			q := invite.ListQuery{Status: filter, Search: strings.TrimSpace(search), Sort: srt, Page: page, PerPage: perPage, Now: f.Now()}
			if err := q.Validate(); err != nil {
				return err
			}
			svc, err := f.Service(ctx)
			if err != nil {
				return err
			}
			if customer != "" {
				c, err := svc.Customer(ctx, customer)
				if err != nil {
					return err
				}
				q.CustomerID = c.ID
			}
			res, err := svc.List(ctx, q)
			if err != nil {
				return err
			}
			return printInvitationPage(cmd, f, q, res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&sortFlag, "sort", invite.DefaultSort.String(), "sort by FIELD[:asc|desc]: customer, first-name, last-name, email, sent-on")
	fl.IntVar(&page, "page", 1, "page number, from 1")
	fl.IntVar(&perPage, "per-page", invite.DefaultPerPage, fmt.Sprintf("rows per page, at most %d", invite.MaxPerPage))
	fl.StringVar(&status, "status", string(invite.FilterOpen), "pending, expired, accepted, revoked, open (pending or expired) or all")
	fl.StringVar(&customer, "customer", "", "only this customer's invitations")
	fl.StringVar(&search, "search", "", "only invitations whose names or email contain TEXT (ignoring case)")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	_ = cmd.RegisterFlagCompletionFunc("status", completeValues("pending", "expired", "accepted", "revoked", "open", "all"))
	_ = cmd.RegisterFlagCompletionFunc("sort", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, fld := range invite.SortFields {
			out = append(out, string(fld), string(fld)+":asc", string(fld)+":desc")
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return readOnly(cmd)
}

func printInvitationPage(cmd *cobra.Command, f *Factory, q invite.ListQuery, res invite.InvitationPage) error {
	switch f.Output() {
	case "json":
		items := make([]invitationJSON, len(res.Invitations))
		for i, inv := range res.Invitations {
			items[i] = toJSON(inv, q.Now, false)
		}
		return writeJSON(f.IO.Out, struct {
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
		return writeCSV(f.IO.Out, csvColumns, rows)
	}
	if len(res.Invitations) == 0 {
		fmt.Fprintln(f.IO.Out, "No invitations match.")
		hint := "create one with `invitectl invite --customer NAME --email EMAIL --first-name F --last-name L`, or try sample data with `invitectl seed`"
		if q.Status != invite.FilterOpen || q.CustomerID != 0 || q.Search != "" {
			hint = "widen the filters (e.g. --status all), " + hint
		}
		fmt.Fprintf(f.IO.ErrOut, "invitectl: hint: %s\n", hint)
		return nil
	}
	st := style{tty: f.IO.OutTTY, color: f.Color(cmd)}
	t := st.newTable(f.IO.Out)
	t.AppendHeader(invitationColumns)
	for _, inv := range res.Invitations {
		t.AppendRow(st.invitationRow(inv, q.Now))
	}
	t.Render()
	_, err := fmt.Fprintln(f.IO.Out, showingLine(q.Page, q.PerPage, len(res.Invitations), res.Total))
	return err
}
