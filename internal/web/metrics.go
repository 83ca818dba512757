package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/invitectl/invitectl/internal/invite"
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
	webhookEvents  *prometheus.CounterVec
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
		webhookEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "invitectl_webhook_deliveries_total", Help: "Webhook events this process attempted, by event type and outcome (delivered, queued to retry, failed).",
		}, []string{"type", "outcome"}),
	}
	m.reg.MustRegister(m.requests, m.registrations, m.signIns, m.signInFailures, m.resets, m.deliveries, m.webhookEvents,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format. A metric that
// cannot be read (the outbox's, when the store does not answer) is left
// out; the others are served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Delivered counts one delivery outcome.
func (m *Metrics) Delivered(state string) {
	if m != nil {
		m.deliveries.WithLabelValues(state).Inc()
	}
}

// EventDelivered counts one webhook event's outcome.
func (m *Metrics) EventDelivered(typ, outcome string) {
	if m != nil {
		m.webhookEvents.WithLabelValues(typ, outcome).Inc()
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

// WatchOutbox adds gauges of the outbox, read from depth at every scrape:
// the emails queued and failed, and the age of the oldest queued one (0
// when none waits), by the clock now.
func (m *Metrics) WatchOutbox(depth func(context.Context) (invite.OutboxDepth, error), now func() time.Time) {
	m.reg.MustRegister(&outboxCollector{depth: depth, now: now})
}

var (
	outboxEmails = prometheus.NewDesc("invitectl_outbox_emails", "Emails waiting in the outbox, by state (queued to be sent or retried, failed).", []string{"state"}, nil)
	outboxOldest = prometheus.NewDesc("invitectl_outbox_oldest_queued_seconds", "How long the oldest queued email has waited; 0 when none waits.", nil, nil)
)

// outboxCollector reads the outbox's depth when scraped.
type outboxCollector struct {
	depth func(context.Context) (invite.OutboxDepth, error)
	now   func() time.Time
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxEmails
	ch <- outboxOldest
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := c.depth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxEmails, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxEmails, prometheus.GaugeValue, float64(d.Queued), "queued")
	ch <- prometheus.MustNewConstMetric(outboxEmails, prometheus.GaugeValue, float64(d.Failed), "failed")
	age := 0.0
	if !d.OldestQueued.IsZero() {
		age = max(0, c.now().Sub(d.OldestQueued).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(outboxOldest, prometheus.GaugeValue, age)
}
