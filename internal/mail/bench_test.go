package mail

import (
	"context"
	"io"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/invitectl/invitectl/internal/invite"
)

// BenchmarkSMTPSendInline is SendInvitation one message after another, each
// rendered and written in line before it goes out: what a single `invite`
// or `resend ID` costs, and a batch that does not prepare ahead.
func BenchmarkSMTPSendInline(b *testing.B) {
	m, e, ts := startBatch(b)
	for range b.N {
		if err := m.SendInvitation(context.Background(), e); err != nil {
			b.Fatal(err)
		}
	}
	endBatch(b, ts)
}

// startBatch opens a mailer's connection to a discarding server with one
// untimed send, and starts the timer.
func startBatch(b *testing.B) (Mailer, invite.InvitationEmail, *testServer) {
	ts := startServer(b, serverConfig{discard: true})
	m := mustNew(b, smtpConfig(ts))
	e := sampleEmail(invite.Swedish)
	if err := m.SendInvitation(context.Background(), e); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	return m, e, ts
}

// endBatch stops the timer, reports the rate and checks that the batch
// kept its one connection.
func endBatch(b *testing.B, ts *testServer) {
	b.StopTimer()
	ts.mu.Lock()
	size := len(ts.lastData)
	ts.mu.Unlock()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(size), "bytes/msg")
	if n := ts.Sessions(); n != 1 {
		b.Fatalf("%d connections, want 1", n)
	}
}

// BenchmarkPlainGoSMTPLoop is the baseline: a bare go-smtp client sending a
// prebuilt message of the same size over one connection, with no rendering
// and no NOOP.
func BenchmarkPlainGoSMTPLoop(b *testing.B) {
	ts := startServer(b, serverConfig{discard: true})
	s, _ := Config{Dir: "x", From: testFrom}.resolve()
	msg, err := compose(s.from, sampleEmail(invite.Swedish), sendTime)
	if err != nil {
		b.Fatal(err)
	}
	c, err := smtp.Dial(ts.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		b.Fatal(err)
	}
	send := func() error {
		if err := c.Mail(msg.from, nil); err != nil {
			return err
		}
		if err := c.Rcpt(msg.to, nil); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, msg.raw); err != nil {
			return err
		}
		return w.Close()
	}
	if err := send(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := send(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(len(msg.raw)), "bytes/msg")
	if err := c.Quit(); err != nil {
		b.Fatal(err)
	}
}
