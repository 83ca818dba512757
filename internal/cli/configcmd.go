package cli

import (
	"fmt"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"
)

func newConfigCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect the configuration", Example: "  invitectl config show"}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration and where each value came from",
		Long: `Prints every configuration key with its effective value and its source: a
flag, an environment variable (INVITECTL_ + the key upper-cased, "." as "_"),
the config file, or the default. Secrets are redacted.`,
		Example: `  invitectl config show
  INVITECTL_SMTP_HOST=mail.example.com invitectl config show -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			entries := f.cfg.entries()
			switch f.Output() {
			case "json":
				return writeJSON(f.IO.Out, map[string]any{"config_file": f.cfg.file, "settings": entries})
			case "csv":
				rows := make([][]string, len(entries))
				for i, e := range entries {
					rows[i] = []string{e.Key, e.Value, e.Source, e.Env}
				}
				return writeCSV(f.IO.Out, []string{"key", "value", "source", "env"}, rows)
			}
			st := style{tty: f.IO.OutTTY, color: f.Color(cmd)}
			t := st.newTable(f.IO.Out)
			t.AppendHeader(table.Row{"Key", "Value", "Source"})
			for _, e := range entries {
				v := e.Value
				if v == "" {
					v = "—"
				}
				t.AppendRow(table.Row{e.Key, v, e.Source})
			}
			t.Render()
			file := f.cfg.file
			if file == "" {
				file = "none (looked for " + f.cfg.defaultConfigPath() + ")"
			}
			_, err := fmt.Fprintf(f.IO.Out, "Config file: %s\n", file)
			return err
		},
	})
	return cmd
}

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Example: `  invitectl version
  invitectl version -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := map[string]string{"version": f.env.Version, "commit": f.env.Commit, "date": f.env.Date}
			if f.Output() == "json" {
				return writeJSON(f.IO.Out, v)
			}
			_, err := fmt.Fprintf(f.IO.Out, "invitectl %s (commit %s, built %s)\n", f.env.Version, f.env.Commit, f.env.Date)
			return err
		},
	}
}
