package mail

import (
	"bytes"
	"crypto/rand"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	simplemail "github.com/xhit/go-simple-mail/v2"
)

// message is one composed email, ready for either transport.
type message struct {
	id   string // random, unique: the Message-ID's left part and part of the file name
	from string // envelope sender
	to   string // envelope recipient
	date time.Time
	raw  string // the complete RFC 5322 message, CRLF line ends, 7-bit
}

// compose renders m and has go-simple-mail write the whole message: a
// multipart/alternative of the text and the HTML body, both quoted-printable.
// Both transports send its bytes unchanged, so an .eml file shows exactly
// what SMTP would deliver.
func compose(from *netmail.Address, m invite.InvitationEmail, now time.Time) (*message, error) {
	d, err := newDraft(from, m, now)
	if err != nil {
		return nil, err
	}
	return d.write(), nil
}

// draft is a message rendered and checked, with every header and part given
// to go-simple-mail, but not yet written out: writing it is the larger part
// of composing (the library scans and encodes every part and header), and
// nothing is left that can fail.
type draft struct {
	msg   *message // all but raw
	email *simplemail.Email
}

// newDraft does all of compose that can fail: it checks the recipient and
// the link, renders the templates and sets the headers and parts.
func newDraft(from *netmail.Address, m invite.InvitationEmail, now time.Time) (*draft, error) {
	to, err := recipient(m)
	if err != nil {
		return nil, err
	}
	// The parts keep these buffers until the message is written.
	var text, html bytes.Buffer
	subject, err := render(m, &text, &html)
	if err != nil {
		return nil, err
	}
	msg := &message{
		id:   strings.ToLower(rand.Text()),
		from: from.Address,
		to:   to.Address,
		date: now,
	}
	e := simplemail.NewMSG() // MIME-Version, UTF-8, quoted-printable
	e.SetFrom(from.String()).
		AddTo(to.String()).
		SetSubject(subject).
		// SetDate reads a zone abbreviation, which only UTC survives
		// intact; without it the library would read the host's clock.
		SetDate(now.UTC().Format("2006-01-02 15:04:05 MST")).
		AddHeader("Message-ID", "<"+msg.id+"@"+messageIDDomain(from.Address)+">").
		AddHeader("Content-Language", m.Language).
		// Marks the mail as sent by a program (RFC 3834) so that
		// auto-responders do not answer it.
		AddHeader("Auto-Submitted", "auto-generated").
		SetBodyData(simplemail.TextPlain, text.Bytes()).
		AddAlternativeData(simplemail.TextHTML, html.Bytes())
	if err := e.GetError(); err != nil {
		return nil, invite.Errorf(invite.EINVALID, "writing the email to %s: %v", to.Address, err)
	}
	return &draft{msg: msg, email: e}, nil
}

// write has the library write the whole message.
func (d *draft) write() *message {
	d.msg.raw = d.email.GetMessage()
	return d.msg
}

// recipient checks m.To and pairs it with the invitee's name.
func recipient(m invite.InvitationEmail) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(m.To)
	if err != nil || a.Address != strings.TrimSpace(m.To) {
		return nil, invite.Errorf(invite.EINVALID, "invalid recipient address %q", m.To)
	}
	a.Name = oneLine(oneLine(m.FirstName) + " " + oneLine(m.LastName))
	return a, nil
}

// messageIDDomain is the sender's domain when it is plain ASCII dot-atom text,
// as a Message-ID requires; otherwise a name that cannot clash with a real one.
func messageIDDomain(address string) string {
	at := strings.LastIndexByte(address, '@')
	d := strings.ToLower(address[at+1:])
	if d == "" {
		return "invitectl.invalid"
	}
	for _, r := range d {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '.' && r != '-' {
			return "invitectl.invalid"
		}
	}
	return d
}

// fileName is the .eml name: UTC time, id and recipient, so that a listing
// sorts by time and shows who each message is for.
func (m *message) fileName() string {
	return fmt.Sprintf("%s-%s-%s.eml", m.date.UTC().Format("20060102T150405Z"), m.id, safeName(m.to))
}

// safeName keeps letters, digits and .@_- of an address, lower-cased, so the
// name is valid on every file system and cannot leave the folder.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() >= 64 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '@', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), ".")
}
