package store_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/schema"
	"github.com/invitectl/invitectl/internal/store/storetest"
)

// explain returns the plan of a query: SQLite's EXPLAIN QUERY PLAN, or
// PostgreSQL's EXPLAIN with sorts and sequential scans priced out, so the
// plan shows whether an index can give the order at all.
func explain(t *testing.T, s *store.Store, query string, args ...any) string {
	t.Helper()
	var plan string
	var err error
	if s.Dialect().Name == "sqlite" {
		plan, err = s.Explain(t.Context(), nil, "EXPLAIN QUERY PLAN "+query, args...)
	} else {
		plan, err = s.Explain(t.Context(), []string{"SET LOCAL enable_sort = off", "SET LOCAL enable_seqscan = off"}, "EXPLAIN "+query, args...)
	}
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// Every list is an index walk of its sort field's index, for every sort
// field and direction: no sorting step, and the table is read only for the
// rows of the page (several states: one walk each, merged). On SQLite, which
// sorts each walk again before merging them, this holds for one state; and
// its count of the expired reads the expiry index alone (PostgreSQL picks
// that by the table's statistics).
func TestListUsesIndexes(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		s := e.open(t)
		sqlite := s.Dialect().Name == "sqlite"
		filters := []invite.StatusFilter{invite.FilterOpen, invite.FilterPending, invite.FilterExpired, invite.FilterAccepted, invite.FilterAll}
		if sqlite {
			filters = filters[:3]
		}
		for _, f := range filters {
			for _, field := range invite.SortFields {
				for _, desc := range []bool{false, true} {
					q := invite.ListQuery{Status: f, Sort: invite.Sort{Field: field, Desc: desc}, Page: 3, PerPage: 20, Now: storetest.T0}
					page, pageArgs, count, countArgs, err := s.ListQueries(q)
					if err != nil {
						t.Fatal(err)
					}
					plan := explain(t, s, page, pageArgs...)
					index := schema.SortIndexes[field]
					walk := strings.Contains(plan, index) && !strings.Contains(plan, "Sort  (")
					if sqlite {
						// One temporary b-tree at most: the page's 20 rows, ordered after the join.
						walk = strings.Count(plan, "TEMP B-TREE") <= 1 && strings.Contains(plan, "COVERING INDEX "+index)
					}
					if !walk {
						t.Errorf("%s %s desc=%v: the page is not an index walk of %s:\n%s", f, field, desc, index, plan)
					}
					if plan := explain(t, s, count, countArgs...); sqlite && !strings.Contains(plan, "COVERING INDEX invitations_by_expiry") {
						t.Errorf("%s: the count of the expired does not read the expiry index:\n%s", f, plan)
					}
				}
			}
		}
	})
}

// The customer filter reads one range of the customer index on SQLite,
// whatever the sort and the page, for the page and for a count.
func TestListByCustomerUsesCustomerIndex(t *testing.T) {
	s := engines[0].open(t)
	for _, f := range []invite.StatusFilter{invite.FilterOpen, invite.FilterExpired, invite.FilterAll} {
		for _, field := range invite.SortFields {
			q := invite.ListQuery{Status: f, CustomerID: 1, Sort: invite.Sort{Field: field}, Page: 1, PerPage: 20, Now: storetest.T0}
			page, pageArgs, count, countArgs, err := s.ListQueries(q)
			if err != nil {
				t.Fatal(err)
			}
			for _, plan := range []string{explain(t, s, page, pageArgs...), explain(t, s, count, countArgs...)} {
				if !strings.Contains(plan, "INDEX invitations_by_customer (state=? AND customer_key=?") {
					t.Errorf("%s by %s: the customer filter does not seek the customer index:\n%s", f, field, plan)
				}
			}
		}
	}
}

// fullScan is a line of SQLite's plan that reads all of invitations.
var fullScan = regexp.MustCompile(`(?m)SCAN invitations( |$)`)

// A search with a term of three characters or more finds its rows in the
// trigram index: on SQLite the page and the count read invitations_search
// and look the rows up by rowid, whatever the status, customer and sort;
// on PostgreSQL the GIN index answers the terms' LIKEs (which index a list
// reads the planner chooses by the table's statistics, which an empty
// table lacks; sequential scans are priced out here).
func TestSearchUsesIndex(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		s := e.open(t)
		sqlite := s.Dialect().Name == "sqlite"
		for _, search := range []string{"lind", "åsa lind", "a lindqvist", `50%_"x`} {
			for _, f := range []invite.StatusFilter{invite.FilterOpen, invite.FilterExpired, invite.FilterAll} {
				for _, customer := range []int64{0, 1} {
					q := invite.ListQuery{Status: f, Search: search, CustomerID: customer, Sort: invite.Sort{Field: invite.SortLastName, Desc: true},
						Page: 2, PerPage: 20, Now: storetest.T0}
					page, pageArgs, count, countArgs, err := s.ListQueries(q)
					if err != nil {
						t.Fatal(err)
					}
					plans := []string{explain(t, s, count, countArgs...), explain(t, s, page, pageArgs...)}
					if !sqlite {
						// What the GIN index can answer: every term's LIKE.
						var long []string
						for _, term := range schema.SearchTerms(search) {
							if schema.Indexed(term) {
								long = append(long, term)
							}
						}
						cond, args := s.Dialect().Match(long)
						plans = []string{explain(t, s, "SELECT count(*) FROM invitations WHERE "+cond, args...)}
					}
					for _, plan := range plans {
						uses := strings.Contains(plan, "invitations_search")
						if sqlite {
							uses = strings.Contains(plan, "VIRTUAL TABLE INDEX") && strings.Contains(plan, "SEARCH invitations USING INTEGER PRIMARY KEY") &&
								!fullScan.MatchString(plan)
						}
						if !uses {
							t.Errorf("search %q, %s, customer %d: the search index is not read:\n%s", search, f, customer, plan)
						}
					}
				}
			}
		}
	})
}

// A large customer's first page in another field's order walks that field's
// index past the other customers' rows; a small customer's rows are read
// from the customer index and sorted (SQLite, where the store names the
// index; PostgreSQL's planner chooses by its statistics).
func TestCustomerPageWalksOrSorts(t *testing.T) {
	s := engines[0].open(t)
	big, small := storetest.MustCreateCustomer(t, s, "Stor AB"), storetest.MustCreateCustomer(t, s, "Liten AB")
	var invs []invite.Invitation
	for i := range 42 {
		c := big
		if i%21 == 0 {
			c = small
		}
		invs = append(invs, storetest.NewInvitation(c, fmt.Sprintf("p%02d@example.com", i), fmt.Sprintf("Namn%02d", i), "Kund"))
	}
	if err := s.InsertInvitations(t.Context(), invs); err != nil {
		t.Fatal(err)
	}
	for c, index := range map[int64]string{big.ID: "invitations_by_last_name", small.ID: "invitations_by_customer"} {
		q := invite.ListQuery{Status: invite.FilterOpen, CustomerID: c, Sort: invite.Sort{Field: invite.SortLastName}, Page: 1, PerPage: 20, Now: storetest.T0}
		query, args, err := s.PageQuery(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if plan := explain(t, s, query, args...); !strings.Contains(plan, "INDEX "+index) {
			t.Errorf("customer %d's first page reads\n%s\nwant %s", c, plan, index)
		}
	}
}

// A list of the undelivered (delivery queued or failed) gathers its rows
// from the partial index invitations_undelivered alone, whatever the status,
// customer and sort, for the page and for the count: on SQLite a covering
// read of it and no scan of invitations; on PostgreSQL an index-only scan
// of it (sequential scans priced out). Sent and none keep the sort walks.
func TestListUndeliveredUsesIndex(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		s := e.open(t)
		sqlite := s.Dialect().Name == "sqlite"
		for _, d := range []invite.DeliveryState{invite.DeliveryQueued, invite.DeliveryFailed} {
			for _, f := range []invite.StatusFilter{invite.FilterOpen, invite.FilterPending, invite.FilterExpired, invite.FilterAll} {
				for _, customer := range []int64{0, 1} {
					for _, field := range invite.SortFields {
						q := invite.ListQuery{Status: f, Delivery: d, CustomerID: customer, Sort: invite.Sort{Field: field, Desc: true}, Page: 2, PerPage: 20, Now: storetest.T0}
						page, pageArgs, count, countArgs, err := s.ListQueries(q)
						if err != nil {
							t.Fatal(err)
						}
						for _, plan := range []string{explain(t, s, page, pageArgs...), explain(t, s, count, countArgs...)} {
							uses := strings.Contains(plan, "Index Only Scan using invitations_undelivered")
							if sqlite {
								uses = strings.Contains(plan, "COVERING INDEX invitations_undelivered (delivery=? AND state=?") && !fullScan.MatchString(plan)
							}
							if !uses {
								t.Errorf("%s %s, customer %d, by %s: the undelivered are not read from their index:\n%s", d, f, customer, field, plan)
							}
						}
					}
				}
			}
		}
		q := invite.ListQuery{Status: invite.FilterOpen, Delivery: invite.DeliverySent, Sort: invite.DefaultSort, Page: 1, PerPage: 20, Now: storetest.T0}
		page, args, _, _, err := s.ListQueries(q)
		if err != nil {
			t.Fatal(err)
		}
		if plan := explain(t, s, page, args...); strings.Contains(plan, "invitations_undelivered") {
			t.Errorf("a list of the sent reads the undelivered index:\n%s", plan)
		}
	})
}
