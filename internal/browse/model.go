package browse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/termfit"
)

// mode is what has the keyboard.
type mode int

const (
	modeTable   mode = iota
	modeSearch       // typing a search
	modeMenu         // the row's actions menu
	modeConfirm      // the revoke dialog
	modeEdit         // the edit panel
	modeHelp         // the key help
)

// searchDelay is how long typing must pause before the search runs.
const searchDelay = 250 * time.Millisecond

// Model is the screen. Its sub-views (menu, dialog, form) are small models
// of their own; Update routes keys to the one that has the focus.
type Model struct {
	ctx  context.Context
	o    Options
	keys keyMap
	st   styles

	width, height int
	mode          mode

	// query is what the user asked for; shown is the query of the page on
	// screen, and page that page. Only one page is ever loaded.
	query, shown invite.ListQuery
	page         invite.InvitationPage
	loaded       bool
	loadSeq      int  // the latest load asked for; older answers are dropped
	loading      bool // a load is on its way
	cancelLoad   context.CancelFunc
	firstLoad    tea.Cmd // New's, for Init
	after        string  // the status to show once it arrives

	cursor int // the selected row of the page
	column int // the chosen column, an index of termfit.InvitationHeader

	search    textinput.Model
	searchSeq int // the latest keystroke of a search; older pauses are ignored
	delay     time.Duration

	menu   menu
	dialog dialog
	form   form

	working  int // actions on their way
	spinning bool
	spinner  spinner.Model
	help     help.Model
	status   string
	failed   bool // status is an error
}

// Messages: the results of the commands, and the pause in typing.
type (
	pageMsg struct {
		seq  int
		q    invite.ListQuery
		page invite.InvitationPage
		err  error
	}
	searchPauseMsg struct{ seq int }
	// formMsg brings the invitation as stored, to edit.
	formMsg struct {
		inv invite.Invitation
		err error
	}
	editedMsg struct {
		inv     invite.Invitation
		changed []string
		err     error
	}
	resentMsg struct {
		id   int64
		inv  invite.Invitation
		plan invite.ResendPlan
		err  error
		// notes is what else the command line has to say about it (where
		// the file transport wrote the email), for the status line.
		notes string
	}
	revokedMsg struct {
		id  int64
		inv invite.Invitation
		err error
	}
)

// New returns the screen, about to load the first page.
func New(ctx context.Context, o Options) Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Mailing != nil {
		o.Mailing = once(o.Mailing)
	}
	st := newStyles(o.Color)
	m := Model{
		ctx: ctx, o: o, keys: newKeyMap(), st: st,
		width: cmp.Or(o.Width, 80), height: cmp.Or(o.Height, 24),
		query:   invite.ListQuery{Status: invite.FilterOpen, Sort: invite.DefaultSort, Page: 1, PerPage: cmp.Or(o.PerPage, invite.DefaultPerPage)},
		column:  termfit.ColFirstName,
		delay:   searchDelay,
		loadSeq: 1, loading: true,
		spinning: true,
	}
	m.search = newInput(st, "")
	m.search.Placeholder = "first name, last name or email"
	m.spinner = spinner.New(spinner.WithSpinner(spinner.Dot))
	m.help = help.New()
	m.help.Styles = st.help
	m.help.ShortSeparator = "  "
	m.help.SetWidth(m.width)
	m.firstLoad = m.listCmd(m.loadSeq, m.query)
	return m
}

// once makes the mailing service on first success, and only once however
// many resends ask for it at the same time.
func once(build func(context.Context) (*invite.Service, error)) func(context.Context) (*invite.Service, error) {
	var mu sync.Mutex
	var svc *invite.Service
	return func(ctx context.Context) (*invite.Service, error) {
		mu.Lock()
		defer mu.Unlock()
		if svc != nil {
			return svc, nil
		}
		s, err := build(ctx)
		if err == nil {
			svc = s
		}
		return s, err
	}
}

// newInput is a text field in the screen's style, holding value.
func newInput(st styles, value string) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.SetStyles(st.input)
	in.SetValue(value)
	return in
}

// Init loads the first page.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.firstLoad, m.spinner.Tick)
}

// Update handles one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.form.resize(m.panelWidth())
	case spinner.TickMsg:
		if !m.busy() {
			m.spinning = false // the chain of ticks ends here
			break
		}
		m.spinner, cmd = m.spinner.Update(msg)
	case pageMsg:
		cmd = m.gotPage(msg)
	case searchPauseMsg:
		if msg.seq == m.searchSeq && m.mode == modeSearch {
			cmd = m.applySearch()
		}
	case formMsg:
		cmd = m.gotForm(msg)
	case editedMsg:
		cmd = m.gotEdit(msg)
	case resentMsg:
		cmd = m.gotResend(msg)
	case revokedMsg:
		cmd = m.gotRevoke(msg)
	case tea.KeyPressMsg:
		if key.Matches(msg, m.keys.ForceQuit) {
			return m, tea.Quit
		}
		switch m.mode {
		case modeTable:
			cmd = m.tableKey(msg)
		case modeSearch:
			cmd = m.searchKey(msg)
		case modeMenu:
			cmd = m.menuKey(msg)
		case modeConfirm:
			cmd = m.confirmKey(msg)
		case modeEdit:
			cmd = m.formKey(msg)
		case modeHelp:
			switch {
			case key.Matches(msg, m.keys.Quit):
				return m, tea.Quit
			case key.Matches(msg, m.keys.Help, m.keys.Close):
				m.mode = modeTable
			}
		}
	case tea.PasteMsg:
		switch m.mode {
		case modeSearch:
			cmd = m.typeSearch(msg)
		case modeEdit:
			cmd = m.form.typeText(msg)
		}
	}
	return m, tea.Batch(cmd, m.spin())
}

// busy reports whether the store or the mailer is at work for the screen.
func (m *Model) busy() bool { return m.loading || m.working > 0 }

// spin starts the spinner when work has begun and it is not turning yet.
func (m *Model) spin() tea.Cmd {
	if !m.busy() || m.spinning {
		return nil
	}
	m.spinning = true
	return m.spinner.Tick
}

// note shows an outcome in the status line; fail shows an error there.
func (m *Model) note(s string) { m.status, m.failed = s, false }

// sentence is s as a sentence after another (" Wrote …."), "" for none.
func sentence(s string) string {
	if s == "" {
		return ""
	}
	return " " + strings.ToUpper(s[:1]) + s[1:] + "."
}

func (m *Model) fail(err error) { m.status, m.failed = message(err), true }

// message is an error as the status line says it: the domain's message,
// without the command line's hints (they name commands and flags).
func message(err error) string {
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return strings.TrimSuffix(s, ".") + "."
}

// tableKey handles a key while the table has the focus.
func (m *Model) tableKey(k tea.KeyPressMsg) tea.Cmd {
	rows := len(m.page.Invitations)
	switch {
	case key.Matches(k, m.keys.Quit):
		return tea.Quit
	case key.Matches(k, m.keys.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(k, m.keys.Down):
		m.cursor = max(min(m.cursor+1, rows-1), 0)
	case key.Matches(k, m.keys.Left):
		m.column = m.neighbourColumn(-1)
	case key.Matches(k, m.keys.Right):
		m.column = m.neighbourColumn(+1)
	case key.Matches(k, m.keys.Sort):
		return m.sortByColumn()
	case key.Matches(k, m.keys.NextPage):
		return m.turnPage(+1)
	case key.Matches(k, m.keys.PrevPage):
		return m.turnPage(-1)
	case key.Matches(k, m.keys.Search):
		m.mode = modeSearch
		m.search.CursorEnd()
		return m.search.Focus()
	case key.Matches(k, m.keys.Filter):
		return m.nextFilter()
	case key.Matches(k, m.keys.Clear):
		if m.query.Search != "" || m.search.Value() != "" {
			m.search.SetValue("")
			return m.applySearch()
		}
	case key.Matches(k, m.keys.Help):
		m.mode = modeHelp
	case key.Matches(k, m.keys.Actions):
		if rows > 0 {
			m.menu = menu{inv: m.page.Invitations[m.cursor]}
			m.mode = modeMenu
		}
	}
	return nil
}

// reload asks for m.query's page; after is the status to show when it comes.
func (m *Model) reload(after string) tea.Cmd {
	m.loadSeq++
	m.loading = true
	m.after = after
	return m.listCmd(m.loadSeq, m.query)
}

// listCmd reads one page: the only read the table ever makes. A read still
// on its way when the next is asked for is cancelled: nobody will see it.
func (m *Model) listCmd(seq int, q invite.ListQuery) tea.Cmd {
	if m.cancelLoad != nil {
		m.cancelLoad()
	}
	ctx, cancel := context.WithCancel(m.ctx)
	m.cancelLoad = cancel
	svc := m.o.Service
	q.Now = m.o.Now()
	return func() tea.Msg {
		p, err := svc.List(ctx, q)
		return pageMsg{seq: seq, q: q, page: p, err: err}
	}
}

func (m *Model) gotPage(msg pageMsg) tea.Cmd {
	if msg.seq != m.loadSeq {
		return nil // the user has asked for another page since
	}
	m.loading = false
	m.cancelLoad()
	if last := invite.ErrorAbout(msg.err).LastPage; errors.Is(msg.err, invite.ErrPageRange) && last >= 1 && last < m.query.Page {
		// The page emptied (rows revoked, filtered away): show the last one.
		m.query.Page = last
		return m.reload(m.after)
	}
	if msg.err != nil {
		m.fail(msg.err)
		return nil
	}
	m.page, m.shown, m.loaded = msg.page, msg.q, true
	m.cursor = max(min(m.cursor, len(m.page.Invitations)-1), 0)
	if m.after != "" {
		m.note(m.after)
		m.after = ""
	}
	return nil
}

// sortFields are the sortable columns.
var sortFields = map[int]invite.SortField{
	termfit.ColCustomer: invite.SortCustomer, termfit.ColFirstName: invite.SortFirstName,
	termfit.ColLastName: invite.SortLastName, termfit.ColEmail: invite.SortEmail, termfit.ColSentOn: invite.SortSentOn,
}

// sortByColumn sorts by the chosen column: ascending, and when it is
// already sorted by it, the other way round.
func (m *Model) sortByColumn() tea.Cmd {
	name := termfit.InvitationHeader[m.column]
	field, ok := sortFields[m.column]
	if !ok {
		m.fail(fmt.Errorf("%s cannot be sorted: choose Customer account, First name, Last name, Email or Sent on with ←/→", name))
		return nil
	}
	s := invite.Sort{Field: field}
	if m.query.Sort.Field == field {
		s.Desc = !m.query.Sort.Desc
	}
	m.query.Sort, m.query.Page, m.cursor = s, 1, 0
	dir := "ascending"
	if s.Desc {
		dir = "descending"
	}
	return m.reload(fmt.Sprintf("Sorted by %s, %s.", name, dir))
}

func (m *Model) turnPage(by int) tea.Cmd {
	page := m.query.Page + by
	switch {
	case page < 1:
		m.note("This is the first page.")
		return nil
	case m.loaded && page > invite.LastPage(m.page.Total, m.query.PerPage):
		m.note("This is the last page.")
		return nil
	}
	m.query.Page, m.cursor = page, 0
	return m.reload("")
}

// filterCycle is the order f goes through the status filters.
var filterCycle = []invite.StatusFilter{invite.FilterOpen, invite.FilterPending, invite.FilterExpired,
	invite.FilterAccepted, invite.FilterRevoked, invite.FilterAll}

func (m *Model) nextFilter() tea.Cmd {
	i := slices.Index(filterCycle, m.query.Status)
	m.query.Status = filterCycle[(i+1)%len(filterCycle)]
	m.query.Page, m.cursor = 1, 0
	return m.reload("Showing " + describeFilter(m.query.Status) + " invitations.")
}

func describeFilter(f invite.StatusFilter) string {
	switch f {
	case invite.FilterOpen:
		return "open (pending and expired)"
	case invite.FilterAll:
		return "all (pending, expired, accepted and revoked)"
	}
	return string(f)
}

// searchKey handles a key while the search field has the focus: the search
// runs when typing pauses, Enter runs it at once and returns to the table,
// Esc clears it.
func (m *Model) searchKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Choose):
		m.mode = modeTable
		m.search.Blur()
		m.searchSeq++
		return m.applySearch()
	case key.Matches(k, m.keys.Close):
		m.mode = modeTable
		m.search.Blur()
		m.search.SetValue("")
		m.searchSeq++
		return m.applySearch()
	}
	return m.typeSearch(k)
}

// typeSearch lets the search field take msg, and when that changes the
// text, waits for a pause in typing.
func (m *Model) typeSearch(msg tea.Msg) tea.Cmd {
	before := m.search.Value()
	var cmd tea.Cmd
	m.search, cmd = m.search.Update(msg)
	if m.search.Value() == before {
		return cmd
	}
	m.searchSeq++
	seq := m.searchSeq
	return tea.Batch(cmd, tea.Tick(m.delay, func(time.Time) tea.Msg { return searchPauseMsg{seq: seq} }))
}

// applySearch lists what the search field holds, unless that is on screen.
func (m *Model) applySearch() tea.Cmd {
	s := strings.Join(strings.Fields(m.search.Value()), " ")
	if s == m.query.Search {
		return nil
	}
	m.query.Search, m.query.Page, m.cursor = s, 1, 0
	if s == "" {
		return m.reload("Search cleared.")
	}
	return m.reload(fmt.Sprintf("Showing the invitations that match %q.", termfit.Safe(s)))
}

// neighbourColumn is the column on screen beside the chosen one.
func (m *Model) neighbourColumn(by int) int {
	keep, _, _ := m.layout(m.tableWidth())
	i := slices.Index(keep, m.column)
	if i < 0 {
		// The chosen column was left out (the terminal narrowed): start
		// from the one before it.
		i = len(keep) - 1
		for j, c := range keep {
			if c > m.column {
				i = j - 1
				break
			}
		}
		i = max(i, 0)
		by = max(by, 0)
	}
	return keep[max(min(i+by, len(keep)-1), 0)]
}

// The actions, each through the same Service calls as its command: the
// invitation is resolved by its ID, then edited, resent or revoked.

func (m *Model) openEdit(inv invite.Invitation) tea.Cmd {
	m.working++
	svc, ctx := m.o.Service, m.ctx
	return func() tea.Msg {
		inv, err := svc.Resolve(ctx, strconv.FormatInt(inv.ID, 10), "")
		return formMsg{inv: inv, err: err}
	}
}

func (m *Model) gotForm(msg formMsg) tea.Cmd {
	m.working--
	if msg.err != nil {
		m.fail(msg.err)
		return nil
	}
	if m.mode != modeTable {
		return nil // the user went on to something else meanwhile
	}
	m.form = newForm(msg.inv, m.st, m.panelWidth())
	m.mode = modeEdit
	m.note(fmt.Sprintf("Editing invitation %d.", msg.inv.ID))
	return m.form.focusField()
}

func (m *Model) save() tea.Cmd {
	f := &m.form
	p, lang := f.patch()
	f.saving = true
	m.working++
	svc, ctx, actor, id, version := m.o.Service, m.ctx, m.o.Actor, f.inv.ID, f.inv.Version
	return func() tea.Msg {
		inv, changed, err := svc.Edit(ctx, actor, id, p, lang, version)
		return editedMsg{inv: inv, changed: changed, err: err}
	}
}

func (m *Model) gotEdit(msg editedMsg) tea.Cmd {
	m.working--
	f := &m.form
	f.saving = false
	if msg.err != nil {
		f.failed(msg.err)
		m.fail(fmt.Errorf("invitation %d was not saved: %s", f.inv.ID, f.problem))
		return nil
	}
	m.mode = modeTable
	if len(msg.changed) == 0 {
		m.note(fmt.Sprintf("No changes to invitation %d.", msg.inv.ID))
		return nil
	}
	m.note(fmt.Sprintf("Updated invitation %d (%s): changed %s.", msg.inv.ID, termfit.Safe(msg.inv.Email), invite.Changes(msg.changed)))
	return m.reload("")
}

func (m *Model) resend(inv invite.Invitation) tea.Cmd {
	m.working++
	mailing, ctx, actor, notes := m.o.Mailing, m.ctx, m.o.Actor, m.o.Notes
	if mailing == nil {
		svc := m.o.Service
		mailing = func(context.Context) (*invite.Service, error) { return svc, nil }
	}
	return func() tea.Msg {
		svc, err := mailing(ctx)
		if err != nil {
			return resentMsg{id: inv.ID, inv: inv, err: err}
		}
		cur, err := svc.Resolve(ctx, strconv.FormatInt(inv.ID, 10), "")
		if err != nil {
			return resentMsg{id: inv.ID, inv: inv, err: err}
		}
		out, plan, err := svc.Resend(ctx, actor, cur)
		msg := resentMsg{id: inv.ID, inv: out, plan: plan, err: err}
		if notes != nil {
			msg.notes = notes()
		}
		return msg
	}
}

func (m *Model) gotResend(msg resentMsg) tea.Cmd {
	m.working--
	inv := msg.inv
	switch {
	case errors.Is(msg.err, invite.ErrAlreadyResolved):
		m.fail(fmt.Errorf("not sent: invitation %d (%s) is already resolved (%s)", msg.id, termfit.Safe(inv.Email), inv.State))
		return nil
	case msg.err != nil && msg.plan == invite.PlanNewLink && invite.ErrorCode(msg.err) == invite.EDELIVERY:
		// The new link is saved before it is sent: it is there to send again.
		m.fail(fmt.Errorf("a new link was made for invitation %d but not sent: %s", msg.id, message(msg.err)))
		return m.reload("")
	case msg.err != nil:
		m.fail(msg.err)
		return nil
	case msg.plan == invite.PlanNewLink:
		m.note(fmt.Sprintf("Resent invitation %d to %s with a new link, valid until %s; the old link no longer works.",
			inv.ID, termfit.Safe(inv.Email), inv.ExpiresAt.In(m.location()).Format("2006-01-02")) + sentence(msg.notes))
	default:
		m.note(fmt.Sprintf("Resent invitation %d to %s with the same link, valid until %s.",
			inv.ID, termfit.Safe(inv.Email), inv.ExpiresAt.In(m.location()).Format("2006-01-02")) + sentence(msg.notes))
	}
	return m.reload("")
}

func (m *Model) revoke(inv invite.Invitation) tea.Cmd {
	m.working++
	svc, ctx, actor := m.o.Service, m.ctx, m.o.Actor
	return func() tea.Msg {
		cur, err := svc.Resolve(ctx, strconv.FormatInt(inv.ID, 10), "")
		if err != nil {
			return revokedMsg{id: inv.ID, inv: inv, err: err}
		}
		out, err := svc.Revoke(ctx, actor, cur)
		return revokedMsg{id: inv.ID, inv: out, err: err}
	}
}

func (m *Model) gotRevoke(msg revokedMsg) tea.Cmd {
	m.working--
	if msg.err != nil {
		m.fail(msg.err)
		return nil
	}
	m.note(fmt.Sprintf("Revoked invitation %d for %s.", msg.inv.ID, termfit.Safe(msg.inv.Email)))
	return m.reload("")
}

func (m *Model) location() *time.Location {
	if m.o.Location == nil {
		return time.UTC
	}
	return m.o.Location
}
