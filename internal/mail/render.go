package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/termfit"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Each email (invitation, password reset) in each language has its own text
// template (defining "subject" and the body) and its own HTML content, which
// shares one layout. Parsing each apart keeps the block names of one from
// overriding another's. The maps are keyed by templateKey.
var (
	textTemplates = map[string]*texttemplate.Template{}
	htmlTemplates = map[string]*htmltemplate.Template{}
)

// emailTemplates are the template names, by what the email is.
var emailTemplates = []string{"invitation", "password_reset"}

func init() {
	for _, name := range emailTemplates {
		for _, lang := range []string{invite.Swedish, invite.English} {
			textTemplates[name+"."+lang] = texttemplate.Must(texttemplate.New("").
				ParseFS(templateFS, "templates/"+name+"."+lang+".txt.tmpl"))
			htmlTemplates[name+"."+lang] = htmltemplate.Must(htmltemplate.New("").
				ParseFS(templateFS, "templates/layout.html.tmpl", "templates/"+name+"."+lang+".html.tmpl"))
		}
	}
}

// templateKey names the templates of m: its kind's, in its language.
func templateKey(m invite.InvitationEmail) string {
	if m.Kind == invite.KindPasswordReset {
		return "password_reset." + m.Language
	}
	return "invitation." + m.Language
}

// view is what the templates see.
type view struct {
	Lang      string
	Subject   string
	FirstName string
	LastName  string
	Customer  string
	SentBy    string
	Link      string
	Expiry    string // the expiry date as people write it in Lang
}

// Render writes the subject and the text and HTML bodies of an invitation
// email in m.Language. It fails for an unsupported language or a link that
// is not an absolute http(s) URL, because such a mail would be useless.
func Render(m invite.InvitationEmail) (subject, text, html string, err error) {
	var t, h bytes.Buffer
	if subject, err = render(m, &t, &h); err != nil {
		return "", "", "", err
	}
	return subject, t.String(), h.String(), nil
}

// render is Render writing the bodies into text and html, so that compose
// can reuse its buffers from one message to the next.
func render(m invite.InvitationEmail, text, html *bytes.Buffer) (subject string, err error) {
	key := templateKey(m)
	tt, ok := textTemplates[key]
	if !ok {
		return "", invite.Errorf(invite.EINVALID, "no email template for language %q", m.Language).
			WithHint("use sv or en")
	}
	if err := checkLink(m.Link); err != nil {
		return "", err
	}
	v := view{
		Lang:      m.Language,
		FirstName: oneLine(m.FirstName),
		LastName:  oneLine(m.LastName),
		Customer:  oneLine(m.Customer),
		SentBy:    oneLine(m.SentBy),
		Link:      m.Link,
		Expiry:    FormatDate(m.ExpiresAt, m.Language),
	}
	// The subject goes through the text buffer, which the body then reuses.
	if err := tt.ExecuteTemplate(text, "subject", v); err != nil {
		return "", fmt.Errorf("rendering the %s subject: %w", m.Language, err)
	}
	v.Subject = oneLine(text.String())
	text.Reset()
	if err := tt.ExecuteTemplate(text, "body", v); err != nil {
		return "", fmt.Errorf("rendering the %s text body: %w", m.Language, err)
	}
	if err := htmlTemplates[key].ExecuteTemplate(html, "layout", v); err != nil {
		return "", fmt.Errorf("rendering the %s HTML body: %w", m.Language, err)
	}
	return v.Subject, nil
}

func checkLink(link string) error {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.ContainsAny(link, " \t\r\n") {
		return invite.Errorf(invite.EINVALID, "invalid invitation link %q", link).
			WithHint("set base_url to the public http(s) address of serve-accept")
	}
	return nil
}

var (
	monthsSV = [12]string{"januari", "februari", "mars", "april", "maj", "juni",
		"juli", "augusti", "september", "oktober", "november", "december"}
	monthsEN = [12]string{"January", "February", "March", "April", "May", "June",
		"July", "August", "September", "October", "November", "December"}
)

// FormatDate writes the date of t (in t's location) as people write it in
// lang: "25 november 2027" in Swedish, "25 November 2027" in English.
func FormatDate(t time.Time, lang string) string {
	months := monthsEN
	if lang == invite.Swedish {
		months = monthsSV
	}
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

// oneLine turns control characters, line breaks included, into spaces and
// trims, so that no value can break a header or the layout of a line; the
// format characters left (a U+202E that would reorder the line, zero-width
// ones) are shown as escapes, as tables show them (termfit.Safe), so that
// data stored before the input rules refused them cannot disguise an email.
func oneLine(s string) string {
	return termfit.Safe(strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)))
}
