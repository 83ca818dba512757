package storecopy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/link"
	"github.com/invitectl/invitectl/internal/mail"
	"github.com/invitectl/invitectl/internal/password"
	"github.com/invitectl/invitectl/internal/seed"
	"github.com/invitectl/invitectl/internal/store/postgres"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
	"github.com/invitectl/invitectl/internal/store/sqlite"
	"github.com/invitectl/invitectl/internal/store/storecopy"
)

// store is what the tests need of either store.
type store interface {
	invite.Store
	storecopy.Source
	storecopy.Target
}

var t0 = time.Date(2026, 5, 4, 8, 15, 30, 250000000, time.UTC)

// clock is a settable time for the services.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func signer(t *testing.T) *link.Signer {
	t.Helper()
	s, err := link.New([]byte("0123456789abcdef0123456789abcdef-copy-test"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func service(t *testing.T, s invite.Store, clk *clock) *invite.Service {
	t.Helper()
	m, err := mail.New(mail.Config{Transport: "file", Dir: t.TempDir(), From: "invitectl@example.com", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return &invite.Service{
		Store: s, Mailer: m, Links: signer(t), Now: clk.Now, TTL: 30 * 24 * time.Hour,
		Passwords:       password.New(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}),
		BaseURL:         "https://invite.example.com",
		DefaultLanguage: invite.Swedish,
	}
}

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "invitectl.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t *testing.T) *postgres.Store {
	t.Helper()
	url := pgtest.Schema(t, os.Getenv)
	if _, err := postgres.Migrate(t.Context(), url); err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fixture is what fill made, for the link checks.
type fixture struct {
	pending, renewed, accepted, revoked invite.Invitation
	oldToken, sessionToken              string
}

// fill gives s every kind of row in every state through the service, plus
// a bulk insert as seed makes.
func fill(t *testing.T, s invite.Store) fixture {
	t.Helper()
	ctx := t.Context()
	clk := &clock{now: t0}
	svc := service(t, s, clk)
	var customers []invite.Customer
	for _, name := range []string{"Åre Data AB", "acme AB", "Zeta HB"} {
		c, err := svc.AddCustomer(ctx, "admin", name)
		if err != nil {
			t.Fatal(err)
		}
		customers = append(customers, c)
	}
	str := func(s string) *string { return &s }
	invite1 := func(email, first, last string, details invite.Patch) invite.Invitation {
		t.Helper()
		details.FirstName, details.LastName = str(first), str(last)
		inv, _, err := svc.Invite(ctx, invite.NewInvitation{Customer: customers[len(email)%3].Name, Email: email, Details: details, Actor: "admin"})
		if err != nil {
			t.Fatalf("Invite(%s): %v", email, err)
		}
		return inv
	}
	var f fixture
	f.pending = invite1("Asa.Lind@Example.com", "Åsa", "Lind", invite.Patch{PersonalNumber: str("20080212-2390"), Phone: str("0701234567"), SwedishCitizen: str("yes")})
	f.accepted = invite1("bo@example.com", "Bo", "Ek", invite.Patch{EUCitizen: str("no"), Gender: str("male"), LMANumber: str("12-345678")})
	f.revoked = invite1("cy@example.com", "Cy", "Öst", invite.Patch{})
	f.renewed = invite1("dag@example.com", "Dag", "Berg", invite.Patch{})
	f.oldToken = svc.Links.Token(f.renewed.ID, f.renewed.LinkGeneration)

	var err error
	if _, err = svc.Show(ctx, "admin", f.pending.ID, true); err != nil {
		t.Fatal(err)
	}
	if f.revoked, err = svc.Revoke(ctx, "admin", f.revoked); err != nil {
		t.Fatal(err)
	}
	var u invite.User
	u, f.sessionToken, err = svc.Register(ctx, svc.Links.Token(f.accepted.ID, f.accepted.LinkGeneration),
		invite.Registration{Password: "a long enough passphrase", PasswordConfirm: "a long enough passphrase", Language: invite.English, AcceptPrivacy: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.accepted, err = s.Invitation(ctx, u.InvitationID); err != nil {
		t.Fatal(err)
	}
	// A month on, the renewed invitation has expired and gets a new link.
	clk.now = t0.Add(31 * 24 * time.Hour)
	if f.renewed, _, err = svc.Resend(ctx, "admin", f.renewed); err != nil {
		t.Fatal(err)
	}
	if f.renewed.LinkGeneration != 1 {
		t.Fatalf("the renewed invitation has link generation %d", f.renewed.LinkGeneration)
	}
	gen := seed.NewGenerator(7, customers, clk.now, 365*24*time.Hour, 10)
	bulk := make([]invite.Invitation, 250)
	for i := range bulk {
		bulk[i] = gen.Next()
	}
	if err := s.InsertInvitations(ctx, bulk); err != nil {
		t.Fatal(err)
	}
	return f
}

// records reads every row of src.
func records(t *testing.T, src storecopy.Source) []storecopy.Record {
	t.Helper()
	var out []storecopy.Record
	for r, err := range storecopy.Records(t.Context(), src, nil) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// assertSameRows compares every row of two stores, field by field.
func assertSameRows(t *testing.T, a, b storecopy.Source) {
	t.Helper()
	ra, rb := records(t, a), records(t, b)
	if len(ra) != len(rb) {
		t.Fatalf("the stores hold %d and %d rows", len(ra), len(rb))
	}
	for i := range ra {
		if !reflect.DeepEqual(ra[i], rb[i]) {
			t.Fatalf("row %d differs:\n%s\n%s", i, show(ra[i]), show(rb[i]))
		}
	}
}

func show(r storecopy.Record) string {
	switch {
	case r.Customer != nil:
		return fmt.Sprintf("%+v", *r.Customer)
	case r.Invitation != nil:
		return fmt.Sprintf("%+v", *r.Invitation)
	case r.User != nil:
		return fmt.Sprintf("%+v", *r.User)
	case r.Event != nil:
		return fmt.Sprintf("%+v", *r.Event)
	}
	return "empty record"
}

// An SQLite store copied into PostgreSQL holds the same rows, its links
// keep working with the same secret, and new rows get fresh IDs. Copied
// back into a new SQLite file, the rows are still the same.
func TestCopySQLiteToPostgresAndBack(t *testing.T) {
	ctx := t.Context()
	src := openSQLite(t)
	f := fill(t, src)
	dst := openPostgres(t)

	n, err := storecopy.Copy(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	want, err := src.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != want || n.Customers != 3 || n.Invitations != 254 || n.Users != 1 || n.AuditEvents < 10 {
		t.Errorf("copied %s; the source holds %s", n, want)
	}
	assertSameRows(t, src, dst)
	checkLinks(t, dst, f)

	back := openSQLite(t)
	if _, err := storecopy.Copy(ctx, dst, back); err != nil {
		t.Fatal(err)
	}
	assertSameRows(t, dst, back)
}

// checkLinks opens each kind of link through the service against s.
func checkLinks(t *testing.T, s invite.Store, f fixture) {
	t.Helper()
	ctx := t.Context()
	clk := &clock{now: t0.Add(32 * 24 * time.Hour)}
	svc := service(t, s, clk)
	token := func(inv invite.Invitation) string { return svc.Links.Token(inv.ID, inv.LinkGeneration) }

	got, err := svc.OpenLink(ctx, token(f.renewed))
	if err != nil || got.ID != f.renewed.ID || got.Email != "dag@example.com" {
		t.Fatalf("OpenLink(renewed link) = %+v, %v", got, err)
	}
	for _, c := range []struct {
		what  string
		token string
		want  error
	}{
		{"the link replaced by the resend", f.oldToken, invite.ErrLinkExpired},
		{"the accepted invitation's link", token(f.accepted), invite.ErrLinkUsed},
		{"the revoked invitation's link", token(f.revoked), invite.ErrLinkRevoked},
		{"the pending invitation's link, a month after it expired", token(f.pending), invite.ErrLinkExpired},
	} {
		if _, err := svc.OpenLink(ctx, c.token); !errors.Is(err, c.want) {
			t.Errorf("OpenLink(%s) = %v, want %v", c.what, err, c.want)
		}
	}
	// Sessions are not copied: the invitee signs in again.
	if _, err := svc.SessionUser(ctx, f.sessionToken); invite.ErrorCode(err) != invite.ENOTFOUND {
		t.Errorf("a session from before the copy: %v, want ENOTFOUND", err)
	}

	// The copy goes on where the source stopped: registering and inviting
	// get IDs after the copied ones.
	u, _, err := svc.Register(ctx, token(f.renewed), invite.Registration{Password: "another long passphrase", PasswordConfirm: "another long passphrase", Language: invite.Swedish, AcceptPrivacy: true})
	if err != nil {
		t.Fatalf("registering through the copied link: %v", err)
	}
	if u.ID <= 1 {
		t.Errorf("the first user registered after the copy got ID %d, which the copied user has", u.ID)
	}
	first := "Ny"
	last := "Person"
	inv, _, err := svc.Invite(ctx, invite.NewInvitation{Customer: "ACME ab", Email: "ny@example.com", Details: invite.Patch{FirstName: &first, LastName: &last}, Actor: "admin", NoSend: true})
	if err != nil {
		t.Fatalf("inviting after the copy: %v", err)
	}
	if inv.ID <= 254 {
		t.Errorf("an invitation made after the copy got ID %d, not after the copied ones", inv.ID)
	}
	evs, err := s.ListAudit(ctx, inv.ID)
	if err != nil || len(evs) != 1 {
		t.Fatalf("audit of the new invitation: %+v, %v", evs, err)
	}
}

func TestCopyRefusesNonEmptyTarget(t *testing.T) {
	for name, open := range map[string]func(*testing.T) store{
		"sqlite":   func(t *testing.T) store { return openSQLite(t) },
		"postgres": func(t *testing.T) store { return openPostgres(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			src := openSQLite(t)
			fill(t, src)
			dst := open(t)
			c := invite.Customer{Name: "Already Here AB", CreatedAt: t0}
			if err := dst.CreateCustomer(ctx, &c, invite.AuditEvent{At: t0, Action: invite.ActionCustomerAdd}); err != nil {
				t.Fatal(err)
			}
			_, err := storecopy.Copy(ctx, src, dst)
			if invite.ErrorCode(err) != invite.EINVALID || !strings.Contains(err.Error(), "not empty") || invite.ErrorHint(err) == "" {
				t.Fatalf("copying into a store with a customer: %v, want EINVALID with a hint", err)
			}
			// Import checks again inside its transaction.
			err = dst.Import(ctx, storecopy.Records(ctx, src, nil))
			if invite.ErrorCode(err) != invite.EINVALID {
				t.Fatalf("importing into a store with a customer: %v, want EINVALID", err)
			}
			if got, err := dst.Counts(ctx); err != nil || got != (storecopy.Counts{Customers: 1, AuditEvents: 1}) {
				t.Errorf("the target after the refusals holds %s, %v", got, err)
			}
		})
	}
}

// failing is a Source that breaks after some records.
type failing struct {
	storecopy.Source
	after int
}

var errBroken = errors.New("the source broke")

func (f failing) Export(ctx context.Context, fn func(storecopy.Record) error) error {
	n := 0
	return f.Source.Export(ctx, func(r storecopy.Record) error {
		if n++; n > f.after {
			return errBroken
		}
		return fn(r)
	})
}

// A copy that fails half-way writes nothing.
func TestCopyAllOrNothing(t *testing.T) {
	for name, open := range map[string]func(*testing.T) store{
		"sqlite":   func(t *testing.T) store { return openSQLite(t) },
		"postgres": func(t *testing.T) store { return openPostgres(t) },
	} {
		t.Run(name, func(t *testing.T) {
			src := openSQLite(t)
			fill(t, src)
			dst := open(t)
			// Past the customers and some invitations.
			if _, err := storecopy.Copy(t.Context(), failing{src, 100}, dst); !errors.Is(err, errBroken) {
				t.Fatalf("a copy from a broken source: %v", err)
			}
			if got, err := dst.Counts(t.Context()); err != nil || !got.Empty() {
				t.Fatalf("a failed copy left %s behind (%v)", got, err)
			}
			// The target is still usable for a copy that works.
			if _, err := storecopy.Copy(t.Context(), src, dst); err != nil {
				t.Fatal(err)
			}
			assertSameRows(t, src, dst)
		})
	}
}
