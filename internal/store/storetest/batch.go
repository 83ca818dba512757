package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// RunUpdateInvitations runs the conformance tests of
// Store.UpdateInvitations, the batch of conditional updates that
// `resend --expired` makes, and of Store.UpdateInvitationsChunks, the
// all-or-nothing chunks of `import --update`. open is as for Run.
func RunUpdateInvitations(t *testing.T, open func(t *testing.T) invite.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s invite.Store)
	}{
		{"Empty", testUpdateInvitationsEmpty},
		{"EachOnItsOwn", testUpdateInvitationsEachOnItsOwn},
		{"EveryField", testUpdateInvitationsEveryField},
		{"SameInvitationTwice", testUpdateInvitationsSameInvitationTwice},
		{"EmailTaken", testUpdateInvitationsEmailTaken},
		{"EventAboutMissingInvitation", testUpdateInvitationsEventAboutMissingInvitation},
		{"ConcurrentWithUpdateInvitation", testUpdateInvitationsConcurrent},
		{"Chunks", testUpdateInvitationsChunks},
		{"ChunksAllOrNothing", testUpdateInvitationsChunksAllOrNothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// change is a batch entry whose event names the invitation.
func change(inv invite.Invitation, detail string) invite.InvitationChange {
	return invite.InvitationChange{Invitation: inv, Event: event(invite.ActionResend, inv.ID, detail)}
}

// twoInvitations creates a customer with two invitations, a@ and b@.
func twoInvitations(tb testing.TB, s invite.Store) (c invite.Customer, a, b invite.Invitation) {
	tb.Helper()
	c = MustCreateCustomer(tb, s, "Alfa AB")
	a = MustCreateInvitation(tb, s, NewInvitation(c, "a@example.com", "Anna", "Ek"))
	b = MustCreateInvitation(tb, s, NewInvitation(c, "b@example.com", "Bo", "Ek"))
	return c, a, b
}

// mustUpdateInvitations runs a batch that must not fail as a whole.
func mustUpdateInvitations(tb testing.TB, s invite.Store, changes ...invite.InvitationChange) ([]invite.Invitation, []error) {
	tb.Helper()
	out, errs, err := s.UpdateInvitations(tb.Context(), changes)
	if err != nil {
		tb.Fatalf("UpdateInvitations: %v", err)
	}
	if len(out) != len(changes) || len(errs) != len(changes) {
		tb.Fatalf("UpdateInvitations returned %d invitations and %d errors for %d changes", len(out), len(errs), len(changes))
	}
	return out, errs
}

// auditDetails is the details of an invitation's audit events, oldest first.
func auditDetails(tb testing.TB, s invite.Store, id int64) []string {
	tb.Helper()
	var out []string
	for _, ev := range mustAudit(tb, s, id) {
		out = append(out, ev.Detail)
	}
	return out
}

func assertDetails(tb testing.TB, s invite.Store, id int64, want ...string) {
	tb.Helper()
	if got := auditDetails(tb, s, id); fmt.Sprint(got) != fmt.Sprint(want) {
		tb.Errorf("audit of invitation %d = %q, want %q", id, got, want)
	}
}

func testUpdateInvitationsEmpty(t *testing.T, s invite.Store) {
	out, errs, err := s.UpdateInvitations(t.Context(), nil)
	if err != nil || len(out) != 0 || len(errs) != 0 {
		t.Fatalf("UpdateInvitations(nil) = %v, %v, %v; want nothing", out, errs, err)
	}
	if n := len(mustAudit(t, s, 0)); n != 0 {
		t.Errorf("an empty batch wrote %d audit events", n)
	}
}

// A change that cannot be written fails alone: the others of its batch are
// written, each with its event, and the failed ones leave no trace.
func testUpdateInvitationsEachOnItsOwn(t *testing.T, s invite.Store) {
	c, a, b := twoInvitations(t, s)
	d := MustCreateInvitation(t, s, NewInvitation(c, "d@example.com", "Dan", "Ek"))
	movedB := b
	movedB.SendCount = 7
	movedB = MustUpdateInvitation(t, s, movedB)

	freshA := a
	freshA.LinkGeneration++
	freshA.ExpiresAt = T0.Add(2 * invite.DefaultTTL)
	staleB := b // read before movedB was written
	staleB.FirstName = "Bosse"
	missing := NewInvitation(c, "x@example.com", "Xena", "Ek")
	missing.ID, missing.Version = 9999, 1
	sentD := d
	sentD.LastSentAt, sentD.SendCount = T0.Add(time.Hour), d.SendCount+1
	out, errs := mustUpdateInvitations(t, s,
		change(freshA, "new link"), change(staleB, "stale"), change(missing, "missing"), change(sentD, "sent"))

	wantErr(t, errs[1], invite.ErrEditedMeanwhile)
	wantCode(t, errs[2], invite.ENOTFOUND)
	for _, i := range []int{0, 3} {
		if errs[i] != nil {
			t.Fatalf("change %d: %v", i, errs[i])
		}
	}
	freshA.Version++
	sentD.Version++
	assertInvitation(t, out[0], freshA)
	assertInvitation(t, MustInvitation(t, s, a.ID), freshA)
	assertInvitation(t, out[3], sentD)
	assertInvitation(t, MustInvitation(t, s, d.ID), sentD)
	assertInvitation(t, MustInvitation(t, s, b.ID), movedB)
	assertDetails(t, s, a.ID, "invited a@example.com", "new link")
	assertDetails(t, s, b.ID, "invited b@example.com", "test update")
	assertDetails(t, s, d.ID, "invited d@example.com", "sent")
	if n := len(mustAudit(t, s, 9999)); n != 0 {
		t.Errorf("the change of a missing invitation wrote %d audit events", n)
	}
}

// Every changeable field is written and comes back as stored, also when
// optional values are cleared and the names change (which moves the
// invitation in the name orders and the search).
func testUpdateInvitationsEveryField(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))
	full := inv
	full.Details = fullInvitation(c, inv.Email).Details
	full.Language = invite.English
	full.LinkGeneration = 4
	// Nanoseconds are not kept: the result must be what is stored.
	full.ExpiresAt = T0.Add(400*24*time.Hour + 1500*time.Nanosecond)
	full.LastSentAt = T0.Add(time.Hour + 999*time.Nanosecond)
	full.SendCount = 5
	full.CreatedBy = "someone else"
	out, errs := mustUpdateInvitations(t, s, change(full, "everything"))
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	assertInvitation(t, out[0], MustInvitation(t, s, inv.ID))
	if out[0].Version != inv.Version+1 || out[0].FirstName != "Åsa" || out[0].Phone != "+46701234567" {
		t.Errorf("after the update: %+v", out[0])
	}

	cleared := out[0]
	cleared.Details = invite.Details{FirstName: "Örjan", LastName: "Åkesson"}
	cleared.State, cleared.RevokedAt = invite.StateRevoked, T0.Add(3*time.Hour)
	out, errs = mustUpdateInvitations(t, s, change(cleared, "cleared and revoked"))
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	cleared.Version++
	assertInvitation(t, out[0], cleared)
	assertInvitation(t, MustInvitation(t, s, inv.ID), cleared)

	q := invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Page: 1, PerPage: 10, Now: T0}
	for search, want := range map[string]int{"åsa": 0, "öberg": 0, "örjan": 1, "ÅKESSON": 1, "eva@example": 1} {
		q.Search = search
		if got := mustList(t, s, q).Total; got != want {
			t.Errorf("search %q after the updates finds %d, want %d", search, got, want)
		}
	}
}

// Changes of one invitation in one batch apply in order, each on the
// version the one before it wrote.
func testUpdateInvitationsSameInvitationTwice(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))
	first := inv
	first.LinkGeneration++
	second := first
	second.Version++
	second.SendCount++
	stale := inv // based on the version the first change replaces
	stale.FirstName = "Evelina"
	out, errs := mustUpdateInvitations(t, s, change(first, "first"), change(second, "second"), change(stale, "stale"))
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors %v, %v", errs[0], errs[1])
	}
	wantErr(t, errs[2], invite.ErrEditedMeanwhile)
	second.Version++
	assertInvitation(t, out[1], second)
	assertInvitation(t, MustInvitation(t, s, inv.ID), second)
	assertDetails(t, s, inv.ID, "invited eva@example.com", "first", "second")
}

// Reopening an invitation whose email has another open invitation fails
// for that change alone.
func testUpdateInvitationsEmailTaken(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	old := MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))
	revoked := old
	revoked.State, revoked.RevokedAt = invite.StateRevoked, T0.Add(time.Minute)
	revoked = MustUpdateInvitation(t, s, revoked)
	MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek"))
	other := MustCreateInvitation(t, s, NewInvitation(c, "bo@example.com", "Bo", "Ek"))

	reopen := revoked
	reopen.State, reopen.RevokedAt = invite.StatePending, time.Time{}
	sent := other
	sent.SendCount++
	out, errs := mustUpdateInvitations(t, s, change(reopen, "reopen"), change(sent, "sent"))
	wantErr(t, errs[0], invite.ErrEmailTaken)
	if errs[1] != nil {
		t.Fatal(errs[1])
	}
	sent.Version++
	assertInvitation(t, out[1], sent)
	assertInvitation(t, MustInvitation(t, s, other.ID), sent)
	assertInvitation(t, MustInvitation(t, s, old.ID), revoked)
	assertDetails(t, s, old.ID, "invited eva@example.com", "test update")
}

// A change whose event names an invitation that does not exist is not
// written; the others are.
func testUpdateInvitationsEventAboutMissingInvitation(t *testing.T, s invite.Store) {
	_, a, b := twoInvitations(t, s)
	upd := a
	upd.SendCount++
	bad := invite.InvitationChange{Invitation: upd, Event: event(invite.ActionResend, 9999, "about nothing")}
	sent := b
	sent.SendCount++
	_, errs := mustUpdateInvitations(t, s, bad, change(sent, "sent"))
	wantCode(t, errs[0], invite.ENOTFOUND)
	if errs[1] != nil {
		t.Fatal(errs[1])
	}
	assertInvitation(t, MustInvitation(t, s, a.ID), a)
	sent.Version++
	assertInvitation(t, MustInvitation(t, s, b.ID), sent)
}

// Batches and single updates that start from one version: exactly one
// writes.
func testUpdateInvitationsConcurrent(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, NewInvitation(c, "race@example.com", "Race", "Condition"))
	errs := race(func(i int) error {
		upd := inv
		upd.SendCount = i + 1
		if i%2 == 0 {
			_, err := s.UpdateInvitation(t.Context(), upd, event(invite.ActionResend, inv.ID, fmt.Sprint("writer ", i)))
			return err
		}
		_, errs, err := s.UpdateInvitations(t.Context(), []invite.InvitationChange{change(upd, fmt.Sprint("writer ", i))})
		if err != nil {
			return err
		}
		return errs[0]
	})
	won := winners(t, errs, invite.ErrEditedMeanwhile)
	if len(won) != 1 {
		t.Fatalf("%d writers won, want exactly 1", len(won))
	}
	got := MustInvitation(t, s, inv.ID)
	if got.SendCount != won[0]+1 || got.Version != inv.Version+1 {
		t.Errorf("stored send count %d, version %d; want %d, %d", got.SendCount, got.Version, won[0]+1, inv.Version+1)
	}
	assertDetails(t, s, inv.ID, "invited race@example.com", fmt.Sprint("writer ", won[0]))
}

// updateChunks writes chunks through UpdateInvitationsChunks, returning
// each chunk's errors.
func updateChunks(tb testing.TB, s invite.Store, chunks ...[]invite.InvitationChange) ([][]error, error) {
	var got [][]error
	err := s.UpdateInvitationsChunks(tb.Context(), func(write func([]invite.InvitationChange) ([]error, error)) error {
		for _, chunk := range chunks {
			errs, err := write(chunk)
			if err != nil {
				return err
			}
			got = append(got, errs)
		}
		return nil
	})
	return got, err
}

// The chunks of UpdateInvitationsChunks are all written, each change with
// its event, in one transaction: a later chunk sees an earlier one's
// changes.
func testUpdateInvitationsChunks(t *testing.T, s invite.Store) {
	_, a, b := twoInvitations(t, s)
	renamed, sent := a, b
	renamed.FirstName = "Annika"
	sent.SendCount++
	again := renamed
	again.Version++
	again.LastName = "Lind"
	got, err := updateChunks(t, s, []invite.InvitationChange{change(renamed, "renamed"), change(sent, "sent")}, []invite.InvitationChange{change(again, "again")})
	if err != nil {
		t.Fatalf("UpdateInvitationsChunks: %v", err)
	}
	if fmt.Sprint(got) != "[[<nil> <nil>] [<nil>]]" {
		t.Fatalf("errors %v, want none", got)
	}
	again.Version++
	sent.Version++
	assertInvitation(t, MustInvitation(t, s, a.ID), again)
	assertInvitation(t, MustInvitation(t, s, b.ID), sent)
	assertDetails(t, s, a.ID, "invited a@example.com", "renamed", "again")
	assertDetails(t, s, b.ID, "invited b@example.com", "sent")
}

// A change of a later chunk that fails its own check, or an error of the
// caller's, rolls back every chunk: nothing is written, no event recorded.
func testUpdateInvitationsChunksAllOrNothing(t *testing.T, s invite.Store) {
	c, a, b := twoInvitations(t, s)
	moved := b
	moved.SendCount = 7
	moved = MustUpdateInvitation(t, s, moved)
	renamed, stale := a, b // stale: read before moved was written
	renamed.FirstName = "Annika"
	stale.FirstName = "Bosse"
	missing := NewInvitation(c, "x@example.com", "Xena", "Ek")
	missing.ID, missing.Version = 9999, 1

	got, err := updateChunks(t, s, []invite.InvitationChange{change(renamed, "renamed")}, []invite.InvitationChange{change(stale, "stale"), change(missing, "missing")})
	if err != nil {
		t.Fatalf("UpdateInvitationsChunks: %v", err)
	}
	if len(got) != 2 || got[0][0] != nil {
		t.Fatalf("errors %v, want the second chunk's", got)
	}
	wantErr(t, got[1][0], invite.ErrEditedMeanwhile)
	wantCode(t, got[1][1], invite.ENOTFOUND)
	assertInvitation(t, MustInvitation(t, s, a.ID), a)
	assertInvitation(t, MustInvitation(t, s, b.ID), moved)
	assertDetails(t, s, a.ID, "invited a@example.com")

	refused := errors.New("refused")
	err = s.UpdateInvitationsChunks(t.Context(), func(write func([]invite.InvitationChange) ([]error, error)) error {
		if errs, err := write([]invite.InvitationChange{change(renamed, "renamed")}); err != nil || errs[0] != nil {
			t.Fatalf("write: %v %v", errs, err)
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("UpdateInvitationsChunks = %v, want the caller's error", err)
	}
	assertInvitation(t, MustInvitation(t, s, a.ID), a)
	assertDetails(t, s, a.ID, "invited a@example.com")
}
