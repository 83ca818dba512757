package invite

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// ResendPlan says what a resend does.
type ResendPlan string

// Plans.
const (
	PlanReuseLink ResendPlan = "reuse link"
	PlanNewLink   ResendPlan = "new link"
	PlanRefused   ResendPlan = "refused"
)

// PlanResend says what resending inv would do at time now.
func PlanResend(inv Invitation, now time.Time) ResendPlan {
	switch inv.Status(now) {
	case StatusPending:
		return PlanReuseLink
	case StatusExpired:
		return PlanNewLink
	}
	return PlanRefused
}

// Resend sends the invitation again: the same link while pending; a fresh
// link valid for one TTL once expired (the old one stays dead); nothing once
// accepted or revoked (ErrAlreadyResolved). A fresh link is saved before
// sending, so a failed delivery leaves it valid for the next resend.
func (s *Service) Resend(ctx context.Context, actor string, inv Invitation) (Invitation, ResendPlan, error) {
	now := s.now()
	plan := PlanResend(inv, now)
	switch plan {
	case PlanRefused:
		return inv, plan, resolvedError(inv, "resent")
	case PlanNewLink:
		upd, ev := s.freshLink(actor, inv, now)
		var err error
		if inv, err = s.Store.UpdateInvitation(ctx, upd, ev); err != nil {
			return inv, plan, err
		}
	}
	if s.Mailer == nil {
		return inv, plan, ErrNoMailer.With(About{ID: inv.ID})
	}
	out, err := s.deliver(ctx, actor, ActionResend, inv, resendDetail(plan))
	return out, plan, err
}

// freshLink replaces inv's link with a new one valid for one TTL from now;
// the generation moves on, so the old link stays dead.
func (s *Service) freshLink(actor string, inv Invitation, now time.Time) (Invitation, AuditEvent) {
	upd := inv
	upd.LinkGeneration++
	upd.ExpiresAt = now.Add(s.ttl())
	return upd, AuditEvent{At: now, Actor: actor, Action: ActionResend, InvitationID: inv.ID,
		Detail: fmt.Sprintf("new link generated, valid until %s", upd.ExpiresAt.Format(time.RFC3339))}
}

// resendDetail is the audit detail of a resent email.
func resendDetail(plan ResendPlan) string {
	if plan == PlanNewLink {
		return "sent with the new link"
	}
	return "sent again with the same link"
}

// ResendResult is the outcome of one invitation of ResendBatch.
type ResendResult struct {
	// Invitation is the invitation as stored afterwards, or as given when
	// nothing was written.
	Invitation Invitation
	Plan       ResendPlan
	// Err is nil when the email was delivered and its sending recorded.
	Err error
}

// How ResendBatch divides its work. Each bounds what a crash mid-batch can
// leave behind.
const (
	// resendChunk invitations are planned at a time, their fresh links
	// saved in one transaction (with the deliveries recorded since the
	// last), and their emails written and queued. A new chunk is prepared
	// when fewer than resendChunk emails are queued, so at most
	// 2×resendChunk invitations have a fresh link saved that was not sent
	// yet. After a crash those are pending with a link nobody received, and
	// resending it by ID sends it; when the batch is cancelled instead,
	// each is reported as not sent. The first chunk is smaller, so that the
	// first email goes out sooner.
	resendChunk      = 100
	resendFirstChunk = 20
	// Delivered emails are recorded at the latest once resendRecordBatch
	// of them wait, or the oldest has waited resendRecordDelay; the record
	// is also written with every chunk's fresh links.
	resendRecordBatch = 100
	resendRecordDelay = 250 * time.Millisecond
)

// MaxUnrecordedSends is the most emails ResendBatch delivers before their
// sending is recorded: a crash mid-batch leaves at most this many delivered
// emails without their record (the invitation's Sent on and send count, and
// the audit event), and never a record of an email that was not delivered.
// The sender waits rather than run further ahead.
const MaxUnrecordedSends = 2 * resendRecordBatch

// ResendBatch resends every invitation of invs as Resend resends one, and
// calls report once for each, in the order of invs and from one goroutine at
// a time (not necessarily the caller's). An invitation that fails (a
// conflict, a refused or undelivered email) is reported and the batch goes
// on.
//
// Two goroutines share the work, so that the database and the mail server
// are busy at the same time. The sender delivers the emails one by one over
// the mailer's connection. The worker keeps it supplied and records what it
// delivered: a chunk at a time, it saves the fresh links of the expired
// invitations in one transaction, always before their emails are sent,
// writes the emails and queues them; the deliveries are recorded in the
// same transactions, or in their own when they have waited long enough.
// Every change is conditional on the version read and carries its audit
// event; only delivered emails are recorded as sent; a failed delivery
// leaves the fresh link saved and valid. What a crash can leave behind is
// bounded: see MaxUnrecordedSends and resendChunk.
//
// When ctx is cancelled no further emails are sent: the invitations already
// planned are reported as not sent (their fresh links stay saved and
// valid), the deliveries are still recorded, the invitations not started
// are not reported, and the context's error is returned.
func (s *Service) ResendBatch(ctx context.Context, actor string, invs []Invitation, report func(ResendResult)) error {
	if s.Mailer == nil {
		// Nothing to overlap: each fails as Resend fails without a mailer.
		for _, inv := range invs {
			if ctx.Err() != nil {
				break
			}
			out, plan, err := s.Resend(ctx, actor, inv)
			report(ResendResult{Invitation: out, Plan: plan, Err: err})
		}
		return ctx.Err()
	}
	b := &resendBatch{
		s: s, ctx: ctx, actor: actor, invs: invs, report: report,
		// Never full: the worker queues a chunk only while fewer than
		// resendChunk emails are queued.
		toSend:     make(chan *resendItem, 2*resendChunk),
		wake:       make(chan struct{}, 1),
		unrecorded: make(chan struct{}, MaxUnrecordedSends),
		timer:      time.NewTimer(resendRecordDelay),
	}
	b.timer.Stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.work()
	}()
	b.send()
	<-done
	return ctx.Err()
}

// resendItem is one invitation on its way through ResendBatch.
type resendItem struct {
	ResendResult
	email     PreparedEmail // to send; nil when Err says why not
	delivered bool
	sentAt    time.Time
}

// resendBatch is the state of one ResendBatch.
type resendBatch struct {
	s      *Service
	ctx    context.Context
	actor  string
	invs   []Invitation
	report func(ResendResult)

	toSend     chan *resendItem // worker → sender, in order
	unrecorded chan struct{}    // a token per email being sent, or delivered and not yet recorded

	// The sender hands items back through back, and wakes the worker only
	// when it has something to do, not for every email.
	mu            sync.Mutex
	back          []*resendItem // sender → worker, in order
	backDelivered int           // how many of back were delivered
	backNoticed   bool          // the worker was woken since back was last emptied
	sendDone      bool          // the sender handed back its last item
	wake          chan struct{} // one signal is enough to wake the worker

	// The worker's own.
	next      int           // invs[next:] are not prepared yet
	queued    bool          // toSend is closed: everything is prepared
	done      bool          // everything is back
	pending   []*resendItem // back from the sender, not reported yet; led by a delivered one
	delivered int           // how many of pending were delivered
	timer     *time.Timer
	due       <-chan time.Time // fires resendRecordDelay after the worker heard of the oldest item in back or pending
}

// send delivers the queued emails in order and hands every item back.
func (b *resendBatch) send() {
	for it := range b.toSend {
		if it.email != nil {
			b.deliver(it)
		}
		b.handBack(it, false)
	}
	b.handBack(nil, true)
}

// deliver sends one email, once a token in unrecorded is free.
func (b *resendBatch) deliver(it *resendItem) {
	select {
	case <-b.ctx.Done():
		it.Err = notSentError(it.Invitation, b.ctx.Err())
		return
	case b.unrecorded <- struct{}{}:
	}
	if err := it.email.Send(b.ctx); err != nil {
		<-b.unrecorded
		it.Err = deliveryError(it.Invitation, err)
		return
	}
	it.delivered, it.sentAt = true, b.s.now()
}

// handBack gives an item (or, with last, the end) to the worker, and wakes
// it when it has something to do: the first item since it last looked (for
// its timer), a queue running low, enough deliveries to record, the end.
func (b *resendBatch) handBack(it *resendItem, last bool) {
	b.mu.Lock()
	if it != nil {
		b.back = append(b.back, it)
		if it.delivered {
			b.backDelivered++
		}
	}
	b.sendDone = last
	signal := !b.backNoticed || last || b.backDelivered >= resendRecordBatch || len(b.toSend) < resendChunk
	b.backNoticed = true
	b.mu.Unlock()
	if signal {
		select {
		case b.wake <- struct{}{}:
		default: // a signal is waiting already
		}
	}
}

// work keeps the sender supplied and records what it delivered, until the
// sender is done.
func (b *resendBatch) work() {
	for {
		if !b.queued && (b.next == len(b.invs) || b.ctx.Err() != nil) {
			close(b.toSend)
			b.queued = true
		}
		switch {
		case !b.queued && len(b.toSend) < resendChunk:
			size := resendChunk
			if b.next == 0 {
				size = resendFirstChunk // the sender can start sooner
			}
			chunk := b.invs[b.next:min(b.next+size, len(b.invs))]
			b.next += len(chunk)
			b.prepare(chunk)
			continue
		case b.done:
			b.flush(nil)
			return
		}
		select {
		case <-b.wake:
			b.mu.Lock()
			backDelivered, sendDone := b.backDelivered, b.sendDone
			b.mu.Unlock()
			switch {
			case sendDone, b.delivered+backDelivered >= resendRecordBatch:
				b.flush(nil)
			case b.due == nil:
				b.timer.Reset(resendRecordDelay)
				b.due = b.timer.C
			}
		case <-b.due:
			b.flush(nil)
		}
	}
}

// takeBack moves what the sender handed back into pending: an item is
// reported at once when nothing before it waits, else after the record of
// the deliveries before it.
func (b *resendBatch) takeBack() {
	b.mu.Lock()
	back := b.back
	b.back, b.backDelivered, b.backNoticed = nil, 0, false
	b.done = b.sendDone
	b.mu.Unlock()
	for _, it := range back {
		if !it.delivered && len(b.pending) == 0 {
			b.report(it.ResendResult)
			continue
		}
		b.pending = append(b.pending, it)
		if it.delivered {
			b.delivered++
		}
	}
}

// prepare plans a chunk of invitations, saves their fresh links together
// with the records of the deliveries so far, and queues their emails.
func (b *resendBatch) prepare(chunk []Invitation) {
	now := b.s.now()
	items := make([]*resendItem, len(chunk))
	var links []InvitationChange
	var fresh []*resendItem
	for i, inv := range chunk {
		it := &resendItem{ResendResult: ResendResult{Invitation: inv, Plan: PlanResend(inv, now)}}
		items[i] = it
		switch it.Plan {
		case PlanRefused:
			it.Err = resolvedError(inv, "resent")
		case PlanNewLink:
			upd, ev := b.s.freshLink(b.actor, inv, now)
			links = append(links, InvitationChange{Invitation: upd, Event: ev})
			fresh = append(fresh, it)
		}
	}
	saved, errs, err := b.flush(links)
	for i, it := range fresh {
		switch {
		case err != nil:
			it.Err = err
		case errs[i] != nil:
			it.Err = errs[i]
		default:
			it.Invitation = saved[i]
		}
	}
	for _, it := range items {
		if it.Err == nil {
			it.email, it.Err = b.s.prepareEmail(it.Invitation)
		}
		b.toSend <- it
	}
}

// flush takes back what the sender has done, records the deliveries and
// makes the other changes, all in one transaction, then reports what was
// pending. It returns the results of the other changes.
func (b *resendBatch) flush(other []InvitationChange) ([]Invitation, []error, error) {
	b.takeBack()
	changes := make([]InvitationChange, 0, b.delivered+len(other))
	for _, it := range b.pending {
		if it.delivered {
			upd, ev := sentChange(b.actor, ActionResend, it.Invitation, resendDetail(it.Plan), it.sentAt)
			changes = append(changes, InvitationChange{Invitation: upd, Event: ev})
		}
	}
	changes = append(changes, other...)
	var saved []Invitation
	var errs []error
	var err error
	if len(changes) > 0 {
		// The emails are out: record them even when the batch was cancelled.
		saved, errs, err = b.s.Store.UpdateInvitations(context.WithoutCancel(b.ctx), changes)
	}
	i := 0
	for _, it := range b.pending {
		if !it.delivered {
			continue
		}
		switch {
		case err != nil:
			it.Err = unrecordedError(it.Invitation, err)
		case errs[i] != nil:
			it.Err = unrecordedError(it.Invitation, errs[i])
		default:
			it.Invitation = saved[i]
		}
		i++
		<-b.unrecorded
	}
	for _, it := range b.pending {
		b.report(it.ResendResult)
	}
	b.timer.Stop()
	clear(b.pending)
	b.pending, b.delivered, b.due = b.pending[:0], 0, nil
	if err != nil {
		return nil, nil, err
	}
	return saved[i:], errs[i:], nil
}

// prepareEmail writes inv's email ahead of its sending when the mailer can.
func (s *Service) prepareEmail(inv Invitation) (PreparedEmail, error) {
	msg := s.invitationEmail(inv)
	pm, ok := s.Mailer.(PreparingMailer)
	if !ok {
		return sendLater{m: s.Mailer, msg: msg}, nil
	}
	p, err := pm.PrepareInvitation(msg)
	if err != nil {
		return nil, deliveryError(inv, err)
	}
	return p, nil
}

// sendLater is the email of a mailer that cannot write it ahead.
type sendLater struct {
	m   Mailer
	msg InvitationEmail
}

func (l sendLater) Send(ctx context.Context) error { return l.m.SendInvitation(ctx, l.msg) }

// notSentError says that inv's email was not sent because the batch was
// stopped.
func notSentError(inv Invitation, err error) error {
	e := ErrNotSent.Explain("the email to %s was not sent: the batch was stopped (%v)", inv.Email, err).With(About{ID: inv.ID})
	e.Err = err
	return e
}

// unrecordedError says that inv's email was delivered but its sending could
// not be recorded.
func unrecordedError(inv Invitation, err error) error {
	return &Error{Code: ErrorCode(err), Err: err,
		Message: fmt.Sprintf("the email to %s was delivered, but recording it failed: %v", inv.Email, err)}
}
