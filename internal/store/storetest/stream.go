package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
)

// RunStream runs the conformance tests of StreamInvitations.
func RunStream(t *testing.T, open func(t *testing.T) invite.Store) {
	t.Run("StreamEveryFilterAndSort", func(t *testing.T) { testStreamEveryFilterAndSort(t, open(t)) })
	t.Run("StreamStopsAtError", func(t *testing.T) { testStreamStopsAtError(t, open(t)) })
}

// A stream gives every row a list's pages give, in the same order, with
// every filter and sort: the status, a customer, a search (indexed and
// short terms) and a delivery state.
func testStreamEveryFilterAndSort(t *testing.T, s invite.Store) {
	customers, all := fillList(t, s)
	var queries []invite.ListQuery
	for _, f := range statusFilters {
		for _, field := range invite.SortFields {
			for _, desc := range []bool{false, true} {
				queries = append(queries, invite.ListQuery{Status: f, Sort: invite.Sort{Field: field, Desc: desc}})
			}
		}
	}
	queries = append(queries,
		invite.ListQuery{Status: invite.FilterAll, CustomerID: customers[1].ID, Sort: invite.Sort{Field: invite.SortEmail, Desc: true}},
		invite.ListQuery{Status: invite.FilterAll, Search: "åsa", Sort: invite.Sort{Field: invite.SortLastName}},
		invite.ListQuery{Status: invite.FilterOpen, Search: "ås example", Sort: invite.DefaultSort},
		invite.ListQuery{Status: invite.FilterAll, Search: "bo", CustomerID: customers[2].ID, Sort: invite.Sort{Field: invite.SortSentOn, Desc: true}},
		invite.ListQuery{Status: invite.FilterAll, Delivery: invite.DeliveryNone, Sort: invite.Sort{Field: invite.SortCustomer}},
		invite.ListQuery{Status: invite.FilterOpen, Search: "nobody", Sort: invite.DefaultSort},
	)
	for _, q := range queries {
		q.Now = listNow
		want := expect(all, q)
		var got []invite.Invitation
		if err := s.StreamInvitations(t.Context(), q, func(inv invite.Invitation) error {
			got = append(got, inv)
			return nil
		}); err != nil {
			t.Fatalf("StreamInvitations(%+v): %v", q, err)
		}
		if !slices.Equal(ids(got), ids(want)) {
			t.Fatalf("%+v:\n got IDs %v\nwant IDs %v", q, ids(got), ids(want))
		}
		for i := range want {
			assertInvitation(t, got[i], want[i])
		}
	}
}

// fn's error ends the stream and is returned as it is.
func testStreamStopsAtError(t *testing.T, s invite.Store) {
	fillList(t, s)
	stop := errors.New("stop")
	n := 0
	err := s.StreamInvitations(t.Context(), invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Now: listNow}, func(invite.Invitation) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("stream after an error: %v after %d rows, want %v after 3", err, n, stop)
	}
	if err := s.StreamInvitations(t.Context(), invite.ListQuery{Status: "gone", Sort: invite.DefaultSort}, func(invite.Invitation) error { return nil }); invite.ErrorCode(err) != invite.EINVALID {
		t.Errorf("invalid status: %v, want EINVALID", err)
	}
}
