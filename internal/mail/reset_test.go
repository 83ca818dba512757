package mail

import (
	"strings"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

func TestRenderPasswordReset(t *testing.T) {
	for lang, want := range map[string][]string{
		"sv": {"Återställ ditt lösenord hos Acme AB", "Hej Åsa!", "en timme"},
		"en": {"Reset your password with Acme AB", "Hello Åsa,", "one hour"},
	} {
		m := invite.InvitationEmail{Kind: invite.KindPasswordReset, To: "asa@example.com", FirstName: "Åsa", LastName: "Lind",
			Customer: "Acme AB", Language: lang, Link: "https://accept.example.com/password/reset/TOKEN",
			ExpiresAt: time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)}
		subject, text, html, err := Render(m)
		if err != nil {
			t.Fatal(err)
		}
		if subject != want[0] {
			t.Errorf("%s subject %q, want %q", lang, subject, want[0])
		}
		for _, body := range []string{text, html} {
			for _, w := range append(want[1:], m.Link) {
				if !strings.Contains(body, w) {
					t.Errorf("%s body lacks %q:\n%s", lang, w, body)
				}
			}
			if strings.Contains(body, "invit") || strings.Contains(body, "Inbjud") {
				t.Errorf("%s reset email speaks of an invitation:\n%s", lang, body)
			}
		}
	}
	// An invitation is still an invitation.
	subject, _, _, err := Render(invite.InvitationEmail{To: "a@example.com", FirstName: "Åsa", Customer: "Acme AB", Language: "en",
		Link: "https://accept.example.com/invite/T", ExpiresAt: time.Now()})
	if err != nil || subject != "Invitation to Acme AB" {
		t.Errorf("invitation subject %q, %v", subject, err)
	}
}
