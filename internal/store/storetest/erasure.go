package storetest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// Traces reads back, as named blobs, everything of a store in which an
// erased value could still be found: on SQLite the bytes of the database
// file and of its WAL, on PostgreSQL what SQL can see (every row of every
// table, the planner's statistics). Settle runs before the erasure, to
// give the engine the chance to copy values where they could stay (on
// PostgreSQL, ANALYZE samples them into pg_stats).
type Traces struct {
	Settle func(t *testing.T, s invite.Store)
	Read   func(t *testing.T, s invite.Store) map[string][]byte
}

// RunErasure replays a realistic life of three invitations — invite, edits
// of names and phone, resends, a failed email naming the address, a
// revoke, an accept, sign-ins, a password reset, the account page's
// language and password changes — then purges and deletes
// the account, and reads what the store kept: none of the values that
// belonged to an erased invitation or account may appear anywhere, while a
// kept invitation's values must (or the reading proves nothing).
func RunErasure(t *testing.T, open func(t *testing.T) invite.Store, traces Traces) {
	ctx := t.Context()
	s := open(t)
	signIn, ok := s.(invite.SignInStore)
	if !ok {
		t.Fatalf("%T does not implement invite.SignInStore", s)
	}
	c := MustCreateCustomer(t, s, "Raderbolaget AB")
	at := func(h int) time.Time { return T0.Add(time.Duration(h) * time.Hour) }
	ev := func(action string, id int64, actor, detail string, h int) invite.AuditEvent {
		return invite.AuditEvent{At: at(h), Actor: actor, Action: action, InvitationID: id, Detail: detail}
	}
	person := func(email, first, last, pn, lma, phone string) invite.Invitation {
		inv := NewInvitation(c, email, first, last)
		inv.Details = invite.Details{FirstName: first, LastName: last, SwedishCitizen: invite.Yes, EUCitizen: invite.No,
			PersonalNumber: pn, LMANumber: lma, Phone: phone, Gender: invite.Female}
		return inv
	}
	create := func(inv invite.Invitation) invite.Invitation {
		t.Helper()
		if err := s.CreateInvitation(ctx, &inv, ev(invite.ActionInvite, 0, "admin", "invited "+inv.Email+" to \"Raderbolaget AB\"", 0), invite.KindInvitation); err != nil {
			t.Fatalf("CreateInvitation(%s): %v", inv.Email, err)
		}
		return MustInvitation(t, s, inv.ID)
	}
	update := func(inv invite.Invitation, e invite.AuditEvent, mail invite.DeliveryKind) invite.Invitation {
		t.Helper()
		out, errs, err := s.UpdateInvitations(ctx, []invite.InvitationChange{{Invitation: inv, Event: e, Mail: mail}})
		if err != nil || errs[0] != nil {
			t.Fatalf("UpdateInvitations(%d): %v, %v", inv.ID, err, errs)
		}
		return out[0]
	}

	// Kept: pending, edited; what the reading must find. It comes first, so
	// that no later write happens to reuse the space the erasures free.
	kept := create(person("Vera.Behallsson@example.net", "Veraxq", "Behallssonxq", "19900101-0017", "LMA-555/55", "+46705550301"))
	kept.LastName = "Behallsson-Kvarxq"
	update(kept, ev(invite.ActionEdit, kept.ID, "admin", "changed last name", 0), "")

	// Revoked: invited, renamed, its phone changed, resent, its email
	// refused by the server naming the address, then revoked.
	rev := create(person("Tilda.Raderqvist@example.com", "Tildaxq", "Raderqvistxq", "19850317-4128", "LMA-771/93", "+46705550101"))
	rev.FirstName, rev.LastName, rev.Phone = "Matildaxq", "Raderqvist-Björkxq", "+46705550102"
	rev = update(rev, ev(invite.ActionEdit, rev.ID, "admin", "changed first name, last name, phone", 1), "")
	rev.LinkGeneration++
	rev = update(rev, ev(invite.ActionResend, rev.ID, "admin", "new link generated", 2), invite.KindInvitation)
	claims, err := s.ClaimDeliveries(ctx, invite.ClaimQuery{Now: at(3), Lease: time.Minute, Limit: 10, InvitationIDs: []int64{rev.ID}})
	if err != nil || len(claims) != 1 {
		t.Fatalf("ClaimDeliveries = %d, %v; want the resent email", len(claims), err)
	}
	if err := s.FinishDeliveries(ctx, []invite.DeliveryOutcome{{Claim: claims[0], State: invite.DeliveryFailed, At: at(3),
		Error: "550 5.1.1 <tilda.raderqvist@example.com>: Recipient address rejected"}}); err != nil {
		t.Fatal(err)
	}
	rev = MustInvitation(t, s, rev.ID)
	rev.State, rev.RevokedAt = invite.StateRevoked, at(4)
	update(rev, ev(invite.ActionRevoke, rev.ID, "admin", "revoked invitation for "+rev.Email, 4), "")

	// Accepted: invited, its phone changed, accepted; the account signs in,
	// asks for a reset and resets its password, and is deleted.
	acc := create(person("Ulrik.Raderman@example.org", "Ulrikxq", "Radermanxq", "19770823-5532", "LMA-404/17", "+46705550201"))
	acc.Phone = "+46705550202"
	acc = update(acc, ev(invite.ActionEdit, acc.ID, "admin", "changed phone", 5), "")
	u := NewUser(acc, at(6))
	u.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Zmlyc3RoYXNob2Z1bHJpa3JhZGVybWFu"
	upd := acc
	upd.State, upd.AcceptedAt = invite.StateAccepted, at(6)
	if err := s.Accept(ctx, upd, &u, NewSession("first session of ulrik", at(6)), ev(invite.ActionAccept, acc.ID, acc.Email, "account created, privacy policy accepted", 6)); err != nil {
		t.Fatal(err)
	}
	if err := signIn.AddSession(ctx, invite.Session{UserID: u.ID, IDHash: NewSession("second session of ulrik", at(7)).IDHash, CreatedAt: at(7), ExpiresAt: at(7 + 24)}); err != nil {
		t.Fatal(err)
	}
	if _, err := signIn.QueuePasswordReset(ctx, u.ID, ev(invite.ActionResetRequest, 0, acc.Email, "password reset link requested", 8), at(8)); err != nil {
		t.Fatal(err)
	}
	newHash := "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdG5ld3NhbHQ$c2Vjb25kaGFzaG9mdWxyaWtyYWRlcm1hbg"
	if err := signIn.ResetPassword(ctx, u.ID, u.PasswordHash, newHash, NewSession("third session of ulrik", at(9)),
		ev(invite.ActionReset, acc.ID, acc.Email, "password reset through an emailed link; every other session ended", 9)); err != nil {
		t.Fatal(err)
	}
	// On the account page: another language, and the password changed again.
	account, ok := s.(invite.AccountStore)
	if !ok {
		t.Fatal("the store cannot change accounts")
	}
	if err := account.SetUserLanguage(ctx, u.ID, invite.Swedish, ev(invite.ActionLanguage, acc.ID, acc.Email, "account language set to sv", 10)); err != nil {
		t.Fatal(err)
	}
	thirdHash := "$argon2id$v=19$m=19456,t=2,p=1$dGhpcmRzYWx0dGhpcmQ$dGhpcmRoYXNob2Z1bHJpa3JhZGVybWFuMDE"
	if err := account.ChangePassword(ctx, u.ID, newHash, thirdHash, NewSession("third session of ulrik", at(9)).IDHash,
		ev(invite.ActionPasswordChange, acc.ID, acc.Email, "password changed on the account page", 11)); err != nil {
		t.Fatal(err)
	}

	if traces.Settle != nil {
		traces.Settle(t, s)
	}
	now := at(24 * 30)
	if _, err := s.Purge(ctx, at(12), now, ev(invite.ActionPurge, 0, "admin", "", 24*30), false); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID, ev(invite.ActionUserDelete, acc.ID, "admin", "deleted user and erased their personal data", 24*30)); err != nil {
		t.Fatal(err)
	}
	assertErased(t, s, rev.ID)
	assertErased(t, s, acc.ID)

	erased := []string{
		"Tilda.Raderqvist@example.com", "Tildaxq", "Matildaxq", "Raderqvistxq", "Raderqvist-Björkxq",
		"19850317-4128", "198503174128", "LMA-771/93", "+46705550101", "+46705550102", "46705550101", "46705550102",
		"Ulrik.Raderman@example.org", "Ulrikxq", "Radermanxq", "19770823-5532", "197708235532", "LMA-404/17",
		"+46705550201", "+46705550202", "46705550201", "46705550202",
		"c2FsdHNhbHRzYWx0$Zmlyc3RoYXNob2Z1bHJpa3JhZGVybWFu", "bmV3c2FsdG5ld3NhbHQ$c2Vjb25kaGFzaG9mdWxyaWtyYWRlcm1hbg",
	}
	keep := []string{"Veraxq", "Behallsson-Kvarxq", "19900101-0017"}
	blobs := traces.Read(t, s)
	var all [][]byte
	for name, b := range blobs {
		lower := bytes.ToLower(b)
		all = append(all, lower)
		for _, v := range erased {
			if bytes.Contains(b, []byte(v)) || bytes.Contains(lower, []byte(strings.ToLower(v))) {
				t.Errorf("%s still holds the erased %q", name, v)
			}
		}
	}
	for _, v := range keep {
		found := false
		for _, b := range all {
			found = found || bytes.Contains(b, []byte(strings.ToLower(v)))
		}
		if !found {
			t.Errorf("no trace holds the kept %q: the reading cannot see what it looks for", v)
		}
	}
	// What a store answers: no search, list or user lookup finds them.
	for _, v := range []string{"Tildaxq", "Matildaxq", "Raderqvist", "Ulrikxq", "Raderman", "example.org"} {
		if p := mustList(t, s, invite.ListQuery{Status: invite.FilterAll, Search: v, Page: 1, PerPage: 10, Now: now}); p.Total != 0 {
			t.Errorf("a search for %q finds %d invitations", v, p.Total)
		}
		if p := mustList(t, s, invite.ListQuery{Status: invite.FilterPurged, Search: v, Page: 1, PerPage: 10, Now: now}); p.Total != 0 {
			t.Errorf("a search of the purged for %q finds %d invitations", v, p.Total)
		}
	}
	if _, err := signIn.UserForSignIn(ctx, "ulrik.raderman@example.org"); invite.ErrorCode(err) != invite.ENOTFOUND {
		t.Errorf("the deleted account still signs in: %v", err)
	}
}
