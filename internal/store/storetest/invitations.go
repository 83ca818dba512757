package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// fullInvitation has every optional detail set.
func fullInvitation(c invite.Customer, email string) invite.Invitation {
	inv := NewInvitation(c, email, "Åsa", "Öberg-Lind")
	inv.Details = invite.Details{
		FirstName:      "Åsa",
		LastName:       "Öberg-Lind",
		SwedishCitizen: invite.Yes,
		EUCitizen:      invite.No,
		PersonalNumber: "20080212-2390",
		LMANumber:      "LMA-123/45",
		Phone:          "+46701234567",
		Gender:         invite.Female,
	}
	inv.Language = invite.English
	inv.LinkGeneration = 2
	inv.SendCount = 3
	inv.LastSentAt = T0.Add(90 * time.Minute)
	return inv
}

func testCreateInvitation(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Ärlig Handel AB")
	want := fullInvitation(c, "asa.lind@example.com")
	inv := want
	if err := s.CreateInvitation(t.Context(), &inv, event(invite.ActionInvite, 0, "invited"), ""); err != nil {
		t.Fatal(err)
	}
	if inv.ID == 0 {
		t.Fatal("CreateInvitation did not set the ID")
	}
	if inv.Version != 1 {
		t.Errorf("a new invitation has version %d, want 1", inv.Version)
	}
	want.ID, want.Version = inv.ID, 1
	assertInvitation(t, MustInvitation(t, s, inv.ID), want)

	// Unset details stay unset; the customer name is filled on read.
	bare := NewInvitation(c, "bare@example.com", "Bo", "Ek")
	bare.CreatedBy = ""
	bare.Customer = ""
	got := MustCreateInvitation(t, s, bare)
	bare.ID, bare.Version, bare.Customer = got.ID, 1, c.Name
	assertInvitation(t, got, bare)
	if got.ID == inv.ID {
		t.Fatalf("two invitations got the same ID %d", got.ID)
	}

	evs := mustAudit(t, s, inv.ID)
	if len(evs) != 1 || evs[0].Action != invite.ActionInvite || evs[0].InvitationID != inv.ID {
		t.Errorf("audit of invitation %d = %+v, want one %s event naming it", inv.ID, evs, invite.ActionInvite)
	}
}

func testCreateInvitationUnknownCustomer(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Real AB")
	inv := NewInvitation(invite.Customer{ID: c.ID + 1000, Name: "Ghost AB"}, "ghost@example.com", "Gh", "Ost")
	wantCode(t, s.CreateInvitation(t.Context(), &inv, event(invite.ActionInvite, 0, "invited"), ""), invite.ENOTFOUND)
	if n := countAll(t, s); n != 0 {
		t.Errorf("a rejected invitation was stored: %d invitations", n)
	}
	if evs := mustAudit(t, s, 0); len(evs) != 1 {
		t.Errorf("a rejected invitation wrote audit events: %+v", evs)
	}
}

func testCreateInvitationEmailTaken(t *testing.T, s invite.Store) {
	ctx := t.Context()
	a := MustCreateCustomer(t, s, "Alfa AB")
	b := MustCreateCustomer(t, s, "Beta AB")
	first := MustCreateInvitation(t, s, NewInvitation(a, "Kim.Berg@example.com", "Kim", "Berg"))
	audit := len(mustAudit(t, s, 0))

	taken := func(c invite.Customer, email string) {
		t.Helper()
		inv := NewInvitation(c, email, "Kim", "Berg")
		wantErr(t, s.CreateInvitation(ctx, &inv, event(invite.ActionInvite, 0, "invited"), ""), invite.ErrEmailTaken)
		wantCode(t, s.CreateInvitation(ctx, &inv, event(invite.ActionInvite, 0, "invited"), ""), invite.ECONFLICT)
	}
	// An open invitation holds the email, ignoring case and surrounding space, in every customer.
	taken(a, "kim.berg@example.com")
	taken(a, "  KIM.BERG@EXAMPLE.COM ")
	taken(b, "Kim.Berg@Example.com")
	if n := countAll(t, s); n != 1 {
		t.Fatalf("rejected invitations were stored: %d invitations", n)
	}
	if n := len(mustAudit(t, s, 0)); n != audit {
		t.Fatalf("rejected invitations wrote audit events: %d, want %d", n, audit)
	}

	// Expired is still open.
	expired := NewInvitation(a, "old@example.com", "Old", "Timer")
	expired.ExpiresAt = T0.Add(-time.Hour)
	MustCreateInvitation(t, s, expired)
	taken(b, "OLD@example.com")

	// Revoking frees the email.
	first.State, first.RevokedAt = invite.StateRevoked, T0
	MustUpdateInvitation(t, s, first)
	second := MustCreateInvitation(t, s, NewInvitation(b, "KIM.berg@example.com", "Kim", "Berg"))
	taken(a, "kim.berg@example.com")

	// An account holds the email for good.
	MustAccept(t, s, second, T0)
	taken(a, "Kim.Berg@example.com")
	taken(b, "kim.berg@example.com")
}

func testInvitationNotFound(t *testing.T, s invite.Store) {
	_, err := s.Invitation(t.Context(), 4711)
	wantCode(t, err, invite.ENOTFOUND)
}

func testInvitationsByEmail(t *testing.T, s invite.Store) {
	ctx := t.Context()
	a := MustCreateCustomer(t, s, "Alfa AB")
	b := MustCreateCustomer(t, s, "Beta AB")
	var made []invite.Invitation
	for i, c := range []invite.Customer{a, b, a} {
		inv := NewInvitation(c, []string{"sam@example.com", "Sam@Example.com", "SAM@example.COM"}[i], "Sam", "Ek")
		inv.CreatedAt = T0.Add(time.Duration(i) * time.Hour)
		inv = MustCreateInvitation(t, s, inv)
		if i < 2 {
			inv.State, inv.RevokedAt = invite.StateRevoked, T0
			inv = MustUpdateInvitation(t, s, inv)
		}
		made = append(made, inv)
	}
	MustCreateInvitation(t, s, NewInvitation(a, "samuel@example.com", "Samuel", "Ek"))

	got, err := s.InvitationsByEmail(ctx, " sam@EXAMPLE.com ", 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{made[2].ID, made[1].ID, made[0].ID}; !slices.Equal(ids(got), want) {
		t.Fatalf("InvitationsByEmail = %v, want newest first %v", ids(got), want)
	}
	for i, inv := range got {
		assertInvitation(t, inv, made[2-i])
	}
	got, err = s.InvitationsByEmail(ctx, "sam@example.com", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{made[2].ID, made[0].ID}; !slices.Equal(ids(got), want) {
		t.Errorf("InvitationsByEmail in %s = %v, want %v", a.Name, ids(got), want)
	}
	got, err = s.InvitationsByEmail(ctx, "nobody@example.com", 0)
	if err != nil || len(got) != 0 {
		t.Errorf("InvitationsByEmail(nobody) = %v, %v; want nothing and no error", got, err)
	}
}

func testUpdateInvitation(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))

	upd := inv
	upd.Details = fullInvitation(c, inv.Email).Details
	upd.Language = invite.English
	upd.LinkGeneration = 1
	upd.ExpiresAt = T0.Add(400 * 24 * time.Hour)
	upd.LastSentAt = T0.Add(time.Hour)
	upd.SendCount = 2
	ev := invite.AuditEvent{At: T0.Add(time.Hour), Actor: "editor", Action: invite.ActionEdit, InvitationID: inv.ID, Detail: "changed first-name"}
	got, err := s.UpdateInvitation(t.Context(), upd, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := upd
	want.Version = inv.Version + 1
	assertInvitation(t, got, want)
	assertInvitation(t, MustInvitation(t, s, inv.ID), want)

	// Revoking is an update too, and optional values can be cleared again.
	rev := got
	rev.Details = invite.Details{FirstName: "Eva", LastName: "Ek"}
	rev.State, rev.RevokedAt = invite.StateRevoked, T0.Add(2*time.Hour)
	got = MustUpdateInvitation(t, s, rev)
	rev.Version = want.Version + 1
	assertInvitation(t, got, rev)

	evs := mustAudit(t, s, inv.ID)
	if len(evs) != 3 {
		t.Fatalf("audit = %+v, want invite and two updates", evs)
	}
	// Oldest first: the edit at T0+1h comes after the revoke recorded at T0.
	got2 := evs[2]
	if got2.Actor != ev.Actor || got2.Action != ev.Action || got2.Detail != ev.Detail || got2.InvitationID != inv.ID {
		t.Errorf("audit event = %+v, want %+v", got2, ev)
	}
	assertTimes(t, "audit event", "At", got2.At, ev.At)
}

func testUpdateInvitationStale(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))
	moved := inv
	moved.SendCount = 1
	moved = MustUpdateInvitation(t, s, moved)
	audit := len(mustAudit(t, s, inv.ID))

	stale := inv // still at the old version
	stale.FirstName = "Evelina"
	_, err := s.UpdateInvitation(t.Context(), stale, event(invite.ActionEdit, inv.ID, "stale"))
	wantErr(t, err, invite.ErrEditedMeanwhile)
	wantCode(t, err, invite.ECONFLICT)
	assertInvitation(t, MustInvitation(t, s, inv.ID), moved)
	if n := len(mustAudit(t, s, inv.ID)); n != audit {
		t.Errorf("a failed update wrote an audit event: %d events, want %d", n, audit)
	}
}

func testUpdateInvitationNotFound(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := NewInvitation(c, "eva@example.com", "Eva", "Ek")
	inv.ID, inv.Version = 99, 1
	_, err := s.UpdateInvitation(t.Context(), inv, event(invite.ActionEdit, 0, "missing"))
	wantCode(t, err, invite.ENOTFOUND)
	if n := len(mustAudit(t, s, 0)); n != 1 {
		t.Errorf("a failed update wrote an audit event: %d events, want 1", n)
	}
}

// A renamed invitation sorts and is found by its new name only.
func testUpdateInvitationRenames(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	adam := MustCreateInvitation(t, s, NewInvitation(c, "a@example.com", "Adam", "Ek"))
	MustCreateInvitation(t, s, NewInvitation(c, "b@example.com", "Bo", "Ek"))
	adam.FirstName, adam.LastName = "Örjan", "Åkesson"
	MustUpdateInvitation(t, s, adam)

	q := invite.ListQuery{Status: invite.FilterOpen, Sort: invite.DefaultSort, Page: 1, PerPage: 10, Now: T0}
	p := mustList(t, s, q)
	if got := firstNames(p.Invitations); !slices.Equal(got, []string{"Bo", "Örjan"}) {
		t.Errorf("after renaming, first names sort as %q", got)
	}
	for search, want := range map[string]int{"adam": 0, "örjan": 1, "ÅKESSON": 1} {
		q.Search = search
		if got := mustList(t, s, q).Total; got != want {
			t.Errorf("search %q after renaming finds %d, want %d", search, got, want)
		}
	}
}

func firstNames(invs []invite.Invitation) []string {
	out := make([]string, len(invs))
	for i, inv := range invs {
		out[i] = inv.FirstName
	}
	return out
}

func testInsertInvitations(t *testing.T, s invite.Store) {
	ctx := t.Context()
	a := MustCreateCustomer(t, s, "Alfa AB")
	b := MustCreateCustomer(t, s, "Beta AB")
	if err := s.InsertInvitations(ctx, nil); err != nil {
		t.Fatalf("InsertInvitations(nil): %v", err)
	}
	var withIDs, withoutIDs []invite.Invitation
	for i := range 30 {
		c := []invite.Customer{a, b}[i%2]
		inv := NewInvitation(c, fmt.Sprintf("bulk%02d@example.com", i), fmt.Sprintf("Förnamn%02d", i), "Bulk")
		inv.Version = 1 + i%4 // kept, as a copy keeps them
		if i%3 == 0 {
			inv.State, inv.AcceptedAt = invite.StateAccepted, T0.Add(time.Minute)
		}
		inv.ID = int64(1000 + i)
		withIDs = append(withIDs, inv)
		inv.ID = 0
		inv.Email = "other-" + inv.Email
		withoutIDs = append(withoutIDs, inv)
	}
	if err := s.InsertInvitations(ctx, withIDs); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertInvitations(ctx, withoutIDs); err != nil {
		t.Fatal(err)
	}
	for _, want := range withIDs {
		assertInvitation(t, MustInvitation(t, s, want.ID), want)
	}
	q := invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Page: 1, PerPage: 100, Now: T0}
	p := mustList(t, s, q)
	if p.Total != 60 {
		t.Fatalf("after inserting 60 invitations, the store has %d", p.Total)
	}
	seen := map[int64]bool{}
	for _, inv := range p.Invitations {
		if seen[inv.ID] {
			t.Fatalf("ID %d used twice", inv.ID)
		}
		seen[inv.ID] = true
	}
	// Sort keys and search text are filled for inserted rows too.
	q.Search = "FÖRNAMN07"
	if got := mustList(t, s, q).Total; got != 2 {
		t.Errorf("search in inserted invitations finds %d, want 2", got)
	}
	q.Search, q.Status = "", invite.FilterOpen
	q.Sort = invite.Sort{Field: invite.SortFirstName, Desc: true}
	open := mustList(t, s, q)
	if open.Total != 40 || open.Invitations[0].FirstName != "Förnamn29" {
		t.Errorf("open inserted invitations: total %d, first %q; want 40, Förnamn29", open.Total, open.Invitations[0].FirstName)
	}
}

func testInsertInvitationsAllOrNothing(t *testing.T, s invite.Store) {
	a := MustCreateCustomer(t, s, "Alfa AB")
	good := NewInvitation(a, "good@example.com", "Good", "Row")
	bad := NewInvitation(invite.Customer{ID: a.ID + 1000}, "bad@example.com", "Bad", "Row")
	if err := s.InsertInvitations(t.Context(), []invite.Invitation{good, bad}); err == nil {
		t.Fatal("inserting an invitation of a missing customer succeeded")
	}
	if n := countAll(t, s); n != 0 {
		t.Errorf("a failed batch left %d invitations behind", n)
	}
}

// InvitationsByID reads the invitations that exist of the IDs given, each
// as Invitation reads it; unknown IDs are left out.
func testInvitationsByID(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Acme AB")
	a := MustCreateInvitation(t, s, NewInvitation(c, "a@example.com", "Anna", "Ek"))
	MustCreateInvitation(t, s, NewInvitation(c, "b@example.com", "Bo", "Ek"))
	d := MustCreateInvitation(t, s, NewInvitation(c, "d@example.com", "Dan", "Ek"))
	got, err := s.InvitationsByID(t.Context(), []int64{d.ID, 9999, a.ID, a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d invitations, want 2: %+v", len(got), got)
	}
	assertInvitation(t, got[a.ID], a)
	assertInvitation(t, got[d.ID], d)
	if none, err := s.InvitationsByID(t.Context(), nil); err != nil || len(none) != 0 {
		t.Errorf("no IDs: %v, %v", none, err)
	}
}
