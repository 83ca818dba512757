package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/invitectl/invitectl/internal/invite"
)

// searchMatches is the reference of a search (docs/CONTRACT.md): every
// whitespace-separated term, ignoring case and Unicode normalisation, is a
// substring of the first name, the last name or the email. Nothing in a
// term is a wildcard.
func searchMatches(inv invite.Invitation, search string) bool {
	fold := func(s string) string { return norm.NFC.String(strings.ToLower(norm.NFC.String(s))) }
	fields := []string{fold(inv.FirstName), fold(inv.LastName), fold(strings.TrimSpace(inv.Email))}
	for _, term := range strings.Fields(fold(search)) {
		found := false
		for _, f := range fields {
			found = found || strings.Contains(f, term)
		}
		if !found {
			return false
		}
	}
	return true
}

// fillSearch stores invitations for the search tests: names that share
// parts across fields, Å/ä/ö in either case and a decomposed spelling, and
// the characters a search syntax could take for its own (% _ " * \ - .),
// in every status, some with a queued email. It returns the customers and
// the invitations as the store lists them.
func fillSearch(tb testing.TB, s invite.Store) ([]invite.Customer, []invite.Invitation) {
	tb.Helper()
	customers := []invite.Customer{MustCreateCustomer(tb, s, "Acme AB"), MustCreateCustomer(tb, s, "Öresund HB")}
	rows := []struct{ first, last, email string }{
		{"Åsa", "Lind", "asa@example.com"},
		{"Åsa", "Lindqvist", "asa.lindqvist.3815@example.se"},
		{"Lind", "Åsberg", "lind.asberg@example.com"},
		{"ÅSA", "ÖBERG", "ASA.OBERG@Example.COM"},
		{"A\u030asa", "Lindgren", "åsa.lindgren@example.com"}, // Å as A and a combining ring in the name
		{"Märta", "Öst", "marta_ost@example.com"},
		{"Per", "Cent", "per%cent@example.com"},
		{"Bo", `O"Neil`, "bo.oneil@example.com"},
		{"Ann-Marie", "Ek*", `ann\marie@example.com`},
		{"Ärla", "Äng", "arla.ang@example.se"},
		{"Bo", "Lind", "bo.lind@example.se"},
		{"Eva", "Andersson", "eva_a@example.com"},
	}
	for i, r := range rows {
		inv := NewInvitation(customers[i%2], r.email, r.first, r.last)
		inv.CreatedAt = T0.Add(time.Duration(i*5%7) * time.Hour)
		if i%4 == 3 {
			inv.ExpiresAt = listNow.Add(-time.Hour)
		}
		var mail invite.DeliveryKind
		if i%3 == 0 {
			mail = invite.KindInvitation
		}
		if err := s.CreateInvitation(tb.Context(), &inv, event(invite.ActionInvite, 0, "invited "+inv.Email), mail); err != nil {
			tb.Fatalf("CreateInvitation(%s): %v", inv.Email, err)
		}
		switch i % 5 {
		case 2:
			inv = MustInvitation(tb, s, inv.ID)
			inv.State, inv.RevokedAt = invite.StateRevoked, listNow
			MustUpdateInvitation(tb, s, inv)
		case 4:
			inv = MustInvitation(tb, s, inv.ID)
			inv.State, inv.AcceptedAt = invite.StateAccepted, listNow
			MustUpdateInvitation(tb, s, inv)
		}
	}
	all := mustList(tb, s, invite.ListQuery{Status: invite.FilterAll, Sort: invite.DefaultSort, Page: 1, PerPage: invite.MaxPerPage, Now: listNow})
	if len(all.Invitations) != len(rows) {
		tb.Fatalf("the search fixture lists %d invitations, want %d", len(all.Invitations), len(rows))
	}
	return customers, all.Invitations
}

// searchCases are searches with the number of invitations of fillSearch
// each finds in every status, written out by hand so that the reference
// itself is checked.
var searchCases = map[string]int{
	// Several terms: all must match, each in any field, in any order.
	"Åsa Lind":           3,
	"lind åsa":           3,
	"  åsa\tLIND  ":      3,
	"åsa lind zzz":       0,
	"lind lind":          5,
	"åsa lindqvist.3815": 1,
	"lindqvist se":       1,
	"bo lind":            1,
	"åsaöberg":           0, // never across two fields
	"lind\u00a0åsa":      3, // a no-break space separates terms too
	// Case, Å/ä/ö, composed and decomposed.
	"ÅSA":       4,
	"a\u030aSA": 4,
	"öberg":     1,
	"ÄNG":       1,
	"märta öst": 1,
	"asa":       3, // the emails asa@, asa.lindqvist, asa.oberg; not Å
	// Short terms: one or two characters, alone or beside long ones.
	"ö":       2,
	"ås":      5,
	"ås lind": 4,
	"bo ö":    0,
	"e k":     1,
	"se ås":   1,
	// Characters that are syntax elsewhere are plain.
	"_":         2,
	"%":         1,
	"r%c":       1,
	"a_o":       1,
	"_a@":       1,
	"%%":        0,
	`"`:         1,
	`o"neil`:    1,
	`"neil`:     1,
	`ek*`:       1,
	"*":         1,
	`n\m`:       1,
	`\`:         1,
	"ann-marie": 1,
	"-":         1,
	"or":        0,
	"AND":       1, // andersson
	"NEAR":      0,
}

func testListSearchTerms(t *testing.T, s invite.Store) {
	customers, all := fillSearch(t, s)
	for search, want := range searchCases {
		var got int
		for _, inv := range all {
			if searchMatches(inv, search) {
				got++
			}
		}
		if got != want {
			t.Errorf("fixture: search %q matches %d invitations, want %d", search, got, want)
			continue
		}
		for _, f := range statusFilters {
			checkList(t, s, all, invite.ListQuery{Status: f, Search: search, Sort: invite.DefaultSort, Now: listNow})
		}
		for _, sort := range []invite.Sort{{Field: invite.SortLastName, Desc: true}, {Field: invite.SortSentOn}, {Field: invite.SortEmail}} {
			checkList(t, s, all, invite.ListQuery{Status: invite.FilterAll, Search: search, Sort: sort, Now: listNow})
		}
		for _, c := range customers {
			checkList(t, s, all, invite.ListQuery{Status: invite.FilterOpen, Search: search, CustomerID: c.ID,
				Sort: invite.Sort{Field: invite.SortCustomer, Desc: true}, Now: listNow})
		}
		for _, d := range []invite.DeliveryState{invite.DeliveryQueued, invite.DeliveryNone} {
			checkList(t, s, all, invite.ListQuery{Status: invite.FilterAll, Search: search, Delivery: d,
				CustomerID: customers[0].ID, Sort: invite.Sort{Field: invite.SortFirstName}, Now: listNow})
		}
	}
}

// The search index follows every write: a rename finds the new names and
// no longer the old, bulk-inserted rows are found, and a row that stops
// matching leaves the total.
func testListSearchFollowsWrites(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Acme AB")
	found := func(search string) []int64 {
		t.Helper()
		p := mustList(t, s, invite.ListQuery{Status: invite.FilterAll, Search: search, Sort: invite.DefaultSort, Page: 1, PerPage: 100, Now: listNow})
		if p.Total != len(p.Invitations) {
			t.Fatalf("search %q: total %d, %d rows", search, p.Total, len(p.Invitations))
		}
		return ids(p.Invitations)
	}
	inv := MustCreateInvitation(t, s, NewInvitation(c, "first@example.com", "Gunnel", "Berglund"))
	if got := found("gunnel berglund"); len(got) != 1 || got[0] != inv.ID {
		t.Fatalf("a created invitation: search finds %v", got)
	}
	inv.FirstName, inv.LastName = "Åke", "Sjöström"
	inv = MustUpdateInvitation(t, s, inv)
	for search, want := range map[string]int{"gunnel": 0, "berglund": 0, "åke sjöström": 1, "sjö": 1, "åk": 1, "gu": 0, "first@": 1} {
		if got := found(search); len(got) != want {
			t.Errorf("after a rename, search %q finds %v, want %d", search, got, want)
		}
	}
	var bulk []invite.Invitation
	for i := range 30 {
		bulk = append(bulk, NewInvitation(c, fmt.Sprintf("bulk%02d@example.com", i), "Bulk", fmt.Sprintf("Rad%02d", i)))
	}
	if err := s.InsertInvitations(t.Context(), bulk); err != nil {
		t.Fatal(err)
	}
	for search, want := range map[string]int{"bulk": 30, "rad07": 1, "rad0 bulk": 10, "bulk åke": 0} {
		if got := found(search); len(got) != want {
			t.Errorf("after a bulk insert, search %q finds %d, want %d", search, len(got), want)
		}
	}
}
