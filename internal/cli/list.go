package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/termfit"
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
	All      bool // every matching row, streamed, instead of one page
}

// NewCmdList builds `list`; runF replaces listRun in tests.
func NewCmdList(f *Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{Service: f.Service}
	var sortFlag, status, delivery string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List invitations: sortable, paginated, personal numbers masked",
		Long: `Lists invitations, pending and expired ones by default (--status open);
--status all adds accepted and revoked ones, --status purged lists only the
invitations purge has emptied (Status PURGED).

Sort fields: customer, first-name, last-name, email, sent-on, each with an
optional :asc (default) or :desc. Names and customers sort in Swedish
alphabetical order ignoring case (… x, y, z, å, ä, ö); ties break on ID so
pages never repeat or skip a row. Personal numbers are always masked.

--all streams every matching row in the chosen order instead of one page,
read from one snapshot: JSON, CSV and piped columns with flat memory
however many rows, a terminal table in blocks of 1000 rows.

-o xlsx writes a workbook (to a file, not a terminal): the header row frozen,
phone, personal number and LMA number as text, times as date-times.`,
		Example: `  invitectl list
  invitectl list --sort last-name:desc --page 2 --per-page 50
  invitectl list --status expired --customer "Acme AB"
  invitectl list --status purged
  invitectl list --search lind -o json
  invitectl list --delivery failed
  invitectl list --all --status all -o csv > invitations.csv
  invitectl list --all -o xlsx > invitations.xlsx`,
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
			if opts.All && (cmd.Flags().Changed("page") || cmd.Flags().Changed("per-page")) {
				return usageError("--all lists every row; drop --page and --per-page", "--all cannot be combined with --page or --per-page")
			}
			if err := invite.CheckPaging(opts.Page, opts.PerPage); err != nil {
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
	fl.StringVar(&sortFlag, "sort", invite.DefaultSort.String(), "sort by `FIELD[:asc|desc]`: customer, first-name, last-name, email, sent-on")
	fl.IntVar(&opts.Page, "page", 1, "page number `N`, from 1")
	fl.IntVar(&opts.PerPage, "per-page", invite.DefaultPerPage, fmt.Sprintf("`N` rows per page, at most %d", invite.MaxPerPage))
	fl.BoolVar(&opts.All, "all", false, "every matching row, streamed, instead of one page")
	fl.StringVar(&status, "status", string(invite.FilterOpen), "`STATUS`: pending, expired, accepted, revoked, open (pending or expired), all, or purged (only the purged)")
	fl.StringVar(&opts.Customer, "customer", "", "only the invitations of customer `NAME`")
	fl.StringVar(&opts.Search, "search", "", "only invitations whose names or email contain `TEXT` (ignoring case)")
	fl.StringVar(&delivery, "delivery", "", "only invitations whose latest email is queued, sent, failed or none (never asked for)")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	enumFlag(cmd, "status", []string{"pending", "expired", "accepted", "revoked", "open", "all", "purged"})
	enumFlag(cmd, "delivery", []string{"queued", "sent", "failed", "none"})
	_ = cmd.RegisterFlagCompletionFunc("sort", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, fld := range invite.SortFields {
			out = append(out, string(fld), string(fld)+":asc", string(fld)+":desc")
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return withXLSX(readOnly(cmd))
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
	if opts.All {
		return streamInvitations(ctx, opts.common, svc, q)
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
	case "xlsx":
		return writeXLSX(o.IO.Out, func(add func(invitationJSON) error) error {
			for _, inv := range res.Invitations {
				if err := add(toJSON(inv, q.Now, false)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if len(res.Invitations) == 0 {
		noInvitations(o, q)
		return nil
	}
	st := o.style()
	t := invitationTable(st)
	for _, inv := range res.Invitations {
		t.rows = append(t.rows, st.invitationRow(inv, q.Now))
	}
	t.render(o.IO.Out, st)
	_, err := fmt.Fprintln(o.IO.Out, termfit.ShowingLine(q.Page, q.PerPage, len(res.Invitations), res.Total))
	return err
}

// noInvitations says that no invitation matches q, with a hint.
func noInvitations(o common, q invite.ListQuery) {
	fmt.Fprintln(o.IO.Out, "No invitations match.")
	hint := "create one with `invitectl invite --customer NAME --email EMAIL --first-name F --last-name L`, or try sample data with `invitectl seed`"
	if q.Status != invite.FilterOpen || q.CustomerID != 0 || q.Search != "" || q.Delivery != "" {
		hint = "widen the filters (e.g. --status all), " + hint
	}
	fmt.Fprintf(o.IO.ErrOut, "invitectl: hint: %s\n", hint)
}

// streamBlock is how many rows a terminal table of `list --all` shows at a
// time: each block is a table of its own, fitted to its rows.
const streamBlock = 1000

// streamInvitations writes every invitation q selects as it reads them:
// JSON and CSV row by row, a table in blocks of streamBlock rows (piped,
// the header only above the first), then the count.
func streamInvitations(ctx context.Context, o common, svc *invite.Service, q invite.ListQuery) error {
	w := bufio.NewWriterSize(o.IO.Out, 64<<10)
	var n int
	var err error
	switch o.Output {
	case "json":
		jw := newJSONArrayWriter(w, "invitations")
		err = svc.StreamInvitations(ctx, q, func(inv invite.Invitation) error {
			n++
			return jw.add(toJSON(inv, q.Now, false))
		})
		if err == nil {
			err = jw.close(map[string]int{"total": n})
		}
	case "csv":
		cw := newCSVStream(w, csvColumns)
		err = svc.StreamInvitations(ctx, q, func(inv invite.Invitation) error {
			n++
			return cw.write(csvRow(toJSON(inv, q.Now, false)))
		})
		if err == nil {
			err = cw.flush()
		}
	case "xlsx":
		err = writeXLSX(w, func(add func(invitationJSON) error) error {
			return svc.StreamInvitations(ctx, q, func(inv invite.Invitation) error { return add(toJSON(inv, q.Now, false)) })
		})
	default:
		sty := o.style()
		block := invitationTable(sty)
		flush := func() {
			if len(block.rows) == 0 {
				return
			}
			if sty.tty {
				block.render(w, sty)
			} else {
				t := sty.newTable(w)
				if n <= streamBlock {
					t.AppendHeader(block.header)
				}
				for _, r := range block.rows {
					t.AppendRow(r)
				}
				t.Render()
			}
			block.rows = block.rows[:0]
		}
		err = svc.StreamInvitations(ctx, q, func(inv invite.Invitation) error {
			n++
			block.rows = append(block.rows, sty.invitationRow(inv, q.Now))
			if len(block.rows) == streamBlock {
				flush()
			}
			return nil
		})
		if err == nil {
			flush()
			if n == 0 {
				if err := w.Flush(); err != nil {
					return err
				}
				noInvitations(o, q)
				return nil
			}
			_, err = fmt.Fprintln(w, termfit.ShowingLine(1, n, n, n))
		}
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}
