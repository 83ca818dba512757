package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/progress"
	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/invitectl/invitectl/internal/invite"
)

// ResendOptions are the inputs of `resend`.
type ResendOptions struct {
	common
	// Service is the mailing service, or the plain one for a dry run.
	Service func(context.Context) (*invite.Service, error)

	Refs     []string
	Expired  bool   // every expired invitation instead of Refs
	Customer string // with Expired or Pending: only this customer's; with Refs: the customer of an email REF
	DryRun   bool
	// Reminders: every pending invitation whose latest email was delivered
	// longer ago than NotSentSince (and none is queued or failed since),
	// skipping those sent MaxSends emails already (0: no limit).
	Pending      bool
	NotSentSince time.Duration
	MaxSends     int
}

// NewCmdResend builds `resend`; runF replaces resendRun in tests.
func NewCmdResend(f *Factory, runF func(*ResendOptions) error) *cobra.Command {
	opts := &ResendOptions{}
	var notSentSince string
	cmd := &cobra.Command{
		Use:   "resend REF... | --expired | --pending --not-sent-since DURATION [--max-sends N]",
		Short: "Send invitations again",
		Long: `Sends invitations again. A pending invitation gets the same link again (its
expiry does not move). An expired one first gets a fresh link valid for one
year, and the old link stays dead. Accepted and revoked invitations are
already resolved: nothing is sent (exit 4).

--expired resends every expired invitation (of one customer with --customer)
over one mail connection, with a progress bar on a terminal and a summary.
--dry-run prints what would happen to each and changes nothing.

Reminders: --pending --not-sent-since 7d sends the same link again to every
pending invitation whose latest email was delivered longer ago than that and
has no email queued or failed since; --max-sends N skips those already sent N
emails. Run twice in a row, the second run sends nothing: safe in cron.`,
		Example: `  invitectl resend 42
  invitectl resend 42 43 asa@example.com
  invitectl resend --expired --customer "Acme AB" --dry-run
  invitectl resend --expired -o json
  invitectl resend --pending --not-sent-since 7d --max-sends 3`,
		RunE: func(cmd *cobra.Command, args []string) error {
			modes := 0
			for _, on := range []bool{len(args) > 0, opts.Expired, opts.Pending} {
				if on {
					modes++
				}
			}
			if modes != 1 {
				return usageError("pass invitation REFs, --expired, or --pending --not-sent-since DURATION (one of them)", "resend needs REFs, --expired or --pending")
			}
			if opts.Pending != cmd.Flags().Changed("not-sent-since") {
				return usageError("remind with --pending --not-sent-since DURATION, e.g. --not-sent-since 7d", "--pending and --not-sent-since go together")
			}
			if cmd.Flags().Changed("max-sends") && (!opts.Pending || opts.MaxSends < 1) {
				return usageError("use --max-sends N (at least 1) with --pending", "invalid --max-sends")
			}
			if opts.Pending {
				var err error
				if opts.NotSentSince, err = parseAge("--not-sent-since", notSentSince); err != nil {
					return err
				}
			}
			opts.Refs = args
			opts.Service = f.serviceFor(!opts.DryRun)
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return resendRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Expired, "expired", false, "resend every expired invitation")
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "with --expired: only this customer's invitations; with REFs: the customer of an email REF")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print what would happen and change nothing")
	cmd.Flags().BoolVar(&opts.Pending, "pending", false, "remind pending invitations (with --not-sent-since)")
	cmd.Flags().StringVar(&notSentSince, "not-sent-since", "", "with --pending: whose latest email was delivered longer ago than this (7d, 36h)")
	cmd.Flags().IntVar(&opts.MaxSends, "max-sends", 0, "with --pending: skip invitations already sent this many emails")
	cmd.ValidArgsFunction = completeRefs(f)
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return cmd
}

func resendRun(ctx context.Context, opts *ResendOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	var w worst
	var targets []invite.Invitation
	var results []refResult
	now := opts.Now()
	switch {
	case opts.Expired:
		q := invite.ListQuery{Status: invite.FilterExpired, Now: now}
		if targets, err = allMatching(ctx, svc, opts.Customer, q); err != nil {
			return err
		}
	case opts.Pending:
		q := invite.ListQuery{Status: invite.FilterPending, Now: now, SentBefore: now.Add(-opts.NotSentSince), MaxSends: opts.MaxSends}
		if targets, err = allMatching(ctx, svc, opts.Customer, q); err != nil {
			return err
		}
	default:
		for _, ref := range opts.Refs {
			inv, err := svc.Resolve(ctx, ref, opts.Customer)
			if err != nil {
				w.add(err)
				printError(opts.IO.ErrOut, err)
				results = append(results, failedRef(ref, err))
				continue
			}
			targets = append(targets, inv)
		}
	}
	refOf := func(inv invite.Invitation) string {
		for _, ref := range opts.Refs {
			if ref == strconv.FormatInt(inv.ID, 10) || strings.EqualFold(ref, inv.Email) {
				return ref
			}
		}
		return strconv.FormatInt(inv.ID, 10)
	}
	sent, failed := 0, 0
	if opts.DryRun {
		now := opts.Now()
		for _, inv := range targets {
			r := refResult{Ref: refOf(inv), ID: inv.ID, Email: inv.Email, Plan: string(invite.PlanResend(inv, now)), Outcome: "planned"}
			if r.Plan == string(invite.PlanRefused) {
				r.Plan = "refused: " + string(inv.Status(now))
			}
			results = append(results, r)
		}
	} else {
		var bar *progressBar
		if opts.Expired && opts.IO.ErrTTY && opts.Output == "table" && len(targets) > 1 {
			bar = startProgress(opts.IO, opts.Color, "Resending", len(targets))
		}
		// Reported one at a time, in the order of targets, while the batch
		// goes on: the emails of the invitations after this one may already
		// be on their way.
		report := func(res invite.ResendResult) {
			out, plan, err := res.Invitation, res.Plan, res.Err
			r := refResult{Ref: refOf(out), ID: out.ID, Email: out.Email, Plan: string(plan)}
			if res.Elsewhere {
				// Not a failure: another resend or deliverer has it.
				r.Outcome = "sent_elsewhere"
				if opts.Output == "table" {
					fmt.Fprintf(opts.IO.Out, "Invitation %d: the email to %s is being sent by another deliverer.\n", out.ID, termSafe(out.Email))
				}
			} else if err == nil {
				r.Outcome = "sent"
				sent++
				if !opts.Expired && opts.Output == "table" {
					how := "the same link"
					if plan == invite.PlanNewLink {
						how = "a new link"
					}
					fmt.Fprintf(opts.IO.Out, "Resent invitation %d to %s with %s, valid until %s.\n", out.ID, termSafe(out.Email), how, out.ExpiresAt.Format("2006-01-02"))
				}
			} else {
				w.add(err)
				r.Outcome, r.Error = outcomeOf(err), errorText(err)
				if r.Outcome == "failed" {
					failed++
				}
				printError(opts.IO.ErrOut, err)
			}
			results = append(results, r)
			bar.increment()
		}
		// Its only error is a cancelled ctx, returned after the summary.
		if opts.Pending {
			err = svc.Remind(ctx, opts.Actor, targets, report)
		} else {
			err = svc.ResendBatch(ctx, opts.Actor, targets, report)
		}
		bar.done()
	}
	// Several connections deliver at once and report as they finish: the
	// results go out in the order of the targets (given, or by ID).
	pos := make(map[int64]int, len(targets))
	for i, inv := range targets {
		pos[inv.ID] = i + 1
	}
	slices.SortStableFunc(results, func(a, b refResult) int { return cmp.Compare(pos[a.ID], pos[b.ID]) })
	if werr := printResendResults(opts, results, len(targets), sent, failed); werr != nil {
		return werr
	}
	if errors.Is(err, context.Canceled) || err == nil && ctx.Err() != nil {
		// Interrupted: the message on the wire was finished, every other
		// claimed email given back; say what waits for `deliver`.
		return interrupted(context.WithoutCancel(ctx), opts.IO, opts.Output, svc, sent, len(targets))
	}
	if err != nil {
		return err
	}
	return w.err()
}

func printResendResults(opts *ResendOptions, results []refResult, targets, sent, failed int) error {
	out := opts.IO.Out
	switch opts.Output {
	case "json":
		return writeJSON(out, struct {
			Results []refResult `json:"results"`
			Resent  int         `json:"resent"`
			Failed  int         `json:"failed"`
			DryRun  bool        `json:"dry_run"`
		}{nonNil(results), sent, failed, opts.DryRun})
	case "csv":
		return writeRefResultsCSV(out, results)
	}
	switch {
	case opts.DryRun:
		t := opts.style().newTable(out)
		t.AppendHeader(table.Row{"ID", "Email", "Would"})
		for _, r := range results {
			t.AppendRow(table.Row{r.ID, r.Email, r.Plan})
		}
		t.Render()
		_, err := fmt.Fprintf(out, "Dry run: nothing was sent or changed (%d invitations).\n", len(results))
		return err
	case opts.Expired && targets == 0:
		_, err := fmt.Fprintln(out, "No expired invitations to resend.")
		return err
	case opts.Pending && targets == 0:
		_, err := fmt.Fprintln(out, "No pending invitations need a reminder.")
		return err
	case opts.Pending:
		msg := fmt.Sprintf("Reminded %d of %d pending %s with the same link.", sent, targets, plural(targets, "invitation", "invitations"))
		if failed > 0 {
			msg += fmt.Sprintf(" %d could not be delivered (see above); their emails wait in the outbox for `invitectl deliver`.", failed)
		}
		_, err := fmt.Fprintln(out, msg)
		return err
	case opts.Expired:
		msg := fmt.Sprintf("Resent %d of %d expired %s with a new link.", sent, targets, plural(targets, "invitation", "invitations"))
		if failed > 0 {
			msg += fmt.Sprintf(" %d could not be delivered (see above); their new links are saved and their emails wait in the outbox for `invitectl deliver`.", failed)
		}
		_, err := fmt.Fprintln(out, msg)
		return err
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// allMatching collects every invitation q selects before any is changed, so that
// resending does not shift the pages being read. The pages after the first
// are read a few at a time, in parallel.
func allMatching(ctx context.Context, svc *invite.Service, customer string, q invite.ListQuery) ([]invite.Invitation, error) {
	q.Sort, q.Page, q.PerPage = invite.Sort{Field: invite.SortSentOn}, 1, invite.MaxPerPage
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
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(pageReaders)
	for i := 1; i < len(pages); i++ {
		g.Go(func() error {
			pq := q
			pq.Page = i + 1
			p, err := svc.Store.ListInvitations(gctx, pq)
			pages[i] = p.Invitations
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
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

// progressBar is a progress bar on stderr; a nil one does nothing, so that
// callers need not ask whether there is a terminal to draw on.
type progressBar struct {
	w       progress.Writer
	tracker *progress.Tracker
}

// startProgress draws a progress bar for total steps on io's stderr.
func startProgress(io *IOStreams, color bool, what string, total int) *progressBar {
	pw := progress.NewWriter()
	pw.SetOutputWriter(io.ErrOut)
	pw.SetAutoStop(true)
	pw.SetUpdateFrequency(100 * time.Millisecond)
	// The message first, so that a line cut to the terminal keeps it; one
	// column short of the edge, where a full line would wrap and the bar's
	// redraw leave copies of itself behind.
	pw.SetTrackerPosition(progress.PositionRight)
	if io.Width > 1 {
		pw.SetTerminalWidth(io.Width - 1)
	}
	pw.SetStyle(progress.StyleBlocks)
	pw.Style().Visibility.ETA = true
	pw.Style().Visibility.Speed = true
	pw.Style().Visibility.Value = true
	pw.Style().Options.TimeDonePrecision = 100 * time.Millisecond
	pw.Style().Options.TimeInProgressPrecision = 100 * time.Millisecond
	if !color {
		pw.Style().Colors = progress.StyleColors{}
	}
	tr := &progress.Tracker{Message: what, Total: int64(total), Units: progress.UnitsDefault}
	pw.AppendTracker(tr)
	go pw.Render()
	return &progressBar{w: pw, tracker: tr}
}

func (b *progressBar) increment() { b.add(1) }

func (b *progressBar) add(n int) {
	if b != nil {
		b.tracker.Increment(int64(n))
	}
}

// done finishes the bar and waits until it is drawn for the last time.
func (b *progressBar) done() {
	if b == nil {
		return
	}
	b.tracker.MarkAsDone()
	for b.w.IsRenderInProgress() {
		time.Sleep(10 * time.Millisecond)
	}
}
