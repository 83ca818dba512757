package invite

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
	ID           int64
	InvitationID int64
	// UserID is the account a password reset belongs to (0 for an
	// invitation email).
	UserID         int64
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
	// background deliverer's backoff); otherwise every queued one is taken
	// (a person asked for it), and with RetryFailed the failed ones too.
	Due         bool
	RetryFailed bool
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
	Cause error         // the attempt's error as the mailer returned it
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
	// HeldDeliveries counts the deliveries q selects (whatever q.AfterID)
	// that a deliverer which still runs holds; rows of one that no longer
	// runs are claimable at once and not counted.
	HeldDeliveries(ctx context.Context, q ClaimQuery) (int, error)
	// OutboxDepth counts the undelivered emails.
	OutboxDepth(ctx context.Context) (OutboxDepth, error)
}

// OutboxDepth counts the undelivered emails.
func (s *Service) OutboxDepth(ctx context.Context) (OutboxDepth, error) {
	return s.Store.OutboxDepth(ctx)
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
	// DeliverBatch deliveries are claimed, sent and recorded at a time, so
	// a crash can repeat at most one batch's emails per connection (sent,
	// not yet recorded), never lose one.
	DeliverBatch = 25
	// deliverLease holds a batch; long enough for a batch of slow sends. A
	// deliverer killed mid-batch holds its rows this long; then any
	// deliverer sends them.
	deliverLease = 5 * time.Minute
	// claimSlice invitations' emails are claimed by one query at most.
	claimSlice = 500
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
	RetryFailed   bool   // also those refused for good (5xx) earlier
	Actor         string // recorded in the audit events of sent emails
	// Report, when set, is called once per attempted delivery, after its
	// batch is recorded, from one goroutine at a time (several connections
	// report in the order they finish).
	Report func(DeliveryOutcome)
}

// DeliverySummary counts the outcomes of a Deliver, and the selected
// deliveries another deliverer was sending when it ended (Elsewhere; counted
// only when the request names no invitations).
type DeliverySummary struct {
	Sent, Failed, Retrying, Superseded int
	Elsewhere                          int
	// Stopped is the connection failure that ended the run early (the
	// deliveries not attempted stay queued), or nil.
	Stopped error
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

// ConnectionError is implemented by mail errors of the connection itself
// (refused, timeout, TLS, authentication): no message can go until it is
// fixed, so a run stops opening connections.
type ConnectionError interface {
	ConnectionFailed() bool
}

// ConnectionFailed says whether err is a failure of the mail connection.
func ConnectionFailed(err error) bool {
	var c ConnectionError
	return errors.As(err, &c) && c.ConnectionFailed()
}

// Deliver sends the queued emails req selects, once each, and records each
// outcome: sent; queued again with the error and a later attempt time after
// a temporary failure; failed with the server's answer after a permanent
// one; superseded, never sent, when its link is no longer the invitation's
// current one. It stops when nothing more is selected or ctx is done, and
// returns what it did; the error is a store or context error, never a
// delivery's.
//
// The work is a plain loop: claim a batch, compose and send each message,
// record the batch, again. Cancelling ctx lets the message on the wire
// finish (and be recorded), and gives back every other claimed row at
// once. A store error ends the run; the rows it held stay claimable.
func (s *Service) Deliver(ctx context.Context, req DeliverRequest) (DeliverySummary, error) {
	var sum DeliverySummary
	if s.Mailer == nil {
		return sum, ErrNoMailer
	}
	if req.InvitationIDs != nil && len(req.InvitationIDs) == 0 {
		return sum, ctx.Err()
	}
	w := &sweep{s: s, req: req, ids: req.InvitationIDs,
		q: ClaimQuery{Lease: deliverLease, Limit: DeliverBatch, Due: req.Due, RetryFailed: req.RetryFailed, CustomerID: req.CustomerID}}
	err := w.run(ctx)
	if err == nil {
		err = ctx.Err()
	}
	if err == nil && req.InvitationIDs == nil && w.sum.Stopped == nil {
		q := w.q
		q.AfterID, q.Now = 0, s.now()
		w.sum.Elsewhere, err = s.Store.HeldDeliveries(ctx, q)
	}
	return w.sum, err
}

// sweep is one run of Deliver: the claims it has made so far, in ID order,
// and what became of them.
type sweep struct {
	s   *Service
	req DeliverRequest

	mu  sync.Mutex
	q   ClaimQuery
	ids []int64 // invitations whose deliveries are still to be claimed
	sum DeliverySummary
}

// run runs one loop per mail session (s.Connections of them when the
// mailer opens sessions), each over its own connection, sharing the sweep.
// A loop's error (a store error) stops the others after the message each
// has on the wire.
func (w *sweep) run(ctx context.Context) error {
	sm, ok := w.s.Mailer.(SessionMailer)
	if !ok || w.s.Connections <= 1 {
		return w.loop(ctx, w.s.Mailer)
	}
	g, gctx := errgroup.WithContext(ctx)
	for range w.s.Connections {
		g.Go(func() error {
			sess := sm.Session()
			defer sess.Close()
			return w.loop(gctx, sess)
		})
	}
	return g.Wait()
}

// loop claims, sends and records batches over mailer until nothing more is
// selected or ctx is done.
func (w *sweep) loop(ctx context.Context, mailer Mailer) error {
	for ctx.Err() == nil && w.stopped() == nil {
		claims, err := w.claim(ctx)
		if err != nil && ctx.Err() != nil {
			return nil // cancelled meanwhile: the caller says so
		}
		if err != nil {
			return err
		}
		if len(claims) == 0 {
			return nil
		}
		outcomes := make([]DeliveryOutcome, len(claims))
		for i, c := range claims {
			if ctx.Err() != nil || w.stopped() != nil {
				outcomes[i] = DeliveryOutcome{Claim: c, State: DeliveryReleased}
				continue
			}
			// The message on the wire is finished even when ctx is cancelled
			// meanwhile, so that its outcome is known and recorded.
			outcomes[i] = w.s.attempt(context.WithoutCancel(ctx), mailer, w.req.Actor, c)
			if ConnectionFailed(outcomes[i].Cause) {
				w.stop(outcomes[i].Cause)
			}
		}
		// What was sent is recorded even after a cancellation: it must not
		// be sent again.
		if err := w.s.Store.FinishDeliveries(context.WithoutCancel(ctx), outcomes); err != nil {
			// Give the rows back if the store lets us, so that another run
			// sends them now (those sent again: at least once).
			_ = w.s.Store.FinishDeliveries(context.WithoutCancel(ctx), released(claims))
			return err
		}
		w.record(outcomes)
	}
	return nil
}

// stop ends the run early for a connection failure: no connection opens
// for the deliveries left, which stay queued.
func (w *sweep) stop(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sum.Stopped == nil {
		w.sum.Stopped = err
	}
}

func (w *sweep) stopped() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sum.Stopped
}

// claim takes the next batch of the sweep: deliveries with a greater ID
// than the last batch's, a slice of the invitations at a time (a query
// takes only so many parameters).
func (w *sweep) claim(ctx context.Context) ([]ClaimedDelivery, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		if w.req.InvitationIDs != nil && w.q.InvitationIDs == nil {
			if len(w.ids) == 0 {
				return nil, nil
			}
			n := min(claimSlice, len(w.ids))
			w.q.InvitationIDs, w.ids, w.q.AfterID = w.ids[:n], w.ids[n:], 0
		}
		w.q.Now = w.s.now()
		claims, err := w.s.Store.ClaimDeliveries(ctx, w.q)
		if err != nil || len(claims) > 0 {
			if len(claims) > 0 {
				w.q.AfterID = claims[len(claims)-1].ID
			}
			return claims, err
		}
		if w.req.InvitationIDs == nil {
			return nil, nil
		}
		w.q.InvitationIDs = nil // on to the next slice
	}
}

// record counts and reports the recorded outcomes of a batch.
func (w *sweep) record(outcomes []DeliveryOutcome) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, o := range outcomes {
		if o.State == DeliveryReleased {
			continue
		}
		w.sum.count(o.State)
		if w.req.Report != nil {
			w.req.Report(o)
		}
	}
}

// released gives up claims unattempted.
func released(claims []ClaimedDelivery) []DeliveryOutcome {
	out := make([]DeliveryOutcome, len(claims))
	for i, c := range claims {
		out[i] = DeliveryOutcome{Claim: c, State: DeliveryReleased}
	}
	return out
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

// attempt composes and sends one claimed delivery over mailer, and says
// what became of it.
func (s *Service) attempt(ctx context.Context, mailer Mailer, actor string, c ClaimedDelivery) DeliveryOutcome {
	o := DeliveryOutcome{Claim: c, At: s.now()}
	if why := supersededBy(c, o.At); why != "" {
		o.State, o.Error = DeliverySuperseded, why
		return o
	}
	m, why, err := s.deliveryEmail(ctx, c)
	if why != "" {
		o.State, o.Error = DeliverySuperseded, why
		return o
	}
	if err == nil {
		if !s.ActorNamed || c.Invitation.CreatedBy != actor {
			// Only a name someone chose for themselves is put in an email,
			// never the operating-system account's.
			m.SentBy = ""
		}
		err = mailer.SendInvitation(ctx, m)
	}
	o.Cause = err
	switch {
	case err == nil:
		o.State = DeliverySent
		o.Event = AuditEvent{At: o.At, Actor: actor, Action: ActionSend, InvitationID: c.InvitationID,
			Detail: fmt.Sprintf("emailed the %s to %s (link generation %d)", c.Kind, c.Invitation.Email, c.LinkGeneration)}
	case permanent(err):
		o.State, o.Error = DeliveryFailed, err.Error()
	default:
		o.State, o.Error = DeliveryQueued, err.Error()
		o.Next = o.At.Add(retryDelay(c.Attempts + 1))
	}
	return o
}

// supersededBy says why a claimed delivery must not be sent, or "".
func supersededBy(c ClaimedDelivery, now time.Time) string {
	if c.Kind == KindPasswordReset {
		return resetSupersededBy(c, now)
	}
	// Whether the link may go is the one link rule's; what is said of it
	// here only names why.
	inv := c.Invitation
	switch {
	case LinkRefusal(inv, c.LinkGeneration, now) == nil:
		return ""
	case inv.LinkGeneration != c.LinkGeneration:
		return fmt.Sprintf("superseded: the invitation has a newer link (generation %d)", inv.LinkGeneration)
	case inv.State != StatePending:
		return fmt.Sprintf("superseded: the invitation is %s", inv.State)
	}
	return "superseded: the link expired before it could be sent"
}
