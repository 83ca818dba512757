package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/invitectl/invitectl/internal/password"
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
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
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
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
