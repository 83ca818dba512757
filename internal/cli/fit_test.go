package cli_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/jedib0t/go-pretty/v6/text"
)

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// fitSetup is a store with invitations whose names, emails and customer are
// long enough that a full row is over 200 columns.
func fitSetup(t *testing.T) *run {
	r := newRun(t)
	r.must("customers", "add", "Sjöbrismedia Ekonomisk förening")
	for _, p := range [][3]string{
		{"Maximiliana", "Ängström-Lindqvist", "maximiliana.angstrom-lindqvist@example.com"},
		{"Bo", "Ek", "bo@example.com"},
	} {
		r.must("invite", "--customer", "Sjöbrismedia Ekonomisk förening", "--email", p[2], "--first-name", p[0], "--last-name", p[1],
			"--personal-number", "20030606-2381", "--phone", "070-123 45 67", "--lma-number", "LMA-123456789", "--gender", "female",
			"--swedish-citizen", "yes", "--eu-citizen", "no", "--no-send")
	}
	return r
}

// headerOf returns the header cells of a rendered table, boxed or piped.
func headerOf(out string) []string {
	for _, line := range strings.Split(ansi.ReplaceAllString(out, ""), "\n") {
		var cells []string
		switch {
		case strings.Contains(line, "│ ID"):
			cells = strings.Split(strings.Trim(line, "│ "), "│")
		case strings.HasPrefix(line, "ID "):
			cells = regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
		default:
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		return cells
	}
	return nil
}

func TestListFitsTheTerminal(t *testing.T) {
	r := fitSetup(t)
	r.tty = true
	core := []string{"ID", "First name", "Last name", "Email", "Status"}
	for _, width := range []int{80, 120, 200} {
		out := r.mustWidth(width, "list")
		for _, line := range strings.Split(out, "\n") {
			if w := text.StringWidthWithoutEscSequences(line); w > width {
				t.Errorf("width %d: a line of %d columns:\n%s", width, w, line)
			}
		}
		header := strings.Join(headerOf(out), "|")
		for _, h := range core {
			if !strings.Contains(header, h) {
				t.Errorf("width %d: %q left out; header %q", width, h, header)
			}
		}
		if !strings.Contains(out, "left out to fit the terminal (-o wide shows every column)") {
			t.Errorf("width %d: no line naming what was left out:\n%s", width, out)
		}
		if width < 200 && !strings.Contains(out, "…") {
			t.Errorf("width %d: nothing shortened:\n%s", width, out)
		}
	}
	// Less important columns go first: at 80 the customer stays, Sent by does not.
	out := r.mustWidth(80, "list")
	if h := strings.Join(headerOf(out), "|"); !strings.Contains(h, "Customer") || strings.Contains(h, "Sent by") || strings.Contains(h, "Gender") {
		t.Errorf("at 80 columns the header is %q", h)
	}
	// -o wide and piped output always have every column, whole.
	for _, tty := range []bool{true, false} {
		r.tty = tty
		args := []string{"list"}
		if tty {
			args = append(args, "-o", "wide")
		}
		out := r.mustWidth(80, args...)
		if n := len(headerOf(out)); n != 14 || strings.Contains(out, "left out") || strings.Contains(out, "…") {
			t.Errorf("tty=%v %v: %d columns:\n%s", tty, args, n, out)
		}
		if !strings.Contains(out, "maximiliana.angstrom-lindqvist@example.com") {
			t.Errorf("tty=%v %v: the email was shortened:\n%s", tty, args, out)
		}
	}
}

func (r *run) mustWidth(width int, args ...string) string {
	r.t.Helper()
	r.width = width
	defer func() { r.width = 0 }()
	return r.must(args...)
}

// The real binary in a pseudo-terminal: it reads the terminal's width itself.
func TestListInPseudoTerminal(t *testing.T) {
	r := fitSetup(t)
	for _, width := range []int{80, 120, 200} {
		text := inPseudoTerminal(t, r, width, scriptEpoch, "list")
		if !strings.Contains(text, "\x1b[") {
			t.Errorf("width %d: no colour on a terminal", width)
		}
		for _, line := range strings.Split(text, "\n") {
			if w := len([]rune(ansi.ReplaceAllString(line, ""))); w > width {
				t.Errorf("width %d: a line of %d columns: %q", width, w, line)
			}
		}
		if !strings.Contains(text, "Showing 1–2 of 2 results") || !strings.Contains(text, "-o wide shows every column") {
			t.Errorf("width %d:\n%s", width, text)
		}
	}
}
