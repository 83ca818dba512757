package mail

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// message is one composed email, ready for either transport.
type message struct {
	id   string // random, unique: the Message-ID's left part and part of the file name
	from string // envelope sender
	to   string // envelope recipient
	date time.Time
	raw  []byte // the complete RFC 5322 message, CRLF line ends, 7-bit
}

// compose renders m and writes the whole message. Both transports send its
// bytes unchanged, so an .eml file shows exactly what SMTP would deliver.
func compose(from *netmail.Address, m invite.InvitationEmail, now time.Time) (*message, error) {
	to, err := recipient(m)
	if err != nil {
		return nil, err
	}
	bufs := composeBuffers.Get().(*composeBuffer)
	defer func() {
		bufs.text.Reset()
		bufs.html.Reset()
		composeBuffers.Put(bufs)
	}()
	text, html := &bufs.text, &bufs.html
	subject, err := render(m, text, html)
	if err != nil {
		return nil, err
	}
	msg := &message{
		id:   strings.ToLower(rand.Text()),
		from: from.Address,
		to:   to.Address,
		date: now,
	}

	// One buffer holds the whole message, sized for the headers and the
	// bodies once encoded: quoted-printable makes each non-ASCII byte three,
	// and the bodies are mostly ASCII.
	var b bytes.Buffer
	b.Grow(1024 + (text.Len()+html.Len())*5/4)
	mp := multipart.NewWriter(&b) // writes nothing before the first part
	header(&b, "Date", now.Format(time.RFC1123Z))
	header(&b, "From", from.String())
	header(&b, "To", to.String())
	header(&b, "Subject", mime.QEncoding.Encode("utf-8", subject))
	header(&b, "Message-ID", "<"+msg.id+"@"+messageIDDomain(from.Address)+">")
	header(&b, "MIME-Version", "1.0")
	header(&b, "Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mp.Boundary()}))
	header(&b, "Content-Language", m.Language)
	// Marks the mail as sent by a program (RFC 3834) so that auto-responders
	// do not answer it.
	header(&b, "Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	if bufs.encoded, err = writePart(mp, "text/plain; charset=utf-8", text.Bytes(), bufs.encoded); err != nil {
		return nil, err
	}
	if bufs.encoded, err = writePart(mp, "text/html; charset=utf-8", html.Bytes(), bufs.encoded); err != nil {
		return nil, err
	}
	if err := mp.Close(); err != nil {
		return nil, err
	}
	msg.raw = b.Bytes()
	return msg, nil
}

// composeBuffer is compose's scratch space: the rendered bodies and a body
// once encoded.
type composeBuffer struct {
	text, html bytes.Buffer
	encoded    []byte
}

// composeBuffers keeps compose's scratch space between messages: a batch
// writes thousands, all about the same size.
var composeBuffers = sync.Pool{New: func() any { return new(composeBuffer) }}

// recipient checks m.To and pairs it with the invitee's name.
func recipient(m invite.InvitationEmail) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(m.To)
	if err != nil || a.Address != strings.TrimSpace(m.To) {
		return nil, invite.Errorf(invite.EINVALID, "invalid recipient address %q", m.To)
	}
	a.Name = oneLine(oneLine(m.FirstName) + " " + oneLine(m.LastName))
	return a, nil
}

func writePart(mp *multipart.Writer, contentType string, content, scratch []byte) ([]byte, error) {
	w, err := mp.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {contentType},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return scratch, err
	}
	// quoted-printable keeps every line short and 7-bit, and its text mode
	// turns the templates' \n into the CRLF that mail requires.
	scratch = appendQuotedPrintable(scratch[:0], content)
	_, err = w.Write(scratch)
	return scratch, err
}

// header writes one header field, folded at spaces so that lines stay
// within the 78 characters RFC 5322 recommends where the value allows.
func header(b *bytes.Buffer, name, value string) {
	const limit = 78
	line := name + ":"
	for i, word := range strings.Split(value, " ") {
		switch {
		case i == 0:
			line += " " + word
		case len(line)+1+len(word) > limit:
			b.WriteString(line + "\r\n")
			line = " " + word
		default:
			line += " " + word
		}
	}
	b.WriteString(line + "\r\n")
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
