package web

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are serve-accept's Prometheus metrics. Labels are a route
// pattern ("POST /invite/{token}"), a status code or a delivery state:
// never a token, an email address or a name.
type Metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	registrations  prometheus.Counter
	signIns        prometheus.Counter
	signInFailures prometheus.Counter
	resets         prometheus.Counter
	deliveries     *prometheus.CounterVec
}

// NewMetrics returns the metrics, registered with a registry of their own
// (with the Go runtime's and the process's).
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "invitectl_http_requests_total", Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "status"}),
		registrations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "invitectl_registrations_total", Help: "Accounts created through an invitation link.",
		}),
		signIns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "invitectl_sign_ins_total", Help: "Successful sign-ins with email and password.",
		}),
		signInFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "invitectl_sign_in_failures_total", Help: "Sign-ins refused for a wrong email or password, or while an address waits.",
		}),
		resets: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "invitectl_password_resets_total", Help: "Passwords set through a reset link.",
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "invitectl_deliveries_total", Help: "Emails this process attempted, by outcome (sent, queued to retry, failed, superseded).",
		}, []string{"state"}),
	}
	m.reg.MustRegister(m.requests, m.registrations, m.signIns, m.signInFailures, m.resets, m.deliveries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Delivered counts one delivery outcome.
func (m *Metrics) Delivered(state string) {
	if m != nil {
		m.deliveries.WithLabelValues(state).Inc()
	}
}

func (m *Metrics) request(route string, status int) {
	if m != nil {
		m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	}
}

func (m *Metrics) count(c func(*Metrics) prometheus.Counter) {
	if m != nil {
		c(m).Inc()
	}
}
