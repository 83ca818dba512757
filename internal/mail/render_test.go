package mail

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/invitectl/invitectl/internal/invite"
)

func TestRenderInBothLanguages(t *testing.T) {
	tests := []struct {
		lang    string
		subject string
		text    []string // lines the text body must contain, each whole
		html    []string // fragments the HTML body must contain
	}{
		{
			lang:    invite.Swedish,
			subject: "Inbjudan till Ölands Äventyr AB",
			text: []string{
				"Hej Åsa!",
				"Du har blivit inbjuden att skapa ett konto hos Ölands Äventyr AB. Inbjudan skickades av admin.",
				testLink,
				"Länken gäller till 25 november 2027.",
				"Om du inte väntade dig den här inbjudan kan du bortse från det här meddelandet.",
			},
			html: []string{
				`<html lang="sv">`,
				"<title>Inbjudan till Ölands Äventyr AB</title>",
				"Hej Åsa!",
				"<strong>Ölands Äventyr AB</strong>",
				"Inbjudan skickades av admin.",
				">Skapa ditt konto</a>",
				"Länken gäller till <strong>25 november 2027</strong>.",
				"bortse från det här meddelandet",
			},
		},
		{
			lang:    invite.English,
			subject: "Invitation to Ölands Äventyr AB",
			text: []string{
				"Hello Åsa,",
				"You have been invited to create an account with Ölands Äventyr AB. The invitation was sent by admin.",
				testLink,
				"The link is valid until 25 November 2027.",
				"If you were not expecting this invitation, you can ignore this email.",
			},
			html: []string{
				`<html lang="en">`,
				"<title>Invitation to Ölands Äventyr AB</title>",
				"Hello Åsa,",
				"<strong>Ölands Äventyr AB</strong>",
				"The invitation was sent by admin.",
				">Create your account</a>",
				"The link is valid until <strong>25 November 2027</strong>.",
				"you can ignore this email",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			subject, text, html, err := Render(sampleEmail(tt.lang))
			if err != nil {
				t.Fatal(err)
			}
			if subject != tt.subject {
				t.Errorf("subject = %q, want %q", subject, tt.subject)
			}
			lines := strings.Split(text, "\n")
			for _, want := range tt.text {
				if !containsLine(lines, want) {
					t.Errorf("text has no line %q:\n%s", want, text)
				}
			}
			for _, want := range tt.html {
				if !strings.Contains(html, want) {
					t.Errorf("HTML lacks %q:\n%s", want, html)
				}
			}
			// The link is the button's target, the fallback's target and
			// text, and the only address in the mail: nothing is loaded
			// from elsewhere.
			if n := strings.Count(html, `href="`+testLink+`"`); n != 2 {
				t.Errorf("HTML links to the invitation %d times, want 2 (button and fallback)", n)
			}
			if got, want := strings.Count(html, "http"), strings.Count(html, testLink); got != want {
				t.Errorf("HTML has %d addresses besides the link", got-want)
			}
			if strings.Contains(html, "<img") || strings.Contains(html, "<script") {
				t.Error("HTML has images or scripts")
			}
		})
	}
}

func TestRenderWithoutSender(t *testing.T) {
	for _, lang := range []string{invite.Swedish, invite.English} {
		e := sampleEmail(lang)
		e.SentBy = ""
		_, text, html, err := Render(e)
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{text, html} {
			if strings.Contains(body, "skickades av") || strings.Contains(body, "sent by") {
				t.Errorf("%s: names a sender although none is set:\n%s", lang, body)
			}
		}
		if !strings.Contains(text, "Ölands Äventyr AB.\n") {
			t.Errorf("%s: the invitation sentence is not complete:\n%s", lang, text)
		}
	}
}

func TestRenderEscapesNames(t *testing.T) {
	e := sampleEmail(invite.English)
	e.FirstName = `<script>alert("x")</script>`
	e.LastName = `O'Brien & "Co"`
	e.Customer = `A<B> & "C" AB`
	e.SentBy = `<i>eve</i>`
	subject, text, html, err := Render(e)
	if err != nil {
		t.Fatal(err)
	}
	if subject != `Invitation to A<B> & "C" AB` {
		t.Errorf("subject = %q", subject)
	}
	for _, want := range []string{`Hello <script>alert("x")</script>,`, `with A<B> & "C" AB.`, `sent by <i>eve</i>.`} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q (text is not HTML and must not be escaped):\n%s", want, text)
		}
	}
	for _, want := range []string{
		`Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;,`,
		`<strong>A&lt;B&gt; &amp; &#34;C&#34; AB</strong>`,
		`sent by &lt;i&gt;eve&lt;/i&gt;.`,
		`<title>Invitation to A&lt;B&gt; &amp; &#34;C&#34; AB</title>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q:\n%s", want, html)
		}
	}
	for _, bad := range []string{"<script>", "<i>", "<B>"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML contains unescaped %q", bad)
		}
	}
}

// Format characters stored before the input rules refused them (a
// right-to-left override, a zero-width space) reach no subject or body
// raw: they are shown as escapes, as tables show them.
func TestRenderNeutralisesFormatCharacters(t *testing.T) {
	for _, lang := range []string{invite.Swedish, invite.English} {
		e := sampleEmail(lang)
		e.FirstName = "Eve\u202egnp.exe"
		e.LastName = "Lind\u200b\u2066"
		e.Customer = "Acme\u202e AB"
		e.SentBy = "adm\u00adin"
		subject, text, html, err := Render(e)
		if err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"subject": subject, "text": text, "html": html} {
			if i := strings.IndexFunc(out, func(r rune) bool { return unicode.Is(unicode.Cf, r) }); i >= 0 {
				t.Errorf("%s: the %s holds a raw format character at %d: %q", lang, name, i, out)
			}
		}
		for _, want := range []string{`Eve\u202egnp.exe`, `Acme\u202e AB`} {
			if !strings.Contains(text, want) || !strings.Contains(html, want) {
				t.Errorf("%s: the bodies do not show %q:\n%s", lang, want, text)
			}
		}
		if !strings.Contains(subject, `Acme\u202e AB`) {
			t.Errorf("%s: subject %q", lang, subject)
		}
	}
}

func TestRenderRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*invite.InvitationEmail)
		want string
	}{
		{"unknown language", func(e *invite.InvitationEmail) { e.Language = "de" }, `no email template for language "de"`},
		{"no language", func(e *invite.InvitationEmail) { e.Language = "" }, "no email template"},
		{"script link", func(e *invite.InvitationEmail) { e.Link = "javascript:alert(1)" }, "invalid invitation link"},
		{"relative link", func(e *invite.InvitationEmail) { e.Link = "/invite/abc" }, "invalid invitation link"},
		{"no link", func(e *invite.InvitationEmail) { e.Link = "" }, "invalid invitation link"},
		{"link with a line break", func(e *invite.InvitationEmail) { e.Link = "https://x.example/\nEvil: 1" }, "invalid invitation link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sampleEmail(invite.English)
			tt.edit(&e)
			_, _, _, err := Render(e)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if invite.ErrorCode(err) != invite.EINVALID || invite.ErrorHint(err) == "" {
				t.Errorf("code %s, hint %q; want EINVALID with a hint", invite.ErrorCode(err), invite.ErrorHint(err))
			}
		})
	}
}

func TestFormatDate(t *testing.T) {
	sv := []string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}
	en := []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	for i := range 12 {
		d := time.Date(2027, time.Month(i+1), 1, 23, 59, 0, 0, time.UTC)
		if got, want := FormatDate(d, invite.Swedish), "1 "+sv[i]+" 2027"; got != want {
			t.Errorf("Swedish: %q, want %q", got, want)
		}
		if got, want := FormatDate(d, invite.English), "1 "+en[i]+" 2027"; got != want {
			t.Errorf("English: %q, want %q", got, want)
		}
	}
	if got := FormatDate(time.Date(2027, 11, 25, 10, 0, 0, 0, time.UTC), invite.Swedish); got != "25 november 2027" {
		t.Errorf("got %q", got)
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
