package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// The totals a list gives without a search come from the kept counts
// (invitation_counts, invitation_expiry_counts), and a customer's number of
// open invitations too. After every step of random sequences of invite,
// revoke, accept, renew, the clock moving on,
// purge and users delete (fixed seeds), every total of every status of
// every customer (and of all) agrees with a recount of a model: kept counts
// that drift from the rows fail here at the step that moved them.
func testKeptCountsModel(t *testing.T, s invite.Store) {
	ctx := t.Context()
	custs := []invite.Customer{MustCreateCustomer(t, s, "Alfa AB"), MustCreateCustomer(t, s, "Beta AB"), MustCreateCustomer(t, s, "Gamma AB")}
	type row struct {
		customer int64
		state    invite.State
		expires  time.Time
		resolved time.Time // accepted or revoked at
	}
	model := map[int64]*row{}
	now := T0
	status := func(r *row) invite.StatusFilter {
		switch {
		case r.state == invite.StatePurged:
			return invite.FilterPurged
		case r.state == invite.StateAccepted:
			return invite.FilterAccepted
		case r.state == invite.StateRevoked:
			return invite.FilterRevoked
		case r.expires.After(now):
			return invite.FilterPending
		}
		return invite.FilterExpired
	}
	in := func(r *row, f invite.StatusFilter) bool {
		st := status(r)
		switch f {
		case invite.FilterOpen:
			return st == invite.FilterPending || st == invite.FilterExpired
		case invite.FilterAll:
			return st != invite.FilterPurged
		}
		return st == f
	}
	// pick returns a random invitation whose status is one of fs, or 0.
	rng := rand.New(rand.NewPCG(24, 7))
	pick := func(fs ...invite.StatusFilter) int64 {
		var ids []int64
		for id, r := range model {
			if slices.Contains(fs, status(r)) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return 0
		}
		slices.Sort(ids)
		return ids[rng.IntN(len(ids))]
	}
	update := func(id int64, change func(*invite.Invitation)) {
		t.Helper()
		inv := MustInvitation(t, s, id)
		change(&inv)
		MustUpdateInvitation(t, s, inv)
	}
	check := func(step int, op string) {
		t.Helper()
		for _, c := range append([]invite.Customer{{}}, custs...) {
			for _, f := range []invite.StatusFilter{invite.FilterPending, invite.FilterExpired, invite.FilterAccepted,
				invite.FilterRevoked, invite.FilterOpen, invite.FilterAll, invite.FilterPurged} {
				want := 0
				for _, r := range model {
					if (c.ID == 0 || r.customer == c.ID) && in(r, f) {
						want++
					}
				}
				p := mustList(t, s, invite.ListQuery{Status: f, CustomerID: c.ID, Sort: invite.DefaultSort, Page: 1, PerPage: 1, Now: now})
				if p.Total != want {
					t.Fatalf("step %d (%s): customer %d, %s: total %d, recount %d", step, op, c.ID, f, p.Total, want)
				}
			}
		}
		sums, err := s.ListCustomers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sum := range sums {
			want := 0
			for _, r := range model {
				if r.customer == sum.ID && in(r, invite.FilterOpen) {
					want++
				}
			}
			if sum.OpenInvitations != want {
				t.Fatalf("step %d (%s): customer %s has %d open, recount %d", step, op, sum.Name, sum.OpenInvitations, want)
			}
		}
	}
	n := 0
	for step := range 160 {
		op := []string{"invite", "invite", "revoke", "accept", "renew", "clock", "purge", "users delete"}[rng.IntN(8)]
		switch op {
		case "invite":
			c := custs[rng.IntN(len(custs))]
			inv := NewInvitation(c, fmt.Sprintf("k%03d@example.com", n), "Eva", "Ek")
			n++
			inv.CreatedAt, inv.LastSentAt = now, now
			inv.ExpiresAt = now.Add(time.Duration(rng.IntN(72)+1)*time.Hour + 17*time.Minute)
			inv = MustCreateInvitation(t, s, inv)
			model[inv.ID] = &row{customer: c.ID, state: invite.StatePending, expires: inv.ExpiresAt}
		case "revoke":
			if id := pick(invite.FilterPending); id != 0 {
				update(id, func(inv *invite.Invitation) { inv.State, inv.RevokedAt = invite.StateRevoked, now })
				model[id].state, model[id].resolved = invite.StateRevoked, now
			}
		case "accept":
			if id := pick(invite.FilterPending); id != 0 {
				MustAccept(t, s, MustInvitation(t, s, id), now)
				model[id].state, model[id].resolved = invite.StateAccepted, now
			}
		case "renew":
			if id := pick(invite.FilterPending, invite.FilterExpired); id != 0 {
				exp := now.Add(time.Duration(rng.IntN(72)+1)*time.Hour + 17*time.Minute)
				update(id, func(inv *invite.Invitation) { inv.ExpiresAt, inv.LinkGeneration = exp, inv.LinkGeneration+1 })
				model[id].expires = exp
			}
		case "clock":
			now = now.Add(time.Duration(rng.IntN(30)) * time.Hour)
		case "purge":
			cutoff := now.Add(-time.Duration(rng.IntN(48))*time.Hour - 30*time.Minute)
			if _, err := s.Purge(ctx, cutoff, now, event(invite.ActionPurge, 0, "purge"), false); err != nil {
				t.Fatalf("Purge: %v", err)
			}
			for _, r := range model {
				switch {
				case r.state == invite.StatePending && r.expires.Before(cutoff),
					(r.state == invite.StateAccepted || r.state == invite.StateRevoked) && r.resolved.Before(cutoff):
					r.state = invite.StatePurged
				}
			}
		case "users delete":
			if id := pick(invite.FilterAccepted); id != 0 {
				u, err := s.UserByEmail(ctx, MustInvitation(t, s, id).Email)
				if err != nil {
					t.Fatalf("UserByEmail: %v", err)
				}
				if err := s.DeleteUser(ctx, u.ID, event(invite.ActionUserDelete, id, "deleted")); err != nil {
					t.Fatalf("DeleteUser: %v", err)
				}
				model[id].state = invite.StatePurged
			}
		}
		check(step, op)
	}
}
