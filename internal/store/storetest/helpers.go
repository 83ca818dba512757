package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// T0 is the time the suite's data is created at. It has microseconds, the
// precision every store keeps.
var T0 = time.Date(2026, 3, 2, 9, 30, 0, 123456000, time.UTC)

// MustCreateCustomer creates a customer named name at T0.
func MustCreateCustomer(tb testing.TB, s invite.Store, name string) invite.Customer {
	tb.Helper()
	c := invite.Customer{Name: name, CreatedAt: T0}
	if err := s.CreateCustomer(tb.Context(), &c, event(invite.ActionCustomerAdd, 0, "customer "+name)); err != nil {
		tb.Fatalf("CreateCustomer(%q): %v", name, err)
	}
	return c
}

// NewInvitation returns a pending invitation of customer c, sent at T0 and
// valid for one year, with every optional detail unset.
func NewInvitation(c invite.Customer, email, first, last string) invite.Invitation {
	return invite.Invitation{
		CustomerID: c.ID,
		Customer:   c.Name,
		Email:      email,
		Details:    invite.Details{FirstName: first, LastName: last},
		Language:   invite.Swedish,
		State:      invite.StatePending,
		ExpiresAt:  T0.Add(invite.DefaultTTL),
		CreatedAt:  T0,
		CreatedBy:  "admin",
		LastSentAt: T0,
	}
}

// MustCreateInvitation stores inv and returns it as the store reads it back.
func MustCreateInvitation(tb testing.TB, s invite.Store, inv invite.Invitation) invite.Invitation {
	tb.Helper()
	if err := s.CreateInvitation(tb.Context(), &inv, event(invite.ActionInvite, 0, "invited "+inv.Email), ""); err != nil {
		tb.Fatalf("CreateInvitation(%s): %v", inv.Email, err)
	}
	return MustInvitation(tb, s, inv.ID)
}

// MustInvitation reads one invitation.
func MustInvitation(tb testing.TB, s invite.Store, id int64) invite.Invitation {
	tb.Helper()
	inv, err := s.Invitation(tb.Context(), id)
	if err != nil {
		tb.Fatalf("Invitation(%d): %v", id, err)
	}
	return inv
}

// MustUpdateInvitation writes inv (at its current version) and returns the
// stored result.
func MustUpdateInvitation(tb testing.TB, s invite.Store, inv invite.Invitation) invite.Invitation {
	tb.Helper()
	out, err := s.UpdateInvitation(tb.Context(), inv, event(invite.ActionEdit, inv.ID, "test update"))
	if err != nil {
		tb.Fatalf("UpdateInvitation(%d): %v", inv.ID, err)
	}
	return out
}

// NewUser returns the user that accepting inv at time at creates.
func NewUser(inv invite.Invitation, at time.Time) invite.User {
	return invite.User{
		CustomerID:        inv.CustomerID,
		Customer:          inv.Customer,
		Email:             inv.Email,
		Details:           inv.Details,
		Language:          invite.English,
		PasswordHash:      "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA",
		EmailVerifiedAt:   at,
		PrivacyAcceptedAt: at,
		InvitationID:      inv.ID,
		CreatedAt:         at,
		LastSignedInAt:    at, // registering opens a session
	}
}

// NewSession returns a session, valid for a week from at, whose id hash is
// derived from name.
func NewSession(name string, at time.Time) invite.Session {
	h := sha256.Sum256([]byte(name))
	return invite.Session{IDHash: h[:], CreatedAt: at, ExpiresAt: at.Add(invite.DefaultSessionTTL)}
}

// MustAccept accepts inv at time at with a session named after the email,
// and returns the user.
func MustAccept(tb testing.TB, s invite.Store, inv invite.Invitation, at time.Time) invite.User {
	tb.Helper()
	u := NewUser(inv, at)
	upd := inv
	upd.State, upd.AcceptedAt = invite.StateAccepted, at
	if err := s.Accept(tb.Context(), upd, &u, NewSession("session of "+inv.Email, at), event(invite.ActionAccept, inv.ID, "accepted")); err != nil {
		tb.Fatalf("Accept(%d): %v", inv.ID, err)
	}
	return u
}

func event(action string, invitationID int64, detail string) invite.AuditEvent {
	return invite.AuditEvent{At: T0, Actor: "admin", Action: action, InvitationID: invitationID, Detail: detail}
}

func mustAudit(tb testing.TB, s invite.Store, invitationID int64) []invite.AuditEvent {
	tb.Helper()
	evs, err := s.ListAudit(tb.Context(), invitationID)
	if err != nil {
		tb.Fatalf("ListAudit(%d): %v", invitationID, err)
	}
	return evs
}

func mustList(tb testing.TB, s invite.Store, q invite.ListQuery) invite.InvitationPage {
	tb.Helper()
	if q.Sort.Field == "" {
		q.Sort = invite.DefaultSort // a store lists a complete query: the Service fills it
	}
	p, err := s.ListInvitations(tb.Context(), q)
	if err != nil {
		tb.Fatalf("ListInvitations(%+v): %v", q, err)
	}
	return p
}

// countAll is the number of invitations in every state.
func countAll(tb testing.TB, s invite.Store) int {
	tb.Helper()
	return mustList(tb, s, invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Page: 1, PerPage: 1, Now: T0}).Total
}

// wantCode fails unless err is a domain error with the code.
func wantCode(tb testing.TB, err error, code invite.Code) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s", code)
	}
	if got := invite.ErrorCode(err); got != code {
		tb.Fatalf("got error %q with code %s, want code %s", err, got, code)
	}
}

// wantErr fails unless errors.Is(err, target).
func wantErr(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("got error %v, want %q", err, target)
	}
}

// assertTimes fails when a time differs from its wanted value or is not in UTC.
func assertTimes(tb testing.TB, what string, pairs ...any) {
	tb.Helper()
	for i := 0; i+2 < len(pairs); i += 3 {
		name, got, want := pairs[i].(string), pairs[i+1].(time.Time), pairs[i+2].(time.Time)
		if !got.Equal(want) {
			tb.Errorf("%s %s = %v, want %v", what, name, got, want)
		}
		if got.Location() != time.UTC {
			tb.Errorf("%s %s = %v is not in UTC", what, name, got)
		}
	}
}

// assertInvitation fails when got differs from want in any field; times are
// compared as instants and must come back in UTC.
func assertInvitation(tb testing.TB, got, want invite.Invitation) {
	tb.Helper()
	what := fmt.Sprintf("invitation %d", want.ID)
	assertTimes(tb, what,
		"ExpiresAt", got.ExpiresAt, want.ExpiresAt,
		"CreatedAt", got.CreatedAt, want.CreatedAt,
		"LastSentAt", got.LastSentAt, want.LastSentAt,
		"AcceptedAt", got.AcceptedAt, want.AcceptedAt,
		"RevokedAt", got.RevokedAt, want.RevokedAt)
	for _, inv := range []*invite.Invitation{&got, &want} {
		inv.ExpiresAt, inv.CreatedAt, inv.LastSentAt, inv.AcceptedAt, inv.RevokedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if inv.Delivery == "" {
			inv.Delivery = invite.DeliveryNone // what an invitation never asked to email has
		}
	}
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// assertUser is assertInvitation for users.
func assertUser(tb testing.TB, got, want invite.User) {
	tb.Helper()
	what := fmt.Sprintf("user %d", want.ID)
	assertTimes(tb, what,
		"EmailVerifiedAt", got.EmailVerifiedAt, want.EmailVerifiedAt,
		"PrivacyAcceptedAt", got.PrivacyAcceptedAt, want.PrivacyAcceptedAt,
		"CreatedAt", got.CreatedAt, want.CreatedAt,
		"LastSignedInAt", got.LastSignedInAt, want.LastSignedInAt)
	for _, u := range []*invite.User{&got, &want} {
		u.EmailVerifiedAt, u.PrivacyAcceptedAt, u.CreatedAt, u.LastSignedInAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	}
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func ids(invs []invite.Invitation) []int64 {
	out := make([]int64, len(invs))
	for i, inv := range invs {
		out[i] = inv.ID
	}
	return out
}
