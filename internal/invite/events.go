package invite

import (
	"context"
	"errors"
	"time"
)

// Webhook events. A change that the system owning the accounts should hear
// of (an invitation created, accepted, revoked…) queues an event in its own
// transaction, so that an event is never sent for a change that was rolled
// back. DeliverEvents sends them at least once, one invitation's events in
// the order their changes committed. An event row holds only its type and
// IDs; its body is made when it is sent, from the data as it is then.

// EventState is where an event stands.
type EventState string

// Event states; EventReleased is an outcome only (the claim is given up
// unattempted).
const (
	EventQueued    EventState = "queued"
	EventDelivered EventState = "delivered"
	EventFailed    EventState = "failed"
	EventReleased  EventState = "released"
)

// Event is one queued notification.
type Event struct {
	ID            int64
	WebhookID     string // the same on every attempt, so receivers drop repeats
	Type          string
	InvitationID  int64 // 0 when none
	UserID        int64 // 0 when none
	State         EventState
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time // when the change committed: the event's timestamp
	DeliveredAt   time.Time
}

// ClaimedEvent is an event a deliverer holds, with what it is about as it
// is now: nil when there is none (or it was deleted).
type ClaimedEvent struct {
	Event
	Invitation *Invitation
	User       *User
	Token      string
}

// EventClaimQuery selects the events a deliverer takes.
type EventClaimQuery struct {
	Now     time.Time
	Lease   time.Duration
	Limit   int
	AfterID int64 // a single sweep: only events with a greater ID
	// Due takes only queued events whose next attempt is due; otherwise
	// every queued one is.
	Due bool
	// Failed takes failed events too (a person asked to retry them).
	Failed bool
}

// EventOutcome is what became of a claimed event.
type EventOutcome struct {
	Claim ClaimedEvent
	State EventState // delivered, queued (to retry), failed or released
	Error string
	At    time.Time
	Next  time.Time // queued: when it is due again
}

// EventStatus is what `webhook status` shows.
type EventStatus struct {
	Queued, Delivered, Failed int
	// OldestQueued is the oldest event waiting; zero ID when none waits.
	OldestQueued Event
	// FailedEvents are the failed ones, oldest first.
	FailedEvents []Event
}

// EventOutbox is the store's side of webhook events.
type EventOutbox interface {
	// ClaimEvents leases up to q.Limit of the events q selects, in ID
	// order, and returns them with their invitations and users. An event
	// is not selected while an earlier undelivered event of its invitation
	// waits that this claim does not take, so one invitation's events go in
	// the order they were queued. Events another live deliverer holds are
	// never returned; those of one that no longer runs are taken over.
	ClaimEvents(ctx context.Context, q EventClaimQuery) ([]ClaimedEvent, error)
	// FinishEvents records outcomes in one transaction; an outcome whose
	// claim is no longer held is skipped.
	FinishEvents(ctx context.Context, outcomes []EventOutcome) error
	// HeldEvents counts the undelivered events a live deliverer holds.
	HeldEvents(ctx context.Context, now time.Time) (int, error)
	// EventStatus counts the events per state and lists the failed.
	EventStatus(ctx context.Context) (EventStatus, error)
}

// EventSender sends one event: it makes the body from the claimed event and
// says what became of it (EventDelivered, EventQueued to retry, or
// EventFailed), with the error when it was not delivered.
type EventSender interface {
	SendEvent(ctx context.Context, e ClaimedEvent) (EventState, error)
}

// EventRequest says what DeliverEvents delivers.
type EventRequest struct {
	Due    bool // only queued events that are due (background)
	Failed bool // failed events too
	// Report, when set, is called once per attempted event, in order.
	Report func(EventOutcome)
}

// EventSummary counts the outcomes of a DeliverEvents, and the events
// another deliverer was sending when it ended.
type EventSummary struct {
	Delivered, Failed, Retrying int
	Elsewhere                   int
}

// Undelivered is how many of the attempted events are still to do.
func (s EventSummary) Undelivered() int { return s.Failed + s.Retrying }

// eventLease holds a batch of events: a batch of 25 requests of at most 10
// seconds each fits with room to spare.
const eventLease = 5 * time.Minute

// DeliverEvents sends the events req selects, once each, over sender and
// records each outcome: delivered; queued again with the error and a later
// attempt time after a temporary failure (backoff as for emails); failed
// after a refusal. When one of an invitation's events is to be retried, its
// later events in the batch are given back unattempted, so they never
// overtake it. Cancelling ctx lets the request on the wire finish and gives
// back the other claimed events. The error is a store or context error,
// never an event's. A store that keeps no events has none to send.
func (s *Service) DeliverEvents(ctx context.Context, sender EventSender, req EventRequest) (EventSummary, error) {
	var sum EventSummary
	outbox, ok := s.Store.(EventOutbox)
	if !ok {
		return sum, nil
	}
	q := EventClaimQuery{Lease: eventLease, Limit: DeliverBatch, Due: req.Due, Failed: req.Failed}
	for ctx.Err() == nil {
		q.Now = s.now()
		claims, err := outbox.ClaimEvents(ctx, q)
		if err != nil {
			return sum, err
		}
		if len(claims) == 0 {
			break
		}
		q.AfterID = claims[len(claims)-1].ID
		outcomes := make([]EventOutcome, len(claims))
		held := map[int64]bool{} // invitations whose earlier event was not delivered
		for i, c := range claims {
			if ctx.Err() != nil || (c.InvitationID != 0 && held[c.InvitationID]) {
				outcomes[i] = EventOutcome{Claim: c, State: EventReleased}
				continue
			}
			outcomes[i] = s.sendEvent(context.WithoutCancel(ctx), sender, c)
			if outcomes[i].State == EventQueued && c.InvitationID != 0 {
				held[c.InvitationID] = true
			}
		}
		if err := outbox.FinishEvents(context.WithoutCancel(ctx), outcomes); err != nil {
			return sum, err
		}
		for _, o := range outcomes {
			switch o.State {
			case EventDelivered:
				sum.Delivered++
			case EventFailed:
				sum.Failed++
			case EventQueued:
				sum.Retrying++
			default:
				continue
			}
			if req.Report != nil {
				req.Report(o)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	var err error
	sum.Elsewhere, err = outbox.HeldEvents(ctx, s.now())
	return sum, err
}

func (s *Service) sendEvent(ctx context.Context, sender EventSender, c ClaimedEvent) EventOutcome {
	o := EventOutcome{Claim: c, At: s.now()}
	state, err := sender.SendEvent(ctx, c)
	switch {
	case err == nil && state == EventDelivered:
		o.State = EventDelivered
	case state == EventFailed:
		o.State, o.Error = EventFailed, errorText(err)
	default:
		o.State, o.Error = EventQueued, errorText(err)
		o.Next = o.At.Add(retryDelay(c.Attempts + 1))
	}
	return o
}

func errorText(err error) string {
	if err == nil {
		return "not delivered"
	}
	return err.Error()
}

// KeepsEvents says whether the store keeps webhook events.
func (s *Service) KeepsEvents() bool {
	_, ok := s.Store.(EventOutbox)
	return ok
}

// EventStatus counts the webhook events per state and lists the failed.
func (s *Service) EventStatus(ctx context.Context) (EventStatus, error) {
	outbox, ok := s.Store.(EventOutbox)
	if !ok {
		return EventStatus{}, errors.New("this store keeps no webhook events")
	}
	return outbox.EventStatus(ctx)
}
