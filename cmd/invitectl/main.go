// Command invitectl manages invitations to register accounts connected to
// customer organizations. main only gathers the process's I/O and hands it
// to cli.Main.
package main

import (
	"context"
	"os"
	"os/signal"
	"os/user"
	"syscall"

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

func processEnv() cli.Env {
	username := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		username = u.Username
	}
	width := 0
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
		width = w
	}
	return cli.Env{
		Args:   os.Args[1:],
		Getenv: os.Getenv,
		IO: cli.IOStreams{
			In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
			InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
			OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
			ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
			Width:  width,
		},
		Username: username,
		Version:  version, Commit: commit, Date: date,
	}
}
