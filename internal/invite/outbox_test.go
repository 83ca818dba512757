package invite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// memOutbox is an in-memory outbox with the store's claim rules, for the
// deliverer's own logic; the stores' outboxes pass storetest.
type memOutbox struct {
	Store      // nil: the deliverer uses only the outbox
	mu         sync.Mutex
	deliveries []Delivery // in ID order
	invs       map[int64]Invitation
	held       map[int64]time.Time // delivery ID → lease end
	finished   [][]DeliveryOutcome
	claims     []ClaimQuery
}

func (o *memOutbox) ClaimDeliveries(_ context.Context, q ClaimQuery) ([]ClaimedDelivery, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.claims = append(o.claims, q)
	var out []ClaimedDelivery
	for _, d := range o.deliveries {
		if len(out) == q.Limit {
			break
		}
		selected := d.ID > q.AfterID && (d.State == DeliveryQueued || d.State == DeliveryFailed && q.RetryFailed && !q.Due) &&
			(!q.Due || !d.NextAttemptAt.After(q.Now)) && o.held[d.ID].Before(q.Now)
		if q.InvitationIDs != nil {
			in := false
			for _, id := range q.InvitationIDs {
				in = in || id == d.InvitationID
			}
			selected = selected && in
		}
		if selected {
			o.held[d.ID] = q.Now.Add(q.Lease)
			out = append(out, ClaimedDelivery{Delivery: d, Invitation: o.invs[d.InvitationID], Token: fmt.Sprint(d.ID)})
		}
	}
	return out, nil
}

func (o *memOutbox) FinishDeliveries(_ context.Context, outcomes []DeliveryOutcome) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished = append(o.finished, outcomes)
	for _, oc := range outcomes {
		for i := range o.deliveries {
			if d := &o.deliveries[i]; d.ID == oc.Claim.ID {
				delete(o.held, d.ID)
				if oc.State != DeliveryReleased {
					d.State, d.LastError, d.NextAttemptAt = oc.State, oc.Error, oc.Next
					d.Attempts++
				}
			}
		}
	}
	return nil
}

func (o *memOutbox) HeldDeliveries(_ context.Context, q ClaimQuery) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, d := range o.deliveries {
		if (d.State == DeliveryQueued || d.State == DeliveryFailed && q.RetryFailed && !q.Due) && o.held[d.ID].After(q.Now) {
			n++
		}
	}
	return n, nil
}

// scriptedMailer answers each recipient as told, and records what it sent.
type scriptedMailer struct {
	mu      sync.Mutex
	answers map[string]error
	sent    []InvitationEmail
	// cancel, when set, is called after the message to this address.
	cancelAfter string
	cancel      func()
}

func (m *scriptedMailer) SendInvitation(_ context.Context, e InvitationEmail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.answers[e.To]; err != nil {
		return err
	}
	m.sent = append(m.sent, e)
	if e.To == m.cancelAfter && m.cancel != nil {
		m.cancel()
	}
	return nil
}

type smtpAnswer struct {
	code int
	msg  string
}

func (a smtpAnswer) Error() string   { return fmt.Sprintf("%d %s", a.code, a.msg) }
func (a smtpAnswer) Permanent() bool { return a.code >= 500 }

type fixedLinks struct{}

func (fixedLinks) Token(id int64, gen int) string   { return fmt.Sprintf("t%d-%d", id, gen) }
func (fixedLinks) Verify(string) (int64, int, bool) { return 0, 0, false }

var outboxNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newOutboxFixture(n int) (*memOutbox, *scriptedMailer, *Service) {
	o := &memOutbox{invs: map[int64]Invitation{}, held: map[int64]time.Time{}}
	for i := 1; i <= n; i++ {
		inv := Invitation{ID: int64(i), Email: fmt.Sprintf("p%d@example.com", i), State: StatePending,
			ExpiresAt: outboxNow.AddDate(1, 0, 0), Language: Swedish}
		o.invs[inv.ID] = inv
		o.deliveries = append(o.deliveries, Delivery{ID: int64(100 + i), InvitationID: inv.ID, Kind: KindInvitation, State: DeliveryQueued})
	}
	m := &scriptedMailer{answers: map[string]error{}}
	svc := &Service{Store: o, Mailer: m, Links: fixedLinks{}, Now: func() time.Time { return outboxNow }}
	return o, m, svc
}

func TestDeliverSendsRecordsAndClassifies(t *testing.T) {
	o, m, svc := newOutboxFixture(120) // more than two batches
	m.answers["p2@example.com"] = smtpAnswer{451, "try again later"}
	m.answers["p3@example.com"] = smtpAnswer{550, "no such mailbox"}
	m.answers["p4@example.com"] = errors.New("connection reset")
	inv := o.invs[5]
	inv.LinkGeneration = 1 // renewed after its email was queued
	o.invs[5] = inv
	revoked := o.invs[6]
	revoked.State = StateRevoked
	o.invs[6] = revoked
	var reported []int64
	sum, err := svc.Deliver(context.Background(), DeliverRequest{Actor: "ops", Report: func(oc DeliveryOutcome) { reported = append(reported, oc.Claim.ID) }})
	if err != nil {
		t.Fatal(err)
	}
	if sum != (DeliverySummary{Sent: 115, Failed: 1, Retrying: 2, Superseded: 2}) || sum.Undelivered() != 3 {
		t.Fatalf("summary %+v", sum)
	}
	if len(reported) != 120 || len(o.finished) != 5 {
		t.Fatalf("%d reported, %d batches recorded", len(reported), len(o.finished))
	}
	for i := 1; i < len(reported); i++ {
		if reported[i] <= reported[i-1] {
			t.Fatalf("reported out of order: %v", reported)
		}
	}
	state := map[int64]Delivery{}
	for _, d := range o.deliveries {
		state[d.InvitationID] = d
	}
	for id, want := range map[int64]DeliveryState{1: DeliverySent, 2: DeliveryQueued, 3: DeliveryFailed, 4: DeliveryQueued, 5: DeliverySuperseded, 6: DeliverySuperseded} {
		if state[id].State != want {
			t.Errorf("invitation %d: %s, want %s (%s)", id, state[id].State, want, state[id].LastError)
		}
	}
	if d := state[2]; !d.NextAttemptAt.Equal(outboxNow.Add(time.Minute)) || !strings.Contains(d.LastError, "451") {
		t.Errorf("temporary failure: %+v", d)
	}
	if d := state[3]; !strings.Contains(d.LastError, "550 no such mailbox") {
		t.Errorf("permanent failure: %+v", d)
	}
	for _, e := range m.sent {
		if e.To == "p5@example.com" || e.To == "p6@example.com" {
			t.Errorf("sent a superseded email to %s", e.To)
		}
	}
	if e := m.sent[0]; e.Link != "http://127.0.0.1:8080/invite/t1-0" {
		t.Errorf("link %q", e.Link)
	}
	// Sent ones carry their audit event; the run swept once, in ID order.
	if ev := o.finished[0][0].Event; ev.Action != ActionSend || ev.Actor != "ops" || ev.InvitationID != 1 {
		t.Errorf("audit event %+v", ev)
	}
	if q := o.claims; len(q) != 6 || q[1].AfterID != 125 || q[2].AfterID != 150 || q[3].AfterID != 175 {
		t.Errorf("claims %+v", q)
	}

	// Again: every queued one is attempted once more, now; the one refused
	// for good is not, unless asked for.
	m.answers = map[string]error{}
	sum, err = svc.Deliver(context.Background(), DeliverRequest{})
	if err != nil || sum != (DeliverySummary{Sent: 2}) {
		t.Errorf("second run: %+v, %v", sum, err)
	}
	sum, err = svc.Deliver(context.Background(), DeliverRequest{RetryFailed: true})
	if err != nil || sum != (DeliverySummary{Sent: 1}) {
		t.Errorf("retrying the failed: %+v, %v", sum, err)
	}
	// In the background, only what is due.
	sum, err = svc.Deliver(context.Background(), DeliverRequest{Due: true})
	if err != nil || sum != (DeliverySummary{}) {
		t.Errorf("third run: %+v, %v", sum, err)
	}
}

// An interrupted run finishes the message on the wire, records what it
// sent and gives the rest back at once.
func TestDeliverInterrupted(t *testing.T) {
	o, m, svc := newOutboxFixture(10)
	ctx, cancel := context.WithCancel(context.Background())
	m.cancelAfter, m.cancel = "p3@example.com", cancel
	sum, err := svc.Deliver(ctx, DeliverRequest{})
	if !errors.Is(err, context.Canceled) || sum.Sent != 3 {
		t.Fatalf("%+v, %v", sum, err)
	}
	sent := 0
	for _, d := range o.deliveries {
		if d.State == DeliverySent {
			sent++
		}
	}
	if sent != 3 || len(m.sent) != 3 || len(o.held) != 0 {
		t.Errorf("%d recorded as sent, %d sent, %d still held", sent, len(m.sent), len(o.held))
	}
	// A later run, at the same instant, sends the rest, and nothing twice.
	m.cancel = nil
	if sum, err := svc.Deliver(context.Background(), DeliverRequest{}); err != nil || sum.Sent != 7 || len(m.sent) != 10 {
		t.Errorf("the next run: %+v, %v, %d sent", sum, err, len(m.sent))
	}
}

// failingOutbox fails to record outcomes other than released ones.
type failingOutbox struct {
	*memOutbox
	fail error
}

func (o *failingOutbox) FinishDeliveries(ctx context.Context, outcomes []DeliveryOutcome) error {
	for _, oc := range outcomes {
		if oc.State != DeliveryReleased {
			return o.fail
		}
	}
	return o.memOutbox.FinishDeliveries(ctx, outcomes)
}

// A store that fails while recording ends the run with its error (no
// goroutine left waiting), and the rows are claimable at once.
func TestDeliverEndsOnAStoreError(t *testing.T) {
	o, m, svc := newOutboxFixture(3 * DeliverBatch)
	broken := errors.New("disk I/O error")
	svc.Store = &failingOutbox{memOutbox: o, fail: broken}
	sum, err := svc.Deliver(context.Background(), DeliverRequest{})
	if !errors.Is(err, broken) || sum != (DeliverySummary{}) {
		t.Fatalf("%+v, %v; want the store's error", sum, err)
	}
	if len(m.sent) != DeliverBatch || len(o.held) != 0 {
		t.Fatalf("%d sent before the error (want one batch), %d rows still held", len(m.sent), len(o.held))
	}
	svc.Store = o
	if sum, err := svc.Deliver(context.Background(), DeliverRequest{}); err != nil || sum.Sent != 3*DeliverBatch {
		t.Errorf("the next run: %+v, %v", sum, err)
	}
}

// connRefused is a failure of the mail connection itself.
type connRefused struct{}

func (connRefused) Error() string          { return "connection refused" }
func (connRefused) ConnectionFailed() bool { return true }

// After a connection failure a run attempts nothing more: the rest stay
// queued, unattempted and unheld, and the summary says why it stopped.
func TestDeliverStopsAtAConnectionFailure(t *testing.T) {
	o, m, svc := newOutboxFixture(3 * DeliverBatch)
	for i := 1; i <= 3*DeliverBatch; i++ {
		m.answers[fmt.Sprintf("p%d@example.com", i)] = connRefused{}
	}
	var reported int
	sum, err := svc.Deliver(context.Background(), DeliverRequest{Report: func(DeliveryOutcome) { reported++ }})
	if err != nil || !errors.Is(sum.Stopped, connRefused{}) || sum.Retrying != 1 || reported != 1 {
		t.Fatalf("%+v, %v, %d reported; want one attempt and the run stopped", sum, err, reported)
	}
	attempted := 0
	for _, d := range o.deliveries {
		attempted += d.Attempts
		if d.State != DeliveryQueued {
			t.Errorf("delivery %d: %s", d.ID, d.State)
		}
	}
	if attempted != 1 || len(o.held) != 0 || len(o.claims) != 1 {
		t.Errorf("%d attempts, %d held, %d claims; want 1, 0, 1", attempted, len(o.held), len(o.claims))
	}
}

// sessionMailer opens sessions whose first sends wait until every one of
// want sessions is sending: only as many loops at once get past it.
type sessionMailer struct {
	*scriptedMailer
	want    int
	mu      sync.Mutex
	started int
	all     chan struct{}
	opened  int
}

func (m *sessionMailer) Session() MailSession {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.opened++
	return &mailSession{m: m}
}

type mailSession struct {
	m     *sessionMailer
	first bool
}

func (s *mailSession) SendInvitation(ctx context.Context, e InvitationEmail) error {
	if !s.first {
		s.first = true
		s.m.mu.Lock()
		if s.m.started++; s.m.started == s.m.want {
			close(s.m.all)
		}
		s.m.mu.Unlock()
		select {
		case <-s.m.all:
		case <-time.After(time.Minute):
			return errors.New("the other sessions never sent at the same time")
		}
	}
	return s.m.SendInvitation(ctx, e)
}

func (s *mailSession) Close() error { return nil }

// With Connections sessions, that many loops send at once, each over its
// own session, and every email goes once.
func TestDeliverOverSeveralConnections(t *testing.T) {
	o, m, svc := newOutboxFixture(10 * DeliverBatch)
	sm := &sessionMailer{scriptedMailer: m, want: 4, all: make(chan struct{})}
	svc.Mailer, svc.Connections = sm, 4
	sum, err := svc.Deliver(context.Background(), DeliverRequest{})
	if err != nil || sum.Sent != 10*DeliverBatch || sum.Undelivered() != 0 {
		t.Fatalf("%+v, %v", sum, err)
	}
	seen := map[string]int{}
	for _, e := range m.sent {
		seen[e.To]++
	}
	for to, k := range seen {
		if k != 1 {
			t.Errorf("%s got %d emails", to, k)
		}
	}
	if len(seen) != 10*DeliverBatch || sm.opened != 4 || len(o.held) != 0 {
		t.Errorf("%d addresses, %d sessions, %d held", len(seen), sm.opened, len(o.held))
	}
}

func TestRetryDelay(t *testing.T) {
	for attempts, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 7: time.Hour, 50: time.Hour} {
		if got := retryDelay(attempts); got != want {
			t.Errorf("retryDelay(%d) = %v, want %v", attempts, got, want)
		}
	}
}

func (o *memOutbox) Invitation(_ context.Context, id int64) (Invitation, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	inv, ok := o.invs[id]
	if !ok {
		return inv, Errorf(ENOTFOUND, "no invitation %d", id)
	}
	inv.Delivery = DeliveryQueued
	return inv, nil
}

// An email another deliverer claimed first is being sent: delivering it
// here is done (no error, nothing sent twice), as a REF sent elsewhere is.
func TestDeliverOneHeldElsewhere(t *testing.T) {
	o, m, svc := newOutboxFixture(2)
	o.held[101] = outboxNow.Add(time.Minute)
	inv, err := svc.deliverOne(t.Context(), "ops", o.invs[1])
	if err != nil || inv.Delivery != DeliveryQueued || len(m.sent) != 0 {
		t.Fatalf("held elsewhere: %v, delivery %q, %d sent; want no error, queued, 0 sent", err, inv.Delivery, len(m.sent))
	}
	if _, err := svc.deliverOne(t.Context(), "ops", o.invs[2]); err != nil || len(m.sent) != 1 {
		t.Fatalf("free: %v, %d sent", err, len(m.sent))
	}
}

// A claimed invitation email is sent exactly when its link is usable by the
// one link rule (LinkRefusal), whatever the state, generation and time.
func TestSupersededByIsTheLinkRule(t *testing.T) {
	exp := outboxNow.Add(time.Hour)
	for _, st := range []State{StatePending, StateAccepted, StateRevoked, StatePurged} {
		for _, gen := range []int{0, 1} {
			for _, at := range []time.Time{outboxNow, exp.Add(-time.Microsecond), exp, exp.Add(time.Second)} {
				inv := Invitation{ID: 1, State: st, LinkGeneration: 1, ExpiresAt: exp}
				c := ClaimedDelivery{Delivery: Delivery{Kind: KindInvitation, LinkGeneration: gen}, Invitation: inv}
				if sends, usable := supersededBy(c, at) == "", LinkRefusal(inv, gen, at) == nil; sends != usable {
					t.Errorf("%s, generation %d of 1, at %v: sends %v, link usable %v", st, gen, at.Sub(exp), sends, usable)
				}
			}
		}
	}
}
