package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

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
