package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"strconv"

	"github.com/invitectl/invitectl/internal/invite"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static/style.css
var styleCSS []byte

// cssVersion goes into the stylesheet's URL, so browsers may cache it for
// long and still fetch a changed one at once.
var cssVersion = func() string {
	sum := sha256.Sum256(styleCSS)
	return hex.EncodeToString(sum[:6])
}()

// pages are the parsed templates, one set per page, each with the layout.
type pages struct {
	byName map[string]*template.Template
}

var pageNames = []string{"form", "message", "account", "privacy", "login", "forgot", "reset"}

func mustParsePages() *pages {
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		p.byName[name] = template.Must(template.ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
	}
	return p
}

// view is what every template gets. Page-specific parts are optional.
type view struct {
	Lang       string
	TitleKey   string
	LangSwitch bool // show the language links (GET pages only: they reload the page)
	CSSVersion string

	// message pages
	BodyKeys []string
	// Action, when set, is a link under a message: where to go next.
	Action *action

	SignIn *signInView
	Reset  *resetView

	Form *formView
	User *invite.User
	// NewsKey is what the account page says just happened.
	NewsKey string
	// Account is the state of the account page's forms.
	Account *accountView
	// MaskedPersonalNumber is the user's personal number as YYYYMMDD-****.
	MaskedPersonalNumber string

	// privacy page
	SessionDays int
}

// action is a link that a page offers as the next step.
type action struct {
	Href, Key string
}

// signInAction offers to sign in.
var signInAction = &action{Href: "/login", Key: "login.link"}

// passwordFields is what the "new-password" fields get: the page, the label of
// the first field and the fields' errors.
type passwordFields struct {
	view
	LabelKey string
	Errors   map[string]string
}

// PasswordFields is the data of the "new-password" fields on this page.
func (v view) PasswordFields(labelKey string, errs map[string]string) passwordFields {
	return passwordFields{view: v, LabelKey: labelKey, Errors: errs}
}

// T is the page's text for key, in the page's language.
func (v view) T(key string) string { return text(v.Lang, key) }

// OtherLang is the language the switch link offers.
func (v view) OtherLang() string {
	if v.Lang == invite.English {
		return invite.Swedish
	}
	return invite.English
}

// render writes a page. The page is produced into a buffer first, so a
// template failure becomes a clean 500 instead of half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	v.CSSVersion = cssVersion
	// The switch reloads the page's address with ?lang=; after a form was
	// posted that shows the form again, in the other language. Only
	// /logout has no page to show.
	v.LangSwitch = r.URL.Path != "/logout"
	var buf bytes.Buffer
	if err := h.pages.byName[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.Error("rendering page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// message renders a page of one heading (key+".title") and paragraphs.
func (h *handler) message(w http.ResponseWriter, r *http.Request, status int, lang, key string, paragraphs ...string) {
	h.messageWith(w, r, status, lang, nil, key, paragraphs...)
}

// messageWith is message with a link to the next step under it.
func (h *handler) messageWith(w http.ResponseWriter, r *http.Request, status int, lang string, next *action, key string, paragraphs ...string) {
	keys := make([]string, len(paragraphs))
	for i, p := range paragraphs {
		keys[i] = key + "." + p
	}
	h.render(w, r, status, "message", view{Lang: lang, TitleKey: key + ".title", BodyKeys: keys, Action: next})
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusNotFound, h.lang(r), "not_found", "body", "next")
}

func (h *handler) methodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		h.message(w, r, http.StatusMethodNotAllowed, h.lang(r), "not_allowed", "body")
	})
}

// crossOrigin answers a form posted from another site. It never reads the
// form, so the language comes from the request alone.
func (h *handler) crossOrigin(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusForbidden, h.lang(r), "cross_origin", "body", "next")
}

func (h *handler) internalError(w http.ResponseWriter, r *http.Request, lang string) {
	h.message(w, r, http.StatusInternalServerError, lang, "internal", "body", "next")
}

func (h *handler) privacy(w http.ResponseWriter, r *http.Request) {
	if h.privacyURL != "" {
		http.Redirect(w, r, h.privacyURL, http.StatusSeeOther)
		return
	}
	days := int(h.sessionTTL.Hours() / 24)
	if days < 1 {
		days = 1
	}
	h.render(w, r, http.StatusOK, "privacy", view{Lang: h.lang(r), TitleKey: "privacy.title", SessionDays: days})
}

// healthz answers whether the store answers, for load balancers and probes.
func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := h.svc.Ping(r.Context()); err != nil {
		h.log.Error("health check: the store does not answer", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	if r.URL.Query().Get("v") == cssVersion {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(styleCSS)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(styleCSS)
	}
}

// timeoutPage is sent when a request takes longer than the request timeout.
// It is fixed text, so it speaks both languages.
const timeoutPage = `<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Försök igen – Try again</title><link rel="stylesheet" href="/static/style.css"></head>
<body><main class="wrap"><h1>Det tog för lång tid</h1><p>Servern hann inte svara. Försök igen om en stund.</p>
<h1 lang="en">That took too long</h1><p lang="en">The server did not answer in time. Try again in a while.</p></main></body></html>
`
