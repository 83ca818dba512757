// Package mailtest runs a real SMTP server on loopback for tests and records
// what arrives.
package mailtest

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one received message.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Server is an in-process SMTP server on 127.0.0.1.
type Server struct {
	srv  *smtp.Server
	ln   net.Listener
	mu   sync.Mutex
	msgs []Message
	conn int
	// Reject, when set, makes RCPT fail with this error.
	reject error
	// answers, when set, are the codes the next RCPTs get, one each.
	answers []int
	delay   time.Duration // before each message is accepted
	// replyDelay is waited before the replies to MAIL, RCPT and the end of
	// DATA: a relay far away, for benchmarks of parallel connections.
	replyDelay time.Duration
}

// Answer makes the next n RCPTs fail with code (421, 451, 550 …), then
// accepts again: a server with a temporary or a permanent problem.
func (s *Server) Answer(code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.answers = append(s.answers, code)
	}
}

// SetDelay makes the server wait d before accepting each message: a slow
// server, for tests that interrupt a batch.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetReplyDelay makes the server wait d before it answers MAIL, RCPT and
// the end of DATA.
func (s *Server) SetReplyDelay(d time.Duration) {
	s.mu.Lock()
	s.replyDelay = d
	s.mu.Unlock()
}

func (s *Server) waitReply() {
	s.mu.Lock()
	d := s.replyDelay
	s.mu.Unlock()
	time.Sleep(d)
}

// Start starts a server on a free loopback port; it stops when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Listen starts a server on addr.
func Listen(addr string) (*Server, error) {
	s := &Server{}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.ln = ln
	go func() { _ = s.srv.Serve(ln) }() // returns when Close is called
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Port is the port number.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(p)
	return n
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// RejectRecipients makes every RCPT fail (nil restores).
func (s *Server) RejectRecipients(err error) {
	s.mu.Lock()
	s.reject = err
	s.mu.Unlock()
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Connections is the number of SMTP sessions opened so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.conn++
	s.mu.Unlock()
	return &session{s: s}, nil
}

type session struct {
	s   *Server
	msg Message
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.s.waitReply()
	x.msg = Message{From: from}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.waitReply()
	x.s.mu.Lock()
	err := x.s.reject
	code := 0
	if len(x.s.answers) > 0 {
		code, x.s.answers = x.s.answers[0], x.s.answers[1:]
	}
	x.s.mu.Unlock()
	if err != nil {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: err.Error()}
	}
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "answered " + strconv.Itoa(code) + " by the test"}
	}
	x.msg.To = append(x.msg.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(x.msg.To) == 0 {
		return errors.New("no recipients")
	}
	x.msg.Data = b
	x.s.mu.Lock()
	delay := x.s.delay
	x.s.mu.Unlock()
	time.Sleep(delay)
	x.s.waitReply()
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.msg)
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.msg = Message{} }
func (x *session) Logout() error { return nil }
