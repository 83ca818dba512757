package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

func testAccept(t *testing.T, s invite.Store) {
	ctx := t.Context()
	c := MustCreateCustomer(t, s, "Ärlig AB")
	inv := MustCreateInvitation(t, s, fullInvitation(c, "Asa.Lind@example.com"))
	at := T0.Add(48 * time.Hour)

	u := NewUser(inv, at)
	upd := inv
	upd.State, upd.AcceptedAt = invite.StateAccepted, at
	sess := NewSession("accept", at)
	ev := invite.AuditEvent{At: at, Actor: inv.Email, Action: invite.ActionAccept, InvitationID: inv.ID, Detail: "account created"}
	if err := s.Accept(ctx, upd, &u, sess, ev); err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 {
		t.Fatal("Accept did not set the user's ID")
	}

	want := upd
	want.Version = inv.Version + 1
	assertInvitation(t, MustInvitation(t, s, inv.ID), want)

	got, err := s.SessionUser(ctx, sess.IDHash, at)
	if err != nil {
		t.Fatalf("SessionUser after Accept: %v", err)
	}
	assertUser(t, got, u)
	if got.Customer != c.Name || got.InvitationID != inv.ID || got.PersonalNumber != "20080212-2390" {
		t.Errorf("user = %+v, want the invitation's customer, ID and details", got)
	}

	evs := mustAudit(t, s, inv.ID)
	if len(evs) != 2 || evs[1].Action != invite.ActionAccept || evs[1].Actor != inv.Email {
		t.Errorf("audit = %+v, want invite then accept", evs)
	}

	// A second accept of the same link finds it used.
	u2 := NewUser(inv, at)
	err = s.Accept(ctx, upd, &u2, NewSession("again", at), ev)
	wantErr(t, err, invite.ErrLinkUsed)
	if u2.ID != 0 {
		t.Errorf("a failed accept set the user ID %d", u2.ID)
	}
	// Even at the current version: an accepted invitation stays accepted.
	cur := MustInvitation(t, s, inv.ID)
	wantErr(t, s.Accept(ctx, cur, &u2, NewSession("again", at), ev), invite.ErrLinkUsed)
	assertUsers(t, s, []invite.User{u})
}

// An account with the email, however it came about, stops an accept and
// nothing of it is written.
func testAcceptAccountExists(t *testing.T, s invite.Store) {
	ctx := t.Context()
	a := MustCreateCustomer(t, s, "Alfa AB")
	b := MustCreateCustomer(t, s, "Beta AB")
	first := MustCreateInvitation(t, s, NewInvitation(a, "kim@example.com", "Kim", "Berg"))
	user := MustAccept(t, s, first, T0)

	// Bulk inserts skip the checks, so an open invitation for the email can exist.
	dup := NewInvitation(b, " KIM@example.com", "Kim", "Berg")
	dup.ID = 500
	if err := s.InsertInvitations(ctx, []invite.Invitation{dup}); err != nil {
		t.Fatal(err)
	}
	dupStored := MustInvitation(t, s, 500)
	audit := len(mustAudit(t, s, 0))

	u := NewUser(dupStored, T0)
	upd := dupStored
	upd.State, upd.AcceptedAt = invite.StateAccepted, T0
	sess := NewSession("dup", T0)
	err := s.Accept(ctx, upd, &u, sess, event(invite.ActionAccept, 500, "accept"))
	wantErr(t, err, invite.ErrAccountExists)
	wantCode(t, err, invite.ECONFLICT)

	assertInvitation(t, MustInvitation(t, s, 500), dupStored)
	assertUsers(t, s, []invite.User{user})
	_, err = s.SessionUser(ctx, sess.IDHash, T0)
	wantCode(t, err, invite.ENOTFOUND)
	if n := len(mustAudit(t, s, 0)); n != audit {
		t.Errorf("a failed accept wrote an audit event: %d events, want %d", n, audit)
	}
}

// assertUsers checks the whole user list.
func assertUsers(tb testing.TB, s invite.Store, want []invite.User) {
	tb.Helper()
	p, err := s.ListUsers(tb.Context(), 1, invite.MaxPerPage)
	if err != nil {
		tb.Fatalf("ListUsers: %v", err)
	}
	if p.Total != len(want) || len(p.Users) != len(want) {
		tb.Fatalf("ListUsers: total %d, %d users; want %d", p.Total, len(p.Users), len(want))
	}
	for i := range want {
		assertUser(tb, p.Users[i], want[i])
	}
}

func testListUsers(t *testing.T, s invite.Store) {
	ctx := t.Context()
	assertUsers(t, s, nil)
	a := MustCreateCustomer(t, s, "Alfa AB")
	b := MustCreateCustomer(t, s, "Örebro AB")
	var users []invite.User
	for i := range 5 {
		c := []invite.Customer{a, b}[i%2]
		inv := MustCreateInvitation(t, s, NewInvitation(c, fmt.Sprintf("user%d@example.com", i), "Användare", fmt.Sprint("Nummer", i)))
		users = append(users, MustAccept(t, s, inv, T0.Add(time.Duration(i)*time.Minute)))
	}
	assertUsers(t, s, users)

	var got []int64
	for page := 1; page <= 3; page++ {
		p, err := s.ListUsers(ctx, page, 2)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 5 {
			t.Errorf("page %d: total %d, want 5", page, p.Total)
		}
		for _, u := range p.Users {
			got = append(got, u.ID)
			if want := []string{"Alfa AB", "Örebro AB"}[(len(got)-1)%2]; u.Customer != want {
				t.Errorf("user %d has customer %q, want %q", u.ID, u.Customer, want)
			}
		}
	}
	var want []int64
	for _, u := range users {
		want = append(want, u.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages of users give IDs %v, want %v in order", got, want)
	}
	p, err := s.ListUsers(ctx, 4, 2)
	if err != nil || len(p.Users) != 0 || p.Total != 5 {
		t.Errorf("a page past the end = %+v, %v; want no users, total 5", p, err)
	}
	_, err = s.ListUsers(ctx, 0, 2)
	wantCode(t, err, invite.EINVALID)
}

func testSessions(t *testing.T, s invite.Store) {
	ctx := t.Context()
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))
	u := MustAccept(t, s, inv, T0)
	sess := NewSession("session of eva@example.com", T0)

	got, err := s.SessionUser(ctx, sess.IDHash, sess.ExpiresAt.Add(-time.Microsecond))
	if err != nil {
		t.Fatalf("SessionUser just before expiry: %v", err)
	}
	assertUser(t, got, u)
	_, err = s.SessionUser(ctx, sess.IDHash, sess.ExpiresAt)
	wantCode(t, err, invite.ENOTFOUND)
	_, err = s.SessionUser(ctx, NewSession("unknown", T0).IDHash, T0)
	wantCode(t, err, invite.ENOTFOUND)

	if err := s.DeleteSession(ctx, sess.IDHash); err != nil {
		t.Fatal(err)
	}
	_, err = s.SessionUser(ctx, sess.IDHash, T0)
	wantCode(t, err, invite.ENOTFOUND)
	if err := s.DeleteSession(ctx, sess.IDHash); err != nil {
		t.Errorf("deleting a missing session: %v", err)
	}
	assertUsers(t, s, []invite.User{u})
}

func testAudit(t *testing.T, s invite.Store) {
	ctx := t.Context()
	c := MustCreateCustomer(t, s, "Alfa AB")
	a := MustCreateInvitation(t, s, NewInvitation(c, "a@example.com", "Anna", "Ek"))
	b := MustCreateInvitation(t, s, NewInvitation(c, "b@example.com", "Bo", "Ek"))
	cet := time.FixedZone("CET", 3600)
	added := []invite.AuditEvent{
		{At: T0.Add(3 * time.Hour).In(cet), Actor: "admin", Action: invite.ActionReveal, InvitationID: a.ID, Detail: "third"},
		{At: T0.Add(time.Hour), Actor: "", Action: invite.ActionReveal, InvitationID: b.ID, Detail: "first"},
		{At: T0.Add(2 * time.Hour), Actor: "script", Action: "note", Detail: "second, about no invitation"},
	}
	for _, ev := range added {
		if err := s.AddAudit(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	check := func(got []invite.AuditEvent, want ...string) {
		t.Helper()
		var details []string
		for _, ev := range got {
			details = append(details, ev.Detail)
		}
		if !slices.Equal(details, want) {
			t.Fatalf("audit details = %q, want %q", details, want)
		}
	}
	all := mustAudit(t, s, 0)
	// The events at T0 come first, in the order written, then the added ones by time.
	check(all, "customer Alfa AB", "invited a@example.com", "invited b@example.com", "first", "second, about no invitation", "third")
	check(mustAudit(t, s, a.ID), "invited a@example.com", "third")
	check(mustAudit(t, s, b.ID), "invited b@example.com", "first")
	ev := all[5]
	if ev.ID == 0 || ev.Actor != "admin" || ev.Action != invite.ActionReveal || ev.InvitationID != a.ID {
		t.Errorf("event = %+v, want %+v with an ID", ev, added[0])
	}
	assertTimes(t, "audit event", "At", ev.At, added[0].At)
	if all[4].InvitationID != 0 {
		t.Errorf("an event about no invitation reads back with invitation %d", all[4].InvitationID)
	}
}

// Times keep their microseconds and come back in UTC, whatever zone they
// were written in.
func testTimesRoundTrip(t *testing.T, s invite.Store) {
	ctx := t.Context()
	zone := time.FixedZone("UTC-7", -7*3600)
	at := time.Date(2027, 12, 31, 23, 59, 58, 999999000, zone)
	c := invite.Customer{Name: "Zon AB", CreatedAt: at}
	if err := s.CreateCustomer(ctx, &c, invite.AuditEvent{At: at, Actor: "admin", Action: invite.ActionCustomerAdd, Detail: "zone"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.CustomerByName(ctx, "Zon AB")
	if err != nil {
		t.Fatal(err)
	}
	assertTimes(t, "customer", "CreatedAt", got.CreatedAt, at)

	inv := NewInvitation(c, "zone@example.com", "Zo", "Ne")
	// Valid until a microsecond past an hour, so that the accept below, a
	// second after at, is before it expires.
	inv.ExpiresAt, inv.CreatedAt, inv.LastSentAt = at.Add(time.Hour+time.Microsecond), at, at.Add(-time.Microsecond)
	stored := MustCreateInvitation(t, s, inv)
	inv.ID, inv.Version = stored.ID, 1
	assertInvitation(t, stored, inv)

	accepted := at.Add(time.Second)
	u := MustAccept(t, s, stored, accepted)
	sess := NewSession("session of zone@example.com", accepted)
	gotUser, err := s.SessionUser(ctx, sess.IDHash, accepted)
	if err != nil {
		t.Fatal(err)
	}
	assertUser(t, gotUser, u)
	inv = MustInvitation(t, s, stored.ID)
	assertTimes(t, "accepted invitation", "AcceptedAt", inv.AcceptedAt, accepted)
	evs := mustAudit(t, s, 0)
	// The helpers record their events at T0, before the customer's.
	if len(evs) != 3 || evs[2].Detail != "zone" {
		t.Fatalf("audit = %+v, want the invite, the accept, then the customer", evs)
	}
	assertTimes(t, "audit", "At", evs[2].At, at)
}
