package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/link"
	"github.com/invitectl/invitectl/internal/password"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
)

// benchParallelism is the goroutines per core of every parallel benchmark
// here, so that registration and bare hashing are compared under the same
// load.
const benchParallelism = 2

// benchFixture serves the handler over loopback with the production password
// cost, no rate limit and access logs formatted but discarded.
func benchFixture(b *testing.B) (*fixture, string, *http.Client) {
	f := newFixture(b, password.DefaultParams, func(d *Deps) {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	srv := newTestServer(b, f.handler)
	client := noRedirectClient(srv)
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	return f, srv.URL, client
}

// BenchmarkRegister measures whole registrations: POST /invite/{token}
// through the handler over loopback, each with its own link, including the
// argon2id hash, the SQLite transaction and the session.
func BenchmarkRegister(b *testing.B) {
	f, base, client := benchFixture(b)
	tokens := make([]string, b.N)
	for i := range tokens {
		_, tokens[i] = f.invite(b, fmt.Sprintf("bench%d@example.com", i), "sv")
	}
	form := validForm("en").Encode()
	var next atomic.Int64
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			token := tokens[next.Add(1)-1]
			resp, err := client.Post(base+"/invite/"+token, "application/x-www-form-urlencoded", strings.NewReader(form))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				b.Errorf("status %d, want 303", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
	users, err := f.store.ListUsers(b.Context(), 1, 1)
	if err != nil || users.Total != b.N {
		b.Fatalf("%d users after %d registrations: %v", users.Total, b.N, err)
	}
}

// BenchmarkHashOnly is the floor under BenchmarkRegister: the same argon2id
// parameters and parallelism, nothing else.
func BenchmarkHashOnly(b *testing.B) {
	h := password.New(password.DefaultParams)
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Hash(goodPassword); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

// BenchmarkGetInvite measures showing the form: GET /invite/{token} over
// loopback, verifying the link and reading the invitation each time.
func BenchmarkGetInvite(b *testing.B) {
	f, base, client := benchFixture(b)
	_, token := f.invite(b, "bench@example.com", "sv")
	url := base + "/invite/" + token
	var mu sync.Mutex
	var latencies []time.Duration
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		defer func() {
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
		for pb.Next() {
			start := time.Now()
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d, want 200", resp.StatusCode)
				return
			}
			mine = append(mine, time.Since(start))
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	slices.Sort(latencies)
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkRegisterPostgres measures registrations through one and through
// two handlers (each with its own pool, as two serve-accept instances would
// have) on one PostgreSQL database; the load generator spreads requests over
// the instances. Needs INVITECTL_TEST_POSTGRES_DSN.
func BenchmarkRegisterPostgres(b *testing.B) {
	for _, instances := range []int{1, 2} {
		b.Run(fmt.Sprintf("instances=%d", instances), func(b *testing.B) {
			url := pgtest.Schema(b, os.Getenv)
			if _, err := postgres.Migrate(b.Context(), url); err != nil {
				b.Fatal(err)
			}
			signer, err := link.New([]byte(strings.Repeat("k", 32)))
			if err != nil {
				b.Fatal(err)
			}
			var bases []string
			var client *http.Client
			var svc *invite.Service
			for range instances {
				st, err := postgres.Open(b.Context(), url)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { st.Close() })
				svc = &invite.Service{Store: st, Links: signer, Passwords: password.New(password.DefaultParams), BaseURL: "http://127.0.0.1"}
				h := NewHandler(Deps{Service: svc, RateLimit: rate.Inf, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				srv := newTestServer(b, h)
				bases = append(bases, srv.URL)
				client = noRedirectClient(srv)
				client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
			}
			if _, err := svc.AddCustomer(b.Context(), "bench", "Acme AB"); err != nil {
				b.Fatal(err)
			}
			tokens := make([]string, b.N)
			for i := range tokens {
				_, l, err := svc.Invite(b.Context(), invite.NewInvitation{Customer: "Acme AB", Email: fmt.Sprintf("r%d@example.com", i),
					Details: invite.Patch{FirstName: ptr("Åsa"), LastName: ptr("Lind")}, Actor: "bench", NoSend: true})
				if err != nil {
					b.Fatal(err)
				}
				_, tokens[i], _ = strings.Cut(l, "/invite/")
			}
			form := validForm("en").Encode()
			var next atomic.Int64
			b.SetParallelism(benchParallelism)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) - 1
					resp, err := client.Post(bases[int(i)%len(bases)]+"/invite/"+tokens[i], "application/x-www-form-urlencoded", strings.NewReader(form))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusSeeOther {
						b.Errorf("status %d, want 303", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
		})
	}
}
