package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/link"
	"github.com/invitectl/invitectl/internal/password"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// cheapParams keep handler tests fast; the real cost is measured in bench_test.go.
var cheapParams = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// goodPassword passes every rule.
const goodPassword = "tre glada kor i hagen"

// clock is a settable clock shared by the service and the rate limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects log output from concurrent requests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type fixture struct {
	store   *sqlite.Store
	svc     *invite.Service
	hasher  *password.Hasher
	clock   *clock
	logs    *syncBuffer
	deps    Deps
	handler http.Handler
}

// newFixture opens a fresh SQLite store in a temporary folder and builds the
// service and handler over it. Options adjust Deps before the handler is made.
func newFixture(tb testing.TB, params password.Params, opts ...func(*Deps)) *fixture {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "invitectl.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	signer, err := link.New([]byte("0123456789abcdef0123456789abcdef-test-secret"))
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{
		store:  st,
		hasher: password.New(params),
		clock:  &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)},
		logs:   &syncBuffer{},
	}
	f.svc = &invite.Service{
		Store:     st,
		Links:     signer,
		Passwords: f.hasher,
		Now:       f.clock.Now,
		BaseURL:   "http://127.0.0.1:8080",
	}
	f.deps = Deps{
		Service:   f.svc,
		Logger:    slog.New(slog.NewTextHandler(f.logs, nil)),
		BaseURL:   "http://127.0.0.1:8080",
		RateLimit: rate.Inf,
		Now:       f.clock.Now,
	}
	for _, o := range opts {
		o(&f.deps)
	}
	f.handler = NewHandler(f.deps)
	if _, err := f.svc.AddCustomer(ctx, "admin", "Acme AB"); err != nil {
		tb.Fatal(err)
	}
	return f
}

func ptr(s string) *string { return &s }

// invite creates a pending invitation for email and returns it and its token.
func (f *fixture) invite(tb testing.TB, email, lang string) (invite.Invitation, string) {
	tb.Helper()
	inv, link, err := f.svc.Invite(context.Background(), invite.NewInvitation{
		Customer: "Acme AB",
		Email:    email,
		Details: invite.Patch{
			FirstName:      ptr("Åsa"),
			LastName:       ptr("Lind"),
			SwedishCitizen: ptr("yes"),
			PersonalNumber: ptr("20080212-2390"),
			Phone:          ptr("070-123 45 67"),
			Gender:         ptr("female"),
		},
		Language: lang,
		Actor:    "admin",
		NoSend:   true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	_, token, ok := strings.Cut(link, "/invite/")
	if !ok {
		tb.Fatalf("link %q has no /invite/ path", link)
	}
	return inv, token
}

// do serves one request through the handler.
func (f *fixture) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func (f *fixture) get(target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return f.do(req)
}

// post submits a form; header holds name, value pairs.
func (f *fixture) post(target string, form url.Values, header ...string) *httptest.ResponseRecorder {
	req := postRequest(target, form)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return f.do(req)
}

// validForm is a registration that passes every rule.
func validForm(lang string) url.Values {
	return url.Values{
		"password":         {goodPassword},
		"password_confirm": {goodPassword},
		"language":         {lang},
		"accept_privacy":   {"on"},
	}
}

// assertUnchanged checks that nothing was written for inv: it is still
// pending on the same version, and no user exists.
func (f *fixture) assertUnchanged(tb testing.TB, inv invite.Invitation) {
	tb.Helper()
	got, err := f.store.Invitation(context.Background(), inv.ID)
	if err != nil {
		tb.Fatal(err)
	}
	if got.State != inv.State || got.Version != inv.Version || !got.AcceptedAt.IsZero() {
		tb.Errorf("invitation changed: state %s version %d (was %s, %d)", got.State, got.Version, inv.State, inv.Version)
	}
	users, err := f.store.ListUsers(context.Background(), 1, 10)
	if err != nil {
		tb.Fatal(err)
	}
	if users.Total != 0 {
		tb.Errorf("%d users exist, want none", users.Total)
	}
}

func body(tb testing.TB, r io.Reader) string {
	tb.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func assertStatus(tb testing.TB, rec *httptest.ResponseRecorder, want int) {
	tb.Helper()
	if rec.Code != want {
		tb.Fatalf("status %d, want %d; body:\n%s", rec.Code, want, rec.Body.String())
	}
}

func assertContains(tb testing.TB, s string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			tb.Errorf("missing %q in:\n%s", w, s)
		}
	}
}

func assertNotContains(tb testing.TB, s string, nots ...string) {
	tb.Helper()
	for _, n := range nots {
		if strings.Contains(s, n) {
			tb.Errorf("unexpected %q in:\n%s", n, s)
		}
	}
}

func newRequest(method, target string) *http.Request {
	return httptest.NewRequest(method, target, nil)
}

// newTestServer serves h on a loopback port for the length of the test.
func newTestServer(tb testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}

// noRedirectClient returns redirects as they are, so tests can look at them.
func noRedirectClient(srv *httptest.Server) *http.Client {
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// postRequest is a form submission.
func postRequest(target string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// serve runs one request through h.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}
