package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/store/postgres/pgtest"
	"github.com/invitectl/invitectl/internal/store/storetest"
)

// migrated returns the URL of a fresh schema with the current migrations.
func migrated(tb testing.TB) string {
	tb.Helper()
	url := pgtest.Schema(tb, os.Getenv)
	v, err := Migrate(tb.Context(), url)
	if err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	if v != SchemaVersion() {
		tb.Fatalf("Migrate returned version %d, want %d", v, SchemaVersion())
	}
	return url
}

func mustOpen(tb testing.TB, url string) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) invite.Store { return mustOpen(t, migrated(t)) })
}

func TestEmbeddedMigrationsLoad(t *testing.T) {
	if SchemaVersion() < 1 {
		t.Fatalf("SchemaVersion() = %d, want at least 1", SchemaVersion())
	}
	for _, fsys := range []fstest.MapFS{
		{"init.sql": {}},
		{"0001_a.sql": {}, "0003_c.sql": {}},
		{"0001_a.sql": {}, "1_b.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("loadMigrations(%v) accepted bad names", fsys)
		}
	}
}

// Other commands refuse a database that `invitectl migrate` has not
// prepared, saying so.
func TestOpenRefusesUnmigratedSchema(t *testing.T) {
	url := pgtest.Schema(t, os.Getenv)
	s, err := Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatal("Open on an empty schema succeeded")
	}
	var de *invite.Error
	if !errors.As(err, &de) || de.Code != invite.EINTERNAL {
		t.Fatalf("Open on an empty schema: %v, want an EINTERNAL invite.Error", err)
	}
	if !strings.Contains(de.Hint, "invitectl migrate") {
		t.Errorf("hint %q does not say to run `invitectl migrate`", de.Hint)
	}
	if _, err := Migrate(t.Context(), url); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, url)
}

// A schema migrated by a newer release is refused too, with another hint.
func TestOpenRefusesNewerSchema(t *testing.T) {
	url := migrated(t)
	s := mustOpen(t, url)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version, name) VALUES ($1, 'future.sql')`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), url)
	if invite.ErrorCode(err) != invite.EINTERNAL || !strings.Contains(err.Error(), "newer") || !strings.Contains(invite.ErrorHint(err), "upgrade") {
		t.Fatalf("Open on a newer schema: %v (hint %q), want a refusal asking to upgrade", err, invite.ErrorHint(err))
	}
	if _, err := Migrate(t.Context(), url); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate on a newer schema: %v, want a refusal", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := Open(t.Context(), "postgres://user:secret@[::1")
	if invite.ErrorCode(err) != invite.EINVALID {
		t.Fatalf("Open with a broken URL: %v, want EINVALID", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
}

// Two instances starting together: both succeed, the migrations are applied
// once, and the schema is complete.
func TestMigrateConcurrently(t *testing.T) {
	url := pgtest.Schema(t, os.Getenv)
	var wg sync.WaitGroup
	versions := make([]int, 2)
	errs := make([]error, 2)
	release := make(chan struct{})
	for i := range 2 {
		wg.Go(func() {
			<-release
			versions[i], errs[i] = Migrate(context.Background(), url)
		})
	}
	close(release)
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || versions[i] != SchemaVersion() {
			t.Errorf("migrator %d: version %d, %v; want %d, nil", i, versions[i], errs[i], SchemaVersion())
		}
	}
	s := mustOpen(t, url)
	assertApplied(t, s)
	// And once more, later: nothing to do.
	if v, err := Migrate(t.Context(), url); err != nil || v != SchemaVersion() {
		t.Fatalf("migrating again: %d, %v", v, err)
	}
	assertApplied(t, s)
	storetest.MustCreateCustomer(t, s, "Alfa AB")
}

// assertApplied checks that each embedded migration is recorded once.
func assertApplied(t *testing.T, s *Store) {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	if want := SchemaVersion(); len(got) != want || got[0] != 1 || got[len(got)-1] != want {
		t.Errorf("schema_migrations = %v, want 1…%d once each", got, want)
	}
}

// A failing migration leaves the schema as it was; a later set of
// migrations applies only what is new.
func TestMigrateTransactional(t *testing.T) {
	url := pgtest.Schema(t, os.Getenv)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	load := func(fsys fstest.MapFS) []migration {
		ms, err := loadMigrations(fsys)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	v1 := fstest.MapFS{"0001_first.sql": {Data: []byte(`CREATE TABLE t (a integer); INSERT INTO t VALUES (1);`)}}
	bad := fstest.MapFS{
		"0001_first.sql": v1["0001_first.sql"],
		"0002_bad.sql":   {Data: []byte(`CREATE TABLE later (a integer); THIS IS NOT SQL;`)},
	}
	if err := migrate(t.Context(), conn, load(bad)); err == nil || !strings.Contains(err.Error(), "0002_bad.sql") {
		t.Fatalf("a bad migration: %v, want an error naming it", err)
	}
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a failed migration left %d tables behind", n)
	}
	v2 := fstest.MapFS{
		"0001_first.sql":  v1["0001_first.sql"],
		"0002_second.sql": {Data: []byte(`ALTER TABLE t ADD COLUMN b text; UPDATE t SET b = 'x';`)},
	}
	for _, fsys := range []fstest.MapFS{v1, v2, v2} {
		if err := migrate(t.Context(), conn, load(fsys)); err != nil {
			t.Fatal(err)
		}
	}
	var b string
	if err := conn.QueryRow(t.Context(), `SELECT count(*), max(b) FROM t`).Scan(&n, &b); err != nil {
		t.Fatal(err)
	}
	if n != 1 || b != "x" {
		t.Errorf("after migrating in steps: %d rows, b = %q; want 1 row, b = x", n, b)
	}
	if v, err := schemaVersion(t.Context(), conn); err != nil || v != 2 {
		t.Errorf("schema version %d, %v; want 2", v, err)
	}
}

// Several serve-accept instances share one database: 50 goroutines over two
// stores (two pools) accept one invitation at once, and exactly one account
// is created.
func TestTwoStoresConcurrentAccept(t *testing.T) {
	url := migrated(t)
	stores := []*Store{mustOpen(t, url), mustOpen(t, url)}
	c := storetest.MustCreateCustomer(t, stores[0], "Alfa AB")
	inv := storetest.MustCreateInvitation(t, stores[1], storetest.NewInvitation(c, "race@example.com", "Race", "Condition"))
	upd := inv
	upd.State, upd.AcceptedAt = invite.StateAccepted, storetest.T0

	const n = 50
	errs := make([]error, n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-release
			u := storetest.NewUser(inv, storetest.T0)
			sess := storetest.NewSession(fmt.Sprint("goroutine ", i), storetest.T0)
			errs[i] = stores[i%2].Accept(context.Background(), upd, &u, sess,
				invite.AuditEvent{At: storetest.T0, Actor: inv.Email, Action: invite.ActionAccept, InvitationID: inv.ID})
		})
	}
	close(release)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, invite.ErrLinkUsed):
			t.Errorf("goroutine %d: %v, want success or ErrLinkUsed", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d accepts succeeded, want exactly 1", won, n)
	}
	for _, s := range stores {
		p, err := s.ListUsers(t.Context(), 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 1 {
			t.Errorf("a store sees %d users, want 1", p.Total)
		}
	}
	var sessions, accepts int
	err := stores[0].pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM sessions),
		(SELECT count(*) FROM audit_events WHERE action = 'accept')`).Scan(&sessions, &accepts)
	if err != nil {
		t.Fatal(err)
	}
	if sessions != 1 || accepts != 1 {
		t.Errorf("%d sessions and %d accept events, want 1 and 1", sessions, accepts)
	}
}

// Invitations for one email, created through two stores at once, and an
// accept of an open invitation for it: the email never ends up with two
// open invitations, nor with an account and an open invitation.
func TestTwoStoresEmailStaysUnique(t *testing.T) {
	url := migrated(t)
	stores := []*Store{mustOpen(t, url), mustOpen(t, url)}
	a := storetest.MustCreateCustomer(t, stores[0], "Alfa AB")
	b := storetest.MustCreateCustomer(t, stores[0], "Beta AB")
	for round := range 5 {
		email := fmt.Sprintf("round%d@example.com", round)
		first := storetest.MustCreateInvitation(t, stores[0], storetest.NewInvitation(a, email, "Round", "Robin"))
		accepted := first
		accepted.State, accepted.AcceptedAt = invite.StateAccepted, storetest.T0
		release := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range 10 {
			wg.Go(func() {
				<-release
				s := stores[i%2]
				if i == 0 {
					u := storetest.NewUser(first, storetest.T0)
					errs[i] = s.Accept(context.Background(), accepted, &u, storetest.NewSession(email, storetest.T0),
						invite.AuditEvent{At: storetest.T0, Action: invite.ActionAccept})
					return
				}
				inv := storetest.NewInvitation(b, strings.ToUpper(email), "Round", "Robin")
				errs[i] = s.CreateInvitation(context.Background(), &inv, invite.AuditEvent{At: storetest.T0, Action: invite.ActionInvite})
			})
		}
		close(release)
		wg.Wait()
		if errs[0] != nil {
			t.Fatalf("round %d: accept: %v", round, errs[0])
		}
		for i, err := range errs[1:] {
			if !errors.Is(err, invite.ErrEmailTaken) {
				t.Errorf("round %d: invitation %d: %v, want ErrEmailTaken", round, i+1, err)
			}
		}
		invs, err := stores[1].InvitationsByEmail(t.Context(), email, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(invs) != 1 || invs[0].State != invite.StateAccepted {
			t.Errorf("round %d: invitations %+v, want the accepted one only", round, invs)
		}
	}
}

// Every list is an index walk for every sort field and direction: with
// sorting disabled the planner still finds a plan without a Sort node,
// through the field's index (for all states, one walk per state merged).
// A Sort node shows as "Sort  (cost=…"; "Sort Key:" lines belong to merges.
func TestListUsesIndexes(t *testing.T) {
	s := mustOpen(t, migrated(t))
	for _, f := range []invite.StatusFilter{invite.FilterOpen, invite.FilterPending, invite.FilterExpired, invite.FilterAccepted, invite.FilterAll} {
		for _, field := range invite.SortFields {
			for _, desc := range []bool{false, true} {
				q := invite.ListQuery{Status: f, Sort: invite.Sort{Field: field, Desc: desc}, Page: 1, PerPage: 20, Now: storetest.T0}
				lq, err := buildList(q)
				if err != nil {
					t.Fatal(err)
				}
				plan := queryPlan(t, s, lq.page, append(lq.args, 20, 40)...)
				index := "invitations_by_" + strings.ReplaceAll(strings.TrimSuffix(sortColumns[field], "_key"), "last_sent_at", "sent_on")
				if strings.Contains(plan, "Sort  (") || !strings.Contains(plan, index) {
					t.Errorf("%s %s desc=%v: the page is not an index walk of %s:\n%s", f, field, desc, index, plan)
				}
			}
		}
	}
}

// queryPlan explains query with sorts and sequential scans priced out, so
// the plan shows whether an index can give the order at all.
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	var lines []string
	err := s.read(t.Context(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(t.Context(), `SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off`); err != nil {
			return err
		}
		rows, err := tx.Query(t.Context(), "EXPLAIN "+query, args...)
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
