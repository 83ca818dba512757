package mail

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/invitectl/invitectl/internal/invite"
)

func TestSMTPDeliversCompleteMessage(t *testing.T) {
	tests := []struct {
		lang, subject, greeting, expiry string
	}{
		{invite.Swedish, "Inbjudan till Ölands Äventyr AB", "Hej Åsa!", "Länken gäller till 25 november 2027."},
		{invite.English, "Invitation to Ölands Äventyr AB", "Hello Åsa,", "The link is valid until 25 November 2027."},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			ts := startServer(t, serverConfig{})
			m := mustNew(t, smtpConfig(ts))
			if err := m.SendInvitation(context.Background(), sampleEmail(tt.lang)); err != nil {
				t.Fatal(err)
			}
			msgs := ts.Messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if got.From != "invitations@example.com" || len(got.To) != 1 || got.To[0] != "asa.lind@example.com" {
				t.Errorf("envelope MAIL FROM %q RCPT TO %q", got.From, got.To)
			}
			p := parseMessage(t, got.Data)
			if p.From.Name != "Acme Invitations" || p.From.Address != "invitations@example.com" {
				t.Errorf("From = %v", p.From)
			}
			if p.To.Name != "Åsa Lind" || p.To.Address != "asa.lind@example.com" {
				t.Errorf("To = %v", p.To)
			}
			if p.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", p.Subject, tt.subject)
			}
			if !p.Date.Equal(sendTime) {
				t.Errorf("Date = %v, want %v", p.Date, sendTime)
			}
			if id := p.Header.Get("Message-ID"); !regexp.MustCompile(`^<[a-z2-7]{26}@example\.com>$`).MatchString(id) {
				t.Errorf("Message-ID = %q", id)
			}
			if v := p.Header.Get("MIME-Version"); v != "1.0" {
				t.Errorf("MIME-Version = %q", v)
			}
			if v := p.Header.Get("Content-Language"); v != tt.lang {
				t.Errorf("Content-Language = %q", v)
			}
			if v := p.Header.Get("Auto-Submitted"); v != "auto-generated" {
				t.Errorf("Auto-Submitted = %q, want auto-generated", v)
			}
			// Exactly these headers: nothing of the library's own, no Bcc.
			wantHeaders := []string{"Auto-Submitted", "Content-Language", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
			if got := headerNames(p); !slices.Equal(got, wantHeaders) {
				t.Errorf("headers %v, want %v", got, wantHeaders)
			}
			if strings.Join(p.PartTypes, ",") != "text/plain,text/html" {
				t.Fatalf("parts %v, want text/plain then text/html", p.PartTypes)
			}
			for name, body := range map[string]string{"text": p.Text, "HTML": p.HTML} {
				for _, want := range []string{testLink, tt.greeting[:4], "Åsa", "Ölands Äventyr AB", "admin"} {
					if !strings.Contains(body, want) {
						t.Errorf("%s part lacks %q:\n%s", name, want, body)
					}
				}
			}
			// The link is longer than a quoted-printable line, so it arrives
			// broken by a soft line break and must come out whole.
			if strings.Contains(string(got.Data), testLink) {
				t.Fatal("the link is not split on the wire: the test no longer checks the decoding")
			}
			if !strings.Contains(p.Text, "\r\n"+testLink+"\r\n") {
				t.Errorf("the link is not on a line of its own in the text part:\n%s", p.Text)
			}
			if !strings.Contains(p.HTML, `href="`+testLink+`"`) {
				t.Errorf("the HTML part has no link to %s:\n%s", testLink, p.HTML)
			}
			if !strings.Contains(p.Text, tt.greeting) || !strings.Contains(p.Text, tt.expiry) {
				t.Errorf("text part lacks %q or %q:\n%s", tt.greeting, tt.expiry, p.Text)
			}
			_, text, html, _ := Render(sampleEmail(tt.lang))
			if p.HTML != strings.ReplaceAll(html, "\n", "\r\n") || p.Text != strings.ReplaceAll(text, "\n", "\r\n") {
				t.Error("the decoded parts differ from what Render produces")
			}
		})
	}
}

// The Date header is the injected clock's instant, whatever its zone, and
// never the host's clock: the library would fill in time.Now if it had no date.
func TestDateComesFromTheClock(t *testing.T) {
	clocks := []time.Time{
		time.Date(2031, 3, 9, 23, 30, 15, 987654321, time.FixedZone("CET", 3600)),
		time.Date(1999, 12, 31, 19, 0, 0, 0, time.FixedZone("", -5*3600)),
		sendTime,
	}
	for _, now := range clocks {
		ts := startServer(t, serverConfig{})
		cfg := smtpConfig(ts)
		cfg.Now = func() time.Time { return now }
		if err := mustNew(t, cfg).SendInvitation(context.Background(), sampleEmail(invite.English)); err != nil {
			t.Fatal(err)
		}
		p := parseMessage(t, ts.Messages()[0].Data)
		if want := now.Truncate(time.Second); !p.Date.Equal(want) {
			t.Errorf("clock %v: Date = %v (%q), want %v", now, p.Date, p.Header.Get("Date"), want)
		}
	}
}

func TestSMTPBatchUsesOneConnection(t *testing.T) {
	ts := startServer(t, serverConfig{})
	m := mustNew(t, smtpConfig(ts))
	for i := range 10 {
		e := sampleEmail(invite.English)
		e.To = fmt.Sprintf("person%d@example.com", i)
		if err := m.SendInvitation(context.Background(), e); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	msgs := ts.Messages()
	if len(msgs) != 10 {
		t.Fatalf("server got %d messages, want 10", len(msgs))
	}
	ids := map[string]bool{}
	for i, msg := range msgs {
		if want := fmt.Sprintf("person%d@example.com", i); len(msg.To) != 1 || msg.To[0] != want {
			t.Errorf("message %d went to %v, want %s", i, msg.To, want)
		}
		id := parseMessage(t, msg.Data).Header.Get("Message-ID")
		if id == "" || ids[id] {
			t.Errorf("message %d has Message-ID %q, empty or seen before", i, id)
		}
		ids[id] = true
	}
	if n := ts.Sessions(); n != 1 {
		t.Errorf("the batch used %d connections, want 1", n)
	}
}

func TestSMTPReconnectsWhenServerDropsConnection(t *testing.T) {
	ts := startServer(t, serverConfig{})
	ts.set(func(ts *testServer) { ts.dropAfterMessage = true })
	m := mustNew(t, smtpConfig(ts))
	for i := range 3 {
		if err := m.SendInvitation(context.Background(), sampleEmail(invite.Swedish)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if n := len(ts.Messages()); n != 3 {
		t.Errorf("server got %d messages, want 3", n)
	}
	if n := ts.Sessions(); n != 3 {
		t.Errorf("%d connections, want 3: one new connection after each drop", n)
	}
}

func TestSMTPReconnectsAfterServerRestart(t *testing.T) {
	first := startServer(t, serverConfig{})
	m := mustNew(t, smtpConfig(first))
	if err := m.SendInvitation(context.Background(), sampleEmail(invite.English)); err != nil {
		t.Fatal(err)
	}
	first.stop()
	second := startServer(t, serverConfig{addr: first.addr})
	if err := m.SendInvitation(context.Background(), sampleEmail(invite.English)); err != nil {
		t.Fatalf("send after the restart: %v", err)
	}
	if n := len(second.Messages()); n != 1 {
		t.Errorf("the restarted server got %d messages, want 1", n)
	}
}

func TestSMTPReconnectsOnceWhenConnectionBreaksDuringSend(t *testing.T) {
	ts := startServer(t, serverConfig{})
	m := mustNew(t, smtpConfig(ts))
	ctx := context.Background()
	if err := m.SendInvitation(ctx, sampleEmail(invite.English)); err != nil {
		t.Fatal(err)
	}
	// NOOP succeeds, then the connection dies at MAIL: one reconnect saves it.
	ts.set(func(ts *testServer) { ts.dropOnMail = 1 })
	if err := m.SendInvitation(ctx, sampleEmail(invite.English)); err != nil {
		t.Fatalf("send over a connection that broke: %v", err)
	}
	if n := len(ts.Messages()); n != 2 {
		t.Errorf("server got %d messages, want 2 (each exactly once)", n)
	}
	if n := ts.Sessions(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}

	// Every connection dies: one reconnect, then the error.
	ts.set(func(ts *testServer) { ts.dropOnMail = -1 })
	err := m.SendInvitation(ctx, sampleEmail(invite.English))
	if err == nil {
		t.Fatal("send succeeded although every connection breaks")
	}
	if invite.ErrorCode(err) != invite.EDELIVERY || !strings.Contains(err.Error(), "via 127.0.0.1:") {
		t.Errorf("err = %v (%s), want EDELIVERY naming the server", err, invite.ErrorCode(err))
	}
	if n := ts.Sessions(); n != 3 {
		t.Errorf("%d connections, want 3: exactly one reconnect for the failed send", n)
	}

	// A fresh connection that breaks is not retried.
	fresh := mustNew(t, smtpConfig(ts))
	if err := fresh.SendInvitation(ctx, sampleEmail(invite.English)); err == nil {
		t.Fatal("send succeeded although the connection broke")
	}
	if n := ts.Sessions(); n != 4 {
		t.Errorf("%d connections, want 4: no reconnect for a connection that was new", n)
	}
}

func TestSMTPUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	m := mustNew(t, Config{Host: "127.0.0.1", Port: closedPort, From: testFrom, Now: fixedClock})
	err = m.SendInvitation(context.Background(), sampleEmail(invite.English))
	if err == nil {
		t.Fatal("send to a closed port succeeded")
	}
	want := fmt.Sprintf("connecting to 127.0.0.1:%d: ", closedPort)
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("err = %q, want it to start with %q and say refused", err, want)
	}
	if invite.ErrorCode(err) != invite.EDELIVERY || invite.ErrorHint(err) == "" {
		t.Errorf("code %s, hint %q; want EDELIVERY with a hint", invite.ErrorCode(err), invite.ErrorHint(err))
	}
}

func TestSMTPSilentServerTimesOut(t *testing.T) {
	// Accepts connections and never says a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		select {
		case c := <-accepted:
			c.Close()
		default:
		}
	})
	cfg := Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: testFrom, ConnectTimeout: 50 * time.Millisecond}
	err = mustNew(t, cfg).SendInvitation(context.Background(), sampleEmail(invite.English))
	want := fmt.Sprintf("connecting to 127.0.0.1:%d: no answer within 50ms", cfg.Port)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestSMTPStalledSendTimesOut(t *testing.T) {
	ts := startServer(t, serverConfig{})
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) }) // runs before the server stops
	ts.set(func(ts *testServer) { ts.stallData = stall })
	cfg := smtpConfig(ts)
	cfg.SendTimeout = 50 * time.Millisecond
	err := mustNew(t, cfg).SendInvitation(context.Background(), sampleEmail(invite.English))
	want := fmt.Sprintf("sending to asa.lind@example.com via 127.0.0.1:%d: no answer within 50ms", ts.port)
	if err == nil || err.Error() != want || invite.ErrorCode(err) != invite.EDELIVERY {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if n := ts.Sessions(); n != 1 {
		t.Errorf("%d connections, want 1: a new connection that stalls is not retried", n)
	}
}

func TestSMTPRefusedGreeting(t *testing.T) {
	ts := startServer(t, serverConfig{})
	ts.set(func(ts *testServer) {
		ts.refuseSessions = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "too busy"}
	})
	err := mustNew(t, smtpConfig(ts)).SendInvitation(context.Background(), sampleEmail(invite.English))
	want := fmt.Sprintf("connecting to 127.0.0.1:%d: EHLO: 421 4.3.2 too busy", ts.port)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestSMTPRefusedMessage(t *testing.T) {
	tests := []struct {
		name   string
		refuse func(ts *testServer)
		want   string
	}{
		{"recipient", func(ts *testServer) {
			ts.rejectRcpt = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		}, "550 5.1.1 no such mailbox"},
		{"data", func(ts *testServer) {
			ts.rejectData = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "content refused"}
		}, "554 5.6.0 content refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, serverConfig{})
			m := mustNew(t, smtpConfig(ts))
			ts.set(tt.refuse)
			err := m.SendInvitation(context.Background(), sampleEmail(invite.English))
			if err == nil {
				t.Fatal("a refused message was reported as sent")
			}
			want := "127.0.0.1:" + fmt.Sprint(ts.port) + " refused the message to asa.lind@example.com: " + tt.want
			if err.Error() != want {
				t.Errorf("err = %q, want %q", err, want)
			}
			if invite.ErrorCode(err) != invite.EDELIVERY {
				t.Errorf("code %s, want EDELIVERY", invite.ErrorCode(err))
			}
			if n := len(ts.Messages()); n != 0 {
				t.Errorf("server kept %d messages", n)
			}
			// The refusal left the conversation usable.
			ts.set(func(ts *testServer) { ts.rejectRcpt, ts.rejectData = nil, nil })
			if err := m.SendInvitation(context.Background(), sampleEmail(invite.English)); err != nil {
				t.Fatalf("send after a refusal: %v", err)
			}
			if n := ts.Sessions(); n != 1 {
				t.Errorf("%d connections, want 1: a refusal does not need a new connection", n)
			}
		})
	}
}

func TestSMTPAuthOverLoopback(t *testing.T) {
	ts := startServer(t, serverConfig{users: map[string]string{"mailer": "correct horse"}, allowInsecureAuth: true})
	ctx := context.Background()

	cfg := smtpConfig(ts)
	cfg.Username, cfg.Password = "mailer", "correct horse"
	if err := mustNew(t, cfg).SendInvitation(ctx, sampleEmail(invite.English)); err != nil {
		t.Fatal(err)
	}
	if msgs := ts.Messages(); len(msgs) != 1 || msgs[0].User != "mailer" {
		t.Fatalf("messages %+v, want one sent by the authenticated mailer", msgs)
	}

	cfg.Password = "wrong"
	err := mustNew(t, cfg).SendInvitation(ctx, sampleEmail(invite.English))
	want := fmt.Sprintf(`authentication failed at 127.0.0.1:%d as "mailer": 535 5.7.8 Authentication failed`, ts.port)
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if invite.ErrorCode(err) != invite.EDELIVERY || !strings.Contains(invite.ErrorHint(err), "smtp.password") || !invite.ConnectionFailed(err) {
		t.Errorf("code %s, hint %q, connection failure %v", invite.ErrorCode(err), invite.ErrorHint(err), invite.ConnectionFailed(err))
	}

	noAuth := smtpConfig(ts)
	err = mustNew(t, noAuth).SendInvitation(ctx, sampleEmail(invite.English))
	if err == nil || !strings.Contains(err.Error(), "refused the message") || !strings.Contains(err.Error(), "authenticate") {
		t.Errorf("without credentials: err = %v, want the server's refusal", err)
	}
	if n := len(ts.Messages()); n != 1 {
		t.Errorf("server got %d messages, want only the authenticated one", n)
	}
}

// With credentials configured, a server that does not offer AUTH gets
// nothing: no unauthenticated send.
func TestSMTPRefusesToSendWithoutAUTH(t *testing.T) {
	ts := startServer(t, serverConfig{})
	cfg := smtpConfig(ts)
	cfg.Username, cfg.Password = "mailer", "correct horse"
	err := mustNew(t, cfg).SendInvitation(context.Background(), sampleEmail(invite.English))
	want := fmt.Sprintf("connecting to 127.0.0.1:%d: the server does not offer authentication (AUTH); refusing to send without it", ts.port)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if !invite.ConnectionFailed(err) || !strings.Contains(invite.ErrorHint(err), "smtp.username") {
		t.Errorf("connection failure %v, hint %q", invite.ConnectionFailed(err), invite.ErrorHint(err))
	}
	if n := len(ts.Messages()); n != 0 {
		t.Errorf("%d messages sent unauthenticated", n)
	}
}

// smtp.ca_file trusts a private certificate authority for STARTTLS; a bad
// file is a configuration error that says what is wrong with it.
func TestSMTPCAFile(t *testing.T) {
	cert, _ := selfSigned(t)
	ts := startServer(t, serverConfig{tls: &tls.Config{Certificates: []tls.Certificate{cert}}})
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := smtpConfig(ts)
	cfg.Encryption = EncryptionSTARTTLS
	cfg.CAFile = caFile
	if err := mustNew(t, cfg).SendInvitation(context.Background(), sampleEmail(invite.English)); err != nil {
		t.Fatal(err)
	}
	if msgs := ts.Messages(); len(msgs) != 1 || !msgs[0].TLS {
		t.Fatalf("messages %+v, want one over TLS", msgs)
	}

	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{filepath.Join(dir, "missing.pem"): "reading smtp.ca_file", notPEM: "holds no PEM certificate"} {
		cfg.CAFile = file
		_, err := New(cfg)
		if invite.ErrorCode(err) != invite.EINVALID || !strings.Contains(err.Error(), want) || !strings.Contains(invite.ErrorHint(err), "PEM") {
			t.Errorf("%s: err = %v (hint %q), want %q", file, err, invite.ErrorHint(err), want)
		}
	}
}

func TestSMTPSTARTTLS(t *testing.T) {
	cert, roots := selfSigned(t)
	users := map[string]string{"mailer": "correct horse"}
	ts := startServer(t, serverConfig{tls: &tls.Config{Certificates: []tls.Certificate{cert}}, users: users})
	ctx := context.Background()

	cfg := smtpConfig(ts)
	cfg.Encryption = EncryptionSTARTTLS
	cfg.Username, cfg.Password = "mailer", "correct horse"
	cfg.TLSConfig = &tls.Config{RootCAs: roots}
	m := mustNew(t, cfg)
	for range 2 {
		if err := m.SendInvitation(ctx, sampleEmail(invite.Swedish)); err != nil {
			t.Fatal(err)
		}
	}
	msgs := ts.Messages()
	if len(msgs) != 2 || !msgs[0].TLS || !msgs[1].TLS || msgs[0].User != "mailer" {
		t.Fatalf("messages %+v, want two over TLS by the authenticated mailer", msgs)
	}
	if p := parseMessage(t, msgs[1].Data); p.Subject != "Inbjudan till Ölands Äventyr AB" {
		t.Errorf("subject %q", p.Subject)
	}

	t.Run("untrusted certificate", func(t *testing.T) {
		cfg := cfg
		cfg.TLSConfig = nil
		err := mustNew(t, cfg).SendInvitation(ctx, sampleEmail(invite.English))
		if err == nil || !strings.HasPrefix(err.Error(), "connecting to 127.0.0.1:") || !strings.Contains(err.Error(), "STARTTLS: ") ||
			!strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err = %v, want a certificate error while connecting", err)
		}
		if !strings.Contains(invite.ErrorHint(err), "smtp.ca_file") || !invite.ConnectionFailed(err) {
			t.Errorf("hint %q, connection failure %v", invite.ErrorHint(err), invite.ConnectionFailed(err))
		}
	})
}

func TestSMTPRefusesToContinueWithoutSTARTTLS(t *testing.T) {
	// The server offers AUTH in the clear but no STARTTLS.
	ts := startServer(t, serverConfig{users: map[string]string{"mailer": "correct horse"}, allowInsecureAuth: true})
	cfg := smtpConfig(ts)
	cfg.Encryption = EncryptionSTARTTLS
	cfg.Username, cfg.Password = "mailer", "correct horse"
	err := mustNew(t, cfg).SendInvitation(context.Background(), sampleEmail(invite.English))
	want := fmt.Sprintf("connecting to 127.0.0.1:%d: the server does not offer STARTTLS", ts.port)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if !strings.Contains(invite.ErrorHint(err), "smtp.encryption") {
		t.Errorf("hint %q", invite.ErrorHint(err))
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.authAttempts != 0 || len(ts.messages) != 0 {
		t.Errorf("the password or the message went out in the clear: %d AUTH attempts, %d messages", ts.authAttempts, len(ts.messages))
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	cert, roots := selfSigned(t)
	ts := startServer(t, serverConfig{tls: &tls.Config{Certificates: []tls.Certificate{cert}}, implicitTLS: true,
		users: map[string]string{"mailer": "correct horse"}})
	cfg := smtpConfig(ts)
	cfg.Encryption = EncryptionTLS
	cfg.Username, cfg.Password = "mailer", "correct horse"
	cfg.TLSConfig = &tls.Config{RootCAs: roots}
	m := mustNew(t, cfg)
	for range 3 {
		if err := m.SendInvitation(context.Background(), sampleEmail(invite.English)); err != nil {
			t.Fatal(err)
		}
	}
	msgs := ts.Messages()
	if len(msgs) != 3 || !msgs[0].TLS || msgs[0].User != "mailer" {
		t.Fatalf("messages %+v, want three over TLS by the authenticated mailer", msgs)
	}
	if n := ts.Sessions(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestSMTPCancelledContext(t *testing.T) {
	ts := startServer(t, serverConfig{})
	m := mustNew(t, smtpConfig(ts))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := m.SendInvitation(ctx, sampleEmail(invite.English))
	if err == nil || invite.ErrorCode(err) != invite.EDELIVERY || !strings.Contains(err.Error(), "cancel") {
		t.Fatalf("err = %v, want a cancelled EDELIVERY", err)
	}
	if ts.Sessions() != 0 || len(ts.Messages()) != 0 {
		t.Error("a cancelled send talked to the server")
	}
}

func TestSMTPCloseEndsTheConnection(t *testing.T) {
	ts := startServer(t, serverConfig{})
	m := mustNew(t, smtpConfig(ts))
	ctx := context.Background()
	if err := m.SendInvitation(ctx, sampleEmail(invite.English)); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := m.SendInvitation(ctx, sampleEmail(invite.English)); err != nil {
		t.Fatalf("send after Close: %v", err)
	}
	if n := ts.Sessions(); n != 2 {
		t.Errorf("%d connections, want 2: Close ended the first", n)
	}
}

func TestSMTPRejectsBadRecipient(t *testing.T) {
	ts := startServer(t, serverConfig{})
	m := mustNew(t, smtpConfig(ts))
	for _, to := range []string{"", "not an address", "Åsa <asa@example.com>", "a@example.com\r\nRCPT TO:<b@example.com>"} {
		e := sampleEmail(invite.English)
		e.To = to
		err := m.SendInvitation(context.Background(), e)
		if invite.ErrorCode(err) != invite.EINVALID {
			t.Errorf("To %q: err = %v, want EINVALID", to, err)
		}
	}
	if ts.Sessions() != 0 {
		t.Error("an invalid message reached the server")
	}
}
