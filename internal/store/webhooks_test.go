package store_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/storetest"
	"github.com/invitectl/invitectl/internal/webhook"
)

// hookStore is a store of e that queues every event type.
func hookStore(t *testing.T, e engine) *store.Store {
	s := e.open(t)
	s.SetWebhookEvents(webhook.Types)
	return s
}

// recorder is an EventSender that answers from a script and records what
// it was asked to send, in order.
type recorder struct {
	sent   []string // "type invitation webhook-id"
	answer func(e invite.ClaimedEvent) (invite.EventState, error)
}

func (r *recorder) SendEvent(_ context.Context, e invite.ClaimedEvent) (invite.EventState, error) {
	state, err := invite.EventDelivered, error(nil)
	if r.answer != nil {
		state, err = r.answer(e)
	}
	if state == invite.EventDelivered {
		r.sent = append(r.sent, fmt.Sprintf("%s %d", e.Type, e.InvitationID))
	}
	return state, err
}

func deliverEvents(t *testing.T, s *store.Store, r *recorder, now time.Time) invite.EventSummary {
	t.Helper()
	svc := &invite.Service{Store: s, Now: func() time.Time { return now }}
	sum, err := svc.DeliverEvents(t.Context(), r, invite.EventRequest{})
	if err != nil {
		t.Fatalf("DeliverEvents: %v", err)
	}
	return sum
}

func TestWebhookEventsQueuedWithTheirChange(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		s := hookStore(t, e)
		c := storetest.MustCreateCustomer(t, s, "Acme AB")
		a := storetest.MustCreateInvitation(t, s, storetest.NewInvitation(c, "a@example.com", "Anna", "A"))
		b := storetest.MustCreateInvitation(t, s, storetest.NewInvitation(c, "b@example.com", "Bo", "B"))

		// An all-or-nothing batch whose second change fails is rolled back:
		// the first change's event goes with it.
		ok, stale := a, b
		ok.FirstName = "Annie"
		stale.Version = 99
		ev := invite.AuditEvent{At: storetest.T0, Actor: "admin", Action: invite.ActionEdit}
		ev.InvitationID = a.ID
		evB := ev
		evB.InvitationID = b.ID
		var errs []error
		err := s.UpdateInvitationsChunks(t.Context(), func(write func([]invite.InvitationChange) ([]error, error)) error {
			var err error
			errs, err = write([]invite.InvitationChange{{Invitation: ok, Event: ev}, {Invitation: stale, Event: evB}})
			return err
		})
		if err != nil || errs[1] == nil {
			t.Fatalf("UpdateInvitationsChunks: %v %v, want the second change refused", errs, err)
		}
		// An import whose email is taken writes nothing.
		res, err := importAll(t.Context(), s, []invite.Invitation{
			storetest.NewInvitation(c, "new@example.com", "Nya", "N"), storetest.NewInvitation(c, "a@example.com", "Anna", "A"),
		}, invite.ImportWrite{Event: func(n int) invite.AuditEvent {
			return invite.AuditEvent{At: storetest.T0, Actor: "admin", Action: invite.ActionImport}
		}})
		if err != nil || len(res.Conflicts) != 1 {
			t.Fatalf("ImportInvitations: %+v %v, want one conflict", res, err)
		}
		st, err := s.EventStatus(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Queued != 2 {
			t.Fatalf("queued = %d, want 2 (the two invitations created; nothing of the rolled-back changes)", st.Queued)
		}

		// A committed import queues one event per invitation; accepting
		// names the user; purge one per invitation.
		imported := []invite.Invitation{storetest.NewInvitation(c, "c@example.com", "Cia", "C"), storetest.NewInvitation(c, "d@example.com", "Dan", "D")}
		if _, err := importAll(t.Context(), s, imported, invite.ImportWrite{Event: func(n int) invite.AuditEvent {
			return invite.AuditEvent{At: storetest.T0, Actor: "admin", Action: invite.ActionImport}
		}}); err != nil {
			t.Fatal(err)
		}
		u := storetest.MustAccept(t, s, storetest.MustInvitation(t, s, a.ID), storetest.T0.Add(time.Hour))
		r := &recorder{}
		sum := deliverEvents(t, s, r, storetest.T0.Add(2*time.Hour))
		want := []string{
			fmt.Sprintf("invitation.created %d", a.ID), fmt.Sprintf("invitation.created %d", b.ID),
			fmt.Sprintf("invitation.created %d", imported[0].ID), fmt.Sprintf("invitation.created %d", imported[1].ID),
			fmt.Sprintf("invitation.accepted %d", a.ID),
		}
		if !slices.Equal(r.sent, want) || sum.Delivered != len(want) {
			t.Fatalf("sent %q (%+v), want %q", r.sent, sum, want)
		}
		if r2 := (&recorder{}); deliverEvents(t, s, r2, storetest.T0.Add(3*time.Hour)).Delivered != 0 {
			t.Fatalf("a second run sent %q again", r2.sent)
		}
		_ = u
	})
}

func TestWebhookEventsOfOneInvitationInOrder(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		s := hookStore(t, e)
		c := storetest.MustCreateCustomer(t, s, "Acme AB")
		a := storetest.MustCreateInvitation(t, s, storetest.NewInvitation(c, "a@example.com", "Anna", "A"))
		b := storetest.MustCreateInvitation(t, s, storetest.NewInvitation(c, "b@example.com", "Bo", "B"))
		a = storetest.MustUpdateInvitation(t, s, a)
		storetest.MustUpdateInvitation(t, s, b)
		storetest.MustUpdateInvitation(t, s, a)

		// The receiver is down for a's first event only: a's later events
		// wait for it; b's go on.
		var attempts []int64
		down := true
		r := &recorder{answer: func(e invite.ClaimedEvent) (invite.EventState, error) {
			attempts = append(attempts, e.ID)
			if down && e.InvitationID == a.ID {
				return invite.EventQueued, errors.New("the receiver answered 503")
			}
			return invite.EventDelivered, nil
		}}
		now := storetest.T0.Add(time.Hour)
		sum := deliverEvents(t, s, r, now)
		if want := []string{fmt.Sprintf("invitation.created %d", b.ID), fmt.Sprintf("invitation.updated %d", b.ID)}; !slices.Equal(r.sent, want) || sum.Retrying != 1 {
			t.Fatalf("with a's receiver down: sent %q (%+v), want %q and one retrying", r.sent, sum, want)
		}
		down = false
		r.sent = nil
		deliverEvents(t, s, r, now.Add(time.Minute))
		want := []string{fmt.Sprintf("invitation.created %d", a.ID), fmt.Sprintf("invitation.updated %d", a.ID), fmt.Sprintf("invitation.updated %d", a.ID)}
		if !slices.Equal(r.sent, want) {
			t.Fatalf("after the receiver came back: sent %q, want %q in commit order", r.sent, want)
		}
		st, err := s.EventStatus(t.Context())
		if err != nil || st.Queued != 0 || st.Delivered != 5 || st.Failed != 0 {
			t.Fatalf("status %+v %v, want 5 delivered", st, err)
		}
	})
}

func TestWebhookEventRefusedIsFailedAndReported(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		s := hookStore(t, e)
		c := storetest.MustCreateCustomer(t, s, "Acme AB")
		a := storetest.MustCreateInvitation(t, s, storetest.NewInvitation(c, "a@example.com", "Anna", "A"))
		storetest.MustUpdateInvitation(t, s, a)
		r := &recorder{answer: func(e invite.ClaimedEvent) (invite.EventState, error) {
			if e.Type == webhook.InvitationCreated {
				return invite.EventFailed, errors.New("the receiver answered 400 Bad Request")
			}
			return invite.EventDelivered, nil
		}}
		sum := deliverEvents(t, s, r, storetest.T0.Add(time.Hour))
		if sum.Failed != 1 || sum.Delivered != 1 {
			t.Fatalf("summary %+v, want 1 failed (not holding the update back) and 1 delivered", sum)
		}
		st, err := s.EventStatus(t.Context())
		if err != nil || len(st.FailedEvents) != 1 || st.FailedEvents[0].LastError != "the receiver answered 400 Bad Request" {
			t.Fatalf("status %+v %v, want the failed event with its error", st, err)
		}
		// A failed event is not attempted again unless asked.
		if sum := deliverEvents(t, s, r, storetest.T0.Add(2*time.Hour)); sum != (invite.EventSummary{}) {
			t.Fatalf("second run %+v, want nothing attempted", sum)
		}
	})
}

func TestWebhookEventsOffQueueNothing(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		s := e.open(t)
		s.SetWebhookEvents([]string{webhook.InvitationRevoked})
		c := storetest.MustCreateCustomer(t, s, "Acme AB")
		storetest.MustCreateInvitation(t, s, storetest.NewInvitation(c, "a@example.com", "Anna", "A"))
		st, err := s.EventStatus(t.Context())
		if err != nil || st.Queued != 0 {
			t.Fatalf("status %+v %v, want no event: invitation.created is not subscribed", st, err)
		}
	})
}

// syncRecorder is an EventSender for concurrent deliverers: it records, per
// invitation, the IDs of the events delivered, in the order they were sent.
type syncRecorder struct {
	mu    sync.Mutex
	order map[int64][]int64
	times map[int64]int
}

func (r *syncRecorder) SendEvent(_ context.Context, e invite.ClaimedEvent) (invite.EventState, error) {
	r.mu.Lock()
	r.order[e.InvitationID] = append(r.order[e.InvitationID], e.ID)
	r.times[e.ID]++
	r.mu.Unlock()
	runtime.Gosched() // let the other deliverer in between
	return invite.EventDelivered, nil
}

// Two deliverers on two stores (two processes) at once: every event is sent
// once, and each invitation's events in the order they were queued.
func TestTwoDeliverersKeepEachInvitationsOrder(t *testing.T) {
	forRawEngines(t, func(t *testing.T, e rawEngine) {
		stores := twoStores(t, e)
		for _, s := range stores {
			s.SetWebhookEvents(webhook.Types)
		}
		c := storetest.MustCreateCustomer(t, stores[0], "Acme AB")
		var invs []invite.Invitation
		for i := range 30 {
			invs = append(invs, storetest.MustCreateInvitation(t, stores[i%2], storetest.NewInvitation(c, fmt.Sprintf("i%d@example.com", i), "Anna", "Ek")))
		}
		for range 3 { // each invitation's events spread over the whole queue
			for i := range invs {
				invs[i] = storetest.MustUpdateInvitation(t, stores[i%2], invs[i])
			}
		}
		rec := &syncRecorder{order: map[int64][]int64{}, times: map[int64]int{}}
		var wg sync.WaitGroup
		sums := make([]invite.EventSummary, 2)
		for i, s := range stores {
			wg.Go(func() {
				svc := &invite.Service{Store: s, Now: func() time.Time { return storetest.T0.Add(time.Hour) }}
				var err error
				if sums[i], err = svc.DeliverEvents(context.Background(), rec, invite.EventRequest{}); err != nil {
					t.Errorf("deliverer %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if n := sums[0].Delivered + sums[1].Delivered; n != 120 {
			t.Errorf("the two deliverers delivered %d events (%+v), want all 120", n, sums)
		}
		for id, n := range rec.times {
			if n != 1 {
				t.Errorf("event %d sent %d times", id, n)
			}
		}
		for inv, ids := range rec.order {
			if !slices.IsSorted(ids) || len(ids) != 4 {
				t.Errorf("invitation %d: events sent in the order %v, want 4 in ID order", inv, ids)
			}
		}
	})
}

// The rule behind the order, claim by claim: while one deliverer holds an
// invitation's event, or it waits for a retry, no claim takes that
// invitation's later events; other invitations' go on.
func TestEventClaimHoldsBackAnInvitationsLaterEvents(t *testing.T) {
	forRawEngines(t, func(t *testing.T, e rawEngine) {
		stores := twoStores(t, e)
		for _, s := range stores {
			s.SetWebhookEvents(webhook.Types)
		}
		c := storetest.MustCreateCustomer(t, stores[0], "Acme AB")
		a := storetest.MustCreateInvitation(t, stores[0], storetest.NewInvitation(c, "a@example.com", "Anna", "A"))
		b := storetest.MustCreateInvitation(t, stores[0], storetest.NewInvitation(c, "b@example.com", "Bo", "B"))
		storetest.MustUpdateInvitation(t, stores[1], a) // event 3, a's second
		now := storetest.T0.Add(time.Hour)
		claim := func(s *store.Store, q invite.EventClaimQuery) []invite.ClaimedEvent {
			t.Helper()
			q.Now, q.Lease = now, 5*time.Minute
			if q.Limit == 0 {
				q.Limit = 10
			}
			got, err := s.ClaimEvents(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		names := func(cs []invite.ClaimedEvent) []string {
			var out []string
			for _, c := range cs {
				out = append(out, fmt.Sprintf("%s %d", c.Type, c.InvitationID))
			}
			return out
		}
		held := claim(stores[0], invite.EventClaimQuery{Limit: 1})
		if got := names(held); !slices.Equal(got, []string{fmt.Sprintf("invitation.created %d", a.ID)}) {
			t.Fatalf("first claim %q", got)
		}
		if held[0].Invitation == nil || held[0].Invitation.Email != "a@example.com" {
			t.Errorf("the claim carries the invitation %+v", held[0].Invitation)
		}
		// a's first event is held: its update waits; b's event goes.
		other := claim(stores[1], invite.EventClaimQuery{})
		if got := names(other); !slices.Equal(got, []string{fmt.Sprintf("invitation.created %d", b.ID)}) {
			t.Fatalf("while a's first event is held, the other store claimed %q; want only b's", got)
		}
		// a's first event is to be retried in a minute: the background
		// deliverer (Due) still holds the update back; a person's deliver
		// takes both, in order.
		if err := stores[0].FinishEvents(t.Context(), []invite.EventOutcome{{Claim: held[0], State: invite.EventQueued, Error: "503", At: now, Next: now.Add(time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		if got := names(claim(stores[1], invite.EventClaimQuery{Due: true})); len(got) != 0 {
			t.Fatalf("a due claim took %q while a's first event waits for its retry", got)
		}
		if got, want := names(claim(stores[1], invite.EventClaimQuery{})), []string{fmt.Sprintf("invitation.created %d", a.ID), fmt.Sprintf("invitation.updated %d", a.ID)}; !slices.Equal(got, want) {
			t.Fatalf("claim %q, want %q", got, want)
		}
	})
}

// importAll imports invs in one chunk.
func importAll(ctx context.Context, s *store.Store, invs []invite.Invitation, w invite.ImportWrite) (invite.ImportWritten, error) {
	return s.ImportInvitations(ctx, w, func(write func([]invite.Invitation) (invite.ImportWritten, error)) error {
		_, err := write(invs)
		return err
	})
}
