package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/term"

	"github.com/invitectl/invitectl/internal/cli"
	"github.com/invitectl/invitectl/internal/mailtest"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
)

// scriptEpoch is the instant every script starts at. A script moves time
// with `env TEST_CLOCK=…` (RFC 3339); the variable exists only in this test
// binary, never in the shipped one.
const scriptEpoch = "2026-01-05T09:00:00Z"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"invitectl": func() {
			now, err := time.Parse(time.RFC3339, os.Getenv("TEST_CLOCK"))
			if err != nil {
				fmt.Fprintf(os.Stderr, "test binary: TEST_CLOCK=%q: %v\n", os.Getenv("TEST_CLOCK"), err)
				os.Exit(1)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			// Terminals as cmd/invitectl finds them (scripts have none; the
			// pseudo-terminal tests do).
			width, _, _ := term.GetSize(int(os.Stdout.Fd()))
			code := cli.Main(ctx, cli.Env{
				Args: os.Args[1:], Getenv: os.Getenv, LookupEnv: os.LookupEnv, Username: "tester",
				IO: cli.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
					InTTY: term.IsTerminal(int(os.Stdin.Fd())), OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
					ErrTTY: term.IsTerminal(int(os.Stderr.Fd())), Width: width},
				Now:     func() time.Time { return now },
				Version: "test", Commit: "none", Date: "unknown",
			})
			stop()
			os.Exit(code)
		},
	})
}

// TestScripts runs the end-to-end scripts in testdata/script against the
// real command, a real SQLite file and a real SMTP server on loopback.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "../../testdata/script", nil))
}

// TestScriptsPostgres runs the same scripts with every command on a fresh,
// migrated PostgreSQL schema per script: a difference between the stores
// that shows in output fails here.
func TestScriptsPostgres(t *testing.T) {
	dsn := pgtest.DSN(t, os.Getenv)
	testscript.Run(t, scriptParams(t, "../../testdata/script", func(env *testscript.Env) error {
		ctx := context.Background()
		name, url, err := pgtest.CreateSchema(ctx, dsn, "script")
		if err != nil {
			return err
		}
		env.Defer(func() { pgtest.DropSchema(context.Background(), dsn, name) })
		if _, err := postgres.Migrate(ctx, url); err != nil {
			return err
		}
		env.Setenv("INVITECTL_DB", url)
		env.Setenv("INVITECTL_LINK_SECRET", testSecret)
		return nil
	}))
}

func scriptParams(t *testing.T, dir string, extraSetup func(*testscript.Env) error) testscript.Params {
	var servers sync.Map // work dir → *mailtest.Server; scripts run in parallel
	server := func(ts *testscript.TestScript) *mailtest.Server {
		v, _ := servers.Load(ts.Getenv("WORK"))
		return v.(*mailtest.Server)
	}
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			srv, err := mailtest.Listen("127.0.0.1:0")
			if err != nil {
				return err
			}
			env.Defer(func() { srv.Close() })
			servers.Store(env.WorkDir, srv)
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_DATA_HOME", filepath.Join(env.WorkDir, ".local", "share"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("SMTP_PORT", strconv.Itoa(srv.Port()))
			env.Setenv("INVITECTL_ACTOR", "")
			env.Setenv("TEST_CLOCK", scriptEpoch)
			env.Setenv("TZ", "UTC")
			port, err := freePort()
			if err != nil {
				return err
			}
			env.Setenv("SERVE_PORT", strconv.Itoa(port))
			if extraSetup != nil {
				return extraSetup(env)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exits N CMD ARGS...: runs CMD and checks its exit code is N.
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("running %s: %v", args[1], err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("exit code %d, want %d\nstderr:\n%s", got, want, ts.ReadFile("stderr"))
				}
			},
			// mailcount N: the SMTP server received exactly N messages.
			"mailcount": func(ts *testscript.TestScript, neg bool, args []string) {
				srv := server(ts)
				want, _ := strconv.Atoi(args[0])
				got := len(srv.Messages())
				if (got == want) == neg {
					ts.Fatalf("mailcount: got %d messages, want %s%d", got, map[bool]string{true: "not ", false: ""}[neg], want)
				}
			},
			// maildump FILE: writes every received message, decoded enough to grep.
			"maildump": func(ts *testscript.TestScript, neg bool, args []string) {
				srv := server(ts)
				var b strings.Builder
				for i, m := range srv.Messages() {
					fmt.Fprintf(&b, "=== message %d from %s to %s\n%s\n", i+1, m.From, strings.Join(m.To, ","), unfoldQP(string(m.Data)))
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o600))
			},
			// samelink I J: messages I and J (1-based) carry the same link.
			"samelink": func(ts *testscript.TestScript, neg bool, args []string) {
				msgs := server(ts).Messages()
				i, _ := strconv.Atoi(args[0])
				j, _ := strconv.Atoi(args[1])
				if i < 1 || j < 1 || i > len(msgs) || j > len(msgs) {
					ts.Fatalf("samelink: only %d messages", len(msgs))
				}
				a, b := linkRE.FindString(unfoldQP(string(msgs[i-1].Data))), linkRE.FindString(unfoldQP(string(msgs[j-1].Data)))
				if a == "" || b == "" {
					ts.Fatalf("samelink: no link in message %d or %d", i, j)
				}
				if (a == b) == neg {
					ts.Fatalf("samelink: %q vs %q", a, b)
				}
			},
			// linkpath: takes the /invite/TOKEN path from the last stdout into $LINK.
			"linkpath": func(ts *testscript.TestScript, neg bool, args []string) {
				p := linkRE.FindString(ts.ReadFile("stdout"))
				if p == "" {
					ts.Fatalf("linkpath: no link in stdout")
				}
				ts.Setenv("LINK", p)
			},
			// resetpath: sets $RESET to the password reset link path in the
			// last message the SMTP server received.
			"resetpath": func(ts *testscript.TestScript, neg bool, args []string) {
				msgs := server(ts).Messages()
				if len(msgs) == 0 {
					ts.Fatalf("resetpath: no messages")
				}
				p := resetRE.FindString(unfoldQP(string(msgs[len(msgs)-1].Data)))
				if p == "" {
					ts.Fatalf("resetpath: no reset link in the last message")
				}
				ts.Setenv("RESET", p)
			},
			// httpwait PATH: waits until serve-accept answers on $SERVE_PORT.
			"httpwait": func(ts *testscript.TestScript, neg bool, args []string) {
				url := "http://127.0.0.1:" + ts.Getenv("SERVE_PORT") + args[0]
				for i := 0; i < 200; i++ {
					if resp, err := http.Get(url); err == nil {
						resp.Body.Close()
						return
					}
					time.Sleep(25 * time.Millisecond)
				}
				ts.Fatalf("httpwait: %s does not answer", url)
			},
			// http METHOD PATH [key=value...]: a plain HTTP client against
			// serve-accept; prints the status line, then the body. The cookie
			// jar lasts for the script.
			"http": func(ts *testscript.TestScript, neg bool, args []string) {
				base := "http://127.0.0.1:" + ts.Getenv("SERVE_PORT")
				form := url.Values{}
				for _, kv := range args[2:] {
					k, v, _ := strings.Cut(kv, "=")
					form.Add(k, v)
				}
				var body io.Reader
				if args[0] == "POST" {
					body = strings.NewReader(form.Encode())
				}
				req, err := http.NewRequest(args[0], base+args[1], body)
				ts.Check(err)
				if args[0] == "POST" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Origin", base)
				}
				resp, err := clientFor(ts).Do(req)
				ts.Check(err)
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				fmt.Fprintf(ts.Stdout(), "%s\n%s", resp.Status, b)
			},
			// smtpreject on|off: make the SMTP server refuse recipients.
			"smtpreject": func(ts *testscript.TestScript, neg bool, args []string) {
				srv := server(ts)
				if args[0] == "on" {
					srv.RejectRecipients(errors.New("mailbox unavailable"))
				} else {
					srv.RejectRecipients(nil)
				}
			},
			// smtpanswer CODE N: the next N recipients get CODE (451, 550 …).
			"smtpanswer": func(ts *testscript.TestScript, neg bool, args []string) {
				code, err := strconv.Atoi(args[0])
				ts.Check(err)
				n, err := strconv.Atoi(args[1])
				ts.Check(err)
				server(ts).Answer(code, n)
			},
			// smtpdelay DURATION: the server takes this long per message.
			"smtpdelay": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				server(ts).SetDelay(d)
			},
			// mailtotal: the SMTP server received as many messages as the
			// "total" of the JSON document in the last stdout.
			// Messages from before the last mailmark do not count.
			"mailtotal": func(ts *testscript.TestScript, neg bool, args []string) {
				var v struct{ Total int }
				ts.Check(json.Unmarshal([]byte(ts.ReadFile("stdout")), &v))
				mark, _ := strconv.Atoi(ts.Getenv("MAILMARK"))
				if got := len(server(ts).Messages()) - mark; got != v.Total || v.Total == 0 {
					ts.Fatalf("mailtotal: %d messages, total %d", got, v.Total)
				}
			},
			// mailmark: later mailtotal and mailunique count from here.
			"mailmark": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Setenv("MAILMARK", strconv.Itoa(len(server(ts).Messages())))
			},
			// mailwait N: waits (a bounded while) until the SMTP server has
			// received N messages, for deliverers in the background.
			"mailwait": func(ts *testscript.TestScript, neg bool, args []string) {
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				for i := 0; i < 600 && len(server(ts).Messages()) < want; i++ {
					time.Sleep(25 * time.Millisecond)
				}
				if got := len(server(ts).Messages()); got != want {
					ts.Fatalf("mailwait: %d messages, want %d", got, want)
				}
			},
			// mailunique: no address received two messages.
			"mailunique": func(ts *testscript.TestScript, neg bool, args []string) {
				seen := map[string]int{}
				mark, _ := strconv.Atoi(ts.Getenv("MAILMARK"))
				for _, m := range server(ts).Messages()[mark:] {
					for _, to := range m.To {
						if seen[to]++; seen[to] == 2 {
							ts.Fatalf("mailunique: %s received two messages", to)
						}
					}
				}
			},
			// smtpstop: stop the SMTP server, so delivery fails.
			"smtpstop": func(ts *testscript.TestScript, neg bool, args []string) {
				server(ts).Close()
			},
		},
	}
}

var (
	jarsMu sync.Mutex
	jars   = map[string]*http.Client{}
)

func clientFor(ts *testscript.TestScript) *http.Client {
	jarsMu.Lock()
	defer jarsMu.Unlock()
	c := jars[ts.Getenv("WORK")]
	if c == nil {
		jar, _ := cookiejar.New(nil)
		c = &http.Client{Jar: jar, Timeout: 10 * time.Second}
		jars[ts.Getenv("WORK")] = c
	}
	return c
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

var linkRE = regexp.MustCompile(`/invite/[A-Za-z0-9_-]+`)

var resetRE = regexp.MustCompile(`/password/reset/[A-Za-z0-9_-]+`)

// unfoldQP undoes quoted-printable soft line breaks so links can be grepped.
func unfoldQP(s string) string {
	s = strings.ReplaceAll(s, "=\r\n", "")
	s = strings.ReplaceAll(s, "=\n", "")
	return strings.ReplaceAll(s, "=3D", "=")
}
