package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/invitectl/invitectl/internal/invite"
)

// These tests take commands apart as gh's do: the constructor with a runF
// that captures the options (flag parsing), and the run function with a fake
// store (behaviour). The scripts in testdata/script run them whole.

var cmdNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// testFactory is a factory over a hermetic environment whose Store and
// Service are fakes; out and errOut collect what commands print.
func testFactory(t *testing.T, st invite.Store) (f *Factory, out, errOut *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{"HOME": dir, "XDG_DATA_HOME": filepath.Join(dir, "data"), "XDG_CONFIG_HOME": filepath.Join(dir, "config")}
	out, errOut = &bytes.Buffer{}, &bytes.Buffer{}
	f = newFactory(Env{
		Getenv: func(k string) string { return env[k] }, Username: "tester", Now: func() time.Time { return cmdNow },
		IO: IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut},
	})
	f.Store = func(context.Context) (invite.Store, error) { return st, nil }
	f.Service = func(context.Context) (*invite.Service, error) {
		return &invite.Service{Store: st, Links: fakeLinks{}, Now: f.Now}, nil
	}
	f.MailingService = func(context.Context) (*invite.Service, error) {
		return nil, errors.New("this test does not send mail")
	}
	return f, out, errOut
}

// execute runs cmd under a root with the global flags, as Main does.
func execute(t *testing.T, f *Factory, cmd *cobra.Command, args ...string) error {
	t.Helper()
	root := &cobra.Command{Use: "invitectl", SilenceUsage: true, SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return f.init(cmd) }}
	addGlobalFlags(root.PersistentFlags())
	root.AddCommand(cmd)
	root.SetArgs(append([]string{cmd.Name()}, args...))
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	return root.ExecuteContext(context.Background())
}

// parseOptions runs newCmd's flag parsing with args and returns the options
// its run function would get. With code non-zero it asserts the command is
// refused with that exit code before running, and returns nil.
func parseOptions[T any](t *testing.T, newCmd func(*Factory, func(*T) error) *cobra.Command, code int, args ...string) *T {
	t.Helper()
	f, _, _ := testFactory(t, nil)
	var got *T
	err := execute(t, f, newCmd(f, func(o *T) error { got = o; return nil }), args...)
	if code != 0 {
		if ExitCode(err) != code || got != nil {
			t.Fatalf("err %v (exit %d), ran %v; want exit %d before running", err, ExitCode(err), got != nil, code)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return got
}

type fakeLinks struct{}

func (fakeLinks) Token(id int64, gen int) string   { return "tok" }
func (fakeLinks) Verify(string) (int64, int, bool) { return 0, 0, false }

// fakeStore is an invite.Store whose methods a test sets; any other method
// panics (the embedded interface is nil), so a test states what it uses.
type fakeStore struct {
	invite.Store
	invitations map[int64]invite.Invitation
	customers   []invite.Customer
	updates     []invite.Invitation
	audit       []invite.AuditEvent
	lists       []invite.ListQuery
}

func (s *fakeStore) Invitation(_ context.Context, id int64) (invite.Invitation, error) {
	inv, ok := s.invitations[id]
	if !ok {
		return inv, invite.Errorf(invite.ENOTFOUND, "no invitation %d", id)
	}
	return inv, nil
}

func (s *fakeStore) CustomerByName(_ context.Context, name string) (invite.Customer, error) {
	for _, c := range s.customers {
		if strings.EqualFold(c.Name, name) {
			return c, nil
		}
	}
	return invite.Customer{}, invite.Errorf(invite.ENOTFOUND, "no customer %q", name)
}

func (s *fakeStore) UpdateInvitation(_ context.Context, inv invite.Invitation, ev invite.AuditEvent) (invite.Invitation, error) {
	inv.Version++
	s.updates = append(s.updates, inv)
	s.audit = append(s.audit, ev)
	s.invitations[inv.ID] = inv
	return inv, nil
}

func (s *fakeStore) AddAudit(_ context.Context, ev invite.AuditEvent) error {
	s.audit = append(s.audit, ev)
	return nil
}

func (s *fakeStore) ListInvitations(_ context.Context, q invite.ListQuery) (invite.InvitationPage, error) {
	s.lists = append(s.lists, q)
	var page invite.InvitationPage
	for _, inv := range s.invitations {
		page.Invitations = append(page.Invitations, inv)
	}
	page.Total = len(page.Invitations)
	return page, nil
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		customers: []invite.Customer{{ID: 7, Name: "Acme AB"}},
		invitations: map[int64]invite.Invitation{1: {
			ID: 1, CustomerID: 7, Customer: "Acme AB", Email: "asa@example.com",
			Details: invite.Details{FirstName: "Åsa", LastName: "Lind", PersonalNumber: "198112189876"},
			State:   invite.StatePending, Language: "sv", Version: 2,
			CreatedAt: cmdNow.Add(-time.Hour), LastSentAt: cmdNow.Add(-time.Hour), ExpiresAt: cmdNow.AddDate(1, 0, 0),
		}},
	}
}

func TestNewCmdListFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want ListOptions
		code int // exit code when it fails
	}{
		{args: nil, want: ListOptions{Sort: invite.DefaultSort, Status: invite.FilterOpen, Page: 1, PerPage: 20}},
		{args: []string{"--sort", "last-name:desc", "--status", "EXPIRED", "--customer", "Acme AB", "--search", "  lind ", "--page", "3", "--per-page", "50"},
			want: ListOptions{Sort: invite.Sort{Field: invite.SortLastName, Desc: true}, Status: invite.FilterExpired, Customer: "Acme AB", Search: "lind", Page: 3, PerPage: 50}},
		{args: []string{"--sort", "age"}, code: ExitInvalid},
		{args: []string{"--status", "gone"}, code: ExitInvalid},
		{args: []string{"--page", "0"}, code: ExitInvalid},
		{args: []string{"--per-page", "1001"}, code: ExitInvalid},
		{args: []string{"extra"}, code: ExitInvalid},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := parseOptions(t, NewCmdList, tc.code, tc.args...)
			if got == nil {
				return
			}
			if got.Sort != tc.want.Sort || got.Status != tc.want.Status || got.Customer != tc.want.Customer ||
				got.Search != tc.want.Search || got.Page != tc.want.Page || got.PerPage != tc.want.PerPage {
				t.Errorf("options %+v, want %+v", got, tc.want)
			}
			if got.Output != "table" || got.Actor != "tester" || got.Now == nil || got.IO == nil {
				t.Errorf("common options %+v", got.common)
			}
		})
	}
}

func TestListRunMasksAndFiltersByCustomer(t *testing.T) {
	st := newFakeStore()
	f, out, _ := testFactory(t, st)
	opts := &ListOptions{common: common{IO: f.IO, Now: f.Now, Output: "json"}, Service: f.Service,
		Sort: invite.DefaultSort, Status: invite.FilterOpen, Customer: "acme ab", Page: 1, PerPage: 20}
	if err := listRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if len(st.lists) != 1 || st.lists[0].CustomerID != 7 || !st.lists[0].Now.Equal(cmdNow) {
		t.Fatalf("store asked %+v", st.lists)
	}
	var v struct {
		Invitations []map[string]any
		Total       int
	}
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.Total != 1 || v.Invitations[0]["personal_number"] != "19811218-****" || v.Invitations[0]["status"] != "pending" {
		t.Errorf("output %s", out)
	}
	opts.Customer = "Nope AB"
	if err := listRun(context.Background(), opts); !errors.Is(err, invite.ErrCustomerUnknown) {
		t.Errorf("unknown customer: %v", err)
	}
}

func TestNewCmdInviteChoosesTheMailer(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		mailing  bool
		wantCode int
	}{
		{args: []string{"--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek"}, mailing: true},
		{args: []string{"--customer", "Acme AB", "--email", "a@example.com", "--first-name", "Anna", "--last-name", "Ek", "--no-send"}},
	} {
		f, _, _ := testFactory(t, nil)
		var plain, mailing int
		f.Service = func(context.Context) (*invite.Service, error) { plain++; return nil, nil }
		f.MailingService = func(context.Context) (*invite.Service, error) { mailing++; return nil, nil }
		var got *InviteOptions
		err := execute(t, f, NewCmdInvite(f, func(o *InviteOptions) error { got = o; return nil }), tc.args...)
		if tc.wantCode != 0 {
			if ExitCode(err) != tc.wantCode {
				t.Errorf("%v: exit %d, want %d", tc.args, ExitCode(err), tc.wantCode)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := got.Service(context.Background()); err != nil {
			t.Fatal(err)
		}
		if (mailing == 1) != tc.mailing || plain+mailing != 1 {
			t.Errorf("%v: plain %d, mailing %d", tc.args, plain, mailing)
		}
		if got.Details.FirstName == nil || *got.Details.FirstName != "Anna" || got.Details.Phone != nil {
			t.Errorf("%v: details %+v", tc.args, got.Details)
		}
	}
}

func TestNewCmdEditFlags(t *testing.T) {
	got := parseOptions(t, NewCmdEdit, 0, "a@example.com", "--customer", "Acme AB", "--phone", "", "--language", "en", "--if-version", "3")
	if got.Ref != "a@example.com" || got.Customer != "Acme AB" || got.IfVersion != 3 || got.Language == nil || *got.Language != "en" ||
		got.Details.Phone == nil || *got.Details.Phone != "" || got.Details.LastName != nil || got.Editor != "vi" {
		t.Errorf("options %+v", got)
	}
	parseOptions(t, NewCmdEdit, ExitInvalid, "1", "--email", "b@example.com")
	// Nothing to change and no terminal to open an editor on.
	parseOptions(t, NewCmdEdit, ExitInvalid, "1")
}

func TestRevokeRun(t *testing.T) {
	st := newFakeStore()
	f, out, errOut := testFactory(t, st)
	opts := &RevokeOptions{common: common{IO: f.IO, Now: f.Now, Output: "table", Actor: "boss"}, Service: f.Service, Refs: []string{"1"}}
	// No terminal, no --yes: cancelled, nothing changed.
	if err := revokeRun(context.Background(), opts); ExitCode(err) != ExitCancelled || len(st.updates) != 0 {
		t.Fatalf("exit %d, %d updates\n%s", ExitCode(err), len(st.updates), errOut)
	}
	opts.Yes = true
	opts.Refs = []string{"1", "99"}
	err := revokeRun(context.Background(), opts)
	if ExitCode(err) != ExitNotFound {
		t.Errorf("exit %d, want the not-found of REF 99", ExitCode(err))
	}
	if len(st.updates) != 1 || st.updates[0].State != invite.StateRevoked || st.audit[0].Actor != "boss" {
		t.Fatalf("updates %+v, audit %+v", st.updates, st.audit)
	}
	if !strings.Contains(out.String(), "Revoked invitation 1 for asa@example.com.") {
		t.Errorf("stdout %q", out)
	}
	// Revoked already: conflict, and still one update.
	opts.Refs = []string{"1"}
	if err := revokeRun(context.Background(), opts); !errors.Is(err, invite.ErrAlreadyResolved) && ExitCode(err) != ExitConflict {
		t.Errorf("second revoke: %v", err)
	}
}

func TestShowRunRevealIsAudited(t *testing.T) {
	st := newFakeStore()
	f, out, _ := testFactory(t, st)
	opts := &ShowOptions{common: common{IO: f.IO, Now: f.Now, Output: "json", Actor: "auditor"}, Service: f.Service, Ref: "1"}
	if err := showRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"personal_number": "19811218-****"`) || len(st.audit) != 0 {
		t.Fatalf("masked show: %s (audit %v)", out, st.audit)
	}
	out.Reset()
	opts.Reveal = true
	if err := showRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"personal_number": "198112189876"`) || len(st.audit) != 1 || st.audit[0].Actor != "auditor" {
		t.Fatalf("revealed show: %s (audit %v)", out, st.audit)
	}
}

func TestNewCmdResendFlags(t *testing.T) {
	got := parseOptions(t, NewCmdResend, 0, "--expired", "--customer", "Acme AB", "--dry-run")
	if !got.Expired || !got.DryRun || got.Customer != "Acme AB" || len(got.Refs) != 0 {
		t.Errorf("options %+v", got)
	}
	for _, args := range [][]string{nil, {"1", "--expired"}} {
		parseOptions(t, NewCmdResend, ExitInvalid, args...)
	}
}

func TestNewCmdSeedBounds(t *testing.T) {
	got := parseOptions(t, NewCmdSeed, 0, "--customers", "3", "--invitations", "0", "--seed-value", "9")
	if got.Customers != 3 || got.Invitations != 0 || got.SeedValue != 9 {
		t.Errorf("options %+v", got)
	}
	for _, args := range [][]string{{"--customers", "0"}, {"--invitations", "-1"}, {"--invitations", "10000001"}} {
		parseOptions(t, NewCmdSeed, ExitInvalid, args...)
	}
}

func TestCommonOptionsColour(t *testing.T) {
	f, _, _ := testFactory(t, nil)
	f.IO.OutTTY = true
	var got *VersionOptions
	capture := func(o *VersionOptions) error { got = o; return nil }
	for _, tc := range []struct {
		args  []string
		env   map[string]string
		color bool
	}{
		{nil, nil, true},
		{[]string{"--no-color"}, nil, false},
		{nil, map[string]string{"NO_COLOR": "1"}, false},
		{nil, map[string]string{"NO_COLOR": ""}, true}, // no-color.org: only a non-empty value counts
		{nil, map[string]string{"TERM": "dumb"}, false},
	} {
		f.env.Getenv = func(k string) string { return tc.env[k] }
		if err := execute(t, f, NewCmdVersion(f, capture), tc.args...); err != nil {
			t.Fatal(err)
		}
		if got.Color != tc.color {
			t.Errorf("%v %v: colour %v, want %v", tc.args, tc.env, got.Color, tc.color)
		}
	}
}

func TestVersionRun(t *testing.T) {
	var out bytes.Buffer
	opts := &VersionOptions{common: common{IO: &IOStreams{Out: &out}, Output: "json"}, Version: "1.2.3", Commit: "abc", Date: "today"}
	if err := versionRun(opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"version": "1.2.3"`) {
		t.Errorf("%s", out.String())
	}
}

// interruptingStore cancels the run after its first batch of invitations.
type interruptingStore struct {
	*fakeStore
	cancel   context.CancelFunc
	inserted int
}

func (s *interruptingStore) CreateCustomer(_ context.Context, c *invite.Customer, _ invite.AuditEvent) error {
	c.ID = int64(len(s.customers) + 1)
	s.customers = append(s.customers, *c)
	return nil
}

// LoadInvitations stores the first batch and is interrupted while it does.
func (s *interruptingStore) LoadInvitations(ctx context.Context, batches iter.Seq[[]invite.Invitation]) (int, error) {
	for invs := range batches {
		s.inserted += len(invs)
		s.cancel()
		break
	}
	return s.inserted, ctx.Err()
}

// Ctrl-C during seed says what it left, and is exit 6, not "context canceled".
func TestSeedRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &interruptingStore{fakeStore: &fakeStore{invitations: map[int64]invite.Invitation{}}, cancel: cancel}
	f, _, _ := testFactory(t, st)
	opts := &SeedOptions{common: common{IO: f.IO, Now: f.Now, Output: "table"}, Service: f.Service,
		Customers: 2, Invitations: 400000, SeedValue: 1}
	err := seedRun(ctx, opts)
	if ExitCode(err) != ExitCancelled || err.Error() != "seeded 50,000 of 400,000 invitations before the interrupt" || st.inserted != 50000 {
		t.Fatalf("exit %d: %v (inserted %d)", ExitCode(err), err, st.inserted)
	}
}

func TestHintsSuggestTheNearestSortField(t *testing.T) {
	_, err := invite.ParseSort("emial:desc")
	if h := hintFor(err); !strings.HasPrefix(h, "did you mean --sort email?") {
		t.Errorf("hint %q", h)
	}
	_, err = invite.ParseSort("zzz")
	if h := hintFor(err); strings.Contains(h, "did you mean") || !strings.Contains(h, "sent-on") {
		t.Errorf("hint %q", h)
	}
}

// Every domain sentinel the command line explains has a hint, and none of
// the domain's messages names a command.
func TestEveryHintedErrorHasAHint(t *testing.T) {
	for _, h := range hints {
		if got := hintFor(h.kind.With(invite.About{ID: 3, Name: "x@example.com", LastPage: 2, Total: 30, PerPage: 20})); got == "" {
			t.Errorf("%v: no hint", h.kind)
		}
		if strings.Contains(h.kind.Message, "invitectl") || strings.Contains(h.kind.Message, "--") {
			t.Errorf("%v: the domain names a command or flag", h.kind)
		}
	}
}

func TestNewCmdCopyAndMigrateFlags(t *testing.T) {
	got := parseOptions(t, NewCmdCopy, 0, "--from", "a.db", "--to", "postgres://h/db")
	if got.From != "a.db" || got.To != "postgres://h/db" || got.LinkSecret {
		t.Errorf("copy options %+v", got)
	}
	mig := parseOptions(t, NewCmdMigrate, 0, "--db", "x.db")
	if mig.DB != "x.db" {
		t.Errorf("migrate options %+v", mig)
	}
	// Bad values are refused before anything is opened.
	f, _, _ := testFactory(t, nil)
	for _, args := range [][]string{{"--to", "y.db"}, {"--from", "mysql://h/db", "--to", "y.db"}} {
		if err := copyRun(context.Background(), &CopyOptions{common: common{IO: f.IO, Output: "table"}, From: argOf(args, "--from"), To: argOf(args, "--to")}); ExitCode(err) != ExitInvalid {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func argOf(args []string, flag string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			return args[i+1]
		}
	}
	return ""
}

func TestNewCmdPurgeFlags(t *testing.T) {
	got := parseOptions(t, NewCmdPurge, 0, "--older-than", "1.5d", "--dry-run", "-y")
	if got.OlderThan != 36*time.Hour || !got.DryRun || !got.Yes {
		t.Errorf("options %+v", got)
	}
	for _, args := range [][]string{nil, {"--older-than", "0d"}, {"--older-than", "-5h"}, {"--older-than", "x"}} {
		parseOptions(t, NewCmdPurge, ExitInvalid, args...)
	}
}
