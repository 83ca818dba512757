package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
