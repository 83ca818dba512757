// Package web serves the invitee's side of invitectl: the registration form
// behind an invitation link, the signed-in page, sign-out, the privacy policy
// and a health check (`invitectl serve-accept`). All rules live in
// invite.Service; this package turns them into pages.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/invitectl/invitectl/internal/invite"
)

// Defaults for the zero values of Deps.
const (
	DefaultRateLimit      rate.Limit = 1 // requests per second per client, sustained
	DefaultRateBurst                 = 20
	DefaultRequestTimeout            = 15 * time.Second
	// MaxBodyBytes bounds a request body: the form is four short fields.
	MaxBodyBytes = 16 << 10
	// SessionCookie is the name of the session cookie.
	SessionCookie = "invitectl_session"
)

// Deps are what the handler needs.
type Deps struct {
	Service *invite.Service
	Logger  *slog.Logger // nil: no logs
	// BaseURL is the public address; https makes cookies Secure. Its origin
	// is also trusted for form posts, for proxies that rewrite the Host header.
	BaseURL string
	// PrivacyPolicyURL, when set, is where /privacy redirects instead of
	// showing the built-in policy.
	PrivacyPolicyURL string
	DefaultLanguage  string // sv or en; empty: sv
	// RateLimit and RateBurst limit requests per client address to
	// /invite/…, to slow down guessing. Zero means the defaults; rate.Inf
	// turns the limit off.
	RateLimit rate.Limit
	RateBurst int
	// TrustProxyHeaders takes the client address from the right-most entry
	// of X-Forwarded-For (the one the proxy appended) instead of the
	// connection. Set it only behind a reverse proxy that sets or appends to
	// that header, or clients could choose their own address and escape the
	// rate limit. Without it, every client behind a proxy
	// shares the proxy's address and its limit.
	TrustProxyHeaders bool
	// TrustedProxies, with TrustProxyHeaders, are the operator's proxies:
	// the client is the right-most X-Forwarded-For entry not in them.
	TrustedProxies []netip.Prefix
	// RequestTimeout bounds the time to answer one request; zero means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Now is the clock of the rate limiter; nil means time.Now.
	Now func() time.Time
	// Tasks runs the work left for after an answer (emailing reset links);
	// wait for it before exiting. Nil: the handler keeps its own.
	Tasks *Tasks
	// SendNow delivers the emails queued for these invitations (a password
	// reset), at once. Nil: they stay queued for `invitectl deliver`.
	SendNow func(ctx context.Context, invitationIDs []int64) error
	// Metrics, when set, counts requests, registrations, sign-ins and
	// resets (serve them with Metrics.Handler). Nil: none.
	Metrics *Metrics
}

// handler holds the dependencies the routes share.
type handler struct {
	svc            *invite.Service
	log            *slog.Logger
	secure         bool
	privacyURL     string
	defaultLang    string
	sessionTTL     time.Duration
	limiter        *ipLimiter
	backoff        *failureBackoff // per account and client network
	networkBackoff *failureBackoff // per client network
	resetMails     *ipLimiter
	tasks          *Tasks
	sendNow        func(ctx context.Context, invitationIDs []int64) error
	metrics        *Metrics
	trustProxy     bool
	trustedProxies []netip.Prefix
	pages          *pages
}

// NewHandler returns the serve-accept handler with every route, the security
// headers, CSRF protection, limits and access logs. It panics without a
// Service, which is a programming error.
func NewHandler(deps Deps) http.Handler {
	if deps.Service == nil {
		panic("web.NewHandler: Deps.Service is nil")
	}
	h := &handler{
		svc:            deps.Service,
		log:            deps.Logger,
		secure:         strings.HasPrefix(strings.ToLower(deps.BaseURL), "https://"),
		privacyURL:     deps.PrivacyPolicyURL,
		defaultLang:    deps.DefaultLanguage,
		sessionTTL:     deps.Service.SessionTTL,
		trustProxy:     deps.TrustProxyHeaders,
		trustedProxies: deps.TrustedProxies,
		pages:          mustParsePages(),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if _, ok := deps.Service.Passwords.(invite.PasswordVerifier); ok {
		if err := deps.Service.PrepareSignIn(); err != nil {
			h.log.Warn("preparing sign-in", "err", err)
		}
	}
	if h.sessionTTL <= 0 {
		h.sessionTTL = invite.DefaultSessionTTL
	}
	limit, burst := deps.RateLimit, deps.RateBurst
	if limit == 0 {
		limit = DefaultRateLimit
	}
	if burst <= 0 {
		burst = DefaultRateBurst
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	h.limiter = newIPLimiter(limit, burst, maxTrackedClients, now)
	h.backoff = newFailureBackoff(accountFreeFailures, now)
	h.networkBackoff = newFailureBackoff(networkFreeFailures, now)
	h.resetMails = newResetMailLimiter(now)
	h.tasks = deps.Tasks
	if h.tasks == nil {
		h.tasks = NewTasks()
	}
	h.sendNow = deps.SendNow
	h.metrics = deps.Metrics
	timeout := deps.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}

	mux := http.NewServeMux()
	h.routes(mux)

	csrf := http.NewCrossOriginProtection()
	if origin := originOf(deps.BaseURL); origin != "" {
		if err := csrf.AddTrustedOrigin(origin); err != nil {
			h.log.Warn("base URL is not usable as a trusted origin", "base_url", deps.BaseURL, "err", err)
		}
	}
	csrf.SetDenyHandler(http.HandlerFunc(h.crossOrigin))

	// From the outside in: the access log (it sees every answer, a
	// timeout's too), the security headers (on every answer), the request
	// timeout, panic recovery (inside the timeout, so that its 500 page is
	// the one sent), the body limit, the session and page language,
	// CSRF protection, the routes.
	next := csrf.Handler(mux)
	next = h.decideLanguage(next)
	next = limitBody(next)
	next = h.recoverPanic(next)
	next = http.TimeoutHandler(next, timeout, timeoutPage)
	next = securityHeaders(next)
	next = h.runAfterAnswer(next)
	return h.accessLog(mux, next)
}

// originOf returns scheme://host of an absolute URL, or "".
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
