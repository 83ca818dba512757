package web

import (
	"net/http"
	"net/url"

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
	news := "account.ready"
	if r.URL.Query().Get("done") == "password" {
		news = "account.password_changed"
	}
	h.render(w, r, http.StatusOK, "account", view{Lang: h.lang(r), TitleKey: "account.title", User: u, NewsKey: news,
		MaskedPersonalNumber: personnummer.Mask(u.PersonalNumber)})
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
