// Command invitectl manages invitations to register accounts connected to
// customer organizations. main only gathers the process's I/O and hands it
// to cli.Main.
package main

import (
	"context"
	"os"
	"os/signal"
	"os/user"
	"runtime/debug"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/invitectl/invitectl/internal/cli"
)

// Stamped by the linker (see .goreleaser.yaml).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, processEnv())
	stop()
	os.Exit(code)
}

// buildInfo fills what the linker did not stamp from the module's VCS data,
// so that a plain `go build` also tells which commit it is.
func buildInfo() (v, c, d string) {
	v, c, d = version, commit, date
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && c == "none":
			c = s.Value
		case s.Key == "vcs.time" && d == "unknown":
			d = s.Value
		}
	}
	return
}

func processEnv() cli.Env {
	username := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		username = u.Username
	}
	width := 0
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
		width = w
	}
	env := cli.Env{
		Args:   os.Args[1:],
		Getenv: os.Getenv, LookupEnv: os.LookupEnv,
		IO: cli.IOStreams{
			In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
			InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
			OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
			ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
			Width:  width,
		},
		Username: username,
		Now:      time.Now,
		Location: time.Local,
	}
	env.Version, env.Commit, env.Date = buildInfo()
	return env
}
