package web

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/invitectl/invitectl/internal/invite"
)

// resetView is the state of the forgot and reset forms. Passwords are never
// in it.
type resetView struct {
	Email  string
	Sent   bool              // the forgot form was sent
	Errors map[string]string // field → message
}

// showForgot shows the form that asks for a reset link.
func (h *handler) showForgot(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	h.render(w, r, http.StatusOK, "forgot", view{Lang: h.lang(r), TitleKey: "forgot.title", Reset: &resetView{}})
}

// forgot answers a request for a reset link, always the same way and at
// once: finding the account, queueing the email and sending it happen after
// the answer, so neither its content nor its timing says whether an
// account exists.
func (h *handler) forgot(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	lang := h.lang(r)
	if !h.parseForm(w, r, lang) {
		return
	}
	email := r.PostForm.Get("email")
	h.afterAnswer(r, func(ctx context.Context) {
		// At most a few emails per address in a while, so that nobody can
		// flood someone's mailbox through this form.
		if ok, _ := h.resetMails.allow(invite.EmailKey(email)); !ok {
			return
		}
		id, queued, err := h.svc.RequestPasswordReset(ctx, email)
		if err != nil {
			h.log.Error("queueing a password reset email", "err", err)
			return
		}
		if !queued {
			return
		}
		if h.sendNow == nil {
			h.log.Warn("a password reset email is queued; `invitectl deliver` sends it")
			return
		}
		if err := h.sendNow(ctx, []int64{id}); err != nil {
			h.log.Error("sending a password reset email", "invitation", id, "err", err)
		}
	})
	h.render(w, r, http.StatusOK, "forgot", view{Lang: lang, TitleKey: "forgot.title", Reset: &resetView{Sent: true}})
}

// showReset shows the form for a new password behind a working reset link.
func (h *handler) showReset(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	u, err := h.openResetLink(r)
	if err != nil {
		h.resetLinkError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "reset", view{Lang: h.lang(r), TitleKey: "reset.title", Reset: &resetView{Email: u.Email}})
}

// reset sets the new password, signs the user in (ending their other
// sessions) and sends them to their account; or shows the form again with
// what to fix.
func (h *handler) reset(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	lang := h.lang(r)
	if !h.parseForm(w, r, lang) {
		return
	}
	token := r.PathValue("token")
	_, session, err := h.svc.ResetPassword(r.Context(), token, invite.PasswordReset{
		Password:        r.PostForm.Get("password"),
		PasswordConfirm: r.PostForm.Get("password_confirm"),
		MessageLanguage: lang,
	})
	if err == nil {
		h.metrics.count(func(m *Metrics) prometheus.Counter { return m.resets })
		h.setSessionCookie(w, session)
		// The account page then says the password was changed.
		http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
		return
	}
	if invite.ErrorCode(err) != invite.EINVALID {
		h.resetLinkError(w, r, err)
		return
	}
	u, openErr := h.openResetLink(r) // as it was before this request's attempt
	if openErr != nil {
		h.resetLinkError(w, r, openErr)
		return
	}
	v := &resetView{Email: u.Email, Errors: map[string]string{}}
	for _, fe := range invite.ErrorFields(err) {
		if msg := fieldErrorText(fe, lang); msg != "" {
			v.Errors[fe.Field] = msg
		}
	}
	h.render(w, r, http.StatusUnprocessableEntity, "reset", view{Lang: lang, TitleKey: "reset.title", Reset: v})
}

// forgotAction offers a new reset link.
var forgotAction = &action{Href: "/password/forgot", Key: "forgot.link"}

// resetLinkError answers a reset link that cannot be used.
func (h *handler) resetLinkError(w http.ResponseWriter, r *http.Request, err error) {
	lang := h.lang(r)
	switch {
	case errors.Is(err, invite.ErrResetLinkUnknown):
		h.messageWith(w, r, http.StatusNotFound, lang, forgotAction, "reset.unknown", "body")
	case errors.Is(err, invite.ErrResetLinkExpired):
		h.messageWith(w, r, http.StatusGone, lang, forgotAction, "reset.expired", "body")
	case errors.Is(err, invite.ErrResetLinkUsed):
		h.messageWith(w, r, http.StatusGone, lang, forgotAction, "reset.used", "body")
	default:
		h.log.Error("password reset link", "route", r.Pattern, "err", err)
		h.internalError(w, r, lang)
	}
}

// Reset emails per address: a burst of resetMailBurst, then one every
// resetMailEvery.
const (
	resetMailEvery = 5 * time.Minute
	resetMailBurst = 3
)

func newResetMailLimiter(now func() time.Time) *ipLimiter {
	return newIPLimiter(rate.Every(resetMailEvery), resetMailBurst, maxTrackedEmails, now)
}

// Tasks runs work that must wait until a request is answered, such as
// emailing a reset link, so that the answer's content and timing say
// nothing about it. Wait waits for all of it, for a clean shutdown.
type Tasks struct {
	wg sync.WaitGroup
}

// NewTasks returns an empty task set.
func NewTasks() *Tasks { return &Tasks{} }

// TaskTimeout bounds one task.
const TaskTimeout = time.Minute

func (t *Tasks) run(fn func(context.Context)) {
	t.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), TaskTimeout)
		defer cancel()
		fn(ctx)
	})
}

// Wait returns when every task started so far has finished.
func (t *Tasks) Wait() { t.wg.Wait() }

// afterKey is the context key of a request's *afterList.
type afterKey struct{}

// afterList holds the tasks of one request until it is answered.
type afterList struct {
	mu       sync.Mutex
	answered bool
	fns      []func(context.Context)
}

// afterAnswer runs fn once the request is answered (at once when it was
// answered already, as after a timeout).
func (h *handler) afterAnswer(r *http.Request, fn func(context.Context)) {
	l, _ := r.Context().Value(afterKey{}).(*afterList)
	if l == nil {
		h.tasks.run(fn)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.answered {
		h.tasks.run(fn)
		return
	}
	l.fns = append(l.fns, fn)
}

// runAfterAnswer serves the request and then starts the tasks it left.
func (h *handler) runAfterAnswer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := &afterList{}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), afterKey{}, l)))
		l.mu.Lock()
		defer l.mu.Unlock()
		l.answered = true
		for _, fn := range l.fns {
			h.tasks.run(fn)
		}
		l.fns = nil
	})
}
