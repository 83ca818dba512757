package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/invitectl/invitectl/internal/invite"
)

// detailFlags are the invitee-detail flags shared by invite and edit.
type detailFlags struct {
	firstName, lastName, swedish, eu, personalNumber, lma, phone, gender, language string
}

func (d *detailFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&d.firstName, "first-name", "", "first name, 2–70 characters")
	fs.StringVar(&d.lastName, "last-name", "", "last name, 2–70 characters")
	fs.StringVar(&d.swedish, "swedish-citizen", "", "Swedish citizenship: yes, no or unset")
	fs.StringVar(&d.eu, "eu-citizen", "", "EU/EEA citizenship: yes, no or unset")
	fs.StringVar(&d.personalNumber, "personal-number", "", "Swedish personal number, YYYYMMDD-XXXX")
	fs.StringVar(&d.lma, "lma-number", "", "LMA number, up to 70 characters")
	fs.StringVar(&d.phone, "phone", "", "phone number; Swedish numbers may omit +46")
	fs.StringVar(&d.gender, "gender", "", "female, male, other or unset")
	fs.StringVar(&d.language, "language", "", "language of the email and page: sv or en")
}

// patch returns the flags the user set as a Patch.
func (d *detailFlags) patch(cmd *cobra.Command) invite.Patch {
	var p invite.Patch
	pick := func(name string, v *string) *string {
		if cmd.Flags().Changed(name) {
			return v
		}
		return nil
	}
	p.FirstName = pick("first-name", &d.firstName)
	p.LastName = pick("last-name", &d.lastName)
	p.SwedishCitizen = pick("swedish-citizen", &d.swedish)
	p.EUCitizen = pick("eu-citizen", &d.eu)
	p.PersonalNumber = pick("personal-number", &d.personalNumber)
	p.LMANumber = pick("lma-number", &d.lma)
	p.Phone = pick("phone", &d.phone)
	p.Gender = pick("gender", &d.gender)
	return p
}

func (d *detailFlags) completions(cmd *cobra.Command) {
	for _, f := range []string{"swedish-citizen", "eu-citizen", "gender", "language"} {
		detailFlag(cmd, f)
	}
}
