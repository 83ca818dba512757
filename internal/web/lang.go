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
// language and who is signed in.
type requestInfo struct {
	lang string
	// user is the signed-in user; nil when there is none. userErr is a
	// failure to read the session, which the route reports.
	user    *invite.User
	userErr error
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
			saved = h.invitationLanguage(r.Context(), token)
		}
		if token, ok := strings.CutPrefix(path, "/password/reset/"); ok && token != "" && !strings.Contains(token, "/") {
			// The account's language, for the account's owner.
			if u, err := h.svc.OpenResetLink(r.Context(), token); err == nil || errors.Is(err, invite.ErrResetLinkExpired) {
				saved = u.Language
			}
		}
		info.lang = h.chooseLanguage(r, saved)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, info)))
	})
}

// invitationLanguage is the language of the invitation a token names, or ""
// when the token names none. A guessed token costs an HMAC, no store read.
func (h *handler) invitationLanguage(ctx context.Context, token string) string {
	id, _, ok := h.svc.Links.Verify(token)
	if !ok {
		return ""
	}
	inv, err := h.svc.Store.Invitation(ctx, id)
	if err != nil {
		return ""
	}
	return inv.Language
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
