package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// MigrateOptions are the inputs of `migrate`.
type MigrateOptions struct {
	common
	DB string // the store, as --db gives it
}

// NewCmdMigrate builds `migrate`; runF replaces migrateRun in tests.
func NewCmdMigrate(f *Factory, runF func(*MigrateOptions) error) *cobra.Command {
	opts := &MigrateOptions{}
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
			opts.DB = f.Config().String("db")
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return migrateRun(cmd.Context(), opts)
		},
	}
}

func migrateRun(ctx context.Context, opts *MigrateOptions) error {
	d, err := parseDSN(opts.DB)
	if err != nil {
		return err
	}
	applied, version, err := migrateStore(ctx, d)
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, map[string]any{"store": d.kind, "applied": applied, "schema_version": version})
	}
	switch applied {
	case 0:
		_, err = fmt.Fprintf(opts.IO.Out, "The %s schema is up to date (version %d).\n", d.kind, version)
	case 1:
		_, err = fmt.Fprintf(opts.IO.Out, "Applied 1 migration; the schema is at version %d.\n", version)
	default:
		_, err = fmt.Fprintf(opts.IO.Out, "Applied %d migrations; the schema is at version %d.\n", applied, version)
	}
	return err
}

// migrateStore brings d's schema up to date and returns how many
// migrations that took and the version. SQLite migrates whenever it is
// opened.
func migrateStore(ctx context.Context, d dsn) (applied, version int, err error) {
	if d.kind == "postgres" {
		return postgres.MigrateCounted(ctx, d.url)
	}
	s, err := sqlite.Open(ctx, d.path)
	if err != nil {
		return 0, 0, err
	}
	version, err = s.SchemaVersion(ctx)
	return s.MigrationsApplied(), version, errors.Join(err, s.Close())
}
