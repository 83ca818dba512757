package cli_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/cli"
)

// TestMessagesSayWhatIsWrong: plurals agree with their counts, and a
// command given the wrong thing says which.
func TestMessagesSayWhatIsWrong(t *testing.T) {
	r := setup(t)
	r.must("revoke", "2", "--yes")
	r.now = r.now.AddDate(0, 1, 0)
	for _, c := range []struct {
		args []string
		code int
		out  string // on stdout, or "" for none to check
		err  string // on stderr, or ""
	}{
		{[]string{"purge", "--older-than", "7d", "--dry-run"}, 0, "Dry run: 1 invitation would be purged (0 accepted, 1 revoked, 0 expired); nothing was changed.", ""},
		{[]string{"purge", "--older-than", "7d"}, cli.ExitCancelled, "", "not purging 1 invitation: confirmation needed"},
		{[]string{"resend", "1", "--dry-run"}, 0, "Dry run: nothing was sent or changed; 1 invitation would be resent.", ""},
		{[]string{"customers", "add", "Acme", "AB"}, cli.ExitInvalid, "", "customers add takes one NAME, and 2 were given\ninvitectl: hint: quote a name with spaces: invitectl customers add \"Acme AB\""},
		{[]string{"customers", "add"}, cli.ExitInvalid, "", "customers add needs the customer's name"},
		{[]string{"edit", "1", "--customer", "Other AB"}, cli.ExitInvalid, "", "--customer does not change the customer"},
		{[]string{"edit", "1"}, cli.ExitInvalid, "", "no changes given"},
		{[]string{"resend", "--expired", "--pending"}, cli.ExitInvalid, "", "--expired and --pending cannot be combined"},
		{[]string{"resend"}, cli.ExitInvalid, "", "resend needs REFs, --expired or --pending"},
		{[]string{"version"}, 0, "invitectl  (commit , built )\n", ""},
		{[]string{"version", "-o", "json", "--jq", "keys"}, 0, `["commit","date","version"]` + "\n", ""},
	} {
		code := r.do(c.args...)
		if code != c.code || !strings.Contains(r.stdout.String(), c.out) || !strings.Contains(r.stderr.String(), c.err) {
			t.Errorf("%q: exit %d\nstdout %q\nstderr %q\nwant exit %d, %q, %q", c.args, code, r.stdout.String(), r.stderr.String(), c.code, c.out, c.err)
		}
	}
}

// TestVersionFlagAgrees: --version prints what version prints.
func TestVersionFlagAgrees(t *testing.T) {
	bin, err := exec.LookPath("invitectl") // the test binary, as testscript.Main installs it
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		c := exec.Command(bin, args...)
		c.Env = []string{"HOME=" + t.TempDir(), "TEST_CLOCK=" + scriptEpoch}
		out, err := c.Output()
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return string(out)
	}
	flag, cmd := run("--version"), run("version")
	if flag != cmd || cmd != "invitectl test (commit none, built unknown)\n" {
		t.Errorf("--version %q, version %q", flag, cmd)
	}
}
