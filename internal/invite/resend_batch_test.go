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

// resend runs a batch and returns its reports in the order of invs (the
// refused come first, then the deliveries in the order they were queued);
// an invitation with no report has a zero one.
func (f *fixture) resend(t *testing.T, ctx context.Context, invs []invite.Invitation) ([]invite.ResendResult, error) {
	t.Helper()
	byID := map[int64]invite.ResendResult{}
	err := f.svc.ResendBatch(ctx, "batcher", invs, func(r invite.ResendResult) {
		if _, twice := byID[r.Invitation.ID]; twice {
			t.Errorf("invitation %d reported twice", r.Invitation.ID)
		}
		byID[r.Invitation.ID] = r
	})
	var got []invite.ResendResult
	for _, inv := range invs {
		if r, ok := byID[inv.ID]; ok {
			got = append(got, r)
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
	if d := f.auditDetails(t, exp[0].ID); len(d) != 3 || !strings.HasPrefix(d[1], "new link generated, valid until") ||
		d[2] != "emailed the invitation to person000@example.com (link generation 1)" {
		t.Errorf("audit of an expired invitation: %q", d)
	}
	if d := f.auditDetails(t, pending.ID); len(d) != 3 || d[1] != "queued the same link again" || !strings.HasPrefix(d[2], "emailed the invitation") {
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
	invite.Mailer
	beforeSend func(e invite.InvitationEmail)
}

func (m hookMailer) SendInvitation(ctx context.Context, e invite.InvitationEmail) error {
	m.beforeSend(e)
	return m.Mailer.SendInvitation(ctx, e)
}

// More invitations than the batch saves links for at once: every email
// leaves with a link that is already saved, valid for one TTL from now.
func TestResendBatchSavesFreshLinksBeforeSending(t *testing.T) {
	f := newFixture(t)
	invs := f.expired(t, 250)
	now := f.clock.Now()
	f.svc.Mailer = hookMailer{Mailer: f.mail, beforeSend: func(e invite.InvitationEmail) {
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
	if saved.LinkGeneration != 1 || !saved.ExpiresAt.Equal(f.clock.Now().Add(ttl)) || saved.SendCount != 0 || !saved.LastSentAt.IsZero() ||
		saved.Delivery != invite.DeliveryFailed || !strings.Contains(saved.DeliveryError, "no such mailbox") {
		t.Errorf("after the failure: %+v", saved)
	}
	if p := f.stored(t, pending.ID); p.Delivery != invite.DeliveryFailed || p.SendCount != 0 {
		t.Errorf("the pending invitation: %+v", p)
	}
	for _, d := range append(f.auditDetails(t, exp.ID), f.auditDetails(t, pending.ID)...) {
		if strings.HasPrefix(d, "emailed") {
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

// An edit between the saved link and the record of the sending is no
// conflict: the email is out, its record is written, and the edit stays.
func TestResendBatchRecordConflict(t *testing.T) {
	f := newFixture(t)
	invs := f.expired(t, 3)
	name := "Edith"
	f.svc.Mailer = hookMailer{Mailer: f.mail, beforeSend: func(e invite.InvitationEmail) {
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
	for i, r := range got {
		if r.Err != nil {
			t.Fatalf("report %d: %v", i, r.Err)
		}
	}
	if e := f.stored(t, invs[1].ID); e.FirstName != name || e.SendCount != 1 || e.LinkGeneration != 1 || e.Delivery != invite.DeliverySent {
		t.Errorf("the edited invitation: %+v", e)
	}
	if n := len(f.srv.Messages()); n != 3 {
		t.Errorf("%d messages, want 3", n)
	}
}

// Cancelled mid-batch: the message on the wire is finished, and what was
// delivered is recorded; every other invitation already has its fresh link
// saved with its email queued, given back at once, and a later Deliver
// sends each current link once.
func TestResendBatchCancelled(t *testing.T) {
	f := newFixture(t)
	invs := f.expired(t, 300)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sends := 0
	f.svc.Mailer = hookMailer{Mailer: f.mail, beforeSend: func(invite.InvitationEmail) {
		if sends++; sends == 5 {
			cancel()
		}
	}}
	got, err := f.resend(t, ctx, invs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancelled", err)
	}
	if len(got) != 5 || len(f.srv.Messages()) != 5 {
		t.Fatalf("%d reports, %d messages; want the 4 sent before the interrupt and the 5th on the wire", len(got), len(f.srv.Messages()))
	}
	queued := 0
	for _, inv := range invs {
		st := f.stored(t, inv.ID)
		if st.LinkGeneration != 1 {
			t.Fatalf("invitation %d: generation %d, want its fresh link saved", inv.ID, st.LinkGeneration)
		}
		if st.Delivery == invite.DeliveryQueued {
			queued++
		}
	}
	if queued != 295 {
		t.Errorf("%d queued after the interrupt, want 295", queued)
	}
	// Nothing is held: a run at once sends everything left.
	f.svc.Mailer = f.mail
	sum, err := f.svc.Deliver(t.Context(), invite.DeliverRequest{Actor: "cron"})
	if err != nil || sum.Undelivered() != 0 || sum.Sent != 295 {
		t.Fatalf("deliver after the interrupt: %+v, %v", sum, err)
	}
	received := map[string]int{}
	for _, m := range f.srv.Messages() {
		received[tokenIn(t, m)]++
	}
	dup := 0
	for _, inv := range invs {
		n := received[f.svc.Links.Token(inv.ID, 1)]
		if n == 0 {
			t.Errorf("invitation %d never received its link", inv.ID)
		}
		dup += n - 1
	}
	if dup != 0 {
		t.Errorf("%d duplicates, want none", dup)
	}
}

// Without a mailer each invitation fails as Resend fails, and nothing changes.
func TestResendBatchWithoutMailer(t *testing.T) {
	f := newFixture(t)
	exp := f.expired(t, 1)[0]
	f.svc.Mailer = nil
	got, err := f.resend(t, t.Context(), []invite.Invitation{exp})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !errors.Is(got[0].Err, invite.ErrNoMailer) {
		t.Fatalf("reports %+v, want one ErrNoMailer", got)
	}
	if s := f.stored(t, exp.ID); s.LinkGeneration != 0 || s.Delivery != invite.DeliveryNone {
		t.Errorf("generation %d, delivery %s: want nothing changed", s.LinkGeneration, s.Delivery)
	}
}
