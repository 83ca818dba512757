package mail

import (
	"context"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/invitectl/invitectl/internal/invite"
)

// BenchmarkSMTPBatch measures the mailer sending invitations over one
// kept-alive connection to an in-process server: rendering, composing, NOOP
// and the MAIL/RCPT/DATA transaction, as `resend --expired` does.
func BenchmarkSMTPBatch(b *testing.B) {
	ts := startServer(b, serverConfig{discard: true})
	m := mustNew(b, smtpConfig(ts))
	e := sampleEmail(invite.Swedish)
	ctx := context.Background()
	// The first send opens the connection; the batch reuses it.
	if err := m.SendInvitation(ctx, e); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := m.SendInvitation(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(len(ts.lastData)), "bytes/msg")
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
		if _, err := w.Write(msg.raw); err != nil {
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
