package storetest

import (
	"slices"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
)

func testCreateCustomer(t *testing.T, s invite.Store) {
	ctx := t.Context()
	c := MustCreateCustomer(t, s, "Åkeri AB")
	if c.ID == 0 {
		t.Fatal("CreateCustomer did not set the ID")
	}
	other := MustCreateCustomer(t, s, "Acme AB")
	if other.ID == c.ID {
		t.Fatalf("two customers got the same ID %d", c.ID)
	}
	evs := mustAudit(t, s, 0)
	if len(evs) != 2 || evs[0].Action != invite.ActionCustomerAdd || evs[0].Detail != "customer Åkeri AB" {
		t.Fatalf("audit after two customers = %+v, want two %s events", evs, invite.ActionCustomerAdd)
	}

	for _, dup := range []string{"Åkeri AB", "åkeri ab", "ÅKERI AB", "acme ab"} {
		d := invite.Customer{Name: dup, CreatedAt: T0}
		wantCode(t, s.CreateCustomer(ctx, &d, event(invite.ActionCustomerAdd, 0, "dup")), invite.ECONFLICT)
		if d.ID != 0 {
			t.Errorf("a rejected customer %q got ID %d", dup, d.ID)
		}
	}
	if n := len(mustAudit(t, s, 0)); n != 2 {
		t.Errorf("rejected customers wrote audit events: %d events, want 2", n)
	}

	// Names that look the same are the same name: é written as e and a
	// combining accent, full-width letters.
	MustCreateCustomer(t, s, "Café AB")
	for _, dup := range []string{"Cafe\u0301 AB", "ＣＡＦÉ ＡＢ"} {
		d := invite.Customer{Name: dup, CreatedAt: T0}
		wantCode(t, s.CreateCustomer(ctx, &d, event(invite.ActionCustomerAdd, 0, "dup")), invite.ECONFLICT)
	}
	// Names that differ in accents or punctuation are different.
	MustCreateCustomer(t, s, "Cafe AB")
	MustCreateCustomer(t, s, "Café-AB")

	cs, err := s.ListCustomers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 5 {
		t.Errorf("ListCustomers after duplicates = %+v, want 5 customers", cs)
	}
}

func testCustomerByName(t *testing.T, s invite.Store) {
	ctx := t.Context()
	c := MustCreateCustomer(t, s, "Ödla Konsult AB")
	MustCreateCustomer(t, s, "Other AB")
	for _, name := range []string{"Ödla Konsult AB", "ödla konsult ab", "ÖDLA KONSULT AB"} {
		got, err := s.CustomerByName(ctx, name)
		if err != nil {
			t.Fatalf("CustomerByName(%q): %v", name, err)
		}
		if got.ID != c.ID || got.Name != "Ödla Konsult AB" {
			t.Errorf("CustomerByName(%q) = %+v, want %+v", name, got, c)
		}
		assertTimes(t, "customer", "CreatedAt", got.CreatedAt, T0)
	}
	_, err := s.CustomerByName(ctx, "Ödla")
	wantCode(t, err, invite.ENOTFOUND)
}

func testListCustomers(t *testing.T, s invite.Store) {
	ctx := t.Context()
	cs, err := s.ListCustomers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 0 {
		t.Fatalf("ListCustomers on an empty store = %+v", cs)
	}
	byName := map[string]invite.Customer{}
	for _, name := range []string{"Öberg AB", "adam AB", "Zorro AB", "Bo AB", "Åsa AB", "Ärla AB"} {
		byName[name] = MustCreateCustomer(t, s, name)
	}
	// Bo AB: two open invitations (one expired), one accepted (a user), one revoked.
	bo := byName["Bo AB"]
	MustCreateInvitation(t, s, NewInvitation(bo, "open@example.com", "Open", "Person"))
	expired := NewInvitation(bo, "expired@example.com", "Expired", "Person")
	expired.ExpiresAt = T0.Add(-1)
	MustCreateInvitation(t, s, expired)
	accepted := MustCreateInvitation(t, s, NewInvitation(bo, "accepted@example.com", "Accepted", "Person"))
	MustAccept(t, s, accepted, T0)
	revoked := MustCreateInvitation(t, s, NewInvitation(bo, "revoked@example.com", "Revoked", "Person"))
	revoked.State, revoked.RevokedAt = invite.StateRevoked, T0
	MustUpdateInvitation(t, s, revoked)
	MustCreateInvitation(t, s, NewInvitation(byName["Öberg AB"], "oberg@example.com", "Öberg", "Person"))

	cs, err = s.ListCustomers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
		want := byName[c.Name]
		if c.ID != want.ID {
			t.Errorf("customer %q has ID %d, want %d", c.Name, c.ID, want.ID)
		}
		assertTimes(t, c.Name, "CreatedAt", c.CreatedAt, T0)
		wantOpen, wantUsers := 0, 0
		switch c.Name {
		case "Bo AB":
			wantOpen, wantUsers = 2, 1
		case "Öberg AB":
			wantOpen = 1
		}
		if c.OpenInvitations != wantOpen || c.Users != wantUsers {
			t.Errorf("customer %q: %d open invitations and %d users, want %d and %d", c.Name, c.OpenInvitations, c.Users, wantOpen, wantUsers)
		}
	}
	want := []string{"adam AB", "Bo AB", "Zorro AB", "Åsa AB", "Ärla AB", "Öberg AB"}
	if !slices.Equal(names, want) {
		t.Errorf("ListCustomers order = %q, want %q", names, want)
	}
}
