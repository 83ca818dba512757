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
// would attempt (queued, then, with --retry-failed, failed; each in ID
// order), and the summary res.
func printDeliverPlan(ctx context.Context, opts *DeliverOptions, svc *invite.Service, res deliverResult) error {
	states := []invite.DeliveryState{invite.DeliveryQueued}
	if opts.RetryFailed {
		states = append(states, invite.DeliveryFailed)
	}
	var items []deliverItem
	for _, d := range states {
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
			deliverResult
			Messages []deliverItem `json:"messages"`
		}{res, nonNil(items)})
	case "csv":
		rows := make([][]string, len(items))
		for i, it := range items {
			rows[i] = []string{fmt.Sprint(it.ID), it.Customer, it.Email, it.Delivery}
		}
		return writeCSV(opts.IO.Out, []string{"id", "customer", "email", "delivery"}, rows)
	}
	if len(items) > 0 {
		t := wideTable{header: table.Row{"ID", "Customer account", "Email", "Delivery"}, columns: deliverColumns()}
		for _, it := range items {
			t.rows = append(t.rows, table.Row{it.ID, it.Customer, it.Email, strings.ToUpper(it.Delivery)})
		}
		t.render(opts.IO.Out, opts.style())
	}
	return printDeliverSummary(opts, res, "")
}
