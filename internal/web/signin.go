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
// failures waits a while (see accountBackoff) and answers 429.
func (h *handler) signIn(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	lang := h.lang(r)
	if !h.parseForm(w, r, lang) {
		return
	}
	email := r.PostForm.Get("email")
	pw := r.PostForm.Get("password")
	key := invite.EmailKey(email)
	if wait := h.backoff.wait(key); wait > 0 {
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

// Per-account backoff for signing in. The first freeFailures failures in a
// row cost nothing; after that each failure makes the account wait, first
// backoffStart, then twice as long each time, at most backoffMax. Attempts
// while it waits are refused without checking the password and without
// making the wait longer, so a stranger who knows someone's address can
// delay them by at most backoffMax per attempt, never lock them out. A
// success forgets the failures. Unknown addresses are treated exactly like
// known ones, so the backoff says nothing about which exist.
const (
	freeFailures     = 5
	backoffStart     = time.Second
	backoffMax       = 5 * time.Minute
	maxTrackedEmails = 10_000
)

type accountBackoff struct {
	now func() time.Time

	mu       sync.Mutex
	accounts map[string]*backoffEntry
}

type backoffEntry struct {
	failures int
	until    time.Time // no attempt before this
	seen     time.Time
}

func newAccountBackoff(now func() time.Time) *accountBackoff {
	return &accountBackoff{now: now, accounts: map[string]*backoffEntry{}}
}

// wait returns how long key must still wait before its next attempt.
func (b *accountBackoff) wait(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.accounts[key]
	if !ok {
		return 0
	}
	if d := e.until.Sub(b.now()); d > 0 {
		return d
	}
	return 0
}

// fail records a failed attempt for key.
func (b *accountBackoff) fail(key string) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.accounts[key]
	if !ok {
		b.makeRoom(now)
		e = &backoffEntry{}
		b.accounts[key] = e
	}
	e.failures++
	e.seen = now
	if n := e.failures - freeFailures; n > 0 {
		d := backoffMax
		if n <= 20 {
			d = min(backoffStart<<(n-1), backoffMax)
		}
		e.until = now.Add(d)
	}
}

// succeed forgets key's failures.
func (b *accountBackoff) succeed(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.accounts, key)
}

// makeRoom keeps the table bounded: entries not seen for two maximal waits
// are forgotten (by then they would start over anyway), and if that is not
// enough, the oldest is.
func (b *accountBackoff) makeRoom(now time.Time) {
	if len(b.accounts) < maxTrackedEmails {
		return
	}
	var oldestKey string
	var oldest time.Time
	for k, e := range b.accounts {
		if now.Sub(e.seen) > 2*backoffMax {
			delete(b.accounts, k)
			continue
		}
		if oldestKey == "" || e.seen.Before(oldest) {
			oldestKey, oldest = k, e.seen
		}
	}
	if len(b.accounts) >= maxTrackedEmails {
		delete(b.accounts, oldestKey)
	}
}
