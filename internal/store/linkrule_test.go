package store_test

import (
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/storetest"
)

// The accept's SQL condition and invite.LinkRefusal are one rule: for every
// state, a link of the current, an older and a newer generation, and a time
// before, at and after the expiry, the condition selects the row exactly when
// the rule finds nothing to refuse.
func TestUsableLinkIsLinkRefusal(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		s := e.open(t)
		ctx := t.Context()
		c := storetest.MustCreateCustomer(t, s, "Acme AB")
		inv := storetest.MustCreateInvitation(t, s, storetest.NewInvitation(c, "a@example.com", "Anna", "Ek"))
		if err := s.Exec(ctx, `UPDATE invitations SET link_generation = 3 WHERE id = ?`, inv.ID); err != nil {
			t.Fatal(err)
		}
		usable := 0
		for _, state := range []invite.State{invite.StatePending, invite.StateAccepted, invite.StateRevoked, invite.StatePurged} {
			if err := s.Exec(ctx, `UPDATE invitations SET state = ? WHERE id = ?`, string(state), inv.ID); err != nil {
				t.Fatalf("set state %s: %v", state, err)
			}
			cur := storetest.MustInvitation(t, s, inv.ID)
			for _, gen := range []int{2, 3, 4} {
				for _, d := range []time.Duration{-time.Second, 0, time.Second} {
					at := cur.ExpiresAt.Add(d)
					got, err := s.LinkUsable(ctx, inv.ID, gen, at)
					if err != nil {
						t.Fatal(err)
					}
					refusal := invite.LinkRefusal(cur, gen, at)
					if got != (refusal == nil) {
						t.Errorf("%s, generation %d, expiry%+v: the SQL condition selects the row: %v; LinkRefusal: %v", state, gen, d, got, refusal)
					}
					if got {
						usable++
					}
				}
			}
		}
		if usable != 1 {
			t.Errorf("%d combinations usable, want 1 (pending, current generation, before expiry)", usable)
		}
	})
}
