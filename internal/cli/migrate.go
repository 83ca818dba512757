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
	version, err := migrateStore(ctx, d)
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, map[string]any{"store": d.kind, "schema_version": version})
	}
	_, err = fmt.Fprintf(opts.IO.Out, "The %s schema is up to date (version %d).\n", d.kind, version)
	return err
}

// schemaVersioner is a store that reports its schema version.
type schemaVersioner interface {
	SchemaVersion(ctx context.Context) (int, error)
}

// migrateStore brings d's schema up to date and returns its version.
// SQLite migrates whenever it is opened.
func migrateStore(ctx context.Context, d dsn) (int, error) {
	if d.kind == "postgres" {
		return postgres.Migrate(ctx, d.url)
	}
	s, err := sqlite.Open(ctx, d.path)
	if err != nil {
		return 0, err
	}
	var v schemaVersioner = s
	version, err := v.SchemaVersion(ctx)
	return version, errors.Join(err, s.Close())
}
