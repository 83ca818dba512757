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
	for search, want := range map[string]int{"laddad": 120, "förnamn007": 1, "load100@": 1, "förnamn03 laddad": 10} {
		q.Search = search
		if got := mustList(t, s, q).Total; got != want {
			t.Errorf("after the loads, search %q finds %d, want %d", search, got, want)
		}
	}
	// The unique index on open emails is back.
	dup := NewInvitation(c, "load007@example.com", "Dubbel", "Rad")
	wantCode(t, s.InsertInvitations(t.Context(), []invite.Invitation{dup}), invite.ECONFLICT)
	// So is what keeps the search index in step with writes.
	inv := MustCreateInvitation(t, s, NewInvitation(c, "new@example.com", "Gunnel", "Berglund"))
	inv.LastName = "Sjöström"
	MustUpdateInvitation(t, s, inv)
	for search, want := range map[string]int{"gunnel sjöström": 1, "berglund": 0} {
		q.Search = search
		if got := mustList(t, s, q).Total; got != want {
			t.Errorf("after writes that follow the loads, search %q finds %d, want %d", search, got, want)
		}
	}
}
