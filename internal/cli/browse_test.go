package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	xansi "github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"

	"github.com/invitectl/invitectl/internal/cli"
)

// Without a terminal browse refuses with a hint to use list, and creates
// nothing.
func TestBrowseNeedsTerminal(t *testing.T) {
	r := newRun(t)
	for _, tty := range []bool{false, true} {
		r.tty = tty
		code := r.do("browse")
		want := cli.ExitInvalid
		if tty {
			want = cli.ExitNotFound // a terminal, but no store: it only reads, so it says so
		}
		if code != want {
			t.Fatalf("tty=%v: exit %d, want %d\n%s", tty, code, want, r.stderr.String())
		}
		if _, err := os.Stat(r.env["XDG_DATA_HOME"]); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("tty=%v: browse created %s", tty, r.env["XDG_DATA_HOME"])
		}
	}
	r.tty = false
	r.must("customers", "add", "Acme AB")
	if code := r.do("browse"); code != cli.ExitInvalid ||
		!strings.Contains(r.stderr.String(), "invitectl: error: browse needs a terminal") ||
		!strings.Contains(r.stderr.String(), "invitectl: hint: use `invitectl list`") {
		t.Errorf("exit %d:\n%s", code, r.stderr.String())
	}
}

// ptyScreen reads what a program writes to its pseudo-terminal and keeps
// the screen it draws: the renderer redraws only what changed, with cursor
// moves, scrolls and erases, so only the screen as a terminal would show it
// tells what the user sees.
type ptyScreen struct {
	t    *testing.T
	mu   sync.Mutex
	raw  bytes.Buffer
	more chan struct{}
	done chan struct{}
	// cols and rows are the terminal's size.
	cols, rows int
}

func readScreen(t *testing.T, tty *os.File) *ptyScreen {
	s := &ptyScreen{t: t, more: make(chan struct{}, 1), done: make(chan struct{}), cols: 120, rows: 40}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			s.mu.Lock()
			s.raw.Write(buf[:n])
			s.mu.Unlock()
			select {
			case s.more <- struct{}{}:
			default:
			}
			if err != nil {
				return // EIO once the program has exited
			}
		}
	}()
	return s
}

func (s *ptyScreen) raws() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

// screen is what the terminal shows now, line by line.
func (s *ptyScreen) screen() string {
	v := newVT(s.cols, s.rows)
	v.write(s.raws())
	return v.String()
}

// waitFor waits until the screen shows every one of want (each may wrap
// over lines of a box). The deadline only bounds a failing run: a passing
// one goes on as soon as the screen shows it.
func (s *ptyScreen) waitFor(want ...string) string {
	s.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		screen := s.screen()
		flat, all := flatten(screen), true
		for _, w := range want {
			all = all && strings.Contains(flat, flatten(w))
		}
		if all {
			return screen
		}
		select {
		case <-s.more:
		case <-s.done:
			if s.screen() == screen {
				s.t.Fatalf("the program ended without showing %q:\n%s", want, screen)
			}
		case <-deadline:
			s.t.Fatalf("%q did not appear in 30s:\n%s", want, screen)
		}
	}
}

// flatten drops white space and box drawing, so that a sentence wrapped in
// a dialog box reads as one.
func flatten(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r >= '─' && r <= '╿'
	}), "")
}

// vt is as much of a terminal as Bubble Tea's renderer needs: it prints
// graphemes, moves the cursor, erases, inserts and deletes characters and
// lines, scrolls within margins, and ignores styles and modes it does not
// need to show text.
type vt struct {
	w, h        int
	cells       [][]string
	x, y        int
	top, bottom int // the scroll margins, inclusive
	wrapNext    bool
	autowrap    bool
	insert      bool
	last        string // the last grapheme printed, for REP
	savedX      int
	savedY      int
}

func newVT(w, h int) *vt {
	v := &vt{w: w, h: h, bottom: h - 1, autowrap: true}
	v.cells = make([][]string, h)
	for y := range v.cells {
		v.cells[y] = v.blankLine()
	}
	return v
}

func (v *vt) blankLine() []string {
	l := make([]string, v.w)
	for i := range l {
		l[i] = " "
	}
	return l
}

func (v *vt) String() string {
	lines := make([]string, v.h)
	for y, l := range v.cells {
		lines[y] = strings.TrimRight(strings.Join(l, ""), " ")
	}
	return strings.Join(lines, "\n")
}

func (v *vt) moveTo(x, y int) {
	v.x, v.y, v.wrapNext = max(min(x, v.w-1), 0), max(min(y, v.h-1), 0), false
}

// scroll moves the lines of the margins up by n (down when n < 0).
func (v *vt) scroll(n int) {
	region := v.cells[v.top : v.bottom+1]
	for ; n > 0; n-- {
		copy(region, region[1:])
		region[len(region)-1] = v.blankLine()
	}
	for ; n < 0; n++ {
		copy(region[1:], region)
		region[0] = v.blankLine()
	}
}

func (v *vt) lineFeed() {
	if v.y == v.bottom {
		v.scroll(1)
	} else if v.y < v.h-1 {
		v.y++
	}
	v.wrapNext = false
}

func (v *vt) print(g string, width int) {
	if v.wrapNext && v.autowrap {
		v.x = 0
		v.lineFeed()
	}
	line := v.cells[v.y]
	if v.insert {
		copy(line[v.x+width:], line[v.x:])
	}
	line[v.x] = g
	for i := 1; i < width && v.x+i < v.w; i++ {
		line[v.x+i] = ""
	}
	v.last = g
	if v.x+width >= v.w {
		v.x, v.wrapNext = v.w-1, true
		return
	}
	v.x += width
}

func (v *vt) write(data string) {
	p := xansi.NewParser()
	var state byte
	for len(data) > 0 {
		seq, width, n, newState := xansi.DecodeSequence(data, state, p)
		state, data = newState, data[n:]
		switch {
		case width > 0:
			v.print(seq, width)
		case len(seq) == 1:
			switch seq[0] {
			case '\r':
				v.moveTo(0, v.y)
			case '\n', '\v', '\f':
				v.lineFeed()
			case '\b':
				v.moveTo(v.x-1, v.y)
			case '\t':
				v.moveTo((v.x/8+1)*8, v.y)
			}
		case xansi.HasCsiPrefix(seq):
			v.csi(xansi.Cmd(p.Command()), p)
		case xansi.HasEscPrefix(seq) && len(seq) == 2:
			switch seq[1] {
			case '7':
				v.savedX, v.savedY = v.x, v.y
			case '8':
				v.moveTo(v.savedX, v.savedY)
			case 'D':
				v.lineFeed()
			case 'E':
				v.moveTo(0, v.y)
				v.lineFeed()
			case 'M':
				if v.y == v.top {
					v.scroll(-1)
				} else {
					v.moveTo(v.x, v.y-1)
				}
			}
		}
	}
}

func (v *vt) csi(cmd xansi.Cmd, p *xansi.Parser) {
	n := func(i, def int) int {
		a, _ := p.Param(i, def)
		return max(a, 1)
	}
	zero := func(i int) int {
		a, _ := p.Param(i, 0)
		return a
	}
	line := v.cells[v.y]
	blank := func(cells []string) {
		for i := range cells {
			cells[i] = " "
		}
	}
	if cmd.Intermediate() != 0 {
		return // DECRQM, cursor styles and the like
	}
	switch cmd.Prefix() {
	case '?':
		if f := cmd.Final(); (f == 'h' || f == 'l') && zero(0) == 7 {
			v.autowrap = f == 'h'
		}
		return
	case 0:
	default:
		return
	}
	switch cmd.Final() {
	case 'A':
		v.moveTo(v.x, v.y-n(0, 1))
	case 'B':
		v.moveTo(v.x, v.y+n(0, 1))
	case 'C':
		v.moveTo(v.x+n(0, 1), v.y)
	case 'D':
		v.moveTo(v.x-n(0, 1), v.y)
	case 'E':
		v.moveTo(0, v.y+n(0, 1))
	case 'F':
		v.moveTo(0, v.y-n(0, 1))
	case 'G', '`':
		v.moveTo(n(0, 1)-1, v.y)
	case 'd':
		v.moveTo(v.x, n(0, 1)-1)
	case 'H', 'f':
		v.moveTo(n(1, 1)-1, n(0, 1)-1)
	case 'I':
		v.moveTo((v.x/8+n(0, 1))*8, v.y)
	case 'Z':
		v.moveTo(((v.x-1)/8-n(0, 1)+1)*8, v.y)
	case 'J':
		switch zero(0) {
		case 0:
			blank(line[v.x:])
			for _, l := range v.cells[v.y+1:] {
				blank(l)
			}
		case 1:
			blank(line[:v.x+1])
			for _, l := range v.cells[:v.y] {
				blank(l)
			}
		default:
			for _, l := range v.cells {
				blank(l)
			}
		}
	case 'K':
		switch zero(0) {
		case 0:
			blank(line[v.x:])
		case 1:
			blank(line[:v.x+1])
		default:
			blank(line)
		}
	case 'X':
		blank(line[v.x:min(v.x+n(0, 1), v.w)])
	case 'b':
		for range n(0, 1) {
			v.print(v.last, max(xansi.StringWidth(v.last), 1))
		}
	case '@':
		k := min(n(0, 1), v.w-v.x)
		copy(line[v.x+k:], line[v.x:])
		blank(line[v.x : v.x+k])
	case 'P':
		k := min(n(0, 1), v.w-v.x)
		copy(line[v.x:], line[v.x+k:])
		blank(line[v.w-k:])
	case 'L', 'M':
		if v.y < v.top || v.y > v.bottom {
			return
		}
		top := v.top
		v.top = v.y
		if cmd.Final() == 'L' {
			v.scroll(-n(0, 1))
		} else {
			v.scroll(n(0, 1))
		}
		v.top = top
	case 'S':
		v.scroll(n(0, 1))
	case 'T':
		v.scroll(-n(0, 1))
	case 'r':
		v.top, v.bottom = n(0, 1)-1, min(n(1, v.h), v.h)-1
		v.moveTo(0, 0)
	case 'h', 'l':
		if zero(0) == 4 {
			v.insert = cmd.Final() == 'h'
		}
	}
}

// colourSGR finds a colour set by SGR (30–38, 40–48, 90–97, 100–107);
// bold, faint, reverse and the resets are no colour.
var sgr = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

func hasColour(out string) bool {
	for _, m := range sgr.FindAllStringSubmatch(out, -1) {
		for _, p := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' }) {
			switch {
			case len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p[1] != '9':
				return true
			case len(p) == 3 && strings.HasPrefix(p, "10"):
				return true
			}
		}
	}
	return false
}

// startBrowse runs the real binary's browse in a 120×40 pseudo-terminal.
func startBrowse(t *testing.T, r *run, extraEnv ...string) (*exec.Cmd, *os.File, *ptyScreen) {
	t.Helper()
	return startBrowseSized(t, r, 120, 40, extraEnv...)
}

// startBrowseSized runs the real binary's browse in a cols×rows pseudo-terminal.
func startBrowseSized(t *testing.T, r *run, cols, rows int, extraEnv ...string) (*exec.Cmd, *os.File, *ptyScreen) {
	t.Helper()
	bin, err := exec.LookPath("invitectl") // the test binary, as testscript.Main installs it
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(r.env["XDG_DATA_HOME"], "invitectl", "invitectl.db")
	cmd := exec.Command(bin, "--db", db, "--as", "pty-admin", "browse")
	cmd.Env = append([]string{"HOME=" + r.env["HOME"], "TERM=xterm-256color", "TZ=UTC", "TEST_CLOCK=" + scriptEpoch, "PATH=" + os.Getenv("PATH")}, extraEnv...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tty.Close()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	screen := readScreen(t, tty)
	screen.cols, screen.rows = cols, rows
	return cmd, tty, screen
}

func waitExit(t *testing.T, cmd *exec.Cmd, s *ptyScreen) {
	t.Helper()
	err := cmd.Wait()
	<-s.done
	if err != nil {
		t.Fatalf("browse: %v\n%s", err, s.screen())
	}
}

// The real binary in a pseudo-terminal: sort by last name descending,
// revoke the first row through the dialog, quit; the store has it revoked,
// and the audit log says who did it.
func TestBrowseInPseudoTerminal(t *testing.T) {
	r := newRun(t)
	r.must("customers", "add", "Acme AB")
	for _, p := range [][3]string{
		{"Anna", "Ek", "anna@example.com"}, {"Bo", "Lind", "bo@example.com"},
		{"Cilla", "Öberg", "cilla@example.com"}, {"Dan", "Åberg", "dan@example.com"},
	} {
		r.must("invite", "--customer", "Acme AB", "--email", p[2], "--first-name", p[0], "--last-name", p[1], "--no-send")
	}
	cmd, tty, screen := startBrowse(t, r)
	screen.waitFor("Showing 1–4 of 4 results", "First name ▲")
	write := func(keys string) {
		t.Helper()
		if _, err := tty.WriteString(keys); err != nil {
			t.Fatal(err)
		}
	}
	write("\x1b[C") // → Last name
	write("s")
	screen.waitFor("Last name ▲", "Sorted by Last name, ascending.")
	write("s")
	shown := screen.waitFor("Last name ▼", "Sorted by Last name, descending.")
	// Swedish order, descending: Öberg, Åberg, Lind, Ek.
	if order := regexp.MustCompile(`Öberg|Åberg|Lind|Ek`).FindAllString(shown, -1); strings.Join(order, " ") != "Öberg Åberg Lind Ek" {
		t.Fatalf("rows in the order %v:\n%s", order, shown)
	}
	write("\r") // the actions of the first row
	screen.waitFor("Invitation 3", "cilla@example.com", "› Edit", "Resend invitation", "Revoke")
	write("\x1b[B\x1b[B\r") // ↓ ↓ Revoke
	screen.waitFor("The invitation for cilla@example.com will be revoked and the user will be unable to register an account.",
		"Are you sure you want to revoke this invitation?", "REVOKE [ CANCEL ]")
	write("\x1b[D") // ← REVOKE
	screen.waitFor("[ REVOKE ] CANCEL")
	write("\r")
	screen.waitFor("Revoked invitation 3 for cilla@example.com.", "Showing 1–3 of 3 results")
	write("q")
	waitExit(t, cmd, screen)
	if !hasColour(screen.raws()) {
		t.Error("no colour on a terminal")
	}

	r.tty = false
	if s := r.status("3"); s != "revoked" {
		t.Fatalf("invitation 3 is %s", s)
	}
	for _, id := range []string{"1", "2", "4"} {
		if s := r.status(id); s != "pending" {
			t.Errorf("invitation %s is %s", id, s)
		}
	}
	var audit struct {
		Events []struct{ Actor, Action string } `json:"events"`
	}
	if err := json.Unmarshal([]byte(r.must("audit", "3", "-o", "json")), &audit); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range audit.Events {
		found = found || e.Action == "revoke" && e.Actor == "pty-admin"
	}
	if !found {
		t.Errorf("no revoke by pty-admin in the audit log: %+v", audit.Events)
	}
}

// NO_COLOR (any non-empty value) turns colour off in browse too; the
// selected row still shows, reversed.
func TestBrowseNoColorInPseudoTerminal(t *testing.T) {
	r := newRun(t)
	r.must("customers", "add", "Acme AB")
	r.must("invite", "--customer", "Acme AB", "--email", "anna@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	cmd, tty, screen := startBrowse(t, r, "NO_COLOR=1")
	screen.waitFor("Showing 1–1 of 1 results")
	if _, err := tty.WriteString("q"); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd, screen)
	if out := screen.raws(); hasColour(out) || !strings.Contains(out, "\x1b[7m") {
		t.Errorf("NO_COLOR: colour, or no reverse video:\n%q", out)
	}
}

// Resend with the file transport at 80 and 200 columns: where the email was
// written goes to the status line, and nothing draws over the screen.
func TestBrowseResendInPseudoTerminal(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		r := newRun(t)
		r.must("customers", "add", "Acme AB")
		r.must("invite", "--customer", "Acme AB", "--email", "anna@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
		outbox := filepath.Join(r.env["XDG_DATA_HOME"], "outbox")
		cmd, tty, screen := startBrowseSized(t, r, size[0], size[1], "INVITECTL_MAIL_DIR="+outbox)
		screen.waitFor("Showing 1–1 of 1 results")
		if _, err := tty.WriteString("\r\x1b[B\r"); err != nil { // actions, ↓ Resend invitation
			t.Fatal(err)
		}
		shown := screen.waitFor("Resent invitation 1 to anna@example.com with the same link", "Wrote the email to anna@example.com as "+outbox)
		if _, err := tty.WriteString("q"); err != nil {
			t.Fatal(err)
		}
		waitExit(t, cmd, screen)
		if raw := screen.raws(); strings.Contains(raw, "invitectl: wrote") {
			t.Errorf("%dx%d: a notice drew over the screen:\n%s", size[0], size[1], shown)
		}
		for _, line := range strings.Split(shown, "\n") {
			if w := len([]rune(strings.TrimRight(line, " "))); w > size[0] {
				t.Errorf("%dx%d: a line of %d columns: %q", size[0], size[1], w, line)
			}
		}
	}
}

// The help overlay fits 80×24 and 200×50: its box is whole, every key and
// the closing note in sight.
func TestBrowseHelpInPseudoTerminal(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		r := newRun(t)
		r.must("customers", "add", "Acme AB")
		r.must("invite", "--customer", "Acme AB", "--email", "anna@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
		cmd, tty, screen := startBrowseSized(t, r, size[0], size[1])
		screen.waitFor("Showing 1–1 of 1 results")
		if _, err := tty.WriteString("?"); err != nil {
			t.Fatal(err)
		}
		screen.waitFor("Keys", "The table", "Pages, search, filter", "Menus, forms, dialogs", "Press ? or esc to close.")
		// The box is drawn whole once the screen settles: wait for its right edge.
		whole := func(screen string) bool {
			for _, line := range strings.Split(screen, "\n") {
				if !strings.Contains(line, "Keys") && !strings.Contains(line, "Press ? or esc") {
					continue
				}
				if l := strings.TrimRight(line, " "); !strings.HasSuffix(l, "│") {
					return false
				}
			}
			return true
		}
		deadline := time.After(10 * time.Second)
		for shown := screen.screen(); !whole(shown); {
			select {
			case <-screen.more:
				shown = screen.screen()
			case <-deadline:
				t.Fatalf("%dx%d: the help box is cut on the right:\n%s", size[0], size[1], shown)
			}
		}
		if _, err := tty.WriteString("?"); err != nil { // closes the help
			t.Fatal(err)
		}
		screen.waitFor("enter actions")
		if _, err := tty.WriteString("q"); err != nil {
			t.Fatal(err)
		}
		waitExit(t, cmd, screen)
	}
}
