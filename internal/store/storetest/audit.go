package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// RunAudit runs the conformance tests of the audit log's pages.
func RunAudit(t *testing.T, open func(t *testing.T) invite.Store) {
	t.Run("AuditPageFiltersAndOrder", func(t *testing.T) { testAuditPage(t, open(t)) })
	t.Run("AuditPagePaging", func(t *testing.T) { testAuditPaging(t, open(t)) })
}

// Pages are newest first, ties on time newest ID first; every filter
// narrows both the events and the total.
func testAuditPage(t *testing.T, s invite.Store) {
	ctx := t.Context()
	c := MustCreateCustomer(t, s, "Alfa AB")                                         // customer.add at T0
	a := MustCreateInvitation(t, s, NewInvitation(c, "a@example.com", "Anna", "Ek")) // invite at T0
	for _, ev := range []invite.AuditEvent{
		{At: T0.Add(time.Hour), Actor: "bo", Action: invite.ActionReveal, InvitationID: a.ID, Detail: "h1 bo reveal"},
		{At: T0.Add(2 * time.Hour), Actor: "admin", Action: invite.ActionEdit, InvitationID: a.ID, Detail: "h2 admin edit"},
		{At: T0.Add(2 * time.Hour), Actor: "bo", Action: invite.ActionEdit, Detail: "h2 bo edit"},
		{At: T0.Add(3 * time.Hour), Actor: "admin", Action: invite.ActionReveal, Detail: "h3 admin reveal"},
	} {
		if err := s.AddAudit(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		q    invite.AuditQuery
		want []string
	}{
		{invite.AuditQuery{}, []string{"h3 admin reveal", "h2 bo edit", "h2 admin edit", "h1 bo reveal", "invited a@example.com", "customer Alfa AB"}},
		{invite.AuditQuery{InvitationID: a.ID}, []string{"h2 admin edit", "h1 bo reveal", "invited a@example.com"}},
		{invite.AuditQuery{Actor: "bo"}, []string{"h2 bo edit", "h1 bo reveal"}},
		{invite.AuditQuery{Action: invite.ActionEdit}, []string{"h2 bo edit", "h2 admin edit"}},
		{invite.AuditQuery{Actor: "admin", Action: invite.ActionReveal}, []string{"h3 admin reveal"}},
		{invite.AuditQuery{Since: T0.Add(2 * time.Hour)}, []string{"h3 admin reveal", "h2 bo edit", "h2 admin edit"}},
		{invite.AuditQuery{Since: T0.Add(2 * time.Hour).In(time.FixedZone("CET", 3600)), InvitationID: a.ID, Actor: "admin", Action: invite.ActionEdit}, []string{"h2 admin edit"}},
		{invite.AuditQuery{Actor: "nobody"}, nil},
	} {
		tc.q.Page, tc.q.PerPage = 1, invite.DefaultAuditPerPage
		page, err := s.AuditPage(ctx, tc.q)
		if err != nil {
			t.Fatalf("AuditPage(%+v): %v", tc.q, err)
		}
		if got := eventDetails(page.Events); !slices.Equal(got, tc.want) || page.Total != len(tc.want) {
			t.Errorf("AuditPage(%+v) = %q (total %d), want %q (total %d)", tc.q, got, page.Total, tc.want, len(tc.want))
		}
	}
	page, err := s.AuditPage(ctx, invite.AuditQuery{Since: T0.Add(3 * time.Hour), Page: 1, PerPage: 1})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("AuditPage = %+v, %v", page, err)
	}
	if ev := page.Events[0]; ev.ID == 0 || ev.Actor != "admin" || ev.Action != invite.ActionReveal || ev.InvitationID != 0 {
		t.Errorf("event = %+v", ev)
	} else {
		assertTimes(t, "audit event", "At", ev.At, T0.Add(3*time.Hour))
	}
	if _, err := s.AuditPage(ctx, invite.AuditQuery{Page: 1, PerPage: invite.MaxPerPage + 1}); invite.ErrorCode(err) != invite.EINVALID {
		t.Errorf("per-page over the limit: %v, want EINVALID", err)
	}
}

// Pages split the log without repeating or skipping an event, even where
// many share one time; a page past the end has no events and the total.
func testAuditPaging(t *testing.T, s invite.Store) {
	ctx := t.Context()
	const n = 23
	var want []string
	for i := range n {
		detail := fmt.Sprintf("event %02d", i)
		if err := s.AddAudit(ctx, invite.AuditEvent{At: T0.Add(time.Duration(i/4) * time.Minute), Actor: "admin", Action: invite.ActionReveal, Detail: detail}); err != nil {
			t.Fatal(err)
		}
		want = append([]string{detail}, want...)
	}
	var got []string
	for p := 1; p <= 5; p++ {
		page, err := s.AuditPage(ctx, invite.AuditQuery{Page: p, PerPage: 5})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != n {
			t.Fatalf("page %d: total %d, want %d", p, page.Total, n)
		}
		got = append(got, eventDetails(page.Events)...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages = %q, want %q", got, want)
	}
	page, err := s.AuditPage(ctx, invite.AuditQuery{Page: 6, PerPage: 5})
	if err != nil || len(page.Events) != 0 || page.Total != n {
		t.Errorf("page past the end = %d events, total %d, %v; want none, %d", len(page.Events), page.Total, err, n)
	}
}

func eventDetails(evs []invite.AuditEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Detail)
	}
	return out
}
