package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// crossSite are the headers of a form posted from another site.
var crossSite = []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}

// accountUser is the stored account of email.
func (f *fixture) accountUser(t *testing.T, email string) invite.User {
	t.Helper()
	u, err := f.store.UserForSignIn(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAccountLanguage(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, cookie := f.register(t, "asa@example.com", "sv")

	// The page offers the choice, the account's language chosen.
	rec := f.get("/account", withCookie(cookie)...)
	assertStatus(t, rec, http.StatusOK)
	assertContains(t, rec.Body.String(), `<html lang="sv">`, `action="/account/language"`, `value="sv" required checked`, "Spara språket")

	rec = f.post("/account/language", url.Values{"language": {"en"}}, withCookie(cookie)...)
	assertStatus(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/account?done=language" {
		t.Errorf("Location %q, want /account?done=language", loc)
	}
	if got := f.accountUser(t, "asa@example.com").Language; got != "en" {
		t.Errorf("stored language %q, want en", got)
	}
	// The account's pages now speak it, whatever the browser asks for.
	rec = f.get("/account?done=language", append(withCookie(cookie), "Accept-Language", "sv")...)
	assertStatus(t, rec, http.StatusOK)
	assertContains(t, rec.Body.String(), `<html lang="en">`, "The language of your account has been saved.", `value="en" required checked`)
	assertContains(t, f.get("/privacy", withCookie(cookie)...).Body.String(), `<html lang="en">`)

	evs, err := f.store.ListAudit(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Action != invite.ActionLanguage || last.Actor != "asa@example.com" {
		t.Errorf("last audit event %+v, want the language change", last)
	}

	// A language the pages are not written in: 422, the error beside the choice.
	rec = f.post("/account/language", url.Values{"language": {"de"}}, withCookie(cookie)...)
	assertStatus(t, rec, http.StatusUnprocessableEntity)
	assertContains(t, rec.Body.String(), `id="language-error"`, "Choose a language.", `aria-invalid="true"`)

	// Another site cannot change it, nor can a visitor who is not signed in.
	assertStatus(t, f.post("/account/language", url.Values{"language": {"sv"}}, append(withCookie(cookie), crossSite...)...), http.StatusForbidden)
	rec = f.post("/account/language", url.Values{"language": {"sv"}})
	assertStatus(t, rec, http.StatusUnauthorized)
	assertContains(t, rec.Body.String(), `href="/login"`)
	assertStatus(t, f.post("/account/language", url.Values{"language": {"sv"}}, "Cookie", "invitectl_session=stale"), http.StatusUnauthorized)
	if got := f.accountUser(t, "asa@example.com").Language; got != "en" {
		t.Errorf("stored language %q after refusals, want en", got)
	}
}

// changeForm is a password change form.
func changeForm(current, pw, confirm string) url.Values {
	return url.Values{"current_password": {current}, "password": {pw}, "password_confirm": {confirm}}
}

func TestAccountChangePassword(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, cookie := f.register(t, "asa@example.com", "en")
	other := sessionCookie(t, f.signIn("asa@example.com", goodPassword))
	before := f.accountUser(t, "asa@example.com").PasswordHash

	rec := f.get("/account", withCookie(cookie)...)
	assertContains(t, rec.Body.String(), `action="/account/password?lang=en"`,
		`<label for="current_password">Current password</label>`, `autocomplete="current-password"`, `autocomplete="new-password"`,
		`<label for="password">New password</label>`, `<label for="password_confirm">Repeat the password</label>`)

	for _, c := range []struct {
		name    string
		form    url.Values
		errorID string
		message string
	}{
		{"wrong current password", changeForm("not my password at all", newPassword, newPassword), "current_password-error", "The current password is wrong."},
		{"no current password", changeForm("", newPassword, newPassword), "current_password-error", "The current password is wrong."},
		{"mismatch", changeForm(goodPassword, newPassword, newPassword+" x"), "password_confirm-error", "The passwords are not the same"},
		{"too short", changeForm(goodPassword, "kort", "kort"), "password-error", "at least 12 characters"},
		{"the email in it", changeForm(goodPassword, "hi asa@example.com", "hi asa@example.com"), "password-error", "email address"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := f.post("/account/password?lang=en", c.form, withCookie(cookie)...)
			assertStatus(t, rec, http.StatusUnprocessableEntity)
			b := rec.Body.String()
			assertContains(t, b, `<html lang="en">`, `id="`+c.errorID+`"`, c.message, `class="error-summary"`, `aria-invalid="true"`)
			assertNotContains(t, b, goodPassword, newPassword)
		})
	}
	// The page's language is kept: in Swedish the rules speak Swedish.
	rec = f.post("/account/password?lang=sv", changeForm(goodPassword, "kort", "kort"), withCookie(cookie)...)
	assertStatus(t, rec, http.StatusUnprocessableEntity)
	assertContains(t, rec.Body.String(), `<html lang="sv">`, "minst 12 tecken")
	if got := f.accountUser(t, "asa@example.com").PasswordHash; got != before {
		t.Fatal("a refused change changed the password")
	}
	assertStatus(t, f.get("/account", withCookie(other)...), http.StatusOK)

	// Another site cannot change it, nor can a visitor who is not signed in.
	good := changeForm(goodPassword, newPassword, newPassword)
	assertStatus(t, f.post("/account/password", good, append(withCookie(cookie), crossSite...)...), http.StatusForbidden)
	rec = f.post("/account/password", good)
	assertStatus(t, rec, http.StatusUnauthorized)
	assertContains(t, rec.Body.String(), `href="/login"`)
	if got := f.accountUser(t, "asa@example.com").PasswordHash; got != before {
		t.Fatal("a refused post changed the password")
	}

	// Success: this session stays, the others end, the page says so.
	rec = f.post("/account/password?lang=en", good, withCookie(cookie)...)
	assertStatus(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/account?done=password_change&lang=en" {
		t.Errorf("Location %q", loc)
	}
	if len(rec.Result().Cookies()) != 0 {
		t.Errorf("the change set cookies: %v", rec.Header()["Set-Cookie"])
	}
	rec = f.get("/account?done=password_change&lang=en", withCookie(cookie)...)
	assertStatus(t, rec, http.StatusOK)
	assertContains(t, rec.Body.String(), "Your password has been changed.")
	rec = f.get("/account?done=password_change&lang=sv", withCookie(cookie)...)
	assertContains(t, rec.Body.String(), "Ditt lösenord har ändrats.")
	assertStatus(t, f.get("/account", withCookie(other)...), http.StatusUnauthorized)
	assertStatus(t, f.signIn("asa@example.com", goodPassword), http.StatusUnauthorized)
	assertStatus(t, f.signIn("asa@example.com", newPassword), http.StatusSeeOther)

	evs, err := f.store.ListAudit(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Action != invite.ActionPasswordChange || strings.Contains(last.Detail, newPassword) {
		t.Errorf("last audit event %+v, want the password change without the password", last)
	}
	if strings.Contains(f.logs.String(), newPassword) || strings.Contains(f.logs.String(), goodPassword) {
		t.Error("a password is in the logs")
	}
}

// Wrong current passwords count as failed sign-ins of the account from
// that network: after the free ones, the change waits (429), and so does
// signing in from there; the owner elsewhere is not delayed.
func TestAccountChangePasswordBackoff(t *testing.T) {
	f := newFixture(t, cheapParams, func(d *Deps) { d.TrustProxyHeaders = true })
	_, cookie := f.register(t, "asa@example.com", "en")
	from := func(ip string) []string { return append(withCookie(cookie), "X-Forwarded-For", ip) }
	wrong := changeForm("not my password at all", newPassword, newPassword)
	for range accountFreeFailures + 1 {
		assertStatus(t, f.post("/account/password", wrong, from("203.0.113.7")...), http.StatusUnprocessableEntity)
	}
	rec := f.post("/account/password", changeForm(goodPassword, newPassword, newPassword), from("203.0.113.7")...)
	assertStatus(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	assertContains(t, rec.Body.String(), `id="current_password-error"`, "Too many wrong passwords")
	assertStatus(t, f.signIn("asa@example.com", goodPassword, "X-Forwarded-For", "203.0.113.7"), http.StatusTooManyRequests)
	assertStatus(t, f.signIn("asa@example.com", goodPassword, "X-Forwarded-For", "198.51.100.1"), http.StatusSeeOther)

	f.clock.Add(time.Second)
	assertStatus(t, f.post("/account/password", changeForm(goodPassword, newPassword, newPassword), from("203.0.113.7")...), http.StatusSeeOther)
}

// A GET of a form's address goes back to the account page; other methods
// are refused.
func TestAccountFormAddresses(t *testing.T) {
	f := newFixture(t, cheapParams)
	for _, path := range []string{"/account/language", "/account/password"} {
		rec := f.get(path + "?lang=en")
		assertStatus(t, rec, http.StatusSeeOther)
		if loc := rec.Header().Get("Location"); loc != "/account?lang=en" {
			t.Errorf("GET %s: Location %q", path, loc)
		}
		rec = f.do(newRequest(http.MethodPut, path))
		assertStatus(t, rec, http.StatusMethodNotAllowed)
		if allow := rec.Header().Get("Allow"); allow != "GET, HEAD, POST" {
			t.Errorf("%s: Allow %q", path, allow)
		}
	}
}
