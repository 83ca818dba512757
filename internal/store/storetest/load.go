package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
)

// testLoadInvitations loads into an empty store (rows first, indexes after)
// and, interrupted, keeps what it wrote; a second load goes into a store
// that is no longer empty. Afterwards the sort and search indexes serve
// every row loaded and every later write, and the unique index on open
// emails holds again.
func testLoadInvitations(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	batch := func(from int) []invite.Invitation {
		var out []invite.Invitation
		for i := from; i < from+30; i++ {
			out = append(out, NewInvitation(c, fmt.Sprintf("load%03d@example.com", i), fmt.Sprintf("Förnamn%03d", i), "Laddad"))
		}
		return out
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Interrupted while its second batch is handed over: both batches
	// handed over are stored, the third is never asked for.
	n, err := s.LoadInvitations(ctx, func(yield func([]invite.Invitation) bool) {
		for i := range 3 {
			if i == 1 {
				cancel()
			}
			if i == 2 {
				t.Error("the load asked for a batch after the interrupt")
			}
			if !yield(batch(30 * i)) {
				return
			}
		}
	})
	if n != 60 || !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted load: %d, %v; want 60 and the interrupt", n, err)
	}
	if got := countAll(t, s); got != 60 {
		t.Fatalf("the interrupted load left %d invitations, want the 60 it reported", got)
	}
	n, err = s.LoadInvitations(t.Context(), func(yield func([]invite.Invitation) bool) {
		_ = yield(batch(60)) && yield(batch(90))
	})
	if n != 60 || err != nil {
		t.Fatalf("load into a store with invitations: %d, %v; want 60", n, err)
	}
	q := invite.ListQuery{Status: invite.FilterAll, Sort: invite.Sort{Field: invite.SortFirstName, Desc: true}, Page: 1, PerPage: 5, Now: T0}
	if p := mustList(t, s, q); p.Total != 120 || p.Invitations[0].FirstName != "Förnamn119" || p.Invitations[4].FirstName != "Förnamn115" {
		t.Fatalf("after two loads: total %d, first names %v", p.Total, firstNames(p.Invitations))
	}
	wantFound(t, s, q, "after the loads", map[string]int{"laddad": 120, "förnamn007": 1, "load100@": 1, "förnamn03 laddad": 10})
	// The unique index on open emails is back.
	dup := NewInvitation(c, "load007@example.com", "Dubbel", "Rad")
	wantCode(t, s.InsertInvitations(t.Context(), []invite.Invitation{dup}), invite.ECONFLICT)
	// So is what keeps the search index in step with writes.
	inv := MustCreateInvitation(t, s, NewInvitation(c, "new@example.com", "Gunnel", "Berglund"))
	inv.LastName = "Sjöström"
	MustUpdateInvitation(t, s, inv)
	wantFound(t, s, q, "after writes that follow the loads", map[string]int{"gunnel sjöström": 1, "berglund": 0})
}

// testInsertInvitationsInBulk inserts batches large enough for the bulk
// path, which fills the search index itself: rows with IDs above and below
// the highest stored one and rows without an ID are all found, and the
// index follows later writes again.
func testInsertInvitationsInBulk(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	rows := func(n int, id func(int) int64, name string) []invite.Invitation {
		out := make([]invite.Invitation, n)
		for i := range out {
			out[i] = NewInvitation(c, fmt.Sprintf("%s%04d@example.com", name, i), "Massa", fmt.Sprintf("%s%04d", name, i))
			out[i].ID = id(i)
		}
		return out
	}
	high := rows(1200, func(i int) int64 { return int64(100 + i) }, "hög")
	if err := s.InsertInvitations(t.Context(), high); err != nil {
		t.Fatal(err)
	}
	mixed := append(rows(50, func(i int) int64 { return int64(1 + i) }, "låg"), rows(1100, func(int) int64 { return 0 }, "ny")...)
	if err := s.InsertInvitations(t.Context(), mixed); err != nil {
		t.Fatal(err)
	}
	q := invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Page: 1, PerPage: 5, Now: T0}
	wantFound(t, s, q, "after bulk inserts", map[string]int{"massa": 2350, "hög0007": 1, "hög1199": 1, "låg0049": 1, "låg": 50, "ny1099": 1, "ny0": 1000})
	inv := MustCreateInvitation(t, s, NewInvitation(c, "later@example.com", "Gunnel", "Berglund"))
	inv.FirstName = "Greta"
	MustUpdateInvitation(t, s, inv)
	wantFound(t, s, q, "after writes that follow the bulk inserts", map[string]int{"greta berglund": 1, "gunnel": 0})
}

// wantFound checks how many invitations each search of want finds, with
// the rest of q, at the moment when says.
func wantFound(t *testing.T, s invite.Store, q invite.ListQuery, when string, want map[string]int) {
	t.Helper()
	for search, n := range want {
		q.Search = search
		if got := mustList(t, s, q).Total; got != n {
			t.Errorf("%s, search %q finds %d, want %d", when, search, got, n)
		}
	}
}

// testLoadInvitationsConflict loads two open invitations for one email into
// an empty store: the unique index, built after the rows, refuses them as a
// conflict, and nothing is stored.
func testLoadInvitationsConflict(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	twice := []invite.Invitation{NewInvitation(c, "same@example.com", "Ett", "Två"), NewInvitation(c, "SAME@example.com", "Tre", "Fyra")}
	n, err := s.LoadInvitations(t.Context(), func(yield func([]invite.Invitation) bool) { yield(twice) })
	wantCode(t, err, invite.ECONFLICT)
	if n != 0 || countAll(t, s) != 0 {
		t.Errorf("a refused load reported %d and left %d invitations", n, countAll(t, s))
	}
	// The store is whole: the same load without the second row goes in.
	if n, err := s.LoadInvitations(t.Context(), func(yield func([]invite.Invitation) bool) { yield(twice[:1]) }); n != 1 || err != nil {
		t.Errorf("load after the refusal: %d, %v", n, err)
	}
}
