package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/invitectl/invitectl/internal/webhook"
)

// receiver is an HTTP receiver that verifies every request with the
// specification's library and answers with the next status of its script.
type receiver struct {
	t      *testing.T
	hook   *standardwebhooks.Webhook
	mu     sync.Mutex
	status []int
	got    []http.Header
	bodies [][]byte
}

func newReceiver(t *testing.T, secret string, status ...int) (*receiver, *httptest.Server) {
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, hook: hook, status: status}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := r.hook.Verify(body, req.Header); err != nil {
		r.t.Errorf("Verify: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	r.got = append(r.got, req.Header.Clone())
	r.bodies = append(r.bodies, body)
	code := http.StatusNoContent
	if len(r.status) > 0 {
		code, r.status = r.status[0], r.status[1:]
	}
	r.mu.Unlock()
	if code == http.StatusFound {
		w.Header().Set("Location", "https://elsewhere.example.com/")
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, "answer\x1b[31m\nline two")
}

func TestSendSignsAndClassifies(t *testing.T) {
	secret := webhook.NewSecret()
	if err := webhook.CheckSecret(secret); err != nil {
		t.Fatalf("a new secret is refused: %v", err)
	}
	tests := []struct {
		status int
		want   webhook.Outcome
	}{
		{200, webhook.Delivered}, {204, webhook.Delivered},
		{408, webhook.Retry}, {429, webhook.Retry}, {500, webhook.Retry}, {503, webhook.Retry},
		{400, webhook.Failed}, {401, webhook.Failed}, {404, webhook.Failed}, {410, webhook.Failed},
		{302, webhook.Failed},
	}
	var codes []int
	for _, tt := range tests {
		codes = append(codes, tt.status)
	}
	r, srv := newReceiver(t, secret, codes...)
	s, err := webhook.NewSender(srv.URL+"/hooks?token=abc", secret, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	body, err := webhook.Body(webhook.Ping, time.Date(2026, 1, 5, 9, 0, 0, 123, time.UTC), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"ping","timestamp":"2026-01-05T09:00:00Z","data":{}}`; string(body) != want {
		t.Errorf("body %s, want %s", body, want)
	}
	id := webhook.NewID()
	for _, tt := range tests {
		res := s.Send(context.Background(), id, body)
		if res.Outcome != tt.want || res.Status != tt.status {
			t.Errorf("answer %d: %v (status %d), want %v", tt.status, res.Outcome, res.Status, tt.want)
		}
		if (res.Err == nil) != (tt.want == webhook.Delivered) {
			t.Errorf("answer %d: error %v", tt.status, res.Err)
		}
		if res.Err != nil {
			if msg := res.Err.Error(); strings.ContainsAny(msg, "\x1b\n") || !strings.Contains(msg, "answer") {
				t.Errorf("answer %d: the message %q is not the receiver's answer on one printable line", tt.status, msg)
			}
		}
	}
	if len(r.got) != len(tests) {
		t.Fatalf("%d requests arrived, want %d", len(r.got), len(tests))
	}
	for _, h := range r.got {
		if h.Get("webhook-id") != id {
			t.Errorf("webhook-id %q, want %q on every attempt", h.Get("webhook-id"), id)
		}
		if h.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", h.Get("Content-Type"))
		}
	}
}

// A tampered body or a key of another secret fails the library's Verify:
// the signature covers the body.
func TestSignatureCoversBodyAndSecret(t *testing.T) {
	secret := webhook.NewSecret()
	var captured []byte
	var header http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		captured, _ = io.ReadAll(req.Body)
		header = req.Header.Clone()
	}))
	defer srv.Close()
	s, err := webhook.NewSender(srv.URL, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := webhook.Body(webhook.InvitationRevoked, time.Now(), map[string]any{"invitation": map[string]any{"id": 7}})
	if res := s.Send(context.Background(), webhook.NewID(), body); res.Outcome != webhook.Delivered {
		t.Fatalf("%v: %v", res.Outcome, res.Err)
	}
	own, _ := standardwebhooks.NewWebhook(secret)
	if err := own.Verify(captured, header); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	var ev webhook.Event
	if err := json.Unmarshal(captured, &ev); err != nil || ev.Type != webhook.InvitationRevoked {
		t.Errorf("body %s: %v", captured, err)
	}
	if err := own.Verify(append(captured[:len(captured):len(captured)], ' '), header); err == nil {
		t.Error("a changed body verifies")
	}
	other, _ := standardwebhooks.NewWebhook(webhook.NewSecret())
	if err := other.Verify(captured, header); err == nil {
		t.Error("another secret verifies")
	}
}

func TestSendWithoutAnswer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there now
	s, err := webhook.NewSender(addr, webhook.NewSecret(), nil)
	if err != nil {
		t.Fatal(err)
	}
	res := s.Send(context.Background(), webhook.NewID(), []byte(`{}`))
	if res.Outcome != webhook.Retry || res.Status != 0 || res.Err == nil {
		t.Errorf("%+v, want a retry without a status", res)
	}
}

func TestChecks(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://accounts.example.com/hooks", true},
		{"http://127.0.0.1:9000/hooks", true},
		{"http://[::1]:9000/", true},
		{"http://localhost/x", true},
		{"http://accounts.example.com/hooks", false},
		{"accounts.example.com/hooks", false},
		{"javascript:alert(1)", false},
		{"ftp://example.com/", false},
		{"https://user:pw@example.com/", false},
		{"https://example.com/#x", false},
		{"", false},
	} {
		if err := webhook.CheckURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
	for _, tt := range []struct {
		secret string
		ok     bool
	}{
		{webhook.NewSecret(), true},
		{"", false},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false},      // no prefix
		{"whsec_not base64!", false},                     // not base64
		{"whsec_c2hvcnQ=", false},                        // 5 bytes
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true}, // 24 bytes
	} {
		if err := webhook.CheckSecret(tt.secret); (err == nil) != tt.ok {
			t.Errorf("CheckSecret(%q) = %v, want ok %v", tt.secret, err, tt.ok)
		}
	}
	if err := webhook.CheckEvents([]string{"invitation.accepted", "user.deleted"}); err != nil {
		t.Error(err)
	}
	if err := webhook.CheckEvents([]string{"invitation.acepted"}); err == nil || !strings.Contains(err.Error(), "invitation.accepted") {
		t.Errorf("an unknown type: %v", err)
	}
}
