package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/link"
	"github.com/invitectl/invitectl/internal/password"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// registerUser makes the invitee of a new invitation register, as the
// registration page does, so that users list has an account to show.
func registerUser(t *testing.T, r *run, customer, email, first, last string) {
	t.Helper()
	var j struct{ Link string }
	if err := json.Unmarshal([]byte(r.must("invite", "--customer", customer, "--email", email, "--first-name", first, "--last-name", last,
		"--personal-number", "20030606-2381", "--phone", "070-123 45 67", "--no-send", "-o", "json")), &j); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(r.env["XDG_DATA_HOME"], "invitectl", "invitectl.db")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, err := os.ReadFile(db + ".link-secret")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := link.New([]byte(strings.TrimSpace(string(secret))))
	if err != nil {
		t.Fatal(err)
	}
	svc := &invite.Service{Store: st, Links: signer, Passwords: password.New(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}), Now: func() time.Time { return r.now }, TTL: 365 * 24 * time.Hour, DefaultLanguage: "sv"}
	token := j.Link[strings.LastIndex(j.Link, "/")+1:]
	if _, _, err := svc.Register(ctx, token, invite.Registration{Password: "a long enough password", PasswordConfirm: "a long enough password",
		Language: "sv", AcceptPrivacy: true}); err != nil {
		t.Fatal(err)
	}
}

// inPseudoTerminal runs the real binary in a width×50 pseudo-terminal and
// returns what it drew, colour codes and all.
func inPseudoTerminal(t *testing.T, r *run, width int, clock string, args ...string) string {
	t.Helper()
	return inPseudoTerminalWith(t, r, width, []string{"TEST_CLOCK=" + clock, "PAGER="}, args...)
}

// inPseudoTerminalWith is inPseudoTerminal with env added to the program's
// environment (TEST_CLOCK among it).
func inPseudoTerminalWith(t *testing.T, r *run, width int, env []string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("invitectl") // the test binary, as testscript.Main installs it
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(r.env["XDG_DATA_HOME"], "invitectl", "invitectl.db")
	cmd := exec.Command(bin, append([]string{"--db", db}, args...)...)
	cmd.Env = append([]string{"HOME=" + r.env["HOME"], "XDG_DATA_HOME=" + r.env["XDG_DATA_HOME"], "TERM=xterm-256color", "TZ=UTC",
		"PATH=" + os.Getenv("PATH")}, env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(width), Rows: 50})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, err = io.Copy(&out, tty) // ends with EIO once the program has exited
	if err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	tty.Close()
	_ = cmd.Wait() // a dry run may exit non-zero; what it drew is the point
	return strings.ReplaceAll(out.String(), "\r\n", "\n")
}

// TestTablesFitInPseudoTerminal: every table fits 80 and 200 columns by
// list's rule: frames whole, cells shortened with "…", whole columns left
// out least important first, and a line naming them and -o wide.
func TestTablesFitInPseudoTerminal(t *testing.T) {
	r := fitSetup(t)
	const customer = "Sjöbrismedia Ekonomisk förening"
	registerUser(t, r, customer, "konstantinopolitanska.ostergren-wallenius@example.com", "Konstantinopolitanska", "Östergren-Wallenius")
	r.must("revoke", "2", "--yes")
	// The resent email of invitation 1 stays queued: the mail server refuses.
	r.refusingSMTP(t)
	r.do("resend", "1")
	later := "2026-03-05T09:00:00Z"
	for _, c := range []struct {
		args    []string
		clock   string
		want    string // on every width
		narrow  string // at 80 columns
		leftOut bool   // at 80 columns some column is left out
	}{
		{[]string{"audit"}, scriptEpoch, "Showing 1–", "…", false},
		{[]string{"users", "list"}, scriptEpoch, "Konstantino", "left out to fit the terminal (-o wide shows every column)", true},
		{[]string{"customers", "list"}, scriptEpoch, "Open invitations", "", false},
		{[]string{"config", "show"}, scriptEpoch, "invitation_ttl", "…", false},
		{[]string{"resend", "1", "2", "nobody@example.com", "--dry-run"}, scriptEpoch, "nothing: not found", "", false},
		{[]string{"purge", "--older-than", "7d", "--dry-run"}, later, "REVOKED", "", false},
		{[]string{"deliver", "--dry-run"}, scriptEpoch, "QUEUED", "", false},
		{[]string{"list", "--status", "all"}, scriptEpoch, "Showing 1–3 of 3 results", "left out to fit the terminal", true},
	} {
		for _, width := range []int{80, 200} {
			out := inPseudoTerminal(t, r, width, c.clock, c.args...)
			plain := ansi.ReplaceAllString(out, "")
			if !strings.Contains(plain, c.want) || width == 80 && !strings.Contains(plain, c.narrow) {
				t.Errorf("%q at %d: want %q and at 80 %q:\n%s", c.args, width, c.want, c.narrow, plain)
			}
			if width == 80 && c.leftOut != strings.Contains(plain, "left out to fit the terminal") {
				t.Errorf("%q at 80: left out a column: %v, want %v:\n%s", c.args, !c.leftOut, c.leftOut, plain)
			}
			for _, line := range strings.Split(plain, "\n") {
				// The table and the line under it fit; a sentence may wrap.
				table := strings.ContainsAny(line, "╭│├╰") || strings.Contains(line, "left out to fit")
				if w := len([]rune(line)); w > width && table {
					t.Errorf("%q at %d: a line of %d columns: %q", c.args, width, w, line)
				}
				// A frame is whole: a row that starts with │ ends with it.
				if strings.HasSuffix(line, " ") || strings.HasPrefix(line, "│") != strings.HasSuffix(line, "│") {
					t.Errorf("%q at %d: a broken frame, or trailing spaces: %q", c.args, width, line)
				}
			}
		}
	}
}

// TestPager: a long table on a terminal goes through PAGER (else the pager
// setting); --no-pager, an empty PAGER, JSON or a pipe print it as it is.
func TestPager(t *testing.T) {
	r := fitSetup(t)
	paged := func(env []string, args ...string) bool {
		out := inPseudoTerminalWith(t, r, 200, append([]string{"TEST_CLOCK=" + scriptEpoch}, env...), args...)
		if !strings.Contains(out, "Showing 1–2 of 2 results") && !strings.Contains(out, `"total"`) {
			t.Errorf("%q %q printed:\n%s", env, args, out)
		}
		return strings.Contains(out, "paged: Showing 1–2 of 2 results") || strings.Contains(out, `paged: {`)
	}
	sed := "sed s/^/paged:\\ /"
	if !paged([]string{"PAGER=" + sed}, "list") {
		t.Error("list did not go through PAGER")
	}
	if !paged([]string{"INVITECTL_PAGER=" + sed}, "list") {
		t.Error("the pager setting was not used")
	}
	if paged([]string{"PAGER=" + sed}, "list", "--no-pager") {
		t.Error("--no-pager went through the pager")
	}
	if paged([]string{"PAGER=", "INVITECTL_PAGER=" + sed}, "list") {
		t.Error("an empty PAGER went through the pager")
	}
	if paged([]string{"PAGER=" + sed}, "list", "-o", "json") {
		t.Error("JSON went through the pager")
	}
	// Piped: never a pager.
	r.env["PAGER"] = sed
	if out := r.must("list"); strings.Contains(out, "paged:") {
		t.Errorf("a pipe went through the pager:\n%s", out)
	}
}
