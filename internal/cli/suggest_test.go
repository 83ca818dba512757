package cli_test

import (
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/cli"
)

// TestSuggestions: every enumerated flag value, an unknown flag and an
// unknown customer get "did you mean" from one helper, and change nothing.
func TestSuggestions(t *testing.T) {
	r := setup(t)
	inv := []string{"invite", "--email", "c@example.com", "--first-name", "Cy", "--last-name", "Ek"}
	for _, c := range []struct {
		args  []string
		code  int
		error string
		hint  string
	}{
		{[]string{"list", "--status", "pendng"}, cli.ExitInvalid, `invalid --status "pendng"`,
			"did you mean --status pending? Use one of: pending, expired, accepted, revoked, open, all, purged"},
		{[]string{"list", "--delivery", "faild"}, cli.ExitInvalid, `invalid --delivery "faild"`, "did you mean --delivery failed? Use one of: queued, sent, failed, none"},
		{[]string{"audit", "--action", "revok"}, cli.ExitInvalid, `invalid --action "revok"`, "did you mean --action revoke? Use one of: invite, edit, resend, revoke,"},
		// The details are checked together, every broken rule named with its suggestion.
		{[]string{"edit", "1", "--gender", "femal", "--eu-citizen", "ja", "--swedish-citizen", "yse"}, cli.ExitInvalid,
			"invalid details:\ninvitectl: error:   --swedish-citizen must be yes, no or unset (got \"yse\"); did you mean --swedish-citizen yes?\n" +
				"invitectl: error:   --eu-citizen must be yes, no or unset (got \"ja\")\n" +
				"invitectl: error:   --gender must be female, male, other or unset (got \"femal\"); did you mean --gender female?\n",
			"hint: correct the values above"},
		{[]string{"edit", "1", "--language", "english"}, cli.ExitInvalid, `  --language must be sv or en (got "english"); did you mean --language en?`, "hint: correct the values above"},
		{append(inv, "--customer", "Acme AB", "--language", "SE"), cli.ExitInvalid, `  --language must be sv or en (got "SE"); did you mean --language sv?`, "hint: correct"},
		{[]string{"import", "-", "--customer", "Acme AB", "--language", "svenska"}, cli.ExitInvalid, `invalid --language "svenska"`, "did you mean --language sv? Use one of: sv, en"},
		{[]string{"list", "--stauts", "open"}, cli.ExitInvalid, "unknown flag: --stauts", "did you mean --status? see `invitectl list --help`"},
		{[]string{"resend", "1", "--dryrun"}, cli.ExitInvalid, "unknown flag: --dryrun", "did you mean --dry-run?"},
		{[]string{"list", "--zzzzzz"}, cli.ExitInvalid, "unknown flag: --zzzzzz", "hint: see `invitectl list --help`"},
		{[]string{"list", "--sort", "frist-name"}, cli.ExitInvalid, `invalid sort field "frist-name"`, "did you mean --sort first-name?"},
		{append(inv, "--customer", "acme"), cli.ExitNotFound, `no customer named "acme"`,
			"did you mean \"Acme AB\"? (see `invitectl customers list`); to add a new customer: `invitectl customers add \"acme\"`"},
		{append(inv, "--customer", "Acme BA"), cli.ExitNotFound, `no customer named "Acme BA"`, `did you mean "Acme AB"?`},
		{append(inv, "--customer", "Globex"), cli.ExitNotFound, `no customer named "Globex"`, "see `invitectl customers list`, or add it with `invitectl customers add \"Globex\"`"},
	} {
		code := r.do(c.args...)
		stderr := r.stderr.String()
		if code != c.code || !strings.Contains(stderr, "invitectl: error: "+c.error) || !strings.Contains(stderr, c.hint) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit %d, %q and %q", c.args, code, stderr, c.code, c.error, c.hint)
		}
	}
	if out := r.must("list", "--jq", ".total"); out != "2\n" {
		t.Errorf("a refused command changed the store: %s invitations", out)
	}
}
