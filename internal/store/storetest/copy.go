package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/storecopy"
)

// RunCopy checks a copy from a store that from opens into an empty one that
// to opens (of the same engine or another): every row arrives as it was,
// and what the target derives itself (keys, kept counts) answers as the
// source does: every list's total and page, the customers' counts, the
// lookups by email, and new rows after the copied ones. Both stores must
// implement storecopy.Source and storecopy.Target.
func RunCopy(t *testing.T, from, to func(t *testing.T) invite.Store) {
	src, dst := from(t), to(t)
	customers, all := fillList(t, src)
	MustAccept(t, src, all[0], T0)
	if err := src.AddAudit(t.Context(), event(invite.ActionReveal, all[1].ID, "revealed")); err != nil {
		t.Fatal(err)
	}
	bulk := NewInvitation(customers[2], "Bulk.Åsa@example.com", "Åsa", "Bulk")
	bulk.State, bulk.RevokedAt = invite.StateRevoked, listNow
	if err := src.InsertInvitations(t.Context(), []invite.Invitation{bulk}); err != nil {
		t.Fatal(err)
	}
	n, err := storecopy.Copy(t.Context(), src.(storecopy.Source), dst.(storecopy.Target))
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if n.Customers != 4 || n.Invitations != 37 || n.Users != 1 || n.AuditEvents < 40 {
		t.Errorf("copied %s", n)
	}
	want, got := exported(t, src), exported(t, dst)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the copy differs from its source:\n got %+v\nwant %+v", got, want)
	}
	for _, f := range statusFilters {
		for _, c := range append([]invite.Customer{{}}, customers...) {
			for _, search := range []string{"", "åsa", "SHARED"} {
				q := invite.ListQuery{Status: f, CustomerID: c.ID, Search: search, Sort: invite.DefaultSort, Page: 1, PerPage: 1000, Now: listNow}
				if a, b := mustList(t, src, q), mustList(t, dst, q); a.Total != b.Total || !reflect.DeepEqual(ids(a.Invitations), ids(b.Invitations)) {
					t.Errorf("%+v: the source lists %d %v, the copy %d %v", q, a.Total, ids(a.Invitations), b.Total, ids(b.Invitations))
				}
			}
		}
	}
	a, err := src.ListCustomers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if b, err := dst.ListCustomers(t.Context()); err != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("customers: the source lists %+v, the copy %+v (%v)", a, b, err)
	}
	if got, err := dst.InvitationsByEmail(t.Context(), "BULK.åsa@EXAMPLE.com", 0); err != nil || len(got) != 1 || got[0].ID != 37 {
		t.Errorf("the bulk invitation by email in the copy: %+v, %v", got, err)
	}
	// The copy goes on after the copied IDs.
	next := MustCreateInvitation(t, dst, NewInvitation(customers[0], "next@example.com", "Next", "One"))
	if next.ID <= 37 {
		t.Errorf("an invitation created after the copy got ID %d", next.ID)
	}
	u := MustAccept(t, dst, next, listNow.Add(time.Minute))
	if u.ID <= 1 {
		t.Errorf("a user created after the copy got ID %d", u.ID)
	}
}

// exported reads every row of s.
func exported(t *testing.T, s invite.Store) []storecopy.Record {
	t.Helper()
	var out []storecopy.Record
	for r, err := range storecopy.Records(t.Context(), s.(storecopy.Source), nil) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
