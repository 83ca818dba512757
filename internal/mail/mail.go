// Package mail delivers invitation emails. It implements invite.Mailer with
// two transports: SMTP, keeping one connection alive across a batch of sends,
// and file, which writes each message as an .eml file into a folder. Both
// send the same message: a multipart/alternative text and HTML body written
// from the embedded templates in the invitation's language, and composed
// (headers, MIME parts, quoted-printable) by go-simple-mail.
package mail

import (
	"context"
	"io"

	"github.com/invitectl/invitectl/internal/invite"
)

// Mailer is an invite.Mailer that holds resources until it is closed. It
// is safe for use by several goroutines, whose sends are served one at a
// time.
type Mailer interface {
	invite.Mailer
	io.Closer
}

// New validates cfg and returns the transport it selects. It does not
// connect: an SMTP connection is opened by the first send. Configuration
// mistakes are *invite.Error values with code EINVALID and a hint.
func New(cfg Config) (Mailer, error) {
	s, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if s.transport == TransportFile {
		return &fileMailer{dir: s.dir, from: s.from, now: s.now, written: cfg.Written}, nil
	}
	return newSMTPMailer(s), nil
}

// Compile-time checks that both transports satisfy the port.
var (
	_ Mailer = (*fileMailer)(nil)
	_ Mailer = (*smtpMailer)(nil)
)

// sendContextErr reports a cancelled context before any work starts.
func sendContextErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return &invite.Error{Code: invite.EDELIVERY, Message: "sending cancelled: " + err.Error(), Err: err}
	}
	return nil
}
