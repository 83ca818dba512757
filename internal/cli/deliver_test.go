package cli_test

import (
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
)

// silentServer accepts connections and never answers: no greeting.
func silentServer(t *testing.T) (port string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port
}

// Against a server that never answers, a run stops at the first failed
// connection: the reason is said once, with its hint, the emails stay
// queued unattempted, and it exits 5.
func TestDeliverStopsAtASilentServer(t *testing.T) {
	r := newRun(t)
	r.must("seed", "--customers", "1", "--invitations", "60")
	for k, v := range map[string]string{"INVITECTL_SMTP_HOST": "127.0.0.1", "INVITECTL_SMTP_PORT": silentServer(t),
		"INVITECTL_SMTP_ENCRYPTION": "none", "INVITECTL_MAIL_FROM": "invites@example.com", "INVITECTL_SMTP_TIMEOUT": "200ms"} {
		r.env[k] = v
	}
	r.now = r.now.AddDate(2, 0, 0) // every pending invitation has expired
	if code := r.do("resend", "--expired"); code != 5 {
		t.Fatalf("resend --expired: exit %d, want 5\n%s", code, r.stderr.String())
	}
	var queued struct{ Total int }
	if err := json.Unmarshal([]byte(r.must("list", "--delivery", "queued", "-o", "json")), &queued); err != nil || queued.Total == 0 {
		t.Fatalf("queued: %+v, %v", queued, err)
	}
	if code := r.do("deliver"); code != 5 {
		t.Fatalf("deliver: exit %d, want 5\n%s", code, r.stderr.String())
	}
	stderr := r.stderr.String()
	if n := strings.Count(stderr, "no answer within 200ms"); n != 1 || !strings.Contains(stderr, "hint: check smtp.host") {
		t.Errorf("the reason is said %d times, want once with its hint:\n%s", n, stderr)
	}
	if !strings.Contains(r.stdout.String(), "Delivered 0 emails.") {
		t.Errorf("summary: %s", r.stdout.String())
	}
	var after struct{ Total int }
	if err := json.Unmarshal([]byte(r.must("list", "--delivery", "queued", "-o", "json")), &after); err != nil || after.Total != queued.Total {
		t.Errorf("%d queued after the run, want all %d still queued (%v)", after.Total, queued.Total, err)
	}
}
