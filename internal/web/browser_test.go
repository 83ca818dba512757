package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/mail"
)

// chromiumPath finds a Chromium to drive, or "".
func chromiumPath() string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium for the test, with Swedish as the
// browser's language, and returns a context for one tab. It skips the test
// without Chromium, unless INVITECTL_REQUIRE_SERVICES=1 demands one.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("INVITECTL_REQUIRE_SERVICES") == "1" {
			t.Fatal("chromium not found, and INVITECTL_REQUIRE_SERVICES=1 requires it")
		}
		t.Skip("chromium not found; install Debian's chromium to run the browser tests")
	}
	profile := t.TempDir() // removed after the browser has exited (cleanups run last-in first-out)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("accept-lang", "sv-SE,sv"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// saveScreenshot writes a PNG into the test's folder and, when
// INVITECTL_SCREENSHOT_DIR is set, copies it there for people to look at.
func saveScreenshot(t *testing.T, dir, name string, png []byte) {
	t.Helper()
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("%s: not a PNG (%d bytes)", name, len(png))
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("INVITECTL_SCREENSHOT_DIR"); out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// An invitee opens the link in a real browser, fills in the form, chooses
// English and ends up signed in.
func TestBrowserRegistration(t *testing.T) {
	ctx := newBrowser(t)
	f := newFixture(t, cheapParams)
	srv := httptest.NewServer(f.handler)
	t.Cleanup(srv.Close)
	inv, token := f.invite(t, "asa.lind@example.com", "sv")
	shots := t.TempDir()

	do(t, ctx, "open the invitation", chromedp.Navigate(srv.URL+"/invite/"+token), chromedp.WaitVisible(chromedp.ID("password")))
	if lang := run(t, ctx, "page language", chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "sv" {
		t.Errorf("page language %q, want sv from the browser's Accept-Language", lang)
	}
	// The stylesheet loaded despite the strict CSP: the layout is constrained.
	if w := run(t, ctx, "main width", chromedp.Evaluate[string](`getComputedStyle(document.querySelector("main")).maxWidth`)); w != "576px" {
		t.Errorf("main max-width %q: the stylesheet did not apply", w)
	}
	// The field that tells password managers the account name stays hidden.
	if d := run(t, ctx, "username field", chromedp.Evaluate[string](`getComputedStyle(document.querySelector("input[name=username]")).display`)); d != "none" {
		t.Errorf("the hidden username field is shown (display %q)", d)
	}
	main := run(t, ctx, "form text", chromedp.Text(chromedp.CSS("main")))
	assertContains(t, main, "Skapa ditt konto", "Åsa Lind", "asa.lind@example.com", "Acme AB")
	saveScreenshot(t, shots, "form-desktop.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))

	do(t, ctx, "fill in the form",
		chromedp.SendKeys(chromedp.ID("password"), goodPassword),
		chromedp.SendKeys(chromedp.ID("password_confirm"), goodPassword),
		chromedp.Click(chromedp.ID("language-en")),
		chromedp.Click(chromedp.ID("accept_privacy")),
	)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, "/account") {
		t.Fatalf("after submitting: %d %s", resp.Status, resp.URL)
	}
	do(t, ctx, "account page", chromedp.WaitVisible(chromedp.CSS("p.lead")))
	account := run(t, ctx, "account text", chromedp.Text(chromedp.CSS("main")))
	assertContains(t, account, "Signed in as Åsa Lind", "asa.lind@example.com", "Acme AB")
	// The session cookie is out of reach of scripts.
	if c := run(t, ctx, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); c != "" {
		t.Errorf("document.cookie = %q, want the session cookie hidden (HttpOnly)", c)
	}
	saveScreenshot(t, shots, "account-desktop.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))

	got, err := f.store.Invitation(context.Background(), inv.ID)
	if err != nil || got.State != invite.StateAccepted {
		t.Fatalf("invitation %s, %v; want accepted", got.State, err)
	}

	// Signing out.
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`))); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	assertContains(t, run(t, ctx, "signed out", chromedp.Text(chromedp.CSS("main"))), "You are not signed in")
}

// On a phone-sized screen the form fits without sideways scrolling, and a
// mistake is shown beside its field.
func TestBrowserPhone(t *testing.T) {
	ctx := newBrowser(t)
	f := newFixture(t, cheapParams)
	srv := httptest.NewServer(f.handler)
	t.Cleanup(srv.Close)
	_, token := f.invite(t, "bo.ek@example.com", "sv")
	shots := t.TempDir()

	do(t, ctx, "open on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait),
		chromedp.Navigate(srv.URL+"/invite/"+token),
		chromedp.WaitVisible(chromedp.ID("password")),
	)
	if w := run(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("the page is %d CSS pixels wide on a 390-pixel screen", w)
	}
	if fs := run(t, ctx, "input font size", chromedp.Evaluate[string](`getComputedStyle(document.getElementById("password")).fontSize`)); fs != "18px" {
		t.Errorf("password field font size %s: phones zoom into fields under 16px", fs)
	}
	saveScreenshot(t, shots, "form-phone.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))

	// Passwords that differ pass the browser's own checks and come back
	// from the server with the error beside the second field.
	do(t, ctx, "fill in with a mismatch",
		chromedp.SendKeys(chromedp.ID("password"), goodPassword),
		chromedp.SendKeys(chromedp.ID("password_confirm"), goodPassword+" x"),
		chromedp.Click(chromedp.ID("accept_privacy")),
	)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", resp.Status)
	}
	do(t, ctx, "error shown", chromedp.WaitVisible(chromedp.ID("password_confirm-error")))
	assertContains(t, run(t, ctx, "error text", chromedp.Text(chromedp.ID("password_confirm-error"))), "Lösenorden är inte likadana")
	assertContains(t, run(t, ctx, "summary", chromedp.Text(chromedp.CSS(".error-summary"))), "Skriv det igen i båda fälten")
	if v := run(t, ctx, "password kept?", chromedp.Value(chromedp.ID("password"))); v != "" {
		t.Errorf("the password field was filled in again with %q", v)
	}
	if on := run(t, ctx, "checkbox kept", chromedp.Evaluate[bool](`document.getElementById("accept_privacy").checked`)); !on {
		t.Error("the privacy checkbox was not kept")
	}
	saveScreenshot(t, shots, "form-phone-error.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))

	// A year later the same link explains itself.
	f.clock.Add(invite.DefaultTTL)
	resp, err = chromedp.RunResponse(ctx, chromedp.Navigate(srv.URL+"/invite/"+token))
	if err != nil {
		t.Fatalf("open the expired link: %v", err)
	}
	if resp.Status != http.StatusGone {
		t.Fatalf("expired link: status %d, want 410", resp.Status)
	}
	assertContains(t, run(t, ctx, "expired text", chromedp.Text(chromedp.CSS("main"))), "Länken har gått ut", "ny länk")
	saveScreenshot(t, shots, "expired-phone.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
}

// An invitee comes back: signs out, signs in again, forgets the password,
// reads the reset email (written by the file transport), chooses a new
// password and lands on the account page, signed in.
func TestBrowserComeBack(t *testing.T) {
	ctx := newBrowser(t)
	tasks := NewTasks()
	var svc *invite.Service
	f := newFixture(t, cheapParams, func(d *Deps) {
		d.Tasks = tasks
		d.SendNow = func(ctx context.Context, ids []int64) error {
			_, err := svc.Deliver(ctx, invite.DeliverRequest{InvitationIDs: ids, Actor: "serve-accept"})
			return err
		}
	})
	svc = f.svc
	var mu sync.Mutex
	var written []string
	mailer, err := mail.New(mail.Config{Transport: mail.TransportFile, Dir: t.TempDir(), From: "invites@example.com", Now: f.clock.Now,
		Written: func(_, path string) { mu.Lock(); written = append(written, path); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mailer.Close() })
	f.svc.Mailer = mailer
	srv := httptest.NewServer(f.handler)
	t.Cleanup(srv.Close)
	_, token := f.invite(t, "asa.lind@example.com", "sv")
	shots := t.TempDir()

	do(t, ctx, "register",
		chromedp.Navigate(srv.URL+"/invite/"+token), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), goodPassword),
		chromedp.SendKeys(chromedp.ID("password_confirm"), goodPassword),
		chromedp.Click(chromedp.ID("accept_privacy")),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	do(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	assertContains(t, run(t, ctx, "signed out", chromedp.Text(chromedp.CSS("main"))), "Du är inte inloggad")

	// Sign in again from the signed-out page's link.
	do(t, ctx, "sign in",
		chromedp.Click(chromedp.CSS(`a[href="/login"]`)), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "asa.lind@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), goodPassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)),
	)
	assertContains(t, run(t, ctx, "account", chromedp.Text(chromedp.CSS("main"))), "Inloggad som Åsa Lind")
	do(t, ctx, "sign out again", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))

	// Forgot the password.
	do(t, ctx, "forgot",
		chromedp.Click(chromedp.CSS(`a[href="/login"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/password/forgot"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/password/forgot"]`)), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "asa.lind@example.com"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
	)
	saveScreenshot(t, shots, "forgot-sent.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
	tasks.Wait()
	mu.Lock()
	files := append([]string(nil), written...)
	mu.Unlock()
	if len(files) != 1 {
		t.Fatalf("%d emails written, want 1", len(files))
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	eml := strings.NewReplacer("=\r\n", "", "=\n", "").Replace(string(raw))
	resetPath := regexp.MustCompile(`/password/reset/[A-Za-z0-9_-]+`).FindString(eml)
	if resetPath == "" {
		t.Fatalf("no reset link in:\n%s", eml)
	}

	do(t, ctx, "reset",
		chromedp.Navigate(srv.URL+resetPath), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), newPassword),
		chromedp.SendKeys(chromedp.ID("password_confirm"), newPassword),
	)
	saveScreenshot(t, shots, "reset-form.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	if err != nil {
		t.Fatalf("submit the reset: %v", err)
	}
	if resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, "/account?done=password") {
		t.Fatalf("after the reset: %d %s", resp.Status, resp.URL)
	}
	assertContains(t, run(t, ctx, "account after reset", chromedp.Text(chromedp.CSS("main"))), "Inloggad som Åsa Lind", "Ditt lösenord har ändrats och du är inloggad.")
	saveScreenshot(t, shots, "account-after-reset.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
}

// onPhone makes the tab a 390-pixel-wide phone screen.
func onPhone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
}

// assertFitsPhone checks that the page needs no sideways scrolling on the
// phone, and that every visible field has a label.
func assertFitsPhone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if w := run(t, ctx, what+": page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("%s: the page is %d CSS pixels wide on a 390-pixel screen", what, w)
	}
	unlabelled := run(t, ctx, what+": labels", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("input:not([hidden])")].filter(i => i.labels.length === 0).map(i => i.id || i.name)`))
	if len(unlabelled) > 0 {
		t.Errorf("%s: fields without a label: %v", what, unlabelled)
	}
}

// On a phone, a reset link opens the form for a new password; saving it
// signs the invitee in, and the account page says the password was changed.
func TestBrowserResetOnPhone(t *testing.T) {
	ctx := newBrowser(t)
	f, box, tasks := resetFixture(t)
	srv := httptest.NewServer(f.handler)
	t.Cleanup(srv.Close)
	f.register(t, "asa.lind@example.com", "sv")
	f.forgot(tasks, "asa.lind@example.com")
	token := resetToken(t, box, "asa.lind@example.com")
	shots := t.TempDir()

	do(t, ctx, "open the reset link on a phone",
		onPhone(),
		chromedp.Navigate(srv.URL+"/password/reset/"+token),
		chromedp.WaitVisible(chromedp.ID("password")),
	)
	assertContains(t, run(t, ctx, "heading", chromedp.Text(chromedp.CSS("h1"))), "Välj ett nytt lösenord")
	assertFitsPhone(t, ctx, "reset form")
	saveScreenshot(t, shots, "reset-phone.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))

	do(t, ctx, "choose a new password",
		chromedp.SendKeys(chromedp.ID("password"), newPassword),
		chromedp.SendKeys(chromedp.ID("password_confirm"), newPassword),
	)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	if err != nil {
		t.Fatalf("submit the reset: %v", err)
	}
	if resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, "/account?done=password") {
		t.Fatalf("after the reset: %d %s", resp.Status, resp.URL)
	}
	do(t, ctx, "signed in", chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)))
	assertContains(t, run(t, ctx, "account after reset", chromedp.Text(chromedp.CSS("main"))),
		"Ditt konto", "Inloggad som Åsa Lind", "Ditt lösenord har ändrats och du är inloggad.")
	assertFitsPhone(t, ctx, "account after reset")
	saveScreenshot(t, shots, "account-after-reset-phone.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
}

// On a phone, the account page changes the account's language (the page
// then speaks it) and the password (a wrong current one is shown beside
// its field; the right one keeps the invitee signed in).
func TestBrowserAccountOnPhone(t *testing.T) {
	ctx := newBrowser(t)
	f := newFixture(t, cheapParams)
	srv := httptest.NewServer(f.handler)
	t.Cleanup(srv.Close)
	f.register(t, "asa.lind@example.com", "sv")
	shots := t.TempDir()

	do(t, ctx, "sign in on a phone",
		onPhone(),
		chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "asa.lind@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), goodPassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("current_password")),
	)
	main := run(t, ctx, "account", chromedp.Text(chromedp.CSS("main")))
	assertContains(t, main, "Ditt konto", "Inloggad som Åsa Lind", "20080212-****", "Byt lösenord", "Spara språket", "Logga ut")
	assertNotContains(t, main, "20080212-2390")
	if on := run(t, ctx, "language shown", chromedp.Evaluate[bool](`document.getElementById("language-sv").checked`)); !on {
		t.Error("the account's language is not the one chosen")
	}
	assertFitsPhone(t, ctx, "account")
	saveScreenshot(t, shots, "account-phone.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))

	// English: saved, and the page speaks it.
	do(t, ctx, "choose English", chromedp.Click(chromedp.ID("language-en")))
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/account/language"] button`)))
	if err != nil {
		t.Fatalf("save the language: %v", err)
	}
	if resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, "/account?done=language") {
		t.Fatalf("after saving the language: %d %s", resp.Status, resp.URL)
	}
	do(t, ctx, "English page", chromedp.WaitVisible(chromedp.CSS(`p.news`)))
	if lang := run(t, ctx, "page language", chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "en" {
		t.Errorf("page language %q after choosing English (the browser asks for Swedish)", lang)
	}
	assertContains(t, run(t, ctx, "news", chromedp.Text(chromedp.CSS("p.news"))), "The language of your account has been saved.")
	assertContains(t, run(t, ctx, "heading", chromedp.Text(chromedp.CSS("h1"))), "Your account")
	saveScreenshot(t, shots, "account-language-phone.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))

	// A wrong current password: 422, the error beside its field.
	do(t, ctx, "a wrong current password",
		chromedp.SendKeys(chromedp.ID("current_password"), "not my password at all"),
		chromedp.SendKeys(chromedp.ID("password"), newPassword),
		chromedp.SendKeys(chromedp.ID("password_confirm"), newPassword),
	)
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action^="/account/password"] button`)))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", resp.Status)
	}
	do(t, ctx, "error shown", chromedp.WaitVisible(chromedp.ID("current_password-error")))
	assertContains(t, run(t, ctx, "error text", chromedp.Text(chromedp.ID("current_password-error"))), "The current password is wrong.")
	beside := run(t, ctx, "error beside the field", chromedp.Evaluate[bool](
		`document.getElementById("current_password-error").closest(".field") === document.getElementById("current_password").closest(".field")`))
	if !beside {
		t.Error("the error is not in the current password's field")
	}
	if v := run(t, ctx, "password kept?", chromedp.Value(chromedp.ID("current_password"))); v != "" {
		t.Errorf("the current password field was filled in again with %q", v)
	}
	assertFitsPhone(t, ctx, "account with an error")
	saveScreenshot(t, shots, "account-password-error-phone.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))

	// The right one: changed, still signed in, in the account's language.
	do(t, ctx, "the right current password",
		chromedp.SendKeys(chromedp.ID("current_password"), goodPassword),
		chromedp.SendKeys(chromedp.ID("password"), newPassword),
		chromedp.SendKeys(chromedp.ID("password_confirm"), newPassword),
	)
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action^="/account/password"] button`)))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if resp.Status != http.StatusOK || !strings.Contains(resp.URL, "/account?done=password_change") {
		t.Fatalf("after changing the password: %d %s", resp.Status, resp.URL)
	}
	do(t, ctx, "changed", chromedp.WaitVisible(chromedp.CSS(`p.news`)))
	assertContains(t, run(t, ctx, "news", chromedp.Text(chromedp.CSS("p.news"))), "Your password has been changed.")
	assertContains(t, run(t, ctx, "signed in", chromedp.Text(chromedp.CSS("main"))), "Signed in as Åsa Lind")
	assertFitsPhone(t, ctx, "account after the change")
	saveScreenshot(t, shots, "account-password-changed-phone.png", run(t, ctx, "screenshot", chromedp.FullScreenshot(100)))
	assertStatus(t, f.signIn("asa.lind@example.com", newPassword), http.StatusSeeOther)
}
