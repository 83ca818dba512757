package cli

import (
	"github.com/spf13/cobra"
)

func newCopyCmd(f *Factory) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "copy --from DSN --to DSN",
		Short: "Copy every row from one store into an empty one",
		Long: `Copies customers, invitations, users and the audit log from one store into
an empty one (typically an SQLite file into PostgreSQL), keeping IDs and link
generations so links already sent keep working (use the same link_secret).
It refuses a target that is not empty and checks the counts afterwards.`,
		Example: `  invitectl copy --from sqlite://$HOME/.local/share/invitectl/invitectl.db --to postgres://invitectl@db/invitectl`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return copyStores(cmd, f, from, to)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the store to copy from")
	cmd.Flags().StringVar(&to, "to", "", "the empty store to copy into")
	return cmd
}
