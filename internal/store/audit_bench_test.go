package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store"
)

// BenchmarkAuditPage times one page of `audit` (the count and the page,
// in one read transaction) in a log of INVITECTL_BENCH_AUDIT events
// (default 100,000), bulk-inserted because seed writes none: page 1 and the
// last page, of every event and of one action, one actor and the last day.
//
//	INVITECTL_BENCH_AUDIT=1000000 go test -run '^$' -bench AuditPage -benchtime 20x ./internal/store/
func BenchmarkAuditPage(b *testing.B) {
	n := 100_000
	if v := os.Getenv("INVITECTL_BENCH_AUDIT"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("INVITECTL_BENCH_AUDIT=%q is not a positive number", v)
		}
	}
	forBenchEngines(b, func(b *testing.B, s *store.Store) {
		ctx := context.Background()
		start := time.Now()
		if err := fillAudit(ctx, s, n); err != nil {
			b.Fatal(err)
		}
		if s.Dialect().Name == "postgres" {
			if err := s.Exec(ctx, `VACUUM ANALYZE audit_events`); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("wrote %d audit events in %v", n, time.Since(start).Round(time.Millisecond))
		for _, c := range []struct {
			name string
			q    invite.AuditQuery
		}{
			{"all", invite.AuditQuery{}},
			{"action=revoke", invite.AuditQuery{Action: invite.ActionRevoke}},
			{"actor=ops", invite.AuditQuery{Actor: "ops"}},
			{"since=1d", invite.AuditQuery{Since: benchNow.Add(-24 * time.Hour)}},
		} {
			c.q.Page, c.q.PerPage = 1, invite.DefaultAuditPerPage
			first, err := s.AuditPage(ctx, c.q)
			if err != nil {
				b.Fatal(err)
			}
			for _, page := range []int{1, invite.LastPage(first.Total, c.q.PerPage)} {
				q := c.q
				q.Page = page
				name := "page=1"
				if page > 1 {
					name = "page=last"
				}
				b.Run(c.name+"/"+name, func(b *testing.B) {
					for b.Loop() {
						p, err := s.AuditPage(ctx, q)
						if err != nil {
							b.Fatal(err)
						}
						if p.Total != first.Total || len(p.Events) == 0 {
							b.Fatalf("page %d: %d events of %d, want some of %d", page, len(p.Events), p.Total, first.Total)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
					b.ReportMetric(float64(first.Total), "events")
				})
			}
		}
	})
}

// fillAudit writes n events, one a second back from benchNow, by five
// actors over the actions in turn.
func fillAudit(ctx context.Context, s *store.Store, n int) error {
	actors := []string{"admin", "ops", "boss", "script", "åsa"}
	const batch = 50_000
	evs := make([]invite.AuditEvent, 0, batch)
	for i := 0; i < n; i++ {
		evs = append(evs, invite.AuditEvent{
			At:     benchNow.Add(-time.Duration(n-i) * time.Second),
			Actor:  actors[i%len(actors)],
			Action: invite.AuditActions[i%len(invite.AuditActions)],
			Detail: fmt.Sprintf("event %d", i),
		})
		if len(evs) == batch || i == n-1 {
			if err := s.InsertAuditEvents(ctx, evs); err != nil {
				return err
			}
			evs = evs[:0]
		}
	}
	return nil
}
