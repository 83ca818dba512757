package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	simplemail "github.com/xhit/go-simple-mail/v2"
)

// smtpMailer sends over one SMTP connection that it keeps open between
// sends, so a batch of invitations costs one connection, one TLS handshake
// and one AUTH. Before reusing the connection it sends NOOP; a connection
// found broken, before or during a send, is replaced once.
//
// The library's own connect and send timeouts run the work in a goroutine
// that outlives the timeout, so instead this type dials the TCP connection
// itself and bounds every step with deadlines on it, which also lets a
// cancelled context interrupt a send.
type smtpMailer struct {
	s settings

	mu     sync.Mutex // one send at a time: the connection is a conversation
	client *simplemail.SMTPClient
	conn   net.Conn  // the TCP connection under client, for deadlines
	used   time.Time // when the connection last finished a command
}

// noopAfterIdle is how long a kept connection may rest before it is checked
// with NOOP. Within a batch the previous send proved it alive a moment ago,
// and a break in between is caught by the one reconnect anyway, so the extra
// round trip per message would only halve the throughput.
const noopAfterIdle = time.Second

func newSMTPMailer(s settings) *smtpMailer { return &smtpMailer{s: s} }

// Session returns a mailer of the same settings over a connection of its
// own, opened by its first send; Close ends it.
func (m *smtpMailer) Session() invite.MailSession { return newSMTPMailer(m.s) }

// SendInvitation delivers one invitation email. Errors are *invite.Error
// values with code EDELIVERY (EINVALID for a message that cannot be written).
func (m *smtpMailer) SendInvitation(ctx context.Context, e invite.InvitationEmail) error {
	if err := sendContextErr(ctx); err != nil {
		return err
	}
	msg, err := compose(m.s.from, e, m.s.now())
	if err != nil {
		return err
	}
	return m.send(ctx, msg)
}

// send delivers a written message over the kept connection.
func (m *smtpMailer) send(ctx context.Context, msg *message) error {
	m.mu.Lock()
	defer m.mu.Unlock()

	fresh := false
	if m.client != nil && time.Since(m.used) > noopAfterIdle && m.noop(ctx) != nil {
		m.drop()
	}
	if m.client == nil {
		if err := m.connect(ctx); err != nil {
			return err
		}
		fresh = true
	}
	err := m.transmit(ctx, msg)
	m.used = time.Now()
	if err == nil || fresh || !brokenConnection(err) || ctx.Err() != nil {
		return m.sendError(ctx, msg, err)
	}
	// The kept connection broke under us (the server may have timed it out
	// between NOOP and MAIL): reconnect once. If the break came after the
	// server had taken the message, the recipient gets it twice, which beats
	// reporting a delivered invitation as failed the other way round.
	if err := m.connect(ctx); err != nil {
		return err
	}
	err = m.transmit(ctx, msg)
	m.used = time.Now()
	return m.sendError(ctx, msg, err)
}

// Close says QUIT and closes the kept connection, if any. A later send
// opens a new one.
func (m *smtpMailer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.client == nil {
		return nil
	}
	// QUIT is a courtesy; the connection is closed either way.
	_ = m.conn.SetDeadline(time.Now().Add(m.s.connectTO))
	if err := m.client.Quit(); err != nil {
		_ = m.client.Close()
	}
	m.client, m.conn = nil, nil
	return nil
}

// connect dials, reads the greeting, negotiates TLS and authenticates, all
// within the connect timeout.
func (m *smtpMailer) connect(ctx context.Context) error {
	addr := m.s.addr()
	dialer := net.Dialer{Timeout: m.s.connectTO}
	raw, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return m.connectError(ctx, err)
	}
	release := bound(ctx, raw, m.s.connectTO)

	tlsDone := false
	tlsConfig := m.tlsConfig(&tlsDone)
	conn := net.Conn(raw)
	switch m.s.encryption {
	case EncryptionTLS:
		conn = tls.Client(raw, tlsConfig)
	case EncryptionSTARTTLS:
		conn = tlsGuard{Conn: raw, tlsDone: &tlsDone}
	}
	server := simplemail.NewSMTPClient()
	server.Host = m.s.host
	server.Port = m.s.port
	server.CustomConn = conn
	server.TLSConfig = tlsConfig
	server.Encryption = map[string]simplemail.Encryption{
		EncryptionNone:     simplemail.EncryptionNone,
		EncryptionSTARTTLS: simplemail.EncryptionSTARTTLS,
		EncryptionTLS:      simplemail.EncryptionSSLTLS,
	}[m.s.encryption]
	server.Username = m.s.username
	server.Password = m.s.password
	server.KeepAlive = true
	// Zero: the deadlines on raw bound each step instead (see smtpMailer).
	server.ConnectTimeout = 0
	server.SendTimeout = 0

	client, err := server.Connect()
	cancelled := !release()
	switch {
	case m.s.encryption == EncryptionSTARTTLS && !tlsDone && (err == nil || errors.Is(err, errNoSTARTTLS)):
		// The library silently goes on in the clear when the server does not
		// offer STARTTLS; the message holds a personal link, so stop here.
		_ = raw.Close()
		return m.connectError(ctx, errNoSTARTTLS).
			WithHint("set smtp.encryption to tls if the server expects TLS from the start (usually port 465), or to none only for a server on this machine")
	case err != nil && client != nil:
		// Connect returns a client together with an error only when AUTH failed.
		_ = raw.Close()
		return m.authError(ctx, err)
	case err != nil:
		_ = raw.Close()
		return m.connectError(ctx, unwrapLibrary(err))
	case cancelled:
		_ = client.Close()
		return m.connectError(ctx, ctx.Err())
	case m.s.username != "" && !authOffered(client):
		// The library skips AUTH without a word when the server does not
		// offer it, and would send unauthenticated.
		_ = client.Close()
		return &invite.Error{Code: invite.EDELIVERY, Err: connectionFailure{errNoAUTH},
			Message: fmt.Sprintf("connecting to %s: %v", m.s.addr(), errNoAUTH),
			Hint:    "smtp.username is set, so mail goes only over an authenticated session: check smtp.host and smtp.port (submission is usually 587), or unset smtp.username and smtp.password for a server that takes mail without them"}
	}
	m.client, m.conn = client, raw
	return nil
}

// authOffered says whether the server offered AUTH in its EHLO answer (the
// last one, after STARTTLS), from the extensions the library read. A
// library whose client no longer has them counts as not offered: nothing
// goes out unauthenticated.
func authOffered(c *simplemail.SMTPClient) bool {
	v := reflect.ValueOf(c.Client)
	if !v.IsValid() || v.IsNil() {
		return false
	}
	ext := v.Elem().FieldByName("ext")
	if !ext.IsValid() || ext.Kind() != reflect.Map || ext.Type().Key().Kind() != reflect.String {
		return false
	}
	return ext.MapIndex(reflect.ValueOf("AUTH")).IsValid()
}

// tlsConfig returns the configured TLS settings with ServerName defaulted
// and a hook that records that a handshake really took place.
func (m *smtpMailer) tlsConfig(done *bool) *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.s.tlsConfig != nil {
		c = m.s.tlsConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = m.s.host
	}
	verify := c.VerifyConnection
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if verify != nil {
			if err := verify(cs); err != nil {
				return err
			}
		}
		*done = true
		return nil
	}
	return c
}

// noop checks that the kept connection still answers.
func (m *smtpMailer) noop(ctx context.Context) error {
	release := bound(ctx, m.conn, m.s.connectTO)
	err := m.client.Noop()
	release()
	return err
}

// transmit runs one MAIL, RCPT, DATA transaction within the send timeout.
func (m *smtpMailer) transmit(ctx context.Context, msg *message) error {
	release := bound(ctx, m.conn, m.s.sendTO)
	err := simplemail.SendMessage(msg.from, []string{msg.to}, msg.raw, m.client)
	release()
	return err
}

// sendError keeps the connection usable after a refusal and drops it after
// anything else, then describes err for people.
func (m *smtpMailer) sendError(ctx context.Context, msg *message, err error) error {
	if err == nil {
		return nil
	}
	var reply *textproto.Error
	if errors.As(err, &reply) && !brokenConnection(err) {
		// The server refused this message but the conversation is intact:
		// RSET ends the transaction so the next send can reuse it.
		release := bound(ctx, m.conn, m.s.connectTO)
		if m.client.Reset() != nil {
			m.drop()
		}
		release()
		return &invite.Error{Code: invite.EDELIVERY, Err: refusal{err, reply.Code},
			Message: fmt.Sprintf("%s refused the message to %s: %s", m.s.addr(), msg.to, describe(err)),
			Hint:    "check the recipient address, and that the server accepts mail.from as a sender"}
	}
	m.drop()
	if ctx.Err() != nil {
		err = ctx.Err()
	} else if isTimeout(err) {
		// A server that stops answering is a failure of the connection.
		err = connectionFailure{fmt.Errorf("no answer within %s", m.s.sendTO)}
	}
	return &invite.Error{Code: invite.EDELIVERY, Err: err,
		Message: fmt.Sprintf("sending to %s via %s: %s", msg.to, m.s.addr(), describe(err))}
}

func (m *smtpMailer) connectError(ctx context.Context, err error) *invite.Error {
	if ctx.Err() != nil {
		err = ctx.Err()
	} else if isTimeout(err) {
		err = fmt.Errorf("no answer within %s", m.s.connectTO)
	}
	hint := "check smtp.host, smtp.port and smtp.encryption, and that the server is reachable from here (smtp.timeout says how long to wait)"
	if isCertificateError(err) {
		hint = "the server's TLS certificate is not trusted for " + m.s.host +
			"; check smtp.host, or set smtp.ca_file to the PEM file of the certificate authority that signed it"
	}
	return &invite.Error{Code: invite.EDELIVERY, Err: connectionFailure{err}, Hint: hint,
		Message: fmt.Sprintf("connecting to %s: %s", m.s.addr(), describe(err))}
}

// isCertificateError tells a certificate the client does not trust.
func isCertificateError(err error) bool {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host) || errors.As(err, &verify) ||
		strings.Contains(err.Error(), "certificate")
}

func (m *smtpMailer) authError(ctx context.Context, err error) *invite.Error {
	err = unwrapLibrary(err)
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return &invite.Error{Code: invite.EDELIVERY, Err: connectionFailure{err},
		Message: fmt.Sprintf("authentication failed at %s as %q: %s", m.s.addr(), m.s.username, describe(err)),
		Hint:    "the server refused the credentials: check smtp.username and smtp.password"}
}

// drop closes the kept connection without ceremony.
func (m *smtpMailer) drop() {
	if m.client != nil {
		_ = m.client.Close()
	}
	m.client, m.conn = nil, nil
}

// bound sets a deadline on conn, timeout from now or the context's deadline
// if sooner, and makes a cancelled context cut the connection's wait short.
// release clears both and reports false when the context had fired.
func bound(ctx context.Context, conn net.Conn, timeout time.Duration) (release func() bool) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return func() bool {
		stopped := stop()
		_ = conn.SetDeadline(time.Time{})
		return stopped
	}
}

// brokenConnection tells a dead connection from a refusal by the server.
// 421 is the server announcing that it is closing the connection.
func brokenConnection(err error) bool {
	var reply *textproto.Error
	if errors.As(err, &reply) {
		return reply.Code == 421
	}
	return true
}

// describe writes a server's reply as the server wrote it ("550 5.1.1 no
// such mailbox"), and any other error as it is.
func describe(err error) string {
	if reply, ok := err.(*textproto.Error); ok {
		return fmt.Sprintf("%03d %s", reply.Code, strings.ReplaceAll(reply.Msg, "\n", " "))
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unwrapLibrary drops the library's "Mail Error on …:" prefixes, keeping
// the cause and naming the step in our words.
func unwrapLibrary(err error) error {
	steps := []struct{ prefix, step string }{
		{"Mail Error on smtp dial: ", "greeting"},
		{"Mail Error on Hello: ", "EHLO"},
		{"Mail Error on STARTTLS: ", "STARTTLS"},
		{"Mail Error on Auth: ", ""},
	}
	for _, s := range steps {
		if !strings.HasPrefix(err.Error(), s.prefix) {
			continue
		}
		cause := errors.Unwrap(err)
		if cause == nil {
			cause = errors.New(strings.TrimPrefix(err.Error(), s.prefix))
		}
		if s.step == "" {
			return cause
		}
		return &stepError{step: s.step, err: cause}
	}
	return err
}

// refusal is the server's refusal of one message. A 5xx answer is
// permanent (the outbox marks the email failed); a 4xx one is temporary
// (it is tried again later), as is every error that is not a refusal.
type refusal struct {
	error
	code int
}

func (r refusal) Permanent() bool { return r.code >= 500 }
func (r refusal) Unwrap() error   { return r.error }

// stepError names the step of the conversation that failed.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + describe(e.err) }
func (e *stepError) Unwrap() error { return e.err }

// connectionFailure is a failure of the connection itself (refused,
// timeout, TLS, authentication): no message can go over it, so a deliverer
// stops opening connections for the rest of its run.
type connectionFailure struct{ error }

func (connectionFailure) ConnectionFailed() bool { return true }
func (c connectionFailure) Unwrap() error        { return c.error }

// errNoAUTH stops a session that would send unauthenticated although
// credentials are configured.
var errNoAUTH = errors.New("the server does not offer authentication (AUTH); refusing to send without it")

// errNoSTARTTLS stops a STARTTLS connection that never became encrypted.
var errNoSTARTTLS = errors.New("the server does not offer STARTTLS")

// tlsGuard refuses to send AUTH while a connection that must be upgraded by
// STARTTLS is still in the clear. The library skips STARTTLS without a word
// when the server does not offer it and would go on to send the password.
type tlsGuard struct {
	net.Conn
	tlsDone *bool
}

func (g tlsGuard) Write(p []byte) (int, error) {
	if !*g.tlsDone && bytes.HasPrefix(p, []byte("AUTH")) {
		return 0, errNoSTARTTLS
	}
	return g.Conn.Write(p)
}
