package cli_test

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/cli"
)

// batchJSON is the one shape of resend, revoke and users delete.
type batchJSON struct {
	Results []struct {
		Ref     string  `json:"ref"`
		ID      *int64  `json:"id"`
		Outcome string  `json:"outcome"`
		Error   *string `json:"error"`
	} `json:"results"`
	Done   int `json:"done"`
	Failed int `json:"failed"`
}

// summary is "ref=id:outcome …" with "-" for a null id, and the counts.
func (b batchJSON) summary() string {
	var s []string
	for _, r := range b.Results {
		id := "-"
		if r.ID != nil {
			id = itoa(*r.ID)
		}
		if (r.Error == nil) != (r.Outcome == "resent" || r.Outcome == "renewed" || r.Outcome == "revoked" ||
			r.Outcome == "deleted" || strings.HasPrefix(r.Outcome, "would_")) {
			s = append(s, "error/outcome mismatch")
		}
		s = append(s, r.Ref+"="+id+":"+r.Outcome)
	}
	return strings.Join(s, " ") + " done=" + itoa(int64(b.Done)) + " failed=" + itoa(int64(b.Failed))
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func (r *run) batch(code int, args ...string) string {
	r.t.Helper()
	if got := r.do(args...); got != code {
		r.t.Fatalf("%q: exit %d, want %d\n%s", args, got, code, r.stderr.String())
	}
	var b batchJSON
	if err := json.Unmarshal(r.stdout.Bytes(), &b); err != nil {
		r.t.Fatalf("%q: %v\n%s", args, err, r.stdout.String())
	}
	return b.summary()
}

// TestBatchReportsEveryRefInOrder: resend, revoke and users delete report
// each REF in the order given, in one shape, with the contract's outcomes
// and counts that add up; the exit code is the highest.
func TestBatchReportsEveryRefInOrder(t *testing.T) {
	r := setup(t)
	for _, c := range []struct {
		code  int
		stdin string
		args  []string
		want  string
	}{
		{cli.ExitNotFound, "", []string{"resend", "abc", "9999", "2", "--dry-run", "-o", "json"},
			"abc=-:not_found 9999=-:not_found 2=2:would_resend done=1 failed=2"},
		{cli.ExitNotFound, "", []string{"resend", "2", "9999", "1", "-o", "json"},
			"2=2:resent 9999=-:not_found 1=1:resent done=2 failed=1"},
		{cli.ExitNotFound, "b@example.com\n\n  1  \nnope@example.com\n", []string{"resend", "-", "-o", "json"},
			"b@example.com=2:resent 1=1:resent nope@example.com=-:not_found done=2 failed=1"},
		{cli.ExitCancelled, "2\n", []string{"revoke", "-", "-o", "json"},
			"2=2:cancelled done=0 failed=1"},
		{cli.ExitNotFound, "2\n7\n", []string{"revoke", "-", "--yes", "-o", "json"},
			"2=2:revoked 7=-:not_found done=1 failed=1"},
		{cli.ExitConflict, "", []string{"revoke", "1", "2", "--yes", "-o", "json"},
			"1=1:revoked 2=2:already_resolved done=1 failed=1"},
		{cli.ExitConflict, "", []string{"resend", "2", "--dry-run", "-o", "json"},
			"2=2:already_resolved done=0 failed=1"},
		{cli.ExitNotFound, "nobody@example.com\n", []string{"users", "delete", "-", "--yes", "-o", "json"},
			"nobody@example.com=-:not_found done=0 failed=1"},
	} {
		r.stdin = c.stdin
		if got := r.batch(c.code, c.args...); got != c.want {
			t.Errorf("%q with stdin %q:\n got %s\nwant %s", c.args, c.stdin, got, c.want)
		}
	}
}

// TestBatchDryRunTable: a REF that names nothing is a row saying so, never
// an ID 0 or an empty email, and the count is of invitations.
func TestBatchDryRunTable(t *testing.T) {
	r := setup(t)
	if code := r.do("resend", "abc", "9999", "1", "--dry-run"); code != cli.ExitNotFound {
		t.Fatalf("exit %d\n%s", code, r.stderr.String())
	}
	out := r.stdout.String()
	for _, want := range []string{"abc   —   —              nothing: not found", "9999  —   —              nothing: not found",
		"1     1   a@example.com  resend the same link", "Dry run: nothing was sent or changed; 1 of 3 invitations would be resent.\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, " 0 ") {
		t.Errorf("a row with ID 0:\n%s", out)
	}
}

// TestBatchRefsRefused: - mixed with REFs, or stdin without a REF, is exit 2.
func TestBatchRefsRefused(t *testing.T) {
	r := setup(t)
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"1\n", []string{"resend", "-", "2"}, "- cannot be mixed with other REFs"},
		{"\n\n", []string{"revoke", "-", "--yes"}, "no REFs on stdin"},
		{"", []string{"users", "delete", "-"}, "no REFs on stdin"},
		{"", []string{"resend", "--expired", "--pending"}, "--expired and --pending cannot be combined"},
		{"", []string{"resend", "1", "--expired"}, "REFs and --expired cannot be combined"},
	} {
		r.stdin = c.stdin
		if code := r.do(c.args...); code != cli.ExitInvalid || !strings.Contains(r.stderr.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", c.args, code, r.stderr.String(), c.want)
		}
	}
	if s := r.status("1"); s != "pending" {
		t.Errorf("a refused command changed invitation 1: %s", s)
	}
}

// TestPurgeAndDeliverDryRunList: the dry runs list what they would touch.
func TestPurgeAndDeliverDryRunList(t *testing.T) {
	r := setup(t)
	r.must("revoke", "2", "--yes")
	// A mail server that refuses connections: the resent email stays queued.
	r.refusingSMTP(t)
	if code := r.do("resend", "1"); code != cli.ExitDelivery {
		t.Fatalf("resend: exit %d\n%s", code, r.stderr.String())
	}
	out := r.must("deliver", "--dry-run")
	if !strings.Contains(out, "1  Acme AB           a@example.com  QUEUED") ||
		!strings.Contains(out, "Dry run: 1 email would be attempted; nothing was sent.") {
		t.Errorf("deliver --dry-run:\n%s", out)
	}
	if out := r.must("deliver", "--dry-run", "--jq", `.messages[] | "\(.id) \(.email) \(.delivery)"`); out != "1 a@example.com queued\n" {
		t.Errorf("deliver --dry-run --jq: %q", out)
	}

	r.now = r.now.AddDate(0, 0, 40)
	out = r.must("purge", "--older-than", "30d", "--dry-run")
	if !strings.Contains(out, " 2  REVOKED  2026-01-05T09:00:00Z") ||
		!strings.Contains(out, "Dry run: 1 invitation would be purged (0 accepted, 1 revoked, 0 expired); nothing was changed.") {
		t.Errorf("purge --dry-run:\n%s", out)
	}
	if out := r.must("purge", "--older-than", "30d", "--dry-run", "--jq", `.invitations[] | "\(.id) \(.status) \(.since)"`); out != "2 revoked 2026-01-05T09:00:00Z\n" {
		t.Errorf("purge --dry-run --jq: %q", out)
	}
	if s := r.status("2"); s != "revoked" {
		t.Errorf("a dry run purged: %s", s)
	}
}

// TestResendExpiredSaysAFailedConnectionOnce: when the mail server refuses
// connections, resend --expired says so once and sums up the emails left
// queued in one line, not a line per invitation.
func TestResendExpiredSaysAFailedConnectionOnce(t *testing.T) {
	r := setup(t)
	r.must("invite", "--customer", "Acme AB", "--email", "c@example.com", "--first-name", "Cia", "--last-name", "Ek", "--no-send")
	r.now = r.now.AddDate(1, 0, 1) // all three expired
	r.refusingSMTP(t)
	if code := r.do("resend", "--expired"); code != cli.ExitDelivery {
		t.Fatalf("resend --expired: exit %d\n%s", code, r.stderr.String())
	}
	errs := r.stderr.String()
	if n := strings.Count(errs, "invitectl: error:"); n != 2 || !strings.Contains(errs, "the emails of 2 more invitations stay queued: the mail connection failed (see above)") {
		t.Errorf("want the failure once and one line for the 2 left queued; stderr:\n%s", errs)
	}
	if !strings.Contains(r.stdout.String(), "Resent 0 of 3 expired invitations with a new link. 3 could not be delivered") {
		t.Errorf("stdout:\n%s", r.stdout.String())
	}
}

// refusingSMTP points r at a mail server on loopback that refuses every
// connection (a port that was free a moment ago).
func (r *run) refusingSMTP(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := itoa(int64(l.Addr().(*net.TCPAddr).Port))
	l.Close()
	r.env["INVITECTL_SMTP_HOST"], r.env["INVITECTL_SMTP_PORT"], r.env["INVITECTL_MAIL_FROM"], r.env["INVITECTL_SMTP_ENCRYPTION"] = "127.0.0.1", port, "noreply@example.com", "none"
}
