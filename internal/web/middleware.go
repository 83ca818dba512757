package web

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
)

// contentSecurityPolicy allows the page's own stylesheet and images and
// nothing else: no scripts at all, forms only to this site, no framing.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers every answer carries. Referrer-Policy
// no-referrer keeps the token in an invitation URL from leaking to any
// site a page links to.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// limitBody bounds every request body.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// recoverPanic turns a panic into a logged error and a 500 page; the
// visitor never sees a stack trace.
func (h *handler) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler { //nolint:errorlint // a sentinel passed to panic, compared as the server does
				panic(p)
			}
			h.log.Error("panic while handling a request", "route", r.Pattern, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if sw.status == 0 {
				h.internalError(w, r, h.lang(r))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// accessLog logs one line per request: method, route pattern, status,
// duration and size. The pattern ("GET /invite/{token}") stands in for the
// path, so tokens never reach the log; neither do queries or cookies.
func (h *handler) accessLog(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// The route is looked up before serving because requests refused
		// before the mux (cross-origin posts, timeouts) never get r.Pattern.
		_, route := mux.Handler(r)
		if route == "" {
			route = "-"
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			h.metrics.request(route, status)
			h.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
				slog.Int64("bytes", sw.bytes),
			)
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter remembers the status and counts the bytes written.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// rateLimited answers 429 with Retry-After once a client address has used
// up its allowance.
func (h *handler) rateLimited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := h.limiter.allow(h.clientKey(r))
		if !ok {
			noStore(w)
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			h.message(w, r, http.StatusTooManyRequests, h.lang(r), "too_many", "body", "next")
			return
		}
		next.ServeHTTP(w, r)
	})
}
