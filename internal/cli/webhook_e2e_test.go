package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/invitectl/invitectl/internal/cli"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
)

// receiver is a webhook receiver that verifies every request with the
// Standard Webhooks library, answers 503 while down, and keeps the events
// it accepted by webhook-id.
type receiver struct {
	t    testing.TB
	hook *standardwebhooks.Webhook
	srv  *httptest.Server

	// delay is how long each answer takes: a slow receiver.
	delay time.Duration

	mu       sync.Mutex
	down     bool
	bodies   map[string]string // webhook-id → body
	order    []string          // webhook-ids as first accepted
	repeats  int               // accepted again with the same webhook-id
	requests int
}

func newReceiver(t testing.TB, secret string) *receiver {
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{t: t, hook: hook, bodies: map[string]string{}}
	rc.srv = httptest.NewServer(rc)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := rc.hook.Verify(body, req.Header); err != nil {
		rc.t.Errorf("Verify: %v", err)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	time.Sleep(rc.delay)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	if rc.down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	id := req.Header.Get("webhook-id")
	if _, seen := rc.bodies[id]; seen {
		rc.repeats++
	} else {
		rc.order = append(rc.order, id)
	}
	rc.bodies[id] = string(body)
	w.WriteHeader(http.StatusNoContent)
}

// received counts the distinct events accepted.
func (rc *receiver) received() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.order)
}

func (rc *receiver) setDown(down bool) {
	rc.mu.Lock()
	rc.down = down
	rc.mu.Unlock()
}

// receivedEvent is an event as the receiver decodes it.
type receivedEvent struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      struct {
		Invitation map[string]any `json:"invitation"`
		User       map[string]any `json:"user"`
	} `json:"data"`
}

// events are the accepted events in the order they first arrived.
func (rc *receiver) events() []receivedEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]receivedEvent, len(rc.order))
	for i, id := range rc.order {
		if err := json.Unmarshal([]byte(rc.bodies[id]), &out[i]); err != nil {
			rc.t.Fatalf("event %s: %v", id, err)
		}
	}
	return out
}

// typesOf are the types of the events about invitation id, in order.
func typesOf(evs []receivedEvent, id int64) []string {
	var out []string
	for _, e := range evs {
		if e.Data.Invitation != nil && e.Data.Invitation["id"] == float64(id) {
			out = append(out, e.Type)
		}
	}
	return out
}

// webhookEngines runs fn with a run on a fresh store of each engine.
func webhookEngines(t *testing.T, fn func(t *testing.T, r *run)) {
	t.Run("sqlite", func(t *testing.T) {
		r := newRun(t)
		r.env["INVITECTL_DB"] = filepath.Join(t.TempDir(), "inv.db")
		fn(t, r)
	})
	t.Run("postgres", func(t *testing.T) {
		r := newRun(t)
		r.env["INVITECTL_DB"] = pgtest.Schema(t, os.Getenv)
		r.must("migrate")
		fn(t, r)
	})
}

type deliverJSON struct {
	Sent, Failed, Remaining, Elsewhere int
	Webhooks                           *struct{ Sent, Failed, Remaining, Elsewhere int }
}

// Events of invitations and accounts reach a receiver that verifies each
// signature: while it is down nothing is lost and deliver exits 5; once it
// is up every event arrives, one invitation's in commit order, and the
// registration through serve-accept's handler names the new user.
func TestWebhookEventsEndToEnd(t *testing.T) {
	webhookEngines(t, func(t *testing.T, r *run) {
		secret := strings.TrimSpace(r.must("webhook", "secret"))
		rc := newReceiver(t, secret)
		r.env["INVITECTL_LINK_SECRET"] = testSecret
		r.env["INVITECTL_WEBHOOK_URL"] = rc.srv.URL + "/hooks"
		r.env["INVITECTL_WEBHOOK_SECRET"] = secret
		r.env["INVITECTL_MAIL_DIR"] = filepath.Join(t.TempDir(), "outbox")

		r.must("customers", "add", "Acme AB")
		out := r.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek",
			"--personal-number", "19811218-9876", "--no-send")
		path := linkRE.FindString(out)
		if path == "" {
			t.Fatalf("no link in %q", out)
		}
		r.must("invite", "--customer", "Acme AB", "--email", "b@example.com", "--first-name", "Bo", "--last-name", "Ek", "--no-send")
		r.must("edit", "b@example.com", "--first-name", "Bosse")
		r.must("revoke", "b@example.com", "--yes")

		// The receiver is down: every event stays queued, deliver exits 5.
		rc.setDown(true)
		if code := r.do("deliver", "-o", "json"); code != 5 || !strings.Contains(r.stderr.String(), "webhook") {
			t.Fatalf("deliver with the receiver down: exit %d, %s; want 5 naming the webhook events", code, r.stderr.String())
		}
		var res deliverJSON
		if err := json.Unmarshal(r.stdout.Bytes(), &res); err != nil || res.Webhooks == nil || res.Webhooks.Remaining != 4 || res.Webhooks.Sent != 0 {
			t.Fatalf("deliver -o json: %s (%v); want 4 webhook events remaining", r.stdout.String(), err)
		}

		// Registration through serve-accept.
		register(t, serveAccept(t, r, nil, nil), path)

		rc.setDown(false)
		if code := r.do("deliver", "-o", "json"); code != 0 {
			t.Fatalf("deliver with the receiver up: exit %d, %s", code, r.stderr.String())
		}
		if err := json.Unmarshal(r.stdout.Bytes(), &res); err != nil || res.Webhooks == nil || res.Webhooks.Sent != 5 || res.Webhooks.Remaining != 0 {
			t.Fatalf("deliver -o json: %s (%v); want 5 webhook events sent, none remaining", r.stdout.String(), err)
		}
		evs := rc.events()
		if got, want := typesOf(evs, 1), []string{"invitation.created", "invitation.accepted"}; !slices.Equal(got, want) {
			t.Errorf("invitation 1's events: %q, want %q", got, want)
		}
		if got, want := typesOf(evs, 2), []string{"invitation.created", "invitation.updated", "invitation.revoked"}; !slices.Equal(got, want) {
			t.Errorf("invitation 2's events: %q, want %q", got, want)
		}
		var users struct {
			Users []struct {
				ID    int64
				Email string
			}
		}
		if err := json.Unmarshal([]byte(r.must("users", "list", "-o", "json")), &users); err != nil || len(users.Users) != 1 {
			t.Fatalf("users list: %v %+v", err, users)
		}
		for _, e := range evs {
			if e.Type != "invitation.accepted" {
				continue
			}
			if e.Data.User["id"] != float64(users.Users[0].ID) || e.Data.User["email"] != "a@example.com" || e.Data.Invitation["status"] != "accepted" {
				t.Errorf("invitation.accepted data: %+v, want user %d and the accepted invitation", e.Data, users.Users[0].ID)
			}
			if pn := e.Data.Invitation["personal_number"]; pn != "19811218-****" {
				t.Errorf("personal number in the event: %v, want it masked", pn)
			}
		}
		if rc.repeats != 0 {
			t.Errorf("%d events arrived twice", rc.repeats)
		}
		// Nothing is sent again.
		before := rc.requests
		r.must("deliver")
		if rc.requests != before {
			t.Errorf("a third deliver sent %d requests", rc.requests-before)
		}
	})
}

// serveAccept runs serve-accept in-process on a free port with r's
// environment and extra, until the test ends or stop is called; it
// returns the site's address. The server's stderr is logged if the test
// failed.
func serveAccept(t *testing.T, r *run, extra map[string]string, args []string) (site string) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range r.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	env["INVITECTL_LISTEN"] = "127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan int, 1)
	var serveErr syncBuffer
	now := r.now
	go func() {
		served <- cli.Main(ctx, cli.Env{
			Args: append([]string{"serve-accept"}, args...), Getenv: func(k string) string { return env[k] }, Username: "tester",
			Now: func() time.Time { return now },
			IO:  cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &serveErr},
		})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-served; code != 0 {
			t.Errorf("serve-accept exited %d", code)
		}
		if t.Failed() {
			t.Logf("serve-accept stderr:\n%s", serveErr.String())
		}
	})
	site = "http://127.0.0.1:" + strconv.Itoa(port)
	waitHTTP(t, site+"/healthz", served)
	return site
}

// register accepts the invitation of the link path at site.
func register(t *testing.T, site, path string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(site+path, url.Values{
		"password": {"tre glada kor i hagen"}, "password_confirm": {"tre glada kor i hagen"},
		"language": {"en"}, "accept_privacy": {"on"},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("registration: %s\n%s", resp.Status, body)
	}
}

// A receiver that refuses events (400) leaves them failed: deliver exits 5
// and says so once, a second deliver does not retry them, and
// webhook status counts them and lists each with its answer.
func TestWebhookStatusListsFailedEvents(t *testing.T) {
	r := newRun(t)
	secret := strings.TrimSpace(r.must("webhook", "secret"))
	refused := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Error(w, "unknown hook", http.StatusBadRequest)
	}))
	defer refused.Close()
	r.env["INVITECTL_WEBHOOK_URL"] = refused.URL
	r.env["INVITECTL_WEBHOOK_SECRET"] = secret
	r.env["INVITECTL_MAIL_DIR"] = filepath.Join(t.TempDir(), "outbox")
	r.must("customers", "add", "Acme AB")
	r.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	if out := r.must("webhook", "status"); !strings.Contains(out, "Webhook events: 1 queued, 0 delivered, 0 failed.") || !strings.Contains(out, "Oldest waiting: invitation.created msg_") {
		t.Errorf("webhook status before deliver:\n%s", out)
	}
	if code := r.do("deliver"); code != 5 || !strings.Contains(r.stderr.String(), "400 Bad Request: unknown hook") {
		t.Fatalf("deliver: exit %d\n%s", code, r.stderr.String())
	}
	if code := r.do("deliver"); code != 0 {
		t.Errorf("a second deliver retried the failed event: exit %d\n%s", code, r.stderr.String())
	}
	var st struct {
		Queued, Delivered, Failed int
		Oldest                    *struct{} `json:"oldest_queued"`
		Failures                  []struct {
			ID, Type     string
			InvitationID int64 `json:"invitation_id"`
			Attempts     int
			LastError    string `json:"last_error"`
		} `json:"failed_events"`
	}
	if err := json.Unmarshal([]byte(r.must("webhook", "status", "-o", "json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Queued != 0 || st.Failed != 1 || st.Oldest != nil || len(st.Failures) != 1 || st.Failures[0].Type != "invitation.created" ||
		st.Failures[0].InvitationID != 1 || st.Failures[0].Attempts != 1 || !strings.Contains(st.Failures[0].LastError, "400") ||
		!strings.HasPrefix(st.Failures[0].ID, "msg_") {
		t.Errorf("webhook status -o json: %+v", st)
	}
	if out := r.must("webhook", "status"); !strings.Contains(out, "1 failed.") || !strings.Contains(out, "unknown hook") {
		t.Errorf("webhook status:\n%s", out)
	}
}

// serve-accept --deliver sends the queued events in the background and
// counts them in /metrics by type and outcome.
func TestServeAcceptDeliversWebhookEvents(t *testing.T) {
	r := newRun(t)
	secret := strings.TrimSpace(r.must("webhook", "secret"))
	rc := newReceiver(t, secret)
	r.env["INVITECTL_WEBHOOK_URL"] = rc.srv.URL
	r.env["INVITECTL_WEBHOOK_SECRET"] = secret
	r.env["INVITECTL_MAIL_DIR"] = filepath.Join(t.TempDir(), "outbox")
	r.env["INVITECTL_LINK_SECRET"] = testSecret
	r.must("customers", "add", "Acme AB")
	r.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	metrics := "127.0.0.1:" + strconv.Itoa(port)
	serveAccept(t, r, map[string]string{"INVITECTL_METRICS_LISTEN": metrics}, []string{"--deliver"})
	// The first round runs at once; wait for its outcome to be counted.
	want := `invitectl_webhook_deliveries_total{outcome="delivered",type="invitation.created"} 1`
	var body []byte
	for range 400 {
		resp, err := http.Get("http://" + metrics + "/metrics")
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), want) {
				break
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	if !strings.Contains(string(body), want) {
		t.Fatalf("/metrics never counted the event:\n%s", body)
	}
	if evs := rc.events(); len(evs) != 1 || evs[0].Type != "invitation.created" {
		t.Errorf("the receiver got %+v", evs)
	}
}

// An import refused as a whole (one email already invited) queues no
// event, nor does a command refused for its settings; the invitation
// created before queued one.
func TestRefusedImportQueuesNoEvent(t *testing.T) {
	r := newRun(t)
	r.env["INVITECTL_WEBHOOK_URL"] = "http://127.0.0.1:9/hooks"
	r.env["INVITECTL_WEBHOOK_SECRET"] = strings.TrimSpace(r.must("webhook", "secret"))
	r.must("customers", "add", "Acme AB")
	r.must("invite", "--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send")
	file := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(file, []byte("email,first_name,last_name\nnew@example.com,Nya,Ek\na@example.com,Anna,Ek\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := r.do("import", "--customer", "Acme AB", "--no-send", file); code == 0 {
		t.Fatalf("import with a taken email: exit 0\n%s", r.stdout.String())
	}
	r.env["INVITECTL_WEBHOOK_EVENTS"] = "invitation.create"
	if code := r.do("import", "--customer", "Acme AB", "--no-send", "--skip-existing", file); code != 2 {
		t.Fatalf("import with an unknown event type: exit %d, want 2\n%s", code, r.stderr.String())
	}
	delete(r.env, "INVITECTL_WEBHOOK_EVENTS")
	var st struct{ Queued int }
	if err := json.Unmarshal([]byte(r.must("webhook", "status", "-o", "json")), &st); err != nil || st.Queued != 1 {
		t.Errorf("webhook status: %+v %v; want the one event of the invite", st, err)
	}
	if out := r.must("list", "-o", "json", "--jq", ".total"); strings.TrimSpace(out) != "1" {
		t.Errorf("the store holds %s invitations, want 1", out)
	}
}

// After an erasure no event carries the erased data: events still waiting
// for a purged invitation or a deleted user are sent with IDs and status
// only, and invitation.purged and user.deleted carry IDs and dates.
func TestWebhookEventsAfterErasureCarryNoPersonalData(t *testing.T) {
	r := newRun(t)
	secret := strings.TrimSpace(r.must("webhook", "secret"))
	rc := newReceiver(t, secret)
	r.env["INVITECTL_WEBHOOK_URL"] = rc.srv.URL
	r.env["INVITECTL_WEBHOOK_SECRET"] = secret
	r.env["INVITECTL_LINK_SECRET"] = testSecret
	r.env["INVITECTL_MAIL_DIR"] = filepath.Join(t.TempDir(), "outbox")
	r.must("customers", "add", "Acme AB")
	r.must("invite", "--customer", "Acme AB", "--email", "anna@example.com", "--first-name", "Anna", "--last-name", "Lindqvist", "--no-send")
	out := r.must("invite", "--customer", "Acme AB", "--email", "bo@example.com", "--first-name", "Bosse", "--last-name", "Granqvist", "--no-send")
	register(t, serveAccept(t, r, nil, nil), linkRE.FindString(out))
	r.must("revoke", "anna@example.com", "--yes")
	r.must("users", "delete", "bo@example.com", "--yes")
	r.now = r.now.AddDate(0, 0, 2)
	r.must("purge", "--older-than", "1d", "--yes")
	r.must("deliver")

	var types []string
	for _, e := range rc.events() {
		types = append(types, e.Type)
	}
	want := []string{"invitation.created", "invitation.created", "invitation.accepted", "invitation.revoked", "user.deleted", "invitation.purged"}
	if !slices.Equal(types, want) {
		t.Errorf("events %q, want %q", types, want)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id, body := range rc.bodies {
		for _, erased := range []string{"anna@example.com", "Lindqvist", "bo@example.com", "Granqvist"} {
			if strings.Contains(body, erased) {
				t.Errorf("event %s carries %q after the erasure: %s", id, erased, body)
			}
		}
	}
}
