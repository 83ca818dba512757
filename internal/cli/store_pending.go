package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

func openPostgres(ctx context.Context, url string, migrate bool) (invite.Store, error) {
	return nil, invite.Errorf(invite.EINVALID, "PostgreSQL stores are not supported by this build").WithHint("use an SQLite file with --db PATH")
}

func migrateStore(ctx context.Context, d dsn) (int, error) {
	s, err := sqlite.Open(ctx, d.path)
	if err != nil {
		return 0, err
	}
	return 0, s.Close()
}

func copyStores(cmd *cobra.Command, f *Factory, from, to string) error {
	return invite.Errorf(invite.EINVALID, "copy needs PostgreSQL support, which this build lacks")
}
