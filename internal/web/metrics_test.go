package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

func TestMetrics(t *testing.T) {
	m := NewMetrics()
	f, box, tasks := resetFixture(t)
	f.deps.Metrics = m
	f.handler = NewHandler(f.deps)
	token, _ := f.register(t, "asa@example.com", "en")
	assertStatus(t, f.signIn("asa@example.com", "wrong password here"), http.StatusUnauthorized)
	assertStatus(t, f.signIn("asa@example.com", goodPassword), http.StatusSeeOther)
	f.forgot(tasks, "asa@example.com")
	reset := resetToken(t, box, "asa@example.com")
	assertStatus(t, f.post("/password/reset/"+reset, resetForm(newPassword)), http.StatusSeeOther)
	m.Delivered("sent")

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	assertStatus(t, rec, http.StatusOK)
	out := rec.Body.String()
	assertContains(t, out,
		`invitectl_http_requests_total{route="POST /invite/{token}",status="303"} 1`,
		`invitectl_http_requests_total{route="POST /login",status="401"} 1`,
		`invitectl_http_requests_total{route="POST /password/reset/{token}",status="303"} 1`,
		"invitectl_registrations_total 1",
		"invitectl_sign_ins_total 1",
		"invitectl_sign_in_failures_total 1",
		"invitectl_password_resets_total 1",
		`invitectl_deliveries_total{state="sent"} 1`,
	)
	assertNotContains(t, out, token, reset, "asa@example.com", "Åsa")
}

// The outbox's gauges are read from the store at every scrape; when the
// store does not answer, they are left out and the rest is served.
func TestMetricsWatchOutbox(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	depth := invite.OutboxDepth{Queued: 3, Failed: 1, OldestQueued: now.Add(-90 * time.Second)}
	var fail error
	m := NewMetrics()
	m.WatchOutbox(func(context.Context) (invite.OutboxDepth, error) { return depth, fail }, func() time.Time { return now })
	scrape := func() string {
		t.Helper()
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		assertStatus(t, rec, http.StatusOK)
		return rec.Body.String()
	}
	assertContains(t, scrape(), `invitectl_outbox_emails{state="queued"} 3`, `invitectl_outbox_emails{state="failed"} 1`,
		"invitectl_outbox_oldest_queued_seconds 90")
	depth = invite.OutboxDepth{}
	assertContains(t, scrape(), `invitectl_outbox_emails{state="queued"} 0`, "invitectl_outbox_oldest_queued_seconds 0")
	fail = errors.New("the store is down")
	out := scrape()
	assertNotContains(t, out, "invitectl_outbox_emails{")
	assertContains(t, out, "invitectl_registrations_total 0")
}
