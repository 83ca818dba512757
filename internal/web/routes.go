package web

import "net/http"

// routes registers every route. A GET pattern also answers HEAD. Each path
// also has a pattern without a method, so that a wrong method gets a 405
// page in the visitor's language instead of the mux's plain-text one.
func (h *handler) routes(mux *http.ServeMux) {
	mux.Handle("GET /invite/{token}", h.rateLimited(http.HandlerFunc(h.showInvite)))
	mux.Handle("POST /invite/{token}", h.rateLimited(http.HandlerFunc(h.register)))
	mux.Handle("/invite/{token}", h.rateLimited(h.methodNotAllowed("GET, HEAD, POST")))

	mux.HandleFunc("GET /{$}", h.home)
	mux.Handle("/{$}", h.methodNotAllowed("GET, HEAD"))

	mux.HandleFunc("GET /account", h.account)
	mux.Handle("/account", h.methodNotAllowed("GET, HEAD"))

	// The account page's forms post here; a GET (a reload, the language
	// switch on a form shown again) goes back to the page.
	mux.HandleFunc("GET /account/language", h.backToAccount)
	mux.HandleFunc("POST /account/language", h.setLanguage)
	mux.Handle("/account/language", h.methodNotAllowed("GET, HEAD, POST"))
	mux.HandleFunc("GET /account/password", h.backToAccount)
	mux.Handle("POST /account/password", h.rateLimited(http.HandlerFunc(h.changePassword)))
	mux.Handle("/account/password", h.methodNotAllowed("GET, HEAD, POST"))

	mux.Handle("GET /login", h.rateLimited(http.HandlerFunc(h.showSignIn)))
	mux.Handle("POST /login", h.rateLimited(http.HandlerFunc(h.signIn)))
	mux.Handle("/login", h.methodNotAllowed("GET, HEAD, POST"))

	mux.Handle("GET /password/forgot", h.rateLimited(http.HandlerFunc(h.showForgot)))
	mux.Handle("POST /password/forgot", h.rateLimited(http.HandlerFunc(h.forgot)))
	mux.Handle("/password/forgot", h.methodNotAllowed("GET, HEAD, POST"))

	mux.Handle("GET /password/reset/{token}", h.rateLimited(http.HandlerFunc(h.showReset)))
	mux.Handle("POST /password/reset/{token}", h.rateLimited(http.HandlerFunc(h.reset)))
	mux.Handle("/password/reset/{token}", h.rateLimited(h.methodNotAllowed("GET, HEAD, POST")))

	mux.HandleFunc("POST /logout", h.logout)
	mux.Handle("/logout", h.methodNotAllowed("POST"))

	mux.HandleFunc("GET /privacy", h.privacy)
	mux.Handle("/privacy", h.methodNotAllowed("GET, HEAD"))

	mux.HandleFunc("GET /healthz", h.healthz)
	mux.Handle("/healthz", h.methodNotAllowed("GET, HEAD"))

	mux.HandleFunc("GET /static/style.css", serveCSS)
	mux.Handle("/static/style.css", h.methodNotAllowed("GET, HEAD"))

	mux.HandleFunc("/", h.notFound)
}
