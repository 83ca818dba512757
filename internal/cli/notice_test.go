package cli_test

import (
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/cli"
)

// TestQuiet: a batch with the file transport says where it wrote the emails
// in one line; -q (or INVITECTL_QUIET, or quiet in the config) silences
// that, and errors and hints stay.
func TestQuiet(t *testing.T) {
	r := setup(t)
	r.must("resend", "1", "2")
	outbox := r.env["XDG_DATA_HOME"] + "/invitectl/outbox"
	if got := r.stderr.String(); got != "invitectl: wrote 2 emails as .eml files into "+outbox+"\n" {
		t.Errorf("stderr %q, want one line", got)
	}
	r.must("resend", "1")
	if got := r.stderr.String(); !strings.HasPrefix(got, "invitectl: wrote the email to a@example.com as "+outbox+"/") || strings.Count(got, "\n") != 1 {
		t.Errorf("stderr %q", got)
	}
	for _, quiet := range []func(){
		func() { r.env["INVITECTL_QUIET"] = "" },
		func() { r.env["INVITECTL_QUIET"] = "true" },
	} {
		quiet()
		args := []string{"resend", "1", "2", "9999"}
		if r.env["INVITECTL_QUIET"] == "" {
			args = append(args, "-q")
		}
		if code := r.do(args...); code != cli.ExitNotFound {
			t.Fatalf("%q: exit %d", args, code)
		}
		if got := r.stderr.String(); got != "invitectl: error: no invitation with ID 9999\ninvitectl: hint: see `invitectl list --status all`\n" {
			t.Errorf("%q: stderr %q, want the error and its hint only", args, got)
		}
	}
	r.env["INVITECTL_QUIET"] = "maybe"
	if code := r.do("list"); code != cli.ExitInvalid || !strings.Contains(r.stderr.String(), "invalid quiet \"maybe\" (from env INVITECTL_QUIET)") {
		t.Errorf("a bad INVITECTL_QUIET: exit %d, %q", code, r.stderr.String())
	}
}

// TestPipedTablesHaveNoTrailingSpaces: every table piped ends its lines at
// its last character.
func TestPipedTablesHaveNoTrailingSpaces(t *testing.T) {
	r := setup(t)
	r.must("revoke", "2", "--yes")
	r.now = r.now.AddDate(0, 2, 0)
	for _, args := range [][]string{
		{"list", "--status", "all"}, {"list", "--all"}, {"audit"}, {"users", "list"}, {"customers", "list"}, {"config", "show"},
		{"resend", "1", "2", "x", "--dry-run"}, {"purge", "--older-than", "1d", "--dry-run"}, {"show", "1"},
	} {
		r.do(args...)
		out := r.stdout.String()
		if out == "" {
			t.Errorf("%q printed nothing: %s", args, r.stderr.String())
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasSuffix(line, " ") {
				t.Errorf("%q: a line ends in spaces: %q", args, line)
			}
		}
	}
}
