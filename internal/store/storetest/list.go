package storetest

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// listNow separates pending from expired in the list fixture.
var listNow = T0.Add(24 * time.Hour)

var statusFilters = []invite.StatusFilter{
	invite.FilterOpen, invite.FilterPending, invite.FilterExpired,
	invite.FilterAccepted, invite.FilterRevoked, invite.FilterAll,
}

// fillList stores 36 invitations chosen to exercise every order and filter:
// names that differ only in case (ties broken by ID), å/ä/ö, emails whose
// byte order differs from their order ignoring case, shared emails among
// resolved invitations, equal sent-on times, and every status. It returns
// the customers and the invitations as stored.
func fillList(tb testing.TB, s invite.Store) ([]invite.Customer, []invite.Invitation) {
	tb.Helper()
	customers := listCustomers(tb, s)
	var out []invite.Invitation
	for i := range 36 {
		inv := listInvitation(customers, i)
		resolved := i%6 >= 4
		switch {
		case resolved:
			// Resolved invitations may share an email; these tie in email order.
			inv.Email = []string{"Shared@example.com", "shared@example.com"}[i%4/2]
		case i%5 == 3:
			inv.ExpiresAt = listNow.Add(-time.Duration(i) * time.Hour)
		default:
			inv.ExpiresAt = listNow.Add(time.Duration(i) * time.Hour)
		}
		inv = MustCreateInvitation(tb, s, inv)
		switch i % 6 {
		case 4:
			inv.State, inv.RevokedAt = invite.StateRevoked, listNow
			inv = MustUpdateInvitation(tb, s, inv)
		case 5:
			inv.State, inv.AcceptedAt = invite.StateAccepted, listNow
			inv = MustUpdateInvitation(tb, s, inv)
		}
		out = append(out, inv)
	}
	return customers, out
}

// listCustomers creates the customers of the list fixtures, whose names
// sort differently by byte and in Swedish order.
func listCustomers(tb testing.TB, s invite.Store) []invite.Customer {
	tb.Helper()
	var customers []invite.Customer
	for _, name := range []string{"Ödla HB", "bolaget AB", "Acme AB", "Ärlig AB"} {
		customers = append(customers, MustCreateCustomer(tb, s, name))
	}
	return customers
}

// listInvitation is the list fixtures' invitation number i, not yet
// stored: of customers[i%4], with names that differ only in case (ties
// broken by ID), å/ä/ö, an email whose byte order differs from its order
// ignoring case, and sent-on (creation) times that repeat.
func listInvitation(customers []invite.Customer, i int) invite.Invitation {
	firsts := []string{"adam", "Bo", "Zorro", "Åsa", "Ärla", "Öberg", "bo", "ÅSA", "Eva"}
	lasts := []string{"Lind", "Öst", "andersson", "Åberg", "Zetterberg", "ärling"}
	locals := []string{"adam", "Bo", "ZORRO", "asa", "Arla", "oberg", "bo", "Asa", "eva"}
	inv := NewInvitation(customers[i%4], fmt.Sprintf("%s.%02d@Example.com", locals[i%9], i), firsts[i%9], lasts[i%6])
	inv.CreatedAt = T0.Add(time.Duration(i*7%11) * time.Hour) // sent-on sorts by creation
	return inv
}

// expect is the reference the stores are held to: filter invs as q does
// and order them by q.Sort, ties by ID in the same direction.
func expect(invs []invite.Invitation, q invite.ListQuery) []invite.Invitation {
	var out []invite.Invitation
	for _, inv := range invs {
		if q.CustomerID != 0 && inv.CustomerID != q.CustomerID {
			continue
		}
		if !searchMatches(inv, q.Search) {
			continue
		}
		if q.Delivery != "" && cmp.Or(inv.Delivery, invite.DeliveryNone) != q.Delivery {
			continue
		}
		st := inv.Status(q.Now)
		switch q.Status {
		case invite.FilterOpen:
			if !inv.Open() {
				continue
			}
		case invite.FilterPending, invite.FilterExpired, invite.FilterAccepted, invite.FilterRevoked:
			if string(st) != string(q.Status) {
				continue
			}
		}
		out = append(out, inv)
	}
	key := func(inv invite.Invitation) []byte {
		switch q.Sort.Field {
		case invite.SortCustomer:
			return invite.SortKey(inv.Customer)
		case invite.SortLastName:
			return invite.SortKey(inv.LastName)
		case invite.SortEmail:
			return []byte(strings.ToLower(inv.Email))
		}
		return invite.SortKey(inv.FirstName)
	}
	slices.SortFunc(out, func(a, b invite.Invitation) int {
		c := 0
		if q.Sort.Field == invite.SortSentOn {
			c = a.CreatedAt.Compare(b.CreatedAt)
		} else {
			c = bytes.Compare(key(a), key(b))
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if q.Sort.Desc {
			c = -c
		}
		return c
	})
	return out
}

// checkList compares the store's answer to q with the reference: one big
// page, then every page at several page sizes, which must add up to the big
// page without repeating or skipping a row.
func checkList(t *testing.T, s invite.Store, all []invite.Invitation, q invite.ListQuery) {
	t.Helper()
	want := expect(all, q)
	q.Page, q.PerPage = 1, invite.MaxPerPage
	big := mustList(t, s, q)
	if big.Total != len(want) {
		t.Errorf("%+v: total %d, want %d", q, big.Total, len(want))
	}
	if !slices.Equal(ids(big.Invitations), ids(want)) {
		t.Fatalf("%+v:\n got IDs %v\nwant IDs %v", q, ids(big.Invitations), ids(want))
	}
	for i := range want {
		assertInvitation(t, big.Invitations[i], want[i])
	}
	for _, per := range []int{1, 4, 7} {
		var got []int64
		q.PerPage = per
		last := invite.LastPage(len(want), per)
		for q.Page = 1; q.Page <= last+1; q.Page++ {
			p := mustList(t, s, q)
			if p.Total != len(want) {
				t.Fatalf("%+v: total %d, want %d", q, p.Total, len(want))
			}
			if len(p.Invitations) > per {
				t.Fatalf("%+v: %d rows on a page of %d", q, len(p.Invitations), per)
			}
			if q.Page > last && len(p.Invitations) > 0 {
				t.Fatalf("%+v: a page past the end has rows %v", q, ids(p.Invitations))
			}
			got = append(got, ids(p.Invitations)...)
		}
		if !slices.Equal(got, ids(want)) {
			t.Fatalf("%+v: pages of %d give IDs\n%v\nwant\n%v", q, per, got, ids(want))
		}
	}
}

func testListEmpty(t *testing.T, s invite.Store) {
	for _, f := range statusFilters {
		p := mustList(t, s, invite.ListQuery{Status: f, Sort: invite.DefaultSort, Page: 1, PerPage: 20, Now: T0})
		if p.Total != 0 || len(p.Invitations) != 0 {
			t.Errorf("status %s on an empty store: %+v", f, p)
		}
	}
}

// Swedish alphabetical order ignoring case, written out by hand.
func testListSwedishOrder(t *testing.T, s invite.Store) {
	customers := map[string]invite.Customer{}
	for _, name := range []string{"Öresund AB", "zeta AB", "Åre AB", "alfa AB", "Ärla AB", "Beta AB"} {
		customers[name] = MustCreateCustomer(t, s, name)
	}
	rows := []struct{ customer, first, last, email string }{
		{"Öresund AB", "Öberg", "Zander", "Zed@example.com"},
		{"zeta AB", "Zorro", "öst", "b@example.com"},
		{"Åre AB", "adam", "Ärlig", "A@example.com"},
		{"alfa AB", "Ärla", "Åberg", "c@example.com"},
		{"Ärla AB", "Bo", "ädel", "Äsa@example.com"},
		{"Beta AB", "Åsa", "Andersson", "ÅSA@example.com"},
		{"alfa AB", "bo", "berg", "d@example.com"},
		{"zeta AB", "Östen", "aaberg", "E@example.com"},
		{"Åre AB", "åke", "Zetterlund", "y@example.com"},
		{"Beta AB", "Ängel", "Öhman", "x@example.com"},
	}
	for _, r := range rows {
		MustCreateInvitation(t, s, NewInvitation(customers[r.customer], r.email, r.first, r.last))
	}
	column := func(field invite.SortField, get func(invite.Invitation) string) []string {
		p := mustList(t, s, invite.ListQuery{Status: invite.FilterOpen, Sort: invite.Sort{Field: field}, Page: 1, PerPage: 100, Now: T0})
		var out []string
		for _, inv := range p.Invitations {
			out = append(out, get(inv))
		}
		return out
	}
	for _, c := range []struct {
		field invite.SortField
		get   func(invite.Invitation) string
		want  []string
	}{
		{invite.SortFirstName, func(i invite.Invitation) string { return i.FirstName },
			[]string{"adam", "Bo", "bo", "Zorro", "åke", "Åsa", "Ängel", "Ärla", "Öberg", "Östen"}},
		{invite.SortLastName, func(i invite.Invitation) string { return i.LastName },
			[]string{"aaberg", "Andersson", "berg", "Zander", "Zetterlund", "Åberg", "ädel", "Ärlig", "Öhman", "öst"}},
		{invite.SortCustomer, func(i invite.Invitation) string { return i.Customer },
			[]string{"alfa AB", "alfa AB", "Beta AB", "Beta AB", "zeta AB", "zeta AB", "Åre AB", "Åre AB", "Ärla AB", "Öresund AB"}},
		{invite.SortEmail, func(i invite.Invitation) string { return i.Email },
			[]string{"A@example.com", "b@example.com", "c@example.com", "d@example.com", "E@example.com",
				"x@example.com", "y@example.com", "Zed@example.com", "Äsa@example.com", "ÅSA@example.com"}},
	} {
		if got := column(c.field, c.get); !slices.Equal(got, c.want) {
			t.Errorf("sorted by %s:\n got %q\nwant %q", c.field, got, c.want)
		}
	}
}

func testListEveryFilterAndSort(t *testing.T, s invite.Store) {
	_, all := fillList(t, s)
	for _, f := range statusFilters {
		if len(expect(all, invite.ListQuery{Status: f, Now: listNow})) == 0 {
			t.Fatalf("the fixture has no invitation for status %s", f)
		}
		for _, field := range invite.SortFields {
			for _, desc := range []bool{false, true} {
				checkList(t, s, all, invite.ListQuery{Status: f, Sort: invite.Sort{Field: field, Desc: desc}, Now: listNow})
			}
		}
	}
}

func testListCustomerFilter(t *testing.T, s invite.Store) {
	customers, all := fillList(t, s)
	for _, c := range customers {
		for _, f := range []invite.StatusFilter{invite.FilterOpen, invite.FilterExpired, invite.FilterAll} {
			for _, sort := range []invite.Sort{invite.DefaultSort, {Field: invite.SortEmail, Desc: true}} {
				checkList(t, s, all, invite.ListQuery{Status: f, CustomerID: c.ID, Sort: sort, Now: listNow})
			}
		}
	}
}

func testListSearch(t *testing.T, s invite.Store) {
	customers, all := fillList(t, s)
	matches := map[string]bool{ // whether the search finds anything at all
		"ås": true, "ÅS": true, "åsa": true, "ÄRL": true, "öst": true, "ÖBERG": true,
		"example.COM": true, "shared": true, "zorro.02": true, "AND": true,
		"%": false, "_": false, "a%": false, "nobody": false,
	}
	for search, found := range matches {
		if got := len(expect(all, invite.ListQuery{Status: invite.FilterAll, Search: search, Now: listNow})) > 0; got != found {
			t.Fatalf("fixture: search %q finds something = %v, want %v", search, got, found)
		}
		for _, f := range []invite.StatusFilter{invite.FilterOpen, invite.FilterAll, invite.FilterPending} {
			checkList(t, s, all, invite.ListQuery{Status: f, Search: search, Sort: invite.DefaultSort, Now: listNow})
		}
		checkList(t, s, all, invite.ListQuery{Status: invite.FilterAll, Search: search, CustomerID: customers[1].ID,
			Sort: invite.Sort{Field: invite.SortLastName, Desc: true}, Now: listNow})
	}
}

// An invitation expires at its expires_at: at that instant it is expired.
func testListExpiryBoundary(t *testing.T, s invite.Store) {
	c := MustCreateCustomer(t, s, "Alfa AB")
	for i, d := range []time.Duration{-time.Microsecond, 0, time.Microsecond} {
		inv := NewInvitation(c, fmt.Sprintf("edge%d@example.com", i), "Edge", "Case")
		inv.ExpiresAt = listNow.Add(d)
		MustCreateInvitation(t, s, inv)
	}
	for f, want := range map[invite.StatusFilter]int{invite.FilterPending: 1, invite.FilterExpired: 2, invite.FilterOpen: 3} {
		p := mustList(t, s, invite.ListQuery{Status: f, Sort: invite.DefaultSort, Page: 1, PerPage: 10, Now: listNow})
		if p.Total != want || len(p.Invitations) != want {
			t.Errorf("status %s at the expiry boundary: total %d, %d rows; want %d", f, p.Total, len(p.Invitations), want)
		}
		for _, inv := range p.Invitations {
			if f != invite.FilterOpen && string(inv.Status(listNow)) != string(f) {
				t.Errorf("status %s lists invitation %d whose status is %s", f, inv.ID, inv.Status(listNow))
			}
		}
	}
}

// The totals of pending and expired lists come from counts kept by day of
// expiry: they stay right as invitations are created, inserted, renewed,
// revoked, accepted and purged, and as time passes within a day and across
// days, at every boundary, for all customers and for each.
func testListExpiryCountsAcrossDays(t *testing.T, s invite.Store) {
	ctx := t.Context()
	const day = 24 * time.Hour
	a, b := MustCreateCustomer(t, s, "Alfa AB"), MustCreateCustomer(t, s, "Beta AB")
	midnight := listNow.Truncate(day) // the start of listNow's UTC day
	expiries := []time.Time{midnight.Add(-3 * day), midnight.Add(-time.Microsecond), midnight, listNow.Add(-time.Microsecond),
		listNow, listNow.Add(time.Microsecond), midnight.Add(day - time.Microsecond), midnight.Add(day), midnight.Add(5 * day)}
	model := map[int64]invite.Invitation{} // what the store should hold
	for i, exp := range expiries {
		for j, c := range []invite.Customer{a, b} {
			inv := NewInvitation(c, fmt.Sprintf("d%d.%d@example.com", i, j), "Dag", fmt.Sprintf("Nr%d", i))
			inv.ExpiresAt = exp
			inv = MustCreateInvitation(t, s, inv)
			model[inv.ID] = inv
		}
	}
	var batch []invite.Invitation
	for i, exp := range expiries {
		inv := NewInvitation(a, fmt.Sprintf("bulk%d@example.com", i), "Bulk", "Rad")
		inv.ExpiresAt = exp.Add(-day)
		batch = append(batch, inv)
	}
	if err := s.InsertInvitations(ctx, batch); err != nil {
		t.Fatal(err)
	}
	p := mustList(t, s, invite.ListQuery{Status: invite.FilterAll, Search: "bulk", Sort: invite.DefaultSort, Page: 1, PerPage: 50, Now: listNow})
	for _, inv := range p.Invitations {
		model[inv.ID] = inv
	}
	check := func(step string) {
		t.Helper()
		for _, now := range []time.Time{listNow, midnight, midnight.Add(-time.Microsecond), midnight.Add(day), listNow.Add(3 * day), listNow.Add(-2 * day)} {
			for _, c := range []int64{0, a.ID, b.ID} {
				for _, f := range []invite.StatusFilter{invite.FilterPending, invite.FilterExpired, invite.FilterOpen} {
					want := 0
					for _, inv := range model {
						expired := !inv.ExpiresAt.After(now)
						if inv.State == invite.StatePending && (c == 0 || inv.CustomerID == c) &&
							(f == invite.FilterOpen || (f == invite.FilterExpired) == expired) {
							want++
						}
					}
					q := invite.ListQuery{Status: f, CustomerID: c, Sort: invite.DefaultSort, Page: 1, PerPage: 1, Now: now}
					if got := mustList(t, s, q).Total; got != want {
						t.Errorf("%s: %s of customer %d at %s: total %d, want %d", step, f, c, now.Format(time.RFC3339Nano), got, want)
					}
				}
			}
		}
	}
	check("created and inserted")
	ids := slices.Sorted(maps.Keys(model))
	// Renewed: an expired invitation gets a new year; a pending one is moved
	// to today, just before and just after now.
	for k, exp := range map[int]time.Time{0: listNow.Add(365 * day), 4: listNow.Add(-time.Microsecond), 11: listNow.Add(time.Microsecond)} {
		inv := model[ids[k]]
		inv.ExpiresAt = exp
		model[inv.ID] = MustUpdateInvitation(t, s, inv)
	}
	check("renewed")
	revoked := model[ids[6]]
	revoked.State, revoked.RevokedAt = invite.StateRevoked, listNow
	model[revoked.ID] = MustUpdateInvitation(t, s, revoked)
	accepted := model[ids[9]]
	MustAccept(t, s, accepted, accepted.ExpiresAt.Add(-time.Hour))
	accepted.State = invite.StateAccepted
	model[accepted.ID] = accepted
	check("revoked and accepted")
	// Purged: everything that expired before yesterday.
	cutoff := midnight.Add(-day)
	if _, err := s.Purge(ctx, cutoff, listNow.Add(10*day), invite.AuditEvent{At: listNow, Actor: "admin", Action: invite.ActionPurge}, false); err != nil {
		t.Fatal(err)
	}
	for id, inv := range model {
		if inv.State == invite.StatePending && inv.ExpiresAt.Before(cutoff) {
			inv.State = invite.StatePurged
			model[id] = inv
		}
	}
	check("purged")
}
