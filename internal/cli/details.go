package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/invitectl/invitectl/internal/invite"
)

// detailFlags are the invitee-detail flags shared by invite and edit: one
// for each of invite.Fields, and --language.
type detailFlags struct {
	values   map[string]*string // by field name
	language string
}

// flagName is the flag of a field of the domain: first_name is
// --first-name.
func flagName(field string) string { return strings.ReplaceAll(field, "_", "-") }

func (d *detailFlags) register(fs *pflag.FlagSet) {
	d.values = map[string]*string{}
	for _, f := range invite.Fields {
		d.values[f.Name] = fs.String(flagName(f.Name), "", f.About)
	}
	fs.StringVar(&d.language, "language", "", "language of the email and page: sv or en")
}

// patch returns the flags the user set as a Patch.
func (d *detailFlags) patch(cmd *cobra.Command) invite.Patch {
	var p invite.Patch
	for _, f := range invite.Fields {
		if cmd.Flags().Changed(flagName(f.Name)) {
			f.Give(&p, d.values[f.Name])
		}
	}
	return p
}

// completions completes each detail flag that takes one of a few values
// with its values.
func (d *detailFlags) completions(cmd *cobra.Command) {
	for name, values := range detailValues {
		_ = cmd.RegisterFlagCompletionFunc(flagName(name), func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return values, cobra.ShellCompDirectiveNoFileComp
		})
	}
}
