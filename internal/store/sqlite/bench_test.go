package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/seed"
)

// The list benchmarks share one store of benchRows() invitations, built once
// per process in a temporary folder that TestMain removes.
var bench struct {
	once  sync.Once
	dir   string
	store *Store
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.store != nil {
		bench.store.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
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

// buildBatch is the batch size the list store is built with: larger
// batches mean fewer commits, each rewriting the index pages it touched.
const buildBatch = 50_000

func listStore(b *testing.B) *Store {
	bench.once.Do(func() {
		rows := benchRows(b)
		if bench.dir, bench.err = os.MkdirTemp("", "invitectl-bench-"); bench.err != nil {
			return
		}
		ctx := context.Background()
		if bench.store, bench.err = Open(ctx, filepath.Join(bench.dir, "bench.db")); bench.err != nil {
			return
		}
		start := time.Now()
		var customers []invite.Customer
		if customers, bench.err = seed.EnsureCustomers(ctx, bench.store, seed.Customers(50, 1), "bench", benchNow); bench.err != nil {
			return
		}
		gen := seed.NewGenerator(1, customers, benchNow, invite.DefaultTTL, 0)
		for done := 0; done < rows && bench.err == nil; done += buildBatch {
			bench.err = bench.store.InsertInvitations(ctx, gen.Batch(min(buildBatch, rows-done)))
		}
		elapsed := time.Since(start)
		b.Logf("built a store of %d invitations in %v (%.0f rows/s)", rows, elapsed.Round(time.Millisecond), float64(rows)/elapsed.Seconds())
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

// BenchmarkInsertInvitations measures bulk inserts as seed and copy make
// them, one batch per iteration into a growing store.
func BenchmarkInsertInvitations(b *testing.B) {
	for _, batch := range []int{10_000, 50_000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, filepath.Join(b.TempDir(), "insert.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			customers, err := seed.EnsureCustomers(ctx, s, seed.Customers(50, 1), "bench", benchNow)
			if err != nil {
				b.Fatal(err)
			}
			gen := seed.NewGenerator(3, customers, benchNow, invite.DefaultTTL, 0)
			rows := 0
			for b.Loop() {
				b.StopTimer()
				invs := gen.Batch(batch)
				b.StartTimer()
				if err := s.InsertInvitations(ctx, invs); err != nil {
					b.Fatal(err)
				}
				rows += batch
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
