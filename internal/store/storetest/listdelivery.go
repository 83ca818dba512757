package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

var deliveryStates = []invite.DeliveryState{invite.DeliveryQueued, invite.DeliveryFailed, invite.DeliverySent, invite.DeliveryNone}

// fillDelivery stores the invitations of fillList's names, customers and
// times, with their latest email in every delivery state: never mailed,
// queued (with and without an attempt), failed and sent, among the
// pending, the expired, the accepted and the revoked. It returns the
// customers and the invitations as the store lists them.
func fillDelivery(t *testing.T, s invite.Store) ([]invite.Customer, []invite.Invitation) {
	t.Helper()
	customers := listCustomers(t, s)
	// i's customer is i%4, its email's outcome i/4%5, whether it is
	// expired i/20%2, and whether it is pending, revoked or accepted i/40.
	const n = 120
	index := map[int64]int{} // invitation ID → i
	for i := range n {
		inv := listInvitation(customers, i)
		inv.LastSentAt = time.Time{}
		if i/20%2 == 1 {
			inv.ExpiresAt = listNow.Add(-time.Duration(i) * time.Hour)
		} else {
			inv.ExpiresAt = listNow.Add(time.Duration(i+1) * time.Hour)
		}
		var mail invite.DeliveryKind
		if i/4%5 != 0 {
			mail = invite.KindInvitation
		}
		if err := s.CreateInvitation(t.Context(), &inv, event(invite.ActionInvite, 0, "invited "+inv.Email), mail); err != nil {
			t.Fatalf("CreateInvitation(%s): %v", inv.Email, err)
		}
		index[inv.ID] = i
	}
	// The outcomes of one attempt at every email: i/4%5 is 0 for none, 1
	// queued (released untried), 2 queued again after a 4xx, 3 failed, 4 sent.
	var outcomes []invite.DeliveryOutcome
	for _, c := range claim(t, s, invite.ClaimQuery{Now: T0, Limit: n}) {
		o := invite.DeliveryOutcome{Claim: c, At: T0, Event: event(invite.ActionSend, c.InvitationID, "sent")}
		switch index[c.InvitationID] / 4 % 5 {
		case 1:
			o.State = invite.DeliveryReleased
		case 2:
			o.State, o.Error, o.Next = invite.DeliveryQueued, "451 busy", T0.Add(time.Minute)
		case 3:
			o.State, o.Error = invite.DeliveryFailed, "550 no such mailbox"
		case 4:
			o.State = invite.DeliverySent
		}
		outcomes = append(outcomes, o)
	}
	finish(t, s, outcomes...)
	// Some of each are resolved (their undelivered emails with them).
	for id, i := range index {
		inv := MustInvitation(t, s, id)
		switch i / 40 {
		case 1:
			inv.State, inv.RevokedAt = invite.StateRevoked, listNow
			MustUpdateInvitation(t, s, inv)
		case 2:
			inv.State, inv.AcceptedAt = invite.StateAccepted, listNow
			MustUpdateInvitation(t, s, inv)
		}
	}
	all := mustList(t, s, invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Page: 1, PerPage: invite.MaxPerPage, Now: listNow})
	if len(all.Invitations) != n {
		t.Fatalf("the delivery fixture lists %d invitations, want %d", len(all.Invitations), n)
	}
	return customers, all.Invitations
}

// The delivery filter gives what the reference does in every status, sort
// and page, of all customers and of each, and a stream the same rows; the
// fixture has undelivered emails among the pending and the expired of
// every customer.
func testListDeliveryFilter(t *testing.T, s invite.Store) {
	customers, all := fillDelivery(t, s)
	for _, d := range deliveryStates {
		for _, f := range []invite.StatusFilter{invite.FilterPending, invite.FilterExpired} {
			for _, c := range customers {
				if len(expect(all, invite.ListQuery{Status: f, CustomerID: c.ID, Delivery: d, Now: listNow})) == 0 {
					t.Fatalf("the fixture has no %s invitation of %s with delivery %s", f, c.Name, d)
				}
			}
		}
	}
	for _, d := range deliveryStates {
		sorts := []invite.Sort{invite.DefaultSort}
		if d == invite.DeliveryQueued || d == invite.DeliveryFailed {
			sorts = nil
			for _, field := range invite.SortFields {
				sorts = append(sorts, invite.Sort{Field: field}, invite.Sort{Field: field, Desc: true})
			}
		}
		for _, f := range statusFilters {
			for _, sort := range sorts {
				checkList(t, s, all, invite.ListQuery{Status: f, Delivery: d, Sort: sort, Now: listNow})
			}
		}
		for _, c := range customers {
			for _, f := range []invite.StatusFilter{invite.FilterOpen, invite.FilterExpired, invite.FilterAll} {
				for _, sort := range []invite.Sort{invite.DefaultSort, {Field: invite.SortSentOn, Desc: true}, {Field: invite.SortCustomer}} {
					checkList(t, s, all, invite.ListQuery{Status: f, CustomerID: c.ID, Delivery: d, Sort: sort, Now: listNow})
				}
			}
		}
		// Short search terms are checked on the rows the filter gives.
		checkList(t, s, all, invite.ListQuery{Status: invite.FilterAll, Delivery: d, Search: "bo", Sort: invite.DefaultSort, Now: listNow})
		for _, q := range []invite.ListQuery{
			{Status: invite.FilterAll, Delivery: d, Sort: invite.Sort{Field: invite.SortSentOn}},
			{Status: invite.FilterOpen, Delivery: d, CustomerID: customers[2].ID, Sort: invite.Sort{Field: invite.SortEmail, Desc: true}},
		} {
			q.Now = listNow
			var got []int64
			if err := s.StreamInvitations(t.Context(), q, func(inv invite.Invitation) error {
				got = append(got, inv.ID)
				return nil
			}); err != nil {
				t.Fatalf("StreamInvitations(%+v): %v", q, err)
			}
			if want := ids(expect(all, q)); !slices.Equal(got, want) {
				t.Errorf("stream %+v:\n got IDs %v\nwant IDs %v", q, got, want)
			}
		}
	}
}
