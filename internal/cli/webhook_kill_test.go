package cli_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// kill -9 of deliver while it sends webhook events, after a random number
// of them arrived (from a fixed seed), three rounds on each engine, each
// followed at once by a deliver to the end, which exits 0: every event
// queued arrives (0 lost), and the repeats, all with their own
// webhook-id, are bounded by one batch a kill.
func TestKillNineLosesNoWebhookEvent(t *testing.T) {
	webhookEngines(t, func(t *testing.T, r *run) {
		secret := strings.TrimSpace(r.must("webhook", "secret"))
		rc := newReceiver(t, secret)
		rc.delay = time.Millisecond
		env := map[string]string{
			"INVITECTL_DB": r.env["INVITECTL_DB"], "INVITECTL_LINK_SECRET": killSecret,
			"INVITECTL_WEBHOOK_URL": rc.srv.URL, "INVITECTL_WEBHOOK_SECRET": secret,
			"INVITECTL_MAIL_DIR": filepath.Join(t.TempDir(), "outbox"),
		}
		for k, v := range env {
			r.env[k] = v
		}
		r.must("customers", "add", "Acme AB")
		bin, err := exec.LookPath("invitectl")
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(26, 26))
		kills := 0
		for round := 1; round <= 3; round++ {
			var csv strings.Builder
			csv.WriteString("email,first_name,last_name\n")
			for i := range 150 {
				fmt.Fprintf(&csv, "r%d-%d@example.com,Anna,Ek\n", round, i)
			}
			file := filepath.Join(t.TempDir(), "round.csv")
			if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			r.must("import", "--customer", "Acme AB", "--no-send", file)
			kills += runKilledAfter(t, bin, r, env, rc.received, r.now, syscall.SIGKILL, rng.IntN(120)+1, "deliver")
			if out, err := command(bin, r, env, r.now, "deliver").CombinedOutput(); err != nil {
				t.Fatalf("round %d: the deliver right after the kill: %v\n%s", round, err, out)
			}
		}
		if kills == 0 {
			t.Fatal("no deliver was killed: each ended before its kill")
		}
		driver := "sqlite"
		if strings.HasPrefix(env["INVITECTL_DB"], "postgres") {
			driver = "pgx"
		}
		db, err := sql.Open(driver, env["INVITECTL_DB"])
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(`SELECT webhook_id, state FROM webhook_events`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		queued, lost := 0, 0
		for rows.Next() {
			var id, state string
			if err := rows.Scan(&id, &state); err != nil {
				t.Fatal(err)
			}
			queued++
			rc.mu.Lock()
			_, ok := rc.bodies[id]
			rc.mu.Unlock()
			if !ok || state != "delivered" {
				lost++
				t.Errorf("event %s (%s) never arrived", id, state)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if queued != 450 {
			t.Errorf("%d events queued, want 450 (one per imported invitation)", queued)
		}
		if n := rc.received(); n != queued {
			t.Errorf("%d distinct webhook-ids arrived for %d events: a repeat came with another ID", n, queued)
		}
		if bound := kills * invite.DeliverBatch; rc.repeats > bound {
			t.Errorf("%d events arrived twice, more than the %d that %d kills can leave", rc.repeats, bound, kills)
		}
		t.Logf("%d kills, %d events, %d repeats (same webhook-id), %d lost", kills, queued, rc.repeats, lost)
	})
}
