package store

import (
	"cmp"
	"context"
	"maps"
	"slices"

	"github.com/invitectl/invitectl/internal/invite"
)

// The store keeps the number of invitations per customer and state in
// invitation_counts, changed in the same transaction as every change that
// moves it, so that the usual totals of a list are a sum over a few rows
// instead of a count over an index. Expired invitations (pending past
// expires_at) are counted from the invitations_by_expiry index.

type countKey struct {
	customer int64
	state    invite.State
}

// count records that the transaction moves the number of invitations of
// customer in state by delta.
func (t *Tx) count(customer int64, state invite.State, delta int) {
	if t.counts == nil {
		t.counts = map[countKey]int{}
	}
	t.counts[countKey{customer, state}] += delta
}

// flushCounts writes the moved counts, last in the transaction and in one
// order: two transactions that move the same counts lock their rows in the
// same order and so cannot deadlock, and hold the locks only until commit.
func (t *Tx) flushCounts(ctx context.Context) error {
	keys := slices.SortedFunc(maps.Keys(t.counts), func(a, b countKey) int {
		return cmp.Or(cmp.Compare(a.customer, b.customer), cmp.Compare(a.state, b.state))
	})
	for _, k := range keys {
		if t.counts[k] == 0 {
			continue
		}
		_, err := t.Exec(ctx, `INSERT INTO invitation_counts (customer_id, state, n) VALUES (?, ?, ?)
			ON CONFLICT (customer_id, state) DO UPDATE SET n = invitation_counts.n + excluded.n`,
			k.customer, string(k.state), t.counts[k])
		if err != nil {
			return t.s.errorf("count invitations", err)
		}
	}
	t.counts = nil
	return nil
}
