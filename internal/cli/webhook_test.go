package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestWebhookSecret(t *testing.T) {
	r := newRun(t)
	// It runs whatever the settings hold: it is how they are mended.
	r.env["INVITECTL_WEBHOOK_URL"] = "http://example.com/hooks"
	a, b := strings.TrimSpace(r.must("webhook", "secret")), strings.TrimSpace(r.must("webhook", "secret"))
	if !strings.HasPrefix(a, "whsec_") || a == b {
		t.Fatalf("secrets %q and %q", a, b)
	}
	if _, err := standardwebhooks.NewWebhook(a); err != nil {
		t.Errorf("the library refuses the secret: %v", err)
	}
}

// A receiver's settings that cannot work are refused before a command
// writes anything.
func TestWebhookSettingsCheckedFirst(t *testing.T) {
	r := newRun(t)
	secret := strings.TrimSpace(r.must("webhook", "secret"))
	db := filepath.Join(r.env["HOME"], "inv.db")
	r.env["INVITECTL_DB"] = db
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"INVITECTL_WEBHOOK_URL": "http://accounts.example.com/hooks", "INVITECTL_WEBHOOK_SECRET": secret}, "invalid webhook.url: http:// is only accepted to a loopback address"},
		{map[string]string{"INVITECTL_WEBHOOK_URL": "javascript:alert(1)", "INVITECTL_WEBHOOK_SECRET": secret}, "invalid webhook.url"},
		{map[string]string{"INVITECTL_WEBHOOK_URL": "https://accounts.example.com/hooks"}, "invalid webhook.secret: is not set"},
		{map[string]string{"INVITECTL_WEBHOOK_URL": "https://accounts.example.com/hooks", "INVITECTL_WEBHOOK_SECRET": "hunter2"}, "must start with whsec_"},
		{map[string]string{"INVITECTL_WEBHOOK_SECRET": secret}, "webhook.url is not"},
		{map[string]string{"INVITECTL_WEBHOOK_URL": "https://accounts.example.com/hooks", "INVITECTL_WEBHOOK_SECRET": secret, "INVITECTL_WEBHOOK_EVENTS": "invitation.acepted"}, `"invitation.acepted" is not an event type`},
	} {
		for k, v := range tt.env {
			r.env[k] = v
		}
		if code := r.do("customers", "add", "Acme AB"); code != 2 || !strings.Contains(r.stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, %s; want exit 2 and %q", tt.env, code, r.stderr.String(), tt.want)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Fatalf("%v: the store was written (%v)", tt.env, err)
		}
		for k := range tt.env {
			delete(r.env, k)
		}
	}
}

func TestWebhookTest(t *testing.T) {
	r := newRun(t)
	secret := strings.TrimSpace(r.must("webhook", "secret"))
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	status := http.StatusNoContent
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := hook.Verify(body, req.Header); err != nil {
			t.Errorf("Verify: %v", err)
		}
		got = append(got, string(body))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "no such hook")
	}))
	defer srv.Close()

	if code := r.do("webhook", "test"); code != 2 || !strings.Contains(r.stderr.String(), "no receiver is configured") {
		t.Errorf("unconfigured: exit %d, %s", code, r.stderr.String())
	}
	r.env["INVITECTL_WEBHOOK_URL"] = srv.URL + "/hooks"
	r.env["INVITECTL_WEBHOOK_SECRET"] = secret
	if out := r.must("webhook", "test"); !strings.HasPrefix(out, "The receiver answered 204 to the ping (msg_") {
		t.Errorf("stdout %q", out)
	}
	if len(got) != 1 || got[0] != `{"type":"ping","timestamp":"2026-01-05T09:00:00Z","data":{}}` {
		t.Errorf("received %q", got)
	}

	status = http.StatusNotFound
	if code := r.do("webhook", "test", "-o", "json"); code != 5 {
		t.Errorf("a refusal: exit %d, want 5", code)
	}
	var res struct {
		ID, Outcome, Error string
		Status             int
	}
	if err := json.Unmarshal(r.stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Outcome != "failed" || res.Status != 404 || !strings.Contains(res.Error, "404 Not Found: no such hook") || !strings.HasPrefix(res.ID, "msg_") {
		t.Errorf("%+v", res)
	}
	if !strings.Contains(r.stderr.String(), "the ping was not delivered: the receiver answered 404 Not Found") {
		t.Errorf("stderr %s", r.stderr.String())
	}
}
