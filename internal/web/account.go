package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/personnummer"
)

// home sends a visitor to their account when signed in, else to sign in,
// keeping the language they chose.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	u, ok := h.sessionUser(w, r)
	if !ok {
		return
	}
	to := "/login"
	if u != nil {
		to = "/account"
	}
	if lang := r.URL.Query().Get("lang"); lang != "" {
		to += "?lang=" + url.QueryEscape(lang)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// account shows who is signed in, or says that nobody is.
func (h *handler) account(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	u, ok := h.sessionUser(w, r)
	if !ok {
		return
	}
	if u == nil {
		h.messageWith(w, r, http.StatusUnauthorized, h.lang(r), signInAction, "signed_out", "body")
		return
	}
	news, ok := accountNews[r.URL.Query().Get("done")]
	if !ok {
		news = "account.ready"
	}
	h.renderAccount(w, r, http.StatusOK, u, news, nil)
}

// accountNews is what the account page says after ?done=: a reset, a
// password change on the page, a language change.
var accountNews = map[string]string{
	"password":        "account.password_changed",
	"password_change": "account.password_changed_here",
	"language":        "account.language_saved",
}

// accountView is the state of the account page's forms. Passwords are
// never in it.
type accountView struct {
	Errors map[string]string // field → message
	// PasswordAction is where the password form posts: with the page's
	// language, so that a form shown again stays in it.
	PasswordAction string
}

// renderAccount shows the account page of u; errs are the fields' errors
// of a form sent back (nil for none).
func (h *handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, u *invite.User, news string, errs map[string]string) {
	lang := h.lang(r)
	h.render(w, r, status, "account", view{Lang: lang, TitleKey: "account.title", User: u, NewsKey: news,
		MaskedPersonalNumber: personnummer.Mask(u.PersonalNumber),
		Account:              &accountView{Errors: errs, PasswordAction: "/account/password?lang=" + url.QueryEscape(lang)}})
}

// backToAccount sends a GET of a form's address to the account page,
// keeping the language the visitor chose.
func (h *handler) backToAccount(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	to := "/account"
	if lang := switchedLanguage(r); lang != "" {
		to += "?lang=" + lang
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// switchedLanguage is the language the visitor chose with the switch
// (?lang=), one of the known ones, or "": what a redirect may carry on.
func switchedLanguage(r *http.Request) string {
	switch r.URL.Query().Get("lang") {
	case invite.Swedish:
		return invite.Swedish
	case invite.English:
		return invite.English
	}
	return ""
}

// signedInForm starts a form post of the account page: it returns the
// signed-in user and their session token, or answers (the signed-out page,
// 401, when nobody is signed in) and returns ok false.
func (h *handler) signedInForm(w http.ResponseWriter, r *http.Request) (u *invite.User, token string, ok bool) {
	noStore(w)
	u, ok = h.sessionUser(w, r)
	if !ok {
		return nil, "", false
	}
	if u == nil {
		h.messageWith(w, r, http.StatusUnauthorized, h.lang(r), signInAction, "signed_out", "body")
		return nil, "", false
	}
	if !h.parseForm(w, r, h.lang(r)) {
		return nil, "", false
	}
	c, _ := r.Cookie(SessionCookie)
	return u, c.Value, true
}

// setLanguage saves the account's language; the account page then speaks
// it and says so.
func (h *handler) setLanguage(w http.ResponseWriter, r *http.Request) {
	u, token, ok := h.signedInForm(w, r)
	if !ok {
		return
	}
	_, err := h.svc.SetLanguage(r.Context(), token, r.PostForm.Get("language"))
	switch {
	case err == nil:
		// No ?lang=: the page follows the language just saved.
		http.Redirect(w, r, "/account?done=language", http.StatusSeeOther)
	case invite.ErrorCode(err) == invite.EINVALID:
		h.renderAccount(w, r, http.StatusUnprocessableEntity, u, "", map[string]string{"language": text(h.lang(r), "error.language")})
	default:
		h.accountError(w, r, "saving the language", err)
	}
}

// changePassword sets a new password given the current one, keeps this
// session and ends the account's others. A wrong current password counts
// as a failed sign-in of the account from the client's network, and waits
// as one does (see failureBackoff), so that a borrowed session cannot be
// used to guess the password.
func (h *handler) changePassword(w http.ResponseWriter, r *http.Request) {
	u, token, ok := h.signedInForm(w, r)
	if !ok {
		return
	}
	lang := h.lang(r)
	network := h.clientKey(r)
	key := signInKey(invite.EmailKey(u.Email), network)
	if wait := max(h.backoff.wait(key), h.networkBackoff.wait(network)); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		h.renderAccount(w, r, http.StatusTooManyRequests, u, "", map[string]string{"current_password": text(lang, "error.current_password_locked")})
		return
	}
	_, err := h.svc.ChangePassword(r.Context(), token, invite.PasswordChange{
		Current:         r.PostForm.Get("current_password"),
		Password:        r.PostForm.Get("password"),
		PasswordConfirm: r.PostForm.Get("password_confirm"),
		MessageLanguage: lang,
	})
	switch {
	case err == nil:
		h.backoff.succeed(key)
		to := "/account?done=password_change"
		if l := switchedLanguage(r); l != "" {
			to += "&lang=" + l
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	case errors.Is(err, invite.ErrCurrentPasswordWrong):
		h.metrics.count(func(m *Metrics) prometheus.Counter { return m.signInFailures })
		h.backoff.fail(key)
		h.networkBackoff.fail(network)
	case invite.ErrorCode(err) != invite.EINVALID:
		h.accountError(w, r, "changing the password", err)
		return
	}
	errs := map[string]string{}
	for _, fe := range invite.ErrorFields(err) {
		if msg := fieldErrorText(fe, lang); msg != "" {
			errs[fe.Field] = msg
		}
	}
	h.renderAccount(w, r, http.StatusUnprocessableEntity, u, "", errs)
}

// accountError answers a change that failed for another reason than the
// form: the session ended meanwhile (signed out), or an internal error.
func (h *handler) accountError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if invite.ErrorCode(err) == invite.ENOTFOUND {
		h.clearSessionCookie(w)
		h.messageWith(w, r, http.StatusUnauthorized, h.lang(r), signInAction, "signed_out", "body")
		return
	}
	h.log.Error(what, "err", err)
	h.internalError(w, r, h.lang(r))
}

// logout ends the session, forgets the cookie and shows the signed-out page
// in the language the visitor was using.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	u, ok := h.sessionUser(w, r)
	if !ok {
		return
	}
	if u != nil {
		c, _ := r.Cookie(SessionCookie)
		if err := h.svc.Logout(r.Context(), c.Value); err != nil {
			h.log.Error("signing out", "err", err)
			h.internalError(w, r, h.lang(r))
			return
		}
	}
	h.clearSessionCookie(w)
	http.Redirect(w, r, "/account?lang="+url.QueryEscape(h.lang(r)), http.StatusSeeOther)
}

// sessionUser returns the signed-in user, or nil when there is none (and
// then forgets a stale cookie). ok is false when an error page was sent.
func (h *handler) sessionUser(w http.ResponseWriter, r *http.Request) (u *invite.User, ok bool) {
	if _, err := r.Cookie(SessionCookie); err != nil {
		return nil, true
	}
	var user invite.User
	var err error
	if info := infoOf(r); info != nil {
		// The middleware read the session already.
		switch {
		case info.user != nil:
			user = *info.user
		case info.userErr != nil:
			err = info.userErr
		default:
			err = invite.Errorf(invite.ENOTFOUND, "not signed in")
		}
	} else {
		c, _ := r.Cookie(SessionCookie)
		user, err = h.svc.SessionUser(r.Context(), c.Value)
	}
	switch {
	case invite.ErrorCode(err) == invite.ENOTFOUND:
		h.clearSessionCookie(w)
		return nil, true
	case err != nil:
		h.log.Error("reading the session", "err", err)
		h.internalError(w, r, h.lang(r))
		return nil, false
	}
	return &user, true
}

func (h *handler) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    token,
		Path:     "/",
		MaxAge:   int(h.sessionTTL.Seconds()),
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (h *handler) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
}
