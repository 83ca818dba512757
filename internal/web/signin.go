package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/invitectl/invitectl/internal/invite"
)

// signInView is the sign-in form's state. The password is never in it.
type signInView struct {
	Email string
	Error string // the one message for a wrong pair, or for a lock
}

// showSignIn shows the sign-in form, or the account to a visitor who is
// signed in already.
func (h *handler) showSignIn(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	u, ok := h.sessionUser(w, r)
	if !ok {
		return
	}
	if u != nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", view{Lang: h.lang(r), TitleKey: "login.title", SignIn: &signInView{}})
}

// signIn checks a submitted email and password. A wrong pair answers 401
// with one message whichever half was wrong; an account with many recent
// failures from the client's network, or a network with many, waits a
// while (see failureBackoff) and answers 429.
func (h *handler) signIn(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	lang := h.lang(r)
	if !h.parseForm(w, r, lang) {
		return
	}
	email := r.PostForm.Get("email")
	pw := r.PostForm.Get("password")
	network := h.clientKey(r)
	key := signInKey(invite.EmailKey(email), network)
	if wait := max(h.backoff.wait(key), h.networkBackoff.wait(network)); wait > 0 {
		h.metrics.count(func(m *Metrics) prometheus.Counter { return m.signInFailures })
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		h.render(w, r, http.StatusTooManyRequests, "login", view{Lang: lang, TitleKey: "login.title",
			SignIn: &signInView{Email: email, Error: text(lang, "login.locked")}})
		return
	}
	_, session, err := h.svc.SignIn(r.Context(), email, pw)
	switch {
	case errors.Is(err, invite.ErrSignInFailed):
		h.metrics.count(func(m *Metrics) prometheus.Counter { return m.signInFailures })
		h.backoff.fail(key)
		h.networkBackoff.fail(network)
		h.render(w, r, http.StatusUnauthorized, "login", view{Lang: lang, TitleKey: "login.title",
			SignIn: &signInView{Email: email, Error: text(lang, "login.failed")}})
		return
	case err != nil:
		h.log.Error("signing in", "err", err)
		h.internalError(w, r, lang)
		return
	}
	h.metrics.count(func(m *Metrics) prometheus.Counter { return m.signIns })
	h.backoff.succeed(key)
	h.setSessionCookie(w, session)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// parseForm reads a posted form; on failure it answers and returns false.
func (h *handler) parseForm(w http.ResponseWriter, r *http.Request, lang string) bool {
	err := r.ParseForm()
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		h.message(w, r, http.StatusRequestEntityTooLarge, lang, "too_large", "body")
		return false
	}
	h.message(w, r, http.StatusBadRequest, lang, "bad_request", "body")
	return false
}

// Backoff for signing in, per account and client network. The first
// accountFreeFailures failures in a row of an account from one client
// network cost nothing; after that each failure makes that pair wait,
// first backoffStart, then twice as long each time, at most backoffMax.
// A client network (clientKey: an IPv4 address or an IPv6 /64) that fails
// networkFreeFailures times, whatever the accounts, waits the same way for
// every attempt. Attempts while a wait runs are refused without checking
// the password and without making the wait longer. So failures from one
// network never delay the account's owner signing in from another: a
// stranger can slow down only guesses from their own network. A success
// forgets the pair's failures (not the network's: an account of one's own
// would reset them). Failures idle for forgetAfter are forgotten. Unknown
// addresses are treated exactly like known ones, so the backoff says
// nothing about which exist.
const (
	accountFreeFailures = 5
	networkFreeFailures = 20
	backoffStart        = time.Second
	backoffMax          = 5 * time.Minute
	forgetAfter         = 2 * backoffMax
	maxTrackedEmails    = 10_000
)

// signInKey is what an account's failures from one client network count
// against.
func signInKey(account, network string) string { return account + "\x00" + network }

// failureBackoff makes a key wait after more than free failures in a row.
type failureBackoff struct {
	free int
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]*backoffEntry
}

type backoffEntry struct {
	failures int
	until    time.Time // no attempt before this
	seen     time.Time
}

func newFailureBackoff(free int, now func() time.Time) *failureBackoff {
	return &failureBackoff{free: free, now: now, entries: map[string]*backoffEntry{}}
}

// wait returns how long key must still wait before its next attempt.
func (b *failureBackoff) wait(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[key]
	if !ok {
		return 0
	}
	if d := e.until.Sub(b.now()); d > 0 {
		return d
	}
	return 0
}

// fail records a failed attempt for key.
func (b *failureBackoff) fail(key string) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[key]
	if !ok {
		b.makeRoom(now)
		e = &backoffEntry{}
		b.entries[key] = e
	}
	if now.Sub(e.seen) > forgetAfter {
		e.failures = 0
	}
	e.failures++
	e.seen = now
	if n := e.failures - b.free; n > 0 {
		d := backoffMax
		if n <= 20 {
			d = min(backoffStart<<(n-1), backoffMax)
		}
		e.until = now.Add(d)
	}
}

// succeed forgets key's failures.
func (b *failureBackoff) succeed(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, key)
}

func (b *failureBackoff) makeRoom(now time.Time) {
	if len(b.entries) < maxTrackedEmails {
		return
	}
	var oldestKey string
	var oldest time.Time
	for k, e := range b.entries {
		if now.Sub(e.seen) > forgetAfter {
			delete(b.entries, k)
			continue
		}
		if oldestKey == "" || e.seen.Before(oldest) {
			oldestKey, oldest = k, e.seen
		}
	}
	if len(b.entries) >= maxTrackedEmails {
		delete(b.entries, oldestKey)
	}
}
