package storetest

import (
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

func accountStore(tb testing.TB, s invite.Store) invite.AccountStore {
	tb.Helper()
	st, ok := s.(invite.AccountStore)
	if !ok {
		tb.Fatalf("%T does not implement invite.AccountStore", s)
	}
	return st
}

// A user's language is set with its audit event; other users keep theirs; a
// missing user is ENOTFOUND and records nothing.
func testSetUserLanguage(t *testing.T, s invite.Store) {
	ctx := t.Context()
	st := accountStore(t, s)
	c := MustCreateCustomer(t, s, "Alfa AB")
	eva := MustAccept(t, s, MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek")), T0)
	bo := MustAccept(t, s, MustCreateInvitation(t, s, NewInvitation(c, "bo@example.com", "Bo", "Al")), T0)
	at := T0.Add(time.Hour)
	ev := invite.AuditEvent{At: at, Actor: eva.Email, Action: invite.ActionLanguage, InvitationID: eva.InvitationID, Detail: "account language set to sv"}
	if err := st.SetUserLanguage(ctx, eva.ID, invite.Swedish, ev); err != nil {
		t.Fatal(err)
	}
	eva.Language = invite.Swedish
	assertUsers(t, s, []invite.User{eva, bo})
	evs := mustAudit(t, s, eva.InvitationID)
	if last := evs[len(evs)-1]; last.Action != invite.ActionLanguage || last.Actor != eva.Email || last.Detail != ev.Detail {
		t.Errorf("last audit event %+v, want the language change", last)
	}
	before := len(mustAudit(t, s, 0))
	wantCode(t, st.SetUserLanguage(ctx, bo.ID+100, invite.Swedish, ev), invite.ENOTFOUND)
	if after := len(mustAudit(t, s, 0)); after != before {
		t.Errorf("a refused change recorded %d audit events", after-before)
	}
}

// A password change replaces the hash only if it is still the old one,
// ends every other session of the user and keeps the one named, leaves
// other users' sessions alone, and records its event; a stale old hash is
// ECONFLICT and a missing user ENOTFOUND, both changing nothing.
func testChangePassword(t *testing.T, s invite.Store) {
	ctx := t.Context()
	st := accountStore(t, s)
	signIn, ok := s.(invite.SignInStore)
	if !ok {
		t.Fatalf("%T does not implement invite.SignInStore", s)
	}
	c := MustCreateCustomer(t, s, "Alfa AB")
	eva := MustAccept(t, s, MustCreateInvitation(t, s, NewInvitation(c, "eva@example.com", "Eva", "Ek")), T0)
	bo := MustAccept(t, s, MustCreateInvitation(t, s, NewInvitation(c, "bo@example.com", "Bo", "Al")), T0)
	first := NewSession("session of eva@example.com", T0) // opened by MustAccept
	here := NewSession("here", T0)
	here.UserID = eva.ID
	if err := signIn.AddSession(ctx, here); err != nil {
		t.Fatal(err)
	}
	boSession := NewSession("session of bo@example.com", T0)

	at := T0.Add(time.Hour)
	ev := invite.AuditEvent{At: at, Actor: eva.Email, Action: invite.ActionPasswordChange, InvitationID: eva.InvitationID,
		Detail: "password changed on the account page; every other session ended"}
	if err := st.ChangePassword(ctx, eva.ID, eva.PasswordHash, "$argon2id$changed", here.IDHash, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, first.IDHash, at); invite.ErrorCode(err) != invite.ENOTFOUND {
		t.Errorf("the other session survived the change: %v", err)
	}
	got, err := s.SessionUser(ctx, here.IDHash, at)
	if err != nil || got.PasswordHash != "$argon2id$changed" {
		t.Errorf("SessionUser(kept) = %+v, %v; want the session kept, with the new hash", got, err)
	}
	if got, err := s.SessionUser(ctx, boSession.IDHash, at); err != nil || got.ID != bo.ID {
		t.Errorf("another user's session: %+v, %v", got, err)
	}
	evs := mustAudit(t, s, eva.InvitationID)
	if last := evs[len(evs)-1]; last.Action != invite.ActionPasswordChange || last.Actor != eva.Email {
		t.Errorf("last audit event %+v, want the password change", last)
	}

	// The old hash no longer matches: a second change from it is refused.
	before := len(mustAudit(t, s, 0))
	wantCode(t, st.ChangePassword(ctx, eva.ID, eva.PasswordHash, "$argon2id$other", here.IDHash, ev), invite.ECONFLICT)
	wantCode(t, st.ChangePassword(ctx, bo.ID+100, bo.PasswordHash, "$argon2id$other", here.IDHash, ev), invite.ENOTFOUND)
	if got, err := s.SessionUser(ctx, here.IDHash, at); err != nil || got.PasswordHash != "$argon2id$changed" {
		t.Errorf("after refused changes: %+v, %v", got, err)
	}
	if after := len(mustAudit(t, s, 0)); after != before {
		t.Errorf("refused changes recorded %d audit events", after-before)
	}
}
