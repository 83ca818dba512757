package storetest

import (
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// modelRow is an invitation as the outbox model sees it.
type modelRow struct {
	customer int64
	state    invite.State
	expires  time.Time
	resolved time.Time              // accepted or revoked at
	rows     []invite.DeliveryState // its invitation emails, oldest first
}

// supersede marks the emails still to be delivered as superseded.
func (m *modelRow) supersede() {
	for i, r := range m.rows {
		if r == invite.DeliveryQueued || r == invite.DeliveryFailed {
			m.rows[i] = invite.DeliverySuperseded
		}
	}
}

// delivery is the state of the latest email not superseded.
func (m *modelRow) delivery() invite.DeliveryState {
	for i := len(m.rows) - 1; i >= 0; i-- {
		if m.rows[i] != invite.DeliverySuperseded {
			return m.rows[i]
		}
	}
	return invite.DeliveryNone
}

// in says whether the row is selected by status filter f at time now.
func (m *modelRow) in(f invite.StatusFilter, now time.Time) bool {
	open := m.state == invite.StatePending
	switch f {
	case invite.FilterPending:
		return open && m.expires.After(now)
	case invite.FilterExpired:
		return open && !m.expires.After(now)
	case invite.FilterOpen:
		return open
	case invite.FilterAll:
		return m.state != invite.StatePurged
	case invite.FilterAccepted:
		return m.state == invite.StateAccepted
	case invite.FilterRevoked:
		return m.state == invite.StateRevoked
	}
	return m.state == invite.StatePurged
}

// checkKeptCounts holds the totals of a list without a search (which come
// from the kept counts) and the customers' numbers of open invitations to a
// recount of the model at time now.
func checkKeptCounts(t *testing.T, s invite.Store, now time.Time, custs []invite.Customer, model map[int64]*modelRow, trail []string) {
	t.Helper()
	for _, c := range append([]invite.Customer{{}}, custs...) {
		for _, f := range []invite.StatusFilter{invite.FilterPending, invite.FilterExpired, invite.FilterAccepted,
			invite.FilterRevoked, invite.FilterOpen, invite.FilterAll, invite.FilterPurged} {
			want := 0
			for _, m := range model {
				if (c.ID == 0 || m.customer == c.ID) && m.in(f, now) {
					want++
				}
			}
			p := mustList(t, s, invite.ListQuery{Status: f, CustomerID: c.ID, Sort: invite.DefaultSort, Page: 1, PerPage: 1, Now: now})
			if p.Total != want {
				t.Fatalf("after %v: customer %d, %s: total %d, recount %d", trail, c.ID, f, p.Total, want)
			}
		}
	}
	sums, err := s.ListCustomers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range sums {
		want := 0
		for _, m := range model {
			if m.customer == sum.ID && m.in(invite.FilterOpen, now) {
				want++
			}
		}
		if sum.OpenInvitations != want {
			t.Fatalf("after %v: customer %s has %d open, recount %d", trail, sum.Name, sum.OpenInvitations, want)
		}
	}
}
