package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"golang.org/x/time/rate"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/password"
	"github.com/invitectl/invitectl/internal/web"
)

// ServeOptions are the inputs of `serve-accept`.
type ServeOptions struct {
	common
	Service func(context.Context) (*invite.Service, error)

	Listen           string
	BaseURL          string
	BaseURLDefault   bool // nothing configured: the server is its own public address
	PrivacyPolicyURL string
	RateLimit        float64
	RateBurst        int
	TrustProxy       bool
	TrustedProxies   []netip.Prefix
	MetricsListen    string // metrics_listen: where /metrics is served; "" is off
	// Deliver runs the outbox's deliverer in the background.
	Deliver bool
	// Events is the webhook receiver; nil when none is configured.
	Events func() (*eventSender, error)
	// Mailing is the service with the mailer, for the deliverer.
	Mailing func(context.Context) (*invite.Service, error)
}

// NewCmdServe builds `serve-accept`; runF replaces serveRun in tests.
func NewCmdServe(f *Factory, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{Service: f.Service, Mailing: f.MailingService}
	cmd := &cobra.Command{
		Use:   "serve-accept [--listen ADDR] [--base-url URL]",
		Short: "Serve the invitees' registration page",
		Long: `Serves the page invitees open from their email: they choose a password and
a language, accept the privacy policy, and get a verified, signed-in account.

Routes: GET/POST /invite/{token}, GET /account, GET/POST /login,
POST /logout, GET/POST /password/forgot, GET/POST /password/reset/{token},
GET /privacy, GET /healthz. The password reset emails it queues are sent at
once, with or without --deliver. It shuts down gracefully on SIGINT or SIGTERM, letting
registrations in progress finish. Several instances may share one PostgreSQL
database; a CLI and one server may share one SQLite file.`,
		Example: `  invitectl serve-accept
  invitectl serve-accept --listen 0.0.0.0:8080 --base-url https://invite.example.com`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Its log holds no email address, token or name.
			f.anonymousMailNote = true
			cfg := f.Config()
			var err error
			if err := cfg.valid("rate_limit", "rate_burst", "trust_proxy_headers"); err != nil {
				return err
			}
			opts.RateLimit, opts.RateBurst, opts.TrustProxy = cfg.set.RateLimit, cfg.set.RateBurst, cfg.set.TrustProxyHeaders
			if opts.TrustedProxies, err = web.ParseTrustedProxies(cfg.String("trusted_proxies")); err != nil {
				return usageError("set trusted_proxies (INVITECTL_TRUSTED_PROXIES) to your proxies' CIDRs, comma-separated, e.g. 10.0.0.0/8, 2001:db8::/32", "invalid trusted_proxies: %v", err)
			}
			if len(opts.TrustedProxies) > 0 && !opts.TrustProxy {
				return usageError("set trust_proxy_headers: true as well, or remove trusted_proxies", "trusted_proxies is set but trust_proxy_headers is false, so X-Forwarded-For is not read")
			}
			if opts.BaseURL, err = cfg.BaseURL(); err != nil {
				return err
			}
			opts.BaseURLDefault = cfg.source["base_url"] == "default"
			opts.Listen = cfg.String("listen")
			opts.PrivacyPolicyURL = cfg.String("privacy_policy_url")
			opts.MetricsListen = cfg.String("metrics_listen")
			opts.Events = f.eventSender
			opts.common = f.common(cmd)
			if runF != nil {
				return runF(opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().String("listen", "", "address to listen on (config listen; default 127.0.0.1:8080)")
	cmd.Flags().String("base-url", "", "public address used in links (config base_url; default http://127.0.0.1:8080)")
	cmd.Flags().BoolVar(&opts.Deliver, "deliver", false, "also deliver the outbox's emails (and webhook events) in the background, retrying temporary failures with backoff")
	return cmd
}

func serveRun(ctx context.Context, opts *ServeOptions) error {
	svc, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	svc.Passwords = password.New(password.DefaultParams)
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return usageError("choose a free address with --listen (e.g. 127.0.0.1:8081)", "cannot listen on %s: %v", opts.Listen, err)
	}
	base := opts.BaseURL
	if opts.BaseURLDefault {
		base = "http://" + ln.Addr().String()
	}
	errOut := opts.IO.ErrOut
	logger := slog.New(slog.NewTextHandler(errOut, nil))
	// The emails this server queues itself (password resets) go out at
	// once, after the answer, with or without --deliver.
	mailing, mailErr := opts.Mailing(ctx)
	if mailErr != nil && opts.Deliver {
		ln.Close()
		return mailErr
	}
	// Prometheus metrics, on their own address (metrics_listen) when set.
	var metrics *web.Metrics
	if opts.MetricsListen != "" {
		metrics = web.NewMetrics()
		metrics.WatchOutbox(svc.OutboxDepth, opts.Now)
		mln, err := net.Listen("tcp", opts.MetricsListen)
		if err != nil {
			ln.Close()
			return usageError("choose a free address for metrics_listen (e.g. 127.0.0.1:9090)", "cannot listen on %s: %v", opts.MetricsListen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler())
		msrv := web.NewServer(opts.MetricsListen, mux)
		go func() { _ = web.Serve(ctx, mln, msrv) }()
		fmt.Fprintf(errOut, "invitectl: metrics on http://%s/metrics\n", mln.Addr())
	}
	var sendNow func(context.Context, []int64) error
	if mailErr == nil {
		sendNow = func(ctx context.Context, ids []int64) error {
			sum, err := mailing.Deliver(ctx, invite.DeliverRequest{InvitationIDs: ids, Actor: "serve-accept",
				Report: func(o invite.DeliveryOutcome) { metrics.Delivered(string(o.State)) }})
			if err == nil && sum.Undelivered() > 0 {
				err = fmt.Errorf("%d email(s) not delivered yet; they stay queued", sum.Undelivered())
			}
			return err
		}
	} else {
		fmt.Fprintf(errOut, "invitectl: warning: password reset emails stay queued for `invitectl deliver`: %v\n", mailErr)
	}
	tasks := web.NewTasks()
	h := web.NewHandler(web.Deps{
		Service:           svc,
		Logger:            logger,
		BaseURL:           base,
		PrivacyPolicyURL:  opts.PrivacyPolicyURL,
		DefaultLanguage:   svc.DefaultLanguage,
		RateLimit:         rate.Limit(opts.RateLimit),
		RateBurst:         opts.RateBurst,
		TrustProxyHeaders: opts.TrustProxy,
		TrustedProxies:    opts.TrustedProxies,
		Now:               opts.Now,
		Tasks:             tasks,
		SendNow:           sendNow,
		Metrics:           metrics,
	})
	fmt.Fprintf(errOut, "invitectl: serving registrations on http://%s (public address %s); stop with Ctrl-C\n", ln.Addr(), base)
	if opts.BaseURL != base {
		fmt.Fprintf(errOut, "invitectl: hint: invitation links use base_url %s; set base_url (INVITECTL_BASE_URL) to %s so that they reach this server\n", opts.BaseURL, base)
	}
	stopDelivering := func() {}
	if opts.Deliver {
		var events *eventSender
		if opts.Events != nil {
			if events, err = opts.Events(); err != nil {
				ln.Close()
				return err
			}
		}
		stopDelivering = deliverInBackground(ctx, mailing, events, logger, metrics)
		fmt.Fprintln(errOut, "invitectl: delivering the outbox's emails in the background")
	}
	err = web.Serve(ctx, ln, web.NewServer(opts.Listen, h))
	tasks.Wait()
	stopDelivering()
	if err == nil {
		fmt.Fprintln(errOut, "invitectl: stopped")
	}
	return err
}

// deliverPoll is how often the background deliverer looks for due emails.
const deliverPoll = 5 * time.Second

// deliverInBackground delivers due emails, then due webhook events (when
// events is set), until ctx is done or the returned function is called,
// which waits for the batch in progress.
func deliverInBackground(ctx context.Context, svc *invite.Service, events *eventSender, log *slog.Logger, metrics *web.Metrics) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(deliverPoll)
		defer t.Stop()
		for {
			sum, err := svc.Deliver(ctx, invite.DeliverRequest{Due: true, Actor: "serve-accept", Report: func(o invite.DeliveryOutcome) {
				metrics.Delivered(string(o.State))
				if o.State != invite.DeliverySent {
					log.Warn("email not delivered", "invitation", o.Claim.InvitationID, "state", o.State, "err", o.Error)
				}
			}})
			if err != nil && ctx.Err() == nil {
				log.Error("delivering emails", "err", err)
			}
			if sum.Sent > 0 {
				log.Info("emails delivered", "sent", sum.Sent)
			}
			if events != nil && svc.KeepsEvents() && ctx.Err() == nil {
				esum, err := svc.DeliverEvents(ctx, events, invite.EventRequest{Due: true, Report: func(o invite.EventOutcome) {
					metrics.EventDelivered(o.Claim.Type, string(o.State))
					if o.State != invite.EventDelivered {
						log.Warn("webhook event not delivered", "id", o.Claim.WebhookID, "type", o.Claim.Type, "state", o.State, "err", o.Error)
					}
				}})
				if err != nil && ctx.Err() == nil {
					log.Error("delivering webhook events", "err", err)
				}
				if esum.Delivered > 0 {
					log.Info("webhook events delivered", "delivered", esum.Delivered)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
