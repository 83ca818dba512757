package web

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/invitectl/invitectl/internal/invite"
)

func TestNotFoundAndWrongMethod(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, token := f.invite(t, "asa@example.com", "sv")
	for _, path := range []string{"/nowhere", "/invite", "/invite/", "/invite/" + token + "/extra", "/static/other.css", "/account/x"} {
		rec := f.get(path + "?lang=en")
		assertStatus(t, rec, http.StatusNotFound)
		assertContains(t, rec.Body.String(), "Page not found", `<html lang="en">`)
	}
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPut, "/invite/" + token, "GET, HEAD, POST"},
		{http.MethodDelete, "/invite/" + token, "GET, HEAD, POST"},
		{http.MethodPost, "/account", "GET, HEAD"},
		{http.MethodPost, "/", "GET, HEAD"},
		{http.MethodGet, "/logout", "POST"},
		{http.MethodPost, "/privacy", "GET, HEAD"},
		{http.MethodPost, "/healthz", "GET, HEAD"},
		{http.MethodPost, "/static/style.css", "GET, HEAD"},
	} {
		rec := f.do(newRequest(tc.method, tc.path+"?lang=en"))
		assertStatus(t, rec, http.StatusMethodNotAllowed)
		if got := rec.Header().Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
		assertContains(t, rec.Body.String(), "This page cannot be used that way")
	}
}

// Every answer carries the security headers; pages with a token or personal
// details are never cached.
func TestSecurityHeadersEverywhere(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, token := f.invite(t, "asa@example.com", "sv")
	_, token2 := f.invite(t, "bo@example.com", "sv")
	reg := f.post("/invite/"+token2, validForm("sv"))
	cookie := reg.Result().Cookies()[0]
	bad := validForm("sv")
	bad.Del("accept_privacy")
	type result struct {
		name    string
		rec     interface{ Header() http.Header }
		noStore bool
	}
	results := []result{
		{"form", f.get("/invite/" + token), true},
		{"form 422", f.post("/invite/"+token, bad), true},
		{"register 303", reg, true},
		{"link 404", f.get("/invite/nope"), true},
		{"link 410", f.get("/invite/" + token2), true},
		{"account", f.get("/account", "Cookie", cookie.Name+"="+cookie.Value), true},
		{"account 401", f.get("/account"), true},
		{"logout", f.post("/logout", nil), true},
		{"privacy", f.get("/privacy"), false},
		{"healthz", f.get("/healthz"), true},
		{"css", f.get("/static/style.css"), false},
		{"404", f.get("/nowhere"), false},
		{"405", f.do(newRequest(http.MethodPut, "/account")), false},
		{"403", f.post("/invite/"+token, validForm("sv"), "Sec-Fetch-Site", "cross-site"), false},
	}
	for _, r := range results {
		h := r.rec.Header()
		for name, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", r.name, name, got, want)
			}
		}
		if r.noStore && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", r.name, h.Get("Cache-Control"))
		}
	}
}

func TestStaticCSS(t *testing.T) {
	f := newFixture(t, cheapParams)
	page := f.get("/nowhere").Body.String()
	href := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`).FindStringSubmatch(page)
	if href == nil {
		t.Fatalf("no stylesheet link in:\n%s", page)
	}
	u := strings.ReplaceAll(href[1], "&amp;", "&")
	rec := f.get(u)
	assertStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("versioned stylesheet Cache-Control %q", rec.Header().Get("Cache-Control"))
	}
	assertContains(t, rec.Body.String(), ":focus-visible", "max-width")
	if cc := f.get("/static/style.css").Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned stylesheet Cache-Control %q", cc)
	}
}

func TestPrivacy(t *testing.T) {
	f := newFixture(t, cheapParams)
	sv := f.get("/privacy", "Accept-Language", "sv")
	assertStatus(t, sv, http.StatusOK)
	assertContains(t, sv.Body.String(), `<html lang="sv">`, "Integritetspolicy", "argon2id", "invitectl_session", "7 dagar", "Kontakta administratören")
	en := f.get("/privacy?lang=en")
	assertStatus(t, en, http.StatusOK)
	assertContains(t, en.Body.String(), `<html lang="en">`, "Privacy policy", "What is stored", "Why", "How long", "7 days", "Contact the administrator")

	g := newFixture(t, cheapParams, func(d *Deps) { d.PrivacyPolicyURL = "https://example.com/privacy" })
	rec := g.get("/privacy")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "https://example.com/privacy" {
		t.Fatalf("status %d Location %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, cheapParams)
	rec := f.get("/healthz")
	assertStatus(t, rec, http.StatusOK)
	if rec.Body.String() != "ok\n" || rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("body %q type %q", rec.Body.String(), rec.Header().Get("Content-Type"))
	}
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	rec = f.get("/healthz")
	assertStatus(t, rec, http.StatusServiceUnavailable)
	if rec.Body.String() != "unavailable\n" {
		t.Errorf("body %q", rec.Body.String())
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	f := newFixture(t, cheapParams, func(d *Deps) { d.BaseURL = "https://accept.example.com" })
	inv, token := f.invite(t, "asa@example.com", "sv")
	for name, header := range map[string][]string{
		"sec-fetch-site cross-site": {"Sec-Fetch-Site", "cross-site"},
		"sec-fetch-site same-site":  {"Sec-Fetch-Site", "same-site"},
		"origin mismatch":           {"Origin", "https://evil.example"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := f.post("/invite/"+token+"?lang=en", validForm("en"), header...)
			assertStatus(t, rec, http.StatusForbidden)
			assertContains(t, rec.Body.String(), "The form was refused", "Nothing was saved")
			f.assertUnchanged(t, inv)
		})
	}
	// Logging out is a POST too.
	assertStatus(t, f.post("/logout", nil, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)

	// The public origin is trusted even when a proxy changed the Host header.
	rec := f.post("/invite/"+token, validForm("en"), "Origin", "https://accept.example.com")
	assertStatus(t, rec, http.StatusSeeOther)
}

func TestSameOriginPostAccepted(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, token := f.invite(t, "asa@example.com", "sv")
	rec := f.post("/invite/"+token, validForm("en"), "Sec-Fetch-Site", "same-origin", "Origin", "http://example.com")
	assertStatus(t, rec, http.StatusSeeOther)
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, cheapParams, func(d *Deps) {
		d.RateLimit = rate.Every(time.Minute)
		d.RateBurst = 2
	})
	inv, token := f.invite(t, "asa@example.com", "sv")
	from := func(addr string) *http.Request {
		r := newRequest(http.MethodGet, "/invite/"+token+"?lang=en")
		r.RemoteAddr = addr
		return r
	}
	assertStatus(t, f.do(from("192.0.2.7:1000")), http.StatusOK)
	assertStatus(t, f.do(from("192.0.2.7:1001")), http.StatusOK)
	rec := f.do(from("192.0.2.7:1002"))
	assertStatus(t, rec, http.StatusTooManyRequests)
	if ra := rec.Header().Get("Retry-After"); ra != "60" {
		t.Errorf("Retry-After %q, want 60", ra)
	}
	assertContains(t, rec.Body.String(), "Too many attempts", "Wait a moment")
	// POSTs count against the same allowance and write nothing.
	post := postRequest("/invite/"+token, validForm("en"))
	post.RemoteAddr = "192.0.2.7:1003"
	assertStatus(t, f.do(post), http.StatusTooManyRequests)
	f.assertUnchanged(t, inv)

	// Another client has its own allowance; other routes are not limited.
	assertStatus(t, f.do(from("192.0.2.8:1000")), http.StatusOK)
	h := newRequest(http.MethodGet, "/healthz")
	h.RemoteAddr = "192.0.2.7:1004"
	assertStatus(t, f.do(h), http.StatusOK)
	// One IPv6 /64 is one client.
	assertStatus(t, f.do(from("[2001:db8:1:2::1]:1000")), http.StatusOK)
	assertStatus(t, f.do(from("[2001:db8:1:2::ffff]:1000")), http.StatusOK)
	assertStatus(t, f.do(from("[2001:db8:1:2:3::9]:1000")), http.StatusTooManyRequests)

	// The allowance refills with time.
	f.clock.Add(time.Minute)
	assertStatus(t, f.do(from("192.0.2.7:1005")), http.StatusOK)
	assertStatus(t, f.do(from("192.0.2.7:1006")), http.StatusTooManyRequests)
}

func TestRateLimitProxyHeaders(t *testing.T) {
	for _, trust := range []bool{false, true} {
		f := newFixture(t, cheapParams, func(d *Deps) {
			d.RateLimit = rate.Every(time.Hour)
			d.RateBurst = 1
			d.TrustProxyHeaders = trust
		})
		_, token := f.invite(t, "asa@example.com", "sv")
		codes := []int{}
		// As nginx's $proxy_add_x_forwarded_for appends: what the client
		// sent, then the address the proxy saw.
		for _, xff := range []string{"198.51.100.1", "198.51.100.1, 198.51.100.2", "not an address"} {
			r := newRequest(http.MethodGet, "/invite/"+token)
			r.RemoteAddr = "10.0.0.1:5000"
			r.Header.Set("X-Forwarded-For", xff)
			codes = append(codes, f.do(r).Code)
		}
		want := []int{http.StatusOK, http.StatusTooManyRequests, http.StatusTooManyRequests}
		if trust {
			// Two clients by the address the proxy appended, whatever the
			// client put before it; a malformed header falls back to the
			// proxy's address, which is still fresh.
			want = []int{http.StatusOK, http.StatusOK, http.StatusOK}
		}
		if !slices.Equal(codes, want) {
			t.Errorf("trust %v: statuses %v, want %v", trust, codes, want)
		}
	}
}

// The client is the right-most X-Forwarded-For entry, or the right-most
// not in the trusted proxies: what a client writes to the left of what the
// proxies appended never chooses its key.
func TestClientKey(t *testing.T) {
	cdn, err := ParseTrustedProxies("203.0.113.0/24, 2001:db8:cd::/48,192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{nil, nil, "10.0.0.1"},
		{[]string{"198.51.100.7"}, nil, "198.51.100.7"},
		{[]string{"1.2.3.4, 198.51.100.7"}, nil, "198.51.100.7"},
		{[]string{"1.2.3.4", "198.51.100.7"}, nil, "198.51.100.7"}, // two header lines are one list
		{[]string{"1.2.3.4,198.51.100.7, 203.0.113.5"}, nil, "203.0.113.5"},
		{[]string{"1.2.3.4, 198.51.100.7, 203.0.113.5"}, cdn, "198.51.100.7"},
		{[]string{"1.2.3.4, 198.51.100.7, 192.0.2.9, 203.0.113.5"}, cdn, "198.51.100.7"},
		{[]string{"203.0.113.8, 203.0.113.5"}, cdn, "203.0.113.8"}, // all trusted: the left-most
		{[]string{"2001:db8:1:2::7, 2001:db8:cd:1::1"}, cdn, "2001:db8:1:2::/64"},
		{[]string{"::ffff:198.51.100.7"}, nil, "198.51.100.7"},
		{[]string{"1.2.3.4, junk"}, nil, "10.0.0.1"},
		{[]string{"junk, 198.51.100.7, 203.0.113.5"}, cdn, "198.51.100.7"},
		{[]string{"junk, 203.0.113.5"}, cdn, "10.0.0.1"},
		{[]string{""}, nil, "10.0.0.1"},
	} {
		r := newRequest(http.MethodGet, "/login")
		r.RemoteAddr = "10.0.0.1:5000"
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientKey(r, true, tc.trusted); got != tc.want {
			t.Errorf("X-Forwarded-For %q, trusted %v: key %q, want %q", tc.xff, tc.trusted, got, tc.want)
		}
		if got := clientKey(r, false, tc.trusted); got != "10.0.0.1" {
			t.Errorf("untrusted X-Forwarded-For %q: key %q, want the peer", tc.xff, got)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "nginx", "10.0.0.0/8;"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted it", bad)
		}
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := newIPLimiter(rate.Every(time.Hour), 1, 3, c.Now)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		if ok, _ := l.allow(k); !ok {
			t.Fatalf("first request of %s refused", k)
		}
	}
	if l.size() != 3 {
		t.Fatalf("tracking %d clients, limit 3", l.size())
	}
	// e, d, c are remembered and out of allowance; a was forgotten.
	for _, k := range []string{"e", "d", "c"} {
		if ok, wait := l.allow(k); ok || wait != time.Hour {
			t.Errorf("%s: allowed %v, wait %v", k, ok, wait)
		}
	}
	if ok, _ := l.allow("a"); !ok {
		t.Error("a forgotten client starts afresh")
	}
	if l.size() != 3 {
		t.Fatalf("tracking %d clients, limit 3", l.size())
	}
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t, cheapParams)
	inv, token := f.invite(t, "asa@example.com", "sv")
	form := validForm("en")
	form.Set("filler", strings.Repeat("x", MaxBodyBytes))
	rec := f.post("/invite/"+token+"?lang=en", form)
	assertStatus(t, rec, http.StatusRequestEntityTooLarge)
	assertContains(t, rec.Body.String(), "Too much data")
	f.assertUnchanged(t, inv)

	req := httptest.NewRequest(http.MethodPost, "/invite/"+token+"?lang=en", strings.NewReader("password=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = f.do(req)
	assertStatus(t, rec, http.StatusBadRequest)
	assertContains(t, rec.Body.String(), "Bad request")
	f.assertUnchanged(t, inv)
}

// The access log names the route pattern, never the token, the query or
// the session cookie.
func TestAccessLogHasNoSecrets(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, token := f.invite(t, "asa@example.com", "sv")
	f.get("/invite/" + token + "?lang=en")
	bad := validForm("en")
	bad.Set("password", "kort")
	f.post("/invite/"+token, bad)
	reg := f.post("/invite/"+token, validForm("en"))
	sess := reg.Result().Cookies()[0].Value
	f.get("/account", "Cookie", SessionCookie+"="+sess)
	f.post("/invite/"+token, validForm("en"), "Sec-Fetch-Site", "cross-site")
	f.post("/logout", nil, "Cookie", SessionCookie+"="+sess)
	f.get("/nowhere/" + token)

	logs := f.logs.String()
	assertNotContains(t, logs, token, sess, "lang=en", goodPassword, "kort")
	assertContains(t, logs,
		`route="GET /invite/{token}" status=200`,
		`route="POST /invite/{token}" status=422`,
		`route="POST /invite/{token}" status=303`,
		`route="GET /account" status=200`,
		`route="POST /invite/{token}" status=403`,
		`route="POST /logout" status=303`,
		`route=/ status=404`,
		"duration=", "bytes=",
	)
	if n := strings.Count(logs, "msg=request"); n != 7 {
		t.Errorf("%d access log lines, want 7:\n%s", n, logs)
	}
}

// pingStore replaces the store's Ping, to make a handler fail on purpose.
type pingStore struct {
	invite.Store
	ping func(context.Context) error
}

func (s pingStore) Ping(ctx context.Context) error { return s.ping(ctx) }

func TestPanicIsA500Page(t *testing.T) {
	f := newFixture(t, cheapParams)
	svc := *f.svc
	svc.Store = pingStore{Store: f.store, ping: func(context.Context) error { panic("the store exploded at 0xdeadbeef") }}
	logs := &syncBuffer{}
	h := NewHandler(Deps{Service: &svc, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	rec := serve(h, newRequest(http.MethodGet, "/healthz?lang=en"))
	assertStatus(t, rec, http.StatusInternalServerError)
	assertContains(t, rec.Body.String(), "Something went wrong", `<html lang="en">`)
	assertNotContains(t, rec.Body.String(), "exploded", "goroutine", ".go:")
	if rec.Header().Get("Content-Security-Policy") == "" {
		t.Error("the 500 page lacks the security headers")
	}
	assertContains(t, logs.String(), "panic while handling a request", "the store exploded", `route="GET /healthz" status=500`)
}

func TestRequestTimeout(t *testing.T) {
	f := newFixture(t, cheapParams)
	svc := *f.svc
	svc.Store = pingStore{Store: f.store, ping: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}
	h := NewHandler(Deps{Service: &svc, RequestTimeout: time.Millisecond})
	rec := serve(h, newRequest(http.MethodGet, "/healthz"))
	assertStatus(t, rec, http.StatusServiceUnavailable)
	assertContains(t, rec.Body.String(), "Det tog för lång tid", "That took too long")
	if rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Error("the timeout page lacks the security headers")
	}
}

// Every text a template asks for exists in both languages, and both
// languages have the same keys.
func TestCatalogComplete(t *testing.T) {
	for key := range catalog["sv"] {
		if _, ok := catalog["en"][key]; !ok {
			t.Errorf("%q has no English text", key)
		}
	}
	for key := range catalog["en"] {
		if _, ok := catalog["sv"][key]; !ok {
			t.Errorf("%q has no Swedish text", key)
		}
	}
	used := regexp.MustCompile(`\.T "([^"]+)"`)
	err := fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFiles, path)
		if err != nil {
			return err
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := catalog["sv"][m[1]]; !ok {
				t.Errorf("%s uses %q, which the catalog lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range accountNews {
		if _, ok := catalog["sv"][key]; !ok {
			t.Errorf("catalog lacks %s", key)
		}
	}
	// Keys built in code: page titles and paragraphs.
	for _, prefix := range []string{"link.unknown", "link.expired", "link.revoked", "link.used", "account_exists", "not_found", "cross_origin", "too_many", "internal"} {
		for _, part := range []string{"title", "body", "next"} {
			if _, ok := catalog["sv"][prefix+"."+part]; !ok {
				t.Errorf("catalog lacks %s.%s", prefix, part)
			}
		}
	}
	for _, key := range []string{"not_allowed.title", "not_allowed.body", "too_large.title", "too_large.body", "bad_request.title", "bad_request.body",
		"signed_out.title", "signed_out.body", "account.title", "privacy.title", "form.title",
		"error.password_confirm", "error.language", "error.accept_privacy", "error.current_password", "error.current_password_locked"} {
		if _, ok := catalog["sv"][key]; !ok {
			t.Errorf("catalog lacks %s", key)
		}
	}
}

// / goes to the account page when signed in, else to sign in (303), with
// the language kept; a stale cookie is signed out.
func TestRootRedirects(t *testing.T) {
	f := newFixture(t, cheapParams)
	for _, c := range []struct{ target, want string }{{"/", "/login"}, {"/?lang=en", "/login?lang=en"}} {
		rec := f.get(c.target)
		assertStatus(t, rec, http.StatusSeeOther)
		if got := rec.Header().Get("Location"); got != c.want {
			t.Errorf("GET %s: Location %q, want %q", c.target, got, c.want)
		}
	}
	_, cookie := f.register(t, "asa@example.com", "sv")
	rec := f.get("/?lang=sv", "Cookie", cookie.String())
	assertStatus(t, rec, http.StatusSeeOther)
	if got := rec.Header().Get("Location"); got != "/account?lang=sv" {
		t.Errorf("signed in: Location %q, want /account?lang=sv", got)
	}
	rec = f.get("/", "Cookie", "invitectl_session=stale")
	if got := rec.Header().Get("Location"); got != "/login" {
		t.Errorf("a stale cookie: Location %q, want /login", got)
	}
}

// Every page's heading names that page, in both languages; no page is
// headed as the registration but the registration form.
func TestHeadingsNamePages(t *testing.T) {
	f, box, tasks := resetFixture(t)
	_, token := f.invite(t, "asa@example.com", "sv")
	_, cookie := f.register(t, "bo@example.com", "sv")
	f.register(t, "cy@example.com", "sv")
	f.forgot(tasks, "cy@example.com")
	reset := resetToken(t, box, "cy@example.com")
	for _, lang := range []string{"sv", "en"} {
		for _, c := range []struct {
			path, key string
			header    []string
		}{
			{"/invite/" + token, "form.title", nil},
			{"/login", "login.title", nil},
			{"/password/forgot", "forgot.title", nil},
			{"/password/reset/" + reset, "reset.title", nil},
			{"/account", "account.title", withCookie(cookie)},
			{"/account?done=password", "account.title", withCookie(cookie)},
			{"/account?done=password_change", "account.title", withCookie(cookie)},
			{"/account?done=language", "account.title", withCookie(cookie)},
		} {
			sep := "?"
			if strings.Contains(c.path, "?") {
				sep = "&"
			}
			rec := f.get(c.path+sep+"lang="+lang, c.header...)
			b := rec.Body.String()
			if !strings.Contains(b, "<h1>"+text(lang, c.key)+"</h1>") {
				t.Errorf("%s (%s): heading is not %q:\n%s", c.path, lang, text(lang, c.key), b)
			}
			if c.key != "form.title" && (strings.Contains(b, "registrering") || strings.Contains(b, "registration")) {
				t.Errorf("%s (%s) speaks of registration", c.path, lang)
			}
		}
	}
}

// The account page shows the account's details, the personal number
// masked, its language, and how to change the password.
func TestAccountShowsDetails(t *testing.T) {
	f := newFixture(t, cheapParams)
	_, cookie := f.register(t, "asa@example.com", "sv")
	for lang, want := range map[string][]string{
		"sv": {"Personnummer", "20080212-****", "Språk", `<span lang="sv">Svenska</span>`, `href="/password/forgot?lang=sv"`, "Byt lösenord", "Logga ut"},
		"en": {"Personal number", "20080212-****", "Language", `href="/password/forgot?lang=en"`, "Change password", "Sign out"},
	} {
		rec := f.get("/account?lang="+lang, withCookie(cookie)...)
		assertStatus(t, rec, http.StatusOK)
		assertContains(t, rec.Body.String(), want...)
		if strings.Contains(rec.Body.String(), "20080212-2390") {
			t.Errorf("%s: the personal number is shown unmasked", lang)
		}
	}
}
