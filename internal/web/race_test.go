package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/link"
	"github.com/invitectl/invitectl/internal/password"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// These tests race an administrator's change of an invitation against the
// invitee's registration through the real handler and a real store. The
// race is made deterministic, without sleeps: the password hasher holds
// each registration inside Hash, after the handler has read the invitation,
// until the test has committed its change.

// gate holds the registrations with one password inside Hash.
type gate struct {
	hashing chan struct{} // one value per registration that reached Hash
	proceed chan struct{} // closed to let them hash and go on
}

func newGate() *gate {
	return &gate{hashing: make(chan struct{}, 8), proceed: make(chan struct{})}
}

// gatedPasswords are the real rules and hash, with Hash held at the gate of
// its password, if it has one.
type gatedPasswords struct {
	*password.Hasher
	mu    sync.Mutex
	gates map[string]*gate // by password
}

func (g *gatedPasswords) Hash(pw string) (string, error) {
	g.mu.Lock()
	gt, ok := g.gates[pw]
	g.mu.Unlock()
	if ok {
		gt.hashing <- struct{}{}
		<-gt.proceed
	}
	return g.Hasher.Hash(pw)
}

// recordingMailer delivers every email at once, into a list.
type recordingMailer struct {
	mu   sync.Mutex
	sent []invite.InvitationEmail
}

func (m *recordingMailer) SendInvitation(_ context.Context, e invite.InvitationEmail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, e)
	return nil
}

// raceEnv is a handler over one store, with gated passwords and a mailer.
type raceEnv struct {
	store     invite.Store
	svc       *invite.Service
	passwords *gatedPasswords
	clock     *clock
	handler   http.Handler
}

// raceStores are the stores the race tests run on: SQLite always,
// PostgreSQL when INVITECTL_TEST_POSTGRES_DSN names a test database (and
// then required with INVITECTL_REQUIRE_SERVICES=1, as pgtest decides).
var raceStores = []struct {
	name string
	open func(t *testing.T) invite.Store
}{
	{"sqlite", func(t *testing.T) invite.Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "invitectl.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"postgres", func(t *testing.T) invite.Store {
		url := pgtest.Schema(t, os.Getenv)
		if _, err := postgres.Migrate(t.Context(), url); err != nil {
			t.Fatal(err)
		}
		st, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

func newRaceEnv(t *testing.T, st invite.Store) *raceEnv {
	t.Helper()
	signer, err := link.New([]byte("0123456789abcdef0123456789abcdef-test-secret"))
	if err != nil {
		t.Fatal(err)
	}
	e := &raceEnv{
		store:     st,
		passwords: &gatedPasswords{Hasher: password.New(cheapParams), gates: map[string]*gate{}},
		clock:     &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)},
	}
	e.svc = &invite.Service{
		Store:     st,
		Mailer:    &recordingMailer{},
		Links:     signer,
		Passwords: e.passwords,
		Now:       e.clock.Now,
		BaseURL:   "http://127.0.0.1:8080",
	}
	e.handler = NewHandler(Deps{
		Service:   e.svc,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		BaseURL:   "http://127.0.0.1:8080",
		RateLimit: rate.Inf,
		Now:       e.clock.Now,
	})
	if _, err := e.svc.AddCustomer(t.Context(), "admin", "Acme AB"); err != nil {
		t.Fatal(err)
	}
	return e
}

// invite creates a pending invitation for email without sending it, and
// returns it and its link's token.
func (e *raceEnv) invite(t *testing.T, email string) (invite.Invitation, string) {
	t.Helper()
	inv, l, err := e.svc.Invite(t.Context(), invite.NewInvitation{
		Customer: "Acme AB", Email: email, Actor: "admin", NoSend: true,
		Details: invite.Patch{FirstName: ptr("Åsa"), LastName: ptr("Lind"), SwedishCitizen: ptr("yes"),
			PersonalNumber: ptr("20080212-2390"), Phone: ptr("070-123 45 67"), Gender: ptr("female")},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, token, ok := strings.Cut(l, "/invite/")
	if !ok {
		t.Fatalf("link %q has no /invite/ path", l)
	}
	return inv, token
}

// gated returns a password of its own for a registration, and its gate.
func (e *raceEnv) gated(t *testing.T, n int) (string, *gate) {
	t.Helper()
	pw := fmt.Sprintf("%s nummer %d", goodPassword, n)
	if msg := e.passwords.Check(pw, "", "en"); msg != "" {
		t.Fatalf("password %q breaks a rule: %s", pw, msg)
	}
	g := newGate()
	e.passwords.mu.Lock()
	e.passwords.gates[pw] = g
	e.passwords.mu.Unlock()
	return pw, g
}

// registration is one POST /invite/{token} on its way.
type registration struct {
	rec  *httptest.ResponseRecorder
	done chan struct{}
}

// register starts a registration with password pw, in English.
func (e *raceEnv) register(token, pw string) *registration {
	form := url.Values{"password": {pw}, "password_confirm": {pw}, "language": {"en"}, "accept_privacy": {"on"}}
	r := &registration{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.rec = serve(e.handler, postRequest("/invite/"+token+"?lang=en", form))
	}()
	return r
}

// held waits until the registration is inside Hash; it fails when the
// registration answered without hashing.
func held(t *testing.T, r *registration, g *gate) bool {
	t.Helper()
	select {
	case <-g.hashing:
		return true
	case <-r.done:
		t.Errorf("the registration answered %d before hashing:\n%s", r.rec.Code, r.rec.Body.String())
		return false
	}
}

// usersByInvitation returns every user, by the invitation it came from.
func usersByInvitation(t *testing.T, st invite.Store) map[int64]invite.User {
	t.Helper()
	p, err := st.ListUsers(context.Background(), 1, invite.MaxPerPage)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]invite.User{}
	for _, u := range p.Users {
		out[u.InvitationID] = u
	}
	return out
}

// Registrations that meet an administrator's edit, a resend of the pending
// invitation, or both, all succeed: none of those is a reason for a 410.
// Each account has the details as committed by the edit.
func TestRegistrationRacesEditsAndResends(t *testing.T) {
	for _, sc := range raceStores {
		t.Run(sc.name, func(t *testing.T) {
			e := newRaceEnv(t, sc.open(t))
			ctx := context.Background()
			const n = 20
			kinds := []string{"edit", "resend", "edit and resend"}
			type item struct {
				inv      invite.Invitation
				kind     string
				lastName string
				reg      *registration
				gate     *gate
			}
			items := make([]*item, n)
			for i := range items {
				it := &item{kind: kinds[i%len(kinds)], lastName: fmt.Sprintf("Ändrad %c", 'A'+i)}
				var token, pw string
				it.inv, token = e.invite(t, fmt.Sprintf("race%d@example.com", i))
				pw, it.gate = e.gated(t, i)
				it.reg = e.register(token, pw)
				items[i] = it
			}

			// Each admin change runs while its registration is held in Hash,
			// all of them at once, and commits before the registration goes on.
			var wg sync.WaitGroup
			for i, it := range items {
				wg.Go(func() {
					defer close(it.gate.proceed)
					if !held(t, it.reg, it.gate) {
						return
					}
					if strings.Contains(it.kind, "edit") {
						_, changed, err := e.svc.Edit(ctx, "admin", it.inv.ID, invite.Patch{
							LastName: ptr(it.lastName), Phone: ptr(fmt.Sprintf("070-765 43 %02d", i)),
							SwedishCitizen: ptr("no"), Gender: ptr("unset"), LMANumber: ptr(fmt.Sprintf("LMA-%d", i)),
						}, nil, 0)
						if err != nil || len(changed) == 0 {
							t.Errorf("invitation %d: edit: %v (changed %v)", it.inv.ID, err, changed)
						}
					}
					if strings.Contains(it.kind, "resend") {
						cur, err := e.store.Invitation(ctx, it.inv.ID)
						if err != nil {
							t.Error(err)
							return
						}
						if _, plan, err := e.svc.Resend(ctx, "admin", cur); err != nil || plan != invite.PlanReuseLink {
							t.Errorf("invitation %d: resend: %v (plan %v), want the same link sent", it.inv.ID, err, plan)
						}
					}
					moved, err := e.store.Invitation(ctx, it.inv.ID)
					if err != nil || moved.Version == it.inv.Version || moved.State != invite.StatePending {
						t.Errorf("invitation %d after the %s: %+v, %v; want pending at a new version", it.inv.ID, it.kind, moved, err)
					}
				})
			}
			wg.Wait()
			for _, it := range items {
				<-it.reg.done
			}

			users := usersByInvitation(t, e.store)
			for _, it := range items {
				if it.reg.rec.Code != http.StatusSeeOther {
					t.Errorf("invitation %d, registration during a %s: status %d, want 303; body:\n%s",
						it.inv.ID, it.kind, it.reg.rec.Code, it.reg.rec.Body.String())
					continue
				}
				stored, err := e.store.Invitation(ctx, it.inv.ID)
				if err != nil {
					t.Fatal(err)
				}
				if stored.State != invite.StateAccepted {
					t.Errorf("invitation %d is %s after a 303, want accepted", it.inv.ID, stored.State)
				}
				u, ok := users[it.inv.ID]
				if !ok {
					t.Errorf("invitation %d: 303 but no account", it.inv.ID)
					continue
				}
				if u.Details != stored.Details || u.Email != stored.Email || u.CustomerID != stored.CustomerID {
					t.Errorf("invitation %d: account %+v, want the invitation's details as committed: %+v", it.inv.ID, u, stored)
				}
				want := it.inv.Details
				if strings.Contains(it.kind, "edit") {
					want.LastName, want.Phone, want.SwedishCitizen = it.lastName, stored.Phone, invite.No
					want.Gender, want.LMANumber = "", stored.LMANumber
					if !strings.HasPrefix(stored.Phone, "+467076543") || stored.LMANumber == "" {
						t.Errorf("invitation %d: the edit's phone and LMA number were not kept: %+v", it.inv.ID, stored.Details)
					}
				}
				if u.Details != want {
					t.Errorf("invitation %d (%s): account details %+v, want %+v", it.inv.ID, it.kind, u.Details, want)
				}
				// The link is used now, and says so.
				rec := serve(e.handler, httptest.NewRequest(http.MethodGet, "/invite/"+e.svc.Links.Token(it.inv.ID, it.inv.LinkGeneration)+"?lang=en", nil))
				if rec.Code != http.StatusGone || !strings.Contains(rec.Body.String(), "You have already registered") {
					t.Errorf("invitation %d: its link after registering answers %d", it.inv.ID, rec.Code)
				}
			}
			if len(users) != n {
				t.Errorf("%d accounts, want %d", len(users), n)
			}
		})
	}
}

// A 410 only for a change that really ends the link while the password
// hashes: a revocation, an expiry, a renewed link, or a concurrent
// registration that used it. Nothing is created for the refused one.
func TestRegistrationRacesRealRefusals(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, e *raceEnv, inv invite.Invitation, token string)
		text   string
		state  invite.State
	}{
		{"revoked", func(t *testing.T, e *raceEnv, inv invite.Invitation, _ string) {
			cur, err := e.store.Invitation(t.Context(), inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Revoke(t.Context(), "admin", cur); err != nil {
				t.Fatal(err)
			}
		}, "This invitation was withdrawn", invite.StateRevoked},
		{"expired", func(t *testing.T, e *raceEnv, _ invite.Invitation, _ string) {
			e.clock.Add(invite.DefaultTTL)
		}, "This link has expired", invite.StatePending},
		{"renewed", func(t *testing.T, e *raceEnv, inv invite.Invitation, _ string) {
			e.clock.Add(invite.DefaultTTL + time.Hour)
			cur, err := e.store.Invitation(t.Context(), inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, plan, err := e.svc.Resend(t.Context(), "admin", cur); err != nil || plan != invite.PlanNewLink {
				t.Fatalf("resend: %v (plan %v), want a new link", err, plan)
			}
		}, "This link has expired", invite.StatePending},
		{"used", func(t *testing.T, e *raceEnv, _ invite.Invitation, token string) {
			pw, g := e.gated(t, 1000)
			close(g.proceed)
			r := e.register(token, pw)
			<-r.done
			assertStatus(t, r.rec, http.StatusSeeOther)
		}, "You have already registered", invite.StateAccepted},
	}
	for _, sc := range raceStores {
		for _, tc := range cases {
			t.Run(sc.name+"/"+tc.name, func(t *testing.T) {
				e := newRaceEnv(t, sc.open(t))
				inv, token := e.invite(t, "asa@example.com")
				pw, g := e.gated(t, 0)
				r := e.register(token, pw)
				func() {
					defer close(g.proceed) // also when the change fails the test
					if held(t, r, g) {
						tc.change(t, e, inv, token)
					}
				}()
				<-r.done
				assertStatus(t, r.rec, http.StatusGone)
				assertContains(t, r.rec.Body.String(), tc.text)
				if len(r.rec.Result().Cookies()) != 0 {
					t.Errorf("cookies set: %v", r.rec.Result().Cookies())
				}
				stored, err := e.store.Invitation(t.Context(), inv.ID)
				if err != nil {
					t.Fatal(err)
				}
				if stored.State != tc.state {
					t.Errorf("invitation is %s, want %s", stored.State, tc.state)
				}
				want := 0
				if tc.state == invite.StateAccepted {
					want = 1 // the registration that used the link
				}
				if users := usersByInvitation(t, e.store); len(users) != want {
					t.Errorf("%d accounts, want %d", len(users), want)
				}
			})
		}
	}
}
