package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/password"
)

func TestGetInviteShowsFormAndConsumesNothing(t *testing.T) {
	f := newFixture(t, cheapParams)
	// An English invitation's page is English, whatever the browser asks.
	inv, token := f.invite(t, "asa@example.com", "en")
	for range 2 {
		rec := f.get("/invite/"+token, "Accept-Language", "sv-SE,sv;q=0.9")
		assertStatus(t, rec, http.StatusOK)
		b := rec.Body.String()
		assertContains(t, b,
			`<html lang="en">`, "Create your account",
			"Åsa Lind", "asa@example.com", "Acme AB",
			`<label for="password">`, `id="password" name="password"`, `autocomplete="new-password"`,
			`<label for="password_confirm">`, `id="password_confirm" name="password_confirm"`,
			`id="language-sv" name="language" value="sv" required>`,
			`id="language-en" name="language" value="en" required checked`,
			`<label for="language-sv" lang="sv">Svenska</label>`, `<label for="language-en" lang="en">English</label>`,
			`id="accept_privacy" name="accept_privacy" value="on" required`,
			`href="/privacy?lang=en"`,
			`<button type="submit">Create account</button>`,
			`href="?lang=sv"`,
			`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		)
		assertNotContains(t, b, "<script", "style=", "20080212", "aria-invalid")
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
	}
	f.assertUnchanged(t, inv)
}

func TestHeadInvite(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, token := f.invite(t, "asa@example.com", "sv")
	rec := f.do(newRequest(http.MethodHead, "/invite/"+token))
	assertStatus(t, rec, http.StatusOK)
	if rec.Body.Len() != 0 {
		t.Errorf("HEAD answered with a body of %d bytes", rec.Body.Len())
	}
}

// linkCase puts an invitation into one state and returns the token to try.
type linkCase struct {
	name   string
	setup  func(t *testing.T, f *fixture) (invite.Invitation, string)
	status int
	text   string // in the English page
}

var linkCases = []linkCase{
	{"expired", func(t *testing.T, f *fixture) (invite.Invitation, string) {
		inv, token := f.invite(t, "asa@example.com", "sv")
		f.clock.Add(invite.DefaultTTL)
		return inv, token
	}, http.StatusGone, "This link has expired"},
	{"revoked", func(t *testing.T, f *fixture) (invite.Invitation, string) {
		inv, token := f.invite(t, "asa@example.com", "sv")
		inv, err := f.svc.Revoke(context.Background(), "admin", inv)
		if err != nil {
			t.Fatal(err)
		}
		return inv, token
	}, http.StatusGone, "This invitation was withdrawn"},
	{"unknown id", func(t *testing.T, f *fixture) (invite.Invitation, string) {
		inv, _ := f.invite(t, "asa@example.com", "sv")
		return inv, f.svc.Links.Token(inv.ID+1000, 0)
	}, http.StatusNotFound, "This link does not work"},
	{"malformed", func(t *testing.T, f *fixture) (invite.Invitation, string) {
		inv, _ := f.invite(t, "asa@example.com", "sv")
		return inv, "not-a-token"
	}, http.StatusNotFound, "This link does not work"},
	{"tampered", func(t *testing.T, f *fixture) (invite.Invitation, string) {
		inv, token := f.invite(t, "asa@example.com", "sv")
		last := "A"
		if strings.HasSuffix(token, "A") {
			last = "Q"
		}
		return inv, token[:len(token)-1] + last
	}, http.StatusNotFound, "This link does not work"},
	{"too long", func(t *testing.T, f *fixture) (invite.Invitation, string) {
		inv, _ := f.invite(t, "asa@example.com", "sv")
		return inv, strings.Repeat("A", 4000)
	}, http.StatusNotFound, "This link does not work"},
	{"superseded generation", func(t *testing.T, f *fixture) (invite.Invitation, string) {
		inv, token := f.invite(t, "asa@example.com", "sv")
		f.clock.Add(invite.DefaultTTL + time.Hour)
		// A fresh link, as a resend of the expired invitation saves it.
		renewed := inv
		renewed.LinkGeneration, renewed.ExpiresAt = 1, f.clock.Now().Add(invite.DefaultTTL)
		_, err := f.store.UpdateInvitation(context.Background(), renewed,
			invite.AuditEvent{At: f.clock.Now(), Actor: "admin", Action: invite.ActionResend, InvitationID: inv.ID, Detail: "new link"})
		if err != nil {
			t.Fatalf("renewing: %v", err)
		}
		inv, err = f.store.Invitation(context.Background(), inv.ID)
		if err != nil || inv.LinkGeneration != 1 {
			t.Fatalf("after resend: generation %d, %v", inv.LinkGeneration, err)
		}
		// The fresh link works; the old one is dead.
		assertStatus(t, f.get("/invite/"+f.svc.Links.Token(inv.ID, 1)), http.StatusOK)
		return inv, token
	}, http.StatusGone, "This link has expired"},
}

func TestLinkStates(t *testing.T) {
	for _, tc := range linkCases {
		t.Run(tc.name+"/GET", func(t *testing.T) {
			f := newFixture(t, cheapParams)
			inv, token := tc.setup(t, f)
			rec := f.get("/invite/"+token+"?lang=en", "Accept-Language", "sv")
			assertStatus(t, rec, tc.status)
			assertContains(t, rec.Body.String(), tc.text, `<html lang="en">`)
			assertNotContains(t, rec.Body.String(), "<form", "asa@example.com", "Åsa", strconv.FormatInt(inv.ID, 10)+"<")
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
		})
		t.Run(tc.name+"/POST", func(t *testing.T) {
			f := newFixture(t, cheapParams)
			inv, token := tc.setup(t, f)
			rec := f.post("/invite/"+token+"?lang=en", validForm("en"))
			assertStatus(t, rec, tc.status)
			assertContains(t, rec.Body.String(), tc.text)
			if len(rec.Result().Cookies()) != 0 {
				t.Errorf("cookies set: %v", rec.Result().Cookies())
			}
			f.assertUnchanged(t, inv)
		})
	}
}

func TestLinkStateMessages(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, token := f.invite(t, "asa@example.com", "sv")
	f.clock.Add(invite.DefaultTTL)
	rec := f.get("/invite/"+token, "Accept-Language", "sv-SE")
	assertStatus(t, rec, http.StatusGone)
	assertContains(t, rec.Body.String(), "Länken har gått ut", "Kontakta administratören som skickade inbjudan", "ny länk")

	// Registering after an earlier registration: the page says they already did.
	f2 := newFixture(t, cheapParams)
	_, token2 := f2.invite(t, "asa@example.com", "sv")
	assertStatus(t, f2.post("/invite/"+token2, validForm("en")), http.StatusSeeOther)
	for _, rec := range []*httptest.ResponseRecorder{f2.get("/invite/" + token2 + "?lang=en"), f2.post("/invite/"+token2+"?lang=en", validForm("en"))} {
		assertStatus(t, rec, http.StatusGone)
		assertContains(t, rec.Body.String(), "You have already registered", "already been used to create your account")
	}
}

// An account with the invitation's email (made through another invitation,
// as a concurrent registration would) is a 409 and creates nothing.
func TestAccountExists(t *testing.T) {
	f := newFixture(t, cheapParams)
	ctx := context.Background()
	// The account is made the way a concurrent registration would make it:
	// through another invitation for the address, accepted directly in the
	// store (an account always has its invitation's email). The service
	// refuses to invite an address that has an account, so the invitation
	// under test is then inserted in bulk, which skips that check.
	other, _ := f.invite(t, "ASA@example.com", "sv")
	accepted := other
	accepted.State = invite.StateAccepted
	accepted.AcceptedAt = f.clock.Now()
	u := invite.User{CustomerID: other.CustomerID, Email: other.Email, Details: other.Details, Language: "sv",
		PasswordHash: "x", EmailVerifiedAt: f.clock.Now(), PrivacyAcceptedAt: f.clock.Now(), InvitationID: other.ID, CreatedAt: f.clock.Now()}
	sess := invite.Session{IDHash: invite.HashSessionToken("s"), CreatedAt: f.clock.Now(), ExpiresAt: f.clock.Now().Add(time.Hour)}
	if err := f.store.Accept(ctx, accepted, &u, sess, invite.AuditEvent{At: f.clock.Now(), Actor: "test", Action: invite.ActionAccept, InvitationID: other.ID}); err != nil {
		t.Fatal(err)
	}
	fresh := other
	fresh.ID, fresh.Email, fresh.Version = other.ID+100, "asa@example.com", 1
	if err := f.store.InsertInvitations(ctx, []invite.Invitation{fresh}); err != nil {
		t.Fatal(err)
	}
	inv, err := f.store.Invitation(ctx, fresh.ID)
	if err != nil {
		t.Fatal(err)
	}
	token := f.svc.Links.Token(inv.ID, inv.LinkGeneration)

	rec := f.post("/invite/"+token+"?lang=en", validForm("en"))
	assertStatus(t, rec, http.StatusConflict)
	assertContains(t, rec.Body.String(), "An account with this email address already exists", "No new account was created")
	if len(rec.Result().Cookies()) != 0 {
		t.Errorf("cookies set: %v", rec.Result().Cookies())
	}
	got, err := f.store.Invitation(ctx, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != invite.StatePending || got.Version != inv.Version {
		t.Errorf("invitation is %s at version %d, want untouched", got.State, got.Version)
	}
	users, err := f.store.ListUsers(ctx, 1, 10)
	if err != nil || users.Total != 1 {
		t.Fatalf("users: %d, %v; want only the other one", users.Total, err)
	}
}

func TestValidationErrors(t *testing.T) {
	const email = "asa@example.com"
	for _, tc := range []struct {
		name    string
		edit    func(url.Values)
		fields  []string // fields with an error
		message []string // English texts expected
	}{
		{"short password", func(v url.Values) { v.Set("password", "kort"); v.Set("password_confirm", "kort") },
			[]string{"password"}, []string{"at least 12 characters"}},
		{"long password", func(v url.Values) {
			long := strings.Repeat("långt ", 22)
			v.Set("password", long)
			v.Set("password_confirm", long)
		}, []string{"password"}, []string{"at most 128 characters"}},
		{"common password", func(v url.Values) { v.Set("password", "Password1234"); v.Set("password_confirm", "Password1234") },
			[]string{"password"}, []string{"too common"}},
		{"password is the email", func(v url.Values) { v.Set("password", "ASA@example.com"); v.Set("password_confirm", "ASA@example.com") },
			[]string{"password"}, []string{"must not contain your email address"}},
		{"password contains the email", func(v url.Values) {
			v.Set("password", "my ASA@example.com 2026")
			v.Set("password_confirm", "my ASA@example.com 2026")
		}, []string{"password"}, []string{"must not contain your email address"}},
		{"confirmation differs", func(v url.Values) { v.Set("password_confirm", goodPassword+"!") },
			[]string{"password_confirm"}, []string{"The passwords are not the same"}},
		{"no language", func(v url.Values) { v.Del("language") },
			[]string{"language"}, []string{"Choose a language."}},
		{"unknown language", func(v url.Values) { v.Set("language", "de") },
			[]string{"language"}, []string{"Choose a language."}},
		{"privacy not accepted", func(v url.Values) { v.Del("accept_privacy") },
			[]string{"accept_privacy"}, []string{"You need to accept the privacy policy"}},
		{"privacy value not on", func(v url.Values) { v.Set("accept_privacy", "yes") },
			[]string{"accept_privacy"}, []string{"You need to accept the privacy policy"}},
		{"everything wrong", func(v url.Values) {
			v.Set("password", "kort")
			v.Del("language")
			v.Del("accept_privacy")
		}, []string{"password", "language", "accept_privacy"}, []string{"at least 12 characters", "Choose a language.", "accept the privacy policy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, cheapParams)
			inv, token := f.invite(t, email, "sv")
			form := validForm("en")
			tc.edit(form)
			rec := f.post("/invite/"+token+"?lang=en", form)
			assertStatus(t, rec, http.StatusUnprocessableEntity)
			b := rec.Body.String()
			assertContains(t, b, tc.message...)
			assertContains(t, b, "There is a problem", "Åsa Lind", email, "Acme AB")
			for _, field := range tc.fields {
				assertContains(t, b, `id="`+field+`-error"`, `aria-describedby="`+map[string]string{
					"password": "password-hint password-error", "password_confirm": "password_confirm-error",
					"language": "language-error", "accept_privacy": "accept_privacy-hint accept_privacy-error",
				}[field]+`"`)
			}
			if n := strings.Count(b, `aria-invalid="true"`); n != len(tc.fields)+strings.Count(strings.Join(tc.fields, " "), "language") {
				t.Errorf("%d fields marked invalid, want those of %v", n, tc.fields)
			}
			// Never the passwords; the other choices are kept.
			assertNotContains(t, b, `value="`+form.Get("password")+`"`, goodPassword, "kort\"")
			if form.Get("language") == "en" {
				assertContains(t, b, `value="en" required checked`)
			}
			if form.Get("accept_privacy") == "on" {
				assertContains(t, b, `value="on" required checked`)
			} else {
				assertNotContains(t, b, `value="on" required checked`)
			}
			if len(rec.Result().Cookies()) != 0 {
				t.Errorf("cookies set: %v", rec.Result().Cookies())
			}
			f.assertUnchanged(t, inv)
		})
	}
}

// The errors are in the page's language, including the password rule: the
// invitation's, whatever the browser asks and the account language chosen.
func TestValidationErrorsInSwedish(t *testing.T) {
	f := newFixture(t, cheapParams)
	inv, token := f.invite(t, "asa@example.com", "sv")
	form := validForm("en")
	form.Set("password", "kort")
	form.Del("accept_privacy")
	rec := f.post("/invite/"+token, form, "Accept-Language", "en-US,en;q=0.9")
	assertStatus(t, rec, http.StatusUnprocessableEntity)
	assertContains(t, rec.Body.String(), `<html lang="sv">`, "Något behöver rättas", "minst 12 tecken", "godkänna integritetspolicyn")

	// Without a valid language choice too.
	form = validForm("")
	form.Set("password", "kort")
	rec = f.post("/invite/"+token, form, "Accept-Language", "en")
	assertStatus(t, rec, http.StatusUnprocessableEntity)
	assertContains(t, rec.Body.String(), `<html lang="sv">`, "minst 12 tecken", "Välj ett språk.")
	f.assertUnchanged(t, inv)
}

func TestRegisterSuccess(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8080", "https://accept.example.com"} {
		t.Run(base, func(t *testing.T) {
			f := newFixture(t, cheapParams, func(d *Deps) { d.BaseURL = base })
			ctx := context.Background()
			inv, token := f.invite(t, "Asa@Example.com", "sv")
			rec := f.post("/invite/"+token, validForm("en"))
			assertStatus(t, rec, http.StatusSeeOther)
			if loc := rec.Header().Get("Location"); loc != "/account" {
				t.Errorf("Location %q, want /account", loc)
			}
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("cookies: %v", cookies)
			}
			c := cookies[0]
			if c.Name != "invitectl_session" || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
				c.MaxAge != int(invite.DefaultSessionTTL/time.Second) || c.Secure != strings.HasPrefix(base, "https") || len(c.Value) < 40 {
				t.Errorf("cookie %+v", c)
			}
			assertNotContains(t, rec.Header().Get("Set-Cookie"), "Domain=")

			// The account page shows who is signed in, in the chosen language.
			acc := f.get("/account", "Cookie", c.Name+"="+c.Value, "Accept-Language", "sv")
			assertStatus(t, acc, http.StatusOK)
			assertContains(t, acc.Body.String(), `<html lang="en">`, "Signed in as <strong>Åsa Lind</strong>", "Asa@Example.com", "Acme AB",
				`action="/logout"`, "Sign out")
			if cc := acc.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("account Cache-Control %q", cc)
			}
			// ?lang= still wins on the account page.
			assertContains(t, f.get("/account?lang=sv", "Cookie", c.Name+"="+c.Value).Body.String(), "Inloggad som <strong>Åsa Lind</strong>")

			users, err := f.store.ListUsers(ctx, 1, 10)
			if err != nil || users.Total != 1 {
				t.Fatalf("users %d, %v", users.Total, err)
			}
			u := users.Users[0]
			now := f.clock.Now()
			if u.Email != inv.Email || u.CustomerID != inv.CustomerID || u.Details != inv.Details || u.Language != "en" ||
				u.InvitationID != inv.ID || !u.EmailVerifiedAt.Equal(now) || !u.PrivacyAcceptedAt.Equal(now) {
				t.Errorf("user %+v\ninvitation %+v", u, inv)
			}
			if ok, err := f.hasher.Verify(u.PasswordHash, goodPassword); err != nil || !ok {
				t.Errorf("stored hash does not verify the password: %v, %v", ok, err)
			}
			got, err := f.store.Invitation(ctx, inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != invite.StateAccepted || !got.AcceptedAt.Equal(now) {
				t.Errorf("invitation %s accepted at %v", got.State, got.AcceptedAt)
			}
		})
	}
}

func TestAccountAndLogout(t *testing.T) {
	f := newFixture(t, cheapParams)
	ctx := context.Background()
	_, token := f.invite(t, "asa@example.com", "sv")

	// Not signed in: no cookie, an unknown cookie, an oversized cookie.
	for _, cookie := range []string{"", "invitectl_session=nonsense", "invitectl_session=" + strings.Repeat("x", 500)} {
		rec := f.get("/account?lang=en", "Cookie", cookie)
		assertStatus(t, rec, http.StatusUnauthorized)
		assertContains(t, rec.Body.String(), "You are not signed in")
		if cookie != "" {
			if c := rec.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
				t.Errorf("stale cookie not cleared: %v", c)
			}
		}
	}

	rec := f.post("/invite/"+token, validForm("en"))
	assertStatus(t, rec, http.StatusSeeOther)
	sess := rec.Result().Cookies()[0]
	cookie := sess.Name + "=" + sess.Value
	if _, err := f.svc.SessionUser(ctx, sess.Value); err != nil {
		t.Fatalf("session: %v", err)
	}

	out := f.post("/logout", nil, "Cookie", cookie)
	assertStatus(t, out, http.StatusSeeOther)
	if loc := out.Header().Get("Location"); loc != "/account?lang=en" {
		t.Errorf("Location %q", loc)
	}
	if c := out.Result().Cookies(); len(c) != 1 || c[0].Name != SessionCookie || c[0].MaxAge >= 0 || c[0].Value != "" || !c[0].HttpOnly {
		t.Errorf("logout cookie %v", c)
	}
	if _, err := f.svc.SessionUser(ctx, sess.Value); invite.ErrorCode(err) != invite.ENOTFOUND {
		t.Errorf("session still alive after sign-out: %v", err)
	}
	after := f.get("/account?lang=en", "Cookie", cookie)
	assertStatus(t, after, http.StatusUnauthorized)
	assertContains(t, after.Body.String(), "You are not signed in")

	// Signing out again, or without a session, is harmless.
	assertStatus(t, f.post("/logout", nil, "Cookie", cookie), http.StatusSeeOther)
	assertStatus(t, f.post("/logout", nil), http.StatusSeeOther)

	// The link that made the account cannot make another one.
	assertStatus(t, f.post("/invite/"+token, validForm("en")), http.StatusGone)
}

func TestSessionExpires(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, token := f.invite(t, "asa@example.com", "sv")
	rec := f.post("/invite/"+token, validForm("sv"))
	assertStatus(t, rec, http.StatusSeeOther)
	c := rec.Result().Cookies()[0]
	assertStatus(t, f.get("/account", "Cookie", c.Name+"="+c.Value), http.StatusOK)
	f.clock.Add(invite.DefaultSessionTTL)
	rec = f.get("/account", "Cookie", c.Name+"="+c.Value)
	assertStatus(t, rec, http.StatusUnauthorized)
	assertContains(t, rec.Body.String(), "Du är inte inloggad")
}

func TestLanguageChoice(t *testing.T) {
	f := newFixture(t, cheapParams, func(d *Deps) { d.DefaultLanguage = "en" })
	_, svToken := f.invite(t, "sv@example.com", "sv")
	for _, tc := range []struct {
		name, target, acceptLang, want string
	}{
		{"query beats header", "/invite/" + svToken + "?lang=en", "sv", "en"},
		{"query sv", "/invite/" + svToken + "?lang=sv", "en", "sv"},
		// A token page is in the invitation's language unless the visitor
		// switched: the browser's header does not turn it.
		{"invitation beats header", "/invite/" + svToken, "en-US,en;q=0.9,sv;q=0.8", "sv"},
		{"invitation beats header q-values", "/invite/" + svToken, "en;q=0.7, sv-SE;q=0.3", "sv"},
		{"bad query: the invitation's", "/invite/" + svToken + "?lang=de", "en", "sv"},
		{"invitation language without header", "/invite/" + svToken, "", "sv"},
		{"header on an unknown token", "/invite/not-a-token", "en-US", "en"},
		{"invitation language with unknown header", "/invite/" + svToken, "de", "sv"},
		{"default on other pages", "/nowhere", "", "en"},
		{"header on other pages", "/nowhere", "sv", "sv"},
		{"query on other pages", "/privacy?lang=sv", "en", "sv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.get(tc.target, "Accept-Language", tc.acceptLang)
			assertContains(t, rec.Body.String(), `<html lang="`+tc.want+`">`)
		})
	}

	// Without a configured default, Swedish.
	g := newFixture(t, cheapParams)
	assertContains(t, g.get("/nowhere").Body.String(), `<html lang="sv">`, "Sidan finns inte")
	// On a submission the switch (kept in the form's address) decides, not
	// the account language chosen in the form; after the 422 the switch is
	// still offered.
	_, token := g.invite(t, "x@example.com", "sv")
	form := validForm("sv")
	form.Del("accept_privacy")
	b := g.post("/invite/"+token+"?lang=en", form, "Accept-Language", "sv").Body.String()
	assertContains(t, b, `<html lang="en">`, `href="?lang=sv"`, "There is a problem")
	form = validForm("en")
	form.Del("accept_privacy")
	b = g.post("/invite/"+token, form, "Accept-Language", "en").Body.String()
	assertContains(t, b, `<html lang="sv">`, `href="?lang=en"`)
}

// A signed-in user's pages follow the language they chose, unless they
// switch; token pages keep the invitation's.
func TestSavedLanguage(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, inv := f.invite(t, "asa@example.com", "sv")
	rec := f.post("/invite/"+inv, validForm("en"))
	assertStatus(t, rec, http.StatusSeeOther)
	c := sessionCookie(t, rec)
	assertContains(t, f.get("/account", "Cookie", c.Name+"="+c.Value, "Accept-Language", "sv").Body.String(), `<html lang="en">`)
	assertContains(t, f.get("/account?lang=sv", "Cookie", c.Name+"="+c.Value).Body.String(), `<html lang="sv">`)
	assertContains(t, f.get("/nowhere", "Cookie", c.Name+"="+c.Value).Body.String(), `<html lang="en">`)
}

func TestAcceptLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"":                          "",
		"sv":                        "sv",
		"EN-gb":                     "en",
		"*":                         "",
		"de, sv;q=0.5, en;q=0.6":    "en",
		"sv;q=0.6, en;q=0.6":        "sv",
		"en;q=0, sv;q=0.1":          "sv",
		"en;q=0":                    "",
		"en;q=abc, sv;q=0.2":        "",   // x/text refuses the whole header
		"en;q=2, sv;q=0.2":          "en", // x/text takes the weight as given
		"nb-NO,nb;q=0.9,no;q=0.8":   "",
		"sv-FI;q=0.9 , en ; q=0.95": "en",
	} {
		if got := acceptLanguage(header); got != want {
			t.Errorf("acceptLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}

// Fifty simultaneous registrations with one link create exactly one user;
// every other one is told the link was used (or the account exists).
func TestConcurrentRegistrations(t *testing.T) {
	// The real hashing cost widens the window between checking the link and
	// accepting it, so that many requests reach the store's conditional update.
	f := newFixture(t, password.DefaultParams)
	srv := newTestServer(t, f.handler)
	_, token := f.invite(t, "asa@example.com", "sv")
	const n = 50
	statuses := make(chan int, n)
	start := make(chan struct{})
	client := noRedirectClient(srv)
	for range n {
		go func() {
			<-start
			resp, err := client.PostForm(srv.URL+"/invite/"+token, validForm("en"))
			if err != nil {
				t.Error(err)
				statuses <- 0
				return
			}
			b := body(t, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusGone && !strings.Contains(b, "Du har redan registrerat dig") {
				t.Errorf("410 page does not say the link was used:\n%s", b)
			}
			statuses <- resp.StatusCode
		}()
	}
	close(start)
	count := map[int]int{}
	for range n {
		count[<-statuses]++
	}
	t.Logf("statuses: %v", count)
	if count[http.StatusSeeOther] != 1 || count[http.StatusGone]+count[http.StatusConflict] != n-1 {
		t.Errorf("statuses %v: want one 303 and %d of 410/409", count, n-1)
	}
	users, err := f.store.ListUsers(context.Background(), 1, 100)
	if err != nil || users.Total != 1 {
		t.Fatalf("%d users, %v; want exactly one", users.Total, err)
	}
}

// readCounter counts the store's reads of one invitation.
type readCounter struct {
	invite.Store
	reads atomic.Int32
}

func (s *readCounter) Invitation(ctx context.Context, id int64) (invite.Invitation, error) {
	s.reads.Add(1)
	return s.Store.Invitation(ctx, id)
}

// A token page reads its invitation once per request: for the language,
// the form and, after a rejected submission, the form again.
func TestTokenPageReadsTheInvitationOnce(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, token := f.invite(t, "asa@example.com", "sv")
	counter := &readCounter{Store: f.store}
	f.svc.Store = counter
	bad := validForm("en")
	bad.Set("password", "kort")
	for _, c := range []struct {
		what   string
		do     func() *httptest.ResponseRecorder
		status int
	}{
		{"the form", func() *httptest.ResponseRecorder { return f.get("/invite/" + token) }, http.StatusOK},
		{"a rejected registration", func() *httptest.ResponseRecorder { return f.post("/invite/"+token, bad) }, http.StatusUnprocessableEntity},
		{"a registration", func() *httptest.ResponseRecorder { return f.post("/invite/"+token, validForm("en")) }, http.StatusSeeOther},
		{"a used link", func() *httptest.ResponseRecorder { return f.get("/invite/" + token) }, http.StatusGone},
	} {
		counter.reads.Store(0)
		assertStatus(t, c.do(), c.status)
		if n := counter.reads.Load(); n != 1 {
			t.Errorf("%s read the invitation %d times, want 1", c.what, n)
		}
	}
}
