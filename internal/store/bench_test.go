package store_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/seed"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// The benchmarks run on each engine: BenchmarkX/sqlite/…, BenchmarkX/postgres/…
// (PostgreSQL with INVITECTL_TEST_POSTGRES_DSN). The list benchmarks share
// one store per engine of INVITECTL_BENCH_ROWS invitations (100,000 when
// unset), built once per process with the same generator and seeds, in a
// temporary file or schema that outlives the benchmark and is removed at
// the end.
//
//	INVITECTL_BENCH_ROWS=1000000 go test -run '^$' -bench 'BenchmarkList/sqlite' -benchtime 10x ./internal/store/

var benchNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// benchEngines open a new, empty store that outlives b, and a function
// that removes it.
var benchEngines = []struct {
	name string
	open func(b *testing.B) (*store.Store, func(), error)
}{
	{"sqlite", func(b *testing.B) (*store.Store, func(), error) {
		dir, err := os.MkdirTemp("", "invitectl-bench-")
		if err != nil {
			return nil, nil, err
		}
		s, err := sqlite.Open(context.Background(), filepath.Join(dir, "bench.db"))
		return s, func() { os.RemoveAll(dir) }, err
	}},
	{"postgres", func(b *testing.B) (*store.Store, func(), error) {
		dsn := pgtest.DSN(b, os.Getenv)
		ctx := context.Background()
		name, url, err := pgtest.CreateSchema(ctx, dsn, "bench")
		if err != nil {
			return nil, nil, err
		}
		drop := func() { pgtest.DropSchema(context.Background(), dsn, name) }
		if _, err := postgres.Migrate(ctx, url); err != nil {
			return nil, drop, err
		}
		s, err := postgres.Open(ctx, url)
		return s, drop, err
	}},
}

// listStores are the shared list stores, by engine.
var listStores = map[string]*store.Store{}

var cleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range listStores {
		s.Close()
	}
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}

func benchRows(tb testing.TB) int {
	v := os.Getenv("INVITECTL_BENCH_ROWS")
	if v == "" {
		return 100_000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		tb.Fatalf("INVITECTL_BENCH_ROWS=%q is not a positive number", v)
	}
	return n
}

// forBenchEngines runs fn on a new store of each engine.
func forBenchEngines(b *testing.B, fn func(b *testing.B, s *store.Store)) {
	for _, e := range benchEngines {
		b.Run(e.name, func(b *testing.B) {
			s, remove, err := e.open(b)
			if remove != nil {
				cleanups = append(cleanups, remove)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			fn(b, s)
		})
	}
}

// listStore returns the engine's shared store, built on first use.
func listStore(b *testing.B, engine int) *store.Store {
	e := benchEngines[engine]
	if s := listStores[e.name]; s != nil {
		return s
	}
	s, remove, err := e.open(b)
	if remove != nil {
		cleanups = append(cleanups, remove)
	}
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	rows := benchRows(b)
	customers, err := seed.EnsureCustomers(ctx, s, seed.Customers(50, 1), "bench", benchNow)
	gen := seed.NewGenerator(1, customers, benchNow, invite.DefaultTTL, 0)
	for done := 0; done < rows && err == nil; done += 50_000 {
		err = s.InsertInvitations(ctx, gen.Batch(min(50_000, rows-done)))
	}
	if err == nil && e.name == "postgres" {
		// What autovacuum does after a bulk load, done at once: statistics
		// for the planner and a visibility map for index-only scans.
		err = s.Exec(ctx, `VACUUM ANALYZE invitations`)
	}
	if err != nil {
		s.Close()
		b.Fatal(err)
	}
	b.Logf("built a %s store of %d invitations in %v", e.name, rows, time.Since(start).Round(time.Millisecond))
	listStores[e.name] = s
	return s
}

// BenchmarkList measures the default list (open invitations, 20 a page) on
// the first and the middle page for every sort field and direction, and
// the other status filters (seed accepts none) and a customer on the first
// page.
func BenchmarkList(b *testing.B) {
	for i, e := range benchEngines {
		b.Run(e.name, func(b *testing.B) {
			s := listStore(b, i)
			ctx := context.Background()
			run := func(name string, q invite.ListQuery) {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						p, err := s.ListInvitations(ctx, q)
						if err != nil {
							b.Fatal(err)
						}
						if len(p.Invitations) != q.PerPage {
							b.Fatalf("page %d has %d rows", q.Page, len(p.Invitations))
						}
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
				})
			}
			for _, field := range invite.SortFields {
				for _, desc := range []bool{false, true} {
					sort := invite.Sort{Field: field, Desc: desc}
					q := invite.ListQuery{Status: invite.FilterOpen, Sort: sort, Page: 1, PerPage: invite.DefaultPerPage, Now: benchNow}
					first, err := s.ListInvitations(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					run(sort.String()+"/page=1", q)
					q.Page = invite.LastPage(first.Total, q.PerPage) / 2
					run(sort.String()+"/page=middle", q)
				}
			}
			for _, f := range []invite.StatusFilter{invite.FilterPending, invite.FilterExpired, invite.FilterRevoked, invite.FilterAll} {
				run("status="+string(f)+"/page=1", invite.ListQuery{Status: f, Sort: invite.DefaultSort, Page: 1, PerPage: invite.DefaultPerPage, Now: benchNow})
			}
			run("customer/page=1", invite.ListQuery{Status: invite.FilterOpen, CustomerID: 7, Sort: invite.DefaultSort, Page: 1, PerPage: invite.DefaultPerPage, Now: benchNow})
		})
	}
}

// BenchmarkInsertInvitations measures bulk inserts as seed and copy make
// them, one batch per iteration into a growing store.
func BenchmarkInsertInvitations(b *testing.B) {
	forBenchEngines(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		customers, err := seed.EnsureCustomers(ctx, s, seed.Customers(50, 1), "bench", benchNow)
		if err != nil {
			b.Fatal(err)
		}
		gen := seed.NewGenerator(3, customers, benchNow, invite.DefaultTTL, 0)
		rows := 0
		for b.Loop() {
			b.StopTimer()
			invs := gen.Batch(10_000)
			b.StartTimer()
			if err := s.InsertInvitations(ctx, invs); err != nil {
				b.Fatal(err)
			}
			rows += len(invs)
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkUpdateInvitations measures the two changes `resend --expired`
// makes of every invitation, a fresh link and then the record of its
// sending, on a store of 10,000 invitations, by the number of changes per
// transaction. The invitations go in ID order, as resend takes them.
func BenchmarkUpdateInvitations(b *testing.B) {
	forBenchEngines(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		customers, err := seed.EnsureCustomers(ctx, s, seed.Customers(20, 1), "bench", benchNow)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.InsertInvitations(ctx, seed.NewGenerator(1, customers, benchNow, invite.DefaultTTL, 0).Batch(10_000)); err != nil {
			b.Fatal(err)
		}
		var invs []invite.Invitation
		q := invite.ListQuery{Status: invite.FilterOpen, Sort: invite.Sort{Field: invite.SortSentOn}, Page: 1, PerPage: invite.MaxPerPage, Now: benchNow}
		for ; ; q.Page++ {
			p, err := s.ListInvitations(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			invs = append(invs, p.Invitations...)
			if len(invs) == p.Total {
				break
			}
		}
		slices.SortFunc(invs, func(a, b invite.Invitation) int { return cmp.Compare(a.ID, b.ID) })
		changes := []func(inv *invite.Invitation, now time.Time){
			func(inv *invite.Invitation, now time.Time) {
				inv.LinkGeneration++
				inv.ExpiresAt = now.Add(invite.DefaultTTL)
			},
			func(inv *invite.Invitation, now time.Time) { inv.LastSentAt = now; inv.SendCount++ },
		}
		for _, chunk := range []int{50, 200, 1000} {
			b.Run(fmt.Sprintf("chunk=%d", chunk), func(b *testing.B) {
				done, now := 0, benchNow
				for b.Loop() {
					now = now.Add(time.Hour)
					for start := 0; start < len(invs); start += chunk {
						part := invs[start:min(start+chunk, len(invs))]
						for _, change := range changes {
							batch := make([]invite.InvitationChange, len(part))
							for i, inv := range part {
								change(&inv, now)
								batch[i] = invite.InvitationChange{Invitation: inv, Event: invite.AuditEvent{
									At: now, Actor: "bench", Action: invite.ActionResend, InvitationID: inv.ID, Detail: "bench"}}
							}
							out, errs, err := s.UpdateInvitations(ctx, batch)
							if err != nil {
								b.Fatal(err)
							}
							for i := range part {
								if errs[i] != nil {
									b.Fatal(errs[i])
								}
								part[i] = out[i]
							}
							done += len(part)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(done), "µs/change")
			})
		}
	})
}
