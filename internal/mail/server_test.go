package mail

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/invitectl/invitectl/internal/invite"
)

// received is one message as the test server got it.
type received struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the session was encrypted
	User string // who authenticated, if anyone
}

// serverConfig sets up a testServer.
type serverConfig struct {
	addr              string      // listen address; default 127.0.0.1:0
	tls               *tls.Config // offers STARTTLS, or TLS from the start with implicitTLS
	implicitTLS       bool
	users             map[string]string // enables AUTH PLAIN and requires it
	allowInsecureAuth bool
	discard           bool // count messages without keeping them (benchmarks)
}

// testServer is a real go-smtp server on loopback that records what it
// receives and can be told to misbehave.
type testServer struct {
	cfg  serverConfig
	srv  *smtp.Server
	addr string
	port int

	mu           sync.Mutex
	messages     []received
	count        int    // messages accepted, also when discarding
	lastData     []byte // the latest message, also when discarding
	sessions     int    // backend sessions created: one per connection without STARTTLS
	authAttempts int

	// Misbehaviour, changed under mu between sends.
	refuseSessions   error
	rejectRcpt       error
	rejectData       error
	dropAfterMessage bool          // close the connection right after answering DATA
	dropOnMail       int           // close the connection on this many MAIL commands; -1: always
	stallData        chan struct{} // when set, DATA waits for it to close before answering
}

func startServer(tb testing.TB, cfg serverConfig) *testServer {
	tb.Helper()
	ts := &testServer{cfg: cfg}
	ts.srv = smtp.NewServer(ts)
	ts.srv.Domain = "mx.test"
	ts.srv.AllowInsecureAuth = cfg.allowInsecureAuth
	ts.srv.ErrorLog = log.New(io.Discard, "", 0)
	addr := cfg.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	if cfg.implicitTLS {
		ln = tls.NewListener(ln, cfg.tls)
	} else {
		ts.srv.TLSConfig = cfg.tls
	}
	ts.addr = ln.Addr().String()
	ts.port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = ts.srv.Serve(ln) }()
	tb.Cleanup(ts.stop)
	return ts
}

// stop closes the listener and every connection; calling it again is harmless.
func (ts *testServer) stop() { _ = ts.srv.Close() }

func (ts *testServer) set(f func(ts *testServer)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	f(ts)
}

func (ts *testServer) Messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.messages...)
}

func (ts *testServer) Sessions() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.sessions
}

// NewSession is called once per connection (and again after STARTTLS).
func (ts *testServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	ts.mu.Lock()
	ts.sessions++
	refuse := ts.refuseSessions
	ts.mu.Unlock()
	if refuse != nil {
		return nil, refuse
	}
	_, isTLS := c.TLSConnectionState()
	return &testSession{ts: ts, conn: c, tls: isTLS}, nil
}

type testSession struct {
	ts      *testServer
	conn    *smtp.Conn
	tls     bool
	user    string
	from    string
	to      []string
	gotData bool
}

// The session implements smtp.AuthSession; it offers mechanisms only when
// the server has users.
var _ smtp.AuthSession = (*testSession)(nil)

func (s *testSession) AuthMechanisms() []string {
	if len(s.ts.cfg.users) == 0 {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || len(s.ts.cfg.users) == 0 {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		s.ts.mu.Lock()
		s.ts.authAttempts++
		s.ts.mu.Unlock()
		if want, ok := s.ts.cfg.users[username]; !ok || want != password || identity != "" && identity != username {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if len(s.ts.cfg.users) > 0 && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.ts.mu.Lock()
	drop := s.ts.dropOnMail != 0
	if s.ts.dropOnMail > 0 {
		s.ts.dropOnMail--
	}
	s.ts.mu.Unlock()
	if drop {
		// Closing the socket, not the smtp.Conn: the server holds the
		// Conn's lock while it calls the session.
		_ = s.conn.Conn().Close()
		return errors.New("dropped")
	}
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ts.mu.Lock()
	err := s.ts.rejectRcpt
	s.ts.mu.Unlock()
	if err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ts.mu.Lock()
	stall := s.ts.stallData
	s.ts.mu.Unlock()
	if stall != nil {
		<-stall
	}
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	if s.ts.rejectData != nil {
		return s.ts.rejectData
	}
	s.ts.count++
	s.ts.lastData = data
	if !s.ts.cfg.discard {
		s.ts.messages = append(s.ts.messages, received{From: s.from, To: s.to, Data: data, TLS: s.tls, User: s.user})
	}
	s.gotData = true
	return nil
}

// Reset runs after every DATA, once the answer has been written.
func (s *testSession) Reset() {
	s.from, s.to = "", nil
	s.ts.mu.Lock()
	drop := s.ts.dropAfterMessage && s.gotData
	s.ts.mu.Unlock()
	if drop {
		_ = s.conn.Conn().Close()
	}
	s.gotData = false
}

func (s *testSession) Logout() error { return nil }

// selfSigned returns a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSigned(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "invitectl test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// The fixed moment every test sends at, and a sample invitation.
var sendTime = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const (
	testFrom = "Acme Invitations <invitations@example.com>"
	testLink = "http://127.0.0.1:8080/invite/AQGQk3x_Jc2v4ZrR8a1bX0yQ-pLmNoPqRsTuVwXyZ0123456789abcdEF"
)

func fixedClock() time.Time { return sendTime }

func sampleEmail(lang string) invite.InvitationEmail {
	return invite.InvitationEmail{
		To:        "asa.lind@example.com",
		FirstName: "Åsa",
		LastName:  "Lind",
		Customer:  "Ölands Äventyr AB",
		Language:  lang,
		Link:      testLink,
		ExpiresAt: time.Date(2027, 11, 25, 10, 0, 0, 0, time.UTC),
		SentBy:    "admin",
	}
}

// smtpConfig points a mailer at ts without encryption or auth.
func smtpConfig(ts *testServer) Config {
	return Config{
		Transport:  TransportSMTP,
		Host:       "127.0.0.1",
		Port:       ts.port,
		Encryption: EncryptionNone,
		From:       testFrom,
		Now:        fixedClock,
	}
}

func mustNew(tb testing.TB, cfg Config) Mailer {
	tb.Helper()
	m, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	return m
}

// parsedMessage is a message taken apart the way a mail client would.
type parsedMessage struct {
	Header    netmail.Header
	Subject   string
	From      *netmail.Address
	To        *netmail.Address
	Date      time.Time
	PartTypes []string
	Text      string
	HTML      string
}

// parseMessage checks the wire form (CRLF only, 7-bit, short lines) and
// decodes headers and both parts.
func parseMessage(tb testing.TB, raw []byte) parsedMessage {
	tb.Helper()
	for i, line := range strings.Split(string(raw), "\r\n") {
		if strings.Contains(line, "\n") || strings.Contains(line, "\r") {
			tb.Fatalf("line %d has a bare line break: %q", i+1, line)
		}
		if len(line) > 78 {
			tb.Errorf("line %d is %d characters long: %q", i+1, len(line), line)
		}
	}
	for i, c := range raw {
		if c >= 0x80 {
			tb.Fatalf("byte %d is not 7-bit: the message is not transfer-encoded", i)
		}
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		tb.Fatalf("parsing the message: %v", err)
	}
	var p parsedMessage
	p.Header = msg.Header
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		tb.Fatalf("decoding the subject: %v", err)
	}
	if p.From, err = netmail.ParseAddress(msg.Header.Get("From")); err != nil {
		tb.Fatalf("From: %v", err)
	}
	if p.To, err = netmail.ParseAddress(msg.Header.Get("To")); err != nil {
		tb.Fatalf("To: %v", err)
	}
	if p.Date, err = msg.Header.Date(); err != nil {
		tb.Fatalf("Date: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		tb.Fatalf("Content-Type %q, %v; want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		// NextRawPart leaves the transfer encoding alone, so that the test
		// sees it and decodes it as a mail client would.
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("reading a part: %v", err)
		}
		if cte := part.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			tb.Fatalf("part %q has Content-Transfer-Encoding %q, want quoted-printable", part.Header.Get("Content-Type"), cte)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			tb.Fatalf("decoding a part: %v", err)
		}
		if !utf8.Valid(body) {
			tb.Fatalf("part is not valid UTF-8")
		}
		ct, ctParams, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if !strings.EqualFold(ctParams["charset"], "utf-8") { // charset names ignore case (RFC 2046)
			tb.Errorf("part %s has charset %q", ct, ctParams["charset"])
		}
		p.PartTypes = append(p.PartTypes, ct)
		switch ct {
		case "text/plain":
			p.Text = string(body)
		case "text/html":
			p.HTML = string(body)
		}
	}
	return p
}
