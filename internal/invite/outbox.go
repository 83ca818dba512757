package invite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
)

// The mail outbox. Every email is a delivery: a row written in the same
// transaction as the change that causes it (an invitation, a resend, a
// fresh link), so that the change and its email commit or fail together.
// Deliver sends what is queued, renders each message with the invitation's
// link as it is at send time, and records what became of it. Delivery is at
// least once: a crash between the server's acknowledgement and the record
// can repeat one batch, never lose a message.

// DeliveryKind is why an email is sent.
type DeliveryKind string

// Kinds of delivery.
const (
	KindInvitation DeliveryKind = "invitation" // the first email, or one sent again
	KindReminder   DeliveryKind = "reminder"
)

// DeliveryState is where a delivery stands.
type DeliveryState string

// Delivery states. Queued and failed ones are undelivered; a superseded
// one was for a link that is no longer the invitation's (a newer
// generation, or an invitation resolved or expired meanwhile), and is never
// sent.
const (
	DeliveryQueued     DeliveryState = "queued"
	DeliverySent       DeliveryState = "sent"
	DeliveryFailed     DeliveryState = "failed"
	DeliverySuperseded DeliveryState = "superseded"
	// DeliveryReleased is an outcome only: the claim is given up unattempted.
	DeliveryReleased DeliveryState = "released"
	// DeliveryNone is an invitation's state when no email was ever asked
	// for (an invitation recorded without sending); no delivery has it.
	DeliveryNone DeliveryState = "none"
)

// Delivery is one email to send.
type Delivery struct {
	ID             int64
	InvitationID   int64
	Kind           DeliveryKind
	LinkGeneration int // the link it sends; another generation supersedes it
	State          DeliveryState
	Attempts       int
	NextAttemptAt  time.Time // a queued one is due from then
	LastError      string    // the last attempt's error, for people
	CreatedAt      time.Time
	SentAt         time.Time
}

// ClaimQuery selects the deliveries a deliverer takes.
type ClaimQuery struct {
	Now   time.Time
	Lease time.Duration // how long the claim holds others off
	Limit int
	// AfterID makes a run a single sweep: only deliveries with a greater ID,
	// taken in ID order, so that each is attempted once per run.
	AfterID int64
	// Due takes only queued deliveries whose next attempt is due (the
	// background deliverer's backoff); otherwise every queued and failed
	// one is taken (a person asked for it).
	Due bool
	// InvitationIDs, when set, limits the claim to these invitations'
	// deliveries (what one command queued). An invitation has at most one
	// undelivered delivery: queueing one supersedes the older.
	InvitationIDs []int64
	// CustomerID, when set, limits the claim to one customer's invitations.
	CustomerID int64
}

// ClaimedDelivery is a delivery a deliverer holds, with its invitation as
// it is now.
type ClaimedDelivery struct {
	Delivery
	Invitation Invitation
	// Token is the claim: finishing needs it, so that a deliverer whose
	// lease ran out cannot record over the one that took the row next.
	Token string
}

// DeliveryOutcome is what became of a claimed delivery.
type DeliveryOutcome struct {
	Claim ClaimedDelivery
	State DeliveryState // sent, queued (to retry), failed or superseded
	Error string        // the attempt's error; "" when sent
	At    time.Time     // when it was attempted
	Next  time.Time     // queued: when it is due again
	Event AuditEvent    // sent: the audit event recorded with it
}

// Outbox is the store's side of the outbox.
type Outbox interface {
	// ClaimDeliveries leases up to q.Limit of the deliveries q selects, in
	// ID order, until q.Now+q.Lease, and returns them with their
	// invitations. A delivery another deliverer holds (its lease not over)
	// is never returned: two deliverers never hold one delivery at once.
	ClaimDeliveries(ctx context.Context, q ClaimQuery) ([]ClaimedDelivery, error)
	// FinishDeliveries records outcomes in one transaction: the delivery's
	// new state, attempts and error, and the invitation's delivery state and
	// error; for a sent one also the invitation's send count and last sent
	// time, and the audit event; a released one only loses its claim. An
	// outcome whose claim is no longer held (another deliverer took the row
	// after the lease ran out) is skipped.
	FinishDeliveries(ctx context.Context, outcomes []DeliveryOutcome) error
	// OutboxDepth counts the undelivered emails.
	OutboxDepth(ctx context.Context) (OutboxDepth, error)
}

// OutboxDepth is what waits in the outbox: the emails queued (to be sent
// or retried) and failed (refused for good, until resent), and when the
// oldest queued one was queued (zero when none is).
type OutboxDepth struct {
	Queued, Failed int
	OldestQueued   time.Time
}

// How Deliver divides its work.
const (
	// DeliverBatch deliveries are claimed, sent and recorded at a time. A
	// batch is recorded while the next is sent (with one more waiting to be
	// recorded), so a crash can repeat at most three batches' emails (sent,
	// not yet recorded), never lose one.
	DeliverBatch = 25
	// deliverLease holds a batch; long enough for a batch of slow sends. A
	// deliverer killed mid-batch holds its rows this long; then any
	// deliverer sends them.
	deliverLease = 5 * time.Minute
	// claimSlice invitations' emails are claimed by one query at most.
	claimSlice = 500
	// composeAhead messages are written ahead of the one being sent.
	composeAhead = 8
)

// Backoff of temporary failures: 1, 2, 4 … minutes, at most an hour.
func retryDelay(attempts int) time.Duration {
	d := time.Minute << min(max(attempts-1, 0), 6)
	return min(d, time.Hour)
}

// DeliverRequest says what Deliver delivers.
type DeliverRequest struct {
	InvitationIDs []int64 // only these invitations' deliveries; nil for all that the rest selects
	CustomerID    int64
	Due           bool   // only queued deliveries that are due (background)
	Actor         string // recorded in the audit events of sent emails
	// Report, when set, is called once per attempted delivery, in order.
	Report func(DeliveryOutcome)
}

// DeliverySummary counts the outcomes of a Deliver.
type DeliverySummary struct {
	Sent, Failed, Retrying, Superseded int
}

// Undelivered is how many of the attempted deliveries are still to do.
func (s DeliverySummary) Undelivered() int { return s.Failed + s.Retrying }

// PermanentError is implemented by mail errors that retrying cannot fix
// (an SMTP 5xx answer); any other error is temporary.
type PermanentError interface {
	Permanent() bool
}

func permanent(err error) bool {
	var p PermanentError
	return errors.As(err, &p) && p.Permanent()
}

// Deliver sends the queued emails req selects, once each, in batches over
// the mailer's connection, and records each outcome: sent; queued again
// with the error and a later attempt time after a temporary failure;
// failed with the server's answer after a permanent one; superseded, never
// sent, when its link is no longer the invitation's current one. It stops
// when nothing more is selected or ctx is done, and returns what it did;
// the error is a store or context error, never a delivery's.
//
// Three goroutines share the work so that the store and the mail server
// are busy at once: one claims the next batch while the current one is
// sent, one records the batch before, in order, and calls Report after
// each batch is recorded.
func (s *Service) Deliver(ctx context.Context, req DeliverRequest) (DeliverySummary, error) {
	var sum DeliverySummary
	if s.Mailer == nil {
		return sum, ErrNoMailer
	}
	g, gctx := errgroup.WithContext(ctx)
	batches := make(chan []ClaimedDelivery, 1) // one claimed ahead
	g.Go(func() error {
		defer close(batches)
		// Many invitations are claimed a slice of them at a time: a query
		// takes only so many parameters.
		ids := req.InvitationIDs
		for {
			q := ClaimQuery{Lease: deliverLease, Limit: DeliverBatch, Due: req.Due, CustomerID: req.CustomerID}
			if req.InvitationIDs != nil {
				q.InvitationIDs, ids = ids[:min(claimSlice, len(ids))], ids[min(claimSlice, len(ids)):]
			}
			for gctx.Err() == nil {
				q.Now = s.now()
				claims, err := s.Store.ClaimDeliveries(gctx, q)
				if err != nil {
					return err
				}
				if len(claims) == 0 {
					break
				}
				q.AfterID = claims[len(claims)-1].ID
				select {
				case batches <- claims:
				case <-gctx.Done():
					return s.release(claims)
				}
			}
			if len(ids) == 0 || gctx.Err() != nil {
				return nil
			}
		}
	})
	done := make(chan []DeliveryOutcome, 1)
	g.Go(func() error {
		// What was sent is recorded even after a cancellation: it must not
		// be sent again.
		for outcomes := range done {
			if err := s.Store.FinishDeliveries(context.WithoutCancel(ctx), outcomes); err != nil {
				return err
			}
			for _, o := range outcomes {
				sum.count(o.State)
				if req.Report != nil {
					req.Report(o)
				}
			}
		}
		return nil
	})
	g.Go(func() error {
		defer close(done)
		for claims := range batches {
			outcomes, rest := s.deliverBatch(gctx, req.Actor, claims)
			done <- outcomes
			if len(rest) > 0 {
				return s.release(rest)
			}
		}
		return nil
	})
	err := g.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return sum, err
}

// release gives up claims that were not attempted, for the next deliverer.
func (s *Service) release(claims []ClaimedDelivery) error {
	outcomes := make([]DeliveryOutcome, len(claims))
	for i, c := range claims {
		outcomes[i] = DeliveryOutcome{Claim: c, State: DeliveryReleased}
	}
	return s.Store.FinishDeliveries(context.Background(), outcomes)
}

func (s *DeliverySummary) count(state DeliveryState) {
	switch state {
	case DeliverySent:
		s.Sent++
	case DeliveryFailed:
		s.Failed++
	case DeliveryQueued:
		s.Retrying++
	case DeliverySuperseded:
		s.Superseded++
	}
}

// deliverBatch sends one batch of claimed deliveries, writing the messages
// ahead of the one on the wire when the mailer can. It returns an outcome
// for every claim that was attempted, and the claims it did not attempt
// because ctx was done. One whose send was interrupted is neither: it may
// have gone out, so it is left to its lease, and a later run sends it again
// (at least once).
func (s *Service) deliverBatch(ctx context.Context, actor string, claims []ClaimedDelivery) (out []DeliveryOutcome, rest []ClaimedDelivery) {
	type job struct {
		email PreparedEmail
		err   error
		skip  string // why it is superseded
	}
	jobs := make([]job, len(claims))
	ready := make([]chan struct{}, len(claims))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	var g errgroup.Group
	g.SetLimit(composeAhead)
	go func() {
		for i, c := range claims {
			g.Go(func() error {
				defer close(ready[i])
				if why := supersededBy(c, s.now()); why != "" {
					jobs[i].skip = why
					return nil
				}
				m, why, err := s.deliveryEmail(ctx, c)
				switch {
				case why != "":
					jobs[i].skip = why
				case err != nil:
					jobs[i].err = err
				default:
					if !s.ActorNamed || c.Invitation.CreatedBy != actor {
						// Only a name someone chose for themselves is put in an
						// email, never the operating-system account's.
						m.SentBy = ""
					}
					jobs[i].email, jobs[i].err = s.prepare(m)
				}
				return nil
			})
		}
	}()
	for i, c := range claims {
		<-ready[i]
		if ctx.Err() != nil {
			return out, claims[i:]
		}
		o := DeliveryOutcome{Claim: c, At: s.now()}
		j := jobs[i]
		err := j.err
		switch {
		case j.skip != "":
			o.State, o.Error = DeliverySuperseded, j.skip
			out = append(out, o)
			continue
		case err == nil:
			err = j.email.Send(ctx)
		}
		switch {
		case err == nil:
			o.State = DeliverySent
			o.Event = AuditEvent{At: o.At, Actor: actor, Action: ActionSend, InvitationID: c.InvitationID,
				Detail: fmt.Sprintf("emailed the %s to %s (link generation %d)", c.Kind, c.Invitation.Email, c.LinkGeneration)}
		case ctx.Err() != nil && !permanent(err):
			return out, claims[i+1:]
		case permanent(err):
			o.State, o.Error = DeliveryFailed, err.Error()
		default:
			o.State, o.Error = DeliveryQueued, err.Error()
			o.Next = o.At.Add(retryDelay(c.Attempts + 1))
		}
		out = append(out, o)
	}
	// Let the writers finish what they started; their results are unused.
	go func() { _ = g.Wait() }()
	return out, nil
}

// prepare writes m, with the mailer's preparing side when it has one.
func (s *Service) prepare(m InvitationEmail) (PreparedEmail, error) {
	if pm, ok := s.Mailer.(PreparingMailer); ok {
		return pm.PrepareInvitation(m)
	}
	return sendLater{s.Mailer, m}, nil
}

// supersededBy says why a claimed delivery must not be sent, or "".
func supersededBy(c ClaimedDelivery, now time.Time) string {
	if c.Kind == KindPasswordReset {
		return resetSupersededBy(c, now)
	}
	inv := c.Invitation
	switch {
	case inv.LinkGeneration != c.LinkGeneration:
		return fmt.Sprintf("superseded: the invitation has a newer link (generation %d)", inv.LinkGeneration)
	case inv.State != StatePending:
		return fmt.Sprintf("superseded: the invitation is %s", inv.State)
	case !inv.ExpiresAt.After(now):
		return "superseded: the link expired before it could be sent"
	}
	return ""
}
