package cli_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// kill -9 of a batch resend, and then of the deliver that follows, at
// moments chosen at random (after a random number of emails arrived, from a
// fixed seed, so that a failure can be repeated), several rounds on each
// engine: afterwards a deliver sends
// every invitation's current link at least once. Nothing is lost; the
// duplicates (an email sent whose record the kill prevented) are counted
// and bounded by three batches a kill.
func TestKillNineLosesNoEmail(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "kill.db")
		killRounds(t, path, func() invite.Store {
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
		killRounds(t, url, func() invite.Store {
			s, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

func killRounds(t *testing.T, db string, open func() invite.Store) {
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
		kills := runKilled(t, bin, r, env, srv, clock, rng.IntN(300)+1, "resend", "--expired")
		// Then a deliver, killed partway too, after the killed one's lease.
		kills += runKilled(t, bin, r, env, srv, clock.Add(6*time.Minute), rng.IntN(60)+1, "deliver")
		killed += kills
		// Then one to the end.
		clock = clock.Add(12 * time.Minute)
		out, err := command(bin, r, env, clock, "deliver").CombinedOutput()
		if err != nil {
			t.Fatalf("round %d: the last deliver: %v\n%s", round, err, out)
		}
		runs += 3
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
		// the wire, the one waiting to be recorded and the one being recorded.
		if bound := kills * 3 * invite.DeliverBatch; dup > bound {
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

// runKilled starts the binary and kills it with SIGKILL once the server
// has received after more messages (or lets it end first); it reports
// whether it was killed.
func runKilled(t *testing.T, bin string, r *run, env map[string]string, srv *mailtest.Server, clock time.Time, after int, args ...string) int {
	t.Helper()
	cmd := command(bin, r, env, clock, args...)
	base := len(srv.Messages())
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
		if len(srv.Messages())-base >= after {
			_ = cmd.Process.Kill()
			<-done
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
