package browse

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/link"
	"github.com/invitectl/invitectl/internal/store/sqlite"
	"github.com/invitectl/invitectl/internal/termfit"
)

// These tests drive the model as Bubble Tea would: keys go to Update, the
// commands it returns run, and their messages come back, until the screen
// is idle; then they read View. The store is a real SQLite file behind the
// real Service. Time moves only by messages: a pause in typing is a
// message the test sends, never a wait.

// epoch is the instant the tests run at: no test depends on today's date.
var epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

const actor = "browse-tester"

type fixture struct {
	t      *testing.T
	store  invite.Store
	svc    *invite.Service
	now    time.Time
	mailer *recordingMailer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "invitectl.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	links, err := link.New([]byte(strings.Repeat("browse-test-secret-", 3)))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: st, now: epoch, mailer: &recordingMailer{}}
	f.svc = &invite.Service{Store: st, Links: links, Now: func() time.Time { return f.now }}
	if _, err := f.svc.AddCustomer(t.Context(), "admin", "Acme AB"); err != nil {
		t.Fatal(err)
	}
	return f
}

// invite creates an invitation through the Service, as `invite` does.
func (f *fixture) invite(email, first, last string, details ...func(*invite.Patch)) invite.Invitation {
	f.t.Helper()
	p := invite.Patch{FirstName: &first, LastName: &last}
	for _, d := range details {
		d(&p)
	}
	inv, _, err := f.svc.Invite(f.t.Context(), invite.NewInvitation{Customer: "Acme AB", Email: email, Details: p, Actor: "admin", NoSend: true})
	if err != nil {
		f.t.Fatalf("invite %s: %v", email, err)
	}
	return inv
}

func withPersonalNumber(pn string) func(*invite.Patch) {
	return func(p *invite.Patch) { p.PersonalNumber = &pn }
}

func (f *fixture) get(id int64) invite.Invitation {
	f.t.Helper()
	inv, err := f.store.Invitation(f.t.Context(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return inv
}

// mustAudit fails unless the audit log of invitation id has an event of
// action by the screen's actor.
func (f *fixture) mustAudit(id int64, action string) {
	f.t.Helper()
	evs, err := f.store.ListAudit(f.t.Context(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Action == action && ev.Actor == actor {
			return
		}
	}
	f.t.Errorf("no %s by %s in the audit log of invitation %d: %+v", action, actor, id, evs)
}

// options are the screen's options over the fixture, 120×40, no colour.
func (f *fixture) options() Options {
	return Options{
		Service: f.svc,
		Mailing: func(context.Context) (*invite.Service, error) {
			s := *f.svc
			s.Mailer = f.mailer
			return &s, nil
		},
		Actor: actor, Now: func() time.Time { return f.now }, Width: 120, Height: 40,
	}
}

// open starts the screen and waits for its first page.
func (f *fixture) open(o Options) *driver {
	f.t.Helper()
	d := &driver{t: f.t, msgs: make(chan tea.Msg, 64)}
	d.m = New(f.t.Context(), o)
	d.run(d.m.Init())
	d.settle()
	return d
}

type recordingMailer struct {
	mu   sync.Mutex
	sent []invite.InvitationEmail
}

func (r *recordingMailer) SendInvitation(_ context.Context, m invite.InvitationEmail) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

func (r *recordingMailer) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// driver plays Bubble Tea's part: it runs commands and feeds their
// messages back.
type driver struct {
	t    *testing.T
	m    Model
	msgs chan tea.Msg
	quit bool
}

func (d *driver) update(msg tea.Msg) {
	m, cmd := d.m.Update(msg)
	d.m = m.(Model)
	d.run(cmd)
}

func (d *driver) run(cmd tea.Cmd) {
	if cmd != nil {
		go func() { d.msgs <- cmd() }()
	}
}

// settle delivers messages until the store and the mailer are done for
// the screen. Timers (a pause in typing, the spinner) are the test's to
// send: their messages are dropped here.
func (d *driver) settle() {
	d.t.Helper()
	for d.m.busy() {
		select {
		case msg := <-d.msgs:
			d.deliver(msg)
		case <-time.After(30 * time.Second):
			d.t.Fatal("the screen is still busy after 30s")
		}
	}
}

func (d *driver) deliver(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil, searchPauseMsg, spinner.TickMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
	case tea.QuitMsg:
		d.quit = true
	default:
		if _, ok := msg.(pageMsg); !ok && !isResult(msg) {
			return // cursor blinks and the like
		}
		d.update(msg)
	}
}

func isResult(msg tea.Msg) bool {
	switch msg.(type) {
	case formMsg, editedMsg, resentMsg, revokedMsg:
		return true
	}
	return false
}

// press sends keys, one at a time, each settled before the next: "enter",
// "esc", "tab", "shift+tab", "up", "down", "left", "right", "pgup",
// "pgdown", "ctrl+c", "backspace", or a single character.
func (d *driver) press(keys ...string) {
	d.t.Helper()
	for _, k := range keys {
		d.update(keyPress(k))
		d.settle()
	}
}

// typeText types s, a key per character, without waiting for a pause.
func (d *driver) typeText(s string) {
	d.t.Helper()
	for _, r := range s {
		d.update(tea.KeyPressMsg{Code: r, Text: string(r)})
		d.settle()
	}
}

func keyPress(k string) tea.KeyPressMsg {
	codes := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "up": tea.KeyUp, "down": tea.KeyDown,
		"left": tea.KeyLeft, "right": tea.KeyRight, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "backspace": tea.KeyBackspace,
	}
	switch {
	case k == "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case k == "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case codes[k] != 0:
		return tea.KeyPressMsg{Code: codes[k]}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// screen is the View as text, without styles.
func (d *driver) screen() string { return ansi.Strip(d.m.View().Content) }

// flat is the screen with every run of spaces and line breaks made one
// space, for sentences the screen wraps.
func (d *driver) flat() string {
	s := regexp.MustCompile(`[│╭╮╰╯─]`).ReplaceAllString(d.screen(), " ")
	return strings.Join(strings.Fields(s), " ")
}

func (d *driver) must(want ...string) {
	d.t.Helper()
	flat := d.flat()
	for _, w := range want {
		if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
			d.t.Fatalf("the screen does not show %q:\n%s", w, d.screen())
		}
	}
}

func (d *driver) mustNot(unwanted ...string) {
	d.t.Helper()
	flat := d.flat()
	for _, w := range unwanted {
		if strings.Contains(flat, w) {
			d.t.Fatalf("the screen shows %q:\n%s", w, d.screen())
		}
	}
}

// inOrder fails unless the texts are on the screen one after another.
func (d *driver) inOrder(texts ...string) {
	d.t.Helper()
	s := d.screen()
	rest := s
	for _, t := range texts {
		i := strings.Index(rest, t)
		if i < 0 {
			d.t.Fatalf("%q is not on the screen after %q:\n%s", t, texts, s)
		}
		rest = rest[i+len(t):]
	}
}

func TestTableShowsThePage(t *testing.T) {
	f := newFixture(t)
	f.invite("asa@example.com", "Åsa", "Lind", withPersonalNumber("19811218-9876"))
	f.invite("bo@example.com", "Bo", "Ek")
	o := f.options()
	o.Width = 200 // every column
	d := f.open(o)
	d.inOrder(termfit.InvitationHeader...)
	d.must("First name ▲", "Showing 1–2 of 2 results", "19811218-****", "PENDING", "just now", "admin", "status: open", "sorted by First name ▲")
	d.mustNot("9876", "left out") // masked, always
	// Swedish order: Å after Z, so Bo comes first.
	d.inOrder("Bo", "Åsa")
	// At 120 columns the least important are left out, and the screen says which.
	d.update(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.must("ID", "Customer account", "First name ▲", "Last name", "Email", "Status", "Sent on",
		"columns left out to fit the terminal (Edit shows every detail): EU/EEA citizenship, Personal number")
	for _, line := range strings.Split(d.screen(), "\n") {
		if w := lipgloss.Width(line); w > 120 {
			t.Errorf("a line of %d columns: %q", w, line)
		}
	}
}

func TestSortCyclesAscendingDescending(t *testing.T) {
	f := newFixture(t)
	f.invite("a@example.com", "Anna", "Öberg")
	f.invite("b@example.com", "Bo", "Ek")
	f.invite("c@example.com", "Cecilia", "Lind")
	d := f.open(f.options())
	d.inOrder("Anna", "Bo", "Cecilia")

	d.press("right") // First name → Last name
	d.press("s")
	d.must("Last name ▲", "sorted by Last name ▲", "Sorted by Last name, ascending.")
	d.mustNot("First name ▲")
	d.inOrder("Ek", "Lind", "Öberg")
	d.press("s")
	d.must("Last name ▼", "Sorted by Last name, descending.")
	d.inOrder("Öberg", "Lind", "Ek")
	d.press("s")
	d.must("Last name ▲", "Sorted by Last name, ascending.")
	d.inOrder("Ek", "Lind", "Öberg")

	// Another column starts ascending again.
	d.press("right") // Email
	d.press("s", "s")
	d.must("Email ▼")
	d.inOrder("c@example.com", "b@example.com", "a@example.com")
	d.press("left")
	d.press("s")
	d.must("Last name ▲")

	// A column that is not sortable says so and changes nothing.
	d.press("left", "left", "left", "left") // ID, at most
	d.press("s")
	d.must("ID cannot be sorted", "Last name ▲")
}

func TestPaging(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"Ada", "Bea", "Cai", "Dan", "Eva"} {
		f.invite(strings.ToLower(n)+"@example.com", n, "Ek")
	}
	o := f.options()
	o.PerPage = 2
	d := f.open(o)
	d.must("Showing 1–2 of 5 results", "page 1 of 3", "Ada", "Bea")
	d.mustNot("Cai")
	d.press("n")
	d.must("Showing 3–4 of 5 results", "page 2 of 3", "Cai", "Dan")
	d.mustNot("Ada")
	d.press("pgdown")
	d.must("Showing 5–5 of 5 results", "Eva")
	d.press("n")
	d.must("This is the last page.", "Showing 5–5 of 5 results")
	d.press("p")
	d.must("Showing 3–4 of 5 results")
	d.press("pgup")
	d.must("Showing 1–2 of 5 results")
	d.press("p")
	d.must("This is the first page.")
	// Rows move within the page.
	d.press("down")
	if d.m.cursor != 1 {
		t.Errorf("cursor %d after ↓", d.m.cursor)
	}
	d.press("j", "k", "up", "up")
	if d.m.cursor != 0 {
		t.Errorf("cursor %d after j k ↑ ↑", d.m.cursor)
	}
}

// Paging and sorting read one page, whatever the number of invitations:
// the store is asked for PerPage rows at an offset, never for more.
func TestReadsOnlyOnePage(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"Ada", "Bea", "Cai"} {
		f.invite(strings.ToLower(n)+"@example.com", n, "Ek")
	}
	rec := &listRecorder{Store: f.store}
	f.svc.Store = rec
	o := f.options()
	o.PerPage = 1
	d := f.open(o)
	d.press("n", "n", "right", "s", "f")
	for _, q := range rec.queries {
		if q.PerPage != 1 {
			t.Errorf("a list of %d rows: %+v", q.PerPage, q)
		}
	}
	if len(rec.queries) != 5 {
		t.Errorf("%d reads for 5 screens", len(rec.queries))
	}
}

type listRecorder struct {
	invite.Store
	mu      sync.Mutex
	queries []invite.ListQuery
}

func (r *listRecorder) ListInvitations(ctx context.Context, q invite.ListQuery) (invite.InvitationPage, error) {
	r.mu.Lock()
	r.queries = append(r.queries, q)
	r.mu.Unlock()
	return r.Store.ListInvitations(ctx, q)
}

func TestSearchAsYouType(t *testing.T) {
	f := newFixture(t)
	f.invite("asa@example.com", "Åsa", "Lind")
	f.invite("bo@example.com", "Bo", "Ek")
	f.invite("lina@example.com", "Lina", "Berg")
	d := f.open(f.options())
	d.press("/")
	d.typeText("lin")
	// Typing alone searches nothing: the search waits for a pause.
	d.must("Showing 1–3 of 3 results", "Search: lin")
	stale := d.m.searchSeq - 1
	d.update(searchPauseMsg{seq: stale}) // a pause after "li", overtaken by "n"
	d.settle()
	d.must("Showing 1–3 of 3 results")
	d.update(searchPauseMsg{seq: d.m.searchSeq})
	d.settle()
	d.must("Showing 1–2 of 2 results", "Åsa", "Lina")
	d.mustNot("Bo ")
	// Enter keeps the search and gives the keys back to the table.
	d.press("enter")
	d.must("Search: lin / changes it · esc clears it", "Showing 1–2 of 2 results")
	d.press("j")
	if d.m.cursor != 1 {
		t.Errorf("j did not move to the next row after enter: cursor %d", d.m.cursor)
	}
	// Esc clears it.
	d.press("esc")
	d.must("Showing 1–3 of 3 results", "/ searches first names")
	// Enter searches at once, without a pause.
	d.press("/")
	d.typeText("berg")
	d.press("enter")
	d.must("Showing 1–1 of 1 results", "Lina")
	// Esc while typing clears the search too.
	d.press("/")
	d.typeText("x")
	d.press("esc")
	d.must("Showing 1–3 of 3 results")
	if d.m.query.Search != "" {
		t.Errorf("search %q after esc", d.m.query.Search)
	}
	// No match.
	d.press("/")
	d.typeText("nobody")
	d.press("enter")
	d.must("No invitations match.", "esc to clear the search")
}

func TestStatusFilterCycles(t *testing.T) {
	f := newFixture(t)
	f.now = epoch.Add(-400 * 24 * time.Hour)
	f.invite("old@example.com", "Olle", "Gammal") // expired by epoch
	f.now = epoch
	f.invite("new@example.com", "Nina", "Ny")
	gone := f.invite("gone@example.com", "Greta", "Borta")
	if _, err := f.svc.Revoke(t.Context(), "admin", gone); err != nil {
		t.Fatal(err)
	}
	d := f.open(f.options())
	d.must("status: open", "Olle", "Nina", "EXPIRED", "PENDING")
	d.mustNot("Greta")
	for _, step := range []struct {
		filter string
		shows  []string
		hides  []string
	}{
		{"pending", []string{"Nina"}, []string{"Olle", "Greta"}},
		{"expired", []string{"Olle"}, []string{"Nina", "Greta"}},
		{"accepted", []string{"No invitations match."}, []string{"Olle", "Nina", "Greta"}},
		{"revoked", []string{"Greta", "REVOKED"}, []string{"Olle", "Nina"}},
		{"all", []string{"Olle", "Nina", "Greta"}, nil},
		{"open", []string{"Olle", "Nina"}, []string{"Greta"}},
	} {
		d.press("f")
		d.must(append(step.shows, "status: "+step.filter)...)
		d.mustNot(step.hides...)
	}
}

func TestActionsMenu(t *testing.T) {
	f := newFixture(t)
	inv := f.invite("asa@example.com", "Åsa", "Lind")
	d := f.open(f.options())
	d.press("enter")
	d.must("Invitation 1", "asa@example.com", "› Edit", "Resend invitation", "Revoke")
	// Focus moves with ↓/↑, ←/→ and tab/shift-tab, and wraps around.
	for _, step := range []struct{ key, focused string }{
		{"down", "› Resend invitation"}, {"tab", "› Revoke"}, {"right", "› Edit"},
		{"up", "› Revoke"}, {"left", "› Resend invitation"}, {"shift+tab", "› Edit"},
	} {
		d.press(step.key)
		d.must(step.focused)
	}
	d.press("esc")
	d.mustNot("› Edit", "Resend invitation")
	if got := f.get(inv.ID); got.Version != inv.Version {
		t.Errorf("esc changed the invitation: version %d → %d", inv.Version, got.Version)
	}
}

func TestRevokeDialog(t *testing.T) {
	f := newFixture(t)
	inv := f.invite("asa@example.com", "Åsa", "Lind")
	d := f.open(f.options())
	openDialog := func() {
		d.press("enter", "down", "down", "enter")
		d.must("The invitation for asa@example.com will be revoked and the user will be unable to register an account.",
			"Are you sure you want to revoke this invitation?", "REVOKE", "CANCEL")
	}
	openDialog()
	// CANCEL has the focus.
	d.must("[ CANCEL ]")
	d.mustNot("[ REVOKE ]")
	// Esc closes without revoking.
	d.press("esc")
	d.mustNot("Are you sure")
	d.must("Invitation 1 was not revoked.")
	// So does CANCEL.
	openDialog()
	d.press("enter")
	d.mustNot("Are you sure")
	if s := f.get(inv.ID).State; s != invite.StatePending {
		t.Fatalf("state %s after esc and CANCEL", s)
	}
	// Focus moves to REVOKE and back with ←/→, tab and ↑/↓.
	openDialog()
	for _, step := range []struct{ key, focused string }{
		{"left", "[ REVOKE ]"}, {"right", "[ CANCEL ]"}, {"tab", "[ REVOKE ]"}, {"shift+tab", "[ CANCEL ]"}, {"up", "[ REVOKE ]"},
	} {
		d.press(step.key)
		d.must(step.focused)
	}
	d.press("enter")
	d.must("Revoked invitation 1 for asa@example.com.", "No invitations match.")
	got := f.get(inv.ID)
	if got.State != invite.StateRevoked {
		t.Fatalf("state %s after REVOKE", got.State)
	}
	f.mustAudit(inv.ID, invite.ActionRevoke)
	// Revoking it again is refused by the same rule as `revoke`.
	d.press("f", "f", "f", "f") // revoked
	d.must("Åsa", "REVOKED")
	d.press("enter", "up", "enter", "left", "enter")
	d.must("already revoked and cannot be revoked")
}

func TestResend(t *testing.T) {
	f := newFixture(t)
	f.now = epoch.Add(-400 * 24 * time.Hour)
	old := f.invite("old@example.com", "Olle", "Gammal")
	f.now = epoch
	fresh := f.invite("new@example.com", "Nina", "Ny")
	d := f.open(f.options())
	d.inOrder("Nina", "Olle")

	// Pending: the same link again.
	d.press("enter", "down", "enter")
	d.must("Resent invitation 2 to new@example.com with the same link, valid until 2027-01-05.")
	if got := f.get(fresh.ID); got.LinkGeneration != fresh.LinkGeneration || got.SendCount != 1 {
		t.Errorf("pending resend: generation %d → %d, %d sent", fresh.LinkGeneration, got.LinkGeneration, got.SendCount)
	}
	// Expired: a new link first.
	d.press("down", "enter", "down", "enter")
	d.must("Resent invitation 1 to old@example.com with a new link, valid until 2027-01-05; the old link no longer works.")
	if got := f.get(old.ID); got.LinkGeneration != old.LinkGeneration+1 || got.Status(f.now) != invite.StatusPending {
		t.Errorf("expired resend: generation %d → %d, status %s", old.LinkGeneration, got.LinkGeneration, got.Status(f.now))
	}
	if n := f.mailer.count(); n != 2 {
		t.Errorf("%d emails sent, want 2", n)
	}
	f.mustAudit(old.ID, invite.ActionResend)
	// Resolved: nothing is sent.
	if _, err := f.svc.Revoke(t.Context(), "admin", f.get(fresh.ID)); err != nil {
		t.Fatal(err)
	}
	d.press("f", "f", "f", "f") // revoked
	d.press("enter", "down", "enter")
	d.must("Not sent: invitation 2 (new@example.com) is already resolved (revoked).")
	if n := f.mailer.count(); n != 2 {
		t.Errorf("%d emails sent after a refused resend", n)
	}
}

// openForm opens the edit panel of the selected row.
func openForm(d *driver) {
	d.t.Helper()
	d.press("enter", "enter")
	d.must("Edit invitation", "UPDATE", "CANCEL")
}

// focusField moves the form's focus to the field labelled label.
func focusField(d *driver, label string) {
	d.t.Helper()
	for range len(d.m.form.fields) + 2 {
		if f := d.m.form; !f.onButtons() && f.fields[f.focus].label == label {
			return
		}
		d.press("tab")
	}
	d.t.Fatalf("no field %q", label)
}

// pressUpdate moves the focus to UPDATE and presses it.
func pressUpdate(d *driver) {
	d.t.Helper()
	for d.m.form.focus != len(d.m.form.fields)+buttonUpdate {
		d.press("tab")
	}
	d.must("[ UPDATE ]")
	d.press("enter")
}

// replaceText clears the focused text field and types s.
func replaceText(d *driver, s string) {
	d.t.Helper()
	d.update(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}) // delete to the start
	d.press("end")
	for range 80 {
		d.update(keyPress("backspace"))
	}
	d.typeText(s)
}

func TestEditSaves(t *testing.T) {
	f := newFixture(t)
	inv := f.invite("asa@example.com", "Åsa", "Lind", withPersonalNumber("19811218-9876"))
	d := f.open(f.options())
	openForm(d)
	// Every editable field, the personal number masked; customer and email read-only.
	d.must("Customer account Acme AB", "Email asa@example.com", "Not editable: to change them, revoke and invite again.", "› First name Åsa", "Last name Lind",
		"Swedish citizenship", "EU/EEA citizenship", "Personal number 19811218-****", "LMA number", "Phone number",
		"Gender", "[—]", "Language [Swedish] English")
	d.mustNot("9876")

	focusField(d, "Phone number")
	d.typeText("070-123 45 67")
	focusField(d, "Gender")
	d.press("left", "left") // — → Other → Male
	d.must("[Male]")
	focusField(d, "Swedish citizenship")
	d.press("left", "left", "right") // — → No → Yes → No
	focusField(d, "Language")
	d.press("right")
	pressUpdate(d)
	d.must("Updated invitation 1 (asa@example.com): changed swedish-citizen, phone, gender, language.")
	d.mustNot("Edit invitation")
	got := f.get(inv.ID)
	if got.Phone != "+46701234567" || got.Gender != invite.Male || got.SwedishCitizen != invite.No || got.Language != invite.English {
		t.Errorf("saved %+v", got.Details)
	}
	if got.PersonalNumber != "19811218-9876" {
		t.Errorf("the masked personal number was not kept: %q", got.PersonalNumber)
	}
	f.mustAudit(inv.ID, invite.ActionEdit)
}

func TestEditEscChangesNothing(t *testing.T) {
	f := newFixture(t)
	inv := f.invite("asa@example.com", "Åsa", "Lind")
	d := f.open(f.options())
	openForm(d)
	replaceText(d, "Annika")
	d.press("esc")
	d.mustNot("Edit invitation")
	d.must("Invitation 1 was not changed.")
	// CANCEL too.
	openForm(d)
	replaceText(d, "Annika")
	focusField(d, "Language")
	d.press("tab", "tab", "enter")
	d.mustNot("Edit invitation")
	if got := f.get(inv.ID); got.FirstName != "Åsa" || got.Version != inv.Version {
		t.Errorf("esc or CANCEL saved: %+v", got)
	}
}

func TestEditShowsValidationErrors(t *testing.T) {
	f := newFixture(t)
	inv := f.invite("asa@example.com", "Åsa", "Lind")
	d := f.open(f.options())
	openForm(d)
	focusField(d, "Last name")
	replaceText(d, "L")
	d.press("tab") // leaving the field checks it
	d.must("✗ must be 2–70 characters")
	focusField(d, "Personal number")
	d.typeText("19811218-9875")
	focusField(d, "Phone number")
	d.typeText("12")
	d.press("tab")
	d.must("✗ must be 2–70 characters")
	// UPDATE: the Service refuses, each error beside its field, nothing saved.
	pressUpdate(d)
	d.must("Not saved: correct the fields marked ✗.", "Edit invitation 1")
	for _, field := range []string{"last_name", "personal_number", "phone"} {
		if d.m.form.errors[field] == "" {
			t.Errorf("no error beside %s: %v", field, d.m.form.errors)
		}
	}
	d.must(d.m.form.errors["personal_number"], d.m.form.errors["phone"])
	if got := f.get(inv.ID); got.Version != inv.Version {
		t.Errorf("an invalid edit was saved: version %d → %d", inv.Version, got.Version)
	}
	// Corrected, it saves.
	focusField(d, "Last name")
	replaceText(d, "Lindqvist")
	focusField(d, "Personal number")
	replaceText(d, "")
	focusField(d, "Phone number")
	replaceText(d, "")
	pressUpdate(d)
	d.must("Updated invitation 1 (asa@example.com): changed last-name.")
}

// An edit made elsewhere after the form opened is reported, not overwritten.
func TestEditConcurrentChangeIsReported(t *testing.T) {
	f := newFixture(t)
	inv := f.invite("asa@example.com", "Åsa", "Lind")
	d := f.open(f.options())
	openForm(d)
	phone := "070-765 43 21"
	if _, _, err := f.svc.Edit(t.Context(), "someone-else", inv.ID, invite.Patch{Phone: &phone}, nil, 0); err != nil {
		t.Fatal(err)
	}
	focusField(d, "Last name")
	replaceText(d, "Lindqvist")
	pressUpdate(d)
	d.must("someone else changed invitation 1 meanwhile (it is now at version 2)", "was not overwritten", "Edit invitation 1")
	got := f.get(inv.ID)
	if got.LastName != "Lind" || got.Phone != "+46707654321" {
		t.Errorf("the other edit was overwritten: %+v", got.Details)
	}
	// Opened again, the form shows the other edit and saves over it.
	d.press("esc")
	openForm(d)
	d.must("Phone number +46707654321")
	focusField(d, "Last name")
	replaceText(d, "Lindqvist")
	pressUpdate(d)
	d.must("Updated invitation 1 (asa@example.com): changed last-name.")
}

func TestHelpAndQuit(t *testing.T) {
	f := newFixture(t)
	f.invite("asa@example.com", "Åsa", "Lind")
	d := f.open(f.options())
	// quits reports whether key k makes the screen quit.
	quits := func(k string) bool {
		_, cmd := d.m.Update(keyPress(k))
		return cmd != nil && cmd() == tea.Quit()
	}
	d.press("?")
	d.must("Keys", "next page", "status filter", "sort by the column", "close, change nothing")
	if !quits("q") {
		t.Error("q does not quit from the help")
	}
	d.press("esc")
	d.mustNot("Keys")
	d.press("?", "?")
	d.mustNot("Keys")
	if !quits("q") || !quits("ctrl+c") {
		t.Error("q or ctrl+c does not quit from the table")
	}
	// While typing a search, q is a letter; ctrl+c still quits.
	d.press("/")
	if quits("q") {
		t.Error("q quits while typing a search")
	}
	d.press("q")
	d.must("Search: q")
	if !quits("ctrl+c") {
		t.Error("ctrl+c does not quit while typing")
	}
}

var colour = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;[0-9;]*)?m`)

func TestResizeAndColour(t *testing.T) {
	f := newFixture(t)
	f.invite("maximiliana.angstrom-lindqvist@example.com", "Maximiliana", "Ängström-Lindqvist", withPersonalNumber("19811218-9876"))
	f.invite("bo@example.com", "Bo", "Ek")
	o := f.options()
	o.Width = 220
	d := f.open(o)
	d.must("Personal number")
	d.update(tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, line := range strings.Split(d.m.View().Content, "\n") {
		if w := lipgloss.Width(line); w > 80 {
			t.Errorf("a line of %d columns at 80: %q", w, ansi.Strip(line))
		}
	}
	d.must("ID", "First name ▲", "Last name", "Email", "Status", "…", "left out to fit the terminal")
	if colour.MatchString(d.m.View().Content) {
		t.Error("colour without Color")
	}
	o.Color = true
	c := f.open(o)
	if !colour.MatchString(c.m.View().Content) {
		t.Error("no colour with Color")
	}
}

// Text from the store that would act on the terminal is shown escaped.
func TestStoreTextIsSafe(t *testing.T) {
	f := newFixture(t)
	inv := f.invite("asa@example.com", "Åsa", "Lind")
	inv.ID = 0
	inv.Email = "evil@example.com"
	inv.LMANumber = "LMA\x1b[2J"
	inv.FirstName = "Eve\u202e"
	if err := f.store.InsertInvitations(t.Context(), []invite.Invitation{inv}); err != nil {
		t.Fatal(err)
	}
	o := f.options()
	o.Width = 220
	d := f.open(o)
	if strings.Contains(d.m.View().Content, "\x1b[2J") || strings.Contains(d.m.View().Content, "\u202e") {
		t.Fatal("control characters from the store reach the terminal")
	}
	d.must(`Eve\u202e`, `LMA\x1b[2J`)
	// The edit panel shows them escaped too, and UPDATE without a change
	// keeps them as stored.
	openForm(d)
	if strings.Contains(d.m.View().Content, "\x1b[2J") || strings.Contains(d.m.View().Content, "\u202e") {
		t.Fatal("control characters from the store reach the edit panel")
	}
	d.must(`First name Eve\u202e`, `LMA number LMA\x1b[2J`)
	focusField(d, "Language")
	d.press("right")
	pressUpdate(d)
	d.must("changed language.")
	got := f.get(2)
	if got.FirstName != "Eve\u202e" || got.LMANumber != "LMA\x1b[2J" {
		t.Errorf("saving changed the untouched fields: %+v", got.Details)
	}
}

// Revoking the only row of the last page shows the page before it.
func TestRevokingTheLastRowOfTheLastPage(t *testing.T) {
	f := newFixture(t)
	f.invite("ada@example.com", "Ada", "Ek")
	f.invite("bea@example.com", "Bea", "Ek")
	o := f.options()
	o.PerPage = 1
	d := f.open(o)
	d.press("n")
	d.must("Showing 2–2 of 2 results", "Bea")
	d.press("enter", "up", "enter", "left", "enter")
	d.must("Revoked invitation 2 for bea@example.com.", "Showing 1–1 of 1 results", "page 1 of 1", "Ada")
}
