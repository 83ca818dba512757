package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// writers is how many goroutines race in the concurrency tests.
const writers = 20

// race runs fn(0) … fn(writers-1) in goroutines released together, and
// returns their errors by index.
func race(fn func(i int) error) []error {
	errs := make([]error, writers)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			<-release
			errs[i] = fn(i)
		})
	}
	close(release)
	wg.Wait()
	return errs
}

// winners returns the indexes of the nil errors, and fails on any error
// that is not loser.
func winners(tb testing.TB, errs []error, loser error) []int {
	tb.Helper()
	var won []int
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, i)
		case !errors.Is(err, loser):
			tb.Errorf("writer %d: unexpected error: %v", i, err)
		}
	}
	return won
}

// Writers that all read the same version: exactly one update wins.
func testConcurrentUpdatesSameVersion(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "race@example.com", "Race", "Condition"))
	audit := len(mustAudit(t, s, inv.ID))

	errs := race(func(i int) error {
		upd := inv
		upd.SendCount = i + 1
		_, err := s.UpdateInvitation(t.Context(), upd, event(invite.ActionResend, inv.ID, fmt.Sprint("writer ", i)))
		return err
	})
	won := winners(t, errs, invite.ErrEditedMeanwhile)
	if len(won) != 1 {
		t.Fatalf("%d of %d updates of one version succeeded, want exactly 1", len(won), writers)
	}
	got := MustInvitation(t, s, inv.ID)
	if got.Version != inv.Version+1 || got.SendCount != won[0]+1 {
		t.Errorf("after the race: version %d, send count %d; want %d and the winner's %d", got.Version, got.SendCount, inv.Version+1, won[0]+1)
	}
	evs := mustAudit(t, s, inv.ID)
	if len(evs) != audit+1 || evs[len(evs)-1].Detail != fmt.Sprint("writer ", won[0]) {
		t.Errorf("audit after the race = %+v, want one event, by the winner", evs[audit:])
	}
}

// Writers that re-read and retry when they lose: every increment lands, each
// on a different version.
func testConcurrentUpdatesNoLostUpdate(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "race@example.com", "Race", "Condition"))
	audit := len(mustAudit(t, s, inv.ID))

	based := make([]int, writers)
	errs := race(func(i int) error {
		// Each round at least one writer wins, so writers rounds always suffice.
		for range writers {
			cur, err := s.Invitation(t.Context(), inv.ID)
			if err != nil {
				return err
			}
			upd := cur
			upd.SendCount++
			_, err = s.UpdateInvitation(t.Context(), upd, event(invite.ActionResend, inv.ID, "increment"))
			if errors.Is(err, invite.ErrEditedMeanwhile) {
				continue
			}
			based[i] = cur.Version
			return err
		}
		return fmt.Errorf("writer %d lost %d times in a row", i, writers)
	})
	if won := winners(t, errs, nil); len(won) != writers {
		t.Fatalf("%d of %d writers succeeded", len(won), writers)
	}
	got := MustInvitation(t, s, inv.ID)
	if got.SendCount != writers || got.Version != inv.Version+writers {
		t.Errorf("after %d increments: send count %d, version %d; want %d and %d", writers, got.SendCount, got.Version, writers, inv.Version+writers)
	}
	slices.Sort(based)
	for i, v := range based {
		if v != inv.Version+i {
			t.Fatalf("successful updates were based on versions %v, want each of %d…%d once", based, inv.Version, inv.Version+writers-1)
		}
	}
	if n := len(mustAudit(t, s, inv.ID)); n != audit+writers {
		t.Errorf("%d audit events for %d updates", n-audit, writers)
	}
}

// Concurrent accepts of one link create exactly one user; the others find
// the link used.
func testConcurrentAccept(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "race@example.com", "Race", "Condition"))
	upd := inv
	upd.State, upd.AcceptedAt = invite.StateAccepted, T0
	users := make([]invite.User, writers)
	errs := race(func(i int) error {
		users[i] = NewUser(inv, T0)
		return s.Accept(t.Context(), upd, &users[i], NewSession(fmt.Sprint("writer ", i), T0), event(invite.ActionAccept, inv.ID, "accept"))
	})
	won := winners(t, errs, invite.ErrLinkUsed)
	if len(won) != 1 {
		t.Fatalf("%d of %d concurrent accepts succeeded, want exactly 1", len(won), writers)
	}
	assertUsers(t, s, []invite.User{users[won[0]]})
	for i := range writers {
		_, err := s.SessionUser(t.Context(), NewSession(fmt.Sprint("writer ", i), T0).IDHash, T0)
		if (err == nil) != (i == won[0]) {
			t.Errorf("session of writer %d: %v (winner %d)", i, err, won[0])
		}
	}
	if got := MustInvitation(t, s, inv.ID); got.State != invite.StateAccepted || got.Version != inv.Version+1 {
		t.Errorf("after the race the invitation is %s at version %d", got.State, got.Version)
	}
}

// Concurrent invitations for one email: exactly one is stored.
func testConcurrentCreateSameEmail(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	errs := race(func(i int) error {
		email := "race@example.com"
		if i%2 == 1 {
			email = strings.ToUpper(email)
		}
		inv := NewInvitation(c, email, "Race", "Condition")
		return s.CreateInvitation(t.Context(), &inv, event(invite.ActionInvite, 0, "invited"), "")
	})
	if won := winners(t, errs, invite.ErrEmailTaken); len(won) != 1 {
		t.Fatalf("%d of %d invitations for one email were stored, want exactly 1", len(won), writers)
	}
	if n := countAll(t, s); n != 1 {
		t.Errorf("%d invitations stored, want 1", n)
	}
}

// Edits without a version (`edit ID --phone …`) that race each other and a
// resend all land: none is refused as edited meanwhile, none is lost, and
// each writes its own field.
func testConcurrentEditsWithoutVersion(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "race@example.com", "Race", "Condition"))
	svc := &invite.Service{Store: s, Now: func() time.Time { return T0 }}
	const rounds = 4
	errs := race(func(i int) error {
		for r := range rounds {
			if i == 0 { // a resend's change of the same row, in between
				cur, err := s.Invitation(t.Context(), inv.ID)
				if err != nil {
					return err
				}
				cur.SendCount++
				if _, err := s.UpdateInvitation(t.Context(), cur, event(invite.ActionResend, inv.ID, "sent")); err != nil && !errors.Is(err, invite.ErrEditedMeanwhile) {
					return err
				}
				continue
			}
			phone := fmt.Sprintf("+4670%03d%04d", i, r)
			var p invite.Patch
			if r%2 == 0 {
				p.Phone = &phone
			} else {
				last := fmt.Sprintf("Writer%dRound%d", i, r)
				p.LastName = &last
			}
			if _, _, err := svc.Edit(t.Context(), "admin", inv.ID, p, nil, 0); err != nil {
				return fmt.Errorf("round %d: %w", r, err)
			}
		}
		return nil
	})
	if won := winners(t, errs, nil); len(won) != writers {
		t.Fatalf("%d of %d writers' edits all landed", len(won), writers)
	}
	edits := 0
	for _, ev := range mustAudit(t, s, inv.ID) {
		if ev.Action == invite.ActionEdit {
			edits++
		}
	}
	if want := (writers - 1) * rounds; edits != want {
		t.Errorf("%d edits recorded, want %d", edits, want)
	}
	got := MustInvitation(t, s, inv.ID)
	if got.Version < inv.Version+(writers-1)*rounds {
		t.Errorf("version %d after %d edits from version %d", got.Version, (writers-1)*rounds, inv.Version)
	}
}
