package cli_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/link"
	"github.com/invitectl/invitectl/internal/mailtest"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

const killSecret = "kill-test-secret-0123456789abcdef0123456789"

// kill -9 of a batch resend, and in every other round of the deliver that
// follows it at once, at moments chosen at random (after a random number of
// emails arrived, from a fixed seed, so that a failure can be repeated),
// several rounds on each engine: immediately afterwards (the same clock: no
// lease has run out) a single deliver sends every invitation's current
// link at least once and exits 0. Nothing is lost; the duplicates (an email
// sent whose record the kill prevented) are counted and bounded by one
// batch per connection a kill.
func TestKillNineLosesNoEmail(t *testing.T) {
	killEngines(t, syscall.SIGKILL)
}

// The same with SIGTERM: each signalled run finishes the message on the
// wire, gives back the rest, says what stays queued and exits 6; the next
// deliver sends the rest, nothing twice.
func TestSIGTERMLosesNoEmail(t *testing.T) {
	killEngines(t, syscall.SIGTERM)
}

func killEngines(t *testing.T, sig syscall.Signal) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "kill.db")
		killRounds(t, path, sig, func() invite.Store {
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.Schema(t, os.Getenv)
		if _, err := postgres.Migrate(t.Context(), url); err != nil {
			t.Fatal(err)
		}
		killRounds(t, url, sig, func() invite.Store {
			s, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

func killRounds(t *testing.T, db string, sig syscall.Signal, open func() invite.Store) {
	r, srv := newMailingRun(t)
	srv.SetDelay(2 * time.Millisecond)
	env := smtpEnv(srv)
	env["INVITECTL_DB"], env["INVITECTL_LINK_SECRET"] = db, killSecret
	for k, v := range env {
		r.env[k] = v
	}
	r.must("seed", "--customers", "3", "--invitations", "400")
	bin, err := exec.LookPath("invitectl")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := link.New([]byte(killSecret))
	if err != nil {
		t.Fatal(err)
	}
	generations := func() map[int64]int {
		st := open()
		defer st.Close()
		page, err := st.ListInvitations(context.Background(), invite.ListQuery{Status: invite.FilterOpen, Sort: invite.DefaultSort,
			Page: 1, PerPage: invite.MaxPerPage, Now: r.now})
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]int{}
		for _, inv := range page.Invitations {
			out[inv.ID] = inv.LinkGeneration
		}
		return out
	}
	rng := rand.New(rand.NewPCG(9, 9))
	clock := r.now
	var runs, killed, totalRenewed, totalDup int
	for round := 1; round <= 4; round++ {
		start := generations()
		clock = clock.AddDate(2, 0, 0) // every pending invitation has expired again
		before := len(srv.Messages())
		// The batch resend, killed after a random number of its emails
		// arrived (progress, not time: the machine's speed does not matter).
		kills := runKilled(t, bin, r, env, srv, clock, sig, rng.IntN(300)+1, "resend", "--expired")
		runs++
		if round%2 == 0 {
			// Then at once a deliver, killed partway too: it takes over the
			// rows the killed resend held.
			kills += runKilled(t, bin, r, env, srv, clock, sig, rng.IntN(60)+1, "deliver")
			runs++
		}
		killed += kills
		// Then at once one to the end, which exits 0: nothing is held by
		// the dead.
		out, err := command(bin, r, env, clock, "deliver").CombinedOutput()
		if err != nil {
			t.Fatalf("round %d: the deliver right after the kills: %v\n%s", round, err, out)
		}
		runs++
		msgs := srv.Messages()[before:]
		received := map[string]int{}
		for _, m := range msgs {
			received[tokenOf(t, string(m.Data))]++
		}
		st := open()
		page, err := st.ListInvitations(context.Background(), invite.ListQuery{Status: invite.FilterOpen, Sort: invite.DefaultSort,
			Page: 1, PerPage: invite.MaxPerPage, Now: clock})
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		lost, dup, renewed := 0, 0, 0
		for _, inv := range page.Invitations {
			if inv.LinkGeneration == start[inv.ID] {
				continue // no fresh link this round (the kill came before it was saved)
			}
			renewed++
			n := received[signer.Token(inv.ID, inv.LinkGeneration)]
			if n == 0 {
				lost++
				t.Errorf("round %d: invitation %d (generation %d, delivery %s) never received its current link", round, inv.ID, inv.LinkGeneration, inv.Delivery)
			}
			dup += max(n-1, 0)
		}
		t.Logf("round %d: %d kills, %d invitations renewed, %d messages received, %d duplicates, %d lost", round, kills, renewed, len(msgs), dup, lost)
		// A kill can repeat what was sent and not yet recorded: the batch on
		// the wire of each of the (default 4) connections. A SIGTERM records
		// what it sent before it exits.
		bound := kills * invite.DeliverBatch * 4
		if sig != syscall.SIGKILL {
			bound = 0
		}
		if dup > bound {
			t.Errorf("round %d: %d duplicates, more than the %d that %d kills can leave", round, dup, bound, kills)
		}
		totalRenewed += renewed
		totalDup += dup
	}
	if totalRenewed == 0 {
		t.Fatal("no round renewed anything: the kills all came too early")
	}
	t.Logf("%d runs, %d of them killed; %d links renewed, %d duplicates, 0 lost", runs, killed, totalRenewed, totalDup)
}

// command is the real binary with the test's environment, at clock.
func command(bin string, r *run, env map[string]string, clock time.Time, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"HOME=" + r.env["HOME"], "XDG_DATA_HOME=" + r.env["XDG_DATA_HOME"], "XDG_CONFIG_HOME=" + r.env["XDG_CONFIG_HOME"],
		"TZ=UTC", "TEST_CLOCK=" + clock.Format(time.RFC3339), "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// runKilled starts the binary and sends it sig once the server has
// received after more messages (or lets it end first); it reports whether
// it was signalled. A run stopped by SIGTERM must exit 6 and say what
// stays queued.
func runKilled(t *testing.T, bin string, r *run, env map[string]string, srv *mailtest.Server, clock time.Time, sig syscall.Signal, after int, args ...string) int {
	t.Helper()
	return runKilledAfter(t, bin, r, env, func() int { return len(srv.Messages()) }, clock, sig, after, args...)
}

// runKilledAfter is runKilled for any receiver: received counts what it
// has received so far.
func runKilledAfter(t *testing.T, bin string, r *run, env map[string]string, received func() int, clock time.Time, sig syscall.Signal, after int, args ...string) int {
	t.Helper()
	cmd := command(bin, r, env, clock, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	base := received()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case <-done:
			return 0
		default:
		}
		if received()-base >= after {
			_ = cmd.Process.Signal(sig)
			err := <-done
			if sig == syscall.SIGKILL {
				return 1
			}
			// It may have finished just before the signal came: exit 0.
			var exit *exec.ExitError
			if err == nil {
				return 0
			}
			if !errors.As(err, &exit) || exit.ExitCode() != 6 || !strings.Contains(out.String(), "stay queued: run invitectl deliver") {
				t.Errorf("%s stopped by %v: %v, want exit 6 and what stays queued\n%s", strings.Join(args, " "), sig, err, out.String())
			}
			return 1
		}
		time.Sleep(time.Millisecond)
	}
}

func tokenOf(t *testing.T, msg string) string {
	t.Helper()
	s := unfoldQP(msg)
	_, after, ok := strings.Cut(s, "/invite/")
	if !ok {
		t.Fatalf("no link in a message")
	}
	end := strings.IndexAny(after, "\r\n\"< ")
	return after[:end]
}

// kill -9 of a seed into an empty store, which drops the invitations'
// indexes and triggers, loads, and builds them again in one transaction, at
// fractions of the time an uninterrupted seed took on this machine (so the
// kills fall in the load and in the index builds whatever its speed), on
// each engine: afterwards the store holds none of the seed's invitations or
// all of them, never part, every index and trigger is there, and a seed run
// to its end fills it.
func TestKillNineSeedLeavesTheStoreWhole(t *testing.T) {
	const rows = 20000
	engines := []struct {
		name string
		// fresh returns the --db of a new, empty store and a pool on it.
		fresh  func(t *testing.T) (string, *sql.DB)
		driver string
		// objects counts the invitations' indexes and triggers.
		objects string
	}{
		{"sqlite", func(t *testing.T) (string, *sql.DB) {
			path := filepath.Join(t.TempDir(), "seed.db")
			s, err := sqlite.Open(t.Context(), path) // created and migrated
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return path, db
		}, "sqlite", `SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'invitations' AND type IN ('index', 'trigger')`},
		{"postgres", func(t *testing.T) (string, *sql.DB) {
			url := pgtest.Schema(t, os.Getenv)
			if _, err := postgres.Migrate(t.Context(), url); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return url, db
		}, "pgx", `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'invitations'`},
	}
	bin, err := exec.LookPath("invitectl")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			r := newRun(t)
			seed := func(db string) *exec.Cmd {
				return command(bin, r, map[string]string{"INVITECTL_DB": db, "INVITECTL_LINK_SECRET": killSecret}, r.now,
					"seed", "--customers", "3", "--invitations", fmt.Sprint(rows))
			}
			check := func(db *sql.DB, want ...int) int {
				t.Helper()
				var n, objects int
				if err := db.QueryRow(`SELECT count(*) FROM invitations`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if err := db.QueryRow(e.objects).Scan(&objects); err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(want, n) {
					t.Errorf("the store holds %d invitations, want one of %v", n, want)
				}
				return objects
			}
			// An uninterrupted seed: how long it takes, and what a store has.
			at, db := e.fresh(t)
			whole := check(db, 0)
			start := time.Now()
			if out, err := seed(at).CombinedOutput(); err != nil {
				t.Fatalf("seed: %v\n%s", err, out)
			}
			took := time.Since(start)
			if got := check(db, rows); got != whole {
				t.Fatalf("after a seed the store has %d indexes and triggers, before it %d", got, whole)
			}
			killed, full := 0, 0
			for _, frac := range []float64{0.15, 0.4, 0.65, 0.85, 0.97} {
				at, db := e.fresh(t)
				cmd := seed(at)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(time.Duration(frac * float64(took))):
					_ = cmd.Process.Kill()
					<-done
					killed++
				}
				if got := check(db, 0, rows); got != whole {
					t.Errorf("killed at %.0f%%: %d indexes and triggers, want %d", frac*100, got, whole)
				}
				var n int
				_ = db.QueryRow(`SELECT count(*) FROM invitations`).Scan(&n)
				if n == rows {
					full++
				}
				// The store is whole: a seed to the end fills it.
				if out, err := seed(at).CombinedOutput(); err != nil {
					t.Fatalf("seed after the kill at %.0f%%: %v\n%s", frac*100, err, out)
				}
				if got := check(db, rows, 2*rows); got != whole {
					t.Errorf("seeded after the kill at %.0f%%: %d indexes and triggers, want %d", frac*100, got, whole)
				}
			}
			t.Logf("%d seeds killed (an uninterrupted one took %s), %d of the stores held every row afterwards, the others none; 0 lost", killed, took.Round(time.Millisecond), full)
			if killed == 0 {
				t.Fatal("no seed was killed")
			}
		})
	}
}
