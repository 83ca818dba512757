package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newMigrateCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the store's schema up to date",
		Long: `Applies the embedded schema migrations. SQLite stores are migrated
automatically whenever they are opened; PostgreSQL databases only by this
command (run it once after each upgrade; instances starting together cannot
migrate twice), and other commands refuse an out-of-date schema.`,
		Example: `  invitectl migrate --db postgres://invitectl@db.internal/invitectl`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := parseDSN(f.cfg.String("db"))
			if err != nil {
				return err
			}
			version, err := migrateStore(cmd.Context(), d)
			if err != nil {
				return err
			}
			if f.Output() == "json" {
				return writeJSON(f.IO.Out, map[string]any{"store": d.kind, "schema_version": version})
			}
			_, err = fmt.Fprintf(f.IO.Out, "The %s schema is up to date (version %d).\n", d.kind, version)
			return err
		},
	}
}
