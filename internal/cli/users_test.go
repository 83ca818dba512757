package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/invitectl/invitectl/internal/invite"
)

func TestNewCmdUsersListFlags(t *testing.T) {
	f, _, _ := testFactory(t, newFakeStore())
	var got *UsersListOptions
	cmd := NewCmdUsersList(f, func(o *UsersListOptions) error { got = o; return nil })
	if err := execute(t, f, cmd, "--customer", "Acme AB", "--search", "åsa lind", "--page", "2", "--per-page", "5"); err != nil {
		t.Fatal(err)
	}
	if got.Customer != "Acme AB" || got.Search != "åsa lind" || got.Page != 2 || got.PerPage != 5 {
		t.Errorf("options = %+v", got)
	}
	cmd = NewCmdUsersList(f, func(*UsersListOptions) error { t.Error("ran with a bad page"); return nil })
	if err := execute(t, f, cmd, "--page", "0"); ExitCode(err) != ExitInvalid {
		t.Errorf("--page 0: %v, want exit 2", err)
	}
}

// userStore answers the users' side of the store.
type userStore struct {
	*fakeStore
	users   []invite.User
	queries []invite.UserQuery
	deleted []int64
}

func (s *userStore) FindUsers(_ context.Context, q invite.UserQuery) (invite.UserPage, error) {
	s.queries = append(s.queries, q)
	return invite.UserPage{Users: s.users, Total: len(s.users)}, nil
}

func (s *userStore) UserByEmail(_ context.Context, email string) (invite.User, error) {
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			return u, nil
		}
	}
	return invite.User{}, invite.Errorf(invite.ENOTFOUND, "no user")
}

func (s *userStore) DeleteUser(_ context.Context, id int64, ev invite.AuditEvent) error {
	s.deleted = append(s.deleted, id)
	s.audit = append(s.audit, ev)
	return nil
}

func newUserStore() *userStore {
	return &userStore{fakeStore: newFakeStore(), users: []invite.User{{ID: 3, CustomerID: 7, Customer: "Acme AB", Email: "asa@example.com",
		Details: invite.Details{FirstName: "Åsa", LastName: "Lind", PersonalNumber: "19811218-9876"}, InvitationID: 1}}}
}

func TestUsersListRunFiltersAndCSV(t *testing.T) {
	st := newUserStore()
	f, out, _ := testFactory(t, st)
	if err := execute(t, f, NewCmdUsersList(f, nil), "--customer", "acme ab", "--search", "lind", "-o", "csv"); err != nil {
		t.Fatal(err)
	}
	if q := st.queries[0]; q.CustomerID != 7 || q.Search != "lind" || q.Page != 1 || q.PerPage != invite.DefaultPerPage {
		t.Errorf("query = %+v", q)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != "id,customer,first_name,last_name,email,swedish_citizen,eu_eea_citizen,personal_number,lma_number,phone,gender,language,email_verified_at,invitation_id,created_at,last_signed_in_at" {
		t.Errorf("header = %s", lines[0])
	}
	if !strings.Contains(lines[1], "19811218-****") || strings.Contains(out.String(), "9876") {
		t.Errorf("row = %s, want the personal number masked", lines[1])
	}
	// An unknown customer is not found; a page past the end names the last page.
	err := execute(t, f, NewCmdUsersList(f, nil), "--customer", "Nobody AB")
	if ExitCode(err) != ExitNotFound {
		t.Errorf("unknown customer: %v, want exit 3", err)
	}
	err = execute(t, f, NewCmdUsersList(f, nil), "--page", "3")
	if ExitCode(err) != ExitInvalid || !strings.Contains(err.Error(), "last page is 1") {
		t.Errorf("page past the end: %v, want exit 2 naming page 1", err)
	}
}

func TestUsersDeleteRun(t *testing.T) {
	st := newUserStore()
	f, out, errOut := testFactory(t, st)
	// No terminal, no --yes: exit 6, nothing deleted.
	err := execute(t, f, NewCmdUsersDelete(f, nil), "asa@example.com")
	if ExitCode(err) != ExitCancelled || len(st.deleted) != 0 {
		t.Fatalf("without --yes: %v, deleted %v; want exit 6 and nothing", err, st.deleted)
	}
	// Several: carries on past the unknown one, exits with the highest code.
	errOut.Reset()
	err = execute(t, f, NewCmdUsersDelete(f, nil), "nobody@example.com", "ASA@example.com", "--yes")
	if ExitCode(err) != ExitNotFound || len(st.deleted) != 1 || st.deleted[0] != 3 {
		t.Fatalf("delete = %v, deleted %v; want exit 3 and user 3 deleted", err, st.deleted)
	}
	if !strings.Contains(out.String(), "Deleted the account of asa@example.com.") || !strings.Contains(errOut.String(), "no account for nobody@example.com") {
		t.Errorf("out = %q, errOut = %q", out, errOut)
	}
	if ev := st.audit[0]; ev.Action != invite.ActionUserDelete || strings.Contains(ev.Detail, "@") || strings.Contains(ev.Detail, "Åsa") {
		t.Errorf("audit event = %+v, want a deletion naming no erased data", ev)
	}
	// On a terminal: asks, and only y deletes.
	f.IO.InTTY, f.IO.OutTTY = true, true
	f.IO.In = strings.NewReader("n\n")
	out.Reset()
	err = execute(t, f, NewCmdUsersDelete(f, nil), "asa@example.com")
	if ExitCode(err) != ExitCancelled || len(st.deleted) != 1 || !strings.Contains(out.String(), "Delete the account of asa@example.com? [y/N]") {
		t.Errorf("declined: %v, %q, deleted %v", err, out, st.deleted)
	}
}
