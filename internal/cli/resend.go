package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/progress"
	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

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
		Use:   "resend REF...|- | --expired | --pending --not-sent-since DURATION [--max-sends N]",
		Short: "Send invitations again",
		Long: `Sends invitations again. A pending invitation gets the same link again (its
expiry does not move). An expired one first gets a fresh link valid for one
year, and the old link stays dead. Accepted and revoked invitations are
already resolved: nothing is sent (exit 4).

--expired resends every expired invitation (of one customer with --customer)
over one mail connection, with a progress bar on a terminal and a summary.
--dry-run prints what would happen to each and changes nothing.

REF is an invitation's ID or email; - reads REFs from stdin, one a line.
Every REF is reported in the order given (a REF given twice is resent once);
-o json prints {"results":[{"ref","id","outcome","error"}],"done","failed"}
and the exit code is the highest of all REFs.

Reminders: --pending --not-sent-since 7d sends the same link again to every
pending invitation whose latest email was delivered longer ago than that and
has no email queued or failed since; --max-sends N skips those already sent N
emails. Run twice in a row, the second run sends nothing: safe in cron.`,
		Example: `  invitectl resend 42
  invitectl resend 42 43 asa@example.com
  invitectl resend --expired --customer "Acme AB" --dry-run
  invitectl resend --expired -o json
  invitectl list --delivery failed --all --jq '.invitations[].id' | invitectl resend -
  invitectl resend --pending --not-sent-since 7d --max-sends 3`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var modes []string
			for i, on := range []bool{len(args) > 0, opts.Expired, opts.Pending} {
				if on {
					modes = append(modes, []string{"REFs", "--expired", "--pending"}[i])
				}
			}
			switch {
			case len(modes) == 0:
				return usageError("pass invitation REFs (or - to read them from stdin), --expired, or --pending --not-sent-since DURATION", "resend needs REFs, --expired or --pending")
			case len(modes) > 1:
				return usageError("run them one at a time: resend takes REFs, --expired or --pending, one of them", "%s cannot be combined", strings.Join(modes, " and "))
			}
			if opts.Pending != cmd.Flags().Changed("not-sent-since") {
				return usageError("remind with --pending --not-sent-since DURATION, e.g. --not-sent-since 7d", "--pending and --not-sent-since go together")
			}
			if cmd.Flags().Changed("max-sends") && (!opts.Pending || opts.MaxSends < 1) {
				return usageError("use --max-sends N (at least 1) with --pending", "invalid --max-sends")
			}
			var err error
			if opts.Pending {
				if opts.NotSentSince, err = parseAge("--not-sent-since", notSentSince); err != nil {
					return err
				}
			}
			if opts.Refs, err = readRefs(args, f.IO.In); err != nil {
				return err
			}
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
	cmd.Flags().StringVar(&notSentSince, "not-sent-since", "", "with --pending: whose latest email was delivered longer ago than `DURATION` (7d, 36h)")
	cmd.Flags().IntVar(&opts.MaxSends, "max-sends", 0, "with --pending: skip invitations already sent `N` emails")
	cmd.ValidArgsFunction = completeRefs(f)
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return cmd
}

func resendRun(ctx context.Context, opts *ResendOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	now := opts.Now()
	var targets []invite.Invitation
	// results has a row per REF in the order given (per invitation with
	// --expired and --pending); at says which rows an invitation fills: a
	// REF given twice (or as its ID and its email) is resent once.
	var results []refResult
	at := map[int64][]int{}
	switch {
	case opts.Expired, opts.Pending:
		q := invite.ListQuery{Status: invite.FilterExpired, Now: now}
		if opts.Pending {
			q = invite.ListQuery{Status: invite.FilterPending, Now: now, SentBefore: now.Add(-opts.NotSentSince), MaxSends: opts.MaxSends}
		}
		if targets, err = allMatching(ctx, svc, opts.Customer, q); err != nil {
			return err
		}
		for i, inv := range targets {
			at[inv.ID] = []int{i}
			results = append(results, refResult{Ref: strconv.FormatInt(inv.ID, 10)})
		}
	default:
		for _, ref := range opts.Refs {
			inv, err := svc.Resolve(ctx, ref, opts.Customer)
			if err != nil {
				printError(opts.IO.ErrOut, err)
				results = append(results, failedRef(ref, 0, "", err))
				continue
			}
			if _, twice := at[inv.ID]; !twice {
				targets = append(targets, inv)
			}
			at[inv.ID] = append(at[inv.ID], len(results))
			results = append(results, refResult{Ref: ref})
		}
	}
	// set fills the rows of inv with what happened (or would) to it.
	set := func(inv invite.Invitation, plan invite.ResendPlan, err error) {
		outcome := resendOutcome(plan, opts.DryRun)
		for _, i := range at[inv.ID] {
			if err != nil {
				results[i] = failedRef(results[i].Ref, inv.ID, inv.Email, err)
			} else {
				results[i] = doneRef(results[i].Ref, inv.ID, inv.Email, outcome)
			}
		}
	}
	sent := 0 // emails this run sent, for the line an interrupt prints
	if opts.DryRun {
		for _, inv := range targets {
			plan := invite.PlanResend(inv, now)
			var err error
			if plan == invite.PlanRefused {
				err = invite.ErrAlreadyResolved.Explain("invitation %d (%s) is already %s and cannot be resent", inv.ID, inv.Email, inv.Status(now)).
					With(invite.About{ID: inv.ID})
			}
			set(inv, plan, err)
		}
	} else {
		var bar *progressBar
		if opts.Expired && opts.IO.ErrTTY && opts.Output == "table" && len(targets) > 1 {
			bar = startProgress(opts.IO, opts.Color, "Resending", len(targets))
		}
		// Reported one at a time, in the order of targets, while the batch
		// goes on: the emails of the invitations after this one may already
		// be on their way.
		var stayed []error // emails left queued by a failed connection
		report := func(res invite.ResendResult) {
			out, plan, err := res.Invitation, res.Plan, res.Err
			if res.Elsewhere {
				// Not a failure: another resend or deliverer has it.
				for _, i := range at[out.ID] {
					results[i] = doneRef(results[i].Ref, out.ID, out.Email, outcomeSentElsewhere)
				}
				if opts.Output == "table" {
					fmt.Fprintf(opts.IO.Out, "Invitation %d: the email to %s is being sent by another deliverer.\n", out.ID, termSafe(out.Email))
				}
				bar.increment()
				return
			}
			if err == nil {
				sent++
			}
			set(out, plan, err)
			if errors.Is(err, invite.ErrNotSent) {
				// Left queued when the connection failed, which was said
				// once: summed up after the batch, not one line each.
				stayed = append(stayed, err)
			} else if err != nil {
				printError(opts.IO.ErrOut, err)
			} else if !opts.Expired && !opts.Pending && opts.Output == "table" {
				how := "the same link"
				if plan == invite.PlanNewLink {
					how = "a new link"
				}
				fmt.Fprintf(opts.IO.Out, "Resent invitation %d to %s with %s, valid until %s.\n", out.ID, termSafe(out.Email), how, out.ExpiresAt.Format("2006-01-02"))
			}
			bar.increment()
		}
		// Its only error is a cancelled ctx, returned after the summary.
		if opts.Pending {
			err = svc.Remind(ctx, opts.Actor, targets, report)
		} else {
			err = svc.ResendBatch(ctx, opts.Actor, targets, report)
		}
		bar.done()
		printStayed(opts.IO.ErrOut, stayed)
	}
	batch := newBatchReport(results)
	if werr := printResendResults(opts, batch); werr != nil {
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
	return batch.exit()
}

// printStayed reports the emails a failed mail connection left queued:
// one as it is, several in one line.
func printStayed(w io.Writer, stayed []error) {
	if len(stayed) < 2 {
		for _, err := range stayed {
			printError(w, err)
		}
		return
	}
	printError(w, invite.Errorf(invite.EDELIVERY, "the emails of %d more invitations stay queued: the mail connection failed (see above)", len(stayed)).
		WithHint("they stay in the outbox; `invitectl deliver` sends them once the server answers"))
}

// resendOutcome is the outcome of a resend done (or, in a dry run, planned) with plan.
func resendOutcome(plan invite.ResendPlan, dryRun bool) string {
	switch {
	case plan == invite.PlanNewLink && dryRun:
		return outcomeWouldRenew
	case plan == invite.PlanNewLink:
		return outcomeRenewed
	case dryRun:
		return outcomeWouldResend
	}
	return outcomeResent
}

func printResendResults(opts *ResendOptions, batch batchReport) error {
	out := opts.IO.Out
	if opts.Output != "table" {
		return batch.write(out, opts.Output)
	}
	n := len(batch.Results)
	undelivered := 0
	for _, r := range batch.Results {
		if r.Outcome == outcomeNotDelivered {
			undelivered++
		}
	}
	switch {
	case opts.Expired && n == 0:
		_, err := fmt.Fprintln(out, "No expired invitations to resend.")
		return err
	case opts.Pending && n == 0:
		_, err := fmt.Fprintln(out, "No pending invitations need a reminder.")
		return err
	case opts.DryRun:
		return printResendPlan(opts, batch)
	case opts.Pending:
		msg := fmt.Sprintf("Reminded %d of %d pending %s with the same link.", batch.Done, n, plural(n, "invitation", "invitations"))
		if undelivered > 0 {
			msg += fmt.Sprintf(" %d could not be delivered (see above); their emails wait in the outbox for `invitectl deliver`.", undelivered)
		}
		_, err := fmt.Fprintln(out, msg)
		return err
	case opts.Expired:
		msg := fmt.Sprintf("Resent %d of %d expired %s with a new link.", batch.Done, n, plural(n, "invitation", "invitations"))
		if undelivered > 0 {
			msg += fmt.Sprintf(" %d could not be delivered (see above); their new links are saved and their emails wait in the outbox for `invitectl deliver`.", undelivered)
		}
		_, err := fmt.Fprintln(out, msg)
		return err
	}
	return nil
}

// printResendPlan is the table of a dry run: what would happen to each REF.
func printResendPlan(opts *ResendOptions, batch batchReport) error {
	out := opts.IO.Out
	st := opts.style()
	t := wideTable{header: table.Row{"REF", "ID", "Email", "Would"}, columns: resendPlanColumns()}
	for _, r := range batch.Results {
		would := map[string]string{outcomeWouldResend: "resend the same link", outcomeWouldRenew: "send a new link",
			outcomeAlreadyResolved: "nothing: already resolved", outcomeNotFound: "nothing: not found"}[r.Outcome]
		if would == "" {
			would = "nothing: " + strings.ReplaceAll(r.Outcome, "_", " ")
		}
		t.rows = append(t.rows, table.Row{r.Ref, dash(cellText(r.ID)), dash(r.email), would})
	}
	t.render(out, st)
	n := len(batch.Results)
	what := fmt.Sprintf("%d of %d %s would be resent", batch.Done, n, plural(n, "invitation", "invitations"))
	if batch.Done == n {
		what = fmt.Sprintf("%d %s would be resent", n, plural(n, "invitation", "invitations"))
	}
	_, err := fmt.Fprintf(out, "Dry run: nothing was sent or changed; %s.\n", what)
	return err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// allMatching collects every invitation q selects, from one snapshot, before
// any is changed.
func allMatching(ctx context.Context, svc *invite.Service, customer string, q invite.ListQuery) ([]invite.Invitation, error) {
	q.Sort = invite.Sort{Field: invite.SortSentOn}
	if customer != "" {
		c, err := svc.Customer(ctx, customer)
		if err != nil {
			return nil, err
		}
		q.CustomerID = c.ID
	}
	var all []invite.Invitation
	if err := svc.StreamInvitations(ctx, q, func(inv invite.Invitation) error {
		all = append(all, inv)
		return nil
	}); err != nil {
		return nil, err
	}
	// In ID order, invitations next to each other in the batch are next to
	// each other in the store too: its transactions then write fewer pages.
	slices.SortFunc(all, func(a, b invite.Invitation) int { return cmp.Compare(a.ID, b.ID) })
	return all, nil
}

// progressBar is a progress bar on stderr; a nil one does nothing, so that
// callers need not ask whether there is a terminal to draw on.
type progressBar struct {
	tracker *progress.Tracker
	// rendered is closed when the bar has been drawn for the last time.
	rendered chan struct{}
}

// startProgress draws a progress bar for total steps on io's stderr.
func startProgress(io *IOStreams, color bool, what string, total int) *progressBar {
	if io.Quiet {
		return nil
	}
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
	b := &progressBar{tracker: tr, rendered: make(chan struct{})}
	go func() {
		defer close(b.rendered)
		pw.Render() // returns once every tracker is done (auto-stop)
	}()
	return b
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
	<-b.rendered
}
