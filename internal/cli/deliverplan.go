package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"

	"github.com/invitectl/invitectl/internal/invite"
)

// deliverItem is one invitation whose email a deliver would attempt.
type deliverItem struct {
	ID       int64  `json:"id"`
	Customer string `json:"customer"`
	Email    string `json:"email"`
	Delivery string `json:"delivery"`
}

// printDeliverPlan is `deliver --dry-run`: the invitations whose emails it
// would attempt (queued, then failed, each in ID order), and the counts.
func printDeliverPlan(ctx context.Context, opts *DeliverOptions, svc *invite.Service, failed, queued int) error {
	var items []deliverItem
	for _, d := range []invite.DeliveryState{invite.DeliveryQueued, invite.DeliveryFailed} {
		invs, err := allMatching(ctx, svc, opts.Customer, invite.ListQuery{Status: invite.FilterAll, Delivery: d, Now: opts.Now()})
		if err != nil {
			return err
		}
		for _, inv := range invs {
			items = append(items, deliverItem{inv.ID, inv.Customer, inv.Email, string(d)})
		}
	}
	switch opts.Output {
	case "json":
		return writeJSON(opts.IO.Out, struct {
			Sent      int           `json:"sent"`
			Failed    int           `json:"failed"`
			Remaining int           `json:"remaining"`
			DryRun    bool          `json:"dry_run"`
			Messages  []deliverItem `json:"messages"`
		}{0, failed, failed + queued, true, nonNil(items)})
	case "csv":
		rows := make([][]string, len(items))
		for i, it := range items {
			rows[i] = []string{fmt.Sprint(it.ID), it.Customer, it.Email, it.Delivery}
		}
		return writeCSV(opts.IO.Out, []string{"id", "customer", "email", "delivery"}, rows)
	}
	if len(items) == 0 {
		_, err := fmt.Fprintln(opts.IO.Out, "Nothing to deliver: the outbox is empty.")
		return err
	}
	st := opts.style()
	t := wideTable{header: table.Row{"ID", "Customer account", "Email", "Delivery"}, columns: deliverColumns()}
	for _, it := range items {
		t.rows = append(t.rows, table.Row{it.ID, it.Customer, it.Email, strings.ToUpper(it.Delivery)})
	}
	t.render(opts.IO.Out, st)
	_, err := fmt.Fprintf(opts.IO.Out, "Dry run: %d queued and %d failed %s would be attempted; nothing was sent.\n",
		queued, failed, plural(queued+failed, "email", "emails"))
	return err
}
