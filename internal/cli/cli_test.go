package cli_test

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/cli"

	_ "modernc.org/sqlite" // to write raw rows
)

// testEpoch is the instant in-process runs start at: no test depends on
// today's date.
var testEpoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// run runs invitectl in-process with the given environment and terminal state.
type run struct {
	t      testing.TB
	env    map[string]string
	now    time.Time // the clock every command of the run sees
	tty    bool
	width  int // terminal columns, 0 for the default of 200
	stdin  string
	stdout bytes.Buffer
	stderr bytes.Buffer
}

func newRun(t testing.TB) *run {
	dir := t.TempDir()
	return &run{t: t, now: testEpoch, env: map[string]string{
		"HOME": dir, "XDG_DATA_HOME": filepath.Join(dir, "data"), "XDG_CONFIG_HOME": filepath.Join(dir, "config"),
	}}
}

func (r *run) do(args ...string) int {
	r.t.Helper()
	r.stdout.Reset()
	r.stderr.Reset()
	return cli.Main(context.Background(), cli.Env{
		Args:     args,
		Getenv:   func(k string) string { return r.env[k] },
		Username: "tester",
		Now:      func() time.Time { return r.now },
		IO: cli.IOStreams{In: strings.NewReader(r.stdin), Out: &r.stdout, ErrOut: &r.stderr,
			InTTY: r.tty, OutTTY: r.tty, ErrTTY: r.tty, Width: cmp.Or(r.width, 200)},
	})
}

func (r *run) must(args ...string) string {
	r.t.Helper()
	if code := r.do(args...); code != 0 {
		r.t.Fatalf("%v: exit %d\n%s", args, code, r.stderr.String())
	}
	return r.stdout.String()
}

func (r *run) status(id string) string {
	r.t.Helper()
	var v struct{ Status string }
	if err := json.Unmarshal([]byte(r.must("show", id, "-o", "json")), &v); err != nil {
		r.t.Fatal(err)
	}
	return v.Status
}

func setup(t *testing.T) *run {
	r := newRun(t)
	r.must("customers", "add", "Acme AB")
	r.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	r.must("invite", "--customer", "Acme AB", "--email", "b@example.com", "--first-name", "Bo", "--last-name", "Ek", "--no-send")
	return r
}

func TestRevokeAsksOnTerminal(t *testing.T) {
	r := setup(t)
	r.tty = true
	for _, answer := range []string{"\n", "n\n", "no\n", "maybe\n", ""} {
		r.stdin = answer
		if code := r.do("revoke", "1"); code != cli.ExitCancelled {
			t.Fatalf("answer %q: exit %d, want %d", answer, code, cli.ExitCancelled)
		}
		out := r.stdout.String()
		if !strings.Contains(out, "The invitation for a@example.com will be revoked and the user will be unable to register an account.\n") ||
			!strings.Contains(out, "Are you sure you want to revoke this invitation? [y/N] ") {
			t.Fatalf("prompt text wrong:\n%s", out)
		}
		r.tty = false
		if s := r.status("1"); s != "pending" {
			t.Fatalf("answer %q revoked the invitation (status %s)", answer, s)
		}
		r.tty = true
	}
	for i, answer := range []string{"y\n", "YES\n"} {
		id := []string{"1", "2"}[i]
		r.stdin = answer
		if code := r.do("revoke", id); code != 0 {
			t.Fatalf("answer %q: exit %d: %s", answer, code, r.stderr.String())
		}
		r.tty = false
		if s := r.status(id); s != "revoked" {
			t.Fatalf("answer %q: status %s", answer, s)
		}
		r.tty = true
	}
}

func TestConfigPrecedence(t *testing.T) {
	r := newRun(t)
	cfg := filepath.Join(r.env["XDG_CONFIG_HOME"], "invitectl", "config.yaml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte("base_url: https://from-file.example\nlisten: 127.0.0.1:9000\nsmtp:\n  host: smtp.file.example\n  password: hunter2-secret\nactor: file-actor\n"), 0o600)
	r.env["INVITECTL_LISTEN"] = "127.0.0.1:9100"
	r.env["INVITECTL_ACTOR"] = "env-actor"
	r.env["INVITECTL_SMTP_PORT"] = "2525" // beside the file's smtp.host, in the same section
	out := r.must("config", "show", "-o", "json", "--as", "flag-actor")
	var v struct {
		ConfigFile string `json:"config_file"`
		Settings   []struct{ Key, Value, Source string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	got := map[string][2]string{}
	for _, s := range v.Settings {
		got[s.Key] = [2]string{s.Value, s.Source}
	}
	want := map[string][2]string{
		"base_url":       {"https://from-file.example", "config " + cfg},
		"listen":         {"127.0.0.1:9100", "env INVITECTL_LISTEN"},
		"actor":          {"flag-actor", "flag --as"},
		"smtp.password":  {"<redacted>", "config " + cfg},
		"mail.transport": {"smtp", "default"}, // smtp because a host is set
		"smtp.host":      {"smtp.file.example", "config " + cfg},
		"smtp.port":      {"2525", "env INVITECTL_SMTP_PORT"},
		"output":         {"json", "flag --output"},
		"db":             {filepath.Join(r.env["XDG_DATA_HOME"], "invitectl", "invitectl.db"), "default"},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Error("config show leaks the SMTP password")
	}
	// An explicit config file that does not exist is an error.
	r.env["INVITECTL_CONFIG"] = filepath.Join(t.TempDir(), "nope.yaml")
	if code := r.do("config", "show"); code != cli.ExitInvalid {
		t.Errorf("missing explicit config: exit %d", code)
	}
}

func TestColourOnlyOnTerminal(t *testing.T) {
	r := setup(t)
	if out := r.must("list"); strings.Contains(out, "\x1b[") {
		t.Error("colour when not a terminal")
	}
	r.tty = true
	if out := r.must("list"); !strings.Contains(out, "\x1b[") {
		t.Error("no colour on a terminal")
	}
	if out := r.must("list", "--no-color"); strings.Contains(out, "\x1b[") {
		t.Error("colour despite --no-color")
	}
	r.env["NO_COLOR"] = "1"
	if out := r.must("list"); strings.Contains(out, "\x1b[") {
		t.Error("colour despite NO_COLOR")
	}
}

func TestEditInEditor(t *testing.T) {
	r := setup(t)
	r.tty = true
	dir := t.TempDir()
	// An editor that first saves an invalid phone, then, reopened with the
	// errors as comments, fixes it.
	script := filepath.Join(dir, "editor.sh")
	os.WriteFile(script, []byte(`#!/bin/sh
n=$(cat "`+dir+`/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "`+dir+`/count"
cp "$1" "`+dir+`/seen$n"
if [ $n = 1 ]; then sed -i 's/^phone:.*/phone: "abc"/; s/^last_name:.*/last_name: Öberg/' "$1"; fi
if [ $n = 2 ]; then sed -i 's/^phone:.*/phone: "070-1234567"/' "$1"; fi
`), 0o700)
	r.env["EDITOR"] = script
	out := r.must("edit", "1")
	if !strings.Contains(out, "changed last-name, phone") {
		t.Fatalf("edit output: %s", out)
	}
	seen2, _ := os.ReadFile(filepath.Join(dir, "seen2"))
	if !strings.Contains(string(seen2), "# The changes could not be saved:") || !strings.Contains(string(seen2), "phone:") {
		t.Fatalf("reopened file lacks the errors:\n%s", seen2)
	}
	r.tty = false
	show := r.must("show", "1", "-o", "json")
	if !strings.Contains(show, `"phone": "+46701234567"`) || !strings.Contains(show, `"last_name": "Öberg"`) {
		t.Fatalf("edit not applied: %s", show)
	}
	// An editor closed without saving changes nothing, and is cancelled
	// (exit 6) like a declined prompt.
	r.tty = true
	r.env["EDITOR"] = "true"
	if code := r.do("edit", "2"); code != cli.ExitCancelled || !strings.Contains(r.stderr.String(), "invitectl: error: edit cancelled: the file was closed unchanged; invitation 2 was not changed") {
		t.Fatalf("want cancellation (exit 6), got exit %d, %q", code, r.stderr.String())
	}
}

func TestDynamicCompletion(t *testing.T) {
	r := setup(t)
	r.must("customers", "add", "Östra Vård AB")
	out := r.must("__complete", "invite", "--customer", "")
	if !strings.Contains(out, "Acme AB\nÖstra Vård AB\n") {
		t.Errorf("customer completion:\n%s", out)
	}
	out = r.must("__complete", "list", "--sort", "la")
	for _, want := range []string{"last-name", "last-name:desc"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("sort completion lacks %s:\n%s", want, out)
		}
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		if out := r.must("completion", sh); len(out) < 100 {
			t.Errorf("completion %s printed %d bytes", sh, len(out))
		}
	}
}

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Ctrl-C at the revoke prompt cancels at once (exit 6): it does not wait for
// Enter, and the line typed next is not taken as the answer.
func TestRevokeCtrlCCancelsAtOnce(t *testing.T) {
	r := setup(t)
	stdin, typing := io.Pipe()
	defer typing.Close()
	var stdout, stderr syncBuffer
	ctx, interrupt := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- cli.Main(ctx, cli.Env{
			Args: []string{"revoke", "1", "2"}, Getenv: func(k string) string { return r.env[k] },
			Username: "tester", Now: func() time.Time { return r.now },
			IO: cli.IOStreams{In: stdin, Out: &stdout, ErrOut: &stderr, InTTY: true, OutTTY: true, ErrTTY: true, Width: 200},
		})
	}()
	for !strings.Contains(stdout.String(), "[y/N] ") {
		select {
		case code := <-done:
			t.Fatalf("exited %d before asking:\n%s%s", code, stdout.String(), stderr.String())
		case <-time.After(time.Millisecond):
		}
	}
	interrupt()
	// Nothing is typed: the command must end on the interrupt alone.
	if code := <-done; code != cli.ExitCancelled {
		t.Fatalf("exit %d, want %d\n%s", code, cli.ExitCancelled, stderr.String())
	}
	if !strings.Contains(stderr.String(), "cancelled") {
		t.Errorf("stderr: %q", stderr.String())
	}
	if strings.Count(stdout.String(), "[y/N]") != 1 {
		t.Errorf("asked again after Ctrl-C:\n%s", stdout.String())
	}
	for _, id := range []string{"1", "2"} {
		if s := r.status(id); s != "pending" {
			t.Errorf("invitation %s is %s after Ctrl-C", id, s)
		}
	}
}

// The actor is 1–100 printable characters: control characters would reach
// terminals raw and forge audit lines.
func TestActorMustBePrintable(t *testing.T) {
	r := setup(t)
	for _, actor := range []string{"\x1b]0;pwned\a\x1b[2J", "admin\nFAKE LINE", "ad\u202emin", strings.Repeat("x", 101)} {
		if code := r.do("--as", actor, "revoke", "1", "--yes"); code != cli.ExitInvalid {
			t.Errorf("--as %q: exit %d, want %d", actor, code, cli.ExitInvalid)
		}
		if !strings.Contains(r.stderr.String(), "invalid actor from flag --as") {
			t.Errorf("--as %q: stderr %q", actor, r.stderr.String())
		}
		r.env["INVITECTL_ACTOR"] = actor
		if code := r.do("list"); code != cli.ExitInvalid || !strings.Contains(r.stderr.String(), "env INVITECTL_ACTOR") {
			t.Errorf("INVITECTL_ACTOR=%q: exit %d, stderr %q", actor, code, r.stderr.String())
		}
		delete(r.env, "INVITECTL_ACTOR")
	}
	if s := r.status("1"); s != "pending" {
		t.Errorf("a refused actor changed the invitation: %s", s)
	}
	r.must("--as", "Åsa Lind", "revoke", "1", "--yes")
	if out := r.must("audit", "1", "-o", "json"); !strings.Contains(out, `"actor": "Åsa Lind"`) {
		t.Errorf("audit: %s", out)
	}
}

// Text written before the input rules existed (or by another tool) may hold
// control characters: no table or message lets them act on the terminal.
func TestStoredControlCharactersAreEscaped(t *testing.T) {
	r := setup(t)
	db, err := sql.Open("sqlite", filepath.Join(r.env["XDG_DATA_HOME"], "invitectl", "invitectl.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE invitations SET first_name = 'An' || char(27) || ']0;pwned' || char(7) || 'na', created_by = 'ev' || char(10) || 'FAKE LINE' WHERE id = 1",
		"UPDATE customers SET name = 'Acme' || char(8238) || 'BA' WHERE id = 1",
		"UPDATE audit_events SET actor = 'x' || char(27) || '[2J', detail = 'd' || char(13) || 'forged'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	r.tty = true
	for _, args := range [][]string{{"list"}, {"list", "--status", "all"}, {"show", "1"}, {"audit"}, {"customers", "list"}} {
		out := r.must(append(args, "--no-color")...)
		if i := strings.IndexFunc(out, func(c rune) bool { return c < ' ' && c != '\n' || c == '\u202e' }); i >= 0 {
			t.Errorf("%v prints the control character %q:\n%s", args, out[i], out)
		}
	}
	if out := r.must("show", "1"); !strings.Contains(out, `An\x1b]0;pwned\x07na`) || !strings.Contains(out, `ev\x0aFAKE LINE`) {
		t.Errorf("show does not show the escaped text:\n%s", out)
	}
	r.tty = false
	r.must("revoke", "1", "--yes")
	if out := r.stdout.String(); strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("revoke message: %q", out)
	}
	// JSON keeps the data as it is, escaped by the encoder.
	if out := r.must("show", "1", "-o", "json"); !strings.Contains(out, `"first_name": "An\u001b]0;pwned\u0007na"`) {
		t.Errorf("json: %s", out)
	}
}

// REFs complete with open invitations: IDs newest first with the email as
// the description, or emails once a letter is typed.
func TestRefCompletion(t *testing.T) {
	r := setup(t)
	r.must("revoke", "2", "--yes")
	out := r.must("__complete", "show", "")
	if !strings.Contains(out, "1\ta@example.com\n") || strings.Contains(out, "b@example.com") {
		t.Errorf("show completion:\n%s", out)
	}
	out = r.must("__complete", "resend", "a")
	if !strings.Contains(out, "a@example.com\tAnna Ek\n") {
		t.Errorf("email completion:\n%s", out)
	}
	// Completing never creates a store.
	r.env["INVITECTL_DB"] = filepath.Join(t.TempDir(), "none.db")
	r.do("__complete", "edit", "")
	if _, err := os.Stat(r.env["INVITECTL_DB"]); err == nil {
		t.Error("completion created a store")
	}
}

func TestRevokeJSONReportsEveryRef(t *testing.T) {
	r := setup(t)
	if code := r.do("revoke", "1", "99", "nobody@example.com", "--yes", "-o", "json"); code != cli.ExitNotFound {
		t.Fatalf("exit %d: %s", code, r.stderr.String())
	}
	var v struct {
		Results []struct {
			Ref, Outcome string
			ID           *int64
			Error        *string
		}
		Done, Failed int
	}
	if err := json.Unmarshal(r.stdout.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.Done != 1 || v.Failed != 2 || len(v.Results) != 3 ||
		v.Results[0].Outcome != "revoked" || v.Results[0].Error != nil || *v.Results[0].ID != 1 || v.Results[1].ID != nil ||
		v.Results[1].Ref != "99" || v.Results[1].Outcome != "not_found" || v.Results[1].Error == nil ||
		v.Results[2].Outcome != "not_found" {
		t.Errorf("%+v\n%s", v, r.stdout.String())
	}
}
