package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// claim claims what q selects at time at, failing the test on an error.
func claim(t *testing.T, s invite.Store, q invite.ClaimQuery) []invite.ClaimedDelivery {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	if q.Lease == 0 {
		q.Lease = time.Minute
	}
	if q.Now.IsZero() {
		q.Now = T0
	}
	got, err := s.ClaimDeliveries(t.Context(), q)
	if err != nil {
		t.Fatalf("ClaimDeliveries: %v", err)
	}
	return got
}

func finish(t *testing.T, s invite.Store, outcomes ...invite.DeliveryOutcome) {
	t.Helper()
	if err := s.FinishDeliveries(t.Context(), outcomes); err != nil {
		t.Fatalf("FinishDeliveries: %v", err)
	}
}

// queued creates an invitation with its email queued.
func queued(t *testing.T, s invite.Store, c invite.Customer, email string) invite.Invitation {
	t.Helper()
	inv := NewInvitation(c, email, "Eva", "Ek")
	inv.LastSentAt = time.Time{}
	if err := s.CreateInvitation(t.Context(), &inv, event(invite.ActionInvite, 0, "invited"), invite.KindInvitation); err != nil {
		t.Fatalf("CreateInvitation: %v", err)
	}
	return MustInvitation(t, s, inv.ID)
}

// An invitation made with an email queues it in the same transaction; a
// claim returns it with the invitation; a sent outcome records the send on
// the invitation with its audit event.
func testOutboxQueueAndSend(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Acme AB")
	quiet := MustCreateInvitation(t, s, NewInvitation(c, "quiet@example.com", "Tyst", "Ek")) // --no-send
	inv := queued(t, s, c, "eva@example.com")
	if inv.Delivery != invite.DeliveryQueued || quiet.Delivery != invite.DeliveryNone {
		t.Fatalf("delivery states: %q, %q", inv.Delivery, quiet.Delivery)
	}
	got := claim(t, s, invite.ClaimQuery{})
	if len(got) != 1 || got[0].InvitationID != inv.ID || got[0].Invitation.Email != "eva@example.com" ||
		got[0].Kind != invite.KindInvitation || got[0].LinkGeneration != 0 || got[0].State != invite.DeliveryQueued || got[0].Token == "" {
		t.Fatalf("claimed %+v", got)
	}
	at := T0.Add(time.Second)
	finish(t, s, invite.DeliveryOutcome{Claim: got[0], State: invite.DeliverySent, At: at,
		Event: invite.AuditEvent{At: at, Actor: "ops", Action: invite.ActionSend, InvitationID: inv.ID, Detail: "emailed"}})
	after := MustInvitation(t, s, inv.ID)
	if after.Delivery != invite.DeliverySent || after.SendCount != 1 || !after.LastSentAt.Equal(at) || after.Version != inv.Version {
		t.Errorf("after sending: delivery %s, %d sent, last %v, version %d→%d", after.Delivery, after.SendCount, after.LastSentAt, inv.Version, after.Version)
	}
	evs, err := s.ListAudit(t.Context(), inv.ID)
	if err != nil || len(evs) != 2 || evs[1].Action != invite.ActionSend || evs[1].Actor != "ops" {
		t.Errorf("audit %+v, %v", evs, err)
	}
	if got := claim(t, s, invite.ClaimQuery{Now: T0.Add(time.Hour)}); len(got) != 0 {
		t.Errorf("a sent email is claimed again: %+v", got)
	}
}

// A claim holds its rows until its lease ends; a lost claim records nothing.
func testOutboxLease(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Acme AB")
	inv := queued(t, s, c, "eva@example.com")
	first := claim(t, s, invite.ClaimQuery{Lease: time.Minute})
	if len(first) != 1 {
		t.Fatalf("claimed %d", len(first))
	}
	if again := claim(t, s, invite.ClaimQuery{Now: T0.Add(59 * time.Second)}); len(again) != 0 {
		t.Fatalf("a held row was claimed again: %+v", again)
	}
	second := claim(t, s, invite.ClaimQuery{Now: T0.Add(time.Minute)})
	if len(second) != 1 || second[0].Token == first[0].Token {
		t.Fatalf("after the lease: %+v", second)
	}
	// The first deliverer, late, cannot record over the second's claim.
	finish(t, s, invite.DeliveryOutcome{Claim: first[0], State: invite.DeliveryFailed, Error: "550 late", At: T0})
	if got := MustInvitation(t, s, inv.ID); got.Delivery != invite.DeliveryQueued {
		t.Errorf("a lost claim recorded: %s", got.Delivery)
	}
	// Released claims are free at once, and count no attempt.
	finish(t, s, invite.DeliveryOutcome{Claim: second[0], State: invite.DeliveryReleased})
	third := claim(t, s, invite.ClaimQuery{Now: T0.Add(time.Minute)})
	if len(third) != 1 || third[0].Attempts != 0 {
		t.Errorf("after release: %+v", third)
	}
}

// Temporary failures wait for their next attempt in the background; a
// person's run takes queued and failed ones at once.
func testOutboxRetryAndFail(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Acme AB")
	a, b := queued(t, s, c, "a@example.com"), queued(t, s, c, "b@example.com")
	got := claim(t, s, invite.ClaimQuery{})
	finish(t, s,
		invite.DeliveryOutcome{Claim: got[0], State: invite.DeliveryQueued, Error: "451 busy", At: T0, Next: T0.Add(time.Minute)},
		invite.DeliveryOutcome{Claim: got[1], State: invite.DeliveryFailed, Error: "550 no such mailbox", At: T0})
	if ga, gb := MustInvitation(t, s, a.ID), MustInvitation(t, s, b.ID); ga.Delivery != invite.DeliveryQueued || ga.DeliveryError != "451 busy" ||
		gb.Delivery != invite.DeliveryFailed || gb.DeliveryError != "550 no such mailbox" {
		t.Errorf("after the attempt: %s %q, %s %q", ga.Delivery, ga.DeliveryError, gb.Delivery, gb.DeliveryError)
	}
	if due := claim(t, s, invite.ClaimQuery{Due: true, Now: T0.Add(30 * time.Second)}); len(due) != 0 {
		t.Errorf("claimed before the next attempt: %+v", due)
	}
	due := claim(t, s, invite.ClaimQuery{Due: true, Now: T0.Add(time.Minute)})
	if len(due) != 1 || due[0].InvitationID != a.ID || due[0].Attempts != 1 {
		t.Fatalf("due: %+v", due)
	}
	finish(t, s, invite.DeliveryOutcome{Claim: due[0], State: invite.DeliveryReleased})
	if queuedOnly := claim(t, s, invite.ClaimQuery{Now: T0.Add(time.Second)}); len(queuedOnly) != 1 || queuedOnly[0].InvitationID != a.ID {
		t.Fatalf("a person's run took %+v, want the queued one only", queuedOnly)
	} else {
		finish(t, s, invite.DeliveryOutcome{Claim: queuedOnly[0], State: invite.DeliveryReleased})
	}
	now := claim(t, s, invite.ClaimQuery{Now: T0.Add(time.Second), RetryFailed: true})
	if len(now) != 2 {
		t.Fatalf("a run with RetryFailed took %d, want the queued and the failed one", len(now))
	}
	// The outbox's depth counts the queued one (since it was queued) and
	// the failed one; a delivered email leaves it.
	wantDepth := func(want invite.OutboxDepth) {
		t.Helper()
		if d, err := s.OutboxDepth(t.Context()); err != nil || d.Queued != want.Queued || d.Failed != want.Failed || !d.OldestQueued.Equal(want.OldestQueued) {
			t.Errorf("outbox depth %+v, %v; want %+v", d, err, want)
		}
	}
	wantDepth(invite.OutboxDepth{Queued: 1, Failed: 1, OldestQueued: MustInvitation(t, s, a.ID).CreatedAt})
	// The filter on the latest email's state.
	q := invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Page: 1, PerPage: 10, Now: T0, Delivery: invite.DeliveryFailed}
	page, err := s.ListInvitations(t.Context(), q)
	if err != nil || page.Total != 1 || len(page.Invitations) != 1 || page.Invitations[0].ID != b.ID {
		t.Errorf("list --delivery failed: %+v, %v", page, err)
	}
	finish(t, s, invite.DeliveryOutcome{Claim: now[0], State: invite.DeliverySent, At: T0.Add(time.Second), Event: event(invite.ActionResend, now[0].InvitationID, "sent")},
		invite.DeliveryOutcome{Claim: now[1], State: invite.DeliverySent, At: T0.Add(time.Second), Event: event(invite.ActionResend, now[1].InvitationID, "sent")})
	wantDepth(invite.OutboxDepth{})
}

// A new link generation, or a resolved invitation, supersedes the
// undelivered emails: only the latest link is ever claimed.
func testOutboxSupersede(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Acme AB")
	inv := queued(t, s, c, "eva@example.com")
	renewed := inv
	renewed.LinkGeneration, renewed.ExpiresAt = 1, T0.Add(48*time.Hour)
	out, errs, err := s.UpdateInvitations(t.Context(), []invite.InvitationChange{{Invitation: renewed, Mail: invite.KindInvitation,
		Event: event(invite.ActionResend, inv.ID, "new link")}})
	if err != nil || errs[0] != nil || out[0].Delivery != invite.DeliveryQueued {
		t.Fatalf("renewing: %v %v %+v", err, errs, out)
	}
	got := claim(t, s, invite.ClaimQuery{})
	if len(got) != 1 || got[0].LinkGeneration != 1 || got[0].Invitation.LinkGeneration != 1 {
		t.Fatalf("claimed %+v", got)
	}
	finish(t, s, invite.DeliveryOutcome{Claim: got[0], State: invite.DeliveryReleased})
	// Revoking supersedes the queued one and leaves nothing to deliver.
	cur := MustInvitation(t, s, inv.ID)
	cur.State, cur.RevokedAt = invite.StateRevoked, T0
	revoked := MustUpdateInvitation(t, s, cur)
	if revoked.Delivery != invite.DeliveryNone || MustInvitation(t, s, inv.ID).Delivery != invite.DeliveryNone {
		t.Errorf("revoked with its email queued: %s", revoked.Delivery)
	}
	if got := claim(t, s, invite.ClaimQuery{}); len(got) != 0 {
		t.Errorf("claimed after revoking: %+v", got)
	}
}

// Concurrent claimers never hold one row at once: every row goes to one.
// A claim that hands out a held row again ends the test at once (the
// claimers would otherwise loop until the test's timeout).
func testOutboxConcurrentClaims(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Acme AB")
	const n = 60
	for i := range n {
		queued(t, s, c, fmt.Sprintf("p%02d@example.com", i))
	}
	var mu sync.Mutex
	held := map[int64]int{}
	claimed := 0 // rows handed out, counting repeats
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for {
				got, err := s.ClaimDeliveries(t.Context(), invite.ClaimQuery{Now: T0, Lease: time.Minute, Limit: 7})
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					held[d.ID]++
				}
				claimed += len(got)
				over := claimed > n
				mu.Unlock()
				if over {
					return // a row went out twice: reported below
				}
			}
		})
	}
	wg.Wait()
	if len(held) != n {
		t.Errorf("%d of %d claimed", len(held), n)
	}
	for id, k := range held {
		if k != 1 {
			t.Errorf("delivery %d claimed %d times", id, k)
		}
	}
	// A live deliverer (this process) holds them all until the lease ends.
	for at, want := range map[time.Time]int{T0: n, T0.Add(time.Minute): 0} {
		if got, err := s.HeldDeliveries(t.Context(), invite.ClaimQuery{Now: at}); err != nil || got != want {
			t.Errorf("HeldDeliveries at %v: %d, %v; want %d", at, got, err, want)
		}
	}
}

// The delivery state list --delivery filters on, and the kept counts
// list's totals and a customer's open invitations come from, agree with a
// model after every step of random sequences (fixed seeds) of invite,
// accept, revoke, resend, renew, delivery outcomes, the clock moving on,
// purge and users delete. The delivery state is that of the latest
// invitation email not superseded, "none" without one; a resolved or purged
// invitation has nothing left to deliver. Every total of every status of
// every customer (and of all) is a recount of the model: kept counts that
// drift from the rows fail at the step that moved them.
func testOutboxDeliveryStateModel(t *testing.T, s invite.Store) {
	custs := []invite.Customer{MustCreateCustomer(t, s, "Alfa AB"), MustCreateCustomer(t, s, "Beta AB"), MustCreateCustomer(t, s, "Gamma AB")}
	models := map[int64]*modelRow{}
	var ids []int64
	at := T0.Add(time.Minute)
	rng := rand.New(rand.NewPCG(20, 6))
	create := func(i int, expires time.Time) {
		c := custs[i%len(custs)]
		inv := NewInvitation(c, fmt.Sprintf("m%d@example.com", i), "Eva", "Ek")
		inv.LastSentAt, inv.CreatedAt, inv.ExpiresAt = time.Time{}, at, expires
		if err := s.CreateInvitation(t.Context(), &inv, event(invite.ActionInvite, 0, "invited"), invite.KindInvitation); err != nil {
			t.Fatalf("CreateInvitation: %v", err)
		}
		ids = append(ids, inv.ID)
		models[inv.ID] = &modelRow{customer: c.ID, state: invite.StatePending, expires: expires, rows: []invite.DeliveryState{invite.DeliveryQueued}}
	}
	for i := range 5 {
		create(i, T0.Add(invite.DefaultTTL))
	}
	// soon is a random expiry within three days of at, off the hour.
	soon := func() time.Time { return at.Add(time.Duration(rng.IntN(72)+1)*time.Hour + 17*time.Minute) }
	var trail []string
	for step := range 200 {
		id := ids[rng.IntN(len(ids))]
		m := models[id]
		at = at.Add(time.Second)
		pending := m.state == invite.StatePending && m.expires.After(at)
		var op string
		switch rng.IntN(9) {
		case 0: // resend the same link
			op = "resend"
			if !pending {
				break
			}
			cur := MustInvitation(t, s, id)
			if _, errs, err := s.UpdateInvitations(t.Context(), []invite.InvitationChange{{Invitation: cur, Mail: invite.KindInvitation,
				Event: event(invite.ActionResend, id, "resend")}}); err != nil || errs[0] != nil {
				t.Fatalf("resend: %v, %v", err, errs)
			}
			m.supersede()
			m.rows = append(m.rows, invite.DeliveryQueued)
		case 1: // a fresh link, expired or not
			op = "renew"
			if m.state != invite.StatePending {
				break
			}
			cur := MustInvitation(t, s, id)
			cur.LinkGeneration++
			cur.ExpiresAt = soon()
			if _, errs, err := s.UpdateInvitations(t.Context(), []invite.InvitationChange{{Invitation: cur, Mail: invite.KindInvitation,
				Event: event(invite.ActionResend, id, "renew")}}); err != nil || errs[0] != nil {
				t.Fatalf("renew: %v, %v", err, errs)
			}
			m.expires = cur.ExpiresAt
			m.supersede()
			m.rows = append(m.rows, invite.DeliveryQueued)
		case 2:
			op = "accept"
			if !pending {
				break
			}
			if _, err := acceptAt(t, s, MustInvitation(t, s, id), at, fmt.Sprint("accept ", step)); err != nil {
				t.Fatalf("accept: %v", err)
			}
			m.state, m.resolved = invite.StateAccepted, at
			m.supersede()
		case 3:
			op = "revoke"
			if !pending {
				break
			}
			cur := MustInvitation(t, s, id)
			cur.State, cur.RevokedAt = invite.StateRevoked, at
			MustUpdateInvitation(t, s, cur)
			m.state, m.resolved = invite.StateRevoked, at
			m.supersede()
		case 4: // a deliverer's outcomes, failed ones retried too
			op = "deliver"
			for _, cl := range claim(t, s, invite.ClaimQuery{Now: at, RetryFailed: true}) {
				st := []invite.DeliveryState{invite.DeliverySent, invite.DeliveryFailed, invite.DeliveryQueued}[rng.IntN(3)]
				o := invite.DeliveryOutcome{Claim: cl, State: st, At: at, Event: event(invite.ActionSend, cl.InvitationID, "sent")}
				if st != invite.DeliverySent {
					o.Error = "refused"
				}
				finish(t, s, o)
				cm := models[cl.InvitationID]
				for i := len(cm.rows) - 1; i >= 0; i-- {
					if r := cm.rows[i]; r == invite.DeliveryQueued || r == invite.DeliveryFailed {
						cm.rows[i] = st
						break
					}
				}
			}
		case 5:
			op = "purge"
			cutoff := at.Add(-time.Duration(rng.IntN(48)) * time.Hour)
			if _, err := s.Purge(t.Context(), cutoff, at, invite.AuditEvent{At: at, Actor: "admin", Action: invite.ActionPurge}, false); err != nil {
				t.Fatalf("purge: %v", err)
			}
			for _, pm := range models {
				if pm.state == invite.StatePending && pm.expires.Before(cutoff) ||
					(pm.state == invite.StateAccepted || pm.state == invite.StateRevoked) && pm.resolved.Before(cutoff) {
					pm.state, pm.rows = invite.StatePurged, nil
				}
			}
		case 6:
			op = "invite"
			create(len(ids), soon())
			id = ids[len(ids)-1]
		case 7: // the clock moves on: pending ones expire
			op = "clock"
			at = at.Add(time.Duration(rng.IntN(30)) * time.Hour)
		case 8:
			op = "users delete"
			if m.state != invite.StateAccepted {
				break
			}
			u, err := s.UserByEmail(t.Context(), MustInvitation(t, s, id).Email)
			if err != nil {
				t.Fatalf("UserByEmail: %v", err)
			}
			if err := s.DeleteUser(t.Context(), u.ID, invite.AuditEvent{At: at, Actor: "admin", Action: invite.ActionUserDelete, InvitationID: id}); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			m.state, m.rows = invite.StatePurged, nil
		}
		trail = append(trail, fmt.Sprintf("%s %d", op, id))
		undelivered := 0
		for _, mid := range ids {
			mm := models[mid]
			for _, r := range mm.rows {
				if r == invite.DeliveryQueued || r == invite.DeliveryFailed {
					undelivered++
					if mm.state != invite.StatePending {
						t.Fatalf("after %v: the model keeps an email of a %s invitation", trail, mm.state)
					}
				}
			}
			if got := MustInvitation(t, s, mid); got.Delivery != mm.delivery() {
				t.Fatalf("after %v: invitation %d (%s) has delivery %s, want %s", trail, mid, mm.state, got.Delivery, mm.delivery())
			}
		}
		if d, err := s.OutboxDepth(t.Context()); err != nil || d.Queued+d.Failed != undelivered {
			t.Fatalf("after %v: outbox depth %+v, %v; want %d undelivered", trail, d, err, undelivered)
		}
		checkKeptCounts(t, s, at, custs, models, trail)
	}
}

// Recording a sent email and renewing its invitation's link at once, over
// and over: both end, neither with an error (each takes the invitation
// before the email's row; on PostgreSQL the opposite order deadlocks).
func testOutboxRecordRacesRenewal(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Acme AB")
	for round := range 40 {
		inv := queued(t, s, c, fmt.Sprintf("r%02d@example.com", round))
		cl := claim(t, s, invite.ClaimQuery{InvitationIDs: []int64{inv.ID}})
		if len(cl) != 1 {
			t.Fatalf("round %d: claimed %d", round, len(cl))
		}
		renewed := inv
		renewed.LinkGeneration++
		var wg sync.WaitGroup
		var finishErr, renewErr error
		wg.Go(func() {
			finishErr = s.FinishDeliveries(t.Context(), []invite.DeliveryOutcome{{Claim: cl[0], State: invite.DeliverySent, At: T0,
				Event: event(invite.ActionSend, inv.ID, "sent")}})
		})
		wg.Go(func() {
			_, errs, err := s.UpdateInvitations(t.Context(), []invite.InvitationChange{{Invitation: renewed, Mail: invite.KindInvitation,
				Event: event(invite.ActionResend, inv.ID, "renew")}})
			if renewErr = err; err == nil {
				renewErr = errs[0]
			}
		})
		wg.Wait()
		if finishErr != nil || renewErr != nil {
			t.Fatalf("round %d: record %v, renewal %v", round, finishErr, renewErr)
		}
	}
}

// Two batches of resends over the same invitations, given in opposite
// orders, at once: each change is applied or refused as edited meanwhile,
// and no batch fails as a whole (PostgreSQL deadlocked on the opposite lock
// orders).
func testBatchesInOppositeOrders(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Acme AB")
	var invs []invite.Invitation
	for i := range 12 {
		invs = append(invs, queued(t, s, c, fmt.Sprintf("o%02d@example.com", i)))
	}
	for round := range 10 {
		var forward []invite.InvitationChange
		for _, inv := range invs {
			inv = MustInvitation(t, s, inv.ID)
			forward = append(forward, invite.InvitationChange{Invitation: inv, Mail: invite.KindInvitation, Event: event(invite.ActionResend, inv.ID, "resend")})
		}
		backward := slices.Clone(forward)
		slices.Reverse(backward)
		var wg sync.WaitGroup
		var errF, errB error
		wg.Go(func() { _, _, errF = s.UpdateInvitations(t.Context(), forward) })
		wg.Go(func() { _, _, errB = s.UpdateInvitations(t.Context(), backward) })
		wg.Wait()
		if errF != nil || errB != nil {
			t.Fatalf("round %d: %v; %v", round, errF, errB)
		}
	}
}
