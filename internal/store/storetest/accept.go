package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// The tests of Accept's condition: pending, on the token's link generation
// and unexpired. The version is not part of it: an edit or a resend in
// between is no reason to refuse, and the account gets the details as
// stored when it is accepted.

// acceptAt accepts inv (a copy the caller read at some point, the token's
// generation in inv.LinkGeneration) at time at with a session named name,
// as the registration does, and returns the user as Accept left it.
func acceptAt(tb testing.TB, s invite.Store, inv invite.Invitation, at time.Time, name string) (invite.User, error) {
	tb.Helper()
	u := NewUser(inv, at)
	upd := inv
	upd.State, upd.AcceptedAt = invite.StateAccepted, at
	ev := invite.AuditEvent{At: at, Actor: inv.Email, Action: invite.ActionAccept, InvitationID: inv.ID, Detail: "account created"}
	err := s.Accept(tb.Context(), upd, &u, NewSession(name, at), ev)
	return u, err
}

// mustRefuse accepts the copy cp at time at, as acceptAt does, and checks
// that it fails with want and writes nothing: the invitation is still
// before, there are no users, no session named name and no new audit event.
func mustRefuse(tb testing.TB, s invite.Store, cp invite.Invitation, at time.Time, name string, want error, before invite.Invitation) {
	tb.Helper()
	audit := len(mustAudit(tb, s, 0))
	u, err := acceptAt(tb, s, cp, at, name)
	wantErr(tb, err, want)
	if u.ID != 0 {
		tb.Errorf("a failed accept set the user ID %d", u.ID)
	}
	assertInvitation(tb, MustInvitation(tb, s, before.ID), before)
	assertUsers(tb, s, nil)
	_, err = s.SessionUser(tb.Context(), NewSession(name, at).IDHash, at)
	wantCode(tb, err, invite.ENOTFOUND)
	if n := len(mustAudit(tb, s, 0)); n != audit {
		tb.Errorf("a failed accept wrote an audit event: %d events, want %d", n, audit)
	}
}

// An edit of the details and a resend (both move the version) between
// reading the invitation and accepting it: the accept succeeds, and the
// account has the details as edited, not those of the copy.
func testAcceptAfterEdit(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	read := MustCreateInvitation(t, s, fullInvitation(c, "eva@example.com"))

	edited := read
	edited.Details = invite.Details{FirstName: "Evelina", LastName: "Ekström", SwedishCitizen: invite.No,
		EUCitizen: invite.Yes, PersonalNumber: "19811218-9876", Phone: "+46709876543", Gender: invite.Other}
	edited.Language = invite.Swedish
	edited = MustUpdateInvitation(t, s, edited)
	resent := edited
	resent.SendCount++
	resent.LastSentAt = T0.Add(time.Hour)
	resent = MustUpdateInvitation(t, s, resent)
	if resent.Version != read.Version+2 {
		t.Fatalf("after an edit and a resend the version is %d, want %d", resent.Version, read.Version+2)
	}

	at := T0.Add(2 * time.Hour)
	u, err := acceptAt(t, s, read, at, "after edit")
	if err != nil {
		t.Fatalf("Accept after an edit and a resend: %v, want success", err)
	}
	if u.ID == 0 {
		t.Fatal("Accept did not set the user's ID")
	}
	want := NewUser(resent, at)
	want.ID = u.ID
	assertUser(t, u, want) // what Accept returns
	got, err := s.SessionUser(t.Context(), NewSession("after edit", at).IDHash, at)
	if err != nil {
		t.Fatalf("SessionUser after Accept: %v", err)
	}
	assertUser(t, got, want) // what is stored
	assertUsers(t, s, []invite.User{want})

	// The invitation keeps its edited details and is accepted, one version on.
	accepted := resent
	accepted.State, accepted.AcceptedAt, accepted.Version = invite.StateAccepted, at, resent.Version+1
	assertInvitation(t, MustInvitation(t, s, read.ID), accepted)
	evs := mustAudit(t, s, read.ID)
	if last := evs[len(evs)-1]; len(evs) != 4 || last.Action != invite.ActionAccept {
		t.Errorf("audit = %+v, want invite, two updates, accept", evs)
	}
}

// The link was renewed (a new generation, as a resend of an expired
// invitation makes) after the token's was read: the old link is refused as
// expired; the new one works.
func testAcceptRenewedLink(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	read := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))
	renewed := read
	renewed.LinkGeneration++
	renewed.ExpiresAt = T0.Add(2 * invite.DefaultTTL)
	renewed = MustUpdateInvitation(t, s, renewed)

	mustRefuse(t, s, read, T0, "old link", invite.ErrLinkExpired, renewed)

	// A generation ahead of the stored one is refused too.
	ahead := renewed
	ahead.LinkGeneration++
	mustRefuse(t, s, ahead, T0, "ahead", invite.ErrLinkExpired, renewed)

	// The old copy with the new link's generation is accepted.
	fresh := read
	fresh.LinkGeneration = renewed.LinkGeneration
	if _, err := acceptAt(t, s, fresh, T0, "new link"); err != nil {
		t.Fatalf("Accept with the current generation: %v", err)
	}
}

// Expiry is checked at the time of the accept, in the store: expires_at
// must be after it.
func testAcceptExpired(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))

	mustRefuse(t, s, inv, inv.ExpiresAt, "at expiry", invite.ErrLinkExpired, inv)
	late := inv.ExpiresAt.Add(time.Hour)
	mustRefuse(t, s, inv, late, "after expiry", invite.ErrLinkExpired, inv)

	// The caller's copy has no say: an expiry moved into the past meanwhile counts.
	shortened := inv
	shortened.ExpiresAt = T0.Add(time.Minute)
	shortened = MustUpdateInvitation(t, s, shortened)
	at := T0.Add(time.Hour)
	mustRefuse(t, s, inv, at, "shortened", invite.ErrLinkExpired, shortened)

	justBefore := shortened.ExpiresAt.Add(-time.Microsecond)
	if _, err := acceptAt(t, s, inv, justBefore, "just before"); err != nil {
		t.Fatalf("Accept a microsecond before expiry: %v", err)
	}
}

// A revoked invitation cannot be accepted, whatever copy the caller holds.
func testAcceptRevoked(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	read := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))
	revoked := read
	revoked.State, revoked.RevokedAt = invite.StateRevoked, T0.Add(time.Minute)
	revoked = MustUpdateInvitation(t, s, revoked)

	mustRefuse(t, s, read, T0.Add(time.Hour), "stale copy", invite.ErrLinkRevoked, revoked)
	mustRefuse(t, s, revoked, T0.Add(time.Hour), "current copy", invite.ErrLinkRevoked, revoked)
}

// An accepted invitation, accepted again from a copy read before the
// first accept, is a used link.
func testAcceptUsed(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	read := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))
	first, err := acceptAt(t, s, read, T0, "first")
	if err != nil {
		t.Fatal(err)
	}
	accepted := MustInvitation(t, s, read.ID)
	audit := len(mustAudit(t, s, 0))
	for _, cp := range []invite.Invitation{read, accepted} {
		u, err := acceptAt(t, s, cp, T0.Add(time.Minute), "second")
		wantErr(t, err, invite.ErrLinkUsed)
		if u.ID != 0 {
			t.Errorf("a failed accept set the user ID %d", u.ID)
		}
	}
	assertInvitation(t, MustInvitation(t, s, read.ID), accepted)
	assertUsers(t, s, []invite.User{first})
	if n := len(mustAudit(t, s, 0)); n != audit {
		t.Errorf("a failed accept wrote an audit event: %d events, want %d", n, audit)
	}
}

// An invitation that does not exist is an unknown link.
func testAcceptUnknown(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))
	missing := inv
	missing.ID = inv.ID + 1000
	mustRefuse(t, s, missing, T0, "missing", invite.ErrLinkUnknown, inv)
}

// Concurrent accepts of one link, all from a copy read before an edit and
// a resend moved the version: exactly one creates the user, with the
// edited details, and the others find the link used.
func testConcurrentAcceptAfterEdit(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	read := MustCreateInvitation(t, s, NewInvitation(c, "race@example.com", "Race", "Condition"))
	edited := read
	edited.LastName, edited.SendCount = "Edited", 1
	edited = MustUpdateInvitation(t, s, edited)

	users := make([]invite.User, writers)
	errs := race(func(i int) error {
		var err error
		users[i], err = acceptAt(t, s, read, T0, fmt.Sprint("writer ", i))
		return err
	})
	won := winners(t, errs, invite.ErrLinkUsed)
	if len(won) != 1 {
		t.Fatalf("%d of %d concurrent accepts succeeded, want exactly 1", len(won), writers)
	}
	want := NewUser(edited, T0)
	want.ID = users[won[0]].ID
	assertUsers(t, s, []invite.User{want})
	for i := range writers {
		_, err := s.SessionUser(t.Context(), NewSession(fmt.Sprint("writer ", i), T0).IDHash, T0)
		if (err == nil) != (i == won[0]) {
			t.Errorf("session of writer %d: %v (winner %d)", i, err, won[0])
		}
	}
	if evs := mustAudit(t, s, read.ID); len(evs) != 3 {
		t.Errorf("audit = %+v, want invite, update, one accept", evs)
	}
}

// One accept races editors that each re-read and retry while the
// invitation is pending. The accept always succeeds, and the account has
// the details the invitation has at the end: those of the last edit
// committed before the accept. Editors after it find the version moved.
func testConcurrentAcceptAndEdits(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	read := MustCreateInvitation(t, s, NewInvitation(c, "race@example.com", "Race", "Condition"))
	var u invite.User
	errs := race(func(i int) error {
		if i == 0 {
			var err error
			u, err = acceptAt(t, s, read, T0, "accept")
			return err
		}
		for range 10 * writers {
			cur, err := s.Invitation(t.Context(), read.ID)
			if err != nil || cur.State != invite.StatePending {
				return err
			}
			upd := cur
			upd.FirstName = fmt.Sprint("Editor", i)
			upd.SendCount++
			_, err = s.UpdateInvitation(t.Context(), upd, event(invite.ActionEdit, read.ID, "edit"))
			if err == nil {
				return nil
			}
			if !errors.Is(err, invite.ErrEditedMeanwhile) {
				return err
			}
		}
		return fmt.Errorf("editor %d lost too often", i)
	})
	if errs[0] != nil {
		t.Fatalf("the accept that raced edits failed: %v", errs[0])
	}
	for i, err := range errs[1:] {
		if err != nil {
			t.Errorf("editor %d: %v", i+1, err)
		}
	}
	final := MustInvitation(t, s, read.ID)
	if final.State != invite.StateAccepted {
		t.Fatalf("the invitation is %s, want accepted", final.State)
	}
	want := NewUser(final, T0)
	want.ID = u.ID
	assertUser(t, u, want)
	assertUsers(t, s, []invite.User{want})
}
