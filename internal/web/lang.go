package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/invitectl/invitectl/internal/invite"
)

// The page language is decided once per request, before the routes, and
// every page of that request (an error page too) uses that decision.

// requestKey is the context key of a request's *requestInfo.
type requestKey struct{}

// requestInfo is what the middleware learned about a request: its page
// language, who is signed in and, on a token page, the link.
type requestInfo struct {
	lang string
	// user is the signed-in user; nil when there is none. userErr is a
	// failure to read the session, which the route reports.
	user    *invite.User
	userErr error
	// link is the invitation link of a token page, or the reset link of a
	// reset page, as the Service opened it: read once for the language and
	// the page; nil elsewhere.
	link *openedLink
}

// openedLink is what Service.OpenLink (inv) or Service.OpenResetLink (user)
// returned for token.
type openedLink struct {
	token string
	inv   invite.Invitation
	user  invite.User
	err   error
}

func infoOf(r *http.Request) *requestInfo {
	info, _ := r.Context().Value(requestKey{}).(*requestInfo)
	return info
}

// decideLanguage reads the session, decides the page language and puts
// both into the request's context. The order:
//
//   - the language switch (?lang=sv or ?lang=en): the visitor's own choice;
//   - on a token page (/invite/{token}), the invitation's language, which
//     the administrator chose for the invitee; on a reset link's page
//     (/password/reset/{token}), the account's;
//   - elsewhere, the signed-in user's chosen language;
//   - what the browser asks for (Accept-Language);
//   - the configured default language, then Swedish.
func (h *handler) decideLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{}
		path := r.URL.Path
		if c, err := r.Cookie(SessionCookie); err == nil && !strings.HasPrefix(path, "/static/") && path != "/healthz" {
			u, err := h.svc.SessionUser(r.Context(), c.Value)
			switch {
			case err == nil:
				info.user = &u
			case invite.ErrorCode(err) != invite.ENOTFOUND:
				info.userErr = err
			}
		}
		saved := ""
		if info.user != nil {
			saved = info.user.Language
		}
		if token, ok := strings.CutPrefix(path, "/invite/"); ok && token != "" && !strings.Contains(token, "/") {
			// A guessed token costs an HMAC, no store read; a refused link
			// still names its invitation's language.
			inv, err := h.svc.OpenLink(r.Context(), token)
			info.link = &openedLink{token: token, inv: inv, err: err}
			saved = inv.Language
		}
		if token, ok := strings.CutPrefix(path, "/password/reset/"); ok && token != "" && !strings.Contains(token, "/") {
			// The account's language, for the account's owner.
			u, err := h.svc.OpenResetLink(r.Context(), token)
			info.link = &openedLink{token: token, user: u, err: err}
			if err == nil || errors.Is(err, invite.ErrResetLinkExpired) {
				saved = u.Language
			}
		}
		info.lang = h.chooseLanguage(r, saved)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, info)))
	})
}

// openLink is the request's link as the middleware opened it, or opened
// now for a request that never reached the middleware.
func (h *handler) openLink(r *http.Request) (invite.Invitation, error) {
	token := r.PathValue("token")
	if info := infoOf(r); info != nil && info.link != nil && info.link.token == token {
		return info.link.inv, info.link.err
	}
	return h.svc.OpenLink(r.Context(), token)
}

// openResetLink is the request's reset link as the middleware opened it,
// or opened now for a request that never reached the middleware.
func (h *handler) openResetLink(r *http.Request) (invite.User, error) {
	token := r.PathValue("token")
	if info := infoOf(r); info != nil && info.link != nil && info.link.token == token {
		return info.link.user, info.link.err
	}
	return h.svc.OpenResetLink(r.Context(), token)
}

// chooseLanguage applies the order of decideLanguage; known is what the
// request's page knows (the invitation's or the user's language).
func (h *handler) chooseLanguage(r *http.Request, known string) string {
	for _, l := range []string{r.URL.Query().Get("lang"), known, acceptLanguage(r.Header.Get("Accept-Language")), h.defaultLang} {
		if invite.ValidLanguage(l) {
			return l
		}
	}
	return invite.Swedish
}

// lang is the request's page language: the middleware's decision, or, for a
// request that never reached it, what the request alone says.
func (h *handler) lang(r *http.Request) string {
	if info := infoOf(r); info != nil {
		return info.lang
	}
	return h.chooseLanguage(r, "")
}
