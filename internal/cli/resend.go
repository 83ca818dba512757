package cli

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jedib0t/go-pretty/v6/progress"
	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

// resendResult is one line of resend's JSON output.
type resendResult struct {
	ID      int64  `json:"id"`
	Email   string `json:"email"`
	Plan    string `json:"plan"`
	Outcome string `json:"outcome"` // sent, failed, refused, planned
	Error   string `json:"error,omitempty"`
}

func newResendCmd(f *Factory) *cobra.Command {
	var (
		expired, dryRun bool
		customer        string
	)
	cmd := &cobra.Command{
		Use:   "resend REF... | --expired [--customer NAME]",
		Short: "Send invitations again",
		Long: `Sends invitations again. A pending invitation gets the same link again (its
expiry does not move). An expired one first gets a fresh link valid for one
year, and the old link stays dead. Accepted and revoked invitations are
already resolved: nothing is sent (exit 4).

--expired resends every expired invitation (of one customer with --customer)
over one mail connection, with a progress bar on a terminal and a summary.
--dry-run prints what would happen to each and changes nothing.`,
		Example: `  invitectl resend 42
  invitectl resend 42 43 asa@example.com
  invitectl resend --expired --customer "Acme AB" --dry-run
  invitectl resend --expired -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if expired == (len(args) > 0) {
				return usageError("pass invitation REFs, or --expired (not both)", "resend needs REFs or --expired")
			}
			ctx := cmd.Context()
			var svc *invite.Service
			var err error
			if dryRun {
				svc, err = f.Service(ctx)
			} else {
				svc, err = f.MailingService(ctx)
			}
			if err != nil {
				return err
			}
			var w worst
			var targets []invite.Invitation
			if expired {
				if targets, err = allExpired(cmd, f, svc, customer); err != nil {
					return err
				}
			} else {
				for _, ref := range args {
					inv, err := svc.Resolve(ctx, ref, customer)
					if err != nil {
						w.add(err)
						printError(f.IO.ErrOut, err)
						continue
					}
					targets = append(targets, inv)
				}
			}
			var results []resendResult
			var pw progress.Writer
			var tracker *progress.Tracker
			if expired && !dryRun && f.IO.ErrTTY && f.Output() == "table" && len(targets) > 1 {
				pw, tracker = newProgress(f, f.Color(cmd), "Resending", len(targets))
				go pw.Render()
			}
			sent, failed := 0, 0
			if dryRun {
				for _, inv := range targets {
					r := resendResult{ID: inv.ID, Email: inv.Email, Plan: string(invite.PlanResend(inv, f.Now())), Outcome: "planned"}
					if r.Plan == string(invite.PlanRefused) {
						r.Plan = "refused: " + string(inv.Status(f.Now()))
					}
					results = append(results, r)
				}
			} else {
				// Reported one at a time, in the order of targets, while the
				// batch goes on: the emails of the invitations after this one
				// may already be on their way.
				report := func(res invite.ResendResult) {
					out, plan, err := res.Invitation, res.Plan, res.Err
					r := resendResult{ID: out.ID, Email: out.Email, Plan: string(plan)}
					if err == nil {
						r.Outcome = "sent"
						sent++
						if !expired && f.Output() == "table" {
							if plan == invite.PlanNewLink {
								fmt.Fprintf(f.IO.Out, "Resent invitation %d to %s with a new link, valid until %s.\n", out.ID, termSafe(out.Email), out.ExpiresAt.Format("2006-01-02"))
							} else {
								fmt.Fprintf(f.IO.Out, "Resent invitation %d to %s with the same link, valid until %s.\n", out.ID, termSafe(out.Email), out.ExpiresAt.Format("2006-01-02"))
							}
						}
					} else {
						w.add(err)
						r.Outcome, r.Error = "failed", err.Error()
						if plan == invite.PlanRefused {
							r.Outcome = "refused"
						} else {
							failed++
						}
						printError(f.IO.ErrOut, err)
					}
					results = append(results, r)
					if tracker != nil {
						tracker.Increment(1)
					}
				}
				// Its only error is a cancelled ctx, returned after the summary.
				err = svc.ResendBatch(ctx, f.Actor(), targets, report)
			}
			if tracker != nil {
				tracker.MarkAsDone()
				for pw.IsRenderInProgress() {
					time.Sleep(10 * time.Millisecond)
				}
			}
			switch f.Output() {
			case "json":
				if err := writeJSON(f.IO.Out, map[string]any{"results": nonNil(results), "resent": sent, "failed": failed, "dry_run": dryRun}); err != nil {
					return err
				}
			case "csv":
				rows := make([][]string, len(results))
				for i, r := range results {
					rows[i] = []string{fmt.Sprint(r.ID), r.Email, r.Plan, r.Outcome, r.Error}
				}
				if err := writeCSV(f.IO.Out, []string{"id", "email", "plan", "outcome", "error"}, rows); err != nil {
					return err
				}
			default:
				if dryRun {
					st := style{tty: f.IO.OutTTY, color: f.Color(cmd)}
					t := st.newTable(f.IO.Out)
					t.AppendHeader([]any{"ID", "Email", "Would"})
					for _, r := range results {
						t.AppendRow([]any{r.ID, r.Email, r.Plan})
					}
					t.Render()
					fmt.Fprintf(f.IO.Out, "Dry run: nothing was sent or changed (%d invitations).\n", len(results))
				} else if expired {
					if len(targets) == 0 {
						fmt.Fprintln(f.IO.Out, "No expired invitations to resend.")
					} else {
						fmt.Fprintf(f.IO.Out, "resent %d, failed %d\n", sent, failed)
					}
				}
			}
			if err != nil {
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return w.err()
		},
	}
	cmd.Flags().BoolVar(&expired, "expired", false, "resend every expired invitation")
	cmd.Flags().StringVar(&customer, "customer", "", "with --expired: only this customer's invitations; with REFs: the customer of an email REF")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what would happen and change nothing")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return cmd
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// allExpired collects every expired invitation before any is changed, so that
// resending does not shift the pages being read. The pages after the first
// are read a few at a time, in parallel.
func allExpired(cmd *cobra.Command, f *Factory, svc *invite.Service, customer string) ([]invite.Invitation, error) {
	ctx := cmd.Context()
	q := invite.ListQuery{Status: invite.FilterExpired, Sort: invite.Sort{Field: invite.SortSentOn}, Page: 1, PerPage: invite.MaxPerPage, Now: f.Now()}
	if customer != "" {
		c, err := svc.Customer(ctx, customer)
		if err != nil {
			return nil, err
		}
		q.CustomerID = c.ID
	}
	first, err := svc.Store.ListInvitations(ctx, q)
	if err != nil {
		return nil, err
	}
	pages := make([][]invite.Invitation, invite.LastPage(first.Total, q.PerPage))
	pages[0] = first.Invitations
	errs := make([]error, len(pages))
	var wg sync.WaitGroup
	readers := make(chan struct{}, pageReaders)
	for i := 1; i < len(pages); i++ {
		readers <- struct{}{}
		wg.Go(func() {
			defer func() { <-readers }()
			pq := q
			pq.Page = i + 1
			p, err := svc.Store.ListInvitations(ctx, pq)
			pages[i], errs[i] = p.Invitations, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	// In ID order, invitations next to each other in the batch are next to
	// each other in the store too: its transactions then write fewer pages.
	// An invitation that moved between two pages while they were read is
	// taken once.
	all := slices.Concat(pages...)
	slices.SortFunc(all, func(a, b invite.Invitation) int { return cmp.Compare(a.ID, b.ID) })
	return slices.CompactFunc(all, func(a, b invite.Invitation) bool { return a.ID == b.ID }), nil
}

// pageReaders is how many pages allExpired reads at a time.
const pageReaders = 4

// newProgress starts a progress bar on stderr.
func newProgress(f *Factory, color bool, what string, total int) (progress.Writer, *progress.Tracker) {
	pw := progress.NewWriter()
	pw.SetOutputWriter(f.IO.ErrOut)
	pw.SetAutoStop(true)
	pw.SetUpdateFrequency(100 * time.Millisecond)
	pw.SetStyle(progress.StyleBlocks)
	pw.Style().Visibility.ETA = true
	pw.Style().Visibility.Speed = true
	pw.Style().Visibility.Value = true
	pw.Style().Options.TimeDonePrecision = 100 * time.Millisecond
	if !color {
		pw.Style().Colors = progress.StyleColors{}
	}
	tr := &progress.Tracker{Message: what, Total: int64(total), Units: progress.UnitsDefault}
	pw.AppendTracker(tr)
	return pw, tr
}
