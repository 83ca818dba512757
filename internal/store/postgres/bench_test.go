package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/seed"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
)

// The list benchmarks share one store of benchRows() invitations, built once
// per process in a schema of its own that TestMain drops. The data is the
// SQLite benchmark's (same generator, same seeds), so figures compare.
var bench struct {
	once        sync.Once
	dsn, schema string
	store       *Store
	err         error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.store != nil {
		bench.store.Close()
	}
	if bench.schema != "" {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := pgtest.DropSchema(ctx, bench.dsn, bench.schema); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
		cancel()
	}
	os.Exit(code)
}

// benchRows is INVITECTL_BENCH_ROWS, 100000 when unset.
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

// benchNow is the "now" of the benchmark data: some invitations have expired.
var benchNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const insertBatch = 10_000

// benchStore opens a store on a new, migrated schema that outlives b.
func benchStore(b *testing.B) (schema string, s *Store, err error) {
	dsn := pgtest.DSN(b, os.Getenv)
	ctx := context.Background()
	schema, url, err := pgtest.CreateSchema(ctx, dsn, "bench")
	if err != nil {
		return "", nil, err
	}
	if _, err := Migrate(ctx, url); err != nil {
		return schema, nil, err
	}
	s, err = Open(ctx, url)
	return schema, s, err
}

func listStore(b *testing.B) *Store {
	bench.once.Do(func() {
		rows := benchRows(b)
		bench.dsn = pgtest.DSN(b, os.Getenv)
		if bench.schema, bench.store, bench.err = benchStore(b); bench.err != nil {
			return
		}
		ctx := context.Background()
		start := time.Now()
		var customers []invite.Customer
		if customers, bench.err = seed.EnsureCustomers(ctx, bench.store, seed.Customers(50, 1), "bench", benchNow); bench.err != nil {
			return
		}
		gen := seed.NewGenerator(1, customers, benchNow, invite.DefaultTTL, 0)
		for done := 0; done < rows && bench.err == nil; done += insertBatch {
			bench.err = bench.store.InsertInvitations(ctx, gen.Batch(min(insertBatch, rows-done)))
		}
		if bench.err != nil {
			return
		}
		elapsed := time.Since(start)
		// What autovacuum does after a bulk load, done at once: statistics
		// for the planner and a visibility map for index-only scans.
		_, bench.err = bench.store.pool.Exec(ctx, `VACUUM ANALYZE invitations`)
		b.Logf("built a store of %d invitations in %v (%.0f rows/s), vacuumed in %v", rows, elapsed.Round(time.Millisecond),
			float64(rows)/elapsed.Seconds(), (time.Since(start) - elapsed).Round(time.Millisecond))
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.store
}

// BenchmarkList measures the default list (open invitations, 20 a page) on
// the first and the middle page for every sort field and direction.
func BenchmarkList(b *testing.B) {
	s := listStore(b)
	ctx := context.Background()
	for _, field := range invite.SortFields {
		for _, desc := range []bool{false, true} {
			sort := invite.Sort{Field: field, Desc: desc}
			q := invite.ListQuery{Status: invite.FilterOpen, Sort: sort, Page: 1, PerPage: invite.DefaultPerPage, Now: benchNow}
			first, err := s.ListInvitations(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			for _, page := range []struct {
				name string
				n    int
			}{{"page=1", 1}, {"page=middle", invite.LastPage(first.Total, q.PerPage) / 2}} {
				b.Run(sort.String()+"/"+page.name, func(b *testing.B) {
					q.Page = page.n
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
		}
	}
}

// BenchmarkInsertInvitations measures bulk inserts (COPY) in batches of
// 10,000, as seed and copy make them.
func BenchmarkInsertInvitations(b *testing.B) {
	ctx := context.Background()
	dsn := pgtest.DSN(b, os.Getenv)
	schema, s, err := benchStore(b)
	if schema != "" {
		b.Cleanup(func() {
			if s != nil {
				s.Close()
			}
			if err := pgtest.DropSchema(context.Background(), dsn, schema); err != nil {
				b.Error(err)
			}
		})
	}
	if err != nil {
		b.Fatal(err)
	}
	customers, err := seed.EnsureCustomers(ctx, s, seed.Customers(50, 1), "bench", benchNow)
	if err != nil {
		b.Fatal(err)
	}
	gen := seed.NewGenerator(3, customers, benchNow, invite.DefaultTTL, 0)
	rows := 0
	for b.Loop() {
		b.StopTimer()
		batch := gen.Batch(insertBatch)
		b.StartTimer()
		if err := s.InsertInvitations(ctx, batch); err != nil {
			b.Fatal(err)
		}
		rows += insertBatch
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
