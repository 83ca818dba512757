package storetest

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

func testFindUsers(t *testing.T, s invite.Store) {
	ctx := t.Context()
	a := MustCreateCustomer(t, s, "Alfa AB")
	b := MustCreateCustomer(t, s, "Beta AB")
	names := []struct{ first, last, email string }{
		{"Åsa", "Lind", "asa@example.com"}, {"Bo", "Lindqvist", "bo@example.com"},
		{"Cecilia", "Ek", "CILLA@Example.com"}, {"Dan", "Åström", "dan@example.org"},
	}
	var users []invite.User
	for i, n := range names {
		c := []invite.Customer{a, b}[i%2]
		inv := MustCreateInvitation(t, s, NewInvitation(c, n.email, n.first, n.last))
		users = append(users, MustAccept(t, s, inv, T0))
	}
	find := func(q invite.UserQuery) ([]int64, int) {
		t.Helper()
		if q.Page == 0 {
			q.Page, q.PerPage = 1, 10
		}
		p, err := s.FindUsers(ctx, q)
		if err != nil {
			t.Fatalf("FindUsers(%+v): %v", q, err)
		}
		var got []int64
		for _, u := range p.Users {
			got = append(got, u.ID)
		}
		return got, p.Total
	}
	id := func(i ...int) []int64 {
		var out []int64
		for _, j := range i {
			out = append(out, users[j].ID)
		}
		return out
	}
	for _, tc := range []struct {
		q    invite.UserQuery
		want []int64
	}{
		{invite.UserQuery{}, id(0, 1, 2, 3)},
		{invite.UserQuery{CustomerID: a.ID}, id(0, 2)},
		{invite.UserQuery{Search: "LIND"}, id(0, 1)},
		{invite.UserQuery{Search: "lind bo"}, id(1)},
		{invite.UserQuery{Search: "åS"}, id(0, 3)},
		{invite.UserQuery{Search: "cilla@example"}, id(2)},
		{invite.UserQuery{Search: "lind", CustomerID: b.ID}, id(1)},
		{invite.UserQuery{Search: "%"}, nil},
	} {
		got, total := find(tc.q)
		if !slices.Equal(got, tc.want) || total != len(tc.want) {
			t.Errorf("FindUsers(%+v) = %v (total %d), want %v", tc.q, got, total, tc.want)
		}
	}
	// Pages of a search and of a customer.
	got, total := find(invite.UserQuery{Search: "example", Page: 2, PerPage: 2})
	if !slices.Equal(got, id(2, 3)) || total != 4 {
		t.Errorf("page 2 of a search = %v (total %d), want %v of 4", got, total, id(2, 3))
	}
	got, total = find(invite.UserQuery{CustomerID: b.ID, Page: 2, PerPage: 1})
	if !slices.Equal(got, id(3)) || total != 2 {
		t.Errorf("page 2 of a customer = %v (total %d), want %v of 2", got, total, id(3))
	}
	_, err := s.FindUsers(ctx, invite.UserQuery{Page: 1, PerPage: invite.MaxPerPage + 1})
	wantCode(t, err, invite.EINVALID)

	u, err := s.UserByEmail(ctx, " cilla@EXAMPLE.com")
	if err != nil || u.ID != users[2].ID {
		t.Errorf("UserByEmail = %d, %v; want user %d", u.ID, err, users[2].ID)
	}
	_, err = s.UserByEmail(ctx, "nobody@example.com")
	wantCode(t, err, invite.ENOTFOUND)
}

// erasedValues are the personal data of fullInvitation, as stored.
var erasedValues = []string{"Åsa", "Öberg-Lind", "20080212-2390", "200802122390", "LMA-123/45", "+46701234567"}

// assertErased checks that an invitation holds nothing of its personal
// data and says what it was.
func assertErased(tb testing.TB, s invite.Store, id int64) {
	tb.Helper()
	inv := MustInvitation(tb, s, id)
	if inv.State != invite.StatePurged || inv.Email != "" || inv.Details != (invite.Details{}) || inv.DeliveryError != "" {
		tb.Errorf("invitation %d after erasure = %+v, want purged with no email or details", id, inv)
	}
	if inv.Customer == "" || inv.CreatedAt.IsZero() || inv.ExpiresAt.IsZero() {
		tb.Errorf("invitation %d lost what counting needs: %+v", id, inv)
	}
	for _, ev := range mustAudit(tb, s, id) {
		if strings.Contains(ev.Detail, "@") || strings.Contains(ev.Actor, "@") {
			tb.Errorf("audit event %+v of erased invitation %d still names an email", ev, id)
		}
	}
}

func testDeleteUser(t *testing.T, s invite.Store) {
	ctx := t.Context()
	c := MustCreateCustomer(t, s, "Alfa AB")
	inv := MustCreateInvitation(t, s, fullInvitation(c, "Asa.Lind@example.com"))
	other := MustAccept(t, s, MustCreateInvitation(t, s, NewInvitation(c, "bo@example.com", "Bo", "Ek")), T0)
	u := NewUser(inv, T0.Add(time.Hour))
	upd := inv
	upd.State, upd.AcceptedAt = invite.StateAccepted, u.CreatedAt
	sess := NewSession("asa", u.CreatedAt)
	if err := s.Accept(ctx, upd, &u, sess, invite.AuditEvent{At: u.CreatedAt, Actor: inv.Email, Action: invite.ActionAccept, InvitationID: inv.ID, Detail: "account created"}); err != nil {
		t.Fatal(err)
	}
	ev := invite.AuditEvent{At: T0.Add(2 * time.Hour), Actor: "admin", Action: invite.ActionUserDelete, InvitationID: inv.ID, Detail: "deleted user"}
	if err := s.DeleteUser(ctx, u.ID, ev); err != nil {
		t.Fatal(err)
	}
	assertUsers(t, s, []invite.User{other})
	if _, err := s.SessionUser(ctx, sess.IDHash, u.CreatedAt); invite.ErrorCode(err) != invite.ENOTFOUND {
		t.Errorf("the deleted user's session still answers: %v", err)
	}
	assertErased(t, s, inv.ID)
	evs := mustAudit(t, s, inv.ID)
	if last := evs[len(evs)-1]; last.Action != invite.ActionUserDelete {
		t.Errorf("last audit event = %+v, want the deletion", last)
	}
	// Gone from every list but purged; the email is free again.
	if p := mustList(t, s, invite.ListQuery{Status: invite.FilterAll, Page: 1, PerPage: 10, Now: T0}); p.Total != 1 {
		t.Errorf("list all = %d invitations, want only Bo's", p.Total)
	}
	if p := mustList(t, s, invite.ListQuery{Status: invite.FilterPurged, Page: 1, PerPage: 10, Now: T0}); p.Total != 1 || p.Invitations[0].ID != inv.ID {
		t.Errorf("list purged = %+v, want invitation %d", p, inv.ID)
	}
	again := MustCreateInvitation(t, s, NewInvitation(c, "asa.lind@example.com", "Åsa", "Lind"))
	if again.ID == inv.ID {
		t.Errorf("a new invitation reused ID %d", inv.ID)
	}
	wantCode(t, s.DeleteUser(ctx, u.ID, ev), invite.ENOTFOUND)
}

func testPurge(t *testing.T, s invite.Store) {
	ctx := t.Context()
	c := MustCreateCustomer(t, s, "Alfa AB")
	day := 24 * time.Hour
	// Accepted 10 days after T0, revoked 20 days after, expired a year after,
	// and one pending, one accepted recently.
	acc := MustCreateInvitation(t, s, fullInvitation(c, "acc@example.com"))
	accUser := MustAccept(t, s, acc, T0.Add(10*day))
	rev := MustCreateInvitation(t, s, fullInvitation(c, "rev@example.com"))
	r := rev
	r.State, r.RevokedAt = invite.StateRevoked, T0.Add(20*day)
	if _, err := s.UpdateInvitation(ctx, r, event(invite.ActionRevoke, rev.ID, "revoked invitation for rev@example.com")); err != nil {
		t.Fatal(err)
	}
	exp := fullInvitation(c, "exp@example.com")
	exp.ExpiresAt = T0.Add(30 * day)
	exp = MustCreateInvitation(t, s, exp)
	pending := MustCreateInvitation(t, s, fullInvitation(c, "pending@example.com"))
	recent := MustCreateInvitation(t, s, NewInvitation(c, "recent@example.com", "Ny", "Användare"))
	MustAccept(t, s, recent, T0.Add(100*day))

	now := T0.Add(120 * day)
	ev := invite.AuditEvent{At: now, Actor: "admin", Action: invite.ActionPurge}
	// Older than 95 days: before day 25 — the accepted and the revoked.
	res, err := s.Purge(ctx, now.Add(-95*day), now, ev, true)
	if err != nil || res.Counts != (invite.PurgeCounts{Accepted: 1, Revoked: 1}) {
		t.Fatalf("dry run = %+v, %v; want 1 accepted, 1 revoked", res, err)
	}
	if got := MustInvitation(t, s, acc.ID); got.State != invite.StateAccepted || got.Email != acc.Email {
		t.Fatalf("a dry run changed invitation %d: %+v", acc.ID, got)
	}
	events := len(mustAudit(t, s, 0))
	// Older than 85 days: before day 35 — the expired too.
	res, err = s.Purge(ctx, now.Add(-85*day), now, ev, false)
	if err != nil || res.Counts != (invite.PurgeCounts{Accepted: 1, Revoked: 1, Expired: 1}) {
		t.Fatalf("purge = %+v, %v; want one of each", res, err)
	}
	for _, id := range []int64{acc.ID, rev.ID, exp.ID} {
		assertErased(t, s, id)
	}
	if got := MustInvitation(t, s, pending.ID); got.State != invite.StatePending || got.Email != pending.Email {
		t.Errorf("the pending invitation was changed: %+v", got)
	}
	if got := MustInvitation(t, s, recent.ID); got.State != invite.StateAccepted {
		t.Errorf("the recent accepted invitation was changed: %+v", got)
	}
	evs := mustAudit(t, s, 0)
	if len(evs) != events+1 || evs[len(evs)-1].Action != invite.ActionPurge || !strings.Contains(evs[len(evs)-1].Detail, "3") {
		t.Errorf("audit after purge = %+v, want one purge event with the counts", evs[events:])
	}
	// The account keeps its own copy.
	users, err := s.FindUsers(ctx, invite.UserQuery{Search: "acc@example.com", Page: 1, PerPage: 10})
	if err != nil || users.Total != 1 || users.Users[0].ID != accUser.ID {
		t.Errorf("the account of a purged invitation = %+v, %v; want it kept", users, err)
	}
	// Lists: only --status purged shows them, and the counts agree with the rows.
	for _, f := range []invite.StatusFilter{invite.FilterOpen, invite.FilterPending, invite.FilterExpired, invite.FilterAccepted, invite.FilterRevoked, invite.FilterAll} {
		for _, inv := range mustList(t, s, invite.ListQuery{Status: f, Page: 1, PerPage: 100, Now: now}).Invitations {
			if inv.State == invite.StatePurged {
				t.Errorf("list --status %s shows purged invitation %d", f, inv.ID)
			}
		}
	}
	p := mustList(t, s, invite.ListQuery{Status: invite.FilterPurged, Page: 1, PerPage: 100, Now: now})
	if p.Total != 3 || len(p.Invitations) != 3 {
		t.Errorf("list --status purged = %d of %d, want 3", len(p.Invitations), p.Total)
	}
	if p := mustList(t, s, invite.ListQuery{Status: invite.FilterAll, Page: 1, PerPage: 100, Now: now}); p.Total != 2 || len(p.Invitations) != 2 {
		t.Errorf("list --status all = %d of %d, want 2", len(p.Invitations), p.Total)
	}
	// The search index forgot them.
	if p := mustList(t, s, invite.ListQuery{Status: invite.FilterPurged, Search: "example", Page: 1, PerPage: 100, Now: now}); p.Total != 0 {
		t.Errorf("a search finds %d purged invitations", p.Total)
	}
	// A second purge finds nothing more.
	res, err = s.Purge(ctx, now.Add(-85*day), now, ev, false)
	if err != nil || res.Counts.Total() != 0 {
		t.Errorf("second purge = %+v, %v; want nothing", res, err)
	}
	if n := len(mustAudit(t, s, 0)); n != events+1 {
		t.Errorf("a purge of nothing wrote an audit event")
	}
}

// After a purge the database holds none of the erased values: on SQLite
// neither its file nor its WAL (read as bytes); on every store no read.
func testPurgeLeavesNoTrace(t *testing.T, s invite.Store) {
	ctx := t.Context()
	c := MustCreateCustomer(t, s, "Alfa AB")
	var ids []int64
	for i, email := range []string{"erase.me@example.com", "erase.too@example.com"} {
		inv := MustCreateInvitation(t, s, fullInvitation(c, email))
		if i == 0 {
			MustAccept(t, s, inv, T0)
			// The account goes too, so that nothing holds the data any more.
			u, err := s.UserByEmail(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteUser(ctx, u.ID, event(invite.ActionUserDelete, inv.ID, "deleted")); err != nil {
				t.Fatal(err)
			}
		} else {
			r := inv
			r.State, r.RevokedAt = invite.StateRevoked, T0
			if _, err := s.UpdateInvitation(ctx, r, event(invite.ActionRevoke, inv.ID, "revoked invitation for "+email)); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, inv.ID)
	}
	now := T0.Add(48 * time.Hour)
	if _, err := s.Purge(ctx, now.Add(-time.Hour), now, invite.AuditEvent{At: now, Actor: "admin", Action: invite.ActionPurge}, false); err != nil {
		t.Fatal(err)
	}
	values := append([]string{"erase.me@example.com", "erase.too@example.com"}, erasedValues...)
	for _, id := range ids {
		assertErased(t, s, id)
	}
	var text strings.Builder
	for _, ev := range mustAudit(t, s, 0) {
		text.WriteString(ev.Actor + " " + ev.Detail + "\n")
	}
	for _, v := range values {
		if strings.Contains(text.String(), v) {
			t.Errorf("the audit log still holds %q", v)
		}
	}
	file, ok := s.(interface{ Path() string })
	if !ok || file.Path() == "" {
		return // a server: its files are not ours to read (docs/security.md)
	}
	for _, name := range []string{file.Path(), file.Path() + "-wal"} {
		b, err := os.ReadFile(name)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			if bytes.Contains(b, []byte(v)) || bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(v))) {
				t.Errorf("%s still holds %q after the purge", name, v)
			}
		}
	}
}
