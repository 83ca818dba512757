package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// mailbox is a Mailer that keeps what it is given.
type mailbox struct {
	mu   sync.Mutex
	sent []invite.InvitationEmail
}

func (m *mailbox) SendInvitation(_ context.Context, e invite.InvitationEmail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, e)
	return nil
}

func (m *mailbox) all() []invite.InvitationEmail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]invite.InvitationEmail(nil), m.sent...)
}

// resetFixture is a fixture whose handler emails reset links at once to a
// mailbox, as serve-accept does.
func resetFixture(t *testing.T) (*fixture, *mailbox, *Tasks) {
	t.Helper()
	box := &mailbox{}
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
	f.svc.Mailer = box
	return f, box, tasks
}

func (f *fixture) forgot(tasks *Tasks, email string, header ...string) string {
	rec := f.post("/password/forgot", url.Values{"email": {email}}, header...)
	if rec.Code != http.StatusOK {
		panic(rec.Body.String())
	}
	tasks.Wait()
	return rec.Body.String()
}

// resetToken is the token of the last reset email to `to`.
func resetToken(t *testing.T, box *mailbox, to string) string {
	t.Helper()
	sent := box.all()
	for i := len(sent) - 1; i >= 0; i-- {
		if sent[i].To == to && sent[i].Kind == invite.KindPasswordReset {
			_, token, ok := strings.Cut(sent[i].Link, "/password/reset/")
			if !ok {
				t.Fatalf("reset link %q", sent[i].Link)
			}
			return token
		}
	}
	t.Fatalf("no reset email to %s in %+v", to, sent)
	return ""
}

func resetForm(pw string) url.Values {
	return url.Values{"password": {pw}, "password_confirm": {pw}}
}

const newPassword = "fyra trötta hästar i stallet"

func TestForgotAndReset(t *testing.T) {
	f, box, tasks := resetFixture(t)
	_, first := f.register(t, "asa@example.com", "sv")
	// Another browser is signed in too.
	other := sessionCookie(t, f.signIn("asa@example.com", goodPassword))

	rec := f.get("/password/forgot", "Accept-Language", "en")
	assertStatus(t, rec, http.StatusOK)
	assertContains(t, rec.Body.String(), `name="email"`, "Forgot your password")
	assertContains(t, f.get("/login", "Accept-Language", "en").Body.String(), `href="/password/forgot"`)

	known := f.forgot(tasks, "ASA@example.com", "Accept-Language", "en")
	unknown := f.forgot(tasks, "nobody@example.com", "Accept-Language", "en")
	if known != unknown {
		t.Errorf("the answers differ:\n%s\n---\n%s", known, unknown)
	}
	assertContains(t, known, "If there is an account with that address")
	sent := box.all()
	if len(sent) != 1 || sent[0].Kind != invite.KindPasswordReset || sent[0].To != "asa@example.com" || sent[0].Language != "sv" {
		t.Fatalf("sent %+v, want one Swedish reset email to asa@example.com", sent)
	}
	if !sent[0].ExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("expires %v, want an hour from now", sent[0].ExpiresAt)
	}
	token := resetToken(t, box, "asa@example.com")
	if strings.Contains(f.logs.String(), token) {
		t.Error("the token is in the logs")
	}

	// The page is in the account's language, and reading it changes nothing.
	rec = f.get("/password/reset/"+token, "Accept-Language", "en")
	assertStatus(t, rec, http.StatusOK)
	assertContains(t, rec.Body.String(), `<html lang="sv">`, "Välj ett nytt lösenord", `autocomplete="new-password"`, `value="asa@example.com"`)
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}

	// Mistakes: 422 with the form again, nothing changed.
	rec = f.post("/password/reset/"+token, resetForm("kort"))
	assertStatus(t, rec, http.StatusUnprocessableEntity)
	assertContains(t, rec.Body.String(), "minst 12 tecken")
	rec = f.post("/password/reset/"+token+"?lang=en", url.Values{"password": {newPassword}, "password_confirm": {"something else entirely"}})
	assertStatus(t, rec, http.StatusUnprocessableEntity)
	assertContains(t, rec.Body.String(), "The passwords are not the same", `<html lang="en">`)
	rec = f.post("/password/reset/"+token, resetForm("hej asa@example.com"))
	assertStatus(t, rec, http.StatusUnprocessableEntity)
	assertContains(t, rec.Body.String(), "innehålla din e-postadress")

	// The reset signs in and ends every other session.
	rec = f.post("/password/reset/"+token, resetForm(newPassword))
	assertStatus(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/account?done=password" {
		t.Errorf("Location %q", loc)
	}
	c := sessionCookie(t, rec)
	rec = f.get("/account?done=password", withCookie(c)...)
	assertStatus(t, rec, http.StatusOK)
	assertContains(t, rec.Body.String(), "Ditt lösenord har ändrats och du är inloggad.")
	if strings.Contains(rec.Body.String(), "Ditt konto är klart") {
		t.Error("after a reset the account page says the account is ready")
	}
	rec = f.get("/account?done=password&lang=en", withCookie(c)...)
	assertContains(t, rec.Body.String(), "Your password has been changed and you are signed in.")
	assertStatus(t, f.get("/account", withCookie(first)...), http.StatusUnauthorized)
	assertStatus(t, f.get("/account", withCookie(other)...), http.StatusUnauthorized)

	// The link worked once.
	rec = f.get("/password/reset/"+token, "Accept-Language", "en")
	assertStatus(t, rec, http.StatusGone)
	assertContains(t, rec.Body.String(), `href="/password/forgot"`)
	assertStatus(t, f.post("/password/reset/"+token, resetForm("yet another long password")), http.StatusGone)

	// The new password signs in, the old one does not.
	assertStatus(t, f.signIn("asa@example.com", goodPassword), http.StatusUnauthorized)
	assertStatus(t, f.signIn("asa@example.com", newPassword), http.StatusSeeOther)

	evs, err := f.store.ListAudit(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
		if strings.Contains(ev.Detail, token) || strings.Contains(ev.Detail, newPassword) {
			t.Errorf("audit event %+v holds a secret", ev)
		}
	}
	assertContains(t, strings.Join(actions, " "), invite.ActionResetRequest, invite.ActionReset)
}

func TestResetLinkStates(t *testing.T) {
	f, box, tasks := resetFixture(t)
	f.register(t, "asa@example.com", "en")
	f.forgot(tasks, "asa@example.com")
	token := resetToken(t, box, "asa@example.com")

	for _, bad := range []string{"not-a-token", strings.Repeat("A", 300)} {
		assertStatus(t, f.get("/password/reset/"+bad), http.StatusNotFound)
		assertStatus(t, f.post("/password/reset/"+bad, resetForm(newPassword)), http.StatusNotFound)
	}
	// A forged token looks like a used one: nothing tells accounts apart.
	forged := token[:len(token)-2] + "AA"
	if forged == token {
		forged = token[:len(token)-2] + "BA"
	}
	assertStatus(t, f.get("/password/reset/"+forged), http.StatusGone)

	// After a password change another way (here: through a second link),
	// the first link is dead too.
	f.clock.Add(time.Minute)
	f.forgot(tasks, "asa@example.com")
	second := resetToken(t, box, "asa@example.com")
	if second == token {
		t.Fatal("the second link is the first")
	}
	assertStatus(t, f.post("/password/reset/"+second, resetForm(newPassword)), http.StatusSeeOther)
	// (A dead link names no account, so the browser's language decides.)
	rec := f.get("/password/reset/"+token, "Accept-Language", "en")
	assertStatus(t, rec, http.StatusGone)
	assertContains(t, rec.Body.String(), "This link no longer works")

	// Expired: an hour after it was queued.
	f.forgot(tasks, "asa@example.com")
	third := resetToken(t, box, "asa@example.com")
	f.clock.Add(time.Hour - time.Second)
	assertStatus(t, f.get("/password/reset/"+third), http.StatusOK)
	f.clock.Add(time.Second)
	rec = f.get("/password/reset/" + third)
	assertStatus(t, rec, http.StatusGone)
	assertContains(t, rec.Body.String(), "This link has expired")
	assertStatus(t, f.post("/password/reset/"+third, resetForm("a new password for later")), http.StatusGone)
	assertStatus(t, f.signIn("asa@example.com", newPassword), http.StatusSeeOther)
}

// A reset email that waited in the outbox longer than the link lives is
// not sent; nor is one for an account that changed its password meanwhile.
func TestResetEmailSuperseded(t *testing.T) {
	f, box, tasks := resetFixture(t)
	f.deps.SendNow = nil
	f.handler = NewHandler(f.deps)
	f.register(t, "asa@example.com", "en")
	f.forgot(tasks, "asa@example.com")
	if len(box.all()) != 0 {
		t.Fatal("sent without SendNow")
	}
	f.clock.Add(time.Hour)
	sum, err := f.svc.Deliver(context.Background(), invite.DeliverRequest{Actor: "test"})
	if err != nil || sum.Superseded != 1 || sum.Sent != 0 {
		t.Errorf("Deliver = %+v, %v; want one superseded", sum, err)
	}
	// A queued one is sent by `deliver` with the link as it is then.
	f.forgot(tasks, "asa@example.com")
	f.clock.Add(10 * time.Minute)
	sum, err = f.svc.Deliver(context.Background(), invite.DeliverRequest{Actor: "test"})
	if err != nil || sum.Sent != 1 {
		t.Fatalf("Deliver = %+v, %v; want one sent", sum, err)
	}
	token := resetToken(t, box, "asa@example.com")
	assertStatus(t, f.get("/password/reset/"+token), http.StatusOK)
	f.clock.Add(50 * time.Minute)
	assertStatus(t, f.get("/password/reset/"+token), http.StatusGone)
}

// At most resetMailBurst emails per address in a while.
func TestResetMailsLimited(t *testing.T) {
	f, box, tasks := resetFixture(t)
	f.register(t, "asa@example.com", "en")
	for range resetMailBurst + 3 {
		f.forgot(tasks, "asa@example.com")
	}
	if n := len(box.all()); n != resetMailBurst {
		t.Errorf("%d emails, want %d", n, resetMailBurst)
	}
	f.clock.Add(resetMailEvery)
	f.forgot(tasks, "asa@example.com")
	if n := len(box.all()); n != resetMailBurst+1 {
		t.Errorf("%d emails, want %d", n, resetMailBurst+1)
	}
}

func TestResetCrossOrigin(t *testing.T) {
	f, box, tasks := resetFixture(t)
	f.register(t, "asa@example.com", "en")
	f.forgot(tasks, "asa@example.com")
	token := resetToken(t, box, "asa@example.com")
	for _, target := range []string{"/password/forgot", "/password/reset/" + token} {
		rec := f.post(target, url.Values{"email": {"asa@example.com"}, "password": {newPassword}, "password_confirm": {newPassword}},
			"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		assertStatus(t, rec, http.StatusForbidden)
	}
	tasks.Wait()
	if n := len(box.all()); n != 1 {
		t.Errorf("%d emails, want 1", n)
	}
	assertStatus(t, f.get("/password/reset/"+token), http.StatusOK)
}

// signInReads counts the store's reads of an account by ID.
type signInReads struct {
	*sqlite.Store
	reads atomic.Int32
}

func (s *signInReads) SignInUser(ctx context.Context, id int64) (invite.User, error) {
	s.reads.Add(1)
	return s.Store.SignInUser(ctx, id)
}

// A reset page reads its account once for the language and the form; a
// rejected submission reads it once more, inside the reset itself.
func TestResetPageReadsTheAccountOnce(t *testing.T) {
	f, box, tasks := resetFixture(t)
	f.register(t, "asa@example.com", "sv")
	f.forgot(tasks, "asa@example.com")
	token := resetToken(t, box, "asa@example.com")
	counter := &signInReads{Store: f.store}
	f.svc.Store = counter
	counter.reads.Store(0)
	assertStatus(t, f.get("/password/reset/"+token), http.StatusOK)
	if n := counter.reads.Load(); n != 1 {
		t.Errorf("the reset form read the account %d times, want 1", n)
	}
	counter.reads.Store(0)
	assertStatus(t, f.post("/password/reset/"+token, resetForm("kort")), http.StatusUnprocessableEntity)
	if n := counter.reads.Load(); n != 2 {
		t.Errorf("a rejected reset read the account %d times, want 2", n)
	}
}
