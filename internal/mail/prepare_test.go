package mail

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
)

// Messages written ahead go out in the order they are sent, not written, over
// the one kept connection, each as SendInvitation would have sent it.
func TestSMTPPreparedMessagesSendLikeSendInvitation(t *testing.T) {
	ts := startServer(t, serverConfig{})
	m := mustNew(t, smtpConfig(ts))
	var prepared []invite.PreparedEmail
	for i := range 3 {
		e := sampleEmail(invite.English)
		e.To = fmt.Sprintf("person%d@example.com", i)
		p, err := m.PrepareInvitation(e)
		if err != nil {
			t.Fatal(err)
		}
		prepared = append(prepared, p)
	}
	if ts.Sessions() != 0 {
		t.Fatal("writing messages ahead talked to the server")
	}
	for _, i := range []int{2, 0, 1} {
		if err := prepared[i].Send(context.Background()); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := m.SendInvitation(context.Background(), sampleEmail(invite.English)); err != nil {
		t.Fatal(err)
	}
	msgs := ts.Messages()
	if len(msgs) != 4 {
		t.Fatalf("server got %d messages, want 4", len(msgs))
	}
	for i, want := range []string{"person2@example.com", "person0@example.com", "person1@example.com", "asa.lind@example.com"} {
		if len(msgs[i].To) != 1 || msgs[i].To[0] != want {
			t.Errorf("message %d went to %v, want %s", i, msgs[i].To, want)
		}
	}
	// Only the recipient differs between them.
	ahead, direct := parseMessage(t, msgs[0].Data), parseMessage(t, msgs[3].Data)
	if ahead.Text != direct.Text || ahead.HTML != direct.HTML || ahead.Subject != direct.Subject || !ahead.Date.Equal(direct.Date) {
		t.Error("a message written ahead differs from one sent at once")
	}
	if n := ts.Sessions(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// Messages prepared from several goroutines at once are each written and
// sent whole, each with its own Message-ID (run with -race).
func TestSMTPPrepareFromSeveralGoroutines(t *testing.T) {
	ts := startServer(t, serverConfig{})
	m := mustNew(t, smtpConfig(ts))
	const workers, each = 4, 10
	prepared := make(chan invite.PreparedEmail, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := sampleEmail(invite.Swedish)
				e.To = fmt.Sprintf("w%d-%d@example.com", w, i)
				p, err := m.PrepareInvitation(e)
				if err != nil {
					t.Error(err)
					return
				}
				prepared <- p
			}
		})
	}
	wg.Wait()
	close(prepared)
	for p := range prepared {
		if err := p.Send(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	msgs := ts.Messages()
	if len(msgs) != workers*each {
		t.Fatalf("server got %d messages, want %d", len(msgs), workers*each)
	}
	ids := map[string]bool{}
	for _, msg := range msgs {
		p := parseMessage(t, msg.Data)
		if p.To.Address != msg.To[0] || !strings.Contains(p.Text, testLink) {
			t.Errorf("message for %s: header To %v, text:\n%s", msg.To[0], p.To, p.Text)
		}
		ids[p.Header.Get("Message-ID")] = true
	}
	if len(ids) != len(msgs) {
		t.Errorf("%d distinct Message-IDs in %d messages", len(ids), len(msgs))
	}
}

func TestSMTPPrepareRejectsWhatCannotBeWritten(t *testing.T) {
	ts := startServer(t, serverConfig{})
	m := mustNew(t, smtpConfig(ts))
	e := sampleEmail(invite.English)
	e.To = "not an address"
	if _, err := m.PrepareInvitation(e); invite.ErrorCode(err) != invite.EINVALID {
		t.Errorf("bad recipient: err = %v, want EINVALID", err)
	}
	e = sampleEmail("fi")
	if _, err := m.PrepareInvitation(e); invite.ErrorCode(err) != invite.EINVALID {
		t.Errorf("unknown language: err = %v, want EINVALID", err)
	}
	if ts.Sessions() != 0 {
		t.Error("an invalid message reached the server")
	}
}

// A prepared message keeps the kept connection's rules: a cancelled context
// sends nothing, and a connection the server dropped is replaced.
func TestSMTPPreparedSendFailures(t *testing.T) {
	ts := startServer(t, serverConfig{})
	m := mustNew(t, smtpConfig(ts))
	p, err := m.PrepareInvitation(sampleEmail(invite.Swedish))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Send(ctx); invite.ErrorCode(err) != invite.EDELIVERY || ts.Sessions() != 0 {
		t.Fatalf("cancelled send: err = %v, %d connections", err, ts.Sessions())
	}
	ts.set(func(ts *testServer) { ts.dropAfterMessage = true })
	for i := range 2 {
		if err := p.Send(context.Background()); err != nil {
			t.Fatalf("send %d over a dropped connection: %v", i, err)
		}
	}
	if n := len(ts.Messages()); n != 2 {
		t.Fatalf("server got %d messages, want 2", n)
	}
}

func TestFilePreparedMessageIsWrittenOnSend(t *testing.T) {
	dir := t.TempDir()
	m := mustNew(t, Config{Dir: dir, From: testFrom, Now: fixedClock})
	p, err := m.PrepareInvitation(sampleEmail(invite.Swedish))
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("writing a message ahead put %v in the folder", names(entries))
	}
	if err := p.Send(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), "-asa.lind@example.com.eml") {
		t.Fatalf("folder holds %v, want one .eml for the invitee", names(entries))
	}
}
