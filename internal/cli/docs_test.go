package cli_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
)

// TestDocs runs the shell blocks of README.md and docs/*.md (not
// docs/reference, which is generated) as testscripts: one script per
// Markdown file, its blocks in order, against a fresh store in a fresh home
// folder, the file mail transport (an SMTP server on loopback is at
// 127.0.0.1:$SMTP_PORT), the test binary's fixed clock and TZ=UTC, with the
// test binary as invitectl and as ./invitectl. The convention is in
// docs/architecture.md, "Docs that run":
//
//   - a ```sh (or bash, shell) block without prompts runs as one sh -e script;
//   - a ```console block, or any block whose lines start with "$ ", runs each
//     "$ " command (with its "\" continuation lines) and compares what it
//     prints (stdout and stderr together) with the lines shown under it, when
//     there are any: "…" inside a line matches any text, a line of only "…"
//     any number of lines. A command may fail only when the output shown has
//     an "invitectl: error:" line, or when it ends in "# exit N";
//   - <!-- not run: REASON --> on the line before a block skips it;
//   - <!-- postgres --> runs a block against a fresh schema of the test
//     database (INVITECTL_TEST_POSTGRES_DSN), with the docs' example URL
//     postgres://invitectl@db.internal:5432/invitectl standing for it.
//
// Variables a block exports and the folder it changes to carry over to the
// blocks after it.
func TestDocs(t *testing.T) {
	root := filepath.Join("..", "..")
	files := []string{filepath.Join(root, "README.md")}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	dir := t.TempDir()
	pgDSN := postgresForDocs(t)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		blocks, err := parseDocBlocks(rel, string(src))
		if err != nil {
			t.Fatal(err)
		}
		script := docScript(blocks, pgDSN != "")
		name := strings.TrimSuffix(strings.ReplaceAll(rel, string(filepath.Separator), "-"), ".md") + ".txtar"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	params := scriptParams(t, dir, func(env *testscript.Env) error {
		bin, err := exec.LookPath("invitectl") // the test binary, as TestMain installs it
		if err != nil {
			return err
		}
		if err := os.Symlink(bin, filepath.Join(env.WorkDir, "invitectl")); err != nil {
			return err
		}
		env.Setenv("DOCS_POSTGRES_DSN", pgDSN)
		return nil
	})
	params.Cmds["docsh"] = runDocShell
	params.Cmds["doccmd"] = runDocCommand
	params.Cmds["docpostgres"] = docPostgres
	// In a group, so that the parallel scripts have ended before the update.
	t.Run("md", func(t *testing.T) { testscript.Run(t, params) })
	if os.Getenv("INVITECTL_UPDATE_DOCS") != "" {
		updateDocs(t, root)
	}
}

// docUpdates are the outputs that differ from the docs', by file, kept
// with INVITECTL_UPDATE_DOCS=1 to write into the docs instead of failing
// (review the result: a "…" the doc had is replaced by what was printed).
var docUpdates sync.Map // file → *[]docUpdate (scripts run in parallel, one per file)

type docUpdate struct {
	cmdLine  int // the 1-based line of the command's "$ "
	line     int // the 1-based line of the output's first line
	oldLines int
	output   string
}

func recordDocUpdate(file string, cmdLine, line, oldLines int, output string) {
	v, _ := docUpdates.LoadOrStore(file, &[]docUpdate{})
	l := v.(*[]docUpdate)
	*l = append(*l, docUpdate{cmdLine, line, oldLines, output})
}

func updateDocs(t *testing.T, root string) {
	docUpdates.Range(func(k, v any) bool {
		path := filepath.Join(root, k.(string))
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(src), "\n")
		ups := *v.(*[]docUpdate)
		sort.Slice(ups, func(i, j int) bool { return ups[i].line > ups[j].line })
		for _, u := range ups {
			l := lines[u.cmdLine-1]
			indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
			var out []string
			for _, l := range strings.Split(strings.TrimRight(u.output, "\n"), "\n") {
				out = append(out, strings.TrimRight(indent+l, " "))
			}
			lines = append(lines[:u.line-1], append(out, lines[u.line-1+u.oldLines:]...)...)
		}
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s: %d outputs", path, len(ups))
		return true
	})
}

// postgresForDocs is the test database's DSN, or "" when there is none and
// none is required (the PostgreSQL blocks are then skipped, saying so).
func postgresForDocs(t *testing.T) string {
	if os.Getenv("INVITECTL_TEST_POSTGRES_DSN") == "" && os.Getenv("INVITECTL_REQUIRE_SERVICES") == "" {
		t.Log("INVITECTL_TEST_POSTGRES_DSN is not set: the docs' PostgreSQL blocks are skipped")
		return ""
	}
	return pgtest.DSN(t, os.Getenv)
}

// docBlock is one fenced block of a Markdown file.
type docBlock struct {
	file     string
	line     int // of the opening fence, 1-based
	lang     string
	body     []string
	skip     string // the reason given by <!-- not run: … -->
	postgres bool   // <!-- postgres -->
}

var (
	fenceRE     = regexp.MustCompile("^( *)(```+|~~~+)\\s*([A-Za-z0-9_+-]*)")
	notRunRE    = regexp.MustCompile(`^<!--\s*not run:\s*(.+?)\s*-->$`)
	postgresRE  = regexp.MustCompile(`^<!--\s*postgres\s*-->$`)
	exitRE      = regexp.MustCompile(`\s#\s*exit\s+(\d+)\s*$`)
	docPGURLRE  = regexp.MustCompile(`postgres://invitectl@db\.internal:5432/invitectl(\?[^\s'"]*)?`)
	errorLineRE = regexp.MustCompile(`(?m)^invitectl: error:`)
)

// parseDocBlocks finds the fenced blocks of a Markdown file with the
// marker on the line before each, if any.
func parseDocBlocks(file, src string) ([]docBlock, error) {
	var blocks []docBlock
	lines := strings.Split(src, "\n")
	prev := ""
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil {
			if s := strings.TrimSpace(lines[i]); s != "" {
				prev = s
			}
			continue
		}
		indent, fence := len(m[1]), m[2]
		b := docBlock{file: file, line: i + 1, lang: m[3]}
		if r := notRunRE.FindStringSubmatch(prev); r != nil {
			b.skip = r[1]
		}
		b.postgres = postgresRE.MatchString(prev)
		closed := false
		for i++; i < len(lines); i++ {
			if strings.HasPrefix(strings.TrimLeft(lines[i], " "), fence[:3]) && strings.TrimSpace(lines[i]) == strings.Repeat(fence[:1], len(strings.TrimSpace(lines[i]))) {
				closed = true
				break
			}
			line := lines[i]
			if len(line)-len(strings.TrimLeft(line, " ")) >= indent {
				line = line[indent:]
			} else {
				line = strings.TrimLeft(line, " ")
			}
			b.body = append(b.body, line)
		}
		if !closed {
			return nil, fmt.Errorf("%s:%d: the block is not closed", file, b.line)
		}
		blocks = append(blocks, b)
		prev = ""
	}
	return blocks, nil
}

// console reports whether a block shows commands with "$ " prompts.
func (b docBlock) console() bool {
	if b.lang == "console" {
		return true
	}
	if b.lang != "" && !b.shell() {
		return false
	}
	for _, l := range b.body {
		if strings.TrimSpace(l) == "" {
			continue
		}
		return strings.HasPrefix(l, "$ ")
	}
	return false
}

func (b docBlock) shell() bool {
	switch b.lang {
	case "sh", "bash", "shell":
		return true
	}
	return false
}

// docScript turns a file's blocks into a testscript, its files in the
// archive; without a test database the PostgreSQL blocks are left out.
func docScript(blocks []docBlock, withPostgres bool) string {
	var script strings.Builder
	var files []string
	fmt.Fprintf(&script, "# Generated by TestDocs.\n")
	for bi, b := range blocks {
		if !b.console() && !b.shell() {
			continue
		}
		where := fmt.Sprintf("%s:%d", b.file, b.line)
		if b.skip != "" {
			fmt.Fprintf(&script, "# %s: not run: %s\n", where, b.skip)
			continue
		}
		if b.postgres && !withPostgres {
			fmt.Fprintf(&script, "# %s: not run: a PostgreSQL block, and INVITECTL_TEST_POSTGRES_DSN is not set\n", where)
			continue
		}
		if b.postgres {
			fmt.Fprintf(&script, "docpostgres\n")
		}
		if !b.console() {
			name := fmt.Sprintf("block-%d.sh", bi)
			files = append(files, "-- "+name+" --\n"+strings.Join(b.body, "\n")+"\n")
			fmt.Fprintf(&script, "docsh %s %s %v\n", name, where, b.postgres)
			continue
		}
		for ci, c := range consoleCommands(b) {
			name := fmt.Sprintf("cmd-%d-%d", bi, ci)
			files = append(files, "-- "+name+".sh --\n"+c.command+"\n", "-- "+name+".want --\n"+c.output)
			fmt.Fprintf(&script, "doccmd %s %s:%d %v\n", name, b.file, b.line+1+c.line, b.postgres)
		}
	}
	return script.String() + strings.Join(files, "")
}

// consoleCommand is one "$ " command of a console block and what the doc
// shows it printing.
type consoleCommand struct {
	line    int // in the block's body, 0-based
	command string
	output  string
}

func consoleCommands(b docBlock) []consoleCommand {
	var cmds []consoleCommand
	for i := 0; i < len(b.body); i++ {
		l := b.body[i]
		if !strings.HasPrefix(l, "$ ") {
			if len(cmds) > 0 {
				cmds[len(cmds)-1].output += l + "\n"
			}
			continue
		}
		c := consoleCommand{line: i, command: strings.TrimPrefix(l, "$ ")}
		for strings.HasSuffix(c.command, "\\") && i+1 < len(b.body) {
			i++
			c.command += "\n" + b.body[i]
		}
		cmds = append(cmds, c)
	}
	for i := range cmds {
		cmds[i].output = strings.TrimRight(cmds[i].output, "\n")
		if cmds[i].output != "" {
			cmds[i].output += "\n"
		}
	}
	return cmds
}

// docShell runs a doc's shell text with sh in the script's folder and
// environment, and carries the variables it exported and the folder it
// ended in over to the rest of the script. It returns the exit code.
func docShell(ts *testscript.TestScript, text string, errexit, postgres bool) int {
	if postgres {
		text = docPGURLRE.ReplaceAllStringFunc(text, func(u string) string { return postgresURL(ts, u) })
	}
	before, after := ts.MkAbs(".docenv-before"), ts.MkAbs(".docenv-after")
	opts := ""
	if errexit {
		opts = "set -e\n"
	}
	wrapped := fmt.Sprintf("env -0 > %q\ntrap 'env -0 > %q' EXIT\n%s%s\n", before, after, opts, text)
	// A command that does not end (a server, an editor waiting for a
	// terminal) fails after a while instead of hanging the test.
	err := ts.Exec("timeout", "-k", "5", "120", "sh", "-c", wrapped)
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("running sh: %v", err)
		}
		code = ee.ExitCode()
		if code == 124 {
			ts.Fatalf("the block did not end within 120 s: a server or a terminal program? mark it <!-- not run: REASON -->\n%s", text)
		}
	}
	old, changed := readEnv(ts, before), readEnv(ts, after)
	for k, v := range changed {
		if old[k] != v && k != "SHLVL" && k != "_" && k != "OLDPWD" {
			if k == "PWD" {
				ts.Check(ts.Chdir(v))
				continue
			}
			ts.Setenv(k, v)
		}
	}
	for k := range old {
		if _, ok := changed[k]; !ok && k != "_" {
			ts.Setenv(k, "")
		}
	}
	return code
}

func readEnv(ts *testscript.TestScript, path string) map[string]string {
	b, err := os.ReadFile(path)
	ts.Check(err)
	env := map[string]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// docsh FILE WHERE POSTGRES: runs a sh block; any failure fails the script.
func runDocShell(ts *testscript.TestScript, neg bool, args []string) {
	if code := docShell(ts, ts.ReadFile(args[0]), true, args[2] == "true"); code != 0 {
		ts.Fatalf("%s: the block exited %d\nstdout:\n%s\nstderr:\n%s", args[1], code, ts.ReadFile("stdout"), ts.ReadFile("stderr"))
	}
}

// doccmd NAME WHERE POSTGRES: runs NAME.sh, one console command, and
// compares its output with NAME.want.
func runDocCommand(ts *testscript.TestScript, neg bool, args []string) {
	name, where := args[0], args[1]
	command, want := strings.TrimSuffix(ts.ReadFile(name+".sh"), "\n"), ts.ReadFile(name+".want")
	code := docShell(ts, "{\n"+command+"\n} 2>&1", false, args[2] == "true")
	// The home folder is the script's: a doc writes it as ~.
	got := strings.ReplaceAll(ts.ReadFile("stdout"), ts.Getenv("WORK"), "~")
	if m := exitRE.FindStringSubmatch(command); m != nil {
		if w, _ := strconv.Atoi(m[1]); code != w {
			ts.Fatalf("%s: $ %s\nexit %d, the doc says %d\noutput:\n%s", where, command, code, w, got)
		}
	} else if code != 0 && !errorLineRE.MatchString(want) {
		ts.Fatalf("%s: $ %s\nexit %d, and the doc shows no error (end the command in \"# exit %d\" if that is meant)\noutput:\n%s", where, command, code, code, got)
	}
	if want != "" && !outputMatches(want, got) {
		if os.Getenv("INVITECTL_UPDATE_DOCS") != "" {
			file, line, _ := strings.Cut(where, ":")
			n, _ := strconv.Atoi(line)
			recordDocUpdate(file, n, n+1+strings.Count(command, "\n"), strings.Count(want, "\n"), unstable(got))
			return
		}
		ts.Fatalf("%s: $ %s\nthe output differs from the doc's\n--- doc\n%s--- got\n%s", where, command, want, got)
	}
}

// docpostgres: the next block runs against PostgreSQL, in a schema of the
// test database made for this file.
func docPostgres(ts *testscript.TestScript, neg bool, args []string) {
	if ts.Getenv("DOCS_POSTGRES_URL") != "" {
		return
	}
	name, u, err := pgtest.CreateSchema(context.Background(), ts.Getenv("DOCS_POSTGRES_DSN"), "docs")
	ts.Check(err)
	dsn := ts.Getenv("DOCS_POSTGRES_DSN")
	ts.Defer(func() { _ = pgtest.DropSchema(context.Background(), dsn, name) })
	ts.Setenv("DOCS_POSTGRES_URL", u)
}

// postgresURL is the test schema's URL with the parameters of the doc's
// example URL doc added (the test database's own connection settings win).
func postgresURL(ts *testscript.TestScript, doc string) string {
	test, err := url.Parse(ts.Getenv("DOCS_POSTGRES_URL"))
	ts.Check(err)
	d, err := url.Parse(doc)
	ts.Check(err)
	q := test.Query()
	for k, vs := range d.Query() {
		if k == "sslmode" || q.Has(k) {
			continue
		}
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	test.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // a space, as libpq reads URLs
	return test.String()
}

// unstable puts … where output differs from run to run: link tokens and
// the random part of outbox file names.
func unstable(s string) string {
	s = tokenRE.ReplaceAllString(s, "/invite/…")
	return emlRE.ReplaceAllString(s, "${1}…-")
}

var (
	tokenRE = regexp.MustCompile(`/invite/[A-Za-z0-9_-]{20,}`)
	emlRE   = regexp.MustCompile(`(\d{8}T\d{6}Z-)[a-z0-9]{20,}-`)
)

// outputMatches compares output with what a doc shows: line by line,
// trailing spaces ignored, "…" in a line matching any text and a line of
// only "…" any number of lines.
func outputMatches(want, got string) bool {
	var re strings.Builder
	re.WriteString(`\A`)
	sc := bufio.NewScanner(strings.NewReader(want))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t")
		if line == "…" {
			re.WriteString(`(?:[^\n]*\n)*?`)
			continue
		}
		parts := strings.Split(line, "…")
		for i, p := range parts {
			if i > 0 {
				re.WriteString(`[^\n]*?`)
			}
			re.WriteString(regexp.QuoteMeta(p))
		}
		re.WriteString(`\n`)
	}
	re.WriteString(`\z`)
	var norm strings.Builder
	sc = bufio.NewScanner(strings.NewReader(got))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		norm.WriteString(strings.TrimRight(sc.Text(), " \t") + "\n")
	}
	return regexp.MustCompile(re.String()).MatchString(norm.String())
}

// The comparison itself: what matches and what does not.
func TestDocOutputMatches(t *testing.T) {
	for _, c := range []struct {
		want, got string
		ok        bool
	}{
		{"a\nb\n", "a\nb\n", true},
		{"a\nb\n", "a  \nb\n", true},
		{"a\nb\n", "a\nc\n", false},
		{"a\n", "a\nb\n", false},
		{"Link: http://…/invite/…\n", "Link: http://127.0.0.1:8080/invite/AbC\n", true},
		{"first\n…\nlast\n", "first\nx\ny\nlast\n", true},
		{"first\n…\nlast\n", "first\nlast\n", true},
		{"first\n…\nlast\n", "first\nx\n", false},
		{"a.b\n", "axb\n", false},
	} {
		if got := outputMatches(c.want, c.got); got != c.ok {
			t.Errorf("outputMatches(%q, %q) = %v", c.want, c.got, got)
		}
	}
}
