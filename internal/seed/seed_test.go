package seed

import (
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

func TestGeneratorValidAndDeterministic(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	cs := []invite.Customer{{ID: 1, Name: "Acme AB"}, {ID: 2, Name: "Åre Data AB"}}
	a := NewGenerator(7, cs, now, invite.DefaultTTL, 0)
	b := NewGenerator(7, cs, now, invite.DefaultTTL, 0)
	emails := map[string]bool{}
	expired, coord := 0, 0
	for i := 0; i < 2000; i++ {
		x, y := a.Next(), b.Next()
		if x.Email != y.Email || x.FirstName != y.FirstName || x.PersonalNumber != y.PersonalNumber {
			t.Fatalf("same seed, different data at %d", i)
		}
		if emails[x.Email] {
			t.Fatalf("duplicate email %s", x.Email)
		}
		emails[x.Email] = true
		// Every generated detail passes the same validation as typed input.
		s := func(v string) *string { return &v }
		p := invite.Patch{FirstName: s(x.FirstName), LastName: s(x.LastName), PersonalNumber: s(x.PersonalNumber),
			LMANumber: s(x.LMANumber), Phone: s(x.Phone), Gender: s(string(x.Gender))}
		d, _, err := p.ApplyAt(invite.Details{}, time.Now())
		if err != nil {
			t.Fatalf("generated invitation %+v is invalid: %v", x, err)
		}
		if d.PersonalNumber != x.PersonalNumber || d.Phone != x.Phone {
			t.Fatalf("generated values are not normalised: %q %q", x.PersonalNumber, x.Phone)
		}
		if _, err := invite.NormalizeEmail(x.Email); err != nil {
			t.Fatal(err)
		}
		if x.Status(now) == invite.StatusExpired {
			expired++
		}
		if x.PersonalNumber != "" && x.PersonalNumber[6] >= '6' {
			coord++
		}
	}
	if expired == 0 || coord == 0 {
		t.Fatalf("want some expired invitations and coordination numbers, got %d and %d", expired, coord)
	}
}

func TestCustomersDistinct(t *testing.T) {
	names := Customers(300, 1)
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Fatalf("duplicate customer %q", n)
		}
		seen[n] = true
	}
}
