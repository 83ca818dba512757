package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/password"
)

// register accepts a fresh invitation for email and returns the session cookie.
func (f *fixture) register(tb testing.TB, email, lang string) (token string, cookie *http.Cookie) {
	tb.Helper()
	_, token = f.invite(tb, email, lang)
	rec := f.post("/invite/"+token, validForm(lang))
	assertStatus(tb, rec, http.StatusSeeOther)
	return token, sessionCookie(tb, rec)
}

func sessionCookie(tb testing.TB, rec *httptest.ResponseRecorder) *http.Cookie {
	tb.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == SessionCookie && c.Value != "" {
			return c
		}
	}
	tb.Fatalf("no session cookie in %v", rec.Header()["Set-Cookie"])
	return nil
}

func (f *fixture) signIn(email, pw string, header ...string) *httptest.ResponseRecorder {
	return f.post("/login", url.Values{"email": {email}, "password": {pw}}, header...)
}

func withCookie(c *http.Cookie) []string { return []string{"Cookie", c.Name + "=" + c.Value} }

func TestSignIn(t *testing.T) {
	f := newFixture(t, cheapParams)
	f.register(t, "asa@example.com", "sv")

	rec := f.get("/login", "Accept-Language", "en")
	assertStatus(t, rec, http.StatusOK)
	assertContains(t, rec.Body.String(), `name="email"`, `name="password"`, `autocomplete="current-password"`, "Sign in")

	rec = f.signIn(" ASA@example.com", goodPassword)
	assertStatus(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/account" {
		t.Errorf("Location %q, want /account", loc)
	}
	c := sessionCookie(t, rec)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie %+v is not HttpOnly and SameSite=Lax", c)
	}
	rec = f.get("/account", withCookie(c)...)
	assertStatus(t, rec, http.StatusOK)
	assertContains(t, rec.Body.String(), "Åsa Lind")

	// Signed in already: the form sends them to the account.
	rec = f.get("/login", withCookie(c)...)
	assertStatus(t, rec, http.StatusSeeOther)
}

// A wrong password and an unknown email get the same answer.
func TestSignInWrongPair(t *testing.T) {
	f := newFixture(t, cheapParams)
	f.register(t, "asa@example.com", "en")
	wrong := f.signIn("asa@example.com", "not the password at all", "Accept-Language", "en")
	unknown := f.signIn("nobody@example.com", goodPassword, "Accept-Language", "en")
	empty := f.signIn("", "", "Accept-Language", "en")
	for name, rec := range map[string]*httptest.ResponseRecorder{"wrong password": wrong, "unknown email": unknown, "empty": empty} {
		assertStatus(t, rec, http.StatusUnauthorized)
		assertContains(t, rec.Body.String(), "The email address or the password is wrong.")
		assertNotContains(t, rec.Body.String(), goodPassword, "not the password")
		if len(rec.Result().Cookies()) != 0 {
			t.Errorf("%s: cookies set: %v", name, rec.Result().Cookies())
		}
	}
	w := strings.ReplaceAll(wrong.Body.String(), "asa@example.com", "X")
	u := strings.ReplaceAll(unknown.Body.String(), "nobody@example.com", "X")
	if w != u {
		t.Errorf("the pages differ:\n%s\n---\n%s", w, u)
	}
}

// After accountFreeFailures failures an address waits, doubling, at most
// backoffMax; a wait refuses the right password too, and ends.
func TestSignInBackoff(t *testing.T) {
	f := newFixture(t, cheapParams)
	f.register(t, "asa@example.com", "sv")
	for i := range accountFreeFailures {
		assertStatus(t, f.signIn("asa@example.com", "wrong password "+string(rune('a'+i))), http.StatusUnauthorized)
	}
	assertStatus(t, f.signIn("asa@example.com", "wrong password again"), http.StatusUnauthorized)
	rec := f.signIn("asa@example.com", goodPassword)
	assertStatus(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q, want 1", rec.Header().Get("Retry-After"))
	}
	// Another address is not affected; nor is the limit a secret about
	// which addresses exist (unknown ones wait the same).
	assertStatus(t, f.signIn("other@example.com", "whatever it is"), http.StatusUnauthorized)

	// Each failure after the wait doubles it, up to backoffMax.
	want := time.Second
	for range 12 {
		f.clock.Add(backoffMax)
		assertStatus(t, f.signIn("asa@example.com", "still wrong, sorry"), http.StatusUnauthorized)
		want = min(2*want, backoffMax)
		rec := f.signIn("asa@example.com", goodPassword)
		assertStatus(t, rec, http.StatusTooManyRequests)
		if ra := rec.Header().Get("Retry-After"); ra != strconv.Itoa(int(want.Seconds())) {
			t.Errorf("Retry-After %q, want %v", ra, want)
		}
	}
	rec = f.signIn("asa@example.com", goodPassword)
	assertStatus(t, rec, http.StatusTooManyRequests)
	if ra := rec.Header().Get("Retry-After"); ra != "300" {
		t.Errorf("Retry-After %q, want 300 (the cap)", ra)
	}
	// Attempts during the wait do not make it longer.
	for range 5 {
		assertStatus(t, f.signIn("asa@example.com", "wrong"), http.StatusTooManyRequests)
	}
	f.clock.Add(backoffMax)
	assertStatus(t, f.signIn("asa@example.com", goodPassword), http.StatusSeeOther)
	// A success forgets the failures.
	assertStatus(t, f.signIn("asa@example.com", "wrong once more"), http.StatusUnauthorized)
	assertStatus(t, f.signIn("asa@example.com", goodPassword), http.StatusSeeOther)
}

// The attack of the issue: a stranger behind a proxy that sets
// X-Forwarded-For tries wrong passwords for the owner's address from two
// client addresses, one each time Retry-After ends, for 25 minutes; the
// owner, from their own network, signs in at the first try every time.
func TestSignInStrangerCannotLockOutOwner(t *testing.T) {
	f := newFixture(t, cheapParams, func(d *Deps) { d.TrustProxyHeaders, d.RateLimit = true, 0 })
	f.register(t, "owner@example.com", "en")
	attackers := []string{"203.0.113.7", "198.51.100.9"}
	owner := []string{"X-Forwarded-For", "2001:db8:1:2::5"}
	start, refused, tried := f.clock.Now(), 0, 0
	for i := 0; f.clock.Now().Sub(start) < 25*time.Minute; i++ {
		if i > 1000 {
			t.Fatal("1,000 guesses and the stranger was never made to wait")
		}
		rec := f.signIn("owner@example.com", fmt.Sprintf("guess number %d", i), "X-Forwarded-For", attackers[i%2])
		switch rec.Code {
		case http.StatusUnauthorized:
			tried++
		case http.StatusTooManyRequests:
			refused++
			wait, err := strconv.Atoi(rec.Header().Get("Retry-After"))
			if err != nil || wait < 1 {
				t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
			}
			f.clock.Add(time.Duration(wait) * time.Second)
		default:
			t.Fatalf("attempt %d answered %d", i, rec.Code)
		}
		if i%3 == 0 {
			assertStatus(t, f.signIn("owner@example.com", goodPassword, owner...), http.StatusSeeOther)
		}
	}
	// The stranger was slowed down: a few free guesses per network, then
	// one per wait.
	if refused == 0 || tried > 40 {
		t.Errorf("the stranger had %d guesses checked and %d refused in 25 minutes", tried, refused)
	}
}

// A client network that fails too often, whatever the accounts, waits for
// every attempt; other networks do not.
func TestSignInNetworkBackoff(t *testing.T) {
	f := newFixture(t, cheapParams, func(d *Deps) { d.TrustProxyHeaders = true })
	f.register(t, "owner@example.com", "en")
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
	for i := range networkFreeFailures {
		assertStatus(t, f.signIn(fmt.Sprintf("user%d@example.com", i), "wrong password", from("203.0.113.7")...), http.StatusUnauthorized)
	}
	assertStatus(t, f.signIn("someone@example.com", "wrong password", from("203.0.113.7")...), http.StatusUnauthorized)
	// The network waits, for an account it never tried too.
	rec := f.signIn("owner@example.com", goodPassword, from("203.0.113.7")...)
	assertStatus(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q, want 1", rec.Header().Get("Retry-After"))
	}
	// IPv6 clients are one network per /64: another address in it waits too.
	for i := range networkFreeFailures + 1 {
		assertStatus(t, f.signIn(fmt.Sprintf("v6user%d@example.com", i), "wrong password", from(fmt.Sprintf("2001:db8:aa:bb::%x", i+1))...), http.StatusUnauthorized)
	}
	assertStatus(t, f.signIn("owner@example.com", goodPassword, from("2001:db8:aa:bb:ffff::1")...), http.StatusTooManyRequests)
	// Other networks sign in.
	assertStatus(t, f.signIn("owner@example.com", goodPassword, from("203.0.113.8")...), http.StatusSeeOther)
	assertStatus(t, f.signIn("owner@example.com", goodPassword, from("2001:db8:aa:bc::1")...), http.StatusSeeOther)
	// The wait ends.
	f.clock.Add(time.Second)
	assertStatus(t, f.signIn("owner@example.com", goodPassword, from("203.0.113.7")...), http.StatusSeeOther)
}

func TestSignInCrossOrigin(t *testing.T) {
	f := newFixture(t, cheapParams)
	f.register(t, "asa@example.com", "sv")
	for _, target := range []string{"/login", "/logout"} {
		rec := f.post(target, url.Values{"email": {"asa@example.com"}, "password": {goodPassword}},
			"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		assertStatus(t, rec, http.StatusForbidden)
	}
}

// The signed-out page and a used link's page offer to sign in; the owner of
// a used link, signed in, is sent to their account.
func TestSignInOffered(t *testing.T) {
	f := newFixture(t, cheapParams)
	token, c := f.register(t, "asa@example.com", "en")
	rec := f.get("/account")
	assertStatus(t, rec, http.StatusUnauthorized)
	assertContains(t, rec.Body.String(), `href="/login"`)
	rec = f.get("/invite/" + token)
	assertStatus(t, rec, http.StatusGone)
	assertContains(t, rec.Body.String(), `href="/login"`, "Sign in")
	assertNotContains(t, rec.Body.String(), "nothing more you need to do")
	rec = f.get("/invite/"+token, withCookie(c)...)
	assertStatus(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/account" {
		t.Errorf("Location %q, want /account", loc)
	}
	// Someone else signed in still sees the used-link page.
	_, other := f.register(t, "bo@example.com", "en")
	assertStatus(t, f.get("/invite/"+token, withCookie(other)...), http.StatusGone)
}

func TestSignInMethodNotAllowed(t *testing.T) {
	f := newFixture(t, cheapParams)
	rec := f.do(newRequest(http.MethodPut, "/login"))
	assertStatus(t, rec, http.StatusMethodNotAllowed)
	if rec.Header().Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("Allow %q", rec.Header().Get("Allow"))
	}
}

// countingHasher counts the argon2id verifications.
type countingHasher struct {
	*password.Hasher
	mu       sync.Mutex
	verifies int
	hashes   []string
}

func (c *countingHasher) Verify(encoded, pw string) (bool, error) {
	c.mu.Lock()
	c.verifies++
	c.hashes = append(c.hashes, encoded)
	c.mu.Unlock()
	return c.Hasher.Verify(encoded, pw)
}

// An unknown email costs one verification too, against a hash with the
// same parameters as a real one, so both take the same time.
func TestSignInSameWorkForUnknownEmail(t *testing.T) {
	f := newFixture(t, cheapParams)
	f.register(t, "asa@example.com", "sv")
	ch := &countingHasher{Hasher: f.hasher}
	f.svc.Passwords = ch
	assertStatus(t, f.signIn("asa@example.com", "wrong password here"), http.StatusUnauthorized)
	assertStatus(t, f.signIn("nobody@example.com", "wrong password here"), http.StatusUnauthorized)
	assertStatus(t, f.signIn("nobody@example.com", ""), http.StatusUnauthorized)
	if ch.verifies != 3 {
		t.Fatalf("%d verifications, want 3", ch.verifies)
	}
	params := func(h string) string { return strings.Join(strings.Split(h, "$")[:4], "$") }
	if params(ch.hashes[0]) != params(ch.hashes[1]) || ch.hashes[1] != ch.hashes[2] {
		t.Errorf("the dummy hash differs in parameters: %q vs %q", ch.hashes[0], ch.hashes[1])
	}
}
