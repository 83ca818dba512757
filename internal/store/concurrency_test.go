package store_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/storetest"
)

// twoStores opens two stores on one new database, as two processes would
// (a CLI and serve-accept on one SQLite file, two instances on PostgreSQL).
func twoStores(t *testing.T, e rawEngine) []*store.Store {
	at := e.empty(t)
	return []*store.Store{e.open(t, at), e.open(t, at)}
}

// Writers in two stores at once: no SQLITE_BUSY, no lost update, and each
// store sees the other's writes.
func TestTwoStoresWriteAtOnce(t *testing.T) {
	forRawEngines(t, func(t *testing.T, e rawEngine) {
		stores := twoStores(t, e)
		c := storetest.MustCreateCustomer(t, stores[0], "Alfa AB")
		const perWriter = 10
		var wg sync.WaitGroup
		errs := make(chan error, 8*perWriter)
		for w := range 8 {
			s := stores[w%2]
			wg.Go(func() {
				for i := range perWriter {
					inv := storetest.NewInvitation(c, fmt.Sprintf("w%d-%d@example.com", w, i), "Writer", fmt.Sprint("Nr", w))
					if err := s.CreateInvitation(context.Background(), &inv, invite.AuditEvent{At: storetest.T0, Action: invite.ActionInvite}, ""); err != nil {
						errs <- fmt.Errorf("writer %d: %w", w, err)
						return
					}
					inv.SendCount++
					if _, err := s.UpdateInvitation(context.Background(), inv, invite.AuditEvent{At: storetest.T0, Action: invite.ActionSend}); err != nil {
						errs <- fmt.Errorf("writer %d: %w", w, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for _, s := range stores {
			p, err := s.ListInvitations(t.Context(), invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Page: 1, PerPage: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != 8*perWriter || len(p.Invitations) != 8*perWriter {
				t.Errorf("a store sees %d invitations (%d listed), want %d", p.Total, len(p.Invitations), 8*perWriter)
			}
			for _, inv := range p.Invitations {
				if inv.SendCount != 1 || inv.Version != 2 {
					t.Fatalf("invitation %d: send count %d, version %d; want 1 and 2", inv.ID, inv.SendCount, inv.Version)
				}
			}
		}
	})
}

// 50 goroutines over two stores accept one invitation at once: exactly one
// account, one session, one accept event.
func TestTwoStoresConcurrentAccept(t *testing.T) {
	forRawEngines(t, func(t *testing.T, e rawEngine) {
		stores := twoStores(t, e)
		c := storetest.MustCreateCustomer(t, stores[0], "Alfa AB")
		inv := storetest.MustCreateInvitation(t, stores[1], storetest.NewInvitation(c, "race@example.com", "Race", "Condition"))
		upd := inv
		upd.State, upd.AcceptedAt = invite.StateAccepted, storetest.T0
		const n = 50
		errs := make([]error, n)
		release := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-release
				u := storetest.NewUser(inv, storetest.T0)
				sess := storetest.NewSession(fmt.Sprint("goroutine ", i), storetest.T0)
				errs[i] = stores[i%2].Accept(context.Background(), upd, &u, sess,
					invite.AuditEvent{At: storetest.T0, Actor: inv.Email, Action: invite.ActionAccept, InvitationID: inv.ID})
			})
		}
		close(release)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, invite.ErrLinkUsed):
				t.Errorf("goroutine %d: %v, want success or ErrLinkUsed", i, err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d accepts succeeded, want exactly 1", won, n)
		}
		got, err := stores[0].Query(t.Context(), `SELECT (SELECT count(*) FROM sessions) || ' ' ||
			(SELECT count(*) FROM audit_events WHERE action = 'accept') || ' ' || (SELECT count(*) FROM users)`)
		if err != nil || fmt.Sprint(got) != "[1 1 1]" {
			t.Errorf("sessions, accept events and users: %v, %v; want 1 each", got, err)
		}
	})
}

// Invitations for one email created through two stores at once, beside an
// accept of an open invitation for it: the email never ends up with two
// open invitations, nor with an account and an open invitation.
func TestTwoStoresEmailStaysUnique(t *testing.T) {
	forRawEngines(t, func(t *testing.T, e rawEngine) {
		stores := twoStores(t, e)
		a := storetest.MustCreateCustomer(t, stores[0], "Alfa AB")
		b := storetest.MustCreateCustomer(t, stores[0], "Beta AB")
		for round := range 5 {
			email := fmt.Sprintf("round%d@example.com", round)
			first := storetest.MustCreateInvitation(t, stores[0], storetest.NewInvitation(a, email, "Round", "Robin"))
			accepted := first
			accepted.State, accepted.AcceptedAt = invite.StateAccepted, storetest.T0
			release := make(chan struct{})
			var wg sync.WaitGroup
			errs := make([]error, 10)
			for i := range 10 {
				wg.Go(func() {
					<-release
					s := stores[i%2]
					if i == 0 {
						u := storetest.NewUser(first, storetest.T0)
						errs[i] = s.Accept(context.Background(), accepted, &u, storetest.NewSession(email, storetest.T0),
							invite.AuditEvent{At: storetest.T0, Action: invite.ActionAccept})
						return
					}
					inv := storetest.NewInvitation(b, strings.ToUpper(email), "Round", "Robin")
					errs[i] = s.CreateInvitation(context.Background(), &inv, invite.AuditEvent{At: storetest.T0, Action: invite.ActionInvite}, "")
				})
			}
			close(release)
			wg.Wait()
			if errs[0] != nil {
				t.Fatalf("round %d: accept: %v", round, errs[0])
			}
			for i, err := range errs[1:] {
				if !errors.Is(err, invite.ErrEmailTaken) {
					t.Errorf("round %d: invitation %d: %v, want ErrEmailTaken", round, i+1, err)
				}
			}
			invs, err := stores[1].InvitationsByEmail(t.Context(), email, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(invs) != 1 || invs[0].State != invite.StateAccepted {
				t.Errorf("round %d: invitations %+v, want the accepted one only", round, invs)
			}
		}
	})
}

// A purge racing the renewal of an expired invitation's link (PostgreSQL,
// where writers run at once): the renewal commits while the purge waits for
// the row, and the purge then sees the renewed link, so it neither erases
// the invitation nor counts it off its old day of expiry. The order is
// forced with a row lock held by a third transaction, and each step waits
// until PostgreSQL shows the waiter blocked: no sleeps.
func TestPurgeRacesRenewal(t *testing.T) {
	e := rawEngines[1]
	at := e.empty(t)
	s, raw := e.open(t, at), e.raw(t, at)
	ctx := t.Context()
	const day = 24 * time.Hour
	t0, t1 := storetest.T0, storetest.T0.Add(30*day)
	c := storetest.MustCreateCustomer(t, s, "Alfa AB")
	inv := storetest.NewInvitation(c, "x@example.com", "Åsa", "Lind")
	inv.ExpiresAt = t0.Add(time.Hour)
	inv = storetest.MustCreateInvitation(t, s, inv)

	holder, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback() }()
	var holderPID int
	if err := holder.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&holderPID); err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, `SELECT id FROM invitations WHERE id = $1 FOR UPDATE`, inv.ID); err != nil {
		t.Fatal(err)
	}
	// blocked waits until n backends wait, directly or behind another
	// waiter, for the holder's lock.
	blocked := func(n int) {
		t.Helper()
		for {
			var waiting int
			err := raw.QueryRowContext(ctx, `WITH RECURSIVE w(pid) AS (
					SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))
					UNION SELECT a.pid FROM pg_stat_activity a JOIN w ON w.pid = ANY(pg_blocking_pids(a.pid)))
				SELECT count(*) FROM w`, holderPID).Scan(&waiting)
			if err != nil {
				t.Fatal(err)
			}
			if waiting >= n {
				return
			}
			runtime.Gosched()
		}
	}
	renewed := inv
	renewed.LinkGeneration++
	renewed.ExpiresAt = t1.Add(7 * day)
	var wg sync.WaitGroup
	var renewErr, purgeErr error
	var res invite.PurgeResult
	wg.Go(func() {
		_, renewErr = s.UpdateInvitation(ctx, renewed, invite.AuditEvent{At: t1, Actor: "admin", Action: invite.ActionResend, InvitationID: inv.ID})
	})
	blocked(1)
	wg.Go(func() {
		res, purgeErr = s.Purge(ctx, t1, t1, invite.AuditEvent{At: t1, Actor: "admin", Action: invite.ActionPurge}, false)
	})
	blocked(2)
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if renewErr != nil || purgeErr != nil || res.Counts.Total() != 0 {
		t.Fatalf("renewal: %v; purge: %+v, %v; want the renewal kept and nothing purged", renewErr, res, purgeErr)
	}
	if got := storetest.MustInvitation(t, s, inv.ID); got.State != invite.StatePending || got.LinkGeneration != renewed.LinkGeneration {
		t.Fatalf("after the race: state %s, link generation %d", got.State, got.LinkGeneration)
	}
	for _, now := range []time.Time{t1, t1.Add(30 * day)} {
		want := map[invite.StatusFilter]int{invite.FilterPending: 1, invite.FilterExpired: 0}
		if now.After(renewed.ExpiresAt) {
			want = map[invite.StatusFilter]int{invite.FilterPending: 0, invite.FilterExpired: 1}
		}
		for f, n := range want {
			p, err := s.ListInvitations(ctx, invite.ListQuery{Status: f, Sort: invite.DefaultSort, Page: 1, PerPage: 10, Now: now})
			if err != nil || p.Total != n || len(p.Invitations) != n {
				t.Errorf("%s at %s: total %d, %d rows, %v; want %d", f, now.Format(time.DateOnly), p.Total, len(p.Invitations), err, n)
			}
		}
	}
}
