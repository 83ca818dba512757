package store

import (
	"cmp"
	"context"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// The store keeps the number of invitations per customer and state in
// invitation_counts, and the number of pending ones per customer and day of
// expiry (UTC) in invitation_expiry_counts, changed in the same transaction
// as every change that moves them, so that the usual totals of a list are a
// sum over a few rows instead of a count over an index: the expired are
// those of the days before today, and today's up to now, from the
// invitations_by_expiry index (expiredCount).

type countKey struct {
	customer int64
	state    invite.State
}

type dayKey struct {
	customer, day int64
}

// expiryDay is the UTC day of t, counted from 1970-01-01: the day of
// invitation_expiry_counts.
func expiryDay(t time.Time) int64 { return int64(math.Floor(float64(t.Unix()) / 86400)) }

// count records that the transaction moves the number of invitations of
// customer in state by delta; a pending invitation is also counted by the
// day it expires.
func (t *Tx) count(customer int64, state invite.State, expires time.Time, delta int) {
	if t.counts == nil {
		t.counts, t.days = map[countKey]int{}, map[dayKey]int{}
	}
	t.counts[countKey{customer, state}] += delta
	if state == invite.StatePending {
		t.days[dayKey{customer, expiryDay(expires)}] += delta
	}
}

// flushCounts writes the moved counts, last in the transaction and in one
// order: two transactions that move the same counts lock their rows in the
// same order and so cannot deadlock, and hold the locks only until commit.
func (t *Tx) flushCounts(ctx context.Context) error {
	err := flushKept(ctx, t, "invitation_counts", "state", t.counts,
		func(k countKey) (int64, any) { return k.customer, string(k.state) },
		func(a, b countKey) int {
			return cmp.Or(cmp.Compare(a.customer, b.customer), cmp.Compare(a.state, b.state))
		})
	if err == nil {
		err = flushKept(ctx, t, "invitation_expiry_counts", "day", t.days,
			func(k dayKey) (int64, any) { return k.customer, k.day },
			func(a, b dayKey) int { return cmp.Or(cmp.Compare(a.customer, b.customer), cmp.Compare(a.day, b.day)) })
	}
	t.counts, t.days = nil, nil
	return err
}

// flushKept adds the moves of one table of kept counts, keyed by customer_id
// and col, in the order of compare.
func flushKept[K comparable](ctx context.Context, t *Tx, table, col string, moves map[K]int, key func(K) (int64, any), compare func(a, b K) int) error {
	for _, k := range slices.SortedFunc(maps.Keys(moves), compare) {
		if moves[k] == 0 {
			continue
		}
		customer, v := key(k)
		_, err := t.Exec(ctx, `INSERT INTO `+table+` (customer_id, `+col+`, n) VALUES (?, ?, ?)
			ON CONFLICT (customer_id, `+col+`) DO UPDATE SET n = `+table+`.n + excluded.n`, customer, v, moves[k])
		if err != nil {
			return t.s.errorf("count invitations in "+table, err)
		}
	}
	return nil
}
