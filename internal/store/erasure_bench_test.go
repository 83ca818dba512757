package store_test

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/seed"
	"github.com/invitectl/invitectl/internal/store"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// BenchmarkSecureDelete measures what SQLite's secure_delete, which every
// connection runs with, costs the writes: seed (a load of
// INVITECTL_BENCH_ROWS invitations, 100,000 when unset, into an empty
// store), import (10,000 rows into that store) and edit (2,000 edits of a
// phone, one transaction each), each with secure_delete on and, as the
// anchor measured in the same run, off.
//
//	INVITECTL_BENCH_ROWS=200000 go test -run '^$' -bench BenchmarkSecureDelete -benchtime 3x ./internal/store/
func BenchmarkSecureDelete(b *testing.B) {
	rows := 100_000
	if v := os.Getenv("INVITECTL_BENCH_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	for _, on := range []bool{false, true} {
		mode := fmt.Sprintf("secure_delete=%t", on)
		// open returns a store with customers and, unless empty, rows invitations.
		open := func(b *testing.B, loaded bool) (*store.Store, *seed.Generator) {
			b.Helper()
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			if err := s.SetWriterPragma(ctx, fmt.Sprintf("secure_delete = %d", map[bool]int{false: 0, true: 1}[on])); err != nil {
				b.Fatal(err)
			}
			customers, err := seed.EnsureCustomers(ctx, s, seed.Customers(50, 1), "bench", benchNow)
			if err != nil {
				b.Fatal(err)
			}
			gen := seed.NewGenerator(7, customers, benchNow, invite.DefaultTTL, 0)
			if loaded {
				if _, err := s.LoadInvitations(ctx, batches(gen, rows)); err != nil {
					b.Fatal(err)
				}
			}
			return s, gen
		}
		b.Run("seed/"+mode, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s, gen := open(b, false)
				b.StartTimer()
				if _, err := s.LoadInvitations(ctx, batches(gen, rows)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run("import/"+mode, func(b *testing.B) {
			s, gen := open(b, true)
			n := 0
			for b.Loop() {
				b.StopTimer()
				invs := gen.Batch(10_000)
				b.StartTimer()
				ev := invite.AuditEvent{At: benchNow, Actor: "bench", Action: invite.ActionImport, Detail: "bench"}
				w, err := s.ImportInvitations(ctx, invite.ImportWrite{Event: func(int) invite.AuditEvent { return ev }},
					func(write func([]invite.Invitation) (invite.ImportWritten, error)) error {
						_, err := write(invs)
						return err
					})
				if err != nil || len(w.Conflicts) > 0 {
					b.Fatalf("import: %d conflicts, %v", len(w.Conflicts), err)
				}
				n += len(invs)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run("edit/"+mode, func(b *testing.B) {
			s, _ := open(b, true)
			n := 0
			for b.Loop() {
				for i := range 2000 {
					id := int64(1 + (n*7919)%rows)
					inv, err := s.Invitation(ctx, id)
					if err != nil {
						b.Fatal(err)
					}
					inv.Phone = fmt.Sprintf("+4670%07d", (n+i)%10_000_000)
					inv.LastName += "x"
					if _, err := s.UpdateInvitation(ctx, inv, invite.AuditEvent{At: benchNow.Add(time.Duration(n) * time.Second),
						Actor: "bench", Action: invite.ActionEdit, InvitationID: id, Detail: "changed phone, last name"}); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/edit")
		})
	}
}

// batches yields n invitations of gen in batches of 10,000.
func batches(gen *seed.Generator, n int) iter.Seq[[]invite.Invitation] {
	return func(yield func([]invite.Invitation) bool) {
		for done := 0; done < n; done += 10_000 {
			if !yield(gen.Batch(min(10_000, n-done))) {
				return
			}
		}
	}
}
