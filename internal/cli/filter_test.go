package cli_test

import (
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/cli"
)

// TestJQAndTemplate filters and renders the JSON of list, show, audit and
// resend as gh does: --jq prints strings raw and other values as JSON, one
// result a line; --template renders the document.
func TestJQAndTemplate(t *testing.T) {
	r := setup(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--jq", ".invitations[].email"}, "a@example.com\nb@example.com\n"},
		{[]string{"list", "--jq", ".total"}, "2\n"},
		{[]string{"list", "--jq", "[.invitations[].id]"}, "[1,2]\n"},
		{[]string{"list", "--all", "--jq", ".invitations | map(.first_name) | join(\",\")"}, "Anna,Bo\n"},
		{[]string{"list", "-o", "json", "--jq", ".per_page"}, "20\n"},
		{[]string{"list", "--template", "{{range .invitations}}{{.id}} {{.email}}\n{{end}}"}, "1 a@example.com\n2 b@example.com\n"},
		{[]string{"list", "--template", "{{join \", \" (pluck \"last_name\" .invitations)}}"}, "Ek, Ek"},
		{[]string{"show", "2", "--jq", ".first_name, .status"}, "Bo\npending\n"},
		{[]string{"show", "1", "--template", "{{.email}} until {{timefmt \"2006-01-02\" .expires_at}}"}, "a@example.com until 2027-01-05"},
		{[]string{"audit", "--jq", ".events[].action"}, "invite\ninvite\ncustomer.add\n"},
		{[]string{"audit", "--template", "{{.total}} events"}, "3 events"},
		{[]string{"resend", "2", "1", "--jq", ".results[] | .ref"}, "2\n1\n"},
		{[]string{"resend", "1", "--template", "{{range .results}}{{.id}} {{.ref}}{{end}}"}, "1 1"},
	} {
		if code := r.do(c.args...); code != 0 {
			t.Fatalf("%q: exit %d\n%s", c.args, code, r.stderr.String())
		}
		if got := r.stdout.String(); got != c.want {
			t.Errorf("%q printed %q, want %q", c.args, got, c.want)
		}
	}
}

// TestJQAndTemplateRefused: a bad expression, a command without JSON, or
// another output format is exit 2 and nothing on stdout.
func TestJQAndTemplateRefused(t *testing.T) {
	r := setup(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "--jq", ".["}, "invalid --jq expression"},
		{[]string{"list", "--template", "{{.total"}, "invalid --template"},
		{[]string{"list", "--jq", ".", "--template", "x"}, "cannot be used together"},
		{[]string{"list", "-o", "csv", "--jq", "."}, "--jq cannot be used with -o csv"},
		{[]string{"browse", "--jq", "."}, "--jq needs a command with JSON output"},
		{[]string{"completion", "bash", "--template", "x"}, "--template needs a command with JSON output"},
		{[]string{"list", "--jq", ".total[]"}, "--jq: cannot iterate over: number"},
		{[]string{"show", "1", "--template", "{{.nope.deeper}}"}, "--template:"},
	} {
		if code := r.do(c.args...); code != cli.ExitInvalid {
			t.Errorf("%q: exit %d, want %d\n%s", c.args, code, cli.ExitInvalid, r.stderr.String())
		}
		if !strings.Contains(r.stderr.String(), c.want) {
			t.Errorf("%q: stderr %q, want %q", c.args, r.stderr.String(), c.want)
		}
		if r.stdout.Len() != 0 {
			t.Errorf("%q: stdout %q, want nothing", c.args, r.stdout.String())
		}
	}
}
