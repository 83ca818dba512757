package web

import (
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/invitectl/invitectl/internal/invite"
)

// formView is the registration form's state. Passwords are never in it: a
// re-shown form always asks for them again.
type formView struct {
	Name, Email, Customer string
	Language              string // the checked language
	AcceptPrivacy         bool
	Errors                map[string]string // field → message
	Summary               []fieldMessage    // the same messages in form order, for the list at the top
	PrivacyURL            string
}

type fieldMessage struct {
	Anchor  string // the id of the input to jump to
	Message string
}

// formFields are the form's fields in page order, with the input each
// field's error links to.
var formFields = []struct{ name, anchor string }{
	{"password", "password"},
	{"password_confirm", "password_confirm"},
	{"language", "language-sv"},
	{"accept_privacy", "accept_privacy"},
}

// showInvite shows the registration form for a usable link. It only reads.
func (h *handler) showInvite(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	inv, err := h.openLink(r)
	lang := h.lang(r)
	if errors.Is(err, invite.ErrLinkUsed) {
		// Its owner, signed in, has nothing to do here but their account.
		if u, ok := h.sessionUser(w, r); !ok {
			return
		} else if u != nil && u.InvitationID == inv.ID {
			http.Redirect(w, r, "/account", http.StatusSeeOther)
			return
		}
	}
	if err != nil {
		h.linkError(w, r, err, lang)
		return
	}
	h.renderForm(w, r, http.StatusOK, lang, inv, &formView{Language: lang})
}

// register handles a submitted form: an account and a session, or the form
// again with what to fix, or a page saying why the link cannot be used.
func (h *handler) register(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if err := r.ParseForm(); err != nil {
		lang := h.lang(r)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.message(w, r, http.StatusRequestEntityTooLarge, lang, "too_large", "body")
			return
		}
		h.message(w, r, http.StatusBadRequest, lang, "bad_request", "body")
		return
	}
	inv, err := h.openLink(r)
	if err != nil {
		h.linkError(w, r, err, h.lang(r))
		return
	}
	reg := invite.Registration{
		Password:        r.PostForm.Get("password"),
		PasswordConfirm: r.PostForm.Get("password_confirm"),
		Language:        r.PostForm.Get("language"),
		AcceptPrivacy:   r.PostForm.Get("accept_privacy") == "on",
		MessageLanguage: h.lang(r),
	}
	_, session, regErr := h.svc.RegisterInvitation(r.Context(), inv, reg)
	if regErr == nil {
		h.metrics.count(func(m *Metrics) prometheus.Counter { return m.registrations })
		h.setSessionCookie(w, session)
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	if invite.ErrorCode(regErr) != invite.EINVALID {
		h.linkError(w, r, regErr, h.lang(r))
		return
	}
	// The form again, with the invitee's details as read for this request.
	lang := h.lang(r)
	form := &formView{Language: reg.Language, AcceptPrivacy: reg.AcceptPrivacy, Errors: map[string]string{}}
	var other []string
	for _, fe := range invite.ErrorFields(regErr) {
		if msg := fieldErrorText(fe, lang); msg != "" {
			form.Errors[fe.Field] = msg
		} else {
			other = append(other, fe.Message)
		}
	}
	for _, f := range formFields {
		if msg, ok := form.Errors[f.name]; ok {
			form.Summary = append(form.Summary, fieldMessage{Anchor: f.anchor, Message: msg})
		}
	}
	for _, msg := range other { // not expected: shown rather than lost
		form.Summary = append(form.Summary, fieldMessage{Anchor: "password", Message: msg})
	}
	h.renderForm(w, r, http.StatusUnprocessableEntity, lang, inv, form)
}

// fieldErrorText is the text for one field error in lang, or "" for a field
// the form does not have.
func fieldErrorText(fe invite.FieldError, lang string) string {
	switch fe.Field {
	case "password":
		// The rules are the Service's, which words them in the page's
		// language (Registration.MessageLanguage).
		return fe.Message
	case "password_confirm", "language", "accept_privacy", "current_password":
		return text(lang, "error."+fe.Field)
	}
	return ""
}

func (h *handler) renderForm(w http.ResponseWriter, r *http.Request, status int, lang string, inv invite.Invitation, form *formView) {
	form.Name = inv.FirstName + " " + inv.LastName
	form.Email = inv.Email
	form.Customer = inv.Customer
	form.PrivacyURL = "/privacy?lang=" + lang
	h.render(w, r, status, "form", view{Lang: lang, TitleKey: "form.title", Form: form})
}

// linkError answers a link that cannot be used, or an unexpected failure.
// The pages say what the visitor can do and nothing that helps guess links.
func (h *handler) linkError(w http.ResponseWriter, r *http.Request, err error, lang string) {
	switch {
	case errors.Is(err, invite.ErrLinkUnknown):
		h.message(w, r, http.StatusNotFound, lang, "link.unknown", "body", "next")
	case errors.Is(err, invite.ErrLinkExpired):
		h.message(w, r, http.StatusGone, lang, "link.expired", "body", "next")
	case errors.Is(err, invite.ErrLinkRevoked):
		h.message(w, r, http.StatusGone, lang, "link.revoked", "body", "next")
	case errors.Is(err, invite.ErrLinkUsed):
		h.messageWith(w, r, http.StatusGone, lang, signInAction, "link.used", "body", "next")
	case errors.Is(err, invite.ErrAccountExists):
		h.message(w, r, http.StatusConflict, lang, "account_exists", "body", "next")
	default:
		h.log.Error("invitation link", "route", r.Pattern, "err", err)
		h.internalError(w, r, lang)
	}
}

// noStore keeps pages with a token or personal details out of caches.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}
