package cli_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the monitor's connection

	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
)

// serve-accept starts on a URL with every pool_… parameter deploy.md
// names, and a burst of concurrent requests, each reading the store, is
// served by at most pool_max_conns backends, which stay open for the next
// burst rather than being closed and opened again.
func TestServeAcceptPoolUnderBurst(t *testing.T) {
	base := pgtest.DSN(t, os.Getenv)
	schemaURL := pgtest.Schema(t, os.Getenv)
	var b [6]byte
	_, _ = rand.Read(b[:])
	app := "invitectl-pooltest-" + hex.EncodeToString(b[:])
	const maxConns = 3
	url := schemaURL + "&pool_max_conns=" + strconv.Itoa(maxConns) + "&pool_min_conns=1&pool_max_conn_lifetime=1h" +
		"&pool_max_conn_idle_time=30m&pool_health_check_period=1m&application_name=" + app

	r := newRun(t)
	r.env["INVITECTL_DB"] = url
	r.env["INVITECTL_LINK_SECRET"] = testSecret
	r.must("migrate")
	r.must("customers", "add", "Acme AB")
	out := r.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	path := linkRE.FindString(out)
	if path == "" {
		t.Fatalf("no link in %q", out)
	}

	site := serveAccept(t, r, map[string]string{"INVITECTL_RATE_LIMIT": "1000000", "INVITECTL_RATE_BURST": "1000000"}, nil)

	monitor, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer monitor.Close()
	backends := func() []string {
		rows, err := monitor.Query(`SELECT pid::text || '@' || backend_start::text FROM pg_stat_activity WHERE application_name = $1 ORDER BY 1`, app)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return ids
	}

	// burst sends 250 concurrent requests while the monitor counts backends
	// as often as it can; it returns the most it saw.
	burst := func() int {
		done := make(chan struct{})
		most := make(chan int)
		go func() {
			n := 0
			for {
				select {
				case <-done:
					most <- n
					return
				default:
					n = max(n, len(backends()))
				}
			}
		}()
		var wg sync.WaitGroup
		errs := make(chan error, 250)
		for i := range 250 {
			wg.Go(func() {
				target := site + path
				if i%2 == 1 {
					target = site + "/healthz"
				}
				resp, err := http.Get(target)
				if err != nil {
					errs <- err
					return
				}
				defer resp.Body.Close()
				_, _ = io.Copy(io.Discard, resp.Body)
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("GET %s: %s", target, resp.Status)
				}
			})
		}
		wg.Wait()
		close(done)
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		return <-most
	}

	first := burst()
	if first > maxConns {
		t.Errorf("first burst: %d backends at once, more than pool_max_conns=%d", first, maxConns)
	}
	after := backends()
	if len(after) == 0 || len(after) > maxConns {
		t.Fatalf("after the first burst %d backends are open, want 1 to %d kept idle", len(after), maxConns)
	}
	second := burst()
	if second > maxConns {
		t.Errorf("second burst: %d backends at once, more than pool_max_conns=%d", second, maxConns)
	}
	again := backends()
	if !slices.Equal(again, after) {
		t.Errorf("the backends changed between bursts (churn): %v, then %v", after, again)
	}
	t.Logf("backends at most %d and %d during the bursts, %d open between them, the same %d after", first, second, len(after), len(again))
}

// waitHTTP waits until url answers, or fails when the server exited.
func waitHTTP(t *testing.T, url string, exited chan int) {
	t.Helper()
	for range 400 {
		select {
		case code := <-exited:
			exited <- code // for the cleanup that waits for it
			t.Fatalf("serve-accept exited %d before answering", code)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s does not answer", url)
}
