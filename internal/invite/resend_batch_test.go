package invite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/link"
	"github.com/invitectl/invitectl/internal/mail"
	"github.com/invitectl/invitectl/internal/mailtest"
	"github.com/invitectl/invitectl/internal/store/sqlite"
)

// The batch resend runs on the real store and mailer: a SQLite file and an
// SMTP server on loopback.

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

const ttl = 30 * 24 * time.Hour

// clock is a settable time, read by the batch's goroutines.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	store *sqlite.Store
	srv   *mailtest.Server
	mail  mail.Mailer
	clock *clock
	svc   *invite.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{srv: mailtest.Start(t), clock: &clock{now: t0}}
	var err error
	if f.store, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "invitectl.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	f.mail, err = mail.New(mail.Config{Host: "127.0.0.1", Port: f.srv.Port(), Encryption: mail.EncryptionNone,
		From: "invites@example.com", Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.mail.Close() })
	signer, err := link.New([]byte("0123456789abcdef0123456789abcdef-batch-test"))
	if err != nil {
		t.Fatal(err)
	}
	f.svc = &invite.Service{Store: f.store, Mailer: f.mail, Links: signer, Now: f.clock.Now, TTL: ttl,
		BaseURL: "https://invite.example.com", DefaultLanguage: invite.Swedish}
	if _, err := f.svc.AddCustomer(t.Context(), "admin", "Acme AB"); err != nil {
		t.Fatal(err)
	}
	return f
}

// invite records an invitation for email without sending it.
func (f *fixture) invite(t *testing.T, email string) invite.Invitation {
	t.Helper()
	first, last := "Anna", "Ek"
	inv, _, err := f.svc.Invite(t.Context(), invite.NewInvitation{Customer: "Acme AB", Email: email,
		Details: invite.Patch{FirstName: &first, LastName: &last}, Actor: "admin", NoSend: true})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// expired records n invitations and lets them expire.
func (f *fixture) expired(t *testing.T, n int) []invite.Invitation {
	t.Helper()
	invs := make([]invite.Invitation, n)
	for i := range invs {
		invs[i] = f.invite(t, fmt.Sprintf("person%03d@example.com", i))
	}
	f.clock.Add(ttl + time.Hour)
	return invs
}

func (f *fixture) stored(t *testing.T, id int64) invite.Invitation {
	t.Helper()
	inv, err := f.store.Invitation(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func (f *fixture) auditDetails(t *testing.T, id int64) []string {
	t.Helper()
	evs, err := f.store.ListAudit(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Detail)
	}
	return out
}

// resend runs a batch and returns its reports, checking that there is one
// per invitation reported, in order.
func (f *fixture) resend(t *testing.T, ctx context.Context, invs []invite.Invitation) ([]invite.ResendResult, error) {
	t.Helper()
	var got []invite.ResendResult
	err := f.svc.ResendBatch(ctx, "batcher", invs, func(r invite.ResendResult) { got = append(got, r) })
	for i, r := range got {
		if r.Invitation.ID != invs[i].ID {
			t.Fatalf("report %d is about invitation %d, want %d: reports out of order", i, r.Invitation.ID, invs[i].ID)
		}
	}
	return got, err
}

// tokenIn returns the link token in a received message.
func tokenIn(t *testing.T, m mailtest.Message) string {
	t.Helper()
	s := strings.ReplaceAll(string(m.Data), "=\r\n", "") // undo quoted-printable's soft breaks
	_, after, ok := strings.Cut(s, "https://invite.example.com/invite/")
	if !ok {
		t.Fatalf("no link in the message to %v", m.To)
	}
	end := strings.IndexAny(after, "\r\n\"<")
	return after[:end]
}

func TestResendBatchResendsEachAsResend(t *testing.T) {
	f := newFixture(t)
	exp := f.expired(t, 2)
	revoked := f.invite(t, "revoked@example.com")
	if _, err := f.svc.Revoke(t.Context(), "admin", revoked); err != nil {
		t.Fatal(err)
	}
	pending := f.invite(t, "pending@example.com")
	f.clock.Add(time.Minute)
	now := f.clock.Now()

	got, err := f.resend(t, t.Context(), []invite.Invitation{exp[0], pending, f.stored(t, revoked.ID), exp[1]})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d reports, want 4", len(got))
	}
	for i, want := range []invite.ResendPlan{invite.PlanNewLink, invite.PlanReuseLink, invite.PlanRefused, invite.PlanNewLink} {
		if got[i].Plan != want {
			t.Errorf("report %d: plan %q, want %q", i, got[i].Plan, want)
		}
		if (got[i].Err == nil) == (i == 2) {
			t.Errorf("report %d: err = %v", i, got[i].Err)
		}
	}
	if invite.ErrorCode(got[2].Err) != invite.ECONFLICT || !strings.Contains(got[2].Err.Error(), "already revoked") {
		t.Errorf("the revoked invitation: %v, want already resolved", got[2].Err)
	}

	msgs := f.srv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages delivered, want 3", len(msgs))
	}
	for i, inv := range []invite.Invitation{exp[0], pending, exp[1]} {
		stored := f.stored(t, inv.ID)
		if msgs[i].To[0] != inv.Email {
			t.Errorf("message %d went to %v, want %s", i, msgs[i].To, inv.Email)
		}
		if stored.SendCount != 1 || !stored.LastSentAt.Equal(now) {
			t.Errorf("%s: send count %d, sent on %v; want 1, %v", inv.Email, stored.SendCount, stored.LastSentAt, now)
		}
		wantGen, wantExpiry := 1, now.Add(ttl)
		if inv.ID == pending.ID {
			wantGen, wantExpiry = 0, pending.ExpiresAt
		}
		if stored.LinkGeneration != wantGen || !stored.ExpiresAt.Equal(wantExpiry) {
			t.Errorf("%s: generation %d, expiry %v; want %d, %v", inv.Email, stored.LinkGeneration, stored.ExpiresAt, wantGen, wantExpiry)
		}
		if want := f.svc.Links.Token(inv.ID, wantGen); tokenIn(t, msgs[i]) != want {
			t.Errorf("%s got the link of another generation", inv.Email)
		}
	}
	for _, i := range []int{0, 1, 3} {
		if r := got[i]; r.Invitation.Version != f.stored(t, r.Invitation.ID).Version {
			t.Errorf("report %d carries version %d, the store has %d", i, r.Invitation.Version, f.stored(t, r.Invitation.ID).Version)
		}
	}
	if d := f.auditDetails(t, exp[0].ID); len(d) != 3 || !strings.HasPrefix(d[1], "new link generated, valid until") || d[2] != "sent with the new link" {
		t.Errorf("audit of an expired invitation: %q", d)
	}
	if d := f.auditDetails(t, pending.ID); len(d) != 2 || d[1] != "sent again with the same link" {
		t.Errorf("audit of a pending invitation: %q", d)
	}
	if d := f.auditDetails(t, revoked.ID); len(d) != 2 {
		t.Errorf("the refused invitation got audit events: %q", d)
	}
	if _, err := f.svc.OpenLink(t.Context(), f.svc.Links.Token(exp[0].ID, 0)); !errors.Is(err, invite.ErrLinkExpired) {
		t.Errorf("the replaced link: %v, want expired", err)
	}
}

// hookMailer runs a function on every email just before it is sent.
type hookMailer struct {
	invite.PreparingMailer
	beforeSend func(e invite.InvitationEmail)
}

func (m hookMailer) PrepareInvitation(e invite.InvitationEmail) (invite.PreparedEmail, error) {
	p, err := m.PreparingMailer.PrepareInvitation(e)
	if err != nil {
		return nil, err
	}
	return hookedEmail{PreparedEmail: p, before: func() { m.beforeSend(e) }}, nil
}

type hookedEmail struct {
	invite.PreparedEmail
	before func()
}

func (h hookedEmail) Send(ctx context.Context) error {
	h.before()
	return h.PreparedEmail.Send(ctx)
}

// More invitations than the batch saves links for at once: every email
// leaves with a link that is already saved, valid for one TTL from now.
func TestResendBatchSavesFreshLinksBeforeSending(t *testing.T) {
	f := newFixture(t)
	invs := f.expired(t, 250)
	now := f.clock.Now()
	f.svc.Mailer = hookMailer{PreparingMailer: f.mail, beforeSend: func(e invite.InvitationEmail) {
		id, gen, ok := f.svc.Links.Verify(strings.TrimPrefix(e.Link, "https://invite.example.com/invite/"))
		if !ok {
			t.Errorf("%s: the link does not verify", e.To)
			return
		}
		stored, err := f.store.Invitation(context.Background(), id)
		if err != nil || stored.LinkGeneration != gen || gen != 1 || !stored.ExpiresAt.Equal(now.Add(ttl)) {
			t.Errorf("%s: sending generation %d while the store has %d, expiring %v (%v)", e.To, gen, stored.LinkGeneration, stored.ExpiresAt, err)
		}
	}}
	got, err := f.resend(t, t.Context(), invs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(invs) || len(f.srv.Messages()) != len(invs) {
		t.Fatalf("%d reports, %d messages; want %d", len(got), len(f.srv.Messages()), len(invs))
	}
	for i, r := range got {
		if r.Err != nil {
			t.Fatalf("report %d: %v", i, r.Err)
		}
	}
}

// A failed delivery records nothing, but the fresh link stays saved, and a
// later resend sends it.
func TestResendBatchDeliveryFailureKeepsFreshLink(t *testing.T) {
	f := newFixture(t)
	exp := f.expired(t, 1)[0]
	pending := f.invite(t, "pending@example.com")
	f.srv.RejectRecipients(errors.New("no such mailbox"))
	got, err := f.resend(t, t.Context(), []invite.Invitation{exp, pending})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if !errors.Is(r.Err, invite.ErrNotDelivered) || invite.ErrorAbout(r.Err).ID != r.Invitation.ID {
			t.Errorf("report %d: %v (about %+v), want ErrNotDelivered about invitation %d", i, r.Err, invite.ErrorAbout(r.Err), r.Invitation.ID)
		}
	}
	saved := f.stored(t, exp.ID)
	if saved.LinkGeneration != 1 || !saved.ExpiresAt.Equal(f.clock.Now().Add(ttl)) || saved.SendCount != 0 || !saved.LastSentAt.Equal(exp.LastSentAt) {
		t.Errorf("after the failure: %+v", saved)
	}
	if p := f.stored(t, pending.ID); p.Version != pending.Version {
		t.Errorf("the pending invitation changed: version %d, want %d", p.Version, pending.Version)
	}
	for _, d := range append(f.auditDetails(t, exp.ID), f.auditDetails(t, pending.ID)...) {
		if strings.HasPrefix(d, "sent") {
			t.Errorf("an undelivered email was recorded: %q", d)
		}
	}

	f.srv.RejectRecipients(nil)
	if _, plan, err := f.svc.Resend(t.Context(), "admin", saved); err != nil || plan != invite.PlanReuseLink {
		t.Fatalf("the later resend: %v, %v", plan, err)
	}
	if msgs := f.srv.Messages(); len(msgs) != 1 || tokenIn(t, msgs[0]) != f.svc.Links.Token(exp.ID, 1) {
		t.Error("the later resend did not send the saved link")
	}
}

// An invitation edited since it was read is reported and left as edited;
// the others are sent.
func TestResendBatchConflictGoesOn(t *testing.T) {
	f := newFixture(t)
	invs := f.expired(t, 3)
	name := "Edith"
	if _, _, err := f.svc.Edit(t.Context(), "admin", invs[1].ID, invite.Patch{FirstName: &name}, nil, 0); err != nil {
		t.Fatal(err)
	}
	got, err := f.resend(t, t.Context(), invs)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Err != nil || got[2].Err != nil || !errors.Is(got[1].Err, invite.ErrEditedMeanwhile) {
		t.Fatalf("errors %v, %v, %v; want only the edited one to conflict", got[0].Err, got[1].Err, got[2].Err)
	}
	if e := f.stored(t, invs[1].ID); e.FirstName != name || e.LinkGeneration != 0 {
		t.Errorf("the edited invitation: %+v", e)
	}
	if msgs := f.srv.Messages(); len(msgs) != 2 || msgs[0].To[0] != invs[0].Email || msgs[1].To[0] != invs[2].Email {
		t.Errorf("messages %v", msgs)
	}
}

// An edit between the saved link and the record of the sending wins: the
// email is out, but its record is not written over the edit, and the
// report says so.
func TestResendBatchRecordConflict(t *testing.T) {
	f := newFixture(t)
	invs := f.expired(t, 3)
	name := "Edith"
	f.svc.Mailer = hookMailer{PreparingMailer: f.mail, beforeSend: func(e invite.InvitationEmail) {
		if e.To == invs[1].Email {
			if _, _, err := f.svc.Edit(context.Background(), "admin", invs[1].ID, invite.Patch{FirstName: &name}, nil, 0); err != nil {
				t.Error(err)
			}
		}
	}}
	got, err := f.resend(t, t.Context(), invs)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Err != nil || got[2].Err != nil {
		t.Fatalf("errors %v, %v", got[0].Err, got[2].Err)
	}
	if err := got[1].Err; !errors.Is(err, invite.ErrEditedMeanwhile) || !strings.Contains(err.Error(), "was delivered, but recording it failed") {
		t.Errorf("the invitation edited during its sending: %v", err)
	}
	if e := f.stored(t, invs[1].ID); e.FirstName != name || e.SendCount != 0 || e.LinkGeneration != 1 {
		t.Errorf("the edited invitation: %+v", e)
	}
	if n := len(f.srv.Messages()); n != 3 {
		t.Errorf("%d messages, want 3", n)
	}
}

// Cancelled mid-batch: what was delivered is recorded, what was planned is
// reported as not sent with its fresh link saved, the rest is untouched.
func TestResendBatchCancelled(t *testing.T) {
	f := newFixture(t)
	invs := f.expired(t, 300)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sends := 0
	f.svc.Mailer = hookMailer{PreparingMailer: f.mail, beforeSend: func(invite.InvitationEmail) {
		if sends++; sends == 5 {
			cancel()
		}
	}}
	got, err := f.resend(t, ctx, invs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancelled", err)
	}
	if len(got) < 5 || len(got) == len(invs) {
		t.Fatalf("%d reports; want the planned ones, not all %d", len(got), len(invs))
	}
	if n := len(f.srv.Messages()); n != 4 {
		t.Fatalf("%d messages, want 4", n)
	}
	for i, r := range got {
		stored := f.stored(t, r.Invitation.ID)
		switch {
		case i < 4:
			if r.Err != nil || stored.SendCount != 1 {
				t.Errorf("delivered %d: %v, send count %d", i, r.Err, stored.SendCount)
			}
		default:
			if invite.ErrorCode(r.Err) != invite.EDELIVERY || stored.SendCount != 0 || stored.LinkGeneration != 1 {
				t.Errorf("not sent %d: %v, send count %d, generation %d", i, r.Err, stored.SendCount, stored.LinkGeneration)
			}
		}
	}
	for _, inv := range invs[len(got):] {
		if stored := f.stored(t, inv.ID); stored.Version != inv.Version {
			t.Fatalf("invitation %d was not reported but changed", inv.ID)
		}
	}
}

// recordCounter counts the deliveries the store has recorded, and can hold
// back the transactions that record them.
type recordCounter struct {
	invite.Store
	mu       sync.Mutex
	recorded int
	hold     func() // runs before a transaction with records
}

func (s *recordCounter) UpdateInvitations(ctx context.Context, changes []invite.InvitationChange) ([]invite.Invitation, []error, error) {
	records := 0
	for _, ch := range changes {
		if strings.HasPrefix(ch.Event.Detail, "sent") {
			records++
		}
	}
	if records > 0 {
		s.hold()
	}
	out, errs, err := s.Store.UpdateInvitations(ctx, changes)
	if err == nil {
		s.mu.Lock()
		s.recorded += records
		s.mu.Unlock()
	}
	return out, errs, err
}

func (s *recordCounter) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recorded
}

// However long the records take, no more than MaxUnrecordedSends emails
// are ever out without theirs.
func TestResendBatchBoundsUnrecordedSends(t *testing.T) {
	f := newFixture(t)
	invs := f.expired(t, 3*invite.MaxUnrecordedSends)
	rc := &recordCounter{Store: f.store}
	started := 0
	limit := make(chan struct{}, 1)
	// Each transaction with records waits until the sender has run as far
	// ahead as it may, or has run out of emails for a while.
	rc.hold = func() {
		select {
		case <-limit:
		case <-time.After(50 * time.Millisecond):
		}
	}
	f.svc.Store = rc
	f.svc.Mailer = hookMailer{PreparingMailer: f.mail, beforeSend: func(invite.InvitationEmail) {
		started++
		switch out := started - rc.count(); {
		case out > invite.MaxUnrecordedSends:
			t.Errorf("email %d went out with %d emails unrecorded, more than %d", started, out, invite.MaxUnrecordedSends)
		case out == invite.MaxUnrecordedSends:
			select {
			case limit <- struct{}{}:
			default:
			}
		}
	}}
	got, err := f.resend(t, t.Context(), invs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(invs) {
		t.Fatalf("%d reports, want %d", len(got), len(invs))
	}
	for i, r := range got {
		if r.Err != nil {
			t.Fatalf("report %d: %v", i, r.Err)
		}
	}
	if n := rc.count(); n != len(invs) {
		t.Errorf("%d deliveries recorded, want %d", n, len(invs))
	}
}

// Without a mailer each invitation fails as Resend fails: its fresh link is
// saved, and nothing is sent.
func TestResendBatchWithoutMailer(t *testing.T) {
	f := newFixture(t)
	exp := f.expired(t, 1)[0]
	f.svc.Mailer = nil
	got, err := f.resend(t, t.Context(), []invite.Invitation{exp})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || invite.ErrorCode(got[0].Err) != invite.EDELIVERY {
		t.Fatalf("reports %+v, want one EDELIVERY", got)
	}
	if s := f.stored(t, exp.ID); s.LinkGeneration != 1 {
		t.Errorf("generation %d, want the fresh link saved", s.LinkGeneration)
	}
}
