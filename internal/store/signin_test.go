package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/storetest"
)

// The sign-in and reset methods behave alike on both engines.
func TestSignInStore(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		s := e.open(t)
		ctx := t.Context()
		at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		c := storetest.MustCreateCustomer(t, s, "Acme AB")
		inv := storetest.MustCreateInvitation(t, s, storetest.NewInvitation(c, "Asa@Example.com", "Åsa", "Lind"))
		u := storetest.MustAccept(t, s, inv, at)

		got, err := s.UserForSignIn(ctx, " asa@EXAMPLE.com")
		if err != nil || got.ID != u.ID || got.PasswordHash != u.PasswordHash || got.InvitationID != inv.ID {
			t.Fatalf("UserForSignIn = %+v, %v", got, err)
		}
		if _, err := s.UserForSignIn(ctx, "nobody@example.com"); invite.ErrorCode(err) != invite.ENOTFOUND {
			t.Errorf("UserForSignIn(unknown) = %v, want ENOTFOUND", err)
		}
		if got, err := s.SignInUser(ctx, u.ID); err != nil || got.Email != u.Email {
			t.Errorf("SignInUser = %+v, %v", got, err)
		}
		if _, err := s.SignInUser(ctx, u.ID+100); invite.ErrorCode(err) != invite.ENOTFOUND {
			t.Errorf("SignInUser(unknown) = %v, want ENOTFOUND", err)
		}

		second := storetest.NewSession("second", at)
		second.UserID = u.ID
		if err := s.AddSession(ctx, second); err != nil {
			t.Fatal(err)
		}
		if got, err := s.SessionUser(ctx, second.IDHash, at); err != nil || got.ID != u.ID {
			t.Errorf("SessionUser(second) = %+v, %v", got, err)
		}
		orphan := storetest.NewSession("orphan", at)
		orphan.UserID = u.ID + 100
		if err := s.AddSession(ctx, orphan); invite.ErrorCode(err) != invite.ENOTFOUND {
			t.Errorf("AddSession(unknown user) = %v, want ENOTFOUND", err)
		}

		ev := invite.AuditEvent{At: at, Actor: u.Email, Action: invite.ActionResetRequest, Detail: "requested"}
		invID, err := s.QueuePasswordReset(ctx, u.ID, ev, at)
		if err != nil || invID != inv.ID {
			t.Fatalf("QueuePasswordReset = %d, %v; want %d", invID, err, inv.ID)
		}
		if _, err := s.QueuePasswordReset(ctx, u.ID+100, ev, at); invite.ErrorCode(err) != invite.ENOTFOUND {
			t.Errorf("QueuePasswordReset(unknown) = %v, want ENOTFOUND", err)
		}
		claims, err := s.ClaimDeliveries(ctx, invite.ClaimQuery{Now: at, Lease: time.Minute, Limit: 10, InvitationIDs: []int64{inv.ID}})
		if err != nil || len(claims) != 1 || claims[0].Kind != invite.KindPasswordReset || claims[0].Invitation.State != invite.StateAccepted {
			t.Fatalf("claims %+v, %v; want the one reset", claims, err)
		}

		first := storetest.NewSession("session of "+inv.Email, at)
		fresh := storetest.NewSession("fresh", at)
		reset := invite.AuditEvent{At: at, Actor: u.Email, Action: invite.ActionReset, InvitationID: inv.ID, Detail: "reset"}
		if err := s.ResetPassword(ctx, u.ID, u.PasswordHash, "$argon2id$new", fresh, reset); err != nil {
			t.Fatal(err)
		}
		for name, h := range map[string][]byte{"first": first.IDHash, "second": second.IDHash} {
			if _, err := s.SessionUser(ctx, h, at); invite.ErrorCode(err) != invite.ENOTFOUND {
				t.Errorf("the %s session survived the reset: %v", name, err)
			}
		}
		if got, err := s.SessionUser(ctx, fresh.IDHash, at); err != nil || got.PasswordHash != "$argon2id$new" {
			t.Errorf("SessionUser(fresh) = %+v, %v", got, err)
		}
		// The old hash no longer matches: the link worked once.
		again := storetest.NewSession("again", at)
		if err := s.ResetPassword(ctx, u.ID, u.PasswordHash, "$argon2id$newer", again, reset); !errors.Is(err, invite.ErrResetLinkUsed) {
			t.Errorf("second ResetPassword = %v, want ErrResetLinkUsed", err)
		}
		if _, err := s.SessionUser(ctx, again.IDHash, at); invite.ErrorCode(err) != invite.ENOTFOUND {
			t.Errorf("a refused reset opened a session: %v", err)
		}
		evs, err := s.ListAudit(ctx, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ev := range evs {
			actions = append(actions, ev.Action)
		}
		if n := len(actions); n < 2 || actions[n-2] != invite.ActionResetRequest || actions[n-1] != invite.ActionReset {
			t.Errorf("audit actions %v", actions)
		}
	})
}
