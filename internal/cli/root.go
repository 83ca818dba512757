// Package cli is invitectl's command line: one constructor per command, one
// config instance passed down, output in table, JSON or CSV.
package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Main runs invitectl with args and returns the exit code.
func Main(ctx context.Context, env Env) int {
	f := newFactory(env)
	defer f.close()
	root := NewRootCmd(f)
	root.SetArgs(env.Args)
	err := root.ExecuteContext(ctx)
	err = f.stopPager(err)
	if f.filter != nil {
		if ferr := f.filter.finish(); err == nil {
			err = ferr
		} else if ferr != nil {
			printError(env.IO.ErrOut, ferr)
		}
	}
	if err == nil {
		err = f.close()
	}
	f.notices.flush()
	err = f.nearCustomers(ctx, err)
	f.discardCreated(err)
	if err != nil {
		printError(env.IO.ErrOut, err)
	}
	return ExitCode(err)
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "invitectl",
		Short: "Manage invitations to register accounts connected to customer organizations",
		Long: `invitectl manages invitations for people who should register an account
connected to a customer organization. An invitation captures the invitee's
details; the invitee gets an email with a link, opens it, chooses a password
and a language, accepts the privacy policy, and gets a verified, signed-in
account. Links are valid for one year.`,
		Example: `  invitectl seed && invitectl list
  invitectl customers add "Acme AB"
  invitectl invite --customer "Acme AB" --email asa@example.com --first-name Åsa --last-name Lind
  invitectl list --sort last-name:desc --page 2 -o json`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Version:           f.env.Version,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return f.init(cmd) },
	}
	root.SuggestionsMinimumDistance = 2
	// The same line as `version`; braces in it are not the template's.
	root.SetVersionTemplate(`{{"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(versionLine(f.env.Version, f.env.Commit, f.env.Date)) + `"}}` + "\n")
	addGlobalFlags(root.PersistentFlags())
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError(flagHint(cmd, err), "%v", err)
	})
	root.AddCommand(
		newCustomersCmd(f),
		NewCmdInvite(f, nil),
		NewCmdImport(f, nil),
		NewCmdList(f, nil),
		NewCmdBrowse(f, nil),
		NewCmdShow(f, nil),
		NewCmdEdit(f, nil),
		NewCmdResend(f, nil),
		NewCmdRevoke(f, nil),
		NewCmdDeliver(f, nil),
		NewCmdPurge(f, nil),
		NewCmdServe(f, nil),
		newUsersCmd(f),
		NewCmdAudit(f, nil),
		NewCmdSeed(f, nil),
		NewCmdMigrate(f, nil),
		NewCmdCopy(f, nil),
		newConfigCmd(f),
		newWebhookCmd(f),
		NewCmdVersion(f, nil),
	)
	// Streams first: the completion commands capture the output writer when made.
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Example = `  source <(invitectl completion bash)
  invitectl completion zsh > "${fpath[1]}/_invitectl"
  invitectl completion fish > ~/.config/fish/completions/invitectl.fish`
		for _, sh := range c.Commands() {
			sh.Example = "  invitectl completion " + sh.Name() + " --help"
		}
	}
	for _, path := range [][]string{{"list"}, {"audit"}, {"users", "list"}, {"customers", "list"}} {
		if c, _, err := root.Find(path); err == nil && c != root {
			pages(c)
		}
	}
	for _, name := range []string{"browse", "serve-accept", "completion"} {
		if c, _, err := root.Find([]string{name}); err == nil && c != root {
			withoutJSON(c)
		}
	}
	requireSubcommands(root)
	return root
}

// requireSubcommands makes an unknown subcommand a usage error (exit 2), with
// cobra's suggestion, on every command that has subcommands (`users delet`,
// `completion tcsh`); cobra itself checks only the root. Given none, such a
// command prints its help.
func requireSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		requireSubcommands(c)
	}
	if !cmd.HasSubCommands() || cmd.Run != nil || cmd.RunE != nil {
		return
	}
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		hint := fmt.Sprintf("see `%s --help` for the commands", cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			hint = fmt.Sprintf("did you mean `%s %s`?", cmd.CommandPath(), strings.Join(s, "` or `"+cmd.CommandPath()+" "))
		}
		return usageError(hint, "unknown command %q for %q", args[0], cmd.CommandPath())
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
}

// exactArgs is cobra.ExactArgs with the contract's error format.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError(fmt.Sprintf("usage: %s", cmd.UseLine()), "%s needs %s", cmd.CommandPath(), what)
		}
		return nil
	}
}

// minArgs requires at least n arguments.
func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageError(fmt.Sprintf("usage: %s", cmd.UseLine()), "%s needs %s", cmd.CommandPath(), what)
		}
		return nil
	}
}
