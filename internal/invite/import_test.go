package invite

import (
	"context"
	"strings"
	"testing"
	"time"
)

// customerStore knows two customers and nothing else.
type customerStore struct{ Store }

func (customerStore) CustomerByName(_ context.Context, name string) (Customer, error) {
	for _, c := range []Customer{{ID: 1, Name: "Acme AB"}, {ID: 2, Name: "Östra Vård AB"}} {
		if strings.EqualFold(c.Name, name) {
			return c, nil
		}
	}
	return Customer{}, Errorf(ENOTFOUND, "no customer named %q", name)
}

func ptr(s string) *string { return &s }

func TestCheckImportReportsEveryProblemInLineOrder(t *testing.T) {
	svc := &Service{Store: customerStore{}, Now: func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }}
	rec := func(line int, customer, email, first, last string) ImportRecord {
		r := ImportRecord{Line: line}
		r.Customer, r.Email = customer, email
		r.Details.FirstName, r.Details.LastName = ptr(first), ptr(last)
		return r
	}
	bad := rec(4, "Acme AB", "not-an-email", "X", "Lind")
	bad.Details.EUCitizen = ptr("maybe")
	recs := []ImportRecord{
		rec(2, "acme ab", "asa@example.com", "Åsa", "Lind"),
		rec(3, "Nope AB", "bo@example.com", "Bo", "Ek"),
		bad,
		rec(7, "Östra Vård AB", "ASA@example.com", "Åsa", "Lind"), // the same address as line 2
	}
	chk := svc.newImportCheck("importer")
	var invs []Invitation
	var problems []ImportProblem
	for _, r := range recs {
		inv, ps, err := chk.check(context.Background(), r, true)
		if err != nil {
			t.Fatal(err)
		}
		invs, problems = append(invs, inv), append(problems, ps...)
	}
	want := []string{
		`line 3: customer: no customer named "Nope AB"`,
		`line 4: email: "not-an-email" is not a valid email address`,
		"line 4: first_name: must be 2–70 characters",
		"line 4: eu_eea_citizen: must be yes, no or unset",
		"line 7: email: ASA@example.com is already on line 2",
	}
	if len(problems) != len(want) {
		t.Fatalf("problems:\n%v", problems)
	}
	for i, p := range problems {
		if !strings.HasPrefix(p.String(), want[i]) {
			t.Errorf("problem %d: %q, want %q…", i, p, want[i])
		}
	}
	if invs[0].CustomerID != 1 || invs[0].Customer != "Acme AB" || invs[0].CreatedBy != "importer" || invs[0].Language != Swedish {
		t.Errorf("record 2 became %+v", invs[0])
	}
	if err := (&ImportError{Code: EINVALID, Problems: problems}); ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "5 problems") {
		t.Errorf("ImportError: %v (%s)", err, ErrorCode(err))
	}
}
