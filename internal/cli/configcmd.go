package cli

import (
	"fmt"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"
)

func newConfigCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect the configuration", Example: "  invitectl config show"}
	cmd.AddCommand(NewCmdConfigShow(f, nil))
	return cmd
}

// ConfigShowOptions are the inputs of `config show`.
type ConfigShowOptions struct {
	common
	Config *Config
}

// NewCmdConfigShow builds `config show`; runF replaces configShowRun in tests.
func NewCmdConfigShow(f *Factory, runF func(*ConfigShowOptions) error) *cobra.Command {
	opts := &ConfigShowOptions{}
	return &cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration and where each value came from",
		Long: `Prints every configuration key with its effective value and its source: a
flag, an environment variable (INVITECTL_ + the key upper-cased, "." as "_"),
the config file, or the default. Secrets are redacted.`,
		Example: `  invitectl config show
  INVITECTL_SMTP_HOST=mail.example.com invitectl config show -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Config = f.Config()
			opts.common = f.common(cmd)
			// Show is where a setting is checked: every typed value and the
			// base URL, even those no other command would read now.
			if err := opts.Config.checkTypes(); err != nil {
				return err
			}
			if _, err := opts.Config.BaseURL(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return configShowRun(opts)
		},
	}
}

func configShowRun(opts *ConfigShowOptions) error {
	cfg, out := opts.Config, opts.IO.Out
	entries := cfg.entries()
	switch opts.Output {
	case "json":
		return writeJSON(out, map[string]any{"config_file": cfg.file, "settings": entries})
	case "csv":
		rows := make([][]string, len(entries))
		for i, e := range entries {
			rows[i] = []string{e.Key, e.Value, e.Source, e.Env}
		}
		return writeCSV(out, []string{"key", "value", "source", "env"}, rows)
	}
	t := wideTable{header: table.Row{"Key", "Value", "Source"}, columns: configColumns()}
	for _, e := range entries {
		t.rows = append(t.rows, table.Row{e.Key, dash(e.Value), e.Source})
	}
	t.render(out, opts.style())
	file := cfg.file
	if file == "" {
		file = "none (looked for " + cfg.defaultConfigPath() + ")"
	}
	_, err := fmt.Fprintf(out, "Config file: %s\n", file)
	return err
}

// VersionOptions are the inputs of `version`.
type VersionOptions struct {
	common
	Version, Commit, Date string
}

// NewCmdVersion builds `version`; runF replaces versionRun in tests.
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{Version: f.env.Version, Commit: f.env.Commit, Date: f.env.Date}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Example: `  invitectl version
  invitectl version -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
}

func versionRun(opts *VersionOptions) error {
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, map[string]string{"version": opts.Version, "commit": opts.Commit, "date": opts.Date})
	}
	_, err := fmt.Fprintln(opts.IO.Out, versionLine(opts.Version, opts.Commit, opts.Date))
	return err
}

// versionLine is what `version` and `--version` print.
func versionLine(version, commit, date string) string {
	return fmt.Sprintf("invitectl %s (commit %s, built %s)", version, commit, date)
}
