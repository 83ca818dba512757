package web

import (
	"net/http"
	"net/url"

	"github.com/invitectl/invitectl/internal/invite"
)

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
	lang := h.pickLanguage(r, langHints{saved: u.Language})
	h.render(w, r, http.StatusOK, "account", view{Lang: lang, TitleKey: "account.title", User: u})
}

// logout ends the session, forgets the cookie and shows the signed-out page
// in the language the visitor was using.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	u, ok := h.sessionUser(w, r)
	if !ok {
		return
	}
	var saved string
	if u != nil {
		saved = u.Language
		c, _ := r.Cookie(SessionCookie)
		if err := h.svc.Logout(r.Context(), c.Value); err != nil {
			h.log.Error("signing out", "err", err)
			h.internalError(w, r, h.pickLanguage(r, langHints{saved: saved}))
			return
		}
	}
	h.clearSessionCookie(w)
	lang := h.pickLanguage(r, langHints{saved: saved})
	http.Redirect(w, r, "/account?lang="+url.QueryEscape(lang), http.StatusSeeOther)
}

// sessionUser returns the signed-in user, or nil when there is none (and
// then forgets a stale cookie). ok is false when an error page was sent.
func (h *handler) sessionUser(w http.ResponseWriter, r *http.Request) (u *invite.User, ok bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, true
	}
	user, err := h.svc.SessionUser(r.Context(), c.Value)
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
