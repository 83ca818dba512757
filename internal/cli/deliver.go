package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

// DeliverOptions are the inputs of `deliver`.
type DeliverOptions struct {
	common
	// Service is the mailing service, or the plain one for a dry run.
	Service func(context.Context) (*invite.Service, error)
	// Events is the webhook receiver; nil when none is configured.
	Events func() (*eventSender, error)

	Customer    string
	RetryFailed bool
	DryRun      bool
}

// NewCmdDeliver builds `deliver`; runF replaces deliverRun in tests.
func NewCmdDeliver(f *Factory, runF func(*DeliverOptions) error) *cobra.Command {
	opts := &DeliverOptions{}
	cmd := &cobra.Command{
		Use:   "deliver [--customer NAME] [--retry-failed] [--dry-run]",
		Short: "Send the emails waiting in the outbox",
		Long: `Every invitation email is queued in the outbox in the same transaction as the
change that causes it; invite, import and resend then deliver what they
queued. An email that could not be delivered waits there: queued after a
temporary failure (4xx, network), failed after a permanent one (5xx).

deliver attempts every queued email now, once, over smtp.connections
connections at once (default 4), with a progress bar on a terminal and a
summary. Emails refused for good (5xx) in an earlier run
are counted, not retried, unless --retry-failed is given (or the
invitation is resent). Only an invitation's latest link is ever sent.

It exits 5 if an email it attempted is still undelivered. After a failure
of the connection itself (refused, timeout, TLS, authentication) it opens
no new connection: the rest stay queued. Emails another deliverer is
sending (a serve-accept --deliver, another deliver) are counted and left
to it. Ctrl-C finishes the email on the wire, leaves the rest queued and
exits 6.

With webhook.url set, the queued webhook events are sent after the emails,
once each, one invitation's in the order their changes were made; deliver
also exits 5 if an event it attempted was not delivered.`,
		Example: `  invitectl deliver
  invitectl deliver --customer "Acme AB" --dry-run
  invitectl deliver --retry-failed
  invitectl deliver -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Service = f.serviceFor(!opts.DryRun)
			opts.Events = f.eventSender
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return deliverRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "only this customer's emails")
	cmd.Flags().BoolVar(&opts.RetryFailed, "retry-failed", false, "also attempt the emails refused for good (5xx) in an earlier run")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "list what would be attempted and send nothing")
	_ = cmd.RegisterFlagCompletionFunc("customer", completeCustomers(f))
	return cmd
}

func deliverRun(ctx context.Context, opts *DeliverOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	var customerID int64
	if opts.Customer != "" {
		c, err := svc.Customer(ctx, opts.Customer)
		if err != nil {
			return err
		}
		customerID = c.ID
	}
	// count says how many emails are queued and failed: of the whole
	// outbox (an index of its undelivered rows answers), or of one
	// customer's invitations.
	count := func(ctx context.Context) (int, int, error) {
		if customerID == 0 {
			d, err := svc.OutboxDepth(ctx)
			return d.Queued, d.Failed, err
		}
		q, err := svc.CountInvitations(ctx, invite.ListQuery{Status: invite.FilterAll, Delivery: invite.DeliveryQueued, CustomerID: customerID, Now: opts.Now()})
		if err != nil {
			return 0, 0, err
		}
		f, err := svc.CountInvitations(ctx, invite.ListQuery{Status: invite.FilterAll, Delivery: invite.DeliveryFailed, CustomerID: customerID, Now: opts.Now()})
		return q, f, err
	}
	queued, failed, err := count(ctx)
	if err != nil {
		return err
	}
	attempting := queued
	if opts.RetryFailed {
		attempting += failed
	}
	if opts.DryRun {
		return printDeliverPlan(ctx, opts, svc, deliverResult{Remaining: queued + failed, DryRun: true, Attempting: attempting})
	}
	var events *eventSender
	if opts.Events != nil {
		if events, err = opts.Events(); err != nil {
			return err
		}
	}
	var bar *progressBar
	if opts.IO.ErrTTY && opts.Output == "table" && attempting > 1 {
		bar = startProgress(opts.IO, opts.Color, "Delivering", attempting)
	}
	sum, err := svc.Deliver(ctx, invite.DeliverRequest{CustomerID: customerID, RetryFailed: opts.RetryFailed, Actor: opts.Actor, Report: func(o invite.DeliveryOutcome) {
		bar.increment()
		// A connection failure is said once, at the end, with its hint.
		if (o.State == invite.DeliveryFailed || o.State == invite.DeliveryQueued) && !invite.ConnectionFailed(o.Cause) {
			printError(opts.IO.ErrOut, fmt.Errorf("invitation %d: the email to %s: %s", o.Claim.InvitationID, o.Claim.Invitation.Email, o.Error))
		}
	}})
	bar.done()
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return err
	}
	// Counted after an interrupt too: what stays is the next run's.
	queued, failed, err = count(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	res := deliverResult{Sent: sum.Sent, Failed: sum.Failed, FailedEarlier: max(failed-sum.Failed, 0),
		Remaining: failed + queued, Elsewhere: sum.Elsewhere, Attempting: attempting}
	var esum invite.EventSummary
	if events != nil && !interrupted {
		if esum, res.Webhooks, err = deliverEvents(ctx, opts, svc, events); errors.Is(err, context.Canceled) {
			interrupted = true
		} else if err != nil {
			return err
		}
	}
	if interrupted {
		if werr := printDeliverSummary(opts, res, interruptedLine(sum.Sent, attempting, queued)); werr != nil {
			return werr
		}
		return silentExit(ExitCancelled)
	}
	if werr := printDeliverSummary(opts, res, ""); werr != nil {
		return werr
	}
	if sum.Stopped != nil {
		return &exitError{code: ExitDelivery, err: sum.Stopped}
	}
	// Only what this run attempted and left undelivered is its failure;
	// emails another deliverer is sending are not, nor those refused in an
	// earlier run.
	if n := sum.Undelivered(); n > 0 {
		return &exitError{code: ExitDelivery, err: invite.ErrNotDelivered.Explain("%d %s not delivered", n, plural(n, "email is", "emails are"))}
	}
	if n := esum.Undelivered(); n > 0 {
		return &exitError{code: ExitDelivery, err: &invite.Error{Code: invite.EDELIVERY,
			Message: fmt.Sprintf("%d webhook %s not delivered", n, plural(n, "event is", "events are")),
			Hint:    "queued events stay for the next `invitectl deliver`; `invitectl webhook status` lists them and `invitectl webhook test` checks the receiver"}}
	}
	if res.FailedEarlier > 0 && opts.Output == "table" {
		fmt.Fprintln(opts.IO.ErrOut, "invitectl: hint: an address refused for good cannot be edited: revoke the invitation (`invitectl revoke REF`), then invite the right address; `invitectl deliver --retry-failed` tries the refused ones again")
	}
	return nil
}

// deliverEvents sends the queued webhook events once each, after the
// emails, and counts what is left.
func deliverEvents(ctx context.Context, opts *DeliverOptions, svc *invite.Service, sender *eventSender) (invite.EventSummary, *eventsResult, error) {
	if !svc.KeepsEvents() {
		return invite.EventSummary{}, nil, nil
	}
	sum, err := svc.DeliverEvents(ctx, sender, invite.EventRequest{Failed: opts.RetryFailed, Report: func(o invite.EventOutcome) {
		if o.State != invite.EventDelivered {
			printError(opts.IO.ErrOut, fmt.Errorf("webhook event %s (%s): %s", o.Claim.WebhookID, o.Claim.Type, termSafe(o.Error)))
		}
	}})
	if err != nil {
		return sum, nil, err
	}
	st, err := svc.EventStatus(context.WithoutCancel(ctx))
	if err != nil {
		return sum, nil, err
	}
	return sum, &eventsResult{Sent: sum.Delivered, Failed: st.Failed, Remaining: st.Queued + st.Failed, Elsewhere: sum.Elsewhere}, nil
}

// deliverResult is what `deliver` prints.
type deliverResult struct {
	Sent          int  `json:"sent"`
	Failed        int  `json:"failed"`         // refused for good in this run
	FailedEarlier int  `json:"failed_earlier"` // refused in an earlier run, not retried
	Remaining     int  `json:"remaining"`      // queued and failed after the run
	Elsewhere     int  `json:"elsewhere"`      // being sent by another deliverer
	DryRun        bool `json:"dry_run"`
	Attempting    int  `json:"-"` // what the run set out to attempt
	// Webhooks counts the webhook events the same way, when a receiver is
	// configured.
	Webhooks *eventsResult `json:"webhooks,omitempty"`
}

// eventsResult is what `deliver` prints of the webhook events.
type eventsResult struct {
	Sent      int `json:"sent"`
	Failed    int `json:"failed"`
	Remaining int `json:"remaining"`
	Elsewhere int `json:"elsewhere"`
}

// printDeliverSummary prints res; line, when set, is the table's summary.
func printDeliverSummary(opts *DeliverOptions, res deliverResult, line string) error {
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, res)
	}
	if opts.Output == "csv" {
		return writeCSV(opts.IO.Out, []string{"sent", "failed", "failed_earlier", "remaining", "elsewhere"},
			[][]string{{fmt.Sprint(res.Sent), fmt.Sprint(res.Failed), fmt.Sprint(res.FailedEarlier), fmt.Sprint(res.Remaining), fmt.Sprint(res.Elsewhere)}})
	}
	queued := res.Remaining - res.Failed - res.FailedEarlier - res.Elsewhere
	switch {
	case line != "":
	case res.DryRun:
		line = fmt.Sprintf("Dry run: %d %s would be attempted; nothing was sent.", res.Attempting, plural(res.Attempting, "email", "emails"))
		if n := res.Remaining - res.Attempting; n > 0 {
			line += fmt.Sprintf(" %d failed earlier: invitectl list --delivery failed", n)
		}
	case res.Sent == 0 && res.Remaining == 0 && res.Webhooks != nil && res.Webhooks.Sent+res.Webhooks.Remaining > 0:
		line = "No email to deliver."
	case res.Sent == 0 && res.Remaining == 0:
		line = "Nothing to deliver: the outbox is empty."
	default:
		line = fmt.Sprintf("Delivered %d %s.", res.Sent, plural(res.Sent, "email", "emails"))
		if res.Failed+queued > 0 {
			line += fmt.Sprintf(" %d failed and %d still queued; they stay in the outbox.", res.Failed, queued)
		}
		if res.Elsewhere > 0 {
			line += fmt.Sprintf(" %d %s being sent by another deliverer.", res.Elsewhere, plural(res.Elsewhere, "is", "are"))
		}
		if res.FailedEarlier > 0 {
			line += fmt.Sprintf(" %d failed earlier: invitectl list --delivery failed", res.FailedEarlier)
		}
	}
	if w := res.Webhooks; w != nil && (w.Sent > 0 || w.Remaining > 0) {
		line += fmt.Sprintf("\nDelivered %d webhook %s.", w.Sent, plural(w.Sent, "event", "events"))
		if w.Remaining-w.Elsewhere > 0 {
			line += fmt.Sprintf(" %d failed and %d still queued; `invitectl webhook status` lists them.", w.Failed, w.Remaining-w.Failed-w.Elsewhere)
		}
		if w.Elsewhere > 0 {
			line += fmt.Sprintf(" %d %s being sent by another deliverer.", w.Elsewhere, plural(w.Elsewhere, "is", "are"))
		}
	}
	_, err := fmt.Fprintln(opts.IO.Out, line)
	return err
}

// interruptedLine says what an interrupted run sent and what it left.
func interruptedLine(sent, of, left int) string {
	return fmt.Sprintf("Sent %d of %d; %d stay queued: run invitectl deliver", sent, of, left)
}

// interrupted ends a command whose emails an interrupt cut short: it says
// how many were sent and how many wait in the outbox, and exits 6.
func interrupted(ctx context.Context, io *IOStreams, output string, svc *invite.Service, sent, of int) error {
	depth, err := svc.OutboxDepth(ctx)
	if err != nil {
		return err
	}
	if output == "table" {
		fmt.Fprintln(io.Out, interruptedLine(sent, of, depth.Queued))
	}
	return silentExit(ExitCancelled)
}
